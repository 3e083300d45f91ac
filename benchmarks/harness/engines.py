"""The engines the benchmarks compare. ENGINES at the bottom is the table:
one entry per engine. Each class knows how to detect its engine (by running
hello.wasm), prepare a kernel ahead of time (compile, translate), run it, and
start hello-world cold and cached."""

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from common import (CLANG, KERNEL_WARNINGS, NATIVE_CFLAGS, BuildError,
                    build, capture, env_with, first_line)


@dataclass
class Startup:
    """One way of starting hello-world. `cold` and `cached` are command
    sequences (None when the engine has no such notion); `warm` is run once,
    untimed, before the cached measurement; `reset` is deleted before every
    cold repetition."""
    method: str
    cold: Optional[list]
    cached: Optional[list]
    warm: Optional[list] = None
    reset: Optional[Path] = None
    tag: str = ''  # short label for the chart


class Engine:
    key = ''
    label = ''
    variant = 'simd'  # module it runs: 'simd', 'scalar' (no simd128), 'native'
    reference = False  # a native build, not a Wasm engine
    timed = True  # False: too slow for the full sizes, checked in --quick only
    default = True  # used when --engines is not given
    quick = True  # takes part in --quick (the CTest checksum test)
    always_prepare = False  # inputs not fully known (e.g. a .so): no skipping
    note = ''  # footnote for the report

    def __init__(self):
        self.reason = None  # why unavailable, or None
        self.version = ''
        self.mode = ''  # engine-specific detail shown in the report

    # -- detection -------------------------------------------------------
    def detect(self, ctx, hello, expected) -> Optional[str]:
        """Returns None when the engine runs hello.wasm correctly, else the
        reason it is unavailable."""
        return None

    def check_hello(self, ctx, hello, expected):
        try:
            for argv in self.prepare(ctx, hello):
                status, so, se = capture(argv, timeout=600)
                if status != 0:
                    return f'preparing hello failed: {first_line(se + so)}'
        except BuildError as e:
            return str(e).splitlines()[0]
        status, so, se = capture(self.run(ctx, hello, []), timeout=120,
                                 env=self.env(ctx))
        if status != 0 or so != expected:
            why = first_line(se) or first_line(so) or f'exit status {status}'
            return f'hello.wasm: {why}'
        return None

    def setup(self, ctx):
        """Builds pieces shared by all kernels (runtimes, glue)."""

    # -- per kernel ------------------------------------------------------
    def module(self, k) -> Path:
        return k.scalar if self.variant == 'scalar' else k.wasm

    def dir(self, ctx) -> Path:
        return ctx.work / self.key

    def artifact(self, ctx, k) -> Optional[Path]:
        """The file prepare() produces, whose size is reported."""
        return None

    def prepare(self, ctx, k) -> List[list]:
        """Commands that prepare kernel k ahead of time (timed as compile)."""
        return []

    def prepare_inputs(self, ctx, k) -> List[Path]:
        return [self.module(k)]

    def run(self, ctx, k, args) -> list:
        raise NotImplementedError

    def env(self, ctx):
        return None

    def startup(self, ctx, k) -> List[Startup]:
        return []


class Native(Engine):
    """The C source compiled natively: the reference every ratio uses."""
    variant = 'native'
    reference = True

    def __init__(self, key, label, flags, startup=True, quick=True):
        super().__init__()
        self.key, self.label, self.flags = key, label, flags
        self.with_startup = startup
        self.quick = quick

    def detect(self, ctx, hello, expected):
        status, so, se = capture([CLANG, '--version'])
        if status != 0:
            return f'{CLANG} not found'
        self.version = first_line(so)
        if '-march=native' in self.flags:
            self.mode = 'host CPU: ' + host_march()
        return None

    def artifact(self, ctx, k):
        return self.dir(ctx) / k.name

    def prepare(self, ctx, k):
        self.dir(ctx).mkdir(parents=True, exist_ok=True)
        return [[CLANG, *NATIVE_CFLAGS, *self.flags, *KERNEL_WARNINGS,
                 str(k.src), '-lm', '-o', str(self.artifact(ctx, k))]]

    def prepare_inputs(self, ctx, k):
        return [k.src, ctx.bench / 'kernels' / 'bench.h']

    def run(self, ctx, k, args):
        return [str(self.artifact(ctx, k)), *args]

    def startup(self, ctx, k):
        if not self.with_startup:
            return []
        return [Startup('static binary', None, [[str(k.static)]],
                        tag='static'),
                Startup('dynamic binary', None, [self.run(ctx, k, [])],
                        tag='dynamic')]


