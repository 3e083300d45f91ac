#!/bin/sh
# signed_cli_test.sh WASMAOT PROG.wasm: signed cache exports end to end.
# `key generate`, `cache export --sign-key`, `cache import` without --trust
# into an empty cache that trusts the public key; then an archive whose
# entry was changed after signing (manifest fixed up to match, so only the
# signature can catch it): import refuses it, the cache stays empty and
# `run` compiles locally. Exit 77 (skipped) without the test module.
set -u
W=$1
P=$2
[ -f "$P" ] || { echo "skip: $P not built"; exit 77; }
T=$(mktemp -d /tmp/wk-sig-XXXXXX)
trap 'chmod -R u+rwX "$T"; rm -rf "$T"' EXIT
unset WASMAOT_CACHE_MAX_SIZE WASMAOT_TRUSTED_KEYS XDG_CONFIG_HOME
export HOME="$T/home" WASMAOT_STORE_DIR="$T/store" WASMAOT_DEBUG_CACHE=1
mkdir -p "$HOME"
fails=0
check() { # description, then a command that must succeed
  d=$1; shift
  if "$@" >"$T/out" 2>"$T/err"; then echo "ok: $d"; else
    echo "FAIL: $d"; cat "$T/out" "$T/err"; fails=$((fails + 1)); fi
}
A="$T/a" B="$T/b" C="$T/c"
TK="$HOME/.config/wasmaot/trusted-keys"

check "key generate writes a private key 0600 and a public key" sh -c "'$W' key generate -o '$T/k' | grep -q 'key id' && [ \"\$(stat -c %a '$T/k.key')\" = 600 ] && grep -q 'BEGIN PUBLIC KEY' '$T/k.pub'"
check "key generate does not overwrite a key" sh -c "! '$W' key generate -o '$T/k' 2>/dev/null"
check "key id prints the sha256 of the key" sh -c "[ \"\$('$W' key id '$T/k.pub' | wc -c)\" = 65 ]"
check "a run fills cache A" sh -c "WASMAOT_CACHE_DIR='$A' '$W' run '$P' hello 2>&1 | grep -q 'hello from wasm'"
check "export --sign-key" sh -c "'$W' cache --dir '$A' export --sign-key '$T/k.key' '$T/x.tar.zst' | grep -q 'exported 1 entry'"
check "the archive holds SIGNATURES" sh -c "zstd -dc '$T/x.tar.zst' | tar tf - | grep -qx 'wasmaot-cache/SIGNATURES'"
check "import without a trusted key is refused as untrusted" sh -c "! '$W' cache --dir '$B' import '$T/x.tar.zst' 2>'$T/e'; grep -q 'not trusted' '$T/e' && '$W' cache --dir '$B' ls | grep -q 'is empty'"
mkdir -p "$TK" && chmod 700 "$TK" && cp "$T/k.pub" "$TK/"
check "import with the key trusted needs no --trust" sh -c "'$W' cache --dir '$B' import '$T/x.tar.zst' | grep -q 'imported 1 entry'"
check "the imported entry is a hit" sh -c "WASMAOT_CACHE_DIR='$B' '$W' run '$P' hello 2>&1 | grep -q 'cache: hit'"
check "--trusted-keys overrides the default" sh -c "mkdir -p '$T/none' && ! '$W' cache --dir '$T/c2' import --trusted-keys '$T/none' '$T/x.tar.zst' 2>/dev/null"

# Tamper: flip a byte of the artifact, fix the manifest's size/sha256 so
# only the signature can tell, repack in the same member order.
mkdir "$T/x"
zstd -dc "$T/x.tar.zst" | tar xf - -C "$T/x"
wao=$(cd "$T/x" && ls wasmaot-cache/*.wao)
python3 - "$T/x/$wao" "$T/x/wasmaot-cache/MANIFEST" <<'PY'
import hashlib, sys
art, man = sys.argv[1], sys.argv[2]
b = bytearray(open(art, "rb").read())
old = hashlib.sha256(b).hexdigest()
b[-1] ^= 0xff
open(art, "wb").write(b)
t = open(man).read().replace(old, hashlib.sha256(b).hexdigest())
open(man, "w").write(t)
PY
(cd "$T/x" && tar --format=pax -cf - wasmaot-cache/MANIFEST wasmaot-cache/SIGNATURES "$wao") | zstd -q -o "$T/bad.tar.zst"
check "a tampered entry is refused, naming it and the reason" sh -c "! '$W' cache --dir '$C' import '$T/bad.tar.zst' 2>'$T/e'; grep -q '^wasmaot: refused .*bad signature' '$T/e' && grep -q \"\$(basename '$wao')\" '$T/e'"
check "nothing of it is in the cache" sh -c "'$W' cache --dir '$C' ls | grep -q 'is empty' && [ -z \"\$(find '$C' -name '*.wao')\" ]"
check "run then compiles locally" sh -c "WASMAOT_CACHE_DIR='$C' '$W' run '$P' hello 2>&1 | grep -q 'compiling' && '$W' cache --dir '$C' ls | grep -q local"
check "with --trust the unsigned archive imports" sh -c "'$W' cache --dir '$T/d' export '$T/u.tar.zst' >/dev/null; '$W' cache --dir '$A' export '$T/u.tar.zst' >/dev/null && '$W' cache --dir '$T/d' import --trust '$T/u.tar.zst' | grep -q 'imported 1'"
[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
