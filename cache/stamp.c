/*
 * stamp.c: verified stamps, so that a hit on a large entry need not rehash
 * it. Entries are written once (0400, published by rename) and never
 * modified in place; any write to one changes its ctime, which no user can
 * set. After a full check of an entry of WK_STAMP_MIN bytes or more,
 * KEY.ok records the entry's device, inode, size and ctime; a later hit
 * whose entry still has them skips the SHA-256 (the trailer and metadata
 * are still checked). The stamp's mtime is also the entry's last use, so
 * that marking a use does not change the entry's ctime. What a stamp
 * cannot see is decay of the medium under an unchanged inode: `wasmaot
 * cache verify` always rehashes.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAMP_MAGIC "wasmaot-verified 1"

static int stamp_text(const struct stat *st, char *buf, size_t n) {
  return snprintf(
      buf, n,
      STAMP_MAGIC " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %ld\n",
      (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
      (int64_t)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* The path of k's stamp, allocated (NULL on failure): small entries, the
 * common case, never need it, so no PATH_MAX buffer sits on their stack. */
static char *stamp_path_of(const wk_cache *c, const wk_key *k) {
  size_t n = wk__key_path_size(c, WK_STAMP_SUFFIX);
  char *path = wa_malloc(n);
  wa_err scratch;
  wa_err_init(&scratch);
  if (path && wk__key_path(c, k, WK_STAMP_SUFFIX, path, n, &scratch) != 0) {
    wa_free(path);
    path = NULL;
  }
  return path;
}

int wk__stamp_open(const wk_cache *c, const wk_key *k, const struct stat *st,
                   struct timespec *mtime) {
  char want[160], got[161];
  if (st->st_size < (off_t)WK_STAMP_MIN)
    return -1;
  char *path = stamp_path_of(c, k);
  if (!path)
    return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  wa_free(path);
  if (fd < 0)
    return -1;
  struct stat sst;
  int n = stamp_text(st, want, sizeof want);
  ssize_t r = pread(fd, got, sizeof got - 1, 0);
  /* Only our own private stamp counts, like the entry it describes. */
  if (n <= 0 || r != n || memcmp(got, want, (size_t)n) != 0 ||
      fstat(fd, &sst) != 0 || sst.st_uid != c->uid ||
      (sst.st_mode & 0077) != 0) {
    close(fd);
    return -1;
  }
  *mtime = sst.st_mtim;
  return fd;
}

bool wk__stamp_write(const wk_cache *c, const wk_key *k,
                     const struct stat *st) {
  char text[160];
  if (st->st_size < (off_t)WK_STAMP_MIN)
    return false;
  char *path = stamp_path_of(c, k);
  size_t tn = path ? strlen(path) + sizeof WK_TEMP_INFIX + 24 : 0;
  char *tmp = path ? wa_malloc(tn) : NULL;
  bool ok = false;
  int n = stamp_text(st, text, sizeof text);
  if (!tmp || n <= 0 ||
      snprintf(tmp, tn, "%s" WK_TEMP_INFIX "%ld", path, (long)getpid()) >=
          (int)tn)
    goto out;
  /* Best effort: without a stamp the next hit just rehashes. The temp name
   * is one gc sweeps if we die here. */
  int fd =
      open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    goto out;
  ok = write(fd, text, (size_t)n) == n;
  ok = close(fd) == 0 && ok;
  ok = ok && rename(tmp, path) == 0;
  if (!ok)
    (void)unlink(tmp);
out:
  wa_free(tmp);
  wa_free(path);
  return ok;
}

static bool stamp_path(const char *entry_path, char path[PATH_MAX]) {
  size_t n = strlen(entry_path), sl = strlen(WK_ENTRY_SUFFIX);
  if (n < sl || strcmp(entry_path + n - sl, WK_ENTRY_SUFFIX) != 0 ||
      n - sl + strlen(WK_STAMP_SUFFIX) >= PATH_MAX)
    return false;
  memcpy(path, entry_path, n - sl);
  strcpy(path + n - sl, WK_STAMP_SUFFIX);
  return true;
}

void wk__stamp_remove(const char *entry_path) {
  char path[PATH_MAX];
  if (stamp_path(entry_path, path))
    (void)unlink(path);
}

void wk__last_use(const char *entry_path, struct stat *st) {
  char path[PATH_MAX];
  struct stat sst;
  if (stamp_path(entry_path, path) && lstat(path, &sst) == 0 &&
      S_ISREG(sst.st_mode) &&
      (sst.st_mtim.tv_sec > st->st_mtim.tv_sec ||
       (sst.st_mtim.tv_sec == st->st_mtim.tv_sec &&
        sst.st_mtim.tv_nsec > st->st_mtim.tv_nsec)))
    st->st_mtim = sst.st_mtim;
}
