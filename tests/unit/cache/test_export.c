/*
 * test_export.c: cache/export.c — export/import round trip, the trust
 * requirement, and refusal of entries that do not match their key or the
 * manifest. Hostile archives are built here with libarchive.
 */
#include "fake.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

TestSuite(cache_export, .init = fk_setup, .fini = fk_teardown);

static wk_cache *open_at(const char *dir) {
  wk_cache *c = NULL;
  wa_err err;
  wa_err_init(&err);
  wk_options o = {.read_meta = fk_read_meta};
  cr_assert_eq(wk_open(dir, &o, &c, &err), 0, "%s", err.msg);
  return c;
}

static void fill(wk_cache *c, int seed) {
  fk_fill f;
  fk_fill_init(&f, seed);
  wk_entry *e;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_get(c, f.digest, &f.cfg, fk_fill_fn, &f, &e, NULL, &err), 0,
               "%s", err.msg);
  wk_entry_release(e);
}

/* Expects a hit with the right bytes and no fill. */
static void expect_hit(wk_cache *c, int seed, bool imported) {
  fk_fill f;
  fk_fill_init(&f, seed);
  wk_entry *e;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_get(c, f.digest, &f.cfg, fk_fill_fn, &f, &e, NULL, &err), 0,
               "%s", err.msg);
  cr_assert_eq(f.calls, 0, "entry %d was not imported", seed);
  cr_assert_eq(wk_entry_imported(e), imported);
  wa_buf want;
  wa_buf_init(&want);
  fk_artifact(f.digest, &f.cfg, f.payload, &want);
  cr_assert_eq(wk_entry_size(e), want.len);
  cr_assert_eq(memcmp(wk_entry_data(e), want.data, want.len), 0);
  wa_buf_free(&want);
  wk_entry_release(e);
}

static void second_cache(char *out, size_t n) {
  snprintf(out, n, "%s/other", fk_dir);
}

Test(cache_export, export_then_import_with_trust_round_trips) {
  wk_cache *a = fk_open(0);
  fill(a, 1);
  fill(a, 2);
  fill(a, 3);
  char archive[128], other[128];
  snprintf(archive, sizeof archive, "%s/cache.tar.zst", fk_dir);
  wk_xfer_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_export(a, archive, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_entries, 3);
  cr_assert_eq(rep.n_refused, 0);

  /* zstd frame magic: the archive is compressed */
  FILE *fp = fopen(archive, "rb");
  cr_assert_not_null(fp);
  uint8_t magic[4];
  cr_assert_eq(fread(magic, 1, 4, fp), 4);
  fclose(fp);
  cr_assert(magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
            magic[3] == 0xfd);

  second_cache(other, sizeof other);
  wk_cache *b = open_at(other);
  cr_assert_eq(wk_import(b, archive, true, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_entries, 3);
  cr_assert_eq(rep.n_refused, 0);
  expect_hit(b, 1, true);
  expect_hit(b, 2, true);
  expect_hit(b, 3, true);
  /* importing again changes nothing */
  cr_assert_eq(wk_import(b, archive, true, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_entries, 0);
  cr_assert_eq(rep.n_skipped, 3);
  wk_close(a);
  wk_close(b);
}

Test(cache_export, import_without_trust_is_refused_and_says_why) {
  wk_cache *a = fk_open(0);
  fill(a, 1);
  char archive[128], other[128];
  snprintf(archive, sizeof archive, "%s/cache.tar.zst", fk_dir);
  wk_xfer_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_export(a, archive, &rep, &err), 0, "%s", err.msg);
  second_cache(other, sizeof other);
  wk_cache *b = open_at(other);
  cr_assert_eq(wk_import(b, archive, false, &rep, &err), WA_EUNTRUSTED);
  cr_assert(strstr(err.msg, "--trust"), "%s", err.msg);
  cr_assert(strstr(err.msg, "native code"), "%s", err.msg);
  cr_assert(strstr(err.msg, "not signed"), "%s", err.msg);
  cr_assert_eq(rep.n_entries, 0);
  wk_stats st;
  wa_err_init(&err);
  cr_assert_eq(wk_stats_get(b, &st, &err), 0, "%s", err.msg);
  cr_assert_eq(st.n_entries, 0);
  wk_close(a);
  wk_close(b);
}

Test(cache_export, export_skips_damaged_entries) {
  wk_cache *a = fk_open(0);
  fill(a, 1);
  fill(a, 2);
  fk_fill f;
  fk_fill_init(&f, 2);
  char path[PATH_MAX], archive[128];
  fk_entry_path(a, f.digest, &f.cfg, path, sizeof path);
  cr_assert_eq(truncate(path, 50), 0);
  snprintf(archive, sizeof archive, "%s/cache.tar.zst", fk_dir);
  wk_xfer_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_export(a, archive, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_entries, 1);
  cr_assert_eq(rep.n_refused, 1);
  wk_close(a);
}

/* ------------------------------------------------ hand-made archives */

typedef struct member {
  const char *name;
  const uint8_t *data;
  size_t len;
} member;

static void write_tar_zst(const char *path, const member *m, size_t n) {
  struct archive *a = archive_write_new();
  cr_assert_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  cr_assert_eq(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  cr_assert_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  for (size_t i = 0; i < n; i++) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, m[i].name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)m[i].len);
    cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK);
    cr_assert_eq(archive_write_data(a, m[i].data, m[i].len),
                 (la_ssize_t)m[i].len);
    archive_entry_free(e);
  }
  cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

