// unknown.c: imports a function no provider of `wasmaot run` defines. With
// --trap-unknown-imports it starts, and traps only if it calls it.
#include <stdio.h>
#include <string.h>

__attribute__((import_module("env"), import_name("missing_fn"))) int
missing_fn(int x, long long y);

int main(int argc, char **argv) {
  printf("started\n");
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "call") == 0)
    printf("missing_fn: %d\n", missing_fn(1, 2));
  return 0;
}
