// One concern: raw reads of binary stdin in odd-sized chunks (fd_read).
// wasi-test: stdin=host:/bin/bash
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  uint8_t buf[777];
  uint32_t sum = 0, total = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++)
      sum = sum * 31 + buf[i];
    total += (uint32_t)n;
  }
  printf("read=%u sum=%08x last=%zd\n", total, sum, n);
  return n == 0 ? 0 : 1;
}
