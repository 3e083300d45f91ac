#!/bin/sh
# selftest.sh CHECK: check.sh must pass a clean runtime tree and reject
# each kind of leak, so a broken check cannot pass silently.
set -u
check=${1:?usage: selftest.sh CHECK}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
mk() { # a runtime tree whose runtime/x.c has the given include line
  rm -rf "$tmp/src"
  mkdir -p "$tmp/src/runtime/base" "$tmp/src/compiler"
  : >"$tmp/src/runtime/internal.h"
  : >"$tmp/src/runtime/base/wa.h"
  : >"$tmp/src/compiler/internal.h"
  : >"$tmp/src/compiler/lower.h"
  mkdir -p "$tmp/src/runtime/sub"
  printf '#include <stdio.h>\n#include "wa.h"\n%s\nint x;\n' "$1" \
    >"$tmp/src/runtime/sub/x.c"
}
expect() { # expected-status include-line
  mk "$2"
  "$check" "$tmp/src" >"$tmp/out" 2>&1
  rc=$?
  if [ "$rc" -ne "$1" ]; then
    echo "selftest: '$2' gave $rc, expected $1:"
    cat "$tmp/out"
    status=1
  fi
}
expect 0 '#include "../internal.h"'
expect 0 '#include "internal.h"' # runtime/internal.h
expect 0 '#include <elf.h>'
expect 1 '#include <llvm-c/Core.h>'
expect 1 '#  include "llvm/IR/Module.h"'
expect 1 '#include "wc.h"'
expect 1 '#include "wm.h"'
expect 1 '#include "../../compiler/internal.h"'
expect 1 '#include "lower.h"' # only the compiler has one
[ "$status" -eq 0 ] && echo "selftest: ok"
exit "$status"
