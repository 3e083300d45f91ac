#!/bin/sh
# Runs the whole suite: every ctest in the normal build, then the unit and
# conformance tests again under AddressSanitizer + UBSan. Ends with one line
# "N passed, N failed" counting ctest entries (each a Criterion binary or a
# runner with its own per-case summary above it).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ASAN_BUILD=${2:-build-asan}
JOBS=${JOBS:-$(nproc)}
passed=0
failed=0

run_ctest() { # dir label-regex title
  echo "=== $3"
  log=$(mktemp)
  if [ -n "$2" ]; then
    (cd "$1" && ctest -j "$JOBS" --output-on-failure -L "$2") 2>&1 | tee "$log"
  else
    (cd "$1" && ctest -j "$JOBS" --output-on-failure) 2>&1 | tee "$log"
  fi
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    if grep -q 'No tests were found' "$log"; then rm -f "$log"; return; fi
    failed=$((failed + 1))
  else
    total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')
    passed=$((passed + total - f))
    failed=$((failed + f))
  fi
  rm -f "$log"
}

# Sanitizer reports must fail the run, not just print.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allow_user_segv_handler=1:handle_segv=0:handle_sigbus=0:use_sigaltstack=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_ctest "$BUILD" "" "all tests (normal build)"
run_ctest "$ASAN_BUILD" "unit|spec" "unit and conformance tests (AddressSanitizer + UBSan build)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
