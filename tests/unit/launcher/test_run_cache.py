#!/usr/bin/env python3
"""`wasmaot run FILE.wasm` through the artifact cache (docs/cache.md).

Each case uses its own cache directory. $WASMAOT_DEBUG_CACHE=1 makes the
launcher log hits and compiles on stderr, which is how compiles are
counted."""
import os
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
import time

from common import (PROG, WASMAOT, check, compiles, entries, env_for, fail,
                    hits, run, workdir)


def maps_of_waiting_run(env):
    """Starts `run prog.wasm wait`, reads /proc/PID/maps while the module
    blocks on stdin, then lets it finish. Returns (maps, stderr)."""
    p = subprocess.Popen([WASMAOT, "run", PROG, "wait"], env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if line.strip() != "waiting":
        p.kill()
        fail("expected 'waiting', got %r; stderr: %s" % (line, p.stderr.read()))
    with open("/proc/%d/maps" % p.pid) as f:
        maps = f.read()
    out, err = p.communicate("", timeout=60)
    check(p.returncode == 0 and out.strip() == "done",
          "wait run failed: rc %d, %r, %s" % (p.returncode, out, err))
    return maps, err


def hit_does_not_map_llvm():
    cache = os.path.join(workdir(), "cache")
    env = env_for(cache)
    # The first run compiles: the compiler and libLLVM are mapped (this
    # shows the check below can see them).
    maps, err = maps_of_waiting_run(env)
    check(compiles(err) == 1, "first run did not compile: " + err)
    check("libLLVM" in maps and "libwasmaot_compiler" in maps,
          "a compiling run should map libLLVM")
    maps, err = maps_of_waiting_run(env)
    check(hits(err) == 1 and compiles(err) == 0,
          "second run is not a hit: " + err)
    check("libLLVM" not in maps, "libLLVM is mapped on a cache hit")
    check("libwasmaot_compiler" not in maps,
          "the compiler is mapped on a cache hit")
    # Nor are the libraries only pulls and archives need (oci/lazy.c).
    for lib in ("libcurl", "libarchive"):
        check(lib not in maps, "%s is mapped on a cache hit" % lib)
    p = run(["run", PROG, "hello"], env)
    check(p.stdout == "hello from wasm\n", "wrong output " + p.stdout)


def parallel_misses_compile_once():
    cache = os.path.join(workdir(), "cache")
    env = env_for(cache)
    procs = [subprocess.Popen([WASMAOT, "run", PROG, "hello"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(8)]
    n_compiles = 0
    for p in procs:
        out, err = p.communicate(timeout=240)
        check(p.returncode == 0 and out == "hello from wasm\n",
              "a parallel run failed: rc %d %r %s" % (p.returncode, out, err))
        n_compiles += compiles(err)
    check(n_compiles == 1, "%d compiles for 8 parallel misses" % n_compiles)
    wao = [e for e in entries(cache) if e.endswith(".wao")]
    check(len(wao) == 1, "expected one entry, have %s" % entries(cache))


def kill_during_compile_leaves_no_entry():
    cache = os.path.join(workdir(), "cache")
    env = env_for(cache)
    p = subprocess.Popen([WASMAOT, "run", PROG, "hello"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    line = p.stderr.readline()
    check("compiling" in line, "expected the compile log line, got %r" % line)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    check(p.returncode == -signal.SIGKILL, "not killed: %d" % p.returncode)
    wao = [e for e in entries(cache) if e.endswith(".wao")]
    check(not wao, "an entry is visible after kill -9: %s" % wao)
    ls = run(["cache", "ls"], env)
    check(len(ls.stdout.strip().splitlines()) <= 1,
          "cache ls lists entries: " + ls.stdout)
    # The next run compiles (removing any temp file) and works.
    q = run(["run", PROG, "hello"], env)
    check(q.stdout == "hello from wasm\n" and compiles(q.stderr) == 1,
          "rerun after kill: " + q.stderr)
    left = [e for e in entries(cache) if ".tmp." in e]
    check(not left, "temp files left: %s" % left)


def damage(path, how):
    os.chmod(path, 0o600)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        if how == "corrupt":
            f.seek(size // 2)
            b = f.read(1)
            f.seek(size // 2)
            f.write(bytes([b[0] ^ 0xFF]))
        else:
            f.truncate(size // 2)
    os.chmod(path, 0o400)


def damaged_entry_is_recompiled():
    cache = os.path.join(workdir(), "cache")
    env = env_for(cache)
    run(["run", PROG, "hello"], env)
    for how in ("corrupt", "truncate"):
        wao = [e for e in entries(cache) if e.endswith(".wao")]
        check(len(wao) == 1, "expected one entry: %s" % entries(cache))
        damage(wao[0], how)
        p = run(["run", PROG, "args", how], env)
        check("argv[2]=%s" % how in p.stdout, "wrong output: " + p.stdout)
        check("warning" in p.stderr and "damaged cache entry" in p.stderr,
              "%s entry: no warning: %s" % (how, p.stderr))
        check(compiles(p.stderr) == 1, "%s entry not recompiled" % how)
        q = run(["run", PROG, "hello"], env)
        check(hits(q.stderr) == 1 and "warning" not in q.stderr,
              "after repair the entry should hit cleanly: " + q.stderr)


def snapshot(cache):
    snap = {}
    for root, dirs, files in os.walk(cache):
        for n in dirs + files:
            p = os.path.join(root, n)
            st = os.lstat(p)
            snap[p] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return snap


def no_cache_leaves_cache_alone():
    base = workdir()
    cache = os.path.join(base, "cache")
    env = env_for(cache)
    p = run(["run", "--no-cache", PROG, "hello"], env)
    check(p.stdout == "hello from wasm\n", "wrong output " + p.stdout)
    check(not os.path.exists(cache), "--no-cache created the cache directory")
    run(["run", PROG, "hello"], env)
    before = snapshot(cache)
    time.sleep(0.05)  # a hit would move the entry's mtime
    p = run(["run", "--no-cache", PROG, "hello"], env)
    check(hits(p.stderr) == 0, "--no-cache looked up the cache: " + p.stderr)
    check(snapshot(cache) == before, "--no-cache changed the cache")


BIGDATA_C = r"""
#include <stdio.h>
#include <string.h>
/* 96 KiB of data at a page-misaligned address, so that a mapping must
 * copy a head and a tail around its whole pages. */
__attribute__((aligned(1))) unsigned char pad[1000] = {1};
unsigned char blob[96 * 1024] = {
#include "blob.inc"
};
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "wait") == 0) {
    printf("waiting\n");
    fflush(stdout);
    getchar();
  }
  fwrite(blob, 1, sizeof blob, stdout);
  blob[5000] ^= 0xff; /* a write into a mapped page stays private */
  fwrite(blob, 1, sizeof blob, stdout);
  return 0;
}
"""


def large_data_is_mapped_from_the_entry():
    d = workdir()
    blob = bytes((i * 7919 + (i >> 8)) & 0xff for i in range(96 * 1024))
    with open(os.path.join(d, "blob.inc"), "w") as f:
        f.write(",".join(str(b) for b in blob))
    with open(os.path.join(d, "bigdata.c"), "w") as f:
        f.write(BIGDATA_C)
    wasm = os.path.join(d, "bigdata.wasm")
    subprocess.run([os.environ["WL_CLANG"], "--target=wasm32-wasi", "-O2",
                    os.path.join(d, "bigdata.c"), "-o", wasm], check=True)
    changed = bytearray(blob)
    changed[5000] ^= 0xff
    want = blob + bytes(changed)
    cache = os.path.join(d, "cache")
    env = env_for(cache)
    for bounds in ("guard", "explicit"):
        for attempt in ("miss", "hit"):
            p = subprocess.run([WASMAOT, "run", "--bounds", bounds, wasm],
                               env=env, capture_output=True, timeout=240)
            check(p.returncode == 0 and p.stdout == want,
                  "%s %s: rc %d, %d bytes of output, stderr %s" %
                  (bounds, attempt, p.returncode, len(p.stdout), p.stderr))
    # A guard-mode hit maps the segment's whole pages from the entry,
    # copy-on-write: the entry shows up a second time, writable.
    p = subprocess.Popen([WASMAOT, "run", wasm, "wait"], env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    check(p.stdout.readline() == b"waiting\n", "no 'waiting' line")
    with open("/proc/%d/maps" % p.pid) as f:
        maps = f.read()
    out, err = p.communicate(b"\n", timeout=60)
    check(p.returncode == 0 and out == want, "wait run failed: %s" % err)
    wao = [l for l in maps.splitlines() if l.endswith(".wao")]
    check(any(l.split()[1] == "rw-p" for l in wao),
          "no copy-on-write mapping of the entry:\n" + "\n".join(wao))
    # The pre-linked code runs from the entry's own pages, never copied.
    check(any(l.split()[1] == "r-xp" for l in wao),
          "the code is not mapped from the entry:\n" + "\n".join(wao))
    # The entry itself is untouched by the module's write.
    p = run(["cache", "verify"], env)


if __name__ == "__main__":
    case = sys.argv[1]
    globals()[case]()
    print("PASS " + case)