def host_march():
    status, so, se = capture([CLANG, '-march=native', '-###', '-x', 'c',
                              '-c', '/dev/null'])
    m = re.search(r'"-target-cpu" "([^"]+)"', se)
    return m.group(1) if m else 'unknown'


class Wasmaot(Engine):
    """wasmaot, ahead of time: `wasmaot compile --bounds B -o k.wao k.wasm`,
    then `wasmaot run k.wao`. Falls back to `wasmaot run --bounds B k.wasm`
    when the binary has no compile command."""
    always_prepare = True  # the compiler is a dlopen()ed .so we cannot see

    def __init__(self, bounds, scalar=False):
        super().__init__()
        self.bounds = bounds
        self.key = f'wasmaot-{bounds}' + ('-scalar' if scalar else '')
        self.label = f'wasmaot --bounds {bounds}'
        self.mode = 'aot'
        if scalar:
            # the like-for-like comparison with wasm2c, and what SIMD buys
            self.variant = 'scalar'
            self.label += ' (build without simd128)'
            self.note = ('runs the build without simd128: like for like '
                         'with wasm2c, and the difference to the simd128 '
                         'column is what SIMD buys')
            self.quick = False
            self.with_startup = False
        else:
            self.with_startup = True

    def cache_dir(self, ctx):
        return self.dir(ctx) / 'cache'

    def env(self, ctx):
        # Keep its artifact cache private to the benchmark work tree.
        return env_with({'WASMAOT_CACHE_DIR': str(self.cache_dir(ctx))})

    def detect(self, ctx, hello, expected):
        w = ctx.wasmaot
        if not w.exists():
            return f'no wasmaot binary at {ctx.rel(w)} (build it first)'
        self.cache_dir(ctx).mkdir(parents=True, exist_ok=True)
        status, so, se = capture([w, 'version'])
        self.version = first_line(so) if status == 0 else ''
        self.mode = 'aot'
        why = self.check_hello(ctx, hello, expected)
        if why is None:
            return None
        self.mode = 'direct'
        why_direct = self.check_hello(ctx, hello, expected)
        if why_direct is None:
            return None
        self.mode = 'aot'
        return f'`wasmaot compile` + `run`: {why}; `wasmaot run --bounds`: ' \
               f'{why_direct}'

    def artifact(self, ctx, k):
        return self.dir(ctx) / (k.name + '.wao') if self.mode == 'aot' else None

    def prepare(self, ctx, k):
        if self.mode != 'aot':
            return []
        self.dir(ctx).mkdir(parents=True, exist_ok=True)
        return [[str(ctx.wasmaot), 'compile', '--bounds', self.bounds, '-o',
                 str(self.artifact(ctx, k)), str(self.module(k))]]

    def prepare_inputs(self, ctx, k):
        return [self.module(k), ctx.wasmaot]

    def run(self, ctx, k, args):
        if self.mode == 'aot':
            return [str(ctx.wasmaot), 'run', str(self.artifact(ctx, k)), *args]
        return [str(ctx.wasmaot), 'run', '--bounds', self.bounds,
                str(self.module(k)), *args]

    def startup(self, ctx, k):
        if not self.with_startup:
            return []
        direct = [[str(ctx.wasmaot), 'run', '--bounds', self.bounds,
                   str(self.module(k))]]
        rows = []
        if self.mode == 'aot':
            rows.append(Startup('`compile` then `run` the .wao; cached: run '
                                'the .wao', self.prepare(ctx, k) +
                                [self.run(ctx, k, [])],
                                [self.run(ctx, k, [])], tag='.wao'))
        # Cold: empty private cache; cached: the same command once the cache
        # has been filled (equal to cold when `run` does not use the cache).
        rows.append(Startup('`run` the .wasm; cold: empty cache, cached: '
                            'second run', direct, direct, warm=direct,
                            reset=self.cache_dir(ctx), tag='run .wasm'))
        return rows


