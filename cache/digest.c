/*
 * digest.c: remembered module digests. `wasmaot run big.wasm` needs the
 * module's SHA-256 before it can even look up its cache entry, and for a
 * 10 MB module hashing it cost as much as the rest of a hit. A file whose
 * device, inode, size, mtime and ctime are unchanged has unchanged bytes
 * (every write sets mtime and ctime, and no user can set a ctime), so the
 * digest of a large file is remembered in DIR/digests/<dev>-<ino> and
 * trusted while all five match. A file changed within the last
 * DIGEST_SETTLE seconds is hashed but not remembered: a second write in
 * the same clock tick could leave its times as they were (git's "racy
 * clean" problem).
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIGEST_MAGIC "wasmaot-digest 1"
#define DIGEST_SETTLE 2 /* seconds */
/* gc drops records older than this: a record names an inode, which may be
 * gone; one rehash recreates a live file's record. */
#define DIGEST_MAX_AGE (7 * 24 * 3600)

/* "<magic> size mtime ctime <hex>\n"; device and inode are the name. */
static int digest_text(const struct stat *st, const uint8_t sha[32], char *buf,
                       size_t n) {
  char hex[65];
  wa_hex(sha, 32, hex);
  return snprintf(
      buf, n,
      DIGEST_MAGIC " %" PRIu64 " %" PRId64 ".%09ld %" PRId64 ".%09ld %s\n",
      (uint64_t)st->st_size, (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
      (int64_t)st->st_ctim.tv_sec, st->st_ctim.tv_nsec, hex);
}

static bool digest_path(const wk_cache *c, const struct stat *st, bool dir,
                        char *out, size_t n) {
  int w = dir ? snprintf(out, n, "%s/digests", c->root)
              : snprintf(out, n, "%s/digests/%" PRIx64 "-%" PRIx64, c->root,
                         (uint64_t)st->st_dev, (uint64_t)st->st_ino);
  return w > 0 && (size_t)w < n;
}

static bool same(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
         a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
         a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static bool recall(const wk_cache *c, const struct stat *st, uint8_t out[32]) {
  char path[PATH_MAX], text[256], want[256];
  if (!digest_path(c, st, false, path, sizeof path))
    return false;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct stat fst;
  ssize_t r = -1;
  /* Only the user's own private record counts, like cache entries. */
  if (fstat(fd, &fst) == 0 && fst.st_uid == c->uid && (fst.st_mode & 0077) == 0)
    r = read(fd, text, sizeof text - 1);
  close(fd);
  uint8_t zero[32] = {0};
  int n = digest_text(st, zero, want, sizeof want);
  /* Everything up to the hex digest must match; then parse the digest. */
  size_t prefix = (size_t)n - 65;
  if (n <= 65 || r != n || memcmp(text, want, prefix) != 0 ||
      text[n - 1] != '\n')
    return false;
  text[n - 1] = 0;
  return wa_unhex(text + prefix, out, 32) == 0;
}

static void remember(const wk_cache *c, const struct stat *st,
                     const uint8_t sha[32]) {
  char path[PATH_MAX], text[256];
  wa_err scratch;
  wa_err_init(&scratch);
  if (!digest_path(c, st, true, path, sizeof path) ||
      (mkdir(path, WK_DIR_MODE) != 0 && errno != EEXIST) ||
      wk__check_dir(c, path, &scratch) != 0 ||
      !digest_path(c, st, false, path, sizeof path))
    return;
  int n = digest_text(st, sha, text, sizeof text);
  /* Best effort: without the record the next run hashes again. */
  if (n > 0 && (size_t)n < sizeof text &&
      wa_file_publish(path, text, (size_t)n, 0600, &scratch) != 0)
    return;
}

void wk__digests_sweep(const wk_cache *c) {
  char dir[PATH_MAX];
  struct stat st = {0};
  if (!digest_path(c, &st, true, dir, sizeof dir))
    return;
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct dirent *ent;
  while ((ent = readdir(d)))
    if (ent->d_name[0] != '.' &&
        fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        now.tv_sec - st.st_mtim.tv_sec > DIGEST_MAX_AGE)
      (void)unlinkat(dirfd(d), ent->d_name, 0);
  closedir(d);
}

void wk_file_digest(const wk_cache *c, int fd, const uint8_t *data, size_t len,
                    uint8_t out[32]) {
  struct stat before, after;
  if (!c || len < WK_STAMP_MIN || fstat(fd, &before) != 0 ||
      !S_ISREG(before.st_mode) || (uint64_t)before.st_size != len) {
    wa_sha256_once(data, len, out);
    return;
  }
  if (recall(c, &before, out))
    return;
  wa_sha256_once(data, len, out);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  time_t changed = before.st_ctim.tv_sec > before.st_mtim.tv_sec
                       ? before.st_ctim.tv_sec
                       : before.st_mtim.tv_sec;
  if (fstat(fd, &after) == 0 && same(&before, &after) &&
      now.tv_sec - changed > DIGEST_SETTLE)
    remember(c, &before, out);
}
