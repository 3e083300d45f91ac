#!/bin/bash
# cli_test.sh: the flags of `wasmaot run` (launcher/cmd_run.c) end to end:
# exit status propagation, traps (134, kind, backtrace), unresolved
# imports (the error names module.field and its type), the stub of
# --trap-unknown-imports, --env and --env-inherit, --dir/--dir-ro (read-only
# refusal, guest names), --tcplisten, `--` and the module's own arguments.
# (Serving on a --tcplisten socket is progs/socket_echo.c in run.sh.)
#
#   cli_test.sh WASMAOT [WORKDIR]       exits 77 (skip) without clang-19
set -u
here=$(cd "$(dirname "$0")" && pwd)
wasmaot=${1:?usage: cli_test.sh WASMAOT [WORKDIR]}
work=${2:-}
CC_WASM=${CC_WASM:-clang-19}
command -v "$CC_WASM" >/dev/null || { echo "SKIP: $CC_WASM not found"; exit 77; }
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/wasi-cli-XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
rm -rf "$work/box"
mkdir -p "$work/bin" "$work/box/rw" "$work/box/ro"
for p in prog unknown unknown_wasi; do
  if ! "$CC_WASM" --target=wasm32-wasi --sysroot=/usr -O2 -o "$work/bin/$p.wasm" \
    "$here/cli/$p.c" 2>"$work/bin/$p.log"; then
    echo "BUILD-FAIL $p: $(head -3 "$work/bin/$p.log")"
    exit 1
  fi
done
echo "read-only data" >"$work/box/ro/r.txt"
cd "$work/box" || exit 1

pass=0 fail=0
out="" err="" st=0
# run ARGS...: runs wasmaot, capturing stdout, stderr and the status
run() {
  out=$("$wasmaot" run "$@" 2>"$work/stderr" </dev/null)
  st=$?
  err=$(cat "$work/stderr")
}
ok() { echo "PASS  $1"; pass=$((pass + 1)); }
bad() {
  echo "FAIL  $1"
  echo "      status $st; stdout: $(echo "$out" | head -5 | tr '\n' '|')"
  echo "      stderr: $(echo "$err" | head -5 | tr '\n' '|')"
  fail=$((fail + 1))
}
# expect NAME STATUS STDOUT-REGEX STDERR-REGEX (extended regexes; "" = any)
expect() {
  local name=$1 want_st=$2 want_out=$3 want_err=$4
  if [ "$st" != "$want_st" ]; then bad "$name (exit $st, expected $want_st)"
  elif [ -n "$want_out" ] && ! grep -Eq -- "$want_out" <<<"$out"; then
    bad "$name (stdout does not match /$want_out/)"
  elif [ -n "$want_err" ] && ! grep -Eq -- "$want_err" <<<"$err"; then
    bad "$name (stderr does not match /$want_err/)"
  else ok "$name"; fi
}
P=$work/bin/prog.wasm

run "$P" exit 0
expect "exit 0" 0 "" ""
run "$P" exit 7
expect "exit code propagates (7)" 7 "" ""
run "$P" exit 255
expect "exit code propagates (255)" 255 "" ""
run "$P" trap
expect "trap exits 134" 134 "" "trap: unreachable \(UNREACHABLE\)"
expect "trap prints a backtrace" 134 "" "#0 .*prog\.wasm!main"

run "$work/bin/unknown.wasm"
expect "unknown import fails the start" 1 "" \
  "unresolved import env\.missing_fn \(func \[i32 i64\] -> \[i32\]\)"
[ -z "$out" ] || bad "unknown import: the module must not start"
run "$work/bin/unknown_wasi.wasm"
expect "unknown preview1 field fails the start" 1 "" \
  "unresolved import wasi_snapshot_preview1\.fd_frobnicate \(func \[i32\] -> \[i32\]\)"
run --trap-unknown-imports "$work/bin/unknown.wasm"
expect "--trap-unknown-imports: starts while not called" 0 "^started$" ""
run --trap-unknown-imports -- "$work/bin/unknown.wasm" call
expect "--trap-unknown-imports: the call traps (134)" 134 "^started$" \
  "trap: call to an unlinked import \(UNLINKED_IMPORT\): env\.missing_fn"
