// One concern: writing to stdout (fd_write).
// wasi-test: args=
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("hello, world\n");
  fflush(stdout);
  const char raw[] = "raw write\n";
  return write(1, raw, sizeof raw - 1) == (ssize_t)sizeof raw - 1 ? 0 : 1;
}
