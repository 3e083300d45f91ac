#!/bin/sh
# coldhost.sh [BUILD_DIR]: time from `wasmaot run REF` on a cold host (empty
# artifact cache, empty image store) to the end of a module of 10 MB or
# more, whose first and only output comes at once: without a precompiled
# artifact (the host compiles) and with a trusted one (docs/precompile.md).
# Not a test. Two sources:
#   1. image layouts: `wasmaot package`, then `wasmaot precompile
#      --sign-key` into a second layout;
#   2. a registry (Debian's docker-registry on 127.0.0.1, started here):
#      the image pushed with skopeo, then `wasmaot warm --push` on a "CI"
#      host attaches the signed artifact as a referrer; cold hosts pull.
# Needs: hyperfine, clang-19 + wasi-libc, python3, skopeo, docker-registry.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
w=$build/launcher/wasmaot
[ -x "$w" ] || { echo "no $w: build first" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/wasmaot-coldhost.XXXXXX")
reg_pid=
cleanup() {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
unset WASMAOT_DEBUG_CACHE
cold_env="WASMAOT_CACHE_DIR=$work/cold/cache WASMAOT_STORE_DIR=$work/cold/store"
export WASMAOT_TRUSTED_KEYS="$work/trusted"

echo "== building the module and the images"
sh "$here/bigmodule.sh" "$work"
"$w" key generate -o "$work/ci" >/dev/null
mkdir -p "$WASMAOT_TRUSTED_KEYS"
cp "$work/ci.pub" "$WASMAOT_TRUSTED_KEYS/"
"$w" package "$work/big.wasm" -o "oci:$work/plain:v1"
# The "CI host" compiles with its own cache; the cold host never sees it.
WASMAOT_CACHE_DIR=$work/ci/cache WASMAOT_STORE_DIR=$work/ci/store \
  "$w" precompile "oci:$work/plain:v1" -o "oci:$work/pre:v1" \
  --sign-key "$work/ci.key"

# Each timed run starts from an empty cache and store.
prepare="rm -rf $work/cold"
hyperfine -N --runs 3 --prepare "$prepare" \
  -n 'layout, no precompiled artifact (cold host compiles)' \
  "env $cold_env $w run oci:$work/plain:v1" \
  -n 'layout, trusted precompiled artifact' \
  "env $cold_env $w run oci:$work/pre:v1"

if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null
then
  echo "registry part skipped: docker-registry or skopeo missing"
  exit 0
fi
echo "== registry on 127.0.0.1"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
  secret: coldhost
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
i=0
until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "registry did not start" >&2; exit 1; }
  sleep 0.1
done
reg=127.0.0.1:$port
for repo in big big-plain; do
  skopeo copy --quiet --dest-tls-verify=false "oci:$work/plain:v1" \
    "docker://$reg/$repo:v1"
done
WASMAOT_CACHE_DIR=$work/ci/cache WASMAOT_STORE_DIR=$work/ci/store \
  "$w" warm --plain-http "$reg/big:v1" --push --sign-key "$work/ci.key"
hyperfine -N --runs 3 --prepare "$prepare" \
  -n 'registry, no precompiled artifact (cold host compiles)' \
  "env $cold_env $w run --plain-http $reg/big-plain:v1" \
  -n 'registry, trusted precompiled artifact (referrer)' \
  "env $cold_env $w run --plain-http $reg/big:v1"
