#!/bin/sh
# demo.sh [BUILD]: the main job on the bundled examples (README.md, `make
# demo`): validate and inspect a WASI program, compile it ahead of time to
# an artifact, inspect and run the artifact, call single exports of a
# second module directly, then package the first as an OCI image and run
# that twice (compiled on first use, then from the cache). Every step prints
# the command it runs, as a user would type it. The cache lives in BUILD so the demo leaves ~/.cache alone.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
W="$BUILD/launcher/wasmaot"
[ -x "$W" ] || { echo "demo: no $W; run 'make demo' (it builds first)" >&2; exit 1; }
# A fresh cache each time, so the first run of add.wasm really compiles.
export WASMAOT_CACHE_DIR="$BUILD/demo-cache"
rm -rf "$WASMAOT_CACHE_DIR"

step() { # prints "$ wasmaot ARGS" and runs it; a failing step ends the demo
  printf '\n$ wasmaot %s\n' "$*"
  if ! "$W" "$@"; then
    echo "demo: 'wasmaot $*' failed" >&2
    exit 1
  fi
}

# `inspect` prints a module's or artifact's structure; say so plainly
# instead of failing the whole demo on a build that lacks it.
inspect() {
  if "$W" --help | grep -q '^  inspect '; then
    step inspect "$@"
  else
    printf '\n$ wasmaot inspect %s\n(skipped: this build has no inspect command)\n' "$*"
  fi
}

echo "== a WASI program (examples/hello.c, built with clang-19 --target=wasm32-wasi)"
step validate examples/hello.wasm
echo "(valid: validate is silent and exits 0)"
inspect examples/hello.wasm
step compile examples/hello.wasm -o "$BUILD/hello.wao"
echo "(wrote $BUILD/hello.wao, $(wc -c <"$BUILD/hello.wao") bytes of native code and metadata)"
inspect "$BUILD/hello.wao"
step run --env WHO=demo "$BUILD/hello.wao" one two

echo
echo "== calling exports directly (examples/add.wat)"
step validate examples/add.wasm
echo "(valid)"
# A .wasm runs through the artifact cache: the first run compiles, the
# second loads the cached artifact without loading the compiler;
# WASMAOT_DEBUG_CACHE makes that visible.
export WASMAOT_DEBUG_CACHE=1
step run --invoke add examples/add.wasm 2 40
step run --invoke fac examples/add.wasm 20

echo
echo "== an OCI image, run with no daemon"
# `package` writes an image layout with the project's own image writer;
# `run` imports it into a private image store and runs its module through
# the cache: the first run compiles, the second starts from the cache.
export WASMAOT_STORE_DIR="$BUILD/demo-store"
rm -rf "$WASMAOT_STORE_DIR" "$BUILD/demo-image"
step package examples/hello.wasm -o "oci:$BUILD/demo-image:hello" --kind rootfs \
  --env WHO=image --arg from-the-image
step run "oci:$BUILD/demo-image:hello"
step run "oci:$BUILD/demo-image:hello"
unset WASMAOT_DEBUG_CACHE
step images
step cache ls
echo
echo "demo: done"
