/* bench_decode: decode and validate throughput of wasmaot's front end
 * (compiler/wasm: wm_decode, wm_validate) on one module, in process, with
 * the file already in memory, so neither process start-up nor I/O is timed.
 *
 *   bench_decode [-n REPS] FILE.wasm
 *
 * Prints one line per repetition: "decode_ns validate_ns bytes functions
 * decode_cpu_ns validate_cpu_ns": wall time (CLOCK_MONOTONIC) and the
 * thread's CPU time, which a busy machine inflates much less.
 * Exits 1 (with the error on stderr) if the module does not decode or
 * validate. Built by benchmarks/CMakeLists.txt, used by benchmarks/run. */
#include "wa.h"
#include "wm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 20, n = 0, r;
  uint8_t *buf = malloc(cap);
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      uint8_t *grown = realloc(buf, cap * 2);
      if (!grown)
        free(buf);
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

static int fail(const wa_err *err) {
  char buf[600];
  fprintf(stderr, "bench_decode: %s\n", wa_err_format(err, buf, sizeof buf));
  return 1;
}

int main(int argc, char **argv) {
  int reps = 5, i = 1;
  if (argc > 2 && strcmp(argv[1], "-n") == 0) {
    reps = atoi(argv[2]);
    i = 3;
  }
  if (reps < 1 || i + 1 != argc) {
    fprintf(stderr, "usage: bench_decode [-n REPS] FILE.wasm\n");
    return 2;
  }
  size_t len = 0;
  uint8_t *bytes = slurp(argv[i], &len);
  if (!bytes) {
    perror(argv[i]);
    return 1;
  }
  for (int r = 0; r < reps; r++) {
    wa_err err;
    wa_err_init(&err);
    wm_module *m = NULL;
    uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
    if (wm_decode(bytes, len, argv[i], &m, &err) != 0)
      return fail(&err);
    uint64_t t1 = clock_ns(CLOCK_MONOTONIC);
    uint64_t c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    if (wm_validate(m, &err) != 0)
      return fail(&err);
    uint64_t t2 = clock_ns(CLOCK_MONOTONIC);
    uint64_t c2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    printf("%llu %llu %zu %u %llu %llu\n", (unsigned long long)(t1 - t0),
           (unsigned long long)(t2 - t1), len, m->n_funcs,
           (unsigned long long)(c1 - c0), (unsigned long long)(c2 - c1));
    wm_module_free(m);
  }
  free(bytes);
  return 0;
}
