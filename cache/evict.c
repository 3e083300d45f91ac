/*
 * evict.c: the size bound. Last use is the mtime of the entry's stamp
 * (stamp.c) or, without one, of the entry file, set by every hit (atime is
 * unreliable: noatime, relatime). Eviction removes the least
 * recently used entries first and skips any entry that is being filled (key
 * lock) or loaded/run (shared entry lock). Also sweeps the temp and lock
 * files that killed processes leave behind.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The system call, not the vDSO: a hit reads the clock once, and faulting
 * in the vDSO's two pages for that costs more than the call. */
static void now_realtime(struct timespec *ts) {
  if (syscall(SYS_clock_gettime, CLOCK_REALTIME, ts) != 0)
    clock_gettime(CLOCK_REALTIME, ts);
}

/*
 * Records a use as the mtime of fd (the entry's stamp, else the entry).
 * Like relatime for atime, a use within WK_USE_GRANULARITY seconds of the
 * recorded one (e->used) is not written: a hot entry would otherwise cost
 * an inode update on every start, and eviction needs no finer order. A
 * fill always records its time, so new entries keep their order.
 */
static void touch(const wk_entry *e, int fd) {
  struct timespec ts[2];
  now_realtime(&ts[1]);
  if (!e->filled && ts[1].tv_sec >= e->used.tv_sec &&
      ts[1].tv_sec - e->used.tv_sec < WK_USE_GRANULARITY)
    return;
  ts[0].tv_sec = 0;
  ts[0].tv_nsec = UTIME_OMIT;
  /* Best effort: a read-only cache still serves hits, it only ages worse.
   * Explicit times (not UTIME_NOW) keep the clock's full resolution. */
  (void)futimens(fd, ts);
}

void wk__mark_used(wk_entry *e) {
  if (e->stamp_fd >= 0)
    touch(e, e->stamp_fd);
  else if (!e->stamped) /* a stamp just written is new enough */
    touch(e, e->fd);
}

typedef struct cand {
  wk_key key;
  uint64_t size;
  struct timespec used;
} cand;

typedef struct gc_ctx {
  wk_cache *c;
  cand *v;
  size_t n, cap;
  uint64_t total;
  wk_gc_report *rep;
} gc_ctx;

static int ts_cmp(const struct timespec *a, const struct timespec *b) {
  if (a->tv_sec != b->tv_sec)
    return a->tv_sec < b->tv_sec ? -1 : 1;
  if (a->tv_nsec != b->tv_nsec)
    return a->tv_nsec < b->tv_nsec ? -1 : 1;
  return 0;
}

static int cand_cmp(const void *pa, const void *pb) {
  const cand *a = pa, *b = pb;
  int r = ts_cmp(&a->used, &b->used);
  return r ? r : memcmp(a->key.b, b->key.b, 32);
}

/* Removes a leftover temp file or stale lock file if nobody fills its key
 * (lock files are deleted by their holders, so a present one is either
 * held now or was left by a killed process). */
static int sweep(gc_ctx *g, const wk_key *k, const char *path, bool is_lock,
                 wa_err *err) {
  wk__lock l;
  wa_err e;
  wa_err_init(&e);
  int rc = wk__key_lock(g->c, k, true, &l, &e);
  if (rc == WA_EBUSY)
    return 0;
  if (rc) {
    *err = e;
    return rc;
  }
  if (is_lock)
    g->rep->n_locks_removed++; /* wk__key_unlock deletes it */
  else if (unlink(path) == 0)
    g->rep->n_temp_removed++;
  else if (errno != ENOENT)
    rc = wa_fail_errno(err, WA_EIO, "cannot remove %s", path);
  wk__key_unlock(&l);
  return rc;
}

