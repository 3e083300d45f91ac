#!/bin/sh
# startup.sh: start-up cost of `wasmaot run` (docs/cache.md, "Start-up").
# Not a test. Measures with hyperfine -N (no shell in the timings):
#   1. a cached `wasmaot run hello.wasm` against a native static hello
#      (cc -static -O2), both printing one line, and `wasmaot version`
#      (the launcher's own process start: dynamic loading of its libraries);
#   2. a cache hit (lookup + verify + load + instantiate) of a module of
#      10 MB or more, generated here (many distinct functions);
#   3. cold runs: empty cache, so compile + publish + run, for both;
# plus page faults (perf stat) and system calls (strace -c) per cached run.
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

# The big module, >= 10 MB (bigmodule.sh: 1500 distinct functions plus a
# 10 MiB data segment).
sh "$here/bigmodule.sh" "$work"
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
# Where a cached start's time goes in a VM: page faults (each one a trip
# through the kernel, ~10 us here) and system calls, per process, against
# the native hello. perf and strace are optional.
if command -v perf >/dev/null 2>&1; then
  for c in "$wasmaot run $work/hello.wasm" "$work/hello-native" \
           "$wasmaot run $work/big.wasm"; do
    perf stat -r 50 -x, -e page-faults $c 2>&1 >/dev/null |
      awk -F, -v c="$c" '$3 == "page-faults" {printf "page faults: %s  %s\n", $1, c}'
  done
fi
if command -v strace >/dev/null 2>&1; then
  for c in "$wasmaot run $work/hello.wasm" "$work/hello-native"; do
    strace -f -c -o "$work/strace.txt" $c >/dev/null 2>&1
    n=$(awk '$NF == "total" {print $(NF-2)}' "$work/strace.txt")
    echo "system calls: $n  $c"
  done
fi

hyperfine -N --warmup 3 --min-runs 20 \
  -n 'wasmaot run big.wasm (cache hit)' "$wasmaot run $work/big.wasm"
hyperfine -N --runs 10 --prepare "rm -rf $WASMAOT_CACHE_DIR" \
  -n 'wasmaot run hello.wasm (cold: compile + run)' \
  "$wasmaot run $work/hello.wasm"
hyperfine -N --runs 2 --prepare "rm -rf $WASMAOT_CACHE_DIR" \
  -n 'wasmaot run big.wasm (cold: compile + run)' \
  "$wasmaot run $work/big.wasm"
