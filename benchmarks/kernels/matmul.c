/* matmul: single-precision dense matrix multiply (i-k-j order, so the inner
 * loop vectorizes). Inputs are small integers, so every sum is exact and the
 * checksum cannot depend on how an engine orders or vectorizes the adds. */
#include "bench.h"

#define N 320

static float A[N * N], B[N * N], C[N * N];

static void fill(uint32_t rep) {
  for (uint32_t i = 0; i < N; i++)
    for (uint32_t k = 0; k < N; k++) {
      A[i * N + k] = (float)((int32_t)((i * 7 + k * 3 + rep) % 13) - 6);
      B[i * N + k] = (float)((int32_t)((i * 5 + k * 11 + rep * 3) % 9) - 4);
    }
}

static void multiply(const float *restrict a, const float *restrict b,
                     float *restrict c) {
  for (uint32_t i = 0; i < N; i++)
    for (uint32_t k = 0; k < N; k++) {
      float aik = a[i * N + k];
      for (uint32_t j = 0; j < N; j++)
        c[i * N + j] += aik * b[k * N + j];
    }
}

int main(int argc, char **argv) {
  uint32_t reps = bench_size(argc, argv, 360, 2);
  for (uint32_t r = 0; r < reps; r++) {
    fill(r);
    multiply(A, B, C);
  }
  uint64_t sum = 0;
  for (uint32_t i = 0; i < N * N; i++)
    sum = bench_mix(sum, bench_f32_bits(C[i]));
  return bench_result("matmul", reps, sum);
}
