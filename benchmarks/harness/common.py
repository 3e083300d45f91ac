"""Shared plumbing for the benchmark harness: the run context, the kernel
list, build steps with up-to-date checks, and the `measure` helper that
times commands (see measure.c)."""

import os
import shlex
import statistics
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

CLANG = 'clang-19'
NATIVE_CFLAGS = ['-O2']
WASM_CFLAGS = ['--target=wasm32-wasi', '--sysroot=/usr', '-O2']
# Debian's wasi-libc objects carry DWARF; strip it so module sizes and
# compile times are about code, and give every module the same 1 MiB stack.
WASM_LDFLAGS = ['-Wl,--strip-debug', '-Wl,-z,stack-size=1048576']
KERNEL_WARNINGS = ['-Wall', '-Wextra', '-Werror']

# (name, what it stresses). Order is the order of every table and chart.
KERNELS = [
    ('matmul', 'float, SIMD'),
    ('blur', 'integer, SIMD, memory bandwidth'),
    ('nbody', 'float (double), sqrt/div'),
    ('mandelbrot', 'float, branchy'),
    ('sha256', 'integer'),
    ('sieve', 'memory-bound'),
    ('hashmap', 'memory-bound, random access'),
    ('qsort', 'branchy, recursion'),
    ('lz77', 'branchy, byte loads'),
    ('json', 'branchy, byte at a time'),
    ('interp', 'branchy, jump table'),
    ('fib', 'call-heavy'),
    ('vcall', 'indirect-call-heavy'),
]


@dataclass
class Kernel:
    name: str
    category: str
    src: Path
    native: Path  # clang -O2, dynamic
    wasm: Path  # wasm32-wasi with simd128 (what most engines run)
    scalar: Path  # wasm32-wasi without simd128 (for engines without SIMD)
    desc: str = ''
    static: Optional[Path] = None  # only hello: the static native binary


@dataclass
class Sample:
    wall: float  # seconds
    rss_kib: int
    user: float
    sys: float
    status: int
    same: bool


@dataclass
class Ctx:
    root: Path
    bench: Path
    work: Path
    quick: bool
    reps: int
    compile_reps: int
    startup_reps: int
    jobs: int
    timeout: int
    wasmaot: Path
    verbose: bool
    measure: Path = Path()
    decode_tool: Path = Path()
    large_reps: int = 1
    warmup: bool = True
    large_timeout: int = 1800
    cpus: Optional[List[int]] = None
    versions: Dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def log(self, msg):
        with self.lock:
            print(msg, file=sys.stderr, flush=True)

    def debug(self, msg):
        if self.verbose:
            self.log(msg)

    def rel(self, p):
        """A path as shown in the report: relative to the repository."""
        p = Path(p)
        try:
            return str(p.resolve().relative_to(self.root))
        except ValueError:
            return str(p)


def quote(argv):
    return ' '.join(shlex.quote(str(a)) for a in argv)


def show(ctx, cmds):
    """Commands as one shell line, with repository-relative paths."""
    parts = []
    for argv in cmds:
        shown = []
        for a in argv:
            s = str(a)
            if s.startswith('/') and (s.startswith(str(ctx.root)) or
                                      s.startswith(str(ctx.work))):
                s = ctx.rel(s)
            shown.append(s)
        parts.append(quote(shown))
    return ' && '.join(parts)


def capture(argv, timeout=60, env=None, cwd=None):
    """Runs a command, returns (status, stdout, stderr); never raises."""
    try:
        r = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout, env=env,
                           cwd=cwd)
        return (r.returncode, r.stdout.decode(errors='replace'),
                r.stderr.decode(errors='replace'))
    except FileNotFoundError as e:
        return 127, '', str(e)
    except subprocess.TimeoutExpired:
        return 124, '', f'timed out after {timeout} s'


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ''


class BuildError(Exception):
    pass


def up_to_date(out: Path, cmds, inputs) -> bool:
    stamp = out.with_name(out.name + '.cmd')
    if not out.exists() or not stamp.exists():
        return False
    if stamp.read_text() != repr(cmds):
        return False
    t = out.stat().st_mtime
    return all(Path(i).stat().st_mtime <= t for i in inputs)


def write_stamp(out: Path, cmds):
    out.with_name(out.name + '.cmd').write_text(repr(cmds))


def build(ctx, out: Path, cmds, inputs, cwd=None):
    """Runs cmds (a list of argv) unless `out` is newer than `inputs` and was
    made by the same commands."""
    cmds = [[str(a) for a in argv] for argv in cmds]
    if up_to_date(out, cmds, inputs):
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    for argv in cmds:
        ctx.debug('$ ' + quote(argv))
        status, so, se = capture(argv, timeout=1800, cwd=cwd)
        if status != 0:
            raise BuildError(f'{quote(argv)} failed ({status}):\n{se}{so}')
    write_stamp(out, cmds)


def run_measure(ctx, cmds, reps=1, out=None, timeout=None, reset=None,
                env=None, tag='run') -> List[Sample]:
    """Times `cmds` (run in sequence per repetition) with the measure helper.
    Stops at the first failing repetition; its status is in the sample.
    stderr of the last repetition is kept next to `out` for diagnostics."""
    logdir = ctx.work / 'logs'
    logdir.mkdir(parents=True, exist_ok=True)
    err = logdir / (tag + '.stderr')
    argv = [str(ctx.measure), '-n', str(reps), '-e', str(err),
            '-t', str(timeout or ctx.timeout)]
    if out:
        argv += ['-o', str(out)]
    if reset:
        argv += ['-r', str(reset)]
    argv.append('--')
    for i, c in enumerate(cmds):
        if i:
            argv.append(';;')
        argv += [str(a) for a in c]
    ctx.debug('$ ' + quote(argv))
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       env=env)
    if r.returncode != 0:
        raise BuildError('measure failed: ' + r.stderr.decode(errors='replace'))
    samples = []
    for line in r.stdout.decode().splitlines():
        f = line.split()
        samples.append(Sample(int(f[0]) / 1e9, int(f[1]), int(f[2]) / 1e6,
                              int(f[3]) / 1e6, int(f[4]), f[5] == '1'))
    return samples


def stderr_of(ctx, tag):
    p = ctx.work / 'logs' / (tag + '.stderr')
    try:
        return p.read_text(errors='replace')
    except OSError:
        return ''


@dataclass
class Stat:
    median: float
    lo: float
    hi: float
    n: int


def stat(values) -> Optional[Stat]:
    values = list(values)
    if not values:
        return None
    return Stat(statistics.median(values), min(values), max(values),
                len(values))


def geomean(values):
    values = [v for v in values if v and v > 0]
    if not values:
        return None
    return statistics.geometric_mean(values)


def env_with(extra):
    env = dict(os.environ)
    env.update(extra or {})
    return env
