#!/bin/sh
# bigmodule.sh DIR: writes DIR/big.wasm, a WASI module of 10 MB or more for
# the start-up benchmarks (startup.sh, coldhost.sh). Not a test.
# The module: N distinct functions ($WASMAOT_BENCH_FUNCS, default 1500;
# nothing folds them, all reachable through a table) plus a 10 MiB
# initialized data segment of random bytes (#embed). The data keeps the
# cold compile within a minute or so on a shared machine while a hit still
# maps, checks and instantiates all of it. Prints "big N" (N from argc).
set -eu
n=${WASMAOT_BENCH_FUNCS:-1500}
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(10 << 20))' > "$1/blob.bin"
python3 - "$n" > "$1/big.c" <<'PY'
import sys
n = int(sys.argv[1])
print("#include <stdio.h>")
print("typedef unsigned (*fn)(unsigned, unsigned);")
print('static const unsigned char blob[] = {\n#embed "blob.bin"\n};')
for i in range(n):
    a, b, c = (i * 2654435761) % 97 + 1, (i * 40503) % 31 + 1, i % 13 + 3
    print(f"""__attribute__((noinline)) unsigned f{i}(unsigned x, unsigned y) {{
  unsigned s = x * {a}u + y;
  for (unsigned k = 0; k < (x & {c}u); k++) {{
    switch ((s + k) % 5u) {{
    case 0: s = (s << {b % 7 + 1}) ^ (s >> 3) ^ {i}u; break;
    case 1: s = s * {a}u + (y ^ k); break;
    case 2: s = (s ^ 0x9e3779b9u) - {b}u * k; break;
    case 3: s = s / (k + {c}u) + {i % 251}u; break;
    default: s = (s >> {c % 5 + 1}) | (y << {b % 9 + 1}); break;
    }}
  }}
  return s ^ (y * {b}u);
}}""")
print("fn const table[] = {" + ",".join(f"f{i}" for i in range(n)) + "};")
print("""int main(int argc, char **argv) {
  (void)argv;
  unsigned i = (unsigned)argc * 7919u % sizeof blob;
  unsigned r = table[(unsigned)argc % (sizeof table / sizeof *table)](argc, blob[i]);
  printf("big %u\\n", r);
  return 0;
}""")
PY
clang-19 --target=wasm32-wasi -std=c23 -O2 "$1/big.c" -o "$1/big.wasm"
ls -l "$1/big.wasm"
