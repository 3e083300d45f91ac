/*
 * test_cache.c: cache/cache.c — where the cache lives, its config file and
 * limit precedence, and size strings.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(cache_cache, .init = fk_setup, .fini = fk_teardown);

static const char *dir_now(char *buf, size_t n) {
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_default_dir(buf, n, &err), 0, "%s", err.msg);
  return buf;
}

Test(cache_cache, the_directory_follows_env_then_xdg_then_home) {
  char buf[512];
  setenv("HOME", "/home/someone", 1);
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  setenv("WASMAOT_CACHE_DIR", "/explicit/dir", 1);
  cr_assert_str_eq(dir_now(buf, sizeof buf), "/explicit/dir");
  unsetenv("WASMAOT_CACHE_DIR");
  cr_assert_str_eq(dir_now(buf, sizeof buf), "/xdg/wasmaot");
  setenv("XDG_CACHE_HOME", "relative/xdg", 1); /* invalid per XDG: ignored */
  cr_assert_str_eq(dir_now(buf, sizeof buf), "/home/someone/.cache/wasmaot");
  unsetenv("XDG_CACHE_HOME");
  cr_assert_str_eq(dir_now(buf, sizeof buf), "/home/someone/.cache/wasmaot");
  unsetenv("HOME"); /* from the password database */
  dir_now(buf, sizeof buf);
  cr_assert(strstr(buf, "/.cache/wasmaot"), "%s", buf);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

Test(cache_cache, the_limit_comes_from_options_env_config_then_default) {
  wk_cache *c = fk_open(0);
  cr_assert_eq(wk_max_size(c), WK_DEFAULT_MAX_SIZE);
  wk_close(c);
  char path[256];
  snprintf(path, sizeof path, "%s/config", fk_cache_dir);
  write_file(path, "# comment\n\nunknown-key = 1\nmax-size = 10M # ten\n");
  c = fk_open(0);
  cr_assert_eq(wk_max_size(c), 10ull << 20);
  wk_close(c);
  setenv("WASMAOT_CACHE_MAX_SIZE", "3G", 1);
  c = fk_open(0);
  cr_assert_eq(wk_max_size(c), 3ull << 30);
  wk_close(c);
  c = fk_open(12345);
  cr_assert_eq(wk_max_size(c), 12345);
  wk_close(c);
  unsetenv("WASMAOT_CACHE_MAX_SIZE");
}

Test(cache_cache, set_max_size_persists_in_the_config_file) {
  wk_cache *c = fk_open(0);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_set_max_size(c, 5ull << 20, &err), 0, "%s", err.msg);
  cr_assert_eq(wk_max_size(c), 5ull << 20);
  wk_close(c);
  c = fk_open(0);
  cr_assert_eq(wk_max_size(c), 5ull << 20);
  wk_close(c);
}

Test(cache_cache, a_malformed_config_names_the_file_and_line) {
  wk_cache *c = fk_open(0);
  wk_close(c);
  char path[256];
  snprintf(path, sizeof path, "%s/config", fk_cache_dir);
  write_file(path, "max-size = 1G\nmax-size = lots\n");
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_open(fk_cache_dir, NULL, &c, &err), WA_EMALFORMED);
  cr_assert(strstr(err.msg, "line 2"), "%s", err.msg);
  cr_assert(strstr(err.msg, path), "%s", err.msg);
}

Test(cache_cache, sizes_parse_with_binary_units) {
  struct {
    const char *s;
    uint64_t v;
  } ok[] = {{"0", 0},           {"100000", 100000},    {"17B", 17},
            {"1k", 1024},       {"2K", 2048},          {"512MiB", 512ull << 20},
            {"2G", 2ull << 30}, {"2 GiB", 2ull << 30}, {"1.5g", 3ull << 29},
            {"1t", 1ull << 40}, {"16E", UINT64_MAX}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    uint64_t v = 1;
    wa_err err;
    wa_err_init(&err);
    int rc = wk_size_parse(ok[i].s, &v, &err);
    if (ok[i].v == UINT64_MAX) { /* 16 EiB overflows: refused */
      cr_assert_eq(rc, WA_EUSAGE, "%s", ok[i].s);
      continue;
    }
    cr_assert_eq(rc, 0, "%s: %s", ok[i].s, err.msg);
    cr_assert_eq(v, ok[i].v, "%s gave %llu", ok[i].s, (unsigned long long)v);
  }
  const char *bad[] = {"",   "-1",  "G",      "1.",
                       "1x", "1GG", "1.5.5G", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t v;
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(wk_size_parse(bad[i], &v, &err), WA_EUSAGE, "'%s'", bad[i]);
  }
}

Test(cache_cache, sizes_format_for_humans) {
  char buf[32];
  cr_assert_str_eq(wk_size_format(17, buf, sizeof buf), "17 B");
  cr_assert_str_eq(wk_size_format(1536, buf, sizeof buf), "1.5 KiB");
  cr_assert_str_eq(wk_size_format(312ull << 10, buf, sizeof buf), "312 KiB");
  cr_assert_str_eq(wk_size_format(2ull << 30, buf, sizeof buf), "2.0 GiB");
}
