/*
 * test_verify.c: cache/verify.c — damaged entries are caught before use,
 * removed and filled again with a warning; entries that are not private to
 * this user are never loaded; `verify` finds and removes bad entries.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(cache_verify, .init = fk_setup, .fini = fk_teardown);

/* Fills seed's entry and returns its path. */
static void fill(wk_cache *c, fk_fill *f, int seed, char *path, size_t n) {
  fk_fill_init(f, seed);
  wk_entry *e;
  wa_err err, warn;
  wa_err_init(&err);
  cr_assert_eq(wk_get(c, f->digest, &f->cfg, fk_fill_fn, f, &e, &warn, &err), 0,
               "%s", err.msg);
  snprintf(path, n, "%s", wk_entry_path(e));
  wk_entry_release(e);
}

/* Gets seed's entry again, expecting a repair: one more fill, a warning
 * naming the entry, and good bytes. */
static void expect_repair(wk_cache *c, fk_fill *f, const char *path,
                          const char *reason) {
  wk_entry *e;
  wa_err err, warn;
  wa_err_init(&err);
  int before = f->calls;
  cr_assert_eq(wk_get(c, f->digest, &f->cfg, fk_fill_fn, f, &e, &warn, &err), 0,
               "%s", err.msg);
  cr_assert_eq(f->calls, before + 1, "the damaged entry was not refilled");
  cr_assert(wk_entry_filled(e));
  cr_assert_neq(warn.code, 0, "no warning about the damaged entry");
  cr_assert(strstr(warn.msg, "damaged"), "%s", warn.msg);
  cr_assert(strstr(warn.msg, path), "warning does not name %s: %s", path,
            warn.msg);
  cr_assert(strstr(warn.msg, reason), "warning lacks '%s': %s", reason,
            warn.msg);
  wa_buf want;
  wa_buf_init(&want);
  fk_artifact(f->digest, &f->cfg, f->payload, &want);
  cr_assert_eq(wk_entry_size(e), want.len);
  cr_assert_eq(memcmp(wk_entry_data(e), want.data, want.len), 0);
  wa_buf_free(&want);
  wk_entry_release(e);
  /* and the repaired entry is a plain hit now */
  wa_err_init(&err);
  cr_assert_eq(wk_get(c, f->digest, &f->cfg, fk_fill_fn, f, &e, &warn, &err), 0,
               "%s", err.msg);
  cr_assert_eq(f->calls, before + 1);
  cr_assert_eq(warn.code, 0);
  wk_entry_release(e);
}

Test(cache_verify, a_corrupted_artifact_byte_is_detected_and_refilled) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX];
  fill(c, &f, 1, path, sizeof path);
  fk_flip_byte(path, 300); /* in the payload: the metadata still parses */
  expect_repair(c, &f, path, "sha256");
  wk_close(c);
}

Test(cache_verify, a_truncated_entry_is_detected_and_refilled) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX];
  fill(c, &f, 2, path, sizeof path);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(truncate(path, st.st_size / 2), 0);
  expect_repair(c, &f, path, "trailer");
  wk_close(c);
}

Test(cache_verify, an_empty_entry_is_detected_and_refilled) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX];
  fill(c, &f, 3, path, sizeof path);
  cr_assert_eq(truncate(path, 0), 0);
  expect_repair(c, &f, path, "truncated");
  wk_close(c);
}

Test(cache_verify, a_damaged_trailer_is_detected_and_refilled) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX];
  fill(c, &f, 4, path, sizeof path);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  fk_flip_byte(path, st.st_size - 40); /* inside the module digest */
  expect_repair(c, &f, path, "checksum");
  wk_close(c);
}

/* Consistent bytes and hashes, but metadata for another configuration
 * (an older compiler's mistake, or an entry copied under a wrong name). */
