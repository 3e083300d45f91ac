/*
 * test_resolved.c: cache/resolved.c — remembered configuration
 * resolutions, which let a hit compute its key without the compiler.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(cache_resolved, .init = fk_setup, .fini = fk_teardown);

static const uint8_t id[32] = {1, 2, 3};

static void sample(wk_resolved *r) {
  memset(r, 0, sizeof *r);
  snprintf(r->compiler_version, sizeof r->compiler_version,
           "wasmaot 0.1.0 (LLVM 19.1.7)");
  snprintf(r->triple, sizeof r->triple, "x86_64-unknown-linux-gnu");
  snprintf(r->cpu, sizeof r->cpu, "znver4");
  snprintf(r->features, sizeof r->features, "+avx,-avx512f,+sse4.2");
}

static void path_of(char *buf, size_t n) {
  char hex[65];
  wa_hex(id, 32, hex);
  snprintf(buf, n, "%s/resolved/%s", fk_cache_dir, hex);
}

Test(cache_resolved, round_trip_and_absent) {
  wk_cache *c = fk_open(0);
  wk_resolved r, back;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_resolved_get(c, id, &back, &err), WA_ENOTFOUND);
  sample(&r);
  wa_err_init(&err);
  cr_assert_eq(wk_resolved_put(c, id, &r, &err), 0, "%s", err.msg);
  cr_assert_eq(wk_resolved_get(c, id, &back, &err), 0, "%s", err.msg);
  cr_assert_eq(memcmp(&r, &back, sizeof r), 0);
  char path[512];
  path_of(path, sizeof path);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600);
  wk_close(c);
}

Test(cache_resolved, damaged_reads_as_absent) {
  wk_cache *c = fk_open(0);
  wk_resolved r;
  wa_err err;
  wa_err_init(&err);
  sample(&r);
  cr_assert_eq(wk_resolved_put(c, id, &r, &err), 0, "%s", err.msg);
  char path[512];
  path_of(path, sizeof path);
  cr_assert_eq(truncate(path, 40), 0); /* drops cpu and features */
  cr_assert_eq(wk_resolved_get(c, id, &r, &err), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "damaged"), "%s", err.msg);
  wk_close(c);
}

Test(cache_resolved, group_writable_is_refused) {
  wk_cache *c = fk_open(0);
  wk_resolved r;
  wa_err err;
  wa_err_init(&err);
  sample(&r);
  cr_assert_eq(wk_resolved_put(c, id, &r, &err), 0, "%s", err.msg);
  char path[512];
  path_of(path, sizeof path);
  cr_assert_eq(chmod(path, 0620), 0);
  cr_assert_eq(wk_resolved_get(c, id, &r, &err), WA_EPERM);
  wk_close(c);
}

Test(cache_resolved, a_newline_in_a_value_is_refused) {
  wk_cache *c = fk_open(0);
  wk_resolved r;
  wa_err err;
  wa_err_init(&err);
  sample(&r);
  snprintf(r.cpu, sizeof r.cpu, "evil\ncpu=other");
  cr_assert_eq(wk_resolved_put(c, id, &r, &err), WA_EUSAGE);
  wk_close(c);
}
