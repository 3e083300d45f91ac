#!/bin/sh
# tests/cross/run.sh: the aarch64 proof in one command. Installs what is
# missing (cross gcc, arm64 multiarch libraries, qemu-user), builds the
# host spec runner (with the compiler) and the aarch64 runtime and spec
# runner (no LLVM; tests/cross/target with cmake/aarch64-linux-gnu.cmake),
# compiles every module of the spec suite on this x86_64 host for aarch64,
# and runs the suite under qemu-aarch64 from those artifacts.
#
#   tests/cross/run.sh [--bounds guard|explicit|both] [--no-install]
#                      [--host-build DIR | --host-runner PATH]
#                      [--target-build DIR] [--work DIR] [RUNNER_ARGS...]
#
# Defaults: both bounds modes, run side by side; the host build is
# build-cross-host and the aarch64 build build-aarch64, both in the source
# tree; JSON and artifacts go to TARGET_BUILD/spec. RUNNER_ARGS (e.g.
# -f memory -v) go to both runners, so a filter compiles only its files. $JOBS (default 2) caps build
# parallelism, $QEMU overrides the emulator, $WASMAOT_SPEC_DIR the suite.
# Ends with "N passed, N failed" over all modes; exit status 0 only if
# nothing failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
jobs=${JOBS:-2}
bounds=both
install=1
host_build=$root/build-cross-host
host_runner=
target_build=$root/build-aarch64
work=
while [ $# -gt 0 ]; do
  case $1 in
  --bounds) bounds=$2; shift 2 ;;
  --no-install) install=0; shift ;;
  --host-build) host_build=$2; shift 2 ;;
  --host-runner) host_runner=$2; shift 2 ;;
  --target-build) target_build=$2; shift 2 ;;
  --work) work=$2; shift 2 ;;
  --) shift; break ;;
  *) break ;;
  esac
done
case $bounds in
guard | explicit) modes=$bounds ;;
both) modes="guard explicit" ;;
*) echo "cross: --bounds is guard, explicit or both, not '$bounds'" >&2; exit 2 ;;
esac
[ -n "$work" ] || work=$target_build/spec
triple=aarch64-unknown-linux-gnu
t0=$(date +%s)
step() { echo "cross: [$(($(date +%s) - t0))s] $*"; }
# quiet LOG CMD...: runs CMD with its output in LOG, shown only on failure.
quiet() {
  log=$1
  shift
  mkdir -p "$(dirname "$log")"
  "$@" >"$log" 2>&1 || {
    tail -n 40 "$log" >&2
    echo "cross: failed: $*" >&2
    exit 1
  }
}

# ---------------------------------------------------------------- packages
# arm64 libraries come from Debian multiarch, which needs the architecture
# added to dpkg before apt-get update can see them; a package list alone
# (scripts/packages) cannot say that.
pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
      libelf-dev:arm64 libjansson-dev:arm64 libzstd-dev:arm64 zlib1g-dev:arm64
      cmake ninja-build pkg-config wabt"
