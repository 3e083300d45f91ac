/*
 * test_evict.c: cache/evict.c and list.c — the size limit is kept by
 * evicting least recently used entries; entries in use are skipped.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

TestSuite(cache_evict, .init = fk_setup, .fini = fk_teardown);

/* Gets seed's entry (filling on a miss); returns it held or released. */
static wk_entry *use(wk_cache *c, int seed, bool hold) {
  fk_fill f;
  fk_fill_init(&f, seed);
  wk_entry *e;
  wa_err err, warn;
  wa_err_init(&err);
  cr_assert_eq(wk_get(c, f.digest, &f.cfg, fk_fill_fn, &f, &e, &warn, &err), 0,
               "%s", err.msg);
  cr_assert_eq(warn.code, 0, "%s", warn.msg);
  if (!hold) {
    wk_entry_release(e);
    return NULL;
  }
  return e;
}

static bool present(wk_cache *c, int seed) {
  fk_fill f;
  fk_fill_init(&f, seed);
  char path[PATH_MAX];
  fk_entry_path(c, f.digest, &f.cfg, path, sizeof path);
  return access(path, F_OK) == 0;
}

/* Sets seed's recorded last use to 'when' (seconds). A hit records a use
 * only when the recorded one is WK_USE_GRANULARITY seconds old, so tests of
 * the order age their entries first, as a minute's wait would. */
static void age(wk_cache *c, int seed, time_t when) {
  fk_fill f;
  fk_fill_init(&f, seed);
  char path[PATH_MAX];
  fk_entry_path(c, f.digest, &f.cfg, path, sizeof path);
  struct timespec t[2] = {{when, 0}, {when, 0}};
  cr_assert_eq(utimensat(AT_FDCWD, path, t, 0), 0);
}

static time_t entry_mtime(wk_cache *c, int seed) {
  fk_fill f;
  fk_fill_init(&f, seed);
  char path[PATH_MAX];
  fk_entry_path(c, f.digest, &f.cfg, path, sizeof path);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  return st.st_mtim.tv_sec;
}

static uint64_t entry_size(void) {
  fk_fill f;
  fk_fill_init(&f, 0);
  wa_buf b;
  wa_buf_init(&b);
  fk_artifact(f.digest, &f.cfg, f.payload, &b);
  uint64_t n = b.len + WK_TRAILER_SIZE;
  wa_buf_free(&b);
  return n;
}

Test(cache_evict, gc_removes_least_recently_used_entries_first) {
  wk_cache *c = fk_open(0);
  for (int s = 1; s <= 4; s++) {
    use(c, s, false);
    age(c, s, 1000000 + s);
  }
  use(c, 1, false); /* 1 is now the most recent: order 2, 3, 4, 1 */
  wk_gc_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_gc(c, 2 * entry_size(), &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_removed, 2);
  cr_assert_eq(rep.bytes_removed, 2 * entry_size());
  cr_assert_eq(rep.n_left, 2);
  cr_assert_eq(rep.bytes_left, 2 * entry_size());
  cr_assert(!present(c, 2) && !present(c, 3), "LRU entries survived");
  cr_assert(present(c, 4) && present(c, 1), "recent entries were evicted");
  wk_close(c);
}

Test(cache_evict, an_entry_in_use_is_skipped) {
  wk_cache *c = fk_open(0);
  for (int s = 1; s <= 4; s++)
    use(c, s, false);
  use(c, 1, false);                 /* order 2, 3, 4, 1 */
  wk_entry *held = use(c, 2, true); /* 2 is in use: order 3, 4, 1, 2 */
  wk_gc_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_clear(c, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_busy, 1);
  cr_assert_eq(rep.n_removed, 3);
  cr_assert(present(c, 2), "a held entry was evicted");
  /* still usable through the mapping, and removable once released */
  cr_assert_neq(wk_entry_size(held), 0);
  wk_entry_release(held);
  cr_assert_eq(wk_clear(c, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_removed, 1);
  cr_assert_eq(rep.n_busy, 0);
  cr_assert(!present(c, 2));
  wk_close(c);
}

Test(cache_evict, an_old_busy_entry_makes_gc_evict_the_next_one) {
  wk_cache *c = fk_open(0);
  wk_entry *held = use(c, 1, true);
  use(c, 2, false);
  use(c, 3, false);
  wk_gc_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_gc(c, 2 * entry_size(), &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_busy, 1);
  cr_assert_eq(rep.n_removed, 1);
  cr_assert(present(c, 1) && !present(c, 2) && present(c, 3));
  wk_entry_release(held);
  wk_close(c);
}

Test(cache_evict, a_fill_keeps_the_cache_under_its_limit) {
  uint64_t limit = 2 * entry_size() + entry_size() / 2;
  wk_cache *c = fk_open(limit);
  cr_assert_eq(wk_max_size(c), limit);
  use(c, 1, false);
  use(c, 2, false);
  cr_assert(present(c, 1) && present(c, 2));
  wk_entry *e3 = use(c, 3, true);
  cr_assert(!present(c, 1), "the LRU entry survived a fill over the limit");
  cr_assert(present(c, 2) && present(c, 3));
  wk_entry_release(e3);
  wk_stats st;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_stats_get(c, &st, &err), 0, "%s", err.msg);
  cr_assert_eq(st.n_entries, 2);
  cr_assert_leq(st.bytes, limit);
  wk_close(c);
}

