/* qsort: hand-written quicksort (median of three, insertion sort below 16
 * elements) on pseudo-random 32-bit keys. Data-dependent branches and
 * recursion. size = keys per array in units of 1024; 16 arrays are sorted. */
#include "bench.h"

#define REPS 16

static void insertion(uint32_t *a, int32_t lo, int32_t hi) {
  for (int32_t i = lo + 1; i <= hi; i++) {
    uint32_t v = a[i];
    int32_t j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void swap(uint32_t *a, int32_t i, int32_t j) {
  uint32_t t = a[i];
  a[i] = a[j];
  a[j] = t;
}

static void quicksort(uint32_t *a, int32_t lo, int32_t hi) {
  while (hi - lo > 16) {
    int32_t mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo])
      swap(a, mid, lo);
    if (a[hi] < a[lo])
      swap(a, hi, lo);
    if (a[hi] < a[mid])
      swap(a, hi, mid);
    uint32_t pivot = a[mid];
    int32_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot)
        i++;
      while (a[j] > pivot)
        j--;
      if (i <= j)
        swap(a, i++, j--);
    }
    /* recurse into the smaller half, loop on the larger: bounded depth */
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
  insertion(a, lo, hi);
}

int main(int argc, char **argv) {
  uint32_t kkeys = bench_size(argc, argv, 1024, 32);
  if (kkeys > 65536)
    kkeys = 65536;
  const uint32_t len = kkeys * 1024;
  uint32_t *a = bench_alloc(len * sizeof *a);
  bench_rng rng = {7};
  uint64_t sum = 0;
  for (uint32_t r = 0; r < REPS; r++) {
    /* every third array has many duplicates, to exercise equal keys */
    uint32_t mask = r % 3 == 2 ? 0xfffu : 0xffffffffu;
    for (uint32_t i = 0; i < len; i++)
      a[i] = (uint32_t)bench_next(&rng) & mask;
    quicksort(a, 0, (int32_t)len - 1);
    for (uint32_t i = 1; i < len; i++)
      if (a[i - 1] > a[i]) {
        bench_error("qsort:", " not sorted at", i);
        return 1;
      }
    for (uint32_t i = 0; i < len; i += 4099)
      sum = bench_mix(sum, a[i]);
  }
  free(a);
  return bench_result("qsort", kkeys, sum);
}
