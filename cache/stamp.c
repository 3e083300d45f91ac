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

int wk__stamp_open(const wk_cache *c, const wk_key *k, const struct stat *st) {
  char path[PATH_MAX], want[160], got[161];
  wa_err scratch;
  wa_err_init(&scratch);
  if (st->st_size < (off_t)WK_STAMP_MIN ||
      wk__key_path(c, k, WK_STAMP_SUFFIX, path, sizeof path, &scratch) != 0)
    return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
  return fd;
}

bool wk__stamp_write(const wk_cache *c, const wk_key *k, int entry_fd) {
  char path[PATH_MAX], tmp[PATH_MAX + 32], text[160];
  struct stat st;
  wa_err scratch;
  wa_err_init(&scratch);
  if (fstat(entry_fd, &st) != 0 || st.st_size < (off_t)WK_STAMP_MIN ||
      wk__key_path(c, k, WK_STAMP_SUFFIX, path, sizeof path, &scratch) != 0)
    return false;
  int n = stamp_text(&st, text, sizeof text);
  if (n <= 0 || snprintf(tmp, sizeof tmp, "%s" WK_TEMP_INFIX "%ld", path,
                         (long)getpid()) >= (int)sizeof tmp)
    return false;
  /* Best effort: without a stamp the next hit just rehashes. The temp name
   * is one gc sweeps if we die here. */
  int fd =
      open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return false;
  bool ok = write(fd, text, (size_t)n) == n;
  ok = close(fd) == 0 && ok;
  if (ok && rename(tmp, path) == 0)
    return true;
  (void)unlink(tmp);
  return false;
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
