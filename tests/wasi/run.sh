#!/bin/bash
# run.sh: the WASI differential harness. Builds every tests/wasi/progs/*.c
# twice, natively (cc) and for wasm32-wasi (clang-19 with Debian's
# wasi-libc), runs the native build and the wasm build under an engine,
# each in a fresh sandbox directory, and compares stdout, stderr, the exit
# status and the files left in the sandbox. Programs marked "expect" are
# WASI-only (the sandbox, rights, raw calls); their output is compared with
# progs/NAME.expected instead. It also checks that the programs together
# import every function of runtime/wasi/wasi.def.
#
#   run.sh --engine node                      node's WASI (the peer)
#   run.sh --engine wasmaot --wasmaot PATH    `wasmaot run`
#   run.sh --engine w2c --wi-libs "A.a B.a"   our WASI core under wasm2c
#                                             (tools/w2c_host.c), no runtime
# Options: --work DIR (keep outputs there), NAME... (only these programs).
# Environment: JOBS (parallel builds, default 2), CC_NATIVE, CC_WASM, NODE.
#
# Per-program settings are "// wasi-test: KEY=VALUE" lines in the source:
#   args=A B   env=K=V K2=V2   (each word %XX-decoded, so %20 is a space)
#   stdin=text:ENCODED | file:NAME (progs/data) | host:PATH   (default none)
#   exit=N            expected status (the native run must agree)
#   setup=SHELL       run in each sandbox before the program
#   expect            WASI-only; compare with progs/NAME.expected
#   tcp               a server: gets a listening socket, tools/tcpclient talks
#   node-skip=WHY     not run under node;  node-differs=WHY  a known
#                     difference of node (XFAIL; passing would be XPASS)
set -u
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/progs
engine=""
wasmaot=""
wilibs=""
work=""
only=()
while [ $# -gt 0 ]; do
  case $1 in
  --engine) engine=$2; shift 2 ;;
  --wasmaot) wasmaot=$2; shift 2 ;;
  --wi-libs) wilibs=$2; shift 2 ;;
  --work) work=$2; shift 2 ;;
  -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
  -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  *) only+=("$1"); shift ;;
  esac
done
case $engine in
node|wasmaot|w2c) ;;
*) echo "run.sh: --engine node|wasmaot|w2c" >&2; exit 2 ;;
esac
CC_NATIVE=${CC_NATIVE:-cc}
CC_WASM=${CC_WASM:-clang-19}
NODE=${NODE:-node}
for tool in "$CC_NATIVE" "$CC_WASM"; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done
if [ "$engine" = node ]; then
  command -v "$NODE" >/dev/null || { echo "SKIP: node not found"; exit 77; }
elif [ "$engine" = w2c ]; then
  command -v wasm2c >/dev/null || { echo "SKIP: wasm2c not found"; exit 77; }
  [ -n "$wilibs" ] || { echo "run.sh: --wi-libs for w2c" >&2; exit 2; }
elif [ ! -x "$wasmaot" ]; then
  echo "run.sh: --wasmaot PATH to the wasmaot binary" >&2
  exit 2
fi
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/wasi-run-XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/bin" "$work/run"

# ------------------------------------------------------------- helpers

decode() { # %XX-decoding of one word
  local s=${1//\\/\\\\}
  printf '%b' "${s//%/\\x}"
}

meta() { # meta FILE KEY -> value of "// wasi-test: KEY=..." ("" if absent)
  sed -n "s|^// wasi-test: $2=\\(.*\\)\$|\\1|p" "$1" | head -1
}

has_flag() { # has_flag FILE KEY
  grep -q "^// wasi-test: $2\$" "$1"
}

tree() { # the sandbox as text: type, path, size and digest of files
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
    if [ -L "$p" ]; then echo "l $p -> $(readlink "$p")"
    elif [ -d "$p" ]; then echo "d $p"
    else echo "f $p $(stat -c %s "$p") $(md5sum <"$p" | cut -c1-32)"; fi
  done)
}

