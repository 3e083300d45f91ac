/* Shared helpers for the benchmark kernels: the work-size argument, a
 * deterministic PRNG and checksum mixing. Kernels are built both natively and
 * for wasm32-wasi, so everything here uses fixed-width types only (long and
 * size_t differ between the two) and nothing depends on addresses or time. */
#ifndef BENCH_H
#define BENCH_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output without printf: wasi-libc's printf is most of a small module's
 * code, which would make module sizes and compile times measure libc rather
 * than the kernels. */

/* Writes v in decimal, at least `width` digits (zero-padded), at p; returns
 * the end (not NUL-terminated). */
static inline char *bench_put_dec(char *p, uint64_t v, int width) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n < width)
    tmp[n++] = '0';
  while (n)
    *p++ = tmp[--n];
  return p;
}

static inline char *bench_put_str(char *p, const char *s) {
  while (*s)
    *p++ = *s++;
  return p;
}

/* "WHAT MSG[ N]\n" on stderr; n == UINT64_MAX leaves the number out. */
static inline void bench_error(const char *what, const char *msg, uint64_t n) {
  char buf[256], *p = buf;
  p = bench_put_str(p, what);
  p = bench_put_str(p, msg);
  if (n != UINT64_MAX) {
    *p++ = ' ';
    p = bench_put_dec(p, n, 1);
  }
  *p++ = '\n';
  *p = 0;
  fputs(buf, stderr);
}

/* argv[1] is "quick" (CI checksum runs), a positive number, or absent (the
 * full size, tuned for 0.5-3 s natively). */
static inline uint32_t bench_size(int argc, char **argv, uint32_t full,
                                  uint32_t quick) {
  if (argc < 2)
    return full;
  if (strcmp(argv[1], "quick") == 0)
    return quick;
  char *end = NULL;
  unsigned long v = strtoul(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || v == 0 || v > 0xffffffffUL) {
    bench_error(argv[0], ": usage: [quick|SIZE]", UINT64_MAX);
    exit(2);
  }
  return (uint32_t)v;
}

/* splitmix64: tiny, full-period, and identical on every engine. */
typedef struct {
  uint64_t s;
} bench_rng;

static inline uint64_t bench_next(bench_rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [0, n) for small n; the bias is irrelevant for benchmarks. */
static inline uint32_t bench_below(bench_rng *r, uint32_t n) {
  return (uint32_t)((bench_next(r) >> 32) % n);
}

static inline uint64_t bench_mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

static inline uint64_t bench_f64_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static inline uint32_t bench_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static inline void *bench_alloc(size_t n) {
  void *p = calloc(1, n);
  if (!p) {
    bench_error("out of memory:", "", (uint64_t)n);
    exit(3);
  }
  return p;
}

/* The one line every kernel prints; the harness compares it across engines. */
static inline int bench_result(const char *name, uint32_t size, uint64_t sum) {
  char buf[128], *p = buf;
  p = bench_put_str(p, name);
  p = bench_put_str(p, " size=");
  p = bench_put_dec(p, size, 1);
  p = bench_put_str(p, " checksum=");
  for (int shift = 60; shift >= 0; shift -= 4)
    *p++ = "0123456789abcdef"[(sum >> shift) & 15];
  *p++ = '\n';
  *p = 0;
  fputs(buf, stdout);
  return 0;
}

#endif
