#!/bin/sh
# check.sh SRC_ROOT [WASMAOT]: the layering rule of docs/architecture.md,
# "runtime/ never depends on LLVM or the compiler", checked two ways:
#  1. every #include in SRC_ROOT/runtime (base and wasi included) names a
#     system header or a header that lives under runtime/; llvm-c/ and
#     llvm/ headers, the compiler's wc.h, the decoder's wm.h and anything
#     reached through compiler/ fail. A quoted include that only resolves
#     through some other directory's include path is a leak, so it fails
#     too (runtime/, runtime/base and runtime/wasi each have their own
#     internal.h; finding the compiler's instead must not go unnoticed).
#  2. `ldd WASMAOT` lists no libLLVM and the binary has no undefined LLVM*
#     symbol: the launcher dlopen()s the compiler, so a cached start must
#     never map libLLVM.
# Prints every violation and exits 1 if there is any.
set -u
root=${1:?usage: check.sh SRC_ROOT [WASMAOT]}
bin=${2:-}
rt="$root/runtime"
[ -d "$rt" ] || { echo "layering: no $rt"; exit 1; }
bad=0
fail() { echo "layering: $*"; bad=1; }

# Directories a quoted runtime include may resolve in: the including
# file's own directory, then the runtime's public include directories.
files=$(find "$rt" -type f \( -name '*.c' -o -name '*.h' -o -name '*.def' \
  -o -name '*.inc' \) | sort)
for f in $files; do
  dir=$(dirname "$f")
  # "#  include <x>" / "#include "x"" with the line number.
  grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$f" |
    sed -E 's/^([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^">]*)[">].*/\1 \2 \3/' |
    while read -r line kind name; do
      where="${f#"$root"/}:$line"
      case "$name" in
      llvm-c/* | llvm/* | */llvm-c/* | */llvm/*)
        fail "$where includes LLVM header <$name>"; continue ;;
      compiler/* | */compiler/*)
        fail "$where includes compiler header \"$name\""; continue ;;
      esac
      case "$(basename "$name")" in
      wc.h | wm.h)
        fail "$where includes compiler header \"$name\""; continue ;;
      esac
      [ "$kind" = '"' ] || continue
      found=""
      for d in "$dir" "$rt" "$rt/base" "$rt/wasi"; do
        if [ -f "$d/$name" ]; then
          found="$d/$name"
          break
        fi
      done
      [ -n "$found" ] || fail "$where: \"$name\" is not a runtime header"
    done | grep . && bad=1
done

if [ -n "$bin" ]; then
  if [ ! -x "$bin" ]; then
    fail "no executable $bin"
  else
    if ldd "$bin" | grep -i 'libLLVM'; then
      fail "$bin links libLLVM (it must dlopen() the compiler)"
    fi
    if nm -D --undefined-only "$bin" 2>/dev/null | grep -E ' LLVM[A-Z]'; then
      fail "$bin refers to LLVM symbols"
    fi
  fi
fi

[ "$bad" -eq 0 ] && echo "layering: ok"
exit "$bad"
