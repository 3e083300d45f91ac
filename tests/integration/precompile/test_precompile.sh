#!/bin/sh
# test_precompile.sh SCENARIO: `wasmaot precompile`, the use of the native
# artifacts an image carries by `run` and `warm`, and `warm --push` against
# a real registry (docs/precompile.md). Each scenario runs in its own temp
# dir with its own cache, image store and trusted-keys directory.
#
# The modules print GOOD or EVIL: a tampered image carries an artifact
# compiled from the EVIL module, so "EVIL" on stdout would mean unverified
# native code ran. "wasmaot: cache: precompiled" (WASMAOT_DEBUG_CACHE) marks
# a verified artifact taken from the image, "cache: miss" a local compile.
#
# Environment: WASMAOT, OCITOOL, WAT2WASM, PYTHON, and for some scenarios
# UMOCI, SKOPEO, REGISTRY, CONTAINERD, CTR (binaries). Exit 77: skipped.
set -eu

scenario=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/wasmaot-precompile.XXXXXX")
reg_pid=
ctd_pid=
cleanup() {
  if [ -n "$reg_pid" ]; then
    kill "$reg_pid" 2>/dev/null || true
    wait "$reg_pid" 2>/dev/null || true
  fi
  if [ -n "$ctd_pid" ]; then
    umount "$work/mnt" 2>/dev/null || true
    kill "$ctd_pid" 2>/dev/null || true
    wait "$ctd_pid" 2>/dev/null || true
    # containerd's overlay snapshots may still be mounted below its root
    grep -o " $work/ctd[^ ]*" /proc/self/mounts | sort -r |
      while read -r m; do umount "$m" 2>/dev/null || true; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
cd "$work"
export WASMAOT_CACHE_DIR="$work/cache" WASMAOT_STORE_DIR="$work/store"
export WASMAOT_TRUSTED_KEYS="$work/trusted" HOME="$work"
unset WASMAOT_DEBUG_CACHE

fail() {
  echo "FAIL ($scenario): $*" >&2
  for f in out err; do
    [ -f "$f" ] && { echo "--- $f:" >&2; cat "$f" >&2; }
  done
  exit 1
}
has() { grep -q -- "$2" "$1" || fail "$1 lacks '$2'"; }
hasnt() { ! grep -q -- "$2" "$1" || fail "$1 has '$2'"; }
ocitool() { "$PYTHON" "$OCITOOL" "$@"; }

# A WASI module printing WORD.
module() {
  cat > "$1.wat" <<WAT
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func \$fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "$2\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call \$fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                           (i32.const 8)))))
WAT
  "$WAT2WASM" "$1.wat" -o "$1.wasm"
}

module good GOOD
module evil EVIL
"$WASMAOT" key generate -o trustedkey > /dev/null
"$WASMAOT" key generate -o otherkey > /dev/null
mkdir -m 700 trusted
cp trustedkey.pub trusted/
ocitool artifact img good.wasm v1

# run IMAGE with a fresh cache: stdout in out, stderr in err.
run_fresh() {
  rm -rf cache
  WASMAOT_DEBUG_CACHE=1 "$WASMAOT" run "$@" > out 2> err ||
    fail "run $* failed"
}

# A run that must not use the image's artifact: notice naming WHY, a
# local compile, and the right module ran.
expect_refused() {
  why=$1
  shift
  run_fresh "$@"
  has err "notice: .*precompiled artifact for .* not used ($why"
  has err "cache: miss .*: compiling"
  hasnt err "cache: precompiled"
  has out GOOD
  hasnt out EVIL
}

# A module that prints "waiting", blocks reading stdin, then prints GOOD:
# its process can be looked at while it runs.
waiter() {
  cat > waiter.wat <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $r (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "waiting\n")
  (data (i32.const 48) "GOOD\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 8))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $r (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 48))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
WAT
  "$WAT2WASM" waiter.wat -o waiter.wasm
}

# Runs `wasmaot run "$@"` (DEBUG_CACHE on) until it prints "waiting",
# copies its /proc/PID/maps to ./maps, then lets it finish.
maps_of_run() {
  rm -f in maps
  mkfifo in
  WASMAOT_DEBUG_CACHE=1 "$WASMAOT" run "$@" < in > out 2> err &
  pid=$!
  exec 3> in
  i=0
  until grep -q waiting out 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 600 ] || { kill $pid; fail "run never printed 'waiting'"; }
    kill -0 $pid 2>/dev/null || fail "run exited early"
    sleep 0.1
  done
  cp "/proc/$pid/maps" maps
  echo go >&3
  exec 3>&-
  wait $pid || fail "run $* failed"
  has out GOOD
}

precompile_signed() {
  "$WASMAOT" precompile oci:img:v1 --target host --sign-key "${2:-trustedkey.key}" \
    -o "$1" > pre.out 2> pre.err || { cat pre.err >&2; fail "precompile"; }
}

# Debian's docker-registry on a free loopback port, storage in $work/reg;
# $1: extra YAML (auth). Sets port; cleanup stops it.
start_registry() {
  port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p reg
  cat > reg.yml <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/reg
http:
  addr: 127.0.0.1:$port
  secret: wasmaot-test
${1:-}
YML
  "$REGISTRY" serve reg.yml > reg.log 2>&1 &
  reg_pid=$!
  i=0
  until "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "docker-registry did not start"
    sleep 0.1
  done
}

case $scenario in
uses_artifact)
  precompile_signed oci:pre:v1
  has pre.err "precompile: compiling"
  run_fresh oci:pre:v1
  has out GOOD
  has err "cache: precompiled"
  hasnt err "cache: miss"
  # It went into the cache: the next run is a hit.
  WASMAOT_DEBUG_CACHE=1 "$WASMAOT" run oci:pre:v1 > out 2> err ||
    fail "cached run"
  has out GOOD
  has err "cache: hit"
  # The same through an oci-archive, and for warm.
  "$WASMAOT" precompile oci:img:v1 --sign-key trustedkey.key \
    -o oci-archive:pre.tar:v1 > /dev/null 2>&1 || fail "precompile archive"
  run_fresh oci-archive:pre.tar:v1
  has out GOOD
  has err "cache: precompiled"
  hasnt err "cache: miss"
  rm -rf cache
  "$WASMAOT" warm oci:pre:v1 > out 2> err || fail "warm"
  has out "target host: verified precompiled artifact"
  ;;