# engine_cmd SANDBOX WASM [--tcplisten ADDR] -- ARGS: the command line
engine_cmd() {
  local sb=$1 wasm=$2
  shift 2
  local extra=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do extra+=("$1"); shift; done
  shift
  if [ "$engine" = node ]; then
    echo_cmd=("$NODE" --no-warnings "$here/node_run.mjs" --dir "$sb::." \
      "${envflags[@]}" -- "$wasm" "$@")
  elif [ "$engine" = w2c ]; then
    echo_cmd=("${wasm%.wasm}.w2c" --dir "$sb::." "${envflags[@]}" \
      "${extra[@]}" -- "$wasm" "$@")
  else
    echo_cmd=("$wasmaot" run --dir "$sb::." "${envflags[@]}" "${extra[@]}" \
      -- "$wasm" "$@")
  fi
}

# run_one SIDE NAME: runs the native or the engine build in a fresh
# sandbox; leaves out/err/status/tree files in $work/run/NAME.SIDE
run_one() {
  local side=$1 name=$2 src=$progs/$2.c
  local d=$work/run/$name.$side
  local sb=$d/box/sandbox
  rm -rf "$d"
  mkdir -p "$sb"
  echo SECRET >"$d/box/secret.txt"
  local setup
  setup=$(meta "$src" setup)
  if [ -n "$setup" ]; then
    (cd "$sb" && sh -c "$setup") || echo "run.sh: setup failed" >&2
  fi
  local in=/dev/null spec
  spec=$(meta "$src" stdin)
  case $spec in
  text:*) decode "${spec#text:}" >"$d/stdin"; in=$d/stdin ;;
  file:*) in=$progs/data/${spec#file:} ;;
  host:*) in=${spec#host:} ;;
  esac
  local port="" tcp=0
  if has_flag "$src" tcp; then
    tcp=1
    port=$("$work/bin/tcpclient" freeport)
  fi
  local cmd=()
  if [ "$side" = native ]; then
    local envs=()
    for kv in "${envlist[@]}"; do envs+=("$kv"); done
    [ $tcp = 1 ] && envs+=("WASI_TEST_LISTEN=127.0.0.1:$port")
    cmd=(env -i "${envs[@]}" "$work/bin/$name.native" "${arglist[@]}")
  else
    local extra=()
    [ $tcp = 1 ] && extra=(--tcplisten "127.0.0.1:$port")
    engine_cmd "$sb" "$work/bin/$name.wasm" "${extra[@]}" -- \
      "${arglist[@]}"
    cmd=("${echo_cmd[@]}")
  fi
  printf '%q ' "${cmd[@]}" >"$d/cmd"
  (
    cd "$sb" || exit 1
    if [ $tcp = 1 ]; then
      timeout 60 "${cmd[@]}" <"$in" >"$d/out" 2>"$d/err" &
      pid=$!
      timeout 30 "$work/bin/tcpclient" "127.0.0.1:$port" >"$d/client" 2>&1
      wait $pid
      st=$?
      { echo "--- client ---"; cat "$d/client"; } >>"$d/out"
      exit $st
    fi
    timeout 60 "${cmd[@]}" <"$in" >"$d/out" 2>"$d/err"
  )
  echo $? >"$d/status"
  tree "$sb" >"$d/tree"
  # Nothing may change next to the sandbox.
  (cd "$d/box" && ls -A | LC_ALL=C sort | tr '\n' ' ' && cat secret.txt) \
    >"$d/outside"
}

# ---------------------------------------------------------------- build

