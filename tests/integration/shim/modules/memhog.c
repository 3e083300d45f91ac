/* memhog.c: allocates and touches memory 1 MiB at a time, reporting every
 * 16 MiB, until allocation fails (exit 3), it has allocated argv[1] MiB
 * (exit 0; "0" just starts and exits, to fill the artifact cache) or the
 * process is killed. The blocks are chained into a list so the compiler
 * cannot drop the allocations as unused. */
#include <stdio.h>
#include <stdlib.h>

struct block {
  struct block *next;
};

static struct block *volatile head;

int main(int argc, char **argv) {
  long max = argc > 1 ? atol(argv[1]) : -1;
  for (long mib = 1; max < 0 || mib <= max; mib++) {
    volatile char *p = malloc(1 << 20);
    if (!p) {
      printf("allocation failed at %ld MiB\n", mib);
      return 3;
    }
    for (int i = 0; i < (1 << 20); i += 4096)
      p[i] = (char)mib;
    ((struct block *)p)->next = head;
    head = (struct block *)p;
    if (mib % 16 == 0) {
      printf("%ld MiB\n", mib);
      fflush(stdout);
    }
  }
  return 0;
}