no_compiler_mapped)
  # A node that has run Wasm before knows its resolved configuration; a
  # precompiled image then runs without libLLVM or the compiler mapped.
  waiter
  ocitool artifact wimg waiter.wasm v1
  "$WASMAOT" precompile oci:wimg:v1 --sign-key trustedkey.key \
    -o oci:wpre:v1 > /dev/null 2>&1 || fail "precompile"
  # A compiling run maps them (so the check below can see them) and
  # remembers the resolution in cache/resolved.
  maps_of_run waiter.wasm
  has err "cache: miss .*: compiling"
  has maps libwasmaot_compiler
  has maps libLLVM
  # A fresh cache that only knows the resolution: a miss for the image.
  mkdir -m 700 cache2
  cp -rp cache/resolved cache2/
  rm -rf cache
  mv cache2 cache
  maps_of_run oci:wpre:v1
  has err "cache: precompiled"
  hasnt err "cache: miss"
  hasnt maps libwasmaot_compiler
  hasnt maps libLLVM
  ;;
tampered_bytes)
  precompile_signed oci:pre:v1
  "$WASMAOT" compile evil.wasm -o evil.wao > /dev/null 2>&1 || fail "compile"
  ocitool tamper pre artifact evil.wao
  expect_refused "bad signature" oci:pre:v1
  ;;
corrupt_blob)
  precompile_signed oci:pre:v1
  ocitool tamper pre corrupt-blob
  expect_refused "corrupt" oci:pre:v1
  ;;
