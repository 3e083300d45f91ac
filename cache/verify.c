/*
 * verify.c: nothing from the cache is used before it is checked. Opening
 * an entry checks ownership and mode, the trailer, the SHA-256 of the
 * artifact bytes and, through the metadata reader, that the artifact
 * describes the module and configuration its key was made from. Also
 * `wasmaot cache verify`: the same checks over every entry.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define OPEN_RETRIES 100

bool wk__repairable(int code) {
  return code == WA_ECORRUPT || code == WA_EMISMATCH || code == WA_EMALFORMED ||
         code == WA_EDIGEST || code == WA_EINVALID || code == WA_EUNSUPPORTED;
}

static void short_hex(const uint8_t *b, char out[17]) {
  wa_hex(b, 8, out);
}

int wk__check_meta(const wk_cache *c, const wk_key *k, const uint8_t *art,
                   size_t len, const char *what, const wk__want *want,
                   wa_err *err) {
  if (!c->read_meta)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "the cache was opened without a metadata reader");
  wa_arena a;
  wa_arena_init(&a, 4096);
  wr_meta m;
  wk_config cfg;
  wk_key got;
  char h1[17], h2[17], diff[256];
  int rc = c->read_meta(art, len, what, &a, &m, err);
  if (rc) {
    wa_err_wrap(err, "artifact metadata: ");
    goto out;
  }
  if (want->module_sha256 && memcmp(m.module_sha256, want->module_sha256, 32)) {
    short_hex(m.module_sha256, h1);
    short_hex(want->module_sha256, h2);
    rc = wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                 "%s: compiled from module sha256:%s..., not sha256:%s...",
                 what, h1, h2);
    goto out;
  }
  if ((rc = wk_config_from_meta(&m, &a, &cfg, err)) != 0)
    goto out;
  /* k is the key of want's module and configuration (wk__want.cfg), so a
   * metadata key equal to k means an equal configuration: the field by
   * field diff (two feature canonicalizations and a dozen snprintf) is
   * made only to explain a mismatch, not on every hit. */
  wa_err key_err;
  wa_err_init(&key_err);
  int key_rc = wk_key_compute(m.module_sha256, &cfg, &got, &key_err);
  if (key_rc == 0 && memcmp(got.b, k->b, 32) == 0)
    goto out;
  if (want->cfg) {
    wk__config_diff(&cfg, want->cfg, diff, sizeof diff);
    if (diff[0]) {
      rc = wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                   "%s: compiled for another configuration: %s", what, diff);
      goto out;
    }
  }
  if (key_rc != 0) {
    if (!err->code)
      *err = key_err;
    err->code = rc = WA_ECORRUPT; /* metadata without a triple, ... */
    wa_err_wrap(err, "%s: ", what);
    goto out;
  }
  if (memcmp(got.b, k->b, 32) != 0) {
    short_hex(got.b, h1);
    short_hex(k->b, h2);
    rc = wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                 "%s: its metadata hashes to key %s..., it is stored as key "
                 "%s...",
                 what, h1, h2);
  }
out:
  wa_arena_free(&a);
  return rc;
}

/* Opens path and takes a shared lock on the file the path names now: an
 * eviction or replacement between open() and flock() leaves a file with no
 * links, which is not the entry any more. *st is the locked file's status,
 * which the checks use (one fstat per hit, not one per check). */
static int open_locked(const char *path, int *out_fd, struct stat *st,
                       wa_err *err) {
  for (int i = 0; i < OPEN_RETRIES; i++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      if (errno == ENOENT)
        return wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "no cache entry %s", path);
      if (errno == ELOOP)
        return wa_fail(err, WA_EPERM, WA_NOOFF,
                       "cache entry %s is a symbolic link; it is never "
                       "loaded",
                       path);
      return wa_fail_errno(err, WA_EIO, "cannot open %s", path);
    }
    int rc = wk__flock(fd, LOCK_SH, path, err);
    if (rc == 0 && fstat(fd, st) != 0)
      rc = wa_fail_errno(err, WA_EIO, "cannot stat %s", path);
    if (rc) {
      close(fd);
      return rc;
    }
    if (st->st_nlink > 0) {
      *out_fd = fd;
      return 0;
    }
    close(fd);
  }
  return wa_fail(err, WA_EBUSY, WA_NOOFF, "%s keeps being replaced", path);
}

/* The shard directory is e->path up to its last slash: checked in place,
 * without a PATH_MAX copy on the stack of every hit. */
static int check_shard(const wk_cache *c, wk_entry *e, wa_err *err) {
  char *slash = strrchr(e->path, '/');
  if (!slash)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "bad entry path %s", e->path);
  *slash = 0;
  int rc = wk__check_dir(c, e->path, err);
  *slash = '/';
  return rc;
}

