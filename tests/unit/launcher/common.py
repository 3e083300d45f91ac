"""Helpers shared by the launcher tests: run wasmaot with a private cache
and image store, and fail with the command's output."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile

WASMAOT = os.environ["WASMAOT"]
PROG = os.environ["WL_PROG"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def workdir():
    d = tempfile.mkdtemp(prefix="wl-test-")
    atexit.register(shutil.rmtree, d, True)
    return d


def env_for(cache, store=None, debug=True):
    env = dict(os.environ)
    env["WASMAOT_CACHE_DIR"] = cache
    env["WASMAOT_STORE_DIR"] = store or os.path.join(cache, "..", "store")
    env.pop("WASMAOT_DEBUG_CACHE", None)
    if debug:
        env["WASMAOT_DEBUG_CACHE"] = "1"
    return env


def run(args, env, stdin=None, expect_rc=0):
    p = subprocess.run([WASMAOT] + args, env=env, input=stdin,
                       capture_output=True, text=True, timeout=240)
    if expect_rc is not None and p.returncode != expect_rc:
        fail("%s exited %d (expected %d)\nstdout:\n%s\nstderr:\n%s" %
             (" ".join(args), p.returncode, expect_rc, p.stdout, p.stderr))
    return p


def compiles(stderr):
    return sum(1 for l in stderr.splitlines()
               if l.startswith("wasmaot: cache: miss") and "compiling" in l)


def hits(stderr):
    return sum(1 for l in stderr.splitlines()
               if l.startswith("wasmaot: cache: hit"))


def entries(cache):
    out = []
    objs = os.path.join(cache, "objects")
    for root, _, files in os.walk(objs):
        out += [os.path.join(root, f) for f in files]
    return sorted(out)
