#!/bin/sh
# run.sh MINUTES [TARGET]: builds a libFuzzer target (clang-19, ASan + UBSan,
# -DWA_FUZZ=ON) and fuzzes it for MINUTES minutes of wall time at the lowest
# CPU priority, so it can share a machine with builds.
#   TARGET      fuzz_wasm (default): decode + validate
#               fuzz_compile: decode + validate + wc_compile at -O0
# Seeds: the spec suite's modules, the compiler's unit .wat files and the
# tests/malformed inputs, converted once into $FUZZ_BUILD/fuzz-seeds. The
# growing corpus stays in $FUZZ_BUILD/corpus-TARGET between runs. Crashing
# inputs land in $FUZZ_BUILD/artifacts; after the fix, copy each to
# tests/fuzz/regressions/ (test_regressions.c replays them in every build).
#   FUZZ_BUILD  build directory (default: build-fuzz in the repo)
#   FUZZ_SRC    source tree to configure (default: the repo)
#   FUZZ_JOBS   parallel fuzzing processes (default 1)
set -eu
minutes=${1:?usage: tests/fuzz/run.sh MINUTES [fuzz_wasm|fuzz_compile]}
target=${2:-fuzz_wasm}
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
src=${FUZZ_SRC:-$repo}
build=${FUZZ_BUILD:-$repo/build-fuzz}
jobs=${FUZZ_JOBS:-1}
spec=${WASMAOT_SPEC_DIR:-$repo/../shared/wasm-spec-testsuite}

CC=clang-19 cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWA_FUZZ=ON -DWA_SANITIZE=address,undefined >/dev/null
nice -n 19 cmake --build "$build" -j 2 --target "$target" >/dev/null

seeds="$build/fuzz-seeds"
if [ ! -f "$seeds/.done" ]; then
  mkdir -p "$seeds/json"
  for w in "$spec"/*.wast; do
    [ -f "$w" ] || continue
    wast2json --enable-all "$w" -o "$seeds/json/$(basename "$w" .wast).json" \
      >/dev/null 2>&1 || true
  done
  find "$seeds/json" -name '*.wasm' -exec mv {} "$seeds/" \;
  rm -rf "$seeds/json"
  for w in "$src"/tests/unit/compiler/wat/*.wat "$src"/examples/*.wat; do
    [ -f "$w" ] || continue
    wat2wasm --enable-all "$w" -o "$seeds/wat-$(basename "$w" .wat).wasm" \
      >/dev/null 2>&1 || true
  done
  for w in "$src"/tests/malformed/*.wasm "$src"/examples/*.wasm; do
    [ -f "$w" ] && cp "$w" "$seeds/$(basename "$(dirname "$w")")-$(basename "$w")"
  done
  touch "$seeds/.done"
fi
corpus="$build/corpus-$target"
artifacts="$build/artifacts"
mkdir -p "$corpus" "$artifacts"

# -ignore_crashes keeps a fork-mode run going after a crash, so one run
# reports every distinct crash instead of stopping at the first.
log="$build/$target.log"
start=$(date +%s)
nice -n 19 "$build/tests/fuzz/$target" -fork="$jobs" -ignore_crashes=1 \
  -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$corpus" "$seeds" "$here/regressions" >"$log" 2>&1 || true
end=$(date +%s)
execs=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/^#([0-9]+).*/\1/')
crashes=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -nE 's/.*oom\/timeout\/crash: ([0-9/]+).*/\1/p')
echo "$target: fuzzed $(( (end - start) / 60 )) min, ${execs:-?} execs," \
  "oom/timeout/crash ${crashes:-?}; log $log; artifacts:"
ls -1 "$artifacts" 2>/dev/null | sed 's/^/  /'
exit 0
