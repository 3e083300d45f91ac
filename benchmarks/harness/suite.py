"""The benchmark run: build the kernels, detect the engines, check checksums
(--quick stops there), then measure run time, compile time, start-up and
memory, and hand the results to report.py. Results are also saved as JSON
(WORK/results.json) so the report can be re-rendered with --from-json."""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import engines as engines_mod
import large
import report
from common import (CLANG, KERNEL_WARNINGS, KERNELS, NATIVE_CFLAGS,
                    WASM_CFLAGS, WASM_LDFLAGS, BuildError, Ctx, Kernel, build,
                    capture, first_line, run_measure, show, stderr_of)


def parse_args(argv, root):
    p = argparse.ArgumentParser(
        prog='benchmarks/run',
        description='Build and run the wasmaot benchmark suite against '
        'native code and other Wasm engines, and write docs/benchmarks.md.')
    p.add_argument('--quick', action='store_true',
                   help='small sizes, one run each: only check that every '
                   'engine prints the same checksums (for CI); no timings')
    p.add_argument('--out', type=Path,
                   help='report to write (default docs/benchmarks.md; '
                   '--quick writes none unless given)')
    p.add_argument('--work', type=Path, default=root / 'build' / 'benchmarks',
                   help='build and scratch directory (default build/benchmarks)')
    p.add_argument('--wasmaot', type=Path,
                   default=Path(os.environ.get(
                       'WASMAOT', root / 'build' / 'launcher' / 'wasmaot')),
                   help='wasmaot binary (default $WASMAOT or '
                   'build/launcher/wasmaot)')
    p.add_argument('--engines', help='comma-separated engine keys to use '
                   '(native is always included), or "all"; default: every '
                   'engine marked default in harness/engines.py')
    p.add_argument('--decode-tool', type=Path,
                   help='the bench_decode driver (default: '
                   'benchmarks/bench_decode next to the wasmaot build)')
    p.add_argument('--kernels', help='comma-separated kernel names')
    # Defaults sized for the project's 2-CPU machines: a full run takes
    # about 18 minutes there (most of it the large module at -O2).
    p.add_argument('--reps', type=int, default=3,
                   help='timed runs per kernel and engine (default 3)')
    p.add_argument('--compile-reps', type=int, default=1)
    p.add_argument('--warmup', dest='warmup', action='store_true',
                   default=False,
                   help='one untimed run per kernel and engine before the '
                   'timed ones (default: none; the timed runs check every '
                   'checksum either way)')
    p.add_argument('--no-warmup', dest='warmup', action='store_false',
                   help=argparse.SUPPRESS)
    p.add_argument('--startup-reps', type=int, default=15)
    p.add_argument('--large-reps', type=int, default=1,
                   help='compiles of the large module per compiler (each '
                   'takes up to minutes; default 1)')
    p.add_argument('--large-timeout', type=int, default=900,
                   help='seconds before one compile of the large module is '
                   'stopped and reported as timed out (default 900)')
    p.add_argument('--cpus', default='none',
                   help='CPU list to pin every measured process to: "none" '
                   '(default: a machine shared with other work is better '
                   'left to the scheduler), "auto" (the last CPU), or e.g. '
                   '"1" / "2,3"')
    p.add_argument('--timeout', type=int, default=300,
                   help='seconds before one run is killed (default 300)')
    p.add_argument('--scalar', default='',
                   help='comma-separated Wasm engine keys to run on the '
                   'build without simd128 (for an engine that lacks SIMD; '
                   'marked in every table)')
    p.add_argument('--require', default='',
                   help='comma-separated engine keys that must be available')
    p.add_argument('-j', '--jobs', type=int, default=os.cpu_count() or 2)
    p.add_argument('--from-json', type=Path,
                   help='only re-render the report from a results.json')
    p.add_argument('-v', '--verbose', action='store_true')
    return p.parse_args(argv)


def make_kernels(ctx, names):
    out = []
    for name, category in KERNELS:
        if names and name not in names:
            continue
        src = ctx.bench / 'kernels' / (name + '.c')
        out.append(Kernel(name, category, src, ctx.work / 'native' / name,
                          ctx.work / 'wasm' / (name + '.wasm'),
                          ctx.work / 'wasm-scalar' / (name + '.wasm'),
                          desc=describe(src)))
    return out


