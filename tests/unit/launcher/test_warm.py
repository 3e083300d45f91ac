#!/usr/bin/env python3
"""`wasmaot warm` fills the artifact cache from an image so that the next
`wasmaot run IMAGE` is a hit, reports an entry already there, and names a
reference it cannot warm while still warming the others."""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean

from common import check, compiles, env_for, hits, run, workdir
from test_run_image import build_layout


def warm_then_run_hits():
    base = workdir()
    layout, _ = build_layout(base)
    env = env_for(os.path.join(base, "cache"), os.path.join(base, "store"))
    env["TMPDIR"] = os.path.join(base, "tmp")
    os.mkdir(env["TMPDIR"])
    ref = "oci:%s:rootfs" % layout
    p = run(["warm", ref], env)
    check(p.stdout.startswith("warm: %s: target host: compiled (" % ref),
          "first warm: " + p.stdout)
    check(compiles(p.stderr) == 1, "warm should compile once: " + p.stderr)
    # Warming leaves no unpacked rootfs behind.
    check(os.listdir(env["TMPDIR"]) == [],
          "left in TMPDIR: %s" % os.listdir(env["TMPDIR"]))
    p = run(["run", ref], env)
    check(p.stdout == "greetings from the rootfs\n", "run: " + p.stdout)
    check(compiles(p.stderr) == 0, "run after warm compiled: " + p.stderr)
    check(hits(p.stderr) == 1, "run after warm should hit: " + p.stderr)


def warm_twice_already_cached():
    base = workdir()
    layout, _ = build_layout(base)
    env = env_for(os.path.join(base, "cache"), os.path.join(base, "store"))
    ref = "oci:%s:artifact" % layout
    first = run(["warm", ref], env).stdout
    p = run(["warm", ref], env)
    check(p.stdout.startswith("warm: %s: target host: already cached (" % ref),
          "second warm: " + p.stdout)
    check(compiles(p.stderr) == 0, "second warm compiled: " + p.stderr)
    key = first.split("(")[-1]
    check(p.stdout.endswith(key), "keys differ: %s vs %s" % (first, p.stdout))


def bad_reference_is_named():
    base = workdir()
    layout, _ = build_layout(base)
    env = env_for(os.path.join(base, "cache"), os.path.join(base, "store"))
    bad = "oci:%s:no-such-tag" % layout
    good = "oci:%s:artifact" % layout
    p = run(["warm", bad, good], env, expect_rc=1)
    check(bad in p.stderr, "the error does not name %s: %s" % (bad, p.stderr))
    check("warm: %s: target host: compiled" % good in p.stdout,
          "the good reference was not warmed: " + p.stdout)
    p = run(["warm", "--push", good], env, expect_rc=2)
    check("--sign-key" in p.stderr, "--push without a key: " + p.stderr)


def cross_target():
    base = workdir()
    layout, _ = build_layout(base)
    env = env_for(os.path.join(base, "cache"), os.path.join(base, "store"))
    ref = "oci:%s:artifact" % layout
    other = ("aarch64-unknown-linux-gnu" if os.uname().machine == "x86_64"
             else "x86_64-unknown-linux-gnu")
    p = run(["warm", ref, "--target", "host", "--target", other], env)
    lines = p.stdout.splitlines()
    check(len(lines) == 2 and
          lines[1].startswith("warm: %s: target %s: compiled (" % (ref, other)),
          "cross warm: " + p.stdout)
    check(lines[0].split("(")[1] != lines[1].split("(")[1],
          "host and cross entries share a key: " + p.stdout)
    # The host entry is the one `run` uses.
    p = run(["run", ref, "hello"], env)
    check(hits(p.stderr) == 1 and compiles(p.stderr) == 0,
          "run after cross warm: " + p.stderr)
    # An entry for another architecture is valid, not damage: verify keeps
    # it (and export ships it).
    p = run(["cache", "verify"], env)
    p = run(["cache", "ls"], env)
    check(len([l for l in p.stdout.splitlines()[1:] if l.strip()]) == 2,
          "cache verify dropped the cross entry: " + p.stdout)


if __name__ == "__main__":
    case = sys.argv[1]
    globals()[case]()
    print("PASS " + case)