Test(cache_verify, an_entry_whose_metadata_does_not_match_its_key_is_refilled) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 5);
  wk_key k;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_key_compute(f.digest, &f.cfg, &k, &err), 0);
  wk_config other = f.cfg;
  other.bounds = WR_BOUNDS_EXPLICIT;
  wa_buf art;
  wa_buf_init(&art);
  fk_artifact(f.digest, &other, 100, &art);
  wk__lock l;
  cr_assert_eq(wk__key_lock(c, &k, false, &l, &err), 0, "%s", err.msg);
  cr_assert_eq(wk__publish(c, &k, f.digest, art.data, art.len, 0, &err), 0,
               "%s", err.msg);
  wk__key_unlock(&l);
  char path[PATH_MAX];
  fk_entry_path(c, f.digest, &f.cfg, path, sizeof path);
  expect_repair(c, &f, path, "bounds");
  wa_buf_free(&art);
  wk_close(c);
}

typedef struct problems {
  int n;
  char path[PATH_MAX];
  bool removed;
} problems;

static void on_problem(void *ud, const char *path, const wa_err *why,
                       bool removed) {
  problems *p = ud;
  p->n++;
  snprintf(p->path, sizeof p->path, "%s", path);
  p->removed = removed;
  cr_assert_neq(why->code, 0);
}

Test(cache_verify, verify_rehashes_everything_and_removes_bad_entries) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX];
  fill(c, &f, 10, p1, sizeof p1);
  fill(c, &f, 11, p2, sizeof p2);
  fill(c, &f, 12, p3, sizeof p3);
  fk_flip_byte(p2, 500);
  problems pr = {0};
  wk_verify_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_verify(c, false, on_problem, &pr, &rep, &err), 0, "%s",
               err.msg);
  cr_assert_eq(rep.n_ok, 2);
  cr_assert_eq(rep.n_bad, 1);
  cr_assert_eq(rep.n_removed, 0);
  cr_assert(rep.meta_checked);
  cr_assert_str_eq(pr.path, p2);
  cr_assert(access(p2, F_OK) == 0, "verify without remove deleted it");
  pr = (problems){0};
  cr_assert_eq(wk_verify(c, true, on_problem, &pr, &rep, &err), 0, "%s",
               err.msg);
  cr_assert_eq(rep.n_bad, 1);
  cr_assert_eq(rep.n_removed, 1);
  cr_assert(pr.removed);
  cr_assert(access(p2, F_OK) != 0, "the bad entry is still there");
  cr_assert(access(p1, F_OK) == 0 && access(p3, F_OK) == 0);
  wk_close(c);
}

Test(cache_verify, verify_without_a_metadata_reader_still_rehashes) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char p1[PATH_MAX];
  fill(c, &f, 13, p1, sizeof p1);
  fk_flip_byte(p1, 200);
  wk_close(c);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_open(fk_cache_dir, NULL, &c, &err), 0, "%s", err.msg);
  wk_verify_report rep;
  cr_assert_eq(wk_verify(c, true, NULL, NULL, &rep, &err), 0, "%s", err.msg);
  cr_assert(!rep.meta_checked);
  cr_assert_eq(rep.n_bad, 1);
  cr_assert_eq(rep.n_removed, 1);
  wk_close(c);
}

/* ------------------------------------------------------- permissions */

static void expect_refused(wk_cache *c, fk_fill *f, const char *path,
                           const char *reason) {
  wk_entry *e = NULL;
  wa_err err, warn;
  wa_err_init(&err);
  int before = f->calls;
  int rc = wk_get(c, f->digest, &f->cfg, fk_fill_fn, f, &e, &warn, &err);
  cr_assert_eq(rc, WA_EPERM, "got %s: %s", wa_err_name(rc), err.msg);
  cr_assert_null(e);
  cr_assert_eq(f->calls, before, "a refused entry was replaced");
  cr_assert(strstr(err.msg, path), "error does not name %s: %s", path, err.msg);
  cr_assert(strstr(err.msg, reason), "error lacks '%s': %s", reason, err.msg);
}

