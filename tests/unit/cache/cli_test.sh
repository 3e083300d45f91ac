#!/bin/sh
# cli_test.sh WASMAOT: `wasmaot cache` on a private temp cache: paths,
# limits, usage errors, the trust refusal, permission refusal, and an
# export that the zstd and tar tools read. Entries need real artifacts, so
# filling is covered by the Criterion tests (test_cache).
set -u
W=$1
T=$(mktemp -d /tmp/wk-cli-XXXXXX)
trap 'chmod -R u+rwX "$T"; rm -rf "$T"' EXIT
export WASMAOT_CACHE_DIR="$T/cache"
unset WASMAOT_CACHE_MAX_SIZE
fails=0
check() { # description, then a command that must succeed
  d=$1; shift
  if "$@" >"$T/out" 2>"$T/err"; then echo "ok: $d"; else
    echo "FAIL: $d"; cat "$T/out" "$T/err"; fails=$((fails + 1)); fi
}
status() { # expected status, command...
  want=$1; shift
  "$@" >"$T/out" 2>"$T/err"
  [ $? -eq "$want" ]
}

check "dir prints WASMAOT_CACHE_DIR" sh -c "[ \"\$('$W' cache dir)\" = '$T/cache' ]"
check "--dir overrides it" sh -c "[ \"\$('$W' cache --dir /x/y dir)\" = /x/y ]"
check "stats on a new cache" sh -c "'$W' cache stats | grep -q 'entries:    0'"
check "the new directory is private" sh -c "[ \"\$(stat -c %a '$T/cache')\" = 700 ]"
check "default limit is 2 GiB" sh -c "[ \"\$('$W' cache limit)\" = '2.0 GiB' ]"
check "limit is stored" sh -c "'$W' cache limit 10M >/dev/null && [ \"\$('$W' cache limit)\" = '10.0 MiB' ] && grep -q 'max-size = 10485760' '$T/cache/config'"
check "gc on an empty cache" sh -c "'$W' cache gc | grep -q 'removed 0 entries'"
check "gc --max-size" sh -c "'$W' cache gc --max-size 1G | grep -q 'removed 0'"
check "clear" "$W" cache clear
check "verify on an empty cache" sh -c "'$W' cache verify | grep -q '0 ok, 0 bad'"
check "ls on an empty cache" sh -c "'$W' cache ls | grep -q 'is empty'"
check "export writes a tar.zst with a manifest" sh -c "'$W' cache export '$T/x.tar.zst' >/dev/null && zstd -q -t '$T/x.tar.zst' && zstd -dc '$T/x.tar.zst' | tar tf - | grep -qx 'wasmaot-cache/MANIFEST'"
check "import without --trust is refused and says why" sh -c "! '$W' cache import '$T/x.tar.zst' 2>'$T/e'; grep -q -- '--trust' '$T/e' && grep -q 'not signed' '$T/e'"
check "a bad size is a usage error" status 2 "$W" cache gc --max-size 2X
check "an unknown command is a usage error" status 2 "$W" cache frobnicate
check "no command is a usage error" status 2 "$W" cache
check "--help" sh -c "'$W' cache --help | grep -q 'import FILE --trust'"
chmod 777 "$T/cache"
check "a world-writable cache is refused" sh -c "! '$W' cache ls 2>'$T/e'; grep -q 'world-writable' '$T/e'"
chmod 700 "$T/cache"
[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
