/*
 * lock.c: the two locks of the cache (docs/cache.md, "Locking"): a per-key
 * fill lock (an flock()ed file beside the entry, held exclusively while
 * one process fills, repairs, imports or evicts the key) and the entry
 * file's own flock (shared while a process loads or runs it; eviction
 * takes it exclusively without waiting and skips busy entries).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Bounds the retries when holders keep deleting the lock file under us;
 * each retry means another process made progress. */
#define LOCK_RETRIES 10000

int wk__flock(int fd, int op, const char *what, wa_err *err) {
  for (;;) {
    if (flock(fd, op) == 0)
      return 0;
    if (errno == EINTR)
      continue;
    if (errno == EWOULDBLOCK)
      return wa_fail(err, WA_EBUSY, WA_NOOFF, "%s is in use", what);
    return wa_fail_errno(err, WA_EIO, "cannot lock %s", what);
  }
}

static bool same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int wk__key_lock(const wk_cache *c, const wk_key *k, bool nonblock,
                 wk__lock *out, wa_err *err) {
  char shard[PATH_MAX];
  int rc;
  out->fd = -1;
  if ((rc = wk__shard_path(c, k, shard, sizeof shard, err)) != 0 ||
      (rc = wk__key_path(c, k, WK_LOCK_SUFFIX, out->path, sizeof out->path,
                         err)) != 0)
    return rc;
  if (mkdir(shard, WK_DIR_MODE) != 0 && errno != EEXIST)
    return wa_fail_errno(err, WA_EIO, "cannot create directory %s", shard);
  if ((rc = wk__check_dir(c, shard, err)) != 0)
    return rc;
  for (int i = 0; i < LOCK_RETRIES; i++) {
    int fd = open(out->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return wa_fail_errno(err, WA_EIO, "cannot open lock file %s", out->path);
    if ((rc = wk__flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0), out->path,
                        err)) != 0) {
      close(fd);
      return rc;
    }
    /* The previous holder deletes the file before releasing it; a lock on
     * a deleted file protects nothing, so retry on the current one. */
    struct stat a, b;
    if (fstat(fd, &a) == 0 && stat(out->path, &b) == 0 && same_file(&a, &b)) {
      out->fd = fd;
      return 0;
    }
    close(fd);
  }
  return wa_fail(err, WA_EBUSY, WA_NOOFF, "cannot settle the lock %s",
                 out->path);
}

void wk__key_unlock(wk__lock *l) {
  if (l->fd < 0)
    return;
  unlink(l->path); /* while still held: see wk__key_lock */
  close(l->fd);
  l->fd = -1;
}

int wk__entry_remove(const char *path, wa_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ELOOP) {
    /* A symlink is never loaded (verify.c), so nobody can be using it. */
    if (unlink(path) != 0 && errno != ENOENT)
      return wa_fail_errno(err, WA_EIO, "cannot remove %s", path);
    return 0;
  }
  if (fd < 0)
    return errno == ENOENT ? WA_ENOTFOUND
                           : wa_fail_errno(err, WA_EIO, "cannot open %s", path);
  int rc = wk__flock(fd, LOCK_EX | LOCK_NB, path, err);
  if (rc == 0) {
    struct stat a, b;
    if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || !same_file(&a, &b))
      rc = WA_ENOTFOUND; /* replaced or removed meanwhile */
    else if (unlink(path) != 0)
      rc = wa_fail_errno(err, WA_EIO, "cannot remove %s", path);
  }
  close(fd);
  return rc;
}
