#!/bin/sh
# run.sh MINUTES: builds the libFuzzer target (clang-19, ASan + UBSan,
# -DWA_FUZZ=ON) and fuzzes decode + validate for MINUTES minutes, seeded
# with the spec suite's modules. Crashing inputs land in
# $FUZZ_BUILD/artifacts; after the fix, copy each to tests/fuzz/regressions/.
#   FUZZ_BUILD  build directory (default: build-fuzz in the repo)
#   FUZZ_SRC    source tree to configure (default: the repo)
#   FUZZ_JOBS   parallel fuzzing processes (default 1)
set -eu
minutes=${1:?usage: tests/fuzz/run.sh MINUTES}
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
src=${FUZZ_SRC:-$repo}
build=${FUZZ_BUILD:-$repo/build-fuzz}
jobs=${FUZZ_JOBS:-1}
spec=${WASMAOT_SPEC_DIR:-$repo/../shared/wasm-spec-testsuite}

CC=clang-19 cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWA_FUZZ=ON -DWA_SANITIZE=address,undefined >/dev/null
cmake --build "$build" --target fuzz_wasm >/dev/null

# Seeds: every module of the spec suite, converted once.
seeds="$build/fuzz-seeds"
if [ ! -f "$seeds/.done" ]; then
  mkdir -p "$seeds/json"
  for w in "$spec"/*.wast; do
    wast2json --enable-all "$w" -o "$seeds/json/$(basename "$w" .wast).json" \
      >/dev/null 2>&1 || true
  done
  find "$seeds/json" -name '*.wasm' -exec mv {} "$seeds/" \;
  rm -rf "$seeds/json"
  touch "$seeds/.done"
fi
corpus="$repo/tests/fuzz/corpus-work"
artifacts="$build/artifacts"
mkdir -p "$corpus" "$artifacts"

start=$(date +%s)
status=0
"$build/tests/fuzz/fuzz_wasm" -fork="$jobs" -ignore_crashes=1 \
  -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$corpus" "$seeds" "$here/regressions" 2>&1 | tee "$build/fuzz.log" | grep -E 'DONE|INFO: (fuzzed|exiting)|stat::|crash-|timeout-|oom-|leak-' || status=$?
end=$(date +%s)
echo "fuzzed for $(( (end - start) / 60 )) min; artifacts:"
ls -1 "$artifacts" 2>/dev/null | sed 's/^/  /'
exit 0
