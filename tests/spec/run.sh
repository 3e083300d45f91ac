#!/bin/sh
# run.sh RUNNER OUT_DIR [RUNNER_ARGS...]: converts every root .wast of the
# spec test suite with wast2json (only those changed since the last run)
# into OUT_DIR, then runs the C runner over the JSON. The suite is
# $WASMAOT_SPEC_DIR, else ../shared/wasm-spec-testsuite beside the repo.
# Files wast2json cannot convert get OUT_DIR/NAME.skip with its reason.
set -u
runner=$1
out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd -P)
spec=${WASMAOT_SPEC_DIR:-$here/../../../shared/wasm-spec-testsuite}
if [ ! -d "$spec" ]; then
  echo "run.sh: spec test suite not found at $spec (set WASMAOT_SPEC_DIR)" >&2
  exit 1
fi
command -v wast2json >/dev/null || { echo "run.sh: wast2json not found (apt install wabt)" >&2; exit 1; }
mkdir -p "$out"
for w in "$spec"/*.wast; do
  b=$(basename "$w" .wast)
  j="$out/$b.json"
  s="$out/$b.skip"
  if [ -f "$j" ] && [ "$j" -nt "$w" ]; then continue; fi
  if [ -f "$s" ] && [ "$s" -nt "$w" ]; then continue; fi
  rm -f "$j" "$s" "$out/$b".[0-9]*.wasm "$out/$b".[0-9]*.wat
  if ! log=$(wast2json --enable-all "$w" -o "$j" 2>&1); then
    rm -f "$j"
    reason=$(printf '%s\n' "$log" | grep -m1 -E 'error:|Assertion' |
             sed -E 's/^.*(error: |Assertion )/\1/')
    [ -n "$reason" ] || reason=$(printf '%s\n' "$log" | head -n1)
    [ -n "$reason" ] || reason="wast2json failed"
    printf 'wast2json %s: %s\n' "$(wast2json --version)" "$reason" >"$s"
  fi
done
exec "$runner" "$@" "$out"