def describe(src):
    """The kernel's description: its opening comment, minus the name."""
    text = src.read_text()
    m = re.match(r'/\*(.*?)\*/', text, re.S)
    if not m:
        return ''
    words = ' '.join(line.strip().lstrip('*').strip()
                     for line in m.group(1).splitlines()).strip()
    return re.sub(r'^\w+:\s*', '', words)


def make_hello(ctx):
    src = ctx.bench / 'hello.c'
    return Kernel('hello', 'start-up', src, ctx.work / 'native' / 'hello',
                  ctx.work / 'wasm' / 'hello.wasm',
                  ctx.work / 'wasm-scalar' / 'hello.wasm',
                  static=ctx.work / 'native' / 'hello-static')


def build_all(ctx, kernels, hello, variants):
    """The measure helper, the kernels' Wasm builds that the selected engines
    run (`variants`: 'simd', 'scalar'), and hello."""
    h = ctx.bench / 'harness' / 'measure.c'
    ctx.measure = ctx.work / 'tools' / 'measure'
    build(ctx, ctx.measure, [[CLANG, '-O2', '-std=c11', '-D_GNU_SOURCE',
                              *KERNEL_WARNINGS, str(h), '-o',
                              str(ctx.measure)]], [h])
    header = ctx.bench / 'kernels' / 'bench.h'
    jobs = []
    for k in kernels + [hello]:
        for out, simd in ((k.wasm, True), (k.scalar, False)):
            if ('simd' if simd else 'scalar') not in variants:
                continue
            cmd = [CLANG, *WASM_CFLAGS, *(['-msimd128'] if simd else []),
                   *KERNEL_WARNINGS, str(k.src), *WASM_LDFLAGS, '-o', str(out)]
            jobs.append((out, [cmd], [k.src, header]))
    # Native builds used by detection; native engines rebuild their own.
    # Same command as the native engine's, so neither rebuilds the other's.
    jobs.append((hello.native, [[CLANG, *NATIVE_CFLAGS, *KERNEL_WARNINGS,
                                 str(hello.src), '-lm', '-o',
                                 str(hello.native)]], [hello.src]))
    if not ctx.quick:
        jobs.append((hello.static, [[CLANG, *NATIVE_CFLAGS, '-static',
                                     str(hello.src), '-o',
                                     str(hello.static)]], [hello.src]))
    with ThreadPoolExecutor(ctx.jobs) as pool:
        for f in [pool.submit(build, ctx, *j) for j in jobs]:
            f.result()


def parse_cpus(spec):
    if spec == 'none':
        return None
    online = sorted(os.sched_getaffinity(0))
    if spec == 'auto':
        return [online[-1]]
    cpus = []
    for part in spec.split(','):
        if '-' in part:
            a, b = part.split('-')
            cpus += list(range(int(a), int(b) + 1))
        else:
            cpus.append(int(part))
    return cpus


def machine_info(ctx):
    info = {}
    model = ''
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    info['cpu'] = model or platform.processor()
    info['cpus_online'] = os.cpu_count()
    try:
        for line in open('/proc/meminfo'):
            if line.startswith('MemTotal'):
                info['memory'] = f'{int(line.split()[1]) / 1048576:.1f} GiB'
    except OSError:
        pass
    info['kernel'] = platform.release()
    try:
        for line in open('/etc/os-release'):
            if line.startswith('PRETTY_NAME='):
                info['os'] = line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    status, so, se = capture(['systemd-detect-virt'])
    if status == 0:
        info['virtualization'] = first_line(so)
    status, so, se = capture(['lscpu'])
    for line in so.splitlines():
        if line.startswith('Hypervisor vendor:'):
            info['virtualization'] = line.split(':', 1)[1].strip()
    info['loadavg_start'] = ' '.join(open('/proc/loadavg').read().split()[:3])
    tools = {}
    for name, argv in (('clang', [CLANG, '--version']),
                       ('node', ['node', '--version']),
                       ('wasm2c', ['wasm2c', '--version']),
                       ('gnuplot', ['gnuplot', '--version']),
                       ('python', [sys.executable, '--version'])):
        status, so, se = capture(argv)
        tools[name] = first_line(so or se) if status == 0 else 'not found'
    for pkg in ('wasi-libc', 'wabt', 'libclang-rt-19-dev-wasm32'):
        status, so, se = capture(['dpkg-query', '-W', '-f=${Version}', pkg])
        tools[pkg] = so.strip() if status == 0 else 'not installed'
    status, so, se = capture([ctx.wasmaot, 'version'])
    tools['wasmaot'] = first_line(so) if status == 0 else 'not built'
    return info, tools


