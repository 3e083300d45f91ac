/* sieve: sieve of Eratosthenes over a byte array (size = MiB, 32 by
 * default), repeated with slightly different bounds. Strided stores that miss the cache: memory-bound integer
 * code. Checksum: prime counts and a sample of the primes found. */
#include "bench.h"

#define REPS 6

static uint64_t sieve(uint8_t *composite, uint32_t n) {
  memset(composite, 0, n);
  for (uint32_t i = 2; (uint64_t)i * i < n; i++)
    if (!composite[i])
      for (uint32_t j = i * i; j < n; j += i)
        composite[j] = 1;
  uint64_t count = 0, h = 0;
  for (uint32_t i = 2; i < n; i++)
    if (!composite[i]) {
      count++;
      if ((count & 1023) == 0)
        h = bench_mix(h, i);
    }
  return bench_mix(h, count);
}

int main(int argc, char **argv) {
  uint32_t mib = bench_size(argc, argv, 32, 1);
  if (mib > 1024)
    mib = 1024;
  uint32_t limit = mib << 20;
  uint8_t *composite = bench_alloc(limit);
  uint64_t sum = 0;
  for (uint32_t r = 0; r < REPS; r++) {
    /* vary the bound so no two repetitions are the same computation */
    uint32_t n = limit - r * 4099;
    sum = bench_mix(sum, sieve(composite, n));
  }
  free(composite);
  return bench_result("sieve", mib, sum);
}
