#!/bin/sh
# startup.sh: start-up cost of `wasmaot run` (docs/cache.md, "Start-up").
# Not a test. Measures with hyperfine -N (no shell in the timings):
#   1. a cached `wasmaot run hello.wasm` against a native static hello
#      (cc -static -O2), both printing one line, and `wasmaot version`
#      (the launcher's own process start: dynamic loading of its libraries);
#   2. a cache hit (lookup + verify + load + instantiate) of a module of
#      10 MB or more, generated here (many distinct functions);
#   3. cold runs: empty cache, so compile + publish + run, for both.
# Usage: benchmarks/startup.sh [BUILD_DIR]   (default: build)
# Needs clang-19 with wasi-libc, cc with a static libc, python3, hyperfine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
wasmaot=$(cd "$build" && pwd)/launcher/wasmaot
[ -x "$wasmaot" ] || { echo "no $wasmaot: build first" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/wasmaot-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT
export WASMAOT_CACHE_DIR="$work/cache"
unset WASMAOT_DEBUG_CACHE

clang-19 --target=wasm32-wasi -O2 "$here/hello.c" -o "$work/hello.wasm"
cc -static -O2 "$here/hello.c" -o "$work/hello-native"

# The big module, >= 10 MB: N distinct functions (nothing folds them, all
# reachable through a table) plus a 10 MiB initialized data segment of
# random bytes (#embed). The data keeps the compile of the cold run within
# minutes on a shared machine; a hit still maps, verifies (SHA-256 of the
# whole artifact) and instantiates all of it (the segment is copied into
# linear memory).
n=${WASMAOT_BENCH_FUNCS:-1500}
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(10 << 20))' > "$work/blob.bin"
python3 - "$n" > "$work/big.c" <<'PY'
import sys
n = int(sys.argv[1])
print("#include <stdio.h>")
print("typedef unsigned (*fn)(unsigned, unsigned);")
print('static const unsigned char blob[] = {\n#embed "blob.bin"\n};')
for i in range(n):
    a, b, c = (i * 2654435761) % 97 + 1, (i * 40503) % 31 + 1, i % 13 + 3
    print(f"""__attribute__((noinline)) unsigned f{i}(unsigned x, unsigned y) {{
  unsigned s = x * {a}u + y;
  for (unsigned k = 0; k < (x & {c}u); k++) {{
    switch ((s + k) % 5u) {{
    case 0: s = (s << {b % 7 + 1}) ^ (s >> 3) ^ {i}u; break;
    case 1: s = s * {a}u + (y ^ k); break;
    case 2: s = (s ^ 0x9e3779b9u) - {b}u * k; break;
    case 3: s = s / (k + {c}u) + {i % 251}u; break;
    default: s = (s >> {c % 5 + 1}) | (y << {b % 9 + 1}); break;
    }}
  }}
  return s ^ (y * {b}u);
}}""")
print("fn const table[] = {" + ",".join(f"f{i}" for i in range(n)) + "};")
print("""int main(int argc, char **argv) {
  (void)argv;
  unsigned i = (unsigned)argc * 7919u % sizeof blob;
  unsigned r = table[(unsigned)argc % (sizeof table / sizeof *table)](argc, blob[i]);
  printf("big %u\\n", r);
  return 0;
}""")
PY
clang-19 --target=wasm32-wasi -std=c23 -O2 "$work/big.c" -o "$work/big.wasm"
ls -l "$work/hello.wasm" "$work/big.wasm" "$work/hello-native"

# Fill the cache once, then measure hits.
"$wasmaot" run "$work/hello.wasm" >/dev/null
t0=$(date +%s.%N)
"$wasmaot" run "$work/big.wasm" >/dev/null
t1=$(date +%s.%N)
echo "big.wasm first (cold) run: $(echo "$t1 - $t0" | bc) s"
"$wasmaot" cache ls --long

hyperfine -N --warmup 5 --min-runs 50 \
  -n 'wasmaot run hello.wasm (cached)' "$wasmaot run $work/hello.wasm" \
  -n 'native static hello' "$work/hello-native" \
  -n 'wasmaot version (process start only)' "$wasmaot version"
hyperfine -N --warmup 3 --min-runs 20 \
  -n 'wasmaot run big.wasm (cache hit)' "$wasmaot run $work/big.wasm"
hyperfine -N --runs 10 --prepare "rm -rf $WASMAOT_CACHE_DIR" \
  -n 'wasmaot run hello.wasm (cold: compile + run)' \
  "$wasmaot run $work/hello.wasm"
hyperfine -N --runs 2 --prepare "rm -rf $WASMAOT_CACHE_DIR" \
  -n 'wasmaot run big.wasm (cold: compile + run)' \
  "$wasmaot run $work/big.wasm"
