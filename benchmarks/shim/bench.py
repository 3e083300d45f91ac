#!/usr/bin/python3
"""Benchmarks of containerd-shim-wasmaot-v1 against runc, on a private
containerd (the same fixture as tests/integration/shim/test_shim.py).

  1. `ctr run --rm` start-to-exit latency: a hello module under wasmaot
     (artifact cache warm) vs a busybox `echo hello` under runc;
  2. memory per running container: shim + task processes, RSS and PSS;
  3. density: sleeping containers started until a count or memory budget,
     with the per-container cost as more are added.

usage: bench.py --shim SHIM --wasmaot WASMAOT [--runs N] [--sleepers N]
Needs root, containerd, ctr, runc, umoci, wat2wasm, clang-19, busybox-static.
Prints a Markdown report on stdout. Not a test: it asserts only that every
container printed what it should.
"""

import argparse
import os
import statistics
import subprocess
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


def measure_latency(env, image, runtime, args, want, runs):
    times = []
    for i in range(runs + 1):
        cid = "lat-%s-%d" % (runtime.split(".")[-2], i)
        t0 = time.perf_counter()
        r = env.ctr("run", "--rm", "--runtime", runtime, image, cid, *args)
        dt = time.perf_counter() - t0
        if r.returncode != 0 or r.stdout != want:
            raise SystemExit("%s: rc %d, %r %r" % (cid, r.returncode,
                                                   r.stdout, r.stderr))
        if i:  # the first run warms caches (artifact cache, page cache)
            times.append(dt * 1000)
    return times


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
    pss = rss = 0
    procs = 0
    for s in shims:
        for p in [s] + children(s):
            a, b = pss_rss_kib(p)
            pss += a
            rss += b
            procs += 1
    with open("/proc/meminfo") as f:
        avail = [int(l.split()[1]) for l in f if
                 l.startswith("MemAvailable:")][0]
    for i in range(count):
        cid = "%s%d" % (prefix, i)
        env.ctr("task", "kill", "-s", "SIGKILL", cid)
    time.sleep(1)
    for i in range(count):
        cid = "%s%d" % (prefix, i)
        env.ctr("task", "delete", cid)
        env.ctr("container", "rm", cid)
    return {"shims": len(shims), "procs": procs, "pss": pss / count,
            "rss": rss / count, "start_ms": statistics.median(starts),
            "avail_kib": avail}


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
                    help="also start this many wasmaot sleepers at once")
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
        wasm = measure_latency(env, "docker.io/library/bench-wasm:latest",
                               t.RUNTIME, [], "hello from wasm\n", a.runs)
        runc = measure_latency(env, "docker.io/library/bench-native:latest",
                               "io.containerd.runc.v2", [], "hello\n", a.runs)
        print("## `ctr run --rm` start to exit (ms, %d runs after one warm-up)"
              % a.runs)
        print()
        print("| runtime | median | mean | p90 | min |")
        print("|---|---|---|---|---|")
        print("| wasmaot (hello.wasm, cached) | %s |" % fmt(wasm))
        print("| runc (busybox echo) | %s |" % fmt(runc))
        print()
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
        print("| runtime | PSS | RSS | processes | `ctr run -d` median ms |")
        print("|---|---|---|---|---|")
        for name, x in (("wasmaot", wm), ("runc", rm)):
            print("| %s | %.0f | %.0f | %d | %.1f |" % (
                name, x["pss"], x["rss"], x["procs"] / max(x["shims"], 1),
                x["start_ms"]))
        print()
        if a.density:
            d = measure_memory(env, "docker.io/library/bench-wasm:latest",
                               t.RUNTIME, ["/sleeper.wasm"],
                               "containerd-shim-wasmaot-v1", a.density, "md")
            fit = d["avail_kib"] / d["pss"]
            print("## Density")
            print()
            print("%d wasmaot sleepers ran at once: %.0f KiB PSS each, "
                  "%.0f MiB still available, so about %d more would fit in "
                  "memory (start time median %.1f ms)." % (
                      a.density, d["pss"], d["avail_kib"] / 1024,
                      fit, d["start_ms"]))
    finally:
        env.teardown()


if __name__ == "__main__":
    main()