class Wasm2c(Engine):
    """wabt's wasm2c: Wasm -> C, compiled with clang-19 -O2 together with
    wabt's wasm-rt runtime and our WASI glue (benchmarks/wasm2c/). wasm2c
    1.0.32 aborts on SIMD, so it runs the scalar build of each kernel."""
    variant = 'scalar'
    note = 'runs the build without simd128: wasm2c 1.0.32 cannot translate SIMD'
    RT = Path('/usr/share/wabt/wasm2c')

    def __init__(self, mode, default=True):
        super().__init__()
        self.key = f'wasm2c-{mode}'
        self.mode = mode
        self.default = self.quick = default
        self.label = f'wasm2c + clang-19 -O2 ({mode})'
        # guard: wasm-rt's default on 64-bit (guard pages + signal handler);
        # bounds: explicit checks (and call-depth counting, as wasm-rt does).
        self.defines = [] if mode == 'guard' else [
            '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0']

    def glue(self, ctx):
        return ctx.bench / 'wasm2c'

    def rt_objects(self, ctx):
        d = self.dir(ctx) / 'runtime'
        return d / 'wasm-rt-impl.o', d / 'wasi.o'

    def detect(self, ctx, hello, expected):
        if not shutil.which('wasm2c'):
            return 'wasm2c not found (Debian package wabt)'
        if not (self.RT / 'wasm-rt-impl.c').exists():
            return f'{self.RT}/wasm-rt-impl.c not found (Debian package wabt)'
        status, so, se = capture(['wasm2c', '--version'])
        self.version = 'wasm2c ' + first_line(so)
        try:
            self.setup(ctx)
        except BuildError as e:
            return str(e).splitlines()[0]
        return self.check_hello(ctx, hello, expected)

    def setup(self, ctx):
        rt, wasi = self.rt_objects(ctx)
        base = [CLANG, *NATIVE_CFLAGS, *self.defines]
        build(ctx, rt, [[*base, '-w', '-I', str(self.RT), '-c',
                         str(self.RT / 'wasm-rt-impl.c'), '-o', str(rt)]],
              [self.RT / 'wasm-rt-impl.c'])
        build(ctx, wasi, [[*base, '-std=c11', '-D_GNU_SOURCE', '-Wall',
                           '-Wextra', '-Werror', '-I', str(self.glue(ctx)),
                           '-c', str(self.glue(ctx) / 'wasi.c'), '-o',
                           str(wasi)]],
              [self.glue(ctx) / 'wasi.c', self.glue(ctx) / 'wasi.h'])

    def kdir(self, ctx, k):
        return self.dir(ctx) / k.name

    def artifact(self, ctx, k):
        return self.kdir(ctx, k) / 'kernel.o'

    def exe(self, ctx, k):
        return self.kdir(ctx, k) / k.name

    def prepare(self, ctx, k):
        d = self.kdir(ctx, k)
        d.mkdir(parents=True, exist_ok=True)
        rt, wasi = self.rt_objects(ctx)
        base = [CLANG, *NATIVE_CFLAGS, *self.defines]
        return [
            ['wasm2c', '-n', 'kernel', str(k.scalar), '-o', str(d / 'kernel.c')],
            # generated code is not ours: no warnings for it
            [*base, '-w', '-I', str(d), '-c', str(d / 'kernel.c'), '-o',
             str(d / 'kernel.o')],
            [*base, '-Wall', '-Wextra', '-Werror', '-I', str(d), '-I',
             str(self.glue(ctx)), '-I', str(self.RT), '-c',
             str(self.glue(ctx) / 'main.c'), '-o', str(d / 'main.o')],
            [CLANG, str(d / 'kernel.o'), str(d / 'main.o'), str(wasi), str(rt),
             '-lm', '-o', str(self.exe(ctx, k))],
        ]

    def prepare_inputs(self, ctx, k):
        return [k.scalar, *self.rt_objects(ctx), self.glue(ctx) / 'main.c',
                self.glue(ctx) / 'wasi.h']

    def run(self, ctx, k, args):
        return [str(self.exe(ctx, k)), *args]

    def startup(self, ctx, k):
        return [Startup('cold: wasm2c + clang + run; cached: run the binary',
                        self.prepare(ctx, k) + [self.run(ctx, k, [])],
                        [self.run(ctx, k, [])])]