def detect_engines(ctx, engines, hello, expected):
    def one(e):
        try:
            e.reason = e.detect(ctx, hello, expected)
        except BuildError as ex:
            e.reason = str(ex).splitlines()[0]

    with ThreadPoolExecutor(ctx.jobs) as pool:
        list(pool.map(one, engines))
    for e in engines:
        state = 'available' if e.reason is None else f'unavailable: {e.reason}'
        ctx.log(f'engine {e.key}: {state}')


# A compiler error that names a missing feature (e.g. wasmaot before its SIMD
# lowering: "SIMD instruction i8x16.add is not supported yet") makes the cell
# "unsupported": reported with the error, never timed, not a failure.
UNSUPPORTED = re.compile(r'not supported|unsupported|not implemented',
                         re.IGNORECASE)


def is_unsupported(status):
    return status.startswith('unsupported')


def classify_prepare_error(msg):
    if UNSUPPORTED.search(msg):
        return 'unsupported: ' + msg
    return 'failed: ' + msg


def prepare_one(ctx, e, k, timed, reps):
    """Prepares kernel k for engine e. Returns a compile record."""
    cmds = e.prepare(ctx, k)
    rec = {'status': 'ok', 'times': [], 'rss': 0, 'size': None}
    if not cmds:
        return rec
    art = e.artifact(ctx, k)
    tag = f'prepare-{e.key}-{k.name}'
    if not timed and not e.always_prepare:
        try:
            build(ctx, art, cmds, e.prepare_inputs(ctx, k))
            rec['size'] = art.stat().st_size
        except BuildError as ex:
            rec['status'] = classify_prepare_error(build_error_text(ex))
        return rec
    samples = run_measure(ctx, cmds, reps=reps, timeout=1800, env=e.env(ctx),
                          tag=tag)
    bad = [s for s in samples if s.status != 0]
    if bad:
        msg = first_line(stderr_of(ctx, tag))
        rec['status'] = classify_prepare_error(
            f'{msg} (status {bad[0].status})')
        return rec
    rec['times'] = [s.wall for s in samples]
    rec['rss'] = max(s.rss_kib for s in samples)
    rec['size'] = art.stat().st_size if art and art.exists() else None
    return rec


def build_error_text(ex):
    """The compiler's own message from a BuildError: the first stderr line
    after the 'CMD failed (N):' line."""
    lines = str(ex).splitlines()
    for line in lines[1:]:
        if line.strip():
            return line.strip()
    return lines[0] if lines else str(ex)


def run_once(ctx, e, k, args, tag, reps=1):
    out = ctx.work / 'out' / f'{e.key}-{k.name}.stdout'
    out.parent.mkdir(parents=True, exist_ok=True)
    samples = run_measure(ctx, [e.run(ctx, k, args)], reps=reps, out=out,
                          env=e.env(ctx), tag=tag)
    try:
        text = out.read_text(errors='replace')
    except OSError:
        text = ''
    return samples, text


def check_run(ctx, e, k, samples, text, expected, tag):
    """Classifies a run: 'ok', or why not."""
    if not samples:
        return 'no result'
    s = samples[-1]
    if s.status == 124:
        return f'timed out after {ctx.timeout} s'
    if s.status != 0:
        return f'exit status {s.status}: {first_line(stderr_of(ctx, tag))}'
    if not all(x.same for x in samples):
        return 'output differs between repetitions'
    if text != expected:
        return f'checksum mismatch: {first_line(text)!r} vs native ' \
               f'{first_line(expected)!r}'
    return 'ok'