tampered_metadata)
  precompile_signed oci:pre:v1
  cp -r pre pre2
  evil=sha256:$(sha256sum evil.wasm | cut -d' ' -f1)
  ocitool tamper pre annotation dev.wasmaot.native.module-digest "$evil"
  expect_refused "metadata mismatch" oci:pre:v1
  ocitool tamper pre2 annotation dev.wasmaot.native.format-version 999
  expect_refused "metadata mismatch" oci:pre2:v1
  # The EVIL module's artifact with its valid signature by the trusted
  # key, moved under the GOOD image's metadata: the signature does not
  # cover this module and key.
  ocitool artifact eimg evil.wasm v1
  "$WASMAOT" precompile oci:eimg:v1 --sign-key trustedkey.key \
    -o oci:epre:v1 > /dev/null 2>&1 || fail "precompile evil"
  precompile_signed oci:pre3:v1
  ocitool tamper pre3 graft epre
  expect_refused "bad signature" oci:pre3:v1
  ;;
unsigned)
  "$WASMAOT" precompile oci:img:v1 -o oci:pre:v1 > pre.out 2>&1 ||
    fail "precompile"
  has pre.out unsigned
  expect_refused "unsigned" oci:pre:v1
  precompile_signed oci:pre2:v1
  ocitool tamper pre2 drop-signature
  expect_refused "unsigned" oci:pre2:v1
  ;;
untrusted_key)
  precompile_signed oci:pre:v1 otherkey.key
  expect_refused "untrusted key" oci:pre:v1
  # Trusting it afterwards makes the same image usable.
  cp otherkey.pub trusted/
  run_fresh oci:pre:v1
  has err "cache: precompiled"
  ;;
foreign_target)
  "$WASMAOT" precompile oci:img:v1 --target aarch64-linux-gnu \
    --sign-key trustedkey.key -o oci:pre:v1 > /dev/null 2>&1 ||
    fail "precompile"
  run_fresh oci:pre:v1
  has out GOOD
  has err "cache: miss .*: compiling"
  hasnt err "cache: precompiled"
  hasnt err "notice"
  # warm for that target takes it instead of cross-compiling.
  rm -rf cache
  "$WASMAOT" warm oci:pre:v1 --target aarch64-linux-gnu > out 2> err ||
    fail "warm"
  has out "target aarch64-linux-gnu: verified precompiled artifact"
  ;;
