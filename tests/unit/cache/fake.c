/*
 * fake.c: see fake.h. The fake artifact is
 *   "FAKEWAO\n" then "key=value\n" lines, an empty line, payload bytes,
 * so a test can state exactly which configuration an artifact claims.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char fk_dir[64];
char fk_cache_dir[96];

void fk_setup(void) {
  strcpy(fk_dir, "/tmp/wk-test-XXXXXX");
  cr_assert_not_null(mkdtemp(fk_dir));
  snprintf(fk_cache_dir, sizeof fk_cache_dir, "%s/cache", fk_dir);
  unsetenv("WASMAOT_CACHE_MAX_SIZE");
}

void fk_teardown(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "chmod -R u+rwX %s; rm -rf %s", fk_dir, fk_dir);
  cr_assert_eq(system(cmd), 0);
}

wk_config fk_config(void) {
  return (wk_config){.compiler_version = "0.1.0",
                     .format_version = WR_FORMAT_VERSION,
                     .abi_version = WR_ABI_VERSION,
                     .triple = "x86_64-unknown-linux-gnu",
                     .cpu = "x86-64-v2",
                     .features = "+popcnt,+sse4.2",
                     .bounds = WR_BOUNDS_GUARD,
                     .opt_level = 2};
}

void fk_digest(int seed, uint8_t out[32]) {
  char text[32];
  snprintf(text, sizeof text, "module-%d", seed);
  wa_sha256_once(text, strlen(text), out);
}

void fk_artifact(const uint8_t digest[32], const wk_config *cfg, size_t payload,
                 wa_buf *out) {
  char hex[65];
  wa_err e;
  wa_err_init(&e);
  wa_hex(digest, 32, hex);
  cr_assert_eq(
      wa_buf_printf(out, &e,
                    "FAKEWAO\nmodule=%s\ncompiler=%s\nformat=%u\nabi=%u\n"
                    "triple=%s\ncpu=%s\nfeatures=%s\nbounds=%u\nopt=%u\n\n",
                    hex, cfg->compiler_version, cfg->format_version,
                    cfg->abi_version, cfg->triple, cfg->cpu ? cfg->cpu : "",
                    cfg->features ? cfg->features : "", cfg->bounds,
                    cfg->opt_level),
      0);
  for (size_t i = 0; i < payload; i++)
    cr_assert_eq(wa_buf_u8(out, (uint8_t)(digest[i % 32] ^ i), &e), 0);
}

static int bad(wa_err *err, const char *what, const char *why) {
  wa_fail(err, WA_ECORRUPT, WA_NOOFF, "fake artifact: %s", why);
  wa_err_where(err, what);
  return WA_ECORRUPT;
}

int fk_read_meta(const uint8_t *bytes, size_t len, const char *what,
                 wa_arena *arena, wr_meta *out, wa_err *err) {
  (void)arena;
  memset(out, 0, sizeof *out);
  const char *p = (const char *)bytes, *end = p + len;
  if (len < 8 || memcmp(p, "FAKEWAO\n", 8) != 0)
    return bad(err, what, "no FAKEWAO magic");
  p += 8;
  int seen = 0;
  while (p < end && *p != '\n') {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eq = memchr(p, '=', nl ? (size_t)(nl - p) : 0);
    if (!nl || !eq)
      return bad(err, what, "bad header line");
    size_t klen = (size_t)(eq - p);
    wr_name v = {eq + 1, (uint32_t)(nl - eq - 1)};
    char num[80];
    snprintf(num, sizeof num, "%.*s", (int)v.len, v.ptr);
#define IS(k) (klen == strlen(k) && memcmp(p, k, klen) == 0)
    if (IS("module")) {
      if (v.len != 64 || wa_unhex(num, out->module_sha256, 32) != 0)
        return bad(err, what, "bad module digest");
    } else if (IS("compiler"))
      out->compiler_version = v;
    else if (IS("format"))
      out->format_version = (uint32_t)strtoul(num, NULL, 10);
    else if (IS("abi"))
      out->abi_version = (uint32_t)strtoul(num, NULL, 10);
    else if (IS("triple"))
      out->triple = v;
    else if (IS("cpu"))
      out->cpu = v;
    else if (IS("features"))
      out->features = v;
    else if (IS("bounds"))
      out->bounds = (uint8_t)strtoul(num, NULL, 10);
    else if (IS("opt"))
      out->opt_level = (uint8_t)strtoul(num, NULL, 10);
    else
      return bad(err, what, "unknown header key");
#undef IS
    seen++;
    p = nl + 1;
  }
  if (seen != 9 || p >= end)
    return bad(err, what, "incomplete header");
  return 0;
}

void fk_fill_init(fk_fill *f, int seed) {
  memset(f, 0, sizeof *f);
  fk_digest(seed, f->digest);
  f->cfg = fk_config();
  f->payload = 1000;
}

int fk_fill_fn(void *ud, const wk_key *key, wa_buf *out, wa_err *err) {
  fk_fill *f = ud;
  (void)key;
  (void)err;
  f->calls++;
  if (f->counter) {
    int fd = open(f->counter, O_WRONLY | O_CREAT | O_APPEND, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "fill\n", 5), 5);
    close(fd);
  }
  if (f->delay_ms)
    usleep(f->delay_ms * 1000u);
  fk_artifact(f->digest, &f->cfg, f->payload, out);
  if (f->kill_mid_fill)
    raise(SIGKILL);
  return 0;
}

int fk_count(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  int n = 0, ch;
  while ((ch = fgetc(f)) != EOF)
    n += ch == '\n';
  fclose(f);
  return n;
}

wk_cache *fk_open(uint64_t max_size) {
  wk_cache *c = NULL;
  wa_err e;
  wa_err_init(&e);
  wk_options o = {.max_size = max_size, .read_meta = fk_read_meta};
  int rc = wk_open(fk_cache_dir, &o, &c, &e);
  cr_assert_eq(rc, 0, "%s", e.msg);
  return c;
}

void fk_flip_byte(const char *path, long off) {
  cr_assert_eq(chmod(path, 0600), 0);
  int fd = open(path, O_RDWR);
  cr_assert_geq(fd, 0);
  uint8_t b;
  cr_assert_eq(pread(fd, &b, 1, off), 1);
  b ^= 0x20;
  cr_assert_eq(pwrite(fd, &b, 1, off), 1);
  close(fd);
  cr_assert_eq(chmod(path, 0400), 0);
}

int fk_files_with(const char *s) {
  char objects[160], shard[512];
  snprintf(objects, sizeof objects, "%s/objects", fk_cache_dir);
  DIR *d = opendir(objects);
  if (!d)
    return 0;
  int n = 0;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    if (ent->d_name[0] == '.')
      continue;
    snprintf(shard, sizeof shard, "%s/%s", objects, ent->d_name);
    DIR *s2 = opendir(shard);
    if (!s2)
      continue;
    struct dirent *e2;
    while ((e2 = readdir(s2)))
      if (e2->d_name[0] != '.' && strstr(e2->d_name, s))
        n++;
    closedir(s2);
  }
  closedir(d);
  return n;
}

void fk_entry_path(wk_cache *c, const uint8_t digest[32], const wk_config *cfg,
                   char *out, size_t n) {
  wk_key k;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wk_key_compute(digest, cfg, &k, &e), 0, "%s", e.msg);
  cr_assert_eq(wk__key_path(c, &k, WK_ENTRY_SUFFIX, out, n, &e), 0);
}