if [ "$install" = 1 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  update=0
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    step "adding the arm64 architecture to dpkg"
    $SUDO dpkg --add-architecture arm64
    update=1
  fi
  missing=""
  for p in $pkgs; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
      grep -q '^install ok installed' || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    step "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    update=1
  fi
  if [ "$update" = 1 ]; then
    $SUDO apt-get update -q >/dev/null
  fi
  if [ -n "$missing" ]; then
    # --no-remove: a multiarch library must never pull out a host package.
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-remove $missing >/dev/null
  fi
fi
qemu=${QEMU:-}
if [ -z "$qemu" ]; then
  for q in qemu-aarch64 qemu-aarch64-static; do
    if command -v "$q" >/dev/null; then qemu=$q; break; fi
  done
fi
[ -n "$qemu" ] || { echo "cross: qemu-aarch64 not found (apt install qemu-user)" >&2; exit 1; }

# ------------------------------------------------------------------ builds
if [ -z "$host_runner" ]; then
  step "host build ($host_build): spec_runner"
  [ -f "$host_build/build.ninja" ] ||
    quiet "$host_build/cross-configure.log" cmake -S "$root" -B "$host_build" \
      -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  quiet "$host_build/cross-build.log" \
    cmake --build "$host_build" --target spec_runner -j "$jobs"
  host_runner=$host_build/tests/spec/spec_runner
fi
step "aarch64 build ($target_build): runtime + spec_runner, no LLVM"
[ -f "$target_build/build.ninja" ] ||
  quiet "$target_build/configure.log" cmake -S "$here/target" \
    -B "$target_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake"
quiet "$target_build/build.log" cmake --build "$target_build" -j "$jobs"
target_runner=$target_build/spec_runner

# ------------------------------------------------- compile on this host
mkdir -p "$work"
# wast2json once, before the modes run side by side.
step "converting the suite (wast2json)"
quiet "$work/wast2json.log" "$root/tests/spec/run.sh" /bin/true "$work/json"
step "compiling every module for $triple ($modes)"
for b in $modes; do
  rm -rf "$work/aarch64-$b"
  WASMAOT_SPEC_BOUNDS=$b "$host_runner" --compile-only "$work/aarch64-$b" \
    --target $triple "$@" "$work/json" >"$work/compile-$b.log" 2>&1 &
done
wait
fail=0
for b in $modes; do
  last=$(tail -n 1 "$work/compile-$b.log")
  n=$(find "$work/aarch64-$b" -name '*.wao' | wc -l)
  echo "  $b: $n artifacts; front end: $last"
  case $last in
  *" 0 failed") ;;
  *) fail=1; grep -E '^  FAIL' "$work/compile-$b.log" | head -n 20 ;;
  esac
done
[ "$fail" = 0 ] || { echo "cross: compiling for $triple failed" >&2; exit 1; }

# ------------------------------------------------------- run under qemu
for b in $modes; do
  echo "cross: WASMAOT_SPEC_BOUNDS=$b $qemu $target_runner --fork" \
    "--artifacts $work/aarch64-$b $* $work/json"
done
step "running the suite under $qemu ($modes)"
for b in $modes; do
  WASMAOT_SPEC_BOUNDS=$b "$qemu" "$target_runner" --fork \
    --artifacts "$work/aarch64-$b" "$@" "$work/json" >"$work/run-$b.log" 2>&1 &
done
wait
passed=0
failed=0
for b in $modes; do
  echo
  echo "==== aarch64 under qemu, $b bounds ($work/run-$b.log)"
  grep -E '^(spec conformance|  FAIL|  \(more|total)' "$work/run-$b.log" || true
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/run-$b.log" | tail -n 1)
  if [ -z "$last" ]; then
    tail -n 20 "$work/run-$b.log"
    echo "cross: the $b run ended without a summary" >&2
    failed=$((failed + 1))
    continue
  fi
  echo "$b: $last"
  passed=$((passed + $(echo "$last" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$last" | cut -d' ' -f3)))
done
# The other direction of the architecture check, on the aarch64 side: an
# x86_64 artifact is refused with a message naming both, not run.
step "refusing x86_64 artifacts under $qemu"
WASMAOT_SPEC_BOUNDS=guard "$host_runner" --compile-only "$work/x86_64" \
  --target x86_64-unknown-linux-gnu -f fac.json "$work/json" >/dev/null 2>&1 || true
want="artifact is for x86_64, this host is aarch64"
if WASMAOT_SPEC_BOUNDS=guard "$qemu" "$target_runner" --artifacts \
  "$work/x86_64" -f fac.json "$work/json" 2>&1 | grep -q "$want"; then
  echo "foreign artifact: refused with \"$want\""
  passed=$((passed + 1))
else
  echo "foreign artifact: expected \"$want\"" >&2
  failed=$((failed + 1))
fi
step "done"
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