Test(cache_evict, a_fill_larger_than_the_limit_is_still_returned) {
  wk_cache *c = fk_open(100); /* smaller than any entry */
  wk_entry *e = use(c, 1, true);
  cr_assert_neq(wk_entry_size(e), 0);
  wk_entry_release(e);
  wk_close(c);
}

typedef struct seen {
  int n;
  wk_info v[8];
} seen;

static int collect(void *ud, const wk_info *info, wa_err *err) {
  (void)err;
  seen *s = ud;
  cr_assert_lt(s->n, 8);
  s->v[s->n++] = *info;
  return 0;
}

Test(cache_evict, ls_lists_most_recent_first_and_stats_add_up) {
  wk_cache *c = fk_open(0);
  for (int s = 1; s <= 3; s++) {
    use(c, s, false);
    age(c, s, 1000000 + s);
  }
  use(c, 1, false);
  seen s = {0};
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_list(c, collect, &s, &err), 0, "%s", err.msg);
  cr_assert_eq(s.n, 3);
  fk_fill f;
  fk_fill_init(&f, 1);
  cr_assert_eq(memcmp(s.v[0].module_sha256, f.digest, 32), 0,
               "the most recently used entry is not first");
  fk_fill_init(&f, 2);
  cr_assert_eq(memcmp(s.v[2].module_sha256, f.digest, 32), 0);
  for (int i = 0; i < 3; i++) {
    cr_assert(!s.v[i].damaged);
    cr_assert_eq(s.v[i].file_size, entry_size());
    cr_assert_eq(s.v[i].artifact_size, entry_size() - WK_TRAILER_SIZE);
  }
  wk_stats st;
  cr_assert_eq(wk_stats_get(c, &st, &err), 0, "%s", err.msg);
  cr_assert_eq(st.n_entries, 3);
  cr_assert_eq(st.bytes, 3 * entry_size());
  cr_assert_eq(st.max_size, WK_DEFAULT_MAX_SIZE);
  cr_assert_eq(st.n_damaged, 0);
  cr_assert(st.oldest_use.tv_sec <= st.newest_use.tv_sec);
  wk_close(c);
}

Test(cache_evict, last_use_is_the_entry_mtime_and_a_hit_updates_it) {
  wk_cache *c = fk_open(0);
  use(c, 1, false);
  fk_fill f;
  fk_fill_init(&f, 1);
  char path[PATH_MAX];
  fk_entry_path(c, f.digest, &f.cfg, path, sizeof path);
  struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
  cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0);
  use(c, 1, false);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_gt(st.st_mtim.tv_sec, 1000000, "a hit did not record its use");
  wk_close(c);
}

/* Like relatime: a use within WK_USE_GRANULARITY seconds of the recorded
 * one writes nothing (a hot entry costs no inode update per start); an
 * older record, or one in the future, is rewritten. */
Test(cache_evict, a_hit_within_the_granularity_records_nothing) {
  wk_cache *c = fk_open(0);
  use(c, 1, false);
  time_t recent = time(NULL) - WK_USE_GRANULARITY / 2;
  age(c, 1, recent);
  use(c, 1, false);
  cr_assert_eq(entry_mtime(c, 1), recent, "a recent use was rewritten");
  age(c, 1, time(NULL) - WK_USE_GRANULARITY - 5);
  use(c, 1, false);
  cr_assert_geq(entry_mtime(c, 1), time(NULL) - 5, "an old use was kept");
  age(c, 1, time(NULL) + 3600);
  use(c, 1, false);
  cr_assert_leq(entry_mtime(c, 1), time(NULL), "a future use was kept");
  wk_close(c);
}

/* noatime/relatime mounts make atime meaningless: only mtime counts. */
Test(cache_evict, eviction_order_ignores_atime) {
  wk_cache *c = fk_open(0);
  use(c, 1, false);
  use(c, 2, false);
  char p1[PATH_MAX], p2[PATH_MAX];
  fk_fill f;
  fk_fill_init(&f, 1);
  fk_entry_path(c, f.digest, &f.cfg, p1, sizeof p1);
  fk_fill_init(&f, 2);
  fk_entry_path(c, f.digest, &f.cfg, p2, sizeof p2);
  struct timespec t1[2] = {{4000000000, 0}, {2000000, 0}}; /* atime new */
  struct timespec t2[2] = {{1000000, 0}, {3000000, 0}};    /* atime old */
  cr_assert_eq(utimensat(AT_FDCWD, p1, t1, 0), 0);
  cr_assert_eq(utimensat(AT_FDCWD, p2, t2, 0), 0);
  wk_gc_report rep;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_gc(c, entry_size(), &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_removed, 1);
  cr_assert(!present(c, 1) && present(c, 2), "eviction followed atime");
  wk_close(c);
}