run --trap-unknown-imports "$work/bin/unknown_wasi.wasm" call
expect "--trap-unknown-imports: unknown preview1 field traps" 134 "" \
  "UNLINKED_IMPORT.*wasi_snapshot_preview1\.fd_frobnicate"

export WASI_CLI_INHERITED=from-host
run "$P" env WASI_CLI_INHERITED
expect "no --env-inherit: the host environment stays out" 0 \
  "^WASI_CLI_INHERITED=\(unset\)$" ""
run --env-inherit "$P" env WASI_CLI_INHERITED
expect "--env-inherit passes the host environment" 0 \
  "^WASI_CLI_INHERITED=from-host$" ""
run --env-inherit --env WASI_CLI_INHERITED=override --env K=a=b "$P" env \
  WASI_CLI_INHERITED K
expect "--env overrides --env-inherit" 0 "^WASI_CLI_INHERITED=override$" ""
expect "--env value may hold '='" 0 "^K=a=b$" ""
unset WASI_CLI_INHERITED
run --env NOEQUALS "$P" env X
expect "--env without '=' is a usage error" 2 "" "KEY=VALUE"

run --dir-ro ro "$P" write ro/new.txt ro/newdir
expect "--dir-ro refuses creating a file" 0 "^create ro/new.txt: ENOTCAPABLE$" ""
expect "--dir-ro refuses mkdir" 0 "^mkdir ro/newdir: ENOTCAPABLE$" ""
run --dir-ro ro "$P" write ro/r.txt ro/newdir
expect "--dir-ro refuses writing an existing file" 0 \
  "^write ro/r.txt: (EBADF|ENOTCAPABLE)$" ""
expect "--dir-ro refuses unlink" 0 "^unlink ro/r.txt: ENOTCAPABLE$" ""
[ "$(cat ro/r.txt)" = "read-only data" ] && [ ! -e ro/new.txt ] &&
  [ ! -e ro/newdir ] && ok "--dir-ro left the directory alone" ||
  bad "--dir-ro left the directory alone"
run --dir-ro ro::/data "$P" read /data/r.txt
expect "--dir-ro HOST::GUEST reads" 0 "^read /data/r.txt: OK read-only data$" ""
run --dir rw::/w "$P" write /w/f.txt /w/d
expect "--dir HOST::GUEST creates" 0 "^create /w/f.txt: OK$" ""
expect "--dir HOST::GUEST writes" 0 "^write /w/f.txt: OK$" ""
expect "--dir HOST::GUEST mkdir" 0 "^mkdir /w/d: OK$" ""
[ -d rw/d ] && ok "--dir wrote to the host directory" ||
  bad "--dir wrote to the host directory"
run --dir rw::/w "$P" read /r.txt
expect "paths outside every preopen are refused" 0 \
  "^read /r.txt: (ENOTCAPABLE|ENOENT) $" ""
run --dir missing-dir "$P" exit 0
expect "a missing --dir is an error naming it" 1 "" "missing-dir"

run --tcplisten 127.0.0.1:0 "$P" exit 3
expect "--tcplisten HOST:PORT (port 0: any) starts" 3 "" ""
run --tcplisten localhost "$P" exit 0
expect "--tcplisten without a port is a usage error" 2 "" "HOST:PORT"
run --tcplisten 999.1.1.1:80 "$P" exit 0
expect "--tcplisten with a bad address fails naming it" 2 "" "999.1.1.1:80"

run -- "$P" args -x --env Y=1 -- z
expect "arguments after FILE go to the module" 0 \
  "^arg\[0\]=-x$" ""
expect "even ones that look like options" 0 "^arg\[1\]=--env$" ""
expect "and --" 0 "^arg\[3\]=--$" ""
run --no-such-flag "$P" exit 0
expect "unknown option is a usage error" 2 "" "unknown option '--no-such-flag'"

echo "wasi cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