rootfs_unpacks)
  ocitool rootfs rimg good.wasm v1
  "$WASMAOT" precompile oci:rimg:v1 --target host --target aarch64-linux-gnu \
    --sign-key trustedkey.key -o oci:rpre:v1 > /dev/null 2>&1 ||
    fail "precompile"
  ocitool check rpre > out || fail "diff_ids"
  # The image manifest, config and layers are the source's, byte for byte.
  for b in rimg/blobs/sha256/*; do
    cmp "$b" "rpre/blobs/sha256/$(basename "$b")" || fail "blob $b changed"
  done
  "$UMOCI" raw unpack --rootless --image rpre:v1 rootfs > /dev/null 2>&1 ||
    fail "umoci unpack"
  cmp rootfs/app.wasm good.wasm || fail "unpacked rootfs differs"
  "$SKOPEO" copy oci:rpre:v1 oci:copy:v1 > /dev/null 2>&1 || fail "skopeo copy"
  run_fresh oci:rpre:v1
  has out GOOD
  has err "cache: precompiled"
  ;;
containerd)
  # containerd 1.6.20 imports, unpacks and mounts the precompiled rootfs
  # image as the image it was: same manifest digest, same rootfs.
  [ "$(id -u)" = 0 ] || { echo "skipped: containerd needs root"; exit 77; }
  ocitool rootfs rimg good.wasm v1
  "$WASMAOT" precompile oci:rimg:v1 --target host --target aarch64-linux-gnu \
    --sign-key trustedkey.key -o oci-archive:rpre.tar:v1 > /dev/null 2>&1 ||
    fail "precompile"
  mkdir ctd
  cat > ctd/config.toml <<TOML
version = 2
root = "$work/ctd/root"
state = "$work/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/ctd/c.sock"
TOML
  "$CONTAINERD" --config ctd/config.toml > ctd/log 2>&1 &
  ctd_pid=$!
  ctr() { "$CTR" -a "$work/ctd/c.sock" -n wasmaot-precompile "$@"; }
  i=0
  until ctr version > /dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 300 ] || fail "containerd did not start: $(cat ctd/log)"
    sleep 0.1
  done
  ctr images import --base-name example.com/app --platform wasip1/wasm \
    rpre.tar > out 2> err || fail "ctr images import"
  has out "unpacking example.com/app:v1"
  want=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' rimg/index.json)
  ctr images check > out 2> err || fail "ctr images check"
  has out "example.com/app:v1 .*$want.*complete"
  mkdir mnt
  ctr images mount --platform wasip1/wasm example.com/app:v1 "$work/mnt" \
    > out 2> err || fail "ctr images mount"
  cmp mnt/app.wasm good.wasm || fail "mounted rootfs differs"
  ctr images unmount "$work/mnt" > /dev/null 2>&1 || fail "unmount"
  ;;
registry)
  start_registry
  ref=127.0.0.1:$port/good:v1
  "$SKOPEO" copy --dest-tls-verify=false oci:img:v1 "docker://$ref" \
    > /dev/null 2>&1 || fail "skopeo push"
  "$WASMAOT" warm "$ref" --plain-http --target host \
    --target aarch64-linux-gnu --push > out 2> err && fail "push without key"
  "$WASMAOT" warm "$ref" --plain-http --target host \
    --target aarch64-linux-gnu --push --sign-key trustedkey.key > out 2> err ||
    fail "warm --push"
  has out "pushed native artifacts as referrer sha256:"
  # A cold host: no cache, no stored image.
  rm -rf store
  run_fresh --plain-http "$ref"
  has out GOOD
  has err "cache: precompiled"
  hasnt err "cache: miss"
  # precompile reads registry references too.
  "$WASMAOT" precompile "$ref" --plain-http --sign-key trustedkey.key \
    -o oci:fromreg:v1 > /dev/null 2> pre.err || { cat pre.err >&2; fail "precompile $ref"; }
  run_fresh oci:fromreg:v1
  has out GOOD
  has err "cache: precompiled"
  # Signed by a key this host does not trust: compiled locally.
  rm -rf store trusted/*
  expect_refused "untrusted key" --plain-http "$ref"
  ;;
registry_login)
  # An htpasswd-protected registry: --creds on warm (pull and --push) and
  # on the cold host's run.
  "$HTPASSWD" -Bbn alice s3cret > htpasswd || fail "htpasswd"
  start_registry "auth:
  htpasswd:
    realm: wasmaot-test
    path: $work/htpasswd"
  ref=127.0.0.1:$port/good:v1
  "$SKOPEO" copy --dest-tls-verify=false --dest-creds alice:s3cret oci:img:v1 \
    "docker://$ref" > /dev/null 2>&1 || fail "skopeo push with login"
  "$WASMAOT" warm "$ref" --plain-http --push --sign-key trustedkey.key \
    > out 2> err && fail "warm without a login"
  has err "requires a login"
  "$WASMAOT" warm "$ref" --plain-http --creds alice:s3cret --push \
    --sign-key trustedkey.key > out 2> err || { cat err >&2; fail "warm --creds --push"; }
  has out "pushed native artifacts as referrer sha256:"
  rm -rf store
  run_fresh --plain-http --creds alice:s3cret "$ref"
  has out GOOD
  has err "cache: precompiled"
  hasnt err "cache: miss"
  ;;
*)
  fail "unknown scenario"
  ;;
esac
echo "ok: $scenario"