def quick(ctx, engines, kernels, hello, res):
    """Checksums only: every available engine, small sizes, one run."""
    native = engines[0]
    avail = [e for e in engines if e.reason is None]
    pairs = [(e, k) for e in avail for k in kernels + [hello]]

    def prep(pair):
        e, k = pair
        return (e.key, k.name), prepare_one(ctx, e, k, timed=False, reps=1)

    with ThreadPoolExecutor(ctx.jobs) as pool:
        prepared = dict(pool.map(prep, pairs))
    expected = {}
    for k in kernels + [hello]:
        args = [] if k is hello else ['quick']
        rec = prepared[(native.key, k.name)]
        if rec['status'] != 'ok':
            raise BuildError(f'native build of {k.name} failed: '
                             f'{rec["status"]}')
        samples, text = run_once(ctx, native, k, args, f'quick-native-{k.name}')
        if not samples or samples[-1].status != 0 or not text:
            raise BuildError(f'native {k.name} failed: '
                             f'{stderr_of(ctx, "quick-native-" + k.name)}')
        expected[k.name] = text
    res['quick_outputs'] = {k: v for k, v in expected.items()}
    runs = res['runs']
    for e in avail:
        runs[e.key] = {}
        for k in kernels + [hello]:
            rec = prepared[(e.key, k.name)]
            if rec['status'] != 'ok':
                runs[e.key][k.name] = {'status': rec['status']}
                continue
            tag = f'quick-{e.key}-{k.name}'
            args = [] if k is hello else ['quick']
            samples, text = run_once(ctx, e, k, args, tag)
            status = check_run(ctx, e, k, samples, text, expected[k.name], tag)
            runs[e.key][k.name] = {'status': status,
                                   'output': text.strip()}
            ctx.log(f'  {e.key:16} {k.name:11} {status}')


def loadavg():
    try:
        return ' '.join(open('/proc/loadavg').read().split()[:3])
    except OSError:
        return '?'


def phase(ctx, res, name):
    """Logs a phase and the load average when it starts (the report shows
    them: on a shared machine they say how noisy each part was)."""
    la = loadavg()
    res.setdefault('load', []).append([name, la, time.time()])
    ctx.log(f'== {name} (load average {la})')


