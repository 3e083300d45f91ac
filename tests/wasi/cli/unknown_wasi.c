// unknown_wasi.c: imports a wasi_snapshot_preview1 field that preview1
// does not define; it is as unresolved as any other unknown import.
#include <stdio.h>

__attribute__((import_module("wasi_snapshot_preview1"),
               import_name("fd_frobnicate"))) int
fd_frobnicate(int fd);

int main(int argc, char **argv) {
  printf("started\n");
  fflush(stdout);
  if (argc > 1)
    return fd_frobnicate(1);
  return 0;
}
