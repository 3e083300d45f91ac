#!/usr/bin/python3
"""Integration tests of containerd-shim-wasmaot-v1 against a real containerd.

Starts a private containerd (Debian's 1.6.20) with its own root, state,
socket and config in a temporary directory and the shim on its PATH, builds
OCI images of Wasm modules with umoci, and drives the shim with `ctr` and a
small CRI client (grpc, tests/integration/shim/cri/api.proto).

Environment (set by ctest): WL_SHIM, WL_WASMAOT (the wasmaot CLI the shim
execs), WL_VIOLATOR (a runner that breaks the seccomp allowlist on purpose).
Needs root, containerd, ctr, umoci, wat2wasm and clang-19 with wasi-libc;
without them the suite is skipped. Tests that run Wasm code need
`wasmaot run` to run a WASI module; until it does they are skipped with the
reason. Every process started here is stopped at the end.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = os.environ.get("WL_SHIM", "")
WASMAOT = os.environ.get("WL_WASMAOT", "")
VIOLATOR = os.environ.get("WL_VIOLATOR", "")
RUNTIME = "io.containerd.wasmaot.v1"
SHIM_NAME = "containerd-shim-wasmaot-v1"
IMAGE = "docker.io/library/wasmtest:latest"
PAUSE_IMAGE = "docker.io/library/wasmaot-pause:1"


def missing_prerequisites():
    if os.geteuid() != 0:
        return "needs root (mounts, namespaces, cgroups)"
    for tool in ("containerd", "ctr", "umoci", "wat2wasm", "clang-19"):
        if not shutil.which(tool):
            return "%s is not installed" % tool
    if not os.path.isfile(SHIM):
        return "WL_SHIM does not name the shim binary (%r)" % SHIM
    if not os.path.isdir("/usr/lib/wasm32-wasi"):
        return "wasi-libc is not installed"
    return None


SKIP = missing_prerequisites()


def run(cmd, timeout=120, check=False, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (
            " ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


class Env:
    """The temporary directory, modules, images and the private daemon."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="wlshim-", dir="/tmp")
        self.bin = os.path.join(self.dir, "bin")
        self.sock = os.path.join(self.dir, "containerd.sock")
        self.socket_dir = os.path.join(self.dir, "s")
        self.cache = os.path.join(self.dir, "cache")
        # The wasmaot image store the shim reads Wasm artifacts from.
        self.store = os.path.join(self.dir, "store")
        self.modules = os.path.join(self.dir, "modules")
        for d in (self.bin, self.modules, self.cache):
            os.makedirs(d)
        os.chmod(self.cache, 0o700)
        shutil.copy(SHIM, os.path.join(self.bin, SHIM_NAME))
        self.proc = None
        self.log = None
        self.runtime_reason = None
        # ctr's cgroups are /NAMESPACE/ID on the host: a namespace of our
        # own keeps a concurrent run elsewhere on the machine (or a real
        # containerd) from sharing them.
        self.ns = "wlshim%d" % os.getpid()

    # ---------------------------------------------------------- daemon

    def write_config(self):
        cfg = """version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{sock}"
[debug]
  level = "debug"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{d}/cni/bin"
    conf_dir = "{d}/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmaot]
    runtime_type = "{rt}"
""".format(d=self.dir, sock=self.sock, pause=PAUSE_IMAGE, rt=RUNTIME)
        with open(os.path.join(self.dir, "config.toml"), "w") as f:
            f.write(cfg)

    def start(self):
        self.write_config()
        env = dict(os.environ)
        env["PATH"] = self.bin + ":" + env.get("PATH", "/usr/bin:/bin")
        env["WASMAOT_BIN"] = WASMAOT
        env["WASMAOT_SHIM_SOCKET_DIR"] = self.socket_dir
        env["WASMAOT_CACHE_DIR"] = self.cache
        env["WASMAOT_STORE_DIR"] = self.store
        self.log = open(os.path.join(self.dir, "containerd.log"), "a")
        self.proc = subprocess.Popen(
            ["containerd", "--config", os.path.join(self.dir, "config.toml")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(self.sock) and \
                    self.ctr("version").returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("containerd did not start; see %s" %
                             os.path.join(self.dir, "containerd.log"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None

    def shim_pids(self):
        """Pids of shim processes started from this environment."""
        exe = os.path.join(self.bin, SHIM_NAME)
        pids = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                if os.readlink("/proc/%s/exe" % p) == exe:
                    pids.append(int(p))
            except OSError:
                pass
        return pids

    def shim_pid_of(self, cid):
        for pid in self.shim_pids():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    args = f.read().split(b"\0")
            except OSError:
                continue
            if b"-id" in args and args[args.index(b"-id") + 1] == \
                    cid.encode():
                return pid
        return None

    def teardown(self):
        for ns in (self.ns, "k8s.io"):
            r = self.ctr("task", "ls", "-q", ns=ns)
            for tid in r.stdout.split():
                self.ctr("task", "kill", "-s", "SIGKILL", tid, ns=ns)
                time.sleep(0.2)
                self.ctr("task", "delete", "-f", tid, ns=ns)
        self.stop()
        for pid in self.shim_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        # Unmount whatever a failed test left below the directory.
        with open("/proc/self/mountinfo") as f:
            points = [l.split()[4] for l in f if self.dir in l.split()[4]]
        for mp in sorted(points, key=len, reverse=True):
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        # The namespace's parent cgroups (empty once its tasks are gone).
        for ctrl in [""] + os.listdir("/sys/fs/cgroup"):
            try:
                os.rmdir(os.path.join("/sys/fs/cgroup", ctrl, self.ns))
            except OSError:
                pass
        if not os.environ.get("WL_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def ctr(self, *args, timeout=120, ns=None, **kw):
        cmd = ["ctr", "-a", self.sock, "-n", ns or self.ns]
        return run(cmd + list(args), timeout=timeout, **kw)

    # ---------------------------------------------------------- content

    def build_modules(self):
        for name in ("hello", "trap", "exit7"):
            run(["wat2wasm", os.path.join(HERE, "modules", name + ".wat"),
                 "-o", os.path.join(self.modules, name + ".wasm")],
                check=True)
        for name in ("report", "sleeper", "memhog"):
            run(["clang-19", "--target=wasm32-wasi", "--sysroot=/usr", "-O2",
                 os.path.join(HERE, "modules", name + ".c"),
                 "-o", os.path.join(self.modules, name + ".wasm")],
                check=True)
        with open(os.path.join(self.modules, "bad.wasm"), "w") as f:
            f.write("#!/bin/sh\necho not wasm\n")
        # The Wasm magic, then a type section that claims 103 entries.
        with open(os.path.join(self.modules, "invalid.wasm"), "wb") as f:
            f.write(b"\0asm\1\0\0\0\1\5garbage")

    def build_image(self, name, files, entrypoint, env=(), workdir=None,
                    os_arch=("wasip1", "wasm")):
        """An OCI image (single manifest, wasip1/wasm) via umoci."""
        layout = os.path.join(self.dir, "img-" + name)
        bundle = os.path.join(self.dir, "unpack-" + name)
        run(["umoci", "init", "--layout", layout], check=True)
        run(["umoci", "new", "--image", layout + ":latest"], check=True)
        run(["umoci", "unpack", "--rootless", "--image", layout + ":latest",
             bundle], check=True)
        for dst, src in files.items():
            path = os.path.join(bundle, "rootfs", dst.lstrip("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if isinstance(src, bytes):
                with open(path, "wb") as f:
                    f.write(src)
            else:
                shutil.copy(src, path)
        run(["umoci", "repack", "--image", layout + ":latest", bundle],
            check=True)
        cfg = ["umoci", "config", "--image", layout + ":latest",
               "--os", os_arch[0], "--architecture", os_arch[1]]
        for e in entrypoint:
            cfg += ["--config.entrypoint", e]
        for e in env:
            cfg += ["--config.env", e]
        if workdir:
            cfg += ["--config.workingdir", workdir]
        run(cfg, check=True)
        tar = layout + ".tar"
        run(["tar", "-C", layout, "-cf", tar, "."], check=True)
        shutil.rmtree(bundle, ignore_errors=True)
        return tar

    def build_artifact(self, name, wasm):
        """An OCI layout holding a CNCF Wasm artifact (config
        application/vnd.wasm.config.v0+json, one application/wasm layer),
        tagged v1: what containerd 1.6.20 cannot unpack."""
        d = os.path.join(self.dir, "art-" + name)
        os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)

        def put(data):
            h = hashlib.sha256(data).hexdigest()
            with open(os.path.join(d, "blobs", "sha256", h), "wb") as f:
                f.write(data)
            return {"digest": "sha256:" + h, "size": len(data)}
        with open(wasm, "rb") as f:
            layer = put(f.read())
        config = put(json.dumps({"architecture": "wasm", "os": "wasip1",
                                 "layerDigests": [layer["digest"]]}).encode())
        manifest = put(json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": dict(config,
                           mediaType="application/vnd.wasm.config.v0+json"),
            "layers": [dict(layer, mediaType="application/wasm")]}).encode())
        with open(os.path.join(d, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": [dict(
                manifest,
                mediaType="application/vnd.oci.image.manifest.v1+json",
                annotations={"org.opencontainers.image.ref.name": "v1"})]}, f)
        with open(os.path.join(d, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        return "oci:%s:v1" % d

    def import_image(self, tar, base, ns=None):
        self.ctr("images", "import", "--base-name", base, tar, ns=ns,
                 check=True)

    def probe_runtime(self):
        """None if `wasmaot run` runs WASI modules the way the shim calls
        it, else the reason."""
        if not os.path.isfile(WASMAOT):
            return "the wasmaot CLI is not built (%s)" % WASMAOT
        # A cache of its own: the tasks' cache must be filled by tasks.
        probe_cache = os.path.join(self.dir, "probe-cache")
        os.makedirs(probe_cache, mode=0o700, exist_ok=True)
        env = dict(os.environ, WASMAOT_CACHE_DIR=probe_cache)
        cmd = [WASMAOT, "run", "--dir", self.modules + "::/",
               "--env", "GREETING=hi", "--",
               os.path.join(self.modules, "hello.wasm")]
        try:
            r = run(cmd, timeout=300, env=env)
        except subprocess.TimeoutExpired:
            return "`wasmaot run` timed out on hello.wasm"
        if r.returncode != 0 or r.stdout != "hello from wasm\n":
            return ("`%s` cannot run a WASI module yet (exit %d): %s" % (
                " ".join(cmd), r.returncode, (r.stderr or r.stdout).strip()
                [:300]))
        return None


ENV = None


def setUpModule():
    global ENV
    if SKIP:
        raise unittest.SkipTest(SKIP)
    ENV = Env()
    try:
        ENV.build_modules()
        m = ENV.modules
        files = {"/hello.wasm": os.path.join(m, "hello.wasm"),
                 "/trap.wasm": os.path.join(m, "trap.wasm"),
                 "/exit7.wasm": os.path.join(m, "exit7.wasm"),
                 "/bin/report.wasm": os.path.join(m, "report.wasm"),
                 "/sleeper.wasm": os.path.join(m, "sleeper.wasm"),
                 "/memhog.wasm": os.path.join(m, "memhog.wasm"),
                 "/bad.wasm": os.path.join(m, "bad.wasm"),
                 "/invalid.wasm": os.path.join(m, "invalid.wasm"),
                 "/native": shutil.which("true"),
                 "/data/msg.txt": b"from the image workdir\n"}
        tar = ENV.build_image("wasmtest", files, ["/hello.wasm"],
                              env=["PATH=/bin", "GREETING=hi"],
                              workdir="/data")
        pause = ENV.build_image(
            "pause", {"/pause": os.path.join(m, "sleeper.wasm")}, ["/pause"])
        ENV.start()
        ENV.import_image(tar, "docker.io/library/wasmtest")
        ENV.import_image(tar, "docker.io/library/wasmtest", ns="k8s.io")
        ENV.import_image(pause, "docker.io/library/wasmaot-pause", ns="k8s.io")
        ENV.ctr("images", "tag", "docker.io/library/wasmaot-pause:latest",
                PAUSE_IMAGE, ns="k8s.io", check=True)
        ENV.runtime_reason = ENV.probe_runtime()
        if ENV.runtime_reason:
            sys.stderr.write("NOTE: tests that run Wasm are skipped: %s\n" %
                             ENV.runtime_reason)
    except BaseException:
        ENV.teardown()
        raise


def tearDownModule():
    if ENV:
        ENV.teardown()


class Events:
    """`ctr events` in the background; lines parsed as (topic, json)."""

    def __init__(self, ns=None):
        self.p = subprocess.Popen(["ctr", "-a", ENV.sock, "-n",
                                   ns or ENV.ns, "events"],
                                  stdout=subprocess.PIPE, text=True)
        self.lines = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        time.sleep(1.0)  # subscribed before the test acts, even under load

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line)

    def stop(self, until="/tasks/delete", timeout=20):
        """Stops once a line of topic `until` arrived (events are forwarded
        asynchronously: a loaded machine delays them), or after timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline and \
                not any((" %s " % until) in l for l in self.lines):
            time.sleep(0.1)
        time.sleep(0.3)  # anything published right after it
        self.p.terminate()
        self.p.wait()
        self.t.join(5)
        self.p.stdout.close()
        out = []
        for l in self.lines:
            parts = l.split(None, 6)
            if len(parts) == 7:
                try:
                    out.append((parts[5], json.loads(parts[6])))
                except ValueError:
                    out.append((parts[5], None))
        return out


class ShimTest(unittest.TestCase):
    maxDiff = None

    def need_runtime(self):
        if ENV.runtime_reason:
            self.skipTest(ENV.runtime_reason)

    def ctr_run(self, cid, *args, opts=(), timeout=300):
        return ENV.ctr("run", "--rm", "--runtime", RUNTIME, *opts, IMAGE, cid,
                       *args, timeout=timeout)

    def assert_clean(self, cid, ns=None):
        """No shim, mount, socket, cgroup or zombie left for cid."""
        ns = ns or ENV.ns
        deadline = time.time() + 10
        while ENV.shim_pid_of(cid) and time.time() < deadline:
            time.sleep(0.1)
        self.assertIsNone(ENV.shim_pid_of(cid), "shim of %s still runs" % cid)
        bundle = os.path.join(ENV.dir, "state", "io.containerd.runtime.v2.task",
                              ns, cid)
        with open("/proc/self/mountinfo") as f:
            mounts = [l.split()[4] for l in f if bundle in l]
        self.assertEqual(mounts, [], "mounts left for %s" % cid)
        self.assertFalse(os.path.exists(bundle), "bundle of %s left" % cid)
        # The shim names its socket sha256(address/namespace/id).
        key = "%s/%s/%s" % (ENV.sock, ns, cid)
        sock = os.path.join(ENV.socket_dir,
                            hashlib.sha256(key.encode()).hexdigest())
        self.assertFalse(os.path.exists(sock), "socket of %s left" % cid)
        for ctrl in ("memory", "pids", "cpu", ""):
            p = os.path.join("/sys/fs/cgroup", ctrl, ns, cid)
            self.assertFalse(os.path.exists(p), "cgroup %s left" % p)
        # No task process (the runner names the rootfs in its --dir) and
        # nothing else of this container's bundle is left running.
        left = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(
                        errors="replace")
            except OSError:
                continue
            if bundle + "/" in cmd or cmd.endswith(bundle + " "):
                left.append("%s: %s" % (p, cmd))
        self.assertEqual(left, [], "processes of %s left" % cid)

    def assert_no_zombies(self):
        shims = set(ENV.shim_pids())
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % p) as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] == "Z" and int(fields[1]) in shims:
                self.fail("zombie %s of shim %s" % (p, fields[1]))

    def wait_status(self, cid, want, ns=None, timeout=30):
        deadline = time.time() + timeout
        last = ""
        while time.time() < deadline:
            r = ENV.ctr("task", "ls", ns=ns)
            for line in r.stdout.splitlines()[1:]:
                f = line.split()
                if f and f[0] == cid:
                    last = f[2]
                    if last == want:
                        return int(f[1])
            time.sleep(0.1)
        self.fail("task %s is %s, not %s" % (cid, last, want))

    # ---------------------------------------------- no Wasm code needed

    def test_create_reports_a_missing_module(self):
        r = self.ctr_run("missing", "/nope.wasm")
        self.assertEqual(r.returncode, 1)
        self.assertIn("module /nope.wasm not found in the image", r.stderr)
        self.assert_clean("missing")

    def test_create_reports_a_file_that_is_not_wasm(self):
        r = self.ctr_run("notwasm", "/bad.wasm")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/bad.wasm is not a WebAssembly module: it starts with "
                      "23 21 2f 62", r.stderr)
        r = self.ctr_run("native", "/native")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/native is a native executable", r.stderr)
        self.assert_clean("notwasm")
        self.assert_clean("native")

    def test_terminal_is_refused(self):
        master, slave = os.openpty()
        try:
            r = ENV.ctr("run", "--rm", "-t", "--runtime", RUNTIME, IMAGE,
                        "tty", stdin=slave)
        finally:
            os.close(master)
            os.close(slave)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("terminal is not supported", r.stderr)
        self.assert_clean("tty")

    def test_seccomp_violation_is_reported(self):
        cfg = os.path.join(ENV.dir, "violator.json")
        with open(cfg, "w") as f:
            json.dump({"runtime": VIOLATOR}, f)
        ev = Events()
        r = self.ctr_run("sc", opts=("--runtime-config-path", cfg))
        events = ev.stop()
        self.assertEqual(r.returncode, 128 + signal.SIGSYS, r.stderr)
        self.assertEqual(r.stdout, "confined\n")
        self.assertIn("outside the seccomp allowlist", r.stderr)
        exits = [e for t, e in events if t == "/tasks/exit"]
        self.assertEqual([e["exit_status"] for e in exits], [159])
        self.assert_clean("sc")

    def test_missing_runner_is_named(self):
        cfg = os.path.join(ENV.dir, "norunner.json")
        with open(cfg, "w") as f:
            json.dump({"runtime": "/nonexistent/wasmaot"}, f)
        r = self.ctr_run("norunner", opts=("--runtime-config-path", cfg))
        self.assertEqual(r.returncode, 1)
        self.assertIn("the wasmaot runtime /nonexistent/wasmaot", r.stderr)
        self.assert_clean("norunner")

    def test_bad_shim_config_names_the_key(self):
        cfg = os.path.join(ENV.dir, "bad.json")
        with open(cfg, "w") as f:
            f.write('{"runtme": "/x"}')
        r = self.ctr_run("badcfg", opts=("--runtime-config-path", cfg))
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown key runtme", r.stderr)
        self.assert_clean("badcfg")

    # ---------------------------------------------- running modules

    def test_hello_prints_and_exits_zero(self):
        self.need_runtime()
        ev = Events()
        r = self.ctr_run("hello")
        events = ev.stop()
        self.assertEqual((r.returncode, r.stdout), (0, "hello from wasm\n"),
                         r.stderr)
        topics = [t for t, _ in events if t.startswith("/tasks/")]
        self.assertEqual(topics, ["/tasks/create", "/tasks/start",
                                  "/tasks/exit", "/tasks/delete"])
        ex = [e for t, e in events if t == "/tasks/exit"][0]
        self.assertEqual((ex["container_id"], ex["id"]), ("hello", "hello"))
        self.assert_clean("hello")
        # The task compiled into the cache the shim was given, not into
        # containerd's $HOME or the system cache.
        cached = [f for _, _, fs in os.walk(ENV.cache) for f in fs]
        self.assertNotEqual(cached, [], "nothing in %s" % ENV.cache)

    def test_args_env_cwd_and_stderr(self):
        self.need_runtime()
        r = self.ctr_run("report", "report.wasm", "a", "b c",
                         opts=("--env", "EXTRA=1"))
        self.assertEqual(r.returncode, 3, r.stderr)
        out = r.stdout.splitlines()
        self.assertEqual(out[:3], ["argv[0]=report.wasm", "argv[1]=a",
                                   "argv[2]=b c"])
        self.assertIn("env=GREETING=hi", out)
        self.assertIn("env=EXTRA=1", out)
        self.assertIn("env=PWD=/data", out)  # the image's WorkingDir
        self.assertIn("msg.txt=from the image workdir", out)
        self.assertIn("report: 3 args", r.stderr)
        self.assert_clean("report")

    def test_bind_mount_and_cwd_from_the_command_line(self):
        # A spec mount (ctr --mount) appears at its destination inside the
        # rootfs, and ctr --cwd reaches the guest as $PWD.
        self.need_runtime()
        host = os.path.join(ENV.dir, "hostdir")
        os.makedirs(host, exist_ok=True)
        with open(os.path.join(host, "msg.txt"), "w") as f:
            f.write("from the bind mount\n")
        r = self.ctr_run("bind", "/bin/report.wasm", opts=(
            "--mount", "type=bind,src=%s,dst=/host,options=rbind:ro" % host,
            "--cwd", "/host"))
        self.assertEqual(r.returncode, 1, r.stderr)
        out = r.stdout.splitlines()
        self.assertIn("env=PWD=/host", out)
        self.assertIn("msg.txt=from the bind mount", out)
        self.assert_clean("bind")

    def test_exit_code_and_trap(self):
        self.need_runtime()
        r = self.ctr_run("exit7", "/exit7.wasm")
        self.assertEqual(r.returncode, 7, r.stderr)
        r = self.ctr_run("trap", "/trap.wasm")
        self.assertEqual(r.returncode, 134, r.stderr)
        self.assertIn("unreachable", r.stderr)
        self.assert_clean("exit7")
        self.assert_clean("trap")

    def test_kill_and_delete(self):
        self.need_runtime()
        r = ENV.ctr("run", "-d", "--runtime", RUNTIME, IMAGE, "sl",
                    "/sleeper.wasm")
        self.assertEqual(r.returncode, 0, r.stderr)
        pid = self.wait_status("sl", "RUNNING")
        self.assertGreater(pid, 0)
        r = ENV.ctr("task", "ps", "sl")
        self.assertIn(str(pid), r.stdout)
        r = ENV.ctr("task", "metrics", "sl")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("memory.usage_in_bytes", r.stdout)
        r = ENV.ctr("task", "exec", "--exec-id", "x", "sl", "/hello.wasm")
        self.assertIn("exec is not supported", r.stderr)
        r = ENV.ctr("task", "checkpoint", "sl")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("checkpoint is not supported", r.stderr)
        self.wait_status("sl", "RUNNING")
        ev = Events()
        r = ENV.ctr("task", "pause", "sl")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_status("sl", "PAUSED")
        ENV.ctr("task", "resume", "sl", check=True)
        self.wait_status("sl", "RUNNING")
        topics = [t for t, _ in ev.stop(until="/tasks/resumed")]
        self.assertIn("/tasks/paused", topics)
        self.assertIn("/tasks/resumed", topics)
        r = ENV.ctr("task", "delete", "sl")
        self.assertIn("failed precondition", r.stderr)
        ENV.ctr("task", "kill", "sl", check=True)
        self.wait_status("sl", "STOPPED")
        self.assert_no_zombies()
        r = ENV.ctr("task", "kill", "sl")
        self.assertIn("process already finished", r.stderr)
        r = ENV.ctr("task", "delete", "sl")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("exit code 143", r.stderr)
        ENV.ctr("container", "rm", "sl", check=True)
        self.assert_clean("sl")
        # SIGKILL, on a task paused first: it still dies.
        ENV.ctr("run", "-d", "--runtime", RUNTIME, IMAGE, "sk",
                "/sleeper.wasm", check=True)
        self.wait_status("sk", "RUNNING")
        ENV.ctr("task", "pause", "sk", check=True)
        ENV.ctr("task", "kill", "-s", "SIGKILL", "sk", check=True)
        self.wait_status("sk", "STOPPED")
        r = ENV.ctr("task", "delete", "sk")
        self.assertIn("exit code 137", r.stderr)
        ENV.ctr("container", "rm", "sk", check=True)
        self.assert_clean("sk")
        # SIGINT stops the module too (through the pid namespace's init).
        ENV.ctr("run", "-d", "--runtime", RUNTIME, IMAGE, "si",
                "/sleeper.wasm", check=True)
        self.wait_status("si", "RUNNING")
        ENV.ctr("task", "kill", "-s", "SIGINT", "si", check=True)
        self.wait_status("si", "STOPPED")
        r = ENV.ctr("task", "delete", "si")
        self.assertIn("exit code 130", r.stderr)
        ENV.ctr("container", "rm", "si", check=True)
        self.assert_clean("si")

    def test_fifty_containers_concurrently(self):
        self.need_runtime()
        procs = [subprocess.Popen(
            ["ctr", "-a", ENV.sock, "-n", ENV.ns, "run", "--rm",
             "--runtime", RUNTIME, IMAGE, "c%d" % i], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True) for i in range(50)]
        results = [p.communicate(timeout=600) + (p.returncode,)
                   for p in procs]
        for i, (out, err, rc) in enumerate(results):
            self.assertEqual((rc, out), (0, "hello from wasm\n"),
                             "c%d: %s" % (i, err))
        for i in range(50):
            self.assert_clean("c%d" % i)

    def test_containerd_restart_keeps_the_task(self):
        self.need_runtime()
        ENV.ctr("run", "-d", "--runtime", RUNTIME, IMAGE, "rs",
                "/sleeper.wasm", check=True)
        pid = self.wait_status("rs", "RUNNING")
        shim = ENV.shim_pid_of("rs")
        ENV.stop()
        self.assertEqual(ENV.shim_pid_of("rs"), shim, "the shim survives")
        os.kill(pid, 0)
        ENV.start()
        self.assertEqual(self.wait_status("rs", "RUNNING"), pid)
        ENV.ctr("task", "kill", "rs", check=True)
        self.wait_status("rs", "STOPPED")
        r = ENV.ctr("task", "delete", "rs")
        self.assertEqual(r.returncode, 0, r.stderr)
        ENV.ctr("container", "rm", "rs", check=True)
        self.assert_clean("rs")

    def test_shim_crash_is_reported_as_an_exit(self):
        self.need_runtime()
        ENV.ctr("run", "-d", "--runtime", RUNTIME, IMAGE, "cr",
                "/sleeper.wasm", check=True)
        pid = self.wait_status("cr", "RUNNING")
        ev = Events()
        os.kill(ENV.shim_pid_of("cr"), signal.SIGKILL)
        deadline = time.time() + 20
        while time.time() < deadline and os.path.exists("/proc/%d" % pid):
            time.sleep(0.1)
        events = ev.stop(until="/tasks/exit")
        self.assertFalse(os.path.exists("/proc/%d" % pid),
                         "the task process is killed")
        exits = [e for t, e in events if t == "/tasks/exit"]
        self.assertEqual(len(exits), 1, events)
        self.assertEqual(exits[0]["exit_status"], 137)
        ENV.ctr("task", "delete", "cr")
        ENV.ctr("container", "rm", "cr", check=True)
        self.assert_clean("cr")

    def test_invalid_module_fails_with_the_compiler_message(self):
        self.need_runtime()
        r = self.ctr_run("invalid", "/invalid.wasm")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("wasmaot: error:", r.stderr)
        self.assertIn("invalid.wasm", r.stderr)
        self.assertIn("type section", r.stderr)
        self.assert_clean("invalid")

    def bad_cache_run(self, cid, make, want):
        """A cache made unusable by make(dir) fails Create, naming it. The
        runner is /bin/true: Create fails before anything runs."""
        cache = os.path.join(ENV.dir, "cache-" + cid)
        make(cache)
        cfg = os.path.join(ENV.dir, cid + ".json")
        with open(cfg, "w") as f:
            json.dump({"runtime": shutil.which("true"), "cache_dir": cache}, f)
        try:
            r = self.ctr_run(cid, opts=("--runtime-config-path", cfg))
        finally:
            if os.path.isdir(cache):
                os.chmod(cache, 0o700)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("failed to create shim task: cache: ", r.stderr)
        self.assertIn(cache, r.stderr)
        self.assertIn(want, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assert_clean(cid)

    def test_cache_that_is_not_a_directory_fails_create(self):
        def make(d):
            with open(d, "w") as f:
                f.write("not a cache\n")
        self.bad_cache_run("cachefile", make, "is not a directory")

    def test_group_writable_cache_fails_create(self):
        def make(d):
            os.makedirs(d)
            os.chmod(d, 0o770)
        self.bad_cache_run("cachegrp", make, "is group-writable (mode 0770)")

    def test_cache_of_another_user_fails_create(self):
        def make(d):
            os.makedirs(d, mode=0o700)
            os.chown(d, 65534, 65534)
        self.bad_cache_run("cacheuid", make, "is owned by uid 65534")

    def test_unwritable_cache_fails_create(self):
        # The runner has no capabilities: root's own 0500 directory is as
        # closed to it as to any user.
        def make(d):
            os.makedirs(d, mode=0o700)
            os.chmod(d, 0o500)
        self.bad_cache_run("cachero", make, "is not writable (mode 0500)")

    def test_full_cache_file_system_fails_create(self):
        def make(d):
            os.makedirs(d, mode=0o700)
            run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs",
                 d], check=True)
            os.mkdir(os.path.join(d, "objects"), 0o700)
            fd = os.open(os.path.join(d, "filler"), os.O_WRONLY | os.O_CREAT)
            try:
                while os.write(fd, b"\0" * 4096) > 0:
                    pass
            except OSError:
                pass  # ENOSPC: full
            os.close(fd)
        try:
            self.bad_cache_run("cachefull", make, "no space left")
        finally:
            run(["umount", "-l", os.path.join(ENV.dir, "cache-cachefull")])

    def test_cache_failure_repair_and_bad_entry(self):
        # An unusable cache fails Create (no compile in memory); the same
        # directory, fixed, serves the next run; a corrupt entry is
        # repaired; an entry that cannot be replaced fails the run.
        self.need_runtime()
        cache = os.path.join(ENV.dir, "cache-repair")
        os.makedirs(cache)
        os.chmod(cache, 0o770)
        cfg = os.path.join(ENV.dir, "repair.json")
        with open(cfg, "w") as f:
            json.dump({"cache_dir": cache}, f)
        r = self.ctr_run("repair1", opts=("--runtime-config-path", cfg))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("group-writable", r.stderr)
        self.assertNotIn("compiling in memory", r.stderr)
        os.chmod(cache, 0o700)
        r = self.ctr_run("repair2", opts=("--runtime-config-path", cfg))
        self.assertEqual((r.returncode, r.stdout), (0, "hello from wasm\n"),
                         r.stderr)
        self.assertNotIn("warning", r.stderr)
        entries = [os.path.join(d, f) for d, _, fs in
                   os.walk(os.path.join(cache, "objects")) for f in fs
                   if f.endswith(".wao")]
        self.assertEqual(len(entries), 1, entries)
        # A corrupt entry is repair, not failure: removed, compiled again.
        os.chmod(entries[0], 0o600)
        with open(entries[0], "r+b") as f:
            f.seek(100)
            f.write(b"XXXX")
        r = self.ctr_run("repair3", opts=("--runtime-config-path", cfg))
        self.assertEqual((r.returncode, r.stdout), (0, "hello from wasm\n"),
                         r.stderr)
        self.assertIn("removed a damaged cache entry and compiled it again",
                      r.stderr)
        # An entry that cannot be replaced fails the run, naming it (the
        # runner, without capabilities, cannot even open another user's
        # 0600 file).
        os.chown(entries[0], 65534, 65534)
        r = self.ctr_run("repair4", opts=("--runtime-config-path", cfg))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("wasmaot: error:", r.stderr)
        self.assertIn(entries[0] + ": Permission denied", r.stderr)
        for cid in ("repair1", "repair2", "repair3", "repair4"):
            self.assert_clean(cid)

    # ---------------------------------------------- Wasm OCI artifacts

    def pull_artifact(self):
        ref = ENV.build_artifact("hello",
                                 os.path.join(ENV.modules, "hello.wasm"))
        env = dict(os.environ, WASMAOT_STORE_DIR=ENV.store)
        r = run([WASMAOT, "pull", ref], env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("wasm artifact", r.stdout)
        return ref

    def test_wasm_artifact_runs_from_the_wasmaot_store(self):
        # containerd 1.6.20 cannot unpack an application/wasm layer; the
        # artifact pulled with `wasmaot pull` runs by annotation, on an
        # empty rootfs (`ctr run --rootfs`).
        self.need_runtime()
        ref = self.pull_artifact()
        empty = os.path.join(ENV.dir, "empty-rootfs")
        os.makedirs(empty, exist_ok=True)
        r = ENV.ctr("run", "--rm", "--runtime", RUNTIME, "--rootfs",
                    "--annotation", "io.wasmaot.image=" + ref, empty, "art",
                    "hello", timeout=300)
        self.assertEqual((r.returncode, r.stdout), (0, "hello from wasm\n"),
                         r.stderr)
        self.assert_clean("art")
        # Not in the store: Create names the image and the store.
        r = ENV.ctr("run", "--rm", "--runtime", RUNTIME, "--rootfs",
                    "--annotation", "io.wasmaot.image=example.com/none:1",
                    empty, "artmiss", "hello", timeout=300)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("annotation io.wasmaot.image: image example.com/none:1 "
                      "is not in the wasmaot image store " + ENV.store,
                      r.stderr)
        self.assert_clean("artmiss")

    def test_cri_image_name_falls_back_to_the_store(self):
        # What CRI on containerd >= 1.6.25 hands the shim for an artifact:
        # no module in the rootfs, the image's name in the annotations
        # (set here through ctr, which passes annotations as CRI does).
        self.need_runtime()
        ref = self.pull_artifact()
        r = self.ctr_run("crifb", "/absent.wasm", opts=(
            "--annotation", "io.kubernetes.cri.image-name=" + ref))
        self.assertEqual((r.returncode, r.stdout), (0, "hello from wasm\n"),
                         r.stderr)
        self.assert_clean("crifb")
        # A module the rootfs has wins over the store.
        r = self.ctr_run("crirootfs", "/exit7.wasm", opts=(
            "--annotation", "io.kubernetes.cri.image-name=" + ref))
        self.assertEqual(r.returncode, 7, r.stdout + r.stderr)
        self.assert_clean("crirootfs")
        # Neither: the rootfs message, which is the first cause.
        r = self.ctr_run("crinone", "/absent.wasm", opts=(
            "--annotation", "io.kubernetes.cri.image-name=example.com/x:1"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("module /absent.wasm not found in the image", r.stderr)
        self.assert_clean("crinone")

    def test_task_process_is_confined(self):
        """Namespaces, cgroup limits, no capabilities, no_new_privs,
        rlimits and the seccomp filter, read from /proc of the running
        task."""
        self.need_runtime()
        ENV.ctr("run", "-d", "--runtime", RUNTIME, "--memory-limit",
                str(96 << 20), "--cpus", "0.5", "--cap-add", "CAP_SYS_ADMIN",
                IMAGE, "iso", "/sleeper.wasm", check=True)
        try:
            pid = self.wait_status("iso", "RUNNING")
            pids = []
            deadline = time.time() + 10
            runner = None
            while time.time() < deadline and runner is None:
                r = ENV.ctr("task", "ps", "iso", check=True)
                pids = [int(l.split()[0]) for l in r.stdout.splitlines()[1:]
                        if l.split()]
                for p in pids:
                    try:
                        with open("/proc/%d/cmdline" % p, "rb") as f:
                            if b"--seccomp" in f.read():
                                runner = p
                    except OSError:
                        pass
                time.sleep(0.1)
            self.assertIn(pid, pids)
            self.assertIsNotNone(runner, "the runner %s in %s" % (
                WASMAOT, pids))

            def seccomp_mode():
                with open("/proc/%d/status" % runner) as f:
                    return [l.split()[1] for l in f
                            if l.startswith("Seccomp:")][0]
            # The filter goes on once the module is loaded (maybe compiled).
            deadline = time.time() + 120
            while seccomp_mode() != "2" and time.time() < deadline:
                time.sleep(0.1)
            for p in pids:
                with open("/proc/%d/status" % p) as f:
                    st = dict(l.split(":", 1) for l in f.read().splitlines())
                st = {k: v.strip() for k, v in st.items()}
                self.assertEqual(st["NoNewPrivs"], "1", p)
                for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd",
                            "CapAmb"):
                    self.assertEqual(int(st[cap], 16), 0, "%s of %d" % (
                        cap, p))
                if p == runner:
                    self.assertEqual(st["Seccomp"], "2")
                for ns in ("mnt", "pid", "ipc", "uts", "net"):
                    self.assertNotEqual(
                        os.readlink("/proc/%d/ns/%s" % (p, ns)),
                        os.readlink("/proc/self/ns/%s" % ns), ns)
            # containerd's default spec limits open files to 1024.
            with open("/proc/%d/limits" % runner) as f:
                lim = [l for l in f if l.startswith("Max open files")][0]
            self.assertEqual(lim.split()[3:5], ["1024", "1024"])
            with open("/proc/%d/cgroup" % runner) as f:
                cg = f.read()
            self.assertIn("/%s/iso" % ENV.ns, cg)
            v1 = "/sys/fs/cgroup/memory/%s/iso/memory.limit_in_bytes" % ENV.ns
            if os.path.exists(v1):
                with open(v1) as f:
                    self.assertEqual(int(f.read()), 96 << 20)
                with open("/sys/fs/cgroup/cpu/%s/iso/cpu.cfs_quota_us" %
                          ENV.ns) as f:
                    self.assertEqual(int(f.read()), 50000)
            else:
                with open("/sys/fs/cgroup/%s/iso/memory.max" % ENV.ns) as f:
                    self.assertEqual(int(f.read()), 96 << 20)
                with open("/sys/fs/cgroup/%s/iso/cpu.max" % ENV.ns) as f:
                    self.assertEqual(f.read().split()[0], "50000")
        finally:
            ENV.ctr("task", "kill", "-s", "SIGKILL", "iso")
            self.wait_status("iso", "STOPPED")
            ENV.ctr("task", "delete", "iso")
            ENV.ctr("container", "rm", "iso")
        self.assert_clean("iso")

    def test_memory_limit_ends_in_a_reported_oom_kill(self):
        self.need_runtime()
        # A first run that allocates nothing fills the artifact cache, so
        # the measured run spends its 64 MiB on the module, not on
        # compiling. (The machine is shared: nothing here allocates more
        # than the 64 MiB limit lets it.)
        r = self.ctr_run("oomwarm", "/memhog.wasm", "0",
                         opts=("--memory-limit", str(512 << 20)))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        ev = Events()
        r = self.ctr_run("oom", "/memhog.wasm",
                         opts=("--memory-limit", str(64 << 20)))
        events = ev.stop()
        self.assertEqual(r.returncode, 137, r.stdout + r.stderr)
        self.assertIn("out-of-memory killer", r.stderr)
        self.assertIn("limit 67108864 bytes", r.stderr)
        self.assertIn("/tasks/oom", [t for t, _ in events])
        self.assertIn("16 MiB", r.stdout)
        self.assert_clean("oomwarm")
        self.assert_clean("oom")

    # ---------------------------------------------- CRI

    def cri(self):
        import importlib.util
        if not importlib.util.find_spec("grpc") or \
                not importlib.util.find_spec("grpc_tools"):
            self.skipTest("python3-grpcio/python3-grpc-tools are missing")
        sys.path.insert(0, ENV.dir)
        if not os.path.exists(os.path.join(ENV.dir, "api_pb2.py")):
            run([sys.executable, "-m", "grpc_tools.protoc",
                 "-I" + os.path.join(HERE, "cri"), "--python_out=" + ENV.dir,
                 "--grpc_python_out=" + ENV.dir,
                 os.path.join(HERE, "cri", "api.proto")], check=True)
        import grpc
        import api_pb2
        import api_pb2_grpc
        ch = grpc.insecure_channel("unix://" + ENV.sock)
        return api_pb2, api_pb2_grpc.RuntimeServiceStub(ch)

    def sandbox_config(self, pb, name):
        logdir = os.path.join(ENV.dir, "pods", name)
        os.makedirs(logdir, exist_ok=True)
        nso = pb.NamespaceOption(network=pb.NODE, pid=pb.POD, ipc=pb.POD)
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=name + "-uid",
                                           namespace="default"),
            hostname=name, log_directory=logdir,
            linux=pb.LinuxPodSandboxConfig(
                security_context=pb.LinuxSandboxSecurityContext(
                    namespace_options=nso)))

    def test_cri_pod_sandbox_runs_on_the_builtin_pause(self):
        pb, rt = self.cri()
        cfg = self.sandbox_config(pb, "pause-only")
        sid = rt.RunPodSandbox(pb.RunPodSandboxRequest(
            config=cfg, runtime_handler="wasmaot"), timeout=60).pod_sandbox_id
        st = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(
            pod_sandbox_id=sid), timeout=30).status
        self.assertEqual(st.state, pb.SANDBOX_READY)
        self.assertEqual(st.runtime_handler, "wasmaot")
        self.assertIsNotNone(ENV.shim_pid_of(sid))
        rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=sid),
                          timeout=60)
        rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=sid),
                            timeout=60)
        self.assert_clean(sid, ns="k8s.io")

    def test_cri_containers_run_and_report(self):
        self.need_runtime()
        pb, rt = self.cri()
        cfg = self.sandbox_config(pb, "pod1")
        sid = rt.RunPodSandbox(pb.RunPodSandboxRequest(
            config=cfg, runtime_handler="wasmaot"), timeout=60).pod_sandbox_id
        nso = pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER,
                                 ipc=pb.POD)

        def create(name, command, args=()):
            c = pb.ContainerConfig(
                metadata=pb.ContainerMetadata(name=name),
                image=pb.ImageSpec(image=IMAGE), command=command, args=args,
                log_path=name + ".log",
                envs=[pb.KeyValue(key="POD", value="pod1")],
                linux=pb.LinuxContainerConfig(
                    security_context=pb.LinuxContainerSecurityContext(
                        namespace_options=nso)))
            cid = rt.CreateContainer(pb.CreateContainerRequest(
                pod_sandbox_id=sid, config=c, sandbox_config=cfg),
                timeout=120).container_id
            rt.StartContainer(pb.StartContainerRequest(container_id=cid),
                              timeout=120)
            return cid

        def wait_exit(cid, timeout=120):
            deadline = time.time() + timeout
            while time.time() < deadline:
                st = rt.ContainerStatus(pb.ContainerStatusRequest(
                    container_id=cid), timeout=30).status
                if st.state == pb.CONTAINER_EXITED:
                    return st
                time.sleep(0.2)
            self.fail("container %s did not exit" % cid)

        hello = create("hello", [])
        seven = create("seven", ["/exit7.wasm"])
        rep = create("report", ["/bin/report.wasm"], ["x"])
        sleeper = create("sleeper", ["/sleeper.wasm"])
        st = wait_exit(hello)
        self.assertEqual((st.exit_code, st.reason), (0, "Completed"))
        with open(st.log_path) as f:
            log = f.read()
        self.assertRegex(log, r"^\S+ stdout F hello from wasm\n$")
        st = wait_exit(seven)
        self.assertEqual((st.exit_code, st.reason), (7, "Error"))
        st = wait_exit(rep)
        self.assertEqual(st.exit_code, 2)
        with open(st.log_path) as f:
            log = f.read()
        self.assertIn(" stdout F env=POD=pod1\n", log)
        self.assertIn(" stderr F report: 2 args\n", log)
        st = rt.ContainerStatus(pb.ContainerStatusRequest(
            container_id=sleeper), timeout=30).status
        self.assertEqual(st.state, pb.CONTAINER_RUNNING)
        # CRI names the image in the spec: what the shim falls back to for
        # a Wasm artifact (io.kubernetes.cri.image-name).
        with open(os.path.join(ENV.dir, "state", "io.containerd.runtime.v2."
                               "task", "k8s.io", sleeper, "config.json")) as f:
            ann = json.load(f).get("annotations", {})
        self.assertEqual(ann.get("io.kubernetes.cri.image-name"), IMAGE)
        rt.UpdateContainerResources(pb.UpdateContainerResourcesRequest(
            container_id=sleeper, linux=pb.LinuxContainerResources(
                memory_limit_in_bytes=96 << 20, cpu_shares=512)), timeout=30)
        cg = os.path.join("/sys/fs/cgroup/memory/k8s.io", sleeper,
                          "memory.limit_in_bytes")
        if not os.path.exists(cg):  # cgroup v2
            cg = os.path.join("/sys/fs/cgroup/k8s.io", sleeper, "memory.max")
        with open(cg) as f:
            self.assertEqual(int(f.read()), 96 << 20)
        rt.StopContainer(pb.StopContainerRequest(container_id=sleeper,
                                                 timeout=2), timeout=60)
        st = wait_exit(sleeper)
        self.assertIn(st.exit_code, (137, 143))
        for cid in (hello, seven, rep, sleeper):
            rt.RemoveContainer(pb.RemoveContainerRequest(container_id=cid),
                               timeout=60)
            self.assert_clean(cid, ns="k8s.io")
        rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=sid),
                          timeout=60)
        rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=sid),
                            timeout=60)
        self.assert_clean(sid, ns="k8s.io")


if __name__ == "__main__":
    unittest.main()
