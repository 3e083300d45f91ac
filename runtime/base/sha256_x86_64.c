/*
 * sha256_x86_64.c: SHA-256 block compression with the SHA extensions
 * (SHA-NI), about 8x the portable code. Used only when CPUID reports them;
 * the cache rehashes every artifact it loads, so this is on the start path.
 */
#include "internal.h"

#include <immintrin.h>

__attribute__((target("sha,sse4.1"))) static void
blocks_shani(uint32_t h[8], const uint8_t *p, size_t n) {
  const __m128i bswap =
      _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  /* The instructions want the state as ABEF and CDGH. */
  __m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

  for (; n; n--, p += 64) {
    __m128i abef0 = abef, cdgh0 = cdgh, w[4];
    /* Fully unrolled, w[] stays in registers. */
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
      if (i < 4) {
        w[i] = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
      } else {
        /* W[4i..4i+3] from the previous 16 words. */
        __m128i t = _mm_sha256msg1_epu32(w[(i - 4) & 3], w[(i - 3) & 3]);
        t = _mm_add_epi32(t, _mm_alignr_epi8(w[(i - 1) & 3], w[(i - 2) & 3], 4));
        w[i & 3] = _mm_sha256msg2_epu32(t, w[(i - 1) & 3]);
      }
      __m128i wk = _mm_add_epi32(
          w[i & 3], _mm_loadu_si128((const __m128i *)&wa__sha256_k[4 * i]));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
  }

  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

wa__sha256_blocks_fn wa__sha256_accel(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1"))
    return blocks_shani;
  return 0;
}
