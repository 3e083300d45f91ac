#!/bin/sh
# inspect_test.sh WASMAOT MODULE.wasm: `wasmaot inspect` on a module, on
# the artifact compiled from it, and on junk (an error naming the file, no
# crash). Ends with "N passed, N failed".
set -u
W=$1
M=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { # description command...
  d=$1
  shift
  if "$@"; then pass=$((pass + 1)); else
    fail=$((fail + 1))
    echo "FAIL: $d"
  fi
}
"$W" inspect "$M" >"$tmp/wasm.out" 2>&1
check "inspect .wasm exits 0" test $? -eq 0
for want in 'sections (' 'code       at' 'functions: ' 'memories: ' \
  'globals: ' 'data segments: ' 'features:' 'imports (' 'exports (' \
  '"wasi_snapshot_preview1"."fd_write" [i32 i32 i32 i32] -> [i32]' \
  '"_start" = func'; do
  check "inspect .wasm shows '$want'" grep -qF "$want" "$tmp/wasm.out"
done
"$W" compile "$M" -o "$tmp/m.wao" >/dev/null 2>&1
"$W" inspect "$tmp/m.wao" >"$tmp/wao.out" 2>&1
check "inspect .wao exits 0" test $? -eq 0
for want in 'format version: ' 'target: x86_64-unknown-linux-gnu' \
  'bounds: guard, opt level: 2' 'module sha256: ' 'runs on this host: yes' \
  'pre-linked by the compiler'; do
  check "inspect .wao shows '$want'" grep -qF "$want" "$tmp/wao.out"
done
"$W" compile --target aarch64-unknown-linux-gnu "$M" -o "$tmp/a64.wao" \
  >/dev/null 2>&1
"$W" inspect "$tmp/a64.wao" >"$tmp/a64.out" 2>&1
check "inspect of an aarch64 artifact exits 0" test $? -eq 0
check "inspect of an aarch64 artifact names its target" \
  grep -qF 'target: aarch64-unknown-linux-gnu' "$tmp/a64.out"
check "inspect of an aarch64 artifact says why it cannot run here" \
  grep -qF 'runs on this host: no: artifact is for aarch64, this host is x86_64' "$tmp/a64.out"
printf 'not wasm at all' >"$tmp/junk.wasm"
"$W" inspect "$tmp/junk.wasm" >"$tmp/junk.out" 2>&1
rc=$?
check "inspect junk exits 1" test $rc -eq 1
check "inspect junk names the file and the offset" \
  grep -q "junk.wasm: byte 0x0 (0): " "$tmp/junk.out"
head -c 100 "$tmp/m.wao" >"$tmp/cut.wao"
"$W" inspect "$tmp/cut.wao" >"$tmp/cut.out" 2>&1
check "inspect truncated artifact exits 1" test $? -eq 1
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
