/*
 * hello.c: the bundled example (scripts/demo.sh). A small WASI command that
 * touches what a real program needs from the host: its arguments, an
 * environment variable, stdout, the clock and an exit status.
 * Rebuild hello.wasm with `make -C examples` (see examples/Makefile).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Enough arithmetic that the answer shows the code really ran compiled. */
static unsigned count_primes(unsigned below) {
  unsigned n = 0;
  for (unsigned i = 2; i < below; i++) {
    unsigned d = 2;
    while (d * d <= i && i % d != 0)
      d++;
    n += d * d > i;
  }
  return n;
}

int main(int argc, char **argv) {
  const char *who = getenv("WHO");
  printf("Hello, %s, from WebAssembly compiled ahead of time!\n",
         who ? who : "world");
  for (int i = 1; i < argc; i++)
    printf("  argv[%d] = %s\n", i, argv[i]);
  struct timespec ts;
  /* A clock that never moves would mean clock_time_get is a stub. */
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 ||
      (ts.tv_sec == 0 && ts.tv_nsec == 0)) {
    fprintf(stderr, "hello: no monotonic clock\n");
    return 1;
  }
  printf("There are %u primes below 100000.\n", count_primes(100000));
  return 0;
}
