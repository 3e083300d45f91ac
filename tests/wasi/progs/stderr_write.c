// One concern: stderr is its own stream (fd_write on fd 2), unbuffered.
#include <stdio.h>

int main(void) {
  fprintf(stderr, "to stderr 1\n");
  printf("to stdout\n");
  fprintf(stderr, "to stderr 2\n");
  return 0;
}