Test(cache_verify, a_world_writable_entry_is_never_loaded) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX];
  fill(c, &f, 20, path, sizeof path);
  cr_assert_eq(chmod(path, 0402), 0);
  expect_refused(c, &f, path, "world-writable");
  wk_close(c);
}

Test(cache_verify, a_group_writable_entry_is_never_loaded) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX];
  fill(c, &f, 21, path, sizeof path);
  cr_assert_eq(chmod(path, 0420), 0);
  expect_refused(c, &f, path, "group-writable");
  wk_close(c);
}

Test(cache_verify, a_group_writable_shard_directory_is_never_used) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX], shard[PATH_MAX];
  fill(c, &f, 22, path, sizeof path);
  snprintf(shard, sizeof shard, "%s", path);
  *strrchr(shard, '/') = 0;
  cr_assert_eq(chmod(shard, 0770), 0);
  expect_refused(c, &f, shard, "group-writable");
  wk_close(c);
}

Test(cache_verify, an_entry_owned_by_another_user_is_never_loaded) {
  if (geteuid() != 0)
    cr_skip_test("needs root to chown the entry to nobody");
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX];
  fill(c, &f, 23, path, sizeof path);
  cr_assert_eq(chown(path, 65534, 65534), 0);
  expect_refused(c, &f, path, "owned by uid 65534");
  wk_close(c);
}

Test(cache_verify, a_symlinked_entry_is_never_loaded) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  char path[PATH_MAX], elsewhere[PATH_MAX];
  fill(c, &f, 24, path, sizeof path);
  snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere.wao", fk_dir);
  cr_assert_eq(rename(path, elsewhere), 0);
  cr_assert_eq(symlink(elsewhere, path), 0);
  expect_refused(c, &f, path, "symbolic link");
  /* listed as damaged; eviction removes the link, not its target */
  wk_stats st;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_stats_get(c, &st, &err), 0, "%s", err.msg);
  cr_assert_eq(st.n_damaged, 1);
  wk_gc_report rep;
  cr_assert_eq(wk_clear(c, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_removed, 1);
  cr_assert(access(path, F_OK) != 0 && access(elsewhere, F_OK) == 0);
  wk_close(c);
}

Test(cache_verify, a_group_writable_cache_directory_is_refused_on_open) {
  wk_cache *c = fk_open(0);
  wk_close(c);
  cr_assert_eq(chmod(fk_cache_dir, 0775), 0);
  wa_err err;
  wa_err_init(&err);
  wk_options o = {.read_meta = fk_read_meta};
  cr_assert_eq(wk_open(fk_cache_dir, &o, &c, &err), WA_EPERM);
  cr_assert(strstr(err.msg, fk_cache_dir), "%s", err.msg);
  cr_assert(strstr(err.msg, "group-writable"), "%s", err.msg);
  cr_assert_eq(chmod(fk_cache_dir, 0757), 0);
  wa_err_init(&err);
  cr_assert_eq(wk_open(fk_cache_dir, &o, &c, &err), WA_EPERM);
  cr_assert(strstr(err.msg, "world-writable"), "%s", err.msg);
}

Test(cache_verify, a_cache_directory_owned_by_another_user_is_refused) {
  if (geteuid() != 0)
    cr_skip_test("needs root to chown the directory to nobody");
  wk_cache *c = fk_open(0);
  wk_close(c);
  cr_assert_eq(chown(fk_cache_dir, 65534, 65534), 0);
  wa_err err;
  wa_err_init(&err);
  wk_options o = {.read_meta = fk_read_meta};
  cr_assert_eq(wk_open(fk_cache_dir, &o, &c, &err), WA_EPERM);
  cr_assert(strstr(err.msg, "owned by uid 65534"), "%s", err.msg);
}

Test(cache_verify, a_new_cache_directory_is_private) {
  wk_cache *c = fk_open(0);
  struct stat st;
  cr_assert_eq(stat(fk_cache_dir, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0700);
  wk_close(c);
}