def full(ctx, engines, kernels, hello, res):
    native = engines[0]
    avail = [e for e in engines if e.reason is None]
    timed = [e for e in avail if e.timed]

    # 1. ahead-of-time preparation, timed (compile time, artifact size)
    phase(ctx, res, 'compile')
    comp = res['compile']
    for e in timed:
        comp[e.key] = {}
        for k in kernels:
            rec = prepare_one(ctx, e, k, timed=True, reps=ctx.compile_reps)
            comp[e.key][k.name] = rec
            if rec['times']:
                ctx.log(f'  {e.key:16} {k.name:11} '
                        f'{min(rec["times"]):.3f} s  {rec["size"]} bytes')
            elif rec['status'] != 'ok':
                ctx.log(f'  {e.key:16} {k.name:11} {rec["status"]}')
        prepare_one(ctx, e, hello, timed=False, reps=1)

    # 2. one untimed run each: warms caches and checks the checksum
    phase(ctx, res, 'checksums at full size')
    runs = res['runs']
    expected = {}
    for k in kernels:
        tag = f'full-native-{k.name}'
        samples, text = run_once(ctx, native, k, [], tag)
        if not samples or samples[-1].status != 0 or not text:
            raise BuildError(f'native {k.name} failed: {stderr_of(ctx, tag)}')
        expected[k.name] = text
    ok = {}
    for e in timed:
        runs.setdefault(e.key, {})
        for k in kernels:
            rec = comp.get(e.key, {}).get(k.name, {'status': 'ok'})
            if rec['status'] != 'ok':
                runs[e.key][k.name] = {'status': rec['status']}
                ok[(e.key, k.name)] = False
                continue
            if not ctx.warmup and e is not native:
                # the timed runs check the checksum (and record the output)
                runs[e.key][k.name] = {'status': 'ok', 'output': '',
                                       'wall': [], 'rss': [], 'cpu': []}
                ok[(e.key, k.name)] = True
                continue
            tag = f'full-{e.key}-{k.name}'
            if e is native:
                text = expected[k.name]
                status = 'ok'
            else:
                samples, text = run_once(ctx, e, k, [], tag)
                status = check_run(ctx, e, k, samples, text, expected[k.name],
                                   tag)
            runs[e.key][k.name] = {'status': status, 'output': text.strip(),
                                   'wall': [], 'rss': [], 'cpu': []}
            ok[(e.key, k.name)] = status == 'ok'
            ctx.log(f'  {e.key:16} {k.name:11} {status}')

    # 3. timed runs, engines interleaved (rotated) within each repetition
    phase(ctx, res, f'run time ({ctx.reps} runs each)')
    for k in kernels:
        for rep in range(ctx.reps):
            order = timed[rep % len(timed):] + timed[:rep % len(timed)]
            for e in order:
                if not ok.get((e.key, k.name)):
                    continue
                tag = f'time-{e.key}-{k.name}'
                samples, text = run_once(ctx, e, k, [], tag)
                r = runs[e.key][k.name]
                status = check_run(ctx, e, k, samples, text, expected[k.name],
                                   tag)
                if status != 'ok':
                    r['status'] = status
                    ok[(e.key, k.name)] = False
                    ctx.log(f'  {e.key:16} {k.name:11} {status}')
                    continue
                r['output'] = text.strip()
                r['wall'].append(samples[0].wall)
                r['rss'].append(samples[0].rss_kib)
                r['cpu'].append(samples[0].user + samples[0].sys)
        line = ' '.join(
            f'{e.key}={min(runs[e.key][k.name]["wall"]):.2f}'
            for e in timed if runs[e.key][k.name].get('wall'))
        ctx.log(f'  {k.name:11} {line}')

    # 4. start-up: hello-world cold and cached
    phase(ctx, res, f'start-up ({ctx.startup_reps} runs each)')
    hello_out = capture([hello.native])[1]
    for e in avail:
        for st in e.startup(ctx, hello):
            row = {'engine': e.key, 'method': st.method, 'tag': st.tag}
            for which, cmds in (('cold', st.cold), ('cached', st.cached)):
                if cmds is None:
                    continue
                if which == 'cached' and st.warm:
                    run_measure(ctx, st.warm, reps=1, env=e.env(ctx),
                                tag='warm')
                tag = f'startup-{e.key}-{which}'
                out = ctx.work / 'out' / f'{tag}.stdout'
                samples = run_measure(
                    ctx, cmds, reps=ctx.startup_reps, out=out, env=e.env(ctx),
                    reset=st.reset if which == 'cold' else None, tag=tag)
                text = out.read_text(errors='replace') if out.exists() else ''
                status = check_run(ctx, e, hello, samples, text, hello_out,
                                   tag)
                row[which] = {'status': status,
                              'wall': [s.wall for s in samples],
                              'rss': [s.rss_kib for s in samples]}
                ctx.log(f'  {e.key:16} {which:6} {st.method}: {status} '
                        f'{min(s.wall for s in samples) * 1e3:.2f} ms')
            res['startup'].append(row)

    # 5. compile and decode throughput on the large module
    phase(ctx, res, 'large module')
    res['large'] = large_module(ctx, avail)