class Node(Engine):
    """node's V8 through node:wasi (benchmarks/node/run-wasi.mjs). The time
    includes V8's compilation: V8 has no ahead-of-time mode."""

    def __init__(self, key, label, v8_flags, default=True):
        super().__init__()
        self.key, self.label, self.v8_flags = key, label, v8_flags
        self.default = self.quick = default
        self.mode = ' '.join(v8_flags) or 'default tiering'

    def detect(self, ctx, hello, expected):
        status, so, se = capture(['node', '--version'])
        if status != 0:
            return 'node not found (Debian package nodejs)'
        self.version = 'node ' + first_line(so)
        m = re.match(r'v(\d+)', first_line(so))
        if not m or int(m.group(1)) < 20:
            return f'node {first_line(so)}: node:wasi preview1 needs node 20+'
        return self.check_hello(ctx, hello, expected)

    def run(self, ctx, k, args):
        # --no-turbo-fast-api-calls: node 20's node:wasi fast API calls crash
        # (SIGSEGV after the module exits) once memory has grown to tens of
        # MiB, cf. nodejs/node#53087. Kernels make a handful of WASI calls, so
        # the slower call path costs nothing measurable.
        return ['node', '--no-warnings', '--no-turbo-fast-api-calls',
                *self.v8_flags,
                str(ctx.bench / 'node' / 'run-wasi.mjs'), str(self.module(k)),
                *args]

    def startup(self, ctx, k):
        return [Startup('compile + run (no persistent code cache)',
                        [self.run(ctx, k, [])], None)]


class WabtInterp(Engine):
    """wabt's interpreter, if it was built with WASI support. Far too slow for
    the full sizes: it only takes part in the --quick checksum run."""
    key = 'wasm-interp'
    label = 'wabt wasm-interp (interpreter)'
    timed = False

    def detect(self, ctx, hello, expected):
        if not shutil.which('wasm-interp'):
            return 'wasm-interp not found (Debian package wabt)'
        status, so, se = capture(['wasm-interp', '--version'])
        self.version = 'wasm-interp ' + first_line(so)
        return self.check_hello(ctx, hello, expected)

    def run(self, ctx, k, args):
        return ['wasm-interp', '--wasi', str(self.module(k)), *args]


# The engines, in table order. Adding an engine is one entry here. Those
# with default=False run only when named in --engines (or --engines all);
# quick=False ones are left out of --quick to keep the CTest short.
def all_engines():
    return [
        Native('native', 'native (clang-19 -O2)', []),
        # clang-19 warns about this CPU's avx10.1 feature set (not our code);
        # no FMA contraction, which Wasm forbids, so checksums stay identical
        Native('native-host', 'native (clang-19 -O2 -march=native)',
               ['-march=native', '-Wno-invalid-feature-combination',
                '-ffp-contract=off'],
               startup=False, quick=False),
        Wasmaot('guard'),
        Wasmaot('explicit'),
        Wasmaot('guard', scalar=True),
        Wasm2c('guard'),
        Wasm2c('bounds', default=False),
        Node('node', 'node 20 / V8 (Liftoff + TurboFan tier-up)', []),
        Node('node-liftoff', 'node 20 / V8 (Liftoff only)',
             ['--liftoff', '--no-wasm-tier-up'], default=False),
        WabtInterp(),
    ]
