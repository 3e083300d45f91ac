/* hashmap: an open-addressing (linear probing, backward-shift delete) map
 * from 64-bit keys to 64-bit values in a 2^22-slot, 64 MiB table: random
 * accesses that miss every cache level. Inserts, hits, misses and deletes.
 * size = operations in units of 100000. */
#include "bench.h"

#define BITS 22
#define SLOTS (1u << BITS)
#define MASK (SLOTS - 1)
#define EMPTY 0 /* keys are made odd, so 0 never occurs */

typedef struct {
  uint64_t key, val;
} slot;

static inline uint32_t home(uint64_t key) {
  return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> (64 - BITS));
}

static int insert(slot *t, uint64_t key, uint64_t val) {
  for (uint32_t i = home(key);; i = (i + 1) & MASK) {
    if (t[i].key == key) {
      t[i].val = val;
      return 0;
    }
    if (t[i].key == EMPTY) {
      t[i].key = key;
      t[i].val = val;
      return 1;
    }
  }
}

static slot *find(slot *t, uint64_t key) {
  for (uint32_t i = home(key);; i = (i + 1) & MASK) {
    if (t[i].key == key)
      return &t[i];
    if (t[i].key == EMPTY)
      return NULL;
  }
}

static int erase(slot *t, uint64_t key) {
  slot *s = find(t, key);
  if (!s)
    return 0;
  uint32_t i = (uint32_t)(s - t);
  /* backward-shift: pull later entries of the cluster into the hole */
  for (uint32_t j = (i + 1) & MASK;; j = (j + 1) & MASK) {
    if (t[j].key == EMPTY)
      break;
    uint32_t h = home(t[j].key);
    if (((j - h) & MASK) >= ((j - i) & MASK)) {
      t[i] = t[j];
      i = j;
    }
  }
  t[i].key = EMPTY;
  return 1;
}

int main(int argc, char **argv) {
  uint32_t units = bench_size(argc, argv, 240, 1);
  slot *t = bench_alloc(sizeof(slot) * SLOTS);
  /* the live set stays near 50% load: keys come from a window of 2^21 */
  const uint32_t live = SLOTS / 2;
  bench_rng rng = {2024};
  uint64_t sum = 0, size = 0;
  for (uint32_t m = 0; m < units; m++) {
    for (uint32_t k = 0; k < 100000; k++) {
      uint64_t r = bench_next(&rng);
      uint64_t key = ((r >> 8) % (live * 2)) * 2 + 1;
      switch (r & 3) {
      case 0:
      case 1:
        size += (uint64_t)insert(t, key, r);
        break;
      case 2: {
        slot *s = find(t, key);
        sum += s ? s->val >> 40 : 1;
        break;
      }
      default:
        size -= (uint64_t)erase(t, key);
      }
    }
    sum = bench_mix(sum, size);
  }
  free(t);
  return bench_result("hashmap", units, sum);
}