names=()
for f in "$progs"/*.c; do
  n=$(basename "$f" .c)
  if [ ${#only[@]} -gt 0 ]; then
    case " ${only[*]} " in *" $n "*) ;; *) continue ;; esac
  fi
  names+=("$n")
done
"$CC_NATIVE" -O2 -o "$work/bin/tcpclient" "$here/tools/tcpclient.c" || exit 1
# build_one NAME: the wasm (and w2c) and native builds of one program.
# Outputs of an earlier run are removed first, so a failed build never
# leaves a stale binary to be run; failures go to $work/bin/NAME.fail.
build_one() {
  local n=$1 fails=$work/bin/$1.fail
  rm -f "$work/bin/$n.wasm" "$work/bin/$n.native" "$work/bin/$n.w2c" "$fails"
  if ! "$CC_WASM" --target=wasm32-wasi --sysroot=/usr -O2 -Wall \
    -o "$work/bin/$n.wasm" "$progs/$n.c" 2>"$work/bin/$n.wasm.log"; then
    echo "BUILD-FAIL $n (wasm32-wasi): $(head -3 "$work/bin/$n.wasm.log")" >>"$fails"
  fi
  if [ "$engine" = w2c ] && [ -f "$work/bin/$n.wasm" ]; then
    local g=$work/w2c/$n wabt=/usr/share/wabt/wasm2c root=$here/../../runtime
    mkdir -p "$g"
    if ! { wasm2c -n prog "$work/bin/$n.wasm" -o "$g/prog.c" &&
      "$CC_NATIVE" -O1 -w -D_GNU_SOURCE -I"$g" -I"$wabt" -I"$root/wasi" \
        -I"$root" -I"$root/base" -o "$work/bin/$n.w2c" "$g/prog.c" \
        "$here/tools/w2c_host.c" "$wabt/wasm-rt-impl.c" $wilibs -lm; } \
      >"$g/log" 2>&1; then
      echo "BUILD-FAIL $n (wasm2c): $(head -3 "$g/log")" >>"$fails"
      rm -f "$work/bin/$n.wasm"
    fi
  fi
  if ! has_flag "$progs/$n.c" expect; then
    if ! "$CC_NATIVE" -O2 -Wall -o "$work/bin/$n.native" "$progs/$n.c" \
      2>"$work/bin/$n.native.log"; then
      echo "BUILD-FAIL $n (native): $(head -3 "$work/bin/$n.native.log")" >>"$fails"
    fi
  fi
}
# Builds run $JOBS at a time (the runs themselves stay one at a time: the
# clock and sleep programs measure time).
JOBS=${JOBS:-2}
running=0
for n in "${names[@]}"; do
  build_one "$n" &
  running=$((running + 1))
  if [ $running -ge "$JOBS" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
build_fail=0
for n in "${names[@]}"; do
  if [ -s "$work/bin/$n.fail" ]; then
    cat "$work/bin/$n.fail"
    build_fail=$((build_fail + $(wc -l <"$work/bin/$n.fail")))
  fi
done

# ------------------------------------------- coverage of preview1 imports

coverage_fail=0
if [ ${#only[@]} -eq 0 ] && command -v wasm-objdump >/dev/null; then
  want=$(sed -n 's/^X(\([a-z_0-9]*\),.*/\1/p' "$here/../../runtime/wasi/wasi.def" | sort -u)
  have=$(for w in "$work"/bin/*.wasm; do wasm-objdump -x -j Import "$w"; done |
    sed -n 's/.*<- wasi_snapshot_preview1\.\([a-z_0-9]*\)$/\1/p' | sort -u)
  missing=$(comm -23 <(echo "$want") <(echo "$have"))
  if [ -n "$missing" ]; then
    echo "COVERAGE: no program imports:" $missing
    coverage_fail=1
  else
    echo "coverage: the programs import all $(echo "$want" | wc -l) preview1 functions"
  fi
fi

# --------------------------------------------- is the engine able at all?

# `wasmaot run` links runtime/wasi: a wasmaot that cannot run hello is
# broken, which is a failure (one line instead of one per program).
if [ "$engine" = wasmaot ]; then
  envflags=()
  probe=$work/run/probe
  mkdir -p "$probe"
  case " ${names[*]} " in
  *" hello "*) ;; # built above
  *) "$CC_WASM" --target=wasm32-wasi --sysroot=/usr -O2 \
    -o "$work/bin/hello.wasm" "$progs/hello.c" ;;
  esac
  engine_cmd "$probe" "$work/bin/hello.wasm" --
  if ! out=$(cd "$probe" && timeout 60 "${echo_cmd[@]}" 2>"$probe.err") ||
    [ "$out" != "$(printf 'hello, world\nraw write')" ]; then
    echo "FAIL: \`wasmaot run\` cannot run a WASI program:"
    echo "  $(printf '%q ' "${echo_cmd[@]}")"
    sed 's/^/  /' "$probe.err" | head -5
    echo "wasi ($engine): 0 passed, 0 known differences, 0 skipped, ${#names[@]} failed (wasmaot cannot run hello.wasm)"
    exit 1
  fi
fi

# ----------------------------------------------------------------- runs

pass=0 fail=0 xfail=0 skip=0
for n in "${names[@]}"; do
  src=$progs/$n.c
  [ -f "$work/bin/$n.wasm" ] || { fail=$((fail + 1)); continue; }
  arglist=()
  for a in $(meta "$src" args); do arglist+=("$(decode "$a")"); done
  envlist=()
  envflags=()
  for kv in $(meta "$src" env); do
    kv=$(decode "$kv")
    envlist+=("$kv")
    envflags+=(--env "$kv")
  done
  if [ "$engine" = node ] && [ -n "$(meta "$src" node-skip)" ]; then
    echo "SKIP  $n: $(meta "$src" node-skip)"
    skip=$((skip + 1))
    continue
  fi
  want_status=$(meta "$src" exit)
  want_status=${want_status:-0}
  e=$work/run/$n.engine
  problems=()
  run_one engine "$n"
  if has_flag "$src" expect; then
    cmp -s "$progs/$n.expected" "$e/out" || problems+=("stdout differs from $n.expected")
    [ "$(cat "$e/status")" = "$want_status" ] ||
      problems+=("exit $(cat "$e/status"), expected $want_status")
  else
    run_one native "$n"
    nat=$work/run/$n.native
    [ "$(cat "$nat/status")" = "$want_status" ] ||
      problems+=("native exit $(cat "$nat/status"), expected $want_status")
    cmp -s "$nat/out" "$e/out" || problems+=("stdout differs")
    cmp -s "$nat/err" "$e/err" || problems+=("stderr differs")
    [ "$(cat "$nat/status")" = "$(cat "$e/status")" ] ||
      problems+=("exit $(cat "$e/status"), native $(cat "$nat/status")")
    cmp -s "$nat/tree" "$e/tree" || problems+=("files differ")
  fi
  [ "$(cat "$e/outside")" = "sandbox secret.txt SECRET" ] ||
    problems+=("something outside the sandbox changed: $(cat "$e/outside")")
  differs=$(meta "$src" node-differs)
  if [ ${#problems[@]} -eq 0 ]; then
    if [ "$engine" = node ] && [ -n "$differs" ]; then
      echo "XPASS $n: expected to differ under node ($differs)"
      fail=$((fail + 1))
    else
      echo "PASS  $n"
      pass=$((pass + 1))
    fi
  elif [ "$engine" = node ] && [ -n "$differs" ]; then
    echo "XFAIL $n: $differs (${problems[*]})"
    xfail=$((xfail + 1))
  else
    echo "FAIL  $n: $(IFS=';'; echo "${problems[*]}")"
    echo "      $(cat "$e/cmd")"
    if has_flag "$src" expect; then
      diff "$progs/$n.expected" "$e/out" | head -20 | sed 's/^/      /'
    else
      diff "$work/run/$n.native/out" "$e/out" | head -20 | sed 's/^/      /'
      diff "$work/run/$n.native/err" "$e/err" | head -6 | sed 's/^/      /'
      diff "$work/run/$n.native/tree" "$e/tree" | head -6 | sed 's/^/      /'
    fi
    fail=$((fail + 1))
  fi
done
fail=$((fail + build_fail + coverage_fail))
echo "wasi ($engine): $pass passed, $xfail known differences, $skip skipped, $fail failed"
[ $fail -eq 0 ]
