#!/usr/bin/python3
"""Benchmarks of containerd-shim-wasmaot-v1 against runc, on a private
containerd (the same fixture as tests/integration/shim/test_shim.py).

  1. `ctr run --rm` start-to-exit latency (the two runtimes alternate run
     by run, so both see the same load): a hello module under wasmaot
     (artifact cache warm) vs a busybox `echo hello` under runc;
  2. memory per running container: shim + task processes, RSS and PSS;
  3. density: sleeping containers started one at a time until --density
     run at once or MemAvailable falls below --floor-mib (the machine may
     be shared), with the memory they took.

usage: bench.py --shim SHIM --wasmaot WASMAOT [--runs N] [--sleepers N]
                [--density N] [--floor-mib M]
Needs root, containerd, ctr, runc, umoci, wat2wasm, clang-19, busybox-static.
Prints a Markdown report on stdout. Not a test: it asserts only that every
container printed what it should.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration",
                                "shim"))


def pss_rss_kib(pid):
    """(PSS, RSS) of a process in KiB, from smaps_rollup."""
    pss = rss = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def module_rss_kib(pid):
    """Resident KiB of the Wasm linear memories of a runner. A memory is a
    large reservation (8 GiB in guard mode) whose committed start is a
    read-write anonymous mapping directly followed by the PROT_NONE rest."""
    vmas = []  # (lo, hi, perms, anonymous, rss)
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                fields = line.split()
                if "-" in fields[0] and len(fields) >= 5 and \
                        ":" in fields[3]:
                    lo, hi = (int(x, 16) for x in fields[0].split("-"))
                    vmas.append([lo, hi, fields[1], len(fields) == 5, 0])
                elif fields[0] == "Rss:" and vmas:
                    vmas[-1][4] = int(fields[1])
    except OSError:
        return 0
    total = 0
    for a, b in zip(vmas, vmas[1:]):
        if a[3] and a[2].startswith("rw") and b[0] == a[1] and \
                b[2].startswith("---") and b[1] - b[0] >= 1 << 30:
            total += a[4]
    return total


def mem_available_kib():
    with open("/proc/meminfo") as f:
        return [int(l.split()[1]) for l in f
                if l.startswith("MemAvailable:")][0]


def ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return 0
    return int(stat[stat.rindex(")") + 2:].split()[1])


def children(pid):
    """All descendants of pid (the ppid links: a process forked by another
    thread is not in the main thread's children file)."""
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def shim_pids(exe_name):
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.path.basename(os.readlink("/proc/%s/exe" % p)) == \
                        exe_name:
                    pids.append(int(p))
            except OSError:
                pass
    return pids


def run_once(env, image, runtime, args, want, cid):
    t0 = time.perf_counter()
    r = env.ctr("run", "--rm", "--runtime", runtime, image, cid, *args)
    dt = time.perf_counter() - t0
    if r.returncode != 0 or r.stdout != want:
        raise SystemExit("%s: rc %d, %r %r" % (cid, r.returncode, r.stdout,
                                               r.stderr))
    return dt * 1000


def measure_latency(env, sides, runs):
    """`ctr run --rm` wall times for each side (image, runtime, args,
    want), alternating run by run: on a shared machine the load drifts, and
    alternating exposes both runtimes to the same load. The first round
    warms caches (artifact cache, page cache) and is not counted."""
    times = [[] for _ in sides]
    for i in range(runs + 1):
        for k, (image, runtime, args, want) in enumerate(sides):
            cid = "lat-%s-%d" % (runtime.split(".")[-2], i)
            dt = run_once(env, image, runtime, args, want, cid)
            if i:
                times[k].append(dt)
    return times


def warm_sleeper(env, image, runtime, args):
    """Runs one sleeper until its runner has loaded the module (the seccomp
    filter goes on right before the start), so the artifact is cached and
    the measured runners never map the compiler."""
    env.ctr("run", "-d", "--runtime", runtime, image, "warm", *args,
            check=True)
    deadline = time.time() + 300
    done = False
    while not done and time.time() < deadline:
        r = env.ctr("task", "ps", "warm")
        for line in r.stdout.splitlines()[1:]:
            try:
                with open("/proc/%s/status" % line.split()[0]) as f:
                    done |= "Seccomp:\t2" in f.read()
            except (OSError, IndexError):
                pass
        time.sleep(0.2)
    env.ctr("task", "kill", "-s", "SIGKILL", "warm")
    time.sleep(1)
    env.ctr("task", "delete", "warm")
    env.ctr("container", "rm", "warm")
    if not done:
        raise SystemExit("the sleeper did not start within 300 s")


def measure_memory(env, image, runtime, args, shim_exe, count, prefix):
    """Starts count sleeping containers; returns per-container PSS/RSS of
    shim + task, and the time each start took."""
    before = set(shim_pids(shim_exe))
    starts = []
    for i in range(count):
        t0 = time.perf_counter()
        env.ctr("run", "-d", "--runtime", runtime, image, "%s%d" % (prefix, i),
                *args, check=True)
        starts.append((time.perf_counter() - t0) * 1000)
    time.sleep(2)
    shims = [p for p in shim_pids(shim_exe) if p not in before]
    # The wasmaot task's pid 1 is a fork of its shim: count each process
    # once, under the shim that containerd started.
    shims = [p for p in shims if ppid(p) not in shims]
    pss = rss = module = 0
    procs = 0
    for s in shims:
        for p in [s] + children(s):
            a, b = pss_rss_kib(p)
            pss += a
            rss += b
            module += module_rss_kib(p)
            procs += 1
    avail = mem_available_kib()
    for i in range(count):
        cid = "%s%d" % (prefix, i)
        env.ctr("task", "kill", "-s", "SIGKILL", cid)
    time.sleep(1)
    for i in range(count):
        cid = "%s%d" % (prefix, i)
        env.ctr("task", "delete", cid)
        env.ctr("container", "rm", cid)
    return {"shims": len(shims), "procs": procs, "pss": pss / count,
            "rss": rss / count, "module": module / count,
            "start_ms": statistics.median(starts), "avail_kib": avail}


def tree_pss_kib(shim_exe, before):
    """PSS of the shims started since `before` and their task processes."""
    shims = [p for p in shim_pids(shim_exe) if p not in before]
    total = 0
    for s in [p for p in shims if ppid(p) not in shims]:
        for p in [s] + children(s):
            total += pss_rss_kib(p)[0]
    return total


def measure_density(env, image, runtime, args, limit, floor_kib, shim_exe):
    """Starts sleepers one at a time until limit run, MemAvailable drops
    below floor_kib or a start fails. Returns (count, why it stopped,
    their total PSS in KiB, MemAvailable at the end, median start ms)."""
    before = set(shim_pids(shim_exe))
    starts = []
    why = "the bound of %d" % limit
    n = 0
    try:
        while n < limit:
            if mem_available_kib() < floor_kib:
                why = "the memory floor (MemAvailable < %d MiB)" % (
                    floor_kib // 1024)
                break
            t0 = time.perf_counter()
            r = env.ctr("run", "-d", "--runtime", runtime, image,
                        "dn%d" % n, *args)
            if r.returncode != 0:
                why = "a failed start: " + r.stderr.strip()[:200]
                env.ctr("container", "rm", "dn%d" % n)
                break
            starts.append((time.perf_counter() - t0) * 1000)
            n += 1
        time.sleep(2)
        pss = tree_pss_kib(shim_exe, before)
        avail = mem_available_kib()
    finally:
        for i in range(n):
            env.ctr("task", "kill", "-s", "SIGKILL", "dn%d" % i)
        time.sleep(1)
        for i in range(n):
            env.ctr("task", "delete", "dn%d" % i)
            env.ctr("container", "rm", "dn%d" % i)
    return n, why, pss, avail, statistics.median(starts) if starts else 0.0


def load_average():
    """The 1-minute load average: the machine may be shared, and a loaded
    machine slows runc's heavier start more than the shim's."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def fmt(xs):
    xs = sorted(xs)
    return "%.1f | %.1f | %.1f | %.1f" % (
        statistics.median(xs), statistics.mean(xs), xs[int(len(xs) * 0.9)],
        xs[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--wasmaot", required=True)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sleepers", type=int, default=20)
    ap.add_argument("--density", type=int, default=0,
                    help="also start up to this many wasmaot sleepers at "
                    "once")
    ap.add_argument("--floor-mib", type=int, default=2048,
                    help="stop the density run when MemAvailable falls "
                    "below this")
    a = ap.parse_args()
    os.environ["WL_SHIM"] = os.path.abspath(a.shim)
    os.environ["WL_WASMAOT"] = os.path.abspath(a.wasmaot)
    import test_shim as t
    if t.SKIP:
        raise SystemExit(t.SKIP)
    env = t.Env()
    try:
        env.build_modules()
        m = env.modules
        wasm_tar = env.build_image(
            "bench-wasm", {"/hello.wasm": os.path.join(m, "hello.wasm"),
                           "/sleeper.wasm": os.path.join(m, "sleeper.wasm")},
            ["/hello.wasm"])
        bb = "/bin/busybox"
        native_tar = env.build_image("bench-native", {"/bin/busybox": bb},
                                     ["/bin/busybox", "echo", "hello"],
                                     os_arch=("linux", "amd64"))
        env.start()
        env.import_image(wasm_tar, "docker.io/library/bench-wasm")
        env.import_image(native_tar, "docker.io/library/bench-native")
        reason = env.probe_runtime()
        if reason:
            raise SystemExit("cannot benchmark: " + reason)
        load_before = load_average()
        wasm, runc = measure_latency(env, [
            ("docker.io/library/bench-wasm:latest", t.RUNTIME, [],
             "hello from wasm\n"),
            ("docker.io/library/bench-native:latest", "io.containerd.runc.v2",
             [], "hello\n")], a.runs)
        print("## `ctr run --rm` start to exit (ms, %d runs each after one "
              "warm-up, alternating wasmaot and runc)" % a.runs)
        print()
        print("| runtime | median | mean | p90 | min |")
        print("|---|---|---|---|---|")
        print("| wasmaot (hello.wasm, cached) | %s |" % fmt(wasm))
        print("| runc (busybox echo) | %s |" % fmt(runc))
        print()
        print("wasmaot / runc: median %.2fx, mean %.2fx, min %.2fx (goal: at "
              "most 0.5x). 1-minute load average %s before, %s after, on %d "
              "CPUs." % (
                  statistics.median(wasm) / statistics.median(runc),
                  statistics.mean(wasm) / statistics.mean(runc),
                  min(wasm) / min(runc), load_before, load_average(),
                  os.cpu_count()))
        print()
        warm_sleeper(env, "docker.io/library/bench-wasm:latest", t.RUNTIME,
                     ["/sleeper.wasm"])
        wm = measure_memory(env, "docker.io/library/bench-wasm:latest",
                            t.RUNTIME, ["/sleeper.wasm"],
                            "containerd-shim-wasmaot-v1", a.sleepers, "mw")
        rm = measure_memory(env, "docker.io/library/bench-native:latest",
                            "io.containerd.runc.v2",
                            ["/bin/busybox", "sleep", "100000"],
                            "containerd-shim-runc-v2", a.sleepers, "mr")
        print("## Memory per sleeping container (%d running, KiB)" %
              a.sleepers)
        print()
        print("| runtime | PSS | RSS | of which Wasm linear memory | RSS "
              "above it | processes | `ctr run -d` median ms |")
        print("|---|---|---|---|---|---|---|")
        for name, x in (("wasmaot", wm), ("runc", rm)):
            print("| %s | %.0f | %.0f | %.0f | %.0f | %d | %.1f |" % (
                name, x["pss"], x["rss"], x["module"], x["rss"] - x["module"],
                x["procs"] / max(x["shims"], 1), x["start_ms"]))
        print()
        if a.density:
            n, why, pss, avail, start = measure_density(
                env, "docker.io/library/bench-wasm:latest", t.RUNTIME,
                ["/sleeper.wasm"], a.density, a.floor_mib * 1024,
                "containerd-shim-wasmaot-v1")
            each = pss / max(n, 1)
            print("## Density")
            print()
            print("%d wasmaot sleepers ran at once (stopped by %s): "
                  "%.1f MiB PSS for all their shims and tasks, %.0f KiB "
                  "each; `ctr run -d` median %.1f ms. MemAvailable was "
                  "still %.0f MiB, room for about %d more at that cost "
                  "(containerd's own growth not counted)." % (
                      n, why, pss / 1024, each, start, avail / 1024,
                      avail / max(each, 1)))
    finally:
        env.teardown()


if __name__ == "__main__":
    main()
