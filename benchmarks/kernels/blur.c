/* blur: a separable 3x3 box blur on a 2048x2048 8-bit image, integer
 * arithmetic over whole rows: the loops auto-vectorize (SSE natively,
 * simd128 in Wasm) and stream 12 MiB per pass. size = passes. */
#include "bench.h"

#define W 2048
#define H 2048

static void blur(const uint8_t *restrict src, uint16_t *restrict tmp,
                 uint8_t *restrict dst) {
  for (uint32_t y = 0; y < H; y++) {
    const uint8_t *s = src + y * W;
    uint16_t *t = tmp + y * W;
    t[0] = (uint16_t)(3 * s[0]);
    for (uint32_t x = 1; x < W - 1; x++)
      t[x] = (uint16_t)(s[x - 1] + s[x] + s[x + 1]);
    t[W - 1] = (uint16_t)(3 * s[W - 1]);
  }
  for (uint32_t y = 0; y < H; y++) {
    const uint16_t *up = tmp + (y ? y - 1 : 0) * W;
    const uint16_t *mid = tmp + y * W;
    const uint16_t *down = tmp + (y + 1 < H ? y + 1 : y) * W;
    uint8_t *d = dst + y * W;
    /* x * 7282 >> 16 == x / 9 for every x up to 9 * 255 */
    for (uint32_t x = 0; x < W; x++)
      d[x] = (uint8_t)(((uint32_t)(up[x] + mid[x] + down[x]) * 7282u) >> 16);
  }
}

int main(int argc, char **argv) {
  uint32_t passes = bench_size(argc, argv, 400, 4);
  uint8_t *a = bench_alloc(W * H), *b = bench_alloc(W * H);
  uint16_t *tmp = bench_alloc(W * H * sizeof *tmp);
  bench_rng rng = {77};
  for (uint32_t i = 0; i < W * H; i++)
    a[i] = (uint8_t)(bench_next(&rng) >> 56);
  uint64_t sum = 0;
  for (uint32_t p = 0; p < passes; p++) {
    blur(a, tmp, b);
    /* re-inject noise so the image does not converge to flat grey */
    b[(p * 7919u) % (W * H)] ^= 0xff;
    uint8_t *t = a;
    a = b;
    b = t;
    if (p % 16 == 15)
      for (uint32_t i = 0; i < W * H; i += 4093)
        sum = bench_mix(sum, a[i]);
  }
  uint64_t total = 0;
  for (uint32_t i = 0; i < W * H; i++)
    total += a[i];
  free(a), free(b), free(tmp);
  return bench_result("blur", passes, bench_mix(sum, total));
}
