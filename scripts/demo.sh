#!/bin/sh
# The main job on the bundled example (see README.md).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
W="$BUILD/launcher/wasmaot"
echo "\$ wasmaot validate examples/hello.wasm"
"$W" validate examples/hello.wasm && echo "(valid)"
echo "\$ wasmaot inspect examples/hello.wasm"
"$W" inspect examples/hello.wasm
