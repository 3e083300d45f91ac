/*
 * test_stamp.c: cache/stamp.c — a hit on a large entry trusts its verified
 * stamp only while the entry file is the one the stamp describes (same
 * inode, size and ctime); any write to the entry sends the next hit back to
 * a full rehash. The stamp's mtime is the entry's last use.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(cache_stamp, .init = fk_setup, .fini = fk_teardown);

#define BIG (WK_STAMP_MIN + 4096)

static int get(wk_cache *c, fk_fill *f, wk_entry **e, wa_err *warn) {
  wa_err err;
  wa_err_init(&err);
  int rc = wk_get(c, f->digest, &f->cfg, fk_fill_fn, f, e, warn, &err);
  cr_assert_eq(rc, 0, "%s", err.msg);
  return rc;
}

static void stamp_of(const char *entry, char *out, size_t n) {
  snprintf(out, n, "%.*s" WK_STAMP_SUFFIX,
           (int)(strlen(entry) - strlen(WK_ENTRY_SUFFIX)), entry);
}

/* A stamp naming the entry as it is now, as wk__stamp_write would. */
static void forge_stamp(wk_cache *c, fk_fill *f, const char *path) {
  wk_key k;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_key_compute(f->digest, &f->cfg, &k, &err), 0);
  int fd = open(path, O_RDONLY);
  cr_assert_geq(fd, 0);
  struct stat st;
  cr_assert_eq(fstat(fd, &st), 0);
  cr_assert(wk__stamp_write(c, &k, &st));
  close(fd);
}

Test(cache_stamp, a_large_entry_gets_a_stamp_a_small_one_does_not) {
  wk_cache *c = fk_open(0);
  fk_fill big, small;
  fk_fill_init(&big, 1);
  big.payload = BIG;
  fk_fill_init(&small, 2);
  wk_entry *e;
  wa_err warn;
  char sp[PATH_MAX];
  get(c, &big, &e, &warn);
  stamp_of(wk_entry_path(e), sp, sizeof sp);
  struct stat st;
  cr_assert_eq(stat(sp, &st), 0, "no stamp beside %s", wk_entry_path(e));
  cr_assert_eq(st.st_mode & 0777, 0600);
  wk_entry_release(e);
  get(c, &small, &e, &warn);
  stamp_of(wk_entry_path(e), sp, sizeof sp);
  cr_assert_neq(stat(sp, &st), 0, "a stamp for a small entry");
  wk_entry_release(e);
  wk_close(c);
}

Test(cache_stamp, a_write_to_the_entry_invalidates_its_stamp) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 3);
  f.payload = BIG;
  wk_entry *e;
  wa_err warn;
  char path[PATH_MAX];
  get(c, &f, &e, &warn);
  snprintf(path, sizeof path, "%s", wk_entry_path(e));
  wk_entry_release(e);
  get(c, &f, &e, &warn); /* a stamped hit */
  cr_assert_eq(f.calls, 1);
  wk_entry_release(e);
  fk_flip_byte(path, 4096); /* payload: the metadata still parses */
  get(c, &f, &e, &warn);
  cr_assert_eq(f.calls, 2, "damage behind a stamp was not detected");
  cr_assert(strstr(warn.msg, "sha256"), "%s", warn.msg);
  wk_entry_release(e);
  wk_close(c);
}

/* The other half of the contract, shown by forging a stamp for a damaged
 * file: a stamp that matches is trusted, so hits skip the rehash. */
Test(cache_stamp, a_matching_stamp_skips_the_rehash) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 4);
  f.payload = BIG;
  wk_entry *e;
  wa_err warn;
  char path[PATH_MAX];
  get(c, &f, &e, &warn);
  snprintf(path, sizeof path, "%s", wk_entry_path(e));
  wk_entry_release(e);
  fk_flip_byte(path, 4096);
  forge_stamp(c, &f, path);
  get(c, &f, &e, &warn);
  cr_assert_eq(f.calls, 1, "a matching stamp still rehashed");
  cr_assert_eq(warn.code, 0, "%s", warn.msg);
  wk_entry_release(e);
  /* cache verify never trusts stamps */
  wk_verify_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_verify(c, false, NULL, NULL, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_bad, 1);
  wk_close(c);
}

Test(cache_stamp, a_hit_marks_the_stamp_used_and_eviction_reads_it) {
  wk_cache *c = fk_open(0);
  fk_fill a, b;
  fk_fill_init(&a, 5);
  a.payload = BIG;
  fk_fill_init(&b, 6);
  b.payload = BIG;
  wk_entry *e;
  wa_err warn;
  char pa[PATH_MAX], pb[PATH_MAX], sa[PATH_MAX];
  get(c, &a, &e, &warn);
  snprintf(pa, sizeof pa, "%s", wk_entry_path(e));
  wk_entry_release(e);
  get(c, &b, &e, &warn);
  snprintf(pb, sizeof pb, "%s", wk_entry_path(e));
  wk_entry_release(e);
  /* Make both old, then use a: only its stamp moves. */
  struct timespec old[2] = {{0, UTIME_OMIT}, {1000000, 0}};
  stamp_of(pa, sa, sizeof sa);
  struct stat before, after;
  cr_assert_eq(utimensat(AT_FDCWD, pa, old, 0), 0);
  cr_assert_eq(utimensat(AT_FDCWD, pb, old, 0), 0);
  cr_assert_eq(utimensat(AT_FDCWD, sa, old, 0), 0);
  char sb[PATH_MAX];
  stamp_of(pb, sb, sizeof sb);
  cr_assert_eq(utimensat(AT_FDCWD, sb, old, 0), 0);
  cr_assert_eq(stat(pa, &before), 0);
  get(c, &a, &e, &warn);
  wk_entry_release(e);
  cr_assert_eq(stat(pa, &after), 0);
  cr_assert_eq(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
  cr_assert_eq(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec,
               "a stamped hit changed the entry");
  /* Room for one: b, the least recently used, goes with its stamp. */
  wk_gc_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_gc(c, (uint64_t)after.st_size + 1, &rep, &err), 0, "%s",
               err.msg);
  cr_assert_eq(rep.n_removed, 1);
  cr_assert_eq(access(pa, F_OK), 0, "the recently used entry was evicted");
  cr_assert_neq(access(pb, F_OK), 0);
  cr_assert_neq(access(sb, F_OK), 0, "the evicted entry's stamp is left");
  wk_close(c);
}