def large_module(ctx, engines):
    """Compile throughput (wasmaot -O0/-O2, V8) and decode + validate
    throughput (wasmaot's front end) on a module of 10 MB or more: the one
    benchmarks/harness/large.py generates, or $BENCH_LARGE_WASM."""
    env_path = os.environ.get('BENCH_LARGE_WASM')
    rec = {'status': 'ok', 'source': '', 'size': 0, 'engines': {},
           'decode': None, 'validate': None}
    if env_path:
        wasm = Path(env_path).resolve()
        rec['source'] = f'$BENCH_LARGE_WASM={env_path}'
    else:
        try:
            with ThreadPoolExecutor(ctx.jobs) as pool:
                wasm, shown = large.build_large(
                    ctx, lambda f, jobs: list(pool.map(f, jobs)))
        except BuildError as ex:
            rec['status'] = 'building it failed: ' + build_error_text(ex)
            return rec
        rec['source'] = shown
        rec['generated'] = True
    (ctx.work / 'large').mkdir(parents=True, exist_ok=True)
    rec['wasm'] = ctx.rel(wasm)
    rec['size'] = wasm.stat().st_size
    reps = ctx.large_reps
    rec['reps'] = reps

    wa = next((e for e in engines if isinstance(e, engines_mod.Wasmaot) and
               e.reason is None), None)
    if wa is None:
        rec['engines']['wasmaot'] = {'status': 'wasmaot unavailable'}
    else:
        out = ctx.work / 'large' / 'large.wao'
        for name, flags in (('wasmaot compile -O0', ['-O0']),
                            ('wasmaot compile -O2', ['-O2'])):
            cmd = [ctx.wasmaot, 'compile', *flags, '-o', out, wasm]
            tag = 'large-' + '_'.join(flags).replace('-', '')
            samples = run_measure(ctx, [cmd], reps=reps,
                                  timeout=ctx.large_timeout,
                                  env=wa.env(ctx), tag=tag)
            bad = [x for x in samples if x.status != 0]
            if bad and bad[0].status == 124:
                r = {'status': f'timed out after {ctx.large_timeout} s '
                               '(stopped)'}
            elif bad:
                r = {'status': classify_prepare_error(
                    f'{first_line(stderr_of(ctx, tag))} (status '
                    f'{bad[0].status})')}
            else:
                r = {'status': 'ok', 'times': [x.wall for x in samples],
                     'cpu': [x.user + x.sys for x in samples],
                     'rss': max(x.rss_kib for x in samples),
                     'size': out.stat().st_size, 'command': show(ctx, [cmd])}
            rec['engines'][name] = r
            ctx.log(f'  {name:40} {r["status"]} '
                    f'{min(r["times"]) if r.get("times") else 0:.2f} s')
        # decode + validate: in process (bench_decode), and the whole
        # `wasmaot validate` command (process start, mmap, decode, validate)
        rec['decode'] = decode_throughput(ctx, wasm)
        tag = 'large-validate'
        cmd = [ctx.wasmaot, 'validate', wasm]
        samples = run_measure(ctx, [cmd], reps=5, tag=tag)
        if any(x.status != 0 for x in samples):
            rec['validate'] = {'status': 'failed: ' +
                               first_line(stderr_of(ctx, tag))}
        else:
            rec['validate'] = {'status': 'ok',
                               'times': [x.wall for x in samples],
                               'rss': max(x.rss_kib for x in samples),
                               'command': show(ctx, [cmd])}
        ctx.log(f'  wasmaot validate: {rec["validate"]["status"]}')

    # V8 compiles inside node: time WebAssembly.Module construction.
    if any(isinstance(e, engines_mod.Node) and e.reason is None
           for e in engines):
        script_js = ctx.bench / 'node' / 'compile-time.mjs'
        for key, flags in (('node: V8 TurboFan (eager)', ['--no-liftoff']),
                           ('node: V8 Liftoff (eager)',
                            ['--liftoff', '--no-wasm-tier-up'])):
            times = []
            argv = ['node', '--no-warnings', *flags,
                    '--no-wasm-lazy-compilation', str(script_js), str(wasm)]
            for _ in range(reps):
                status, so, se = capture(argv, timeout=1800)
                if status != 0:
                    rec['engines'][key] = {'status': 'failed: ' +
                                           (first_line(se) or 'no output')}
                    break
                times.append(float(so.split()[0]) / 1e3)
            else:
                rec['engines'][key] = {'status': 'ok', 'times': times,
                                       'command': show(ctx, [argv])}
            ctx.log(f'  {key:40} {rec["engines"][key]["status"]}')
    return rec


def decode_throughput(ctx, wasm):
    tool = ctx.decode_tool
    if not tool.exists():
        return {'status': f'{ctx.rel(tool)} not built (cmake --build BUILD '
                          '--target bench_decode)'}
    status, so, se = capture([tool, '-n', '7', wasm], timeout=600)
    if status != 0:
        return {'status': 'failed: ' + first_line(se or so)}
    rows = [list(map(int, line.split())) for line in so.splitlines()
            if line.strip()]
    return {'status': 'ok', 'decode': [r[0] / 1e9 for r in rows],
            'validate': [r[1] / 1e9 for r in rows],
            'decode_cpu': [r[4] / 1e9 for r in rows],
            'validate_cpu': [r[5] / 1e9 for r in rows],
            'functions': rows[0][3] if rows else 0,
            'command': show(ctx, [[tool, '-n', '7', wasm]])}