/* An entry: the key for (seed, key_cfg), holding an artifact that records
 * art_cfg. Appends its manifest line and sets name. */
typedef struct made {
  char name[128];
  wa_buf art;
} made;

static void make_entry(int seed, const wk_config *key_cfg,
                       const wk_config *art_cfg, wa_buf *manifest, made *out,
                       bool lie_about_sha) {
  uint8_t d[32], sum[32];
  fk_digest(seed, d);
  wk_key k;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_key_compute(d, key_cfg, &k, &err), 0);
  wa_buf_init(&out->art);
  fk_artifact(d, art_cfg, 1000, &out->art); /* fk_fill_init's payload */
  wa_sha256_once(out->art.data, out->art.len, sum);
  if (lie_about_sha)
    sum[0] ^= 1;
  char kh[65], sh[65], dh[65];
  wk_key_hex(&k, kh);
  wa_hex(sum, 32, sh);
  wa_hex(d, 32, dh);
  cr_assert_eq(
      wa_buf_printf(manifest, &err, "%s %zu %s %s\n", kh, out->art.len, sh, dh),
      0);
  snprintf(out->name, sizeof out->name, "wasmaot-cache/%s.wao", kh);
}

static int import_made(const made *m, size_t n, wa_buf *manifest,
                       wk_cache **out_cache, wk_xfer_report *rep, wa_err *err) {
  member mem[4];
  char archive[128], other[128];
  mem[0] = (member){"wasmaot-cache/MANIFEST", manifest->data, manifest->len};
  for (size_t i = 0; i < n; i++)
    mem[i + 1] = (member){m[i].name, m[i].art.data, m[i].art.len};
  snprintf(archive, sizeof archive, "%s/made.tar.zst", fk_dir);
  write_tar_zst(archive, mem, n + 1);
  second_cache(other, sizeof other);
  *out_cache = open_at(other);
  wa_err_init(err);
  return wk_import(*out_cache, archive, true, rep, err);
}

static void manifest_init(wa_buf *b) {
  wa_err err;
  wa_err_init(&err);
  wa_buf_init(b);
  cr_assert_eq(wa_buf_printf(b, &err, "wasmaot-cache-export 1\n"), 0);
}

