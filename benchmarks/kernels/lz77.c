/* lz77: an LZ77 compressor with a hash-chained 64 KiB window over generated
 * text, then the matching decompressor, checked byte for byte. Byte loads,
 * unpredictable branches and table lookups. size = MiB of text compressed. */
#include "bench.h"

#define WINDOW (1u << 16)
#define HBITS 15
#define MAX_CHAIN 24
#define MIN_MATCH 4
#define MAX_MATCH 258

static const char *const WORDS[] = {
    "the ",    "of ",     "and ",       "a ",       "to ",      "in ",
    "is ",     "wasm ",   "module ",    "memory ",  "table ",   "function ",
    "stack ",  "value ",  "compile ",   "native ",  "code ",    "engine ",
    "import ", "export ", "benchmark ", "kernel ",  "loop ",    "branch ",
    "cache ",  "page ",   "guard ",     "bounds ",  "explicit ", "trap ",
    ", ",      ". ",      "\n",         "result ",  "type ",    "global "};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static uint32_t gen_text(uint8_t *out, uint32_t len, bench_rng *rng) {
  uint32_t n = 0;
  while (n < len) {
    const char *w = WORDS[bench_below(rng, NWORDS)];
    /* occasional random bytes keep some literals in the stream */
    if (bench_below(rng, 16) == 0) {
      out[n++] = (uint8_t)('A' + bench_below(rng, 26));
      continue;
    }
    for (; *w && n < len; w++)
      out[n++] = (uint8_t)*w;
  }
  return n;
}

static inline uint32_t hash4(const uint8_t *p) {
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
  return (v * 2654435761u) >> (32 - HBITS);
}

/* Token format: a 0 byte then a literal, or 1, length-MIN_MATCH, then a
 * 16-bit little-endian distance. */
static uint32_t compress(const uint8_t *in, uint32_t len, uint8_t *out,
                         int32_t *head, int32_t *prev) {
  for (uint32_t i = 0; i < (1u << HBITS); i++)
    head[i] = -1;
  uint32_t o = 0, i = 0;
  while (i < len) {
    uint32_t best_len = 0, best_dist = 0;
    if (i + MIN_MATCH <= len) {
      uint32_t h = hash4(in + i);
      int32_t cand = head[h];
      uint32_t max = len - i < MAX_MATCH ? len - i : MAX_MATCH;
      for (int chain = 0; cand >= 0 && chain < MAX_CHAIN; chain++) {
        uint32_t c = (uint32_t)cand;
        if (i - c > WINDOW - 1)
          break;
        if (in[c + best_len] == in[i + best_len]) {
          uint32_t l = 0;
          while (l < max && in[c + l] == in[i + l])
            l++;
          if (l > best_len) {
            best_len = l;
            best_dist = i - c;
            if (l == max)
              break;
          }
        }
        cand = prev[c & (WINDOW - 1)];
      }
      prev[i & (WINDOW - 1)] = head[h];
      head[h] = (int32_t)i;
    }
    if (best_len >= MIN_MATCH) {
      out[o++] = 1;
      out[o++] = (uint8_t)(best_len - MIN_MATCH);
      out[o++] = (uint8_t)best_dist;
      out[o++] = (uint8_t)(best_dist >> 8);
      /* insert the skipped positions so later matches can find them */
      for (uint32_t k = 1; k < best_len && i + k + MIN_MATCH <= len; k++) {
        uint32_t h = hash4(in + i + k);
        prev[(i + k) & (WINDOW - 1)] = head[h];
        head[h] = (int32_t)(i + k);
      }
      i += best_len;
    } else {
      out[o++] = 0;
      out[o++] = in[i++];
    }
  }
  return o;
}

static uint32_t decompress(const uint8_t *in, uint32_t len, uint8_t *out) {
  uint32_t o = 0;
  for (uint32_t i = 0; i < len;) {
    if (in[i] == 0) {
      out[o++] = in[i + 1];
      i += 2;
    } else {
      uint32_t l = in[i + 1] + MIN_MATCH;
      uint32_t d = in[i + 2] | (uint32_t)in[i + 3] << 8;
      for (uint32_t k = 0; k < l; k++, o++)
        out[o] = out[o - d];
      i += 4;
    }
  }
  return o;
}

int main(int argc, char **argv) {
  uint32_t mib = bench_size(argc, argv, 64, 1);
  const uint32_t chunk = 1u << 20;
  uint8_t *text = bench_alloc(chunk);
  uint8_t *packed = bench_alloc(chunk * 2 + 16);
  uint8_t *back = bench_alloc(chunk);
  int32_t *head = bench_alloc(sizeof(int32_t) << HBITS);
  int32_t *prev = bench_alloc(sizeof(int32_t) * WINDOW);
  bench_rng rng = {1234};
  uint64_t sum = 0, total = 0;
  for (uint32_t r = 0; r < mib; r++) {
    uint32_t n = gen_text(text, chunk, &rng);
    uint32_t plen = compress(text, n, packed, head, prev);
    uint32_t blen = decompress(packed, plen, back);
    if (blen != n || memcmp(back, text, n) != 0) {
      bench_error("lz77:", " round trip failed in chunk", r);
      return 1;
    }
    total += plen;
    for (uint32_t i = 0; i < plen; i += 257)
      sum = bench_mix(sum, packed[i]);
  }
  free(text), free(packed), free(back), free(head), free(prev);
  return bench_result("lz77", mib, bench_mix(sum, total));
}
