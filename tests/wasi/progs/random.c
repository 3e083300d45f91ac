// One concern: random bytes (random_get through arc4random_buf). The bytes
// differ per run; the program prints only properties of them.
#include "common.h"

#include <stdint.h>

int main(void) {
  static uint8_t a[65536], b[65536];
  arc4random_buf(a, sizeof a);
  arc4random_buf(b, sizeof b);
  int counts[256] = {0}, same = 0;
  for (size_t i = 0; i < sizeof a; i++) {
    counts[a[i]]++;
    same += a[i] == b[i];
  }
  int min = 1 << 30, max = 0;
  for (int i = 0; i < 256; i++) {
    if (counts[i] < min)
      min = counts[i];
    if (counts[i] > max)
      max = counts[i];
  }
  /* 256 per value on average; a healthy source stays well within. */
  printf("every byte value seen: %d\n", min > 0);
  printf("spread plausible: %d\n", min > 128 && max < 400);
  printf("two draws differ: %d\n", same < 1000);
  uint32_t x = arc4random_uniform(10);
  printf("uniform in range: %d\n", x < 10);
  return 0;
}