def simd_ops(wasm):
    """How many SIMD instructions the simd128 build has (None if unknown):
    clang auto-vectorizes, so any kernel may have some."""
    if not wasm.exists():
        return None
    status, so, se = capture(['wasm-objdump', '-d', str(wasm)], timeout=120)
    if status != 0:
        return None
    return len(re.findall(r'\b(?:v128|[if]\d+x\d+)\.', so))


def size_of(path):
    try:
        return path.stat().st_size
    except OSError:
        return None


def commands(ctx, engines, kernels, hello):
    k = kernels[0] if kernels else hello
    out = {'build': {
        'native': show(ctx, engines[0].prepare(ctx, k)),
        'wasm (simd128)': show(ctx, [[CLANG, *WASM_CFLAGS, '-msimd128',
                                      *KERNEL_WARNINGS, str(k.src),
                                      *WASM_LDFLAGS, '-o', str(k.wasm)]]),
        'wasm (scalar)': show(ctx, [[CLANG, *WASM_CFLAGS, *KERNEL_WARNINGS,
                                     str(k.src), *WASM_LDFLAGS, '-o',
                                     str(k.scalar)]]),
        'hello (static)': show(ctx, [[CLANG, *NATIVE_CFLAGS, '-static',
                                      str(hello.src), '-o', str(hello.static)]]),
    }, 'kernel': k.name, 'engines': {}}
    for e in engines:
        if e.reason is not None:
            continue
        try:
            prep = show(ctx, e.prepare(ctx, k))
        except BuildError:
            prep = ''
        out['engines'][e.key] = {'prepare': prep,
                                 'run': show(ctx, [e.run(ctx, k, [])])}
    return out


