// One concern: the exit status (proc_exit), from exit() with atexit
// handlers run and buffered output flushed.
// wasi-test: args=42
// wasi-test: exit=42
#include <stdio.h>
#include <stdlib.h>

static void bye(void) {
  printf("atexit ran\n");
}

int main(int argc, char **argv) {
  atexit(bye);
  printf("buffered, not flushed");
  exit(argc > 1 ? atoi(argv[1]) : 0);
}
