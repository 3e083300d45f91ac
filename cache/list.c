/*
 * list.c: `wasmaot cache ls` and `stats`. Reads entry trailers only (no
 * hashing): a damaged trailer is shown as damaged, and `verify` is what
 * checks the bytes.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct list_ctx {
  const wk_cache *c;
  wk_info *v;
  size_t n, cap;
  uint64_t n_temp, temp_bytes;
} list_ctx;

static int read_info(const char *path, const wk_key *k, wk_info *out,
                     wa_err *err) {
  uint8_t tr[WK_TRAILER_SIZE];
  wk__trailer t;
  struct stat st;
  memset(out, 0, sizeof *out);
  out->key = *k;
  out->damaged = true; /* until its trailer says otherwise */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? WA_ENOTFOUND : 0; /* a symlink, unreadable */
  if (fstat(fd, &st) != 0) {
    close(fd);
    return wa_fail_errno(err, WA_EIO, "cannot stat %s", path);
  }
  out->file_size = (uint64_t)st.st_size;
  wk__last_use(path, &st);
  out->last_used = st.st_mtim;
  wa_err scratch;
  wa_err_init(&scratch);
  if (S_ISREG(st.st_mode) && st.st_size >= (off_t)WK_TRAILER_SIZE &&
      pread(fd, tr, sizeof tr, st.st_size - (off_t)WK_TRAILER_SIZE) ==
          (ssize_t)sizeof tr &&
      wk__trailer_decode(tr, (uint64_t)st.st_size, path, &t, &scratch) == 0 &&
      memcmp(t.key.b, k->b, 32) == 0) {
    out->damaged = false;
    out->artifact_size = t.artifact_size;
    out->flags = t.flags;
    memcpy(out->module_sha256, t.module_sha256, 32);
  }
  close(fd);
  return 0;
}

static int collect(void *ud, const wk_key *k, const char *path,
                   const char *name, wa_err *err) {
  list_ctx *l = ud;
  const char *rest = name + 64;
  struct stat st;
  if (strncmp(rest, WK_TEMP_INFIX, strlen(WK_TEMP_INFIX)) == 0) {
    if (lstat(path, &st) == 0) {
      l->n_temp++;
      l->temp_bytes += (uint64_t)st.st_size;
    }
    return 0;
  }
  if (strcmp(rest, WK_ENTRY_SUFFIX) != 0)
    return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    wk_info *v = wa_realloc(l->v, cap * sizeof *v);
    if (!v)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    l->v = v;
    l->cap = cap;
  }
  int rc = read_info(path, k, &l->v[l->n], err);
  if (rc == WA_ENOTFOUND)
    return 0;
  if (rc == 0)
    l->n++;
  return rc;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b) {
  if (a->tv_sec != b->tv_sec)
    return a->tv_sec < b->tv_sec ? -1 : 1;
  if (a->tv_nsec != b->tv_nsec)
    return a->tv_nsec < b->tv_nsec ? -1 : 1;
  return 0;
}

static int recent_first(const void *pa, const void *pb) {
  const wk_info *a = pa, *b = pb;
  int r = ts_cmp(&b->last_used, &a->last_used);
  return r ? r : memcmp(a->key.b, b->key.b, 32);
}

int wk_list(wk_cache *c, wk_list_fn fn, void *ud, wa_err *err) {
  list_ctx l = {.c = c};
  char path[PATH_MAX];
  int rc = wk__walk(c, collect, &l, err);
  if (rc)
    goto out;
  if (l.n)
    qsort(l.v, l.n, sizeof *l.v, recent_first);
  for (size_t i = 0; i < l.n; i++) {
    if ((rc = wk__key_path(c, &l.v[i].key, WK_ENTRY_SUFFIX, path, sizeof path,
                           err)) != 0)
      break;
    l.v[i].path = path;
    if ((rc = fn(ud, &l.v[i], err)) != 0)
      break;
  }
out:
  wa_free(l.v);
  return rc;
}

int wk_stats_get(wk_cache *c, wk_stats *out, wa_err *err) {
  list_ctx l = {.c = c};
  memset(out, 0, sizeof *out);
  out->max_size = c->max_size;
  int rc = wk__walk(c, collect, &l, err);
  if (rc == 0) {
    for (size_t i = 0; i < l.n; i++) {
      const wk_info *e = &l.v[i];
      out->n_entries++;
      out->bytes += e->file_size;
      out->n_imported += (e->flags & WK_ENTRY_IMPORTED) != 0;
      out->n_damaged += e->damaged;
      if (i == 0 || ts_cmp(&e->last_used, &out->oldest_use) < 0)
        out->oldest_use = e->last_used;
      if (i == 0 || ts_cmp(&e->last_used, &out->newest_use) > 0)
        out->newest_use = e->last_used;
    }
    out->n_temp = l.n_temp;
    out->temp_bytes = l.temp_bytes;
  }
  wa_free(l.v);
  return rc;
}