Test(cache_export, an_entry_whose_metadata_does_not_match_its_key_is_refused) {
  wa_buf man;
  manifest_init(&man);
  wk_config good = fk_config(), arm = fk_config();
  arm.triple = "aarch64-unknown-linux-gnu";
  made m[2];
  make_entry(1, &good, &good, &man, &m[0], false);
  make_entry(2, &good, &arm, &man, &m[1], false); /* claims x86, is arm */
  wk_cache *b;
  wk_xfer_report rep;
  wa_err err;
  int rc = import_made(m, 2, &man, &b, &rep, &err);
  cr_assert_eq(rc, WA_EMISMATCH, "%s: %s", wa_err_name(rc), err.msg);
  cr_assert(strstr(err.msg, "metadata hashes to key"), "%s", err.msg);
  cr_assert_eq(rep.n_entries, 1);
  cr_assert_eq(rep.n_refused, 1);
  expect_hit(b, 1, true);
  fk_fill f;
  fk_fill_init(&f, 2);
  char path[PATH_MAX];
  fk_entry_path(b, f.digest, &good, path, sizeof path);
  cr_assert(access(path, F_OK) != 0, "the mismatching entry was imported");
  wk_close(b);
  wa_buf_free(&m[0].art);
  wa_buf_free(&m[1].art);
  wa_buf_free(&man);
}

Test(cache_export, an_entry_that_differs_from_the_manifest_is_refused) {
  wa_buf man;
  manifest_init(&man);
  wk_config good = fk_config();
  made m[1];
  make_entry(1, &good, &good, &man, &m[0], true);
  wk_cache *b;
  wk_xfer_report rep;
  wa_err err;
  int rc = import_made(m, 1, &man, &b, &rep, &err);
  cr_assert_eq(rc, WA_EDIGEST, "%s: %s", wa_err_name(rc), err.msg);
  cr_assert_eq(rep.n_entries, 0);
  wk_stats st;
  wa_err_init(&err);
  cr_assert_eq(wk_stats_get(b, &st, &err), 0);
  cr_assert_eq(st.n_entries, 0);
  wk_close(b);
  wa_buf_free(&m[0].art);
  wa_buf_free(&man);
}

Test(cache_export, a_member_missing_from_the_manifest_stops_the_import) {
  wa_buf man;
  manifest_init(&man);
  wa_buf other;
  manifest_init(&other); /* m's line goes here, not into the archive's */
  wk_config good = fk_config();
  made m[1];
  make_entry(1, &good, &good, &other, &m[0], false);
  wk_cache *b;
  wk_xfer_report rep;
  wa_err err;
  cr_assert_eq(import_made(m, 1, &man, &b, &rep, &err), WA_EMALFORMED);
  cr_assert(strstr(err.msg, "not in the manifest"), "%s", err.msg);
  wk_close(b);
  wa_buf_free(&m[0].art);
  wa_buf_free(&man);
  wa_buf_free(&other);
}

Test(cache_export, a_path_escaping_member_is_refused) {
  wa_buf man;
  manifest_init(&man);
  made m[1];
  wa_buf_init(&m[0].art);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wa_buf_append(&m[0].art, "x", 1, &err), 0);
  snprintf(m[0].name, sizeof m[0].name, "../../etc/passwd");
  wk_cache *b;
  wk_xfer_report rep;
  cr_assert_eq(import_made(m, 1, &man, &b, &rep, &err), WA_EMALFORMED);
  wk_close(b);
  wa_buf_free(&m[0].art);
  wa_buf_free(&man);
}

Test(cache_export, an_archive_without_a_manifest_is_refused) {
  char archive[128], other[128];
  snprintf(archive, sizeof archive, "%s/bad.tar.zst", fk_dir);
  member mem[1] = {{"wasmaot-cache/x", (const uint8_t *)"hi", 2}};
  write_tar_zst(archive, mem, 1);
  second_cache(other, sizeof other);
  wk_cache *b = open_at(other);
  wk_xfer_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_import(b, archive, true, &rep, &err), WA_EMALFORMED);
  cr_assert(strstr(err.msg, "MANIFEST"), "%s", err.msg);
  wk_close(b);
}

Test(cache_export, a_missing_archive_is_notfound) {
  wk_cache *b = fk_open(0);
  wk_xfer_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_import(b, "/nonexistent/a.tar.zst", true, &rep, &err),
               WA_ENOTFOUND, "%s", err.msg);
  wk_close(b);
}
