/* fib: doubly recursive Fibonacci plus Takeuchi's tak function: almost
 * nothing but calls and returns, so it measures call overhead, prologues
 * (stack checks) and register use across calls. size = fib argument. */
#include "bench.h"

static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int32_t tak(int32_t x, int32_t y, int32_t z) {
  if (y >= x)
    return z;
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

int main(int argc, char **argv) {
  uint32_t n = bench_size(argc, argv, 43, 25);
  if (n > 46)
    n = 46;
  uint64_t sum = fib(n);
  int32_t t = (int32_t)n / 2;
  sum = bench_mix(sum, (uint64_t)tak(t, t * 2 / 3, t / 3));
  return bench_result("fib", n, sum);
}