def main(argv):
    root = Path(__file__).resolve().parents[2]
    args = parse_args(argv, root)
    if args.from_json:
        res = json.loads(args.from_json.read_text())
        out = args.out or root / 'docs' / 'benchmarks.md'
        report.write(res, out, root, args.from_json.parent / 'report')
        print(f'wrote {out}')
        return 0
    ctx = Ctx(root=root, bench=root / 'benchmarks', work=args.work.resolve(),
              quick=args.quick, reps=max(1, args.reps),
              compile_reps=max(1, args.compile_reps),
              startup_reps=max(1, args.startup_reps), jobs=max(1, args.jobs),
              timeout=args.timeout, wasmaot=args.wasmaot.resolve(),
              verbose=args.verbose)
    ctx.large_reps = max(1, args.large_reps)
    ctx.large_timeout = args.large_timeout
    ctx.warmup = args.warmup
    ctx.decode_tool = (args.decode_tool or
                       ctx.wasmaot.parent.parent / 'benchmarks' /
                       'bench_decode').resolve()
    ctx.work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    names = set(args.kernels.split(',')) if args.kernels else None
    kernels = make_kernels(ctx, names)
    if names and len(kernels) != len(names):
        known = ', '.join(n for n, _ in KERNELS)
        print(f'unknown kernel in --kernels (known: {known})', file=sys.stderr)
        return 2
    hello = make_hello(ctx)
    engines = engines_mod.all_engines()
    if args.engines == 'all':
        pass
    elif args.engines:
        want = set(args.engines.split(',')) | {'native'}
        unknown = want - {e.key for e in engines}
        if unknown:
            print(f'unknown engine(s): {", ".join(sorted(unknown))} (known: '
                  f'{", ".join(e.key for e in engines)})', file=sys.stderr)
            return 2
        engines = [e for e in engines if e.key in want]
    else:
        engines = [e for e in engines
                   if (e.quick if args.quick else e.default)]
    for key in filter(None, args.scalar.split(',')):
        e = next((e for e in engines if e.key == key), None)
        if not e or e.variant == 'native':
            print(f'--scalar: {key} is not a selected Wasm engine',
                  file=sys.stderr)
            return 2
        if e.variant != 'scalar':
            e.variant = 'scalar'
            e.note = 'runs the build without simd128 (--scalar)'

    info, tools = machine_info(ctx)
    res = {'generated': datetime.datetime.now().astimezone().isoformat(
               timespec='seconds'),
           'quick': ctx.quick, 'reps': ctx.reps,
           'compile_reps': ctx.compile_reps,
           'startup_reps': ctx.startup_reps, 'large_reps': ctx.large_reps,
           'warmup': ctx.warmup,
           'machine': info, 'tools': tools,
           'argv': ['benchmarks/run', *argv], 'runs': {}, 'compile': {},
           'startup': [], 'large': None, 'failures': []}
    try:
        ctx.log(f'== build ({ctx.rel(ctx.work)})')
        build_all(ctx, kernels, hello,
                  {e.variant for e in engines} | {'simd'})
        hello_out = capture([hello.native])[1]
        detect_engines(ctx, engines, hello, hello_out)
        missing = [k for k in args.require.split(',') if k and
                   any(e.key == k and e.reason is not None for e in engines)]
        if engines[0].reason is not None:
            raise BuildError(f'native toolchain unusable: {engines[0].reason}')
        if not ctx.quick:
            ctx.cpus = parse_cpus(args.cpus)
            if ctx.cpus:
                os.sched_setaffinity(0, ctx.cpus)
        res['cpus'] = ctx.cpus
        signal.signal(signal.SIGTERM, on_sigterm)
        try:
            if ctx.quick:
                quick(ctx, engines, kernels, hello, res)
            else:
                full(ctx, engines, kernels, hello, res)
        except Stopped:
            # keep what was measured: the report says where it stopped
            phases = res.get('load') or [['build']]
            res['stopped'] = phases[-1][0]
            res['failures'].append(f'run stopped (SIGTERM) during: '
                                   f'{res["stopped"]}')
            ctx.log(f'stopped during {res["stopped"]}; writing what was '
                    'measured')
    except BuildError as ex:
        print(f'benchmarks/run: {ex}', file=sys.stderr)
        return 1
    res['engines'] = [{'key': e.key, 'label': e.label, 'variant': e.variant,
                       'reference': e.reference, 'timed': e.timed,
                       'reason': e.reason, 'version': e.version,
                       'mode': e.mode, 'note': e.note} for e in engines]
    res['kernels'] = [{'name': k.name, 'category': k.category, 'desc': k.desc,
                       'wasm_size': size_of(k.wasm),
                       'scalar_size': size_of(k.scalar),
                       'simd_ops': simd_ops(k.wasm)}
                      for k in kernels]
    res['commands'] = commands(ctx, engines, kernels, hello)
    res['elapsed'] = time.time() - started
    res['machine']['loadavg_end'] = loadavg()
    res['unsupported'] = []
    for ekey, per in res['runs'].items():
        for kname, r in per.items():
            if is_unsupported(r['status']):
                res['unsupported'].append(f'{ekey} on {kname}: {r["status"]}')
            elif r['status'] != 'ok':
                res['failures'].append(f'{ekey} on {kname}: {r["status"]}')
    for row in res['startup']:
        for which in ('cold', 'cached'):
            if which in row and row[which]['status'] != 'ok':
                res['failures'].append(f'{row["engine"]} start-up ({which}, '
                                       f'{row["method"]}): '
                                       f'{row[which]["status"]}')
    for k in missing:
        res['failures'].append(f'required engine {k} unavailable')
    (ctx.work / 'results.json').write_text(json.dumps(res, indent=1))

    out = args.out or (None if ctx.quick else root / 'docs' / 'benchmarks.md')
    if out:
        report.write(res, out, root, ctx.work / 'report')
        ctx.log(f'wrote {ctx.rel(out)}')
    summary(res)
    return 1 if res['failures'] else 0


class Stopped(Exception):
    pass


def on_sigterm(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Stopped()


def summary(res):
    avail = [e['key'] for e in res.get('engines', []) if e['reason'] is None]
    skipped = [f'{e["key"]} ({e["reason"]})' for e in res.get('engines', [])
               if e['reason'] is not None]
    checked = sum(1 for per in res['runs'].values() for r in per.values()
                  if r['status'] == 'ok')
    print(f'benchmarks: engines {", ".join(avail)}; {checked} runs with '
          f'matching checksums; {len(res.get("unsupported", []))} '
          f'unsupported; {len(res["failures"])} failures; '
          f'{res["elapsed"]:.0f} s')
    for s in skipped:
        print(f'  skipped {s}')
    for u in res.get('unsupported', []):
        print(f'  unsupported {u}')
    for f in res['failures']:
        print(f'  FAILED {f}')