/* A stamp whose entry is gone (removed by an older wasmaot, or by hand). */
static int sweep_stamp(gc_ctx *g, const wk_key *k, const char *path,
                       wa_err *err) {
  char entry[PATH_MAX];
  int rc = wk__key_path(g->c, k, WK_ENTRY_SUFFIX, entry, sizeof entry, err);
  if (rc || access(entry, F_OK) == 0 || errno != ENOENT)
    return rc;
  if (unlink(path) != 0 && errno != ENOENT)
    return wa_fail_errno(err, WA_EIO, "cannot remove %s", path);
  return 0;
}

static int collect(void *ud, const wk_key *k, const char *path,
                   const char *name, wa_err *err) {
  gc_ctx *g = ud;
  const char *rest = name + 64;
  if (strncmp(rest, WK_TEMP_INFIX, strlen(WK_TEMP_INFIX)) == 0)
    return sweep(g, k, path, false, err);
  if (strcmp(rest, WK_LOCK_SUFFIX) == 0)
    return sweep(g, k, path, true, err);
  if (strcmp(rest, WK_STAMP_SUFFIX) == 0)
    return sweep_stamp(g, k, path, err);
  if (strcmp(rest, WK_ENTRY_SUFFIX) != 0)
    return 0;
  struct stat st;
  if (lstat(path, &st) != 0)
    return errno == ENOENT ? 0
                           : wa_fail_errno(err, WA_EIO, "cannot stat %s", path);
  wk__last_use(path, &st);
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    cand *v = wa_realloc(g->v, cap * sizeof *v);
    if (!v)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    g->v = v;
    g->cap = cap;
  }
  g->v[g->n++] = (cand){*k, (uint64_t)st.st_size, st.st_mtim};
  g->total += (uint64_t)st.st_size;
  return 0;
}

/* Evicts one entry. 0, WA_EBUSY, or WA_ENOTFOUND (already gone). */
static int evict_one(gc_ctx *g, const cand *e, wa_err *err) {
  wk__lock l;
  char path[PATH_MAX];
  wa_err scratch;
  wa_err_init(&scratch);
  int rc = wk__key_path(g->c, &e->key, WK_ENTRY_SUFFIX, path, sizeof path, err);
  if (rc)
    return rc;
  rc = wk__key_lock(g->c, &e->key, true, &l, &scratch);
  if (rc == WA_EBUSY)
    return rc;
  if (rc) {
    *err = scratch;
    return rc;
  }
  rc = wk__entry_remove(path, &scratch);
  if (rc == 0 || rc == WA_ENOTFOUND)
    wk__stamp_remove(path);
  wk__key_unlock(&l);
  if (rc && rc != WA_EBUSY && rc != WA_ENOTFOUND)
    *err = scratch;
  return rc;
}

int wk_gc(wk_cache *c, uint64_t max_size, wk_gc_report *out, wa_err *err) {
  gc_ctx g = {.c = c, .rep = out};
  memset(out, 0, sizeof *out);
  if (max_size == WK_LIMIT_CONFIGURED)
    max_size = c->max_size;
  wk__digests_sweep(c);
  int rc = wk__walk(c, collect, &g, err);
  if (rc)
    goto out;
  if (g.n)
    qsort(g.v, g.n, sizeof *g.v, cand_cmp);
  size_t left = g.n;
  for (size_t i = 0; i < g.n && g.total > max_size; i++) {
    rc = evict_one(&g, &g.v[i], err);
    if (rc == WA_EBUSY) {
      out->n_busy++;
      continue;
    }
    if (rc && rc != WA_ENOTFOUND)
      goto out;
    if (rc == 0) {
      out->n_removed++;
      out->bytes_removed += g.v[i].size;
    }
    left--;
    g.total -= g.v[i].size;
  }
  rc = 0;
  out->n_left = left;
  out->bytes_left = g.total;
out:
  wa_free(g.v);
  return rc;
}

int wk_clear(wk_cache *c, wk_gc_report *out, wa_err *err) {
  return wk_gc(c, 0, out, err);
}
