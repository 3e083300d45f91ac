/* memhog.c: allocates and touches memory 1 MiB at a time, reporting every
 * 16 MiB, until allocation fails (exit 3) or the process is killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (int mib = 1;; mib++) {
    char *p = malloc(1 << 20);
    if (!p) {
      printf("allocation failed at %d MiB\n", mib);
      return 3;
    }
    memset(p, mib & 0xff, 1 << 20);
    if (mib % 16 == 0) {
      printf("%d MiB\n", mib);
      fflush(stdout);
    }
  }
}