static int check_entry(const wk_cache *c, const wk_key *k, const wk__want *want,
                       wk_entry *e, const struct stat *stp, wa_err *err) {
  const struct stat st = *stp;
  char h1[17], h2[17];
  int rc;
  if (!S_ISREG(st.st_mode))
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "cache entry %s is not a regular file", e->path);
  if ((rc = wk__check_private(&st, c->uid, e->path, "cache entry", err)) ||
      (rc = check_shard(c, e, err)) ||
      (rc = wa_file_map_stat(e->fd, &st, e->path, &e->map, err)))
    return rc;
  const uint8_t *end = e->map.data + e->map.len;
  if ((rc = wk__trailer_decode(
           e->map.len >= WK_TRAILER_SIZE ? end - WK_TRAILER_SIZE : e->map.data,
           e->map.len, e->path, &e->trailer, err)))
    return rc;
  if (memcmp(e->trailer.key.b, k->b, 32) != 0) {
    short_hex(e->trailer.key.b, h1);
    short_hex(k->b, h2);
    return wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                   "%s: the trailer names key %s..., the file name %s...",
                   e->path, h1, h2);
  }
  if (want->module_sha256 &&
      memcmp(e->trailer.module_sha256, want->module_sha256, 32) != 0)
    return wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                   "%s: the trailer names another module digest", e->path);
  e->used = st.st_mtim;
  if (want->use_stamp)
    e->stamp_fd = wk__stamp_open(c, k, &st, &e->used);
  if (e->stamp_fd < 0) {
    uint8_t sum[32];
    wa_sha256_once(e->map.data, (size_t)e->trailer.artifact_size, sum);
    if (memcmp(sum, e->trailer.artifact_sha256, 32) != 0)
      return wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                     "%s: the artifact bytes do not match their sha256 "
                     "(corrupted on disk)",
                     e->path);
  }
  if (want->check_meta &&
      (rc = wk__check_meta(c, k, e->map.data, (size_t)e->trailer.artifact_size,
                           e->path, want, err)))
    return rc;
  e->stamped =
      e->stamp_fd >= 0 || (want->use_stamp && wk__stamp_write(c, k, &st));
  return 0;
}

int wk__entry_open(const wk_cache *c, const wk_key *k, const wk__want *want,
                   wk_entry **out, wa_err *err) {
  int rc;
  struct stat st;
  /* The path is sized to fit (the entry used to carry PATH_MAX bytes,
   * zeroed on every hit). */
  size_t path_len = wk__key_path_size(c, WK_ENTRY_SUFFIX);
  wk_entry *e = wa_calloc(1, sizeof *e + path_len);
  if (!e)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  e->fd = -1;
  e->stamp_fd = -1;
  if ((rc = wk__key_path(c, k, WK_ENTRY_SUFFIX, e->path, path_len, err)) != 0 ||
      (rc = open_locked(e->path, &e->fd, &st, err)) != 0 ||
      (rc = check_entry(c, k, want, e, &st, err)) != 0) {
    wk_entry_release(e);
    return rc;
  }
  *out = e;
  return 0;
}

/* ------------------------------------------------------- wasmaot verify */

typedef struct verify_ctx {
  wk_cache *c;
  bool remove;
  wk_problem_fn fn;
  void *ud;
  wk_verify_report *rep;
} verify_ctx;

static int remove_bad(verify_ctx *v, const wk_key *k, const char *path,
                      wa_err *err) {
  wk__lock l;
  wa_err e;
  wa_err_init(&e);
  int rc = wk__key_lock(v->c, k, true, &l, &e);
  if (rc == WA_EBUSY)
    return rc; /* being filled right now: it is about to be replaced */
  if (rc) {
    *err = e;
    return rc;
  }
  /* Look again under the lock: a fill may have replaced it meanwhile. */
  wk_entry *ent = NULL;
  wk__want want = {.check_meta = v->c->read_meta != NULL};
  wa_err_init(&e);
  rc = wk__entry_open(v->c, k, &want, &ent, &e);
  wk_entry_release(ent);
  if (!wk__repairable(rc))
    rc = WA_ENOTFOUND; /* fine now, gone, or not ours to touch */
  else if (unlink(path) != 0 && errno != ENOENT)
    rc = wa_fail_errno(err, WA_EIO, "cannot remove %s", path);
  else
    rc = 0;
  wk__key_unlock(&l);
  return rc;
}

static int verify_one(void *ud, const wk_key *k, const char *path,
                      const char *name, wa_err *err) {
  verify_ctx *v = ud;
  if (strcmp(name + 64, WK_ENTRY_SUFFIX) != 0)
    return 0;
  wk__want want = {.check_meta = v->c->read_meta != NULL};
  wk_entry *ent = NULL;
  wa_err why;
  wa_err_init(&why);
  int rc = wk__entry_open(v->c, k, &want, &ent, &why);
  wk_entry_release(ent);
  if (rc == 0) {
    v->rep->n_ok++;
    return 0;
  }
  if (rc == WA_ENOTFOUND)
    return 0; /* evicted while we walked */
  if (rc != WA_EPERM && !wk__repairable(rc)) {
    *err = why;
    return rc;
  }
  v->rep->n_bad++;
  bool removed = false;
  /* An entry that is not ours is reported, never touched. */
  if (v->remove && rc != WA_EPERM) {
    int r = remove_bad(v, k, path, err);
    if (r == WA_EBUSY)
      v->rep->n_busy++;
    else if (r == 0)
      removed = true;
    else if (r != WA_ENOTFOUND)
      return r;
  }
  if (removed)
    v->rep->n_removed++;
  if (v->fn)
    v->fn(v->ud, path, &why, removed);
  return 0;
}

int wk_verify(wk_cache *c, bool remove, wk_problem_fn fn, void *ud,
              wk_verify_report *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  out->meta_checked = c->read_meta != NULL;
  verify_ctx v = {c, remove, fn, ud, out};
  return wk__walk(c, verify_one, &v, err);
}
