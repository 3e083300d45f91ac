/*
 * blob.c: the one place where blob bytes are checked. Reading a blob
 * (wo_blob_open) and writing one (the sink used by downloads and copies)
 * both end in wo__blob_check: size and sha256 against the descriptor.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_CHUNK (256 * 1024)

int wo_digest_parse(const char *s, const char *field, uint8_t out[32],
                    wa_err *err) {
  const char *colon = s ? strchr(s, ':') : NULL;
  if (!colon || colon == s)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: '%.80s' is not a digest (expected sha256:<64 hex>)",
                   field, s ? s : "");
  size_t alg = (size_t)(colon - s);
  if (alg != 6 || memcmp(s, "sha256", 6) != 0) {
    for (const char *p = s; p < colon; p++)
      if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("+._-", *p)))
        return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                       "%s: '%.80s' is not a digest", field, s);
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: digest algorithm '%.*s' is not supported (only sha256)",
                   field, (int)(alg > 32 ? 32 : alg), s);
  }
  const char *hex = colon + 1;
  size_t n = strlen(hex);
  for (size_t i = 0; i < n; i++)
    if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
      n = 0;
  if (strlen(hex) != 64 || n != 64 || wa_unhex(hex, out, 32) != 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: '%.80s' is not a sha256 digest (expected 64 lower-case "
                   "hex digits)",
                   field, s);
  return 0;
}

void wo_digest_format(const uint8_t sha[32], char out[WO_DIGEST_MAX]) {
  memcpy(out, "sha256:", 7);
  wa_hex(sha, 32, out + 7);
}

const char *wo_digest_hex(const char *digest) {
  const char *c = strchr(digest, ':');
  return c ? c + 1 : digest;
}

int wo__blob_check(const wo_desc *d, const uint8_t sha[32], uint64_t size,
                   const char *origin, wa_err *err) {
  if (size != d->size)
    return wa_fail(err, WA_EDIGEST, WA_NOOFF,
                   "blob %s from %s: %llu bytes, the descriptor says %llu",
                   d->digest, origin, (unsigned long long)size,
                   (unsigned long long)d->size);
  char got[WO_DIGEST_MAX];
  wo_digest_format(sha, got);
  if (strcmp(got, d->digest) != 0)
    return wa_fail(err, WA_EDIGEST, WA_NOOFF,
                   "blob %s from %s: content hashes to %s", d->digest, origin,
                   got);
  return 0;
}

/* Hashes fd from offset 0 up to its end; returns the byte count. */
static int hash_fd(int fd, wa_sha256 *s, uint64_t *out_n, const char *what,
                   wa_err *err) {
  uint8_t *buf = wa_malloc(IO_CHUNK);
  if (!buf)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory hashing %s", what);
  uint64_t n = 0;
  int rc = 0;
  for (;;) {
    ssize_t r = pread(fd, buf, IO_CHUNK, (off_t)n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      rc = wa_fail_errno(err, WA_EIO, "cannot read %s", what);
      break;
    }
    if (r == 0)
      break;
    wa_sha256_update(s, buf, (size_t)r);
    n += (uint64_t)r;
  }
  wa_free(buf);
  *out_n = n;
  return rc;
}

int wo_blob_open(const wo_blobs *b, const wo_desc *d, const char *origin,
                 int *out_fd, wa_err *err) {
  *out_fd = -1;
  const char *hex = wo_digest_hex(d->digest);
  int fd = -1;
  for (size_t i = 0; i < b->n && fd < 0; i++) {
    fd = openat(b->fd[i], hex, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno != ENOENT)
      return wa_fail_errno(err, WA_EIO, "cannot open blob %s from %s",
                           d->digest, origin);
  }
  if (fd < 0)
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "blob %s is missing from %s",
                   d->digest, origin);
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot stat blob %s", d->digest);
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = wa_fail(err, WA_EDIGEST, WA_NOOFF,
                 "blob %s from %s is not a regular file", d->digest, origin);
    goto out;
  }
  /* A size mismatch is caught before hashing gigabytes. */
  if ((uint64_t)st.st_size != d->size) {
    rc = wo__blob_check(d, (const uint8_t[32]){0}, (uint64_t)st.st_size, origin,
                        err);
    goto out;
  }
  wa_sha256 s;
  wa_sha256_init(&s);
  uint64_t n;
  if ((rc = hash_fd(fd, &s, &n, d->digest, err)) != 0)
    goto out;
  uint8_t sha[32];
  wa_sha256_final(&s, sha);
  if ((rc = wo__blob_check(d, sha, n, origin, err)) != 0)
    goto out;
  *out_fd = fd;
  fd = -1;
out:
  if (fd >= 0)
    close(fd);
  return rc;
}

int wo_blob_read(const wo_blobs *b, const wo_desc *d, size_t max,
                 const char *origin, uint8_t **out, size_t *out_len,
                 wa_err *err) {
  *out = NULL;
  *out_len = 0;
  if (d->size > max)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "blob %s from %s: %llu bytes, more than the %zu allowed",
                   d->digest, origin, (unsigned long long)d->size, max);
  int fd;
  if (wo_blob_open(b, d, origin, &fd, err) != 0)
    return err->code;
  int rc = 0;
  size_t n = (size_t)d->size, got = 0;
  uint8_t *buf = wa_malloc(n ? n : 1);
  if (!buf) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory reading blob %s",
                 d->digest);
    goto out;
  }
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      rc = r < 0 ? wa_fail_errno(err, WA_EIO, "cannot read blob %s", d->digest)
                 : wa_fail(err, WA_EIO, WA_NOOFF, "blob %s shrank while read",
                           d->digest);
      goto out;
    }
    got += (size_t)r;
  }
  /* The fd was verified; re-hash the bytes we return so a concurrent
   * writer cannot swap them between the check and the read. */
  uint8_t sha[32];
  wa_sha256_once(buf, n, sha);
  if ((rc = wo__blob_check(d, sha, n, origin, err)) != 0)
    goto out;
  *out = buf;
  *out_len = n;
  buf = NULL;
out:
  wa_free(buf);
  close(fd);
  return rc;
}

/* ----------------------------------------------------------------- sinks */

int wo__sink_open(wo_sink *s, int dir_fd, const wo_desc *d, const char *origin,
                  wa_err *err) {
  memset(s, 0, sizeof *s);
  s->fd = -1;
  s->dir_fd = dir_fd;
  s->desc = d;
  s->origin = origin;
  snprintf(s->name, sizeof s->name, "%s", wo_digest_hex(d->digest));
  wa_sha256_init(&s->sha);
  /* Lock, then make sure the locked inode is still the one named <hex>: a
   * writer that held the lock may have published (renamed) it meanwhile. */
  for (int tries = 0;; tries++) {
    s->fd = openat(dir_fd, s->name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                   0644);
    if (s->fd < 0)
      return wa_fail_errno(err, WA_EIO, "cannot create incoming blob %s",
                           d->digest);
    while (flock(s->fd, LOCK_EX) != 0)
      if (errno != EINTR) {
        wa_fail_errno(err, WA_EIO, "cannot lock incoming blob %s", d->digest);
        wo__sink_abort(s, true);
        return err->code;
      }
    struct stat a, b;
    if (fstat(s->fd, &a) == 0 &&
        fstatat(dir_fd, s->name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino)
      break;
    close(s->fd);
    s->fd = -1;
    if (tries > 100)
      return wa_fail(err, WA_EBUSY, WA_NOOFF,
                     "incoming blob %s keeps changing under its lock",
                     d->digest);
  }
  struct stat st;
  if (fstat(s->fd, &st) != 0) {
    wa_fail_errno(err, WA_EIO, "cannot stat incoming blob %s", d->digest);
    wo__sink_abort(s, true);
    return err->code;
  }
  if ((uint64_t)st.st_size > d->size)
    return wo__sink_restart(s, err);
  if (hash_fd(s->fd, &s->sha, &s->have, d->digest, err) == 0 &&
      lseek(s->fd, (off_t)s->have, SEEK_SET) < 0)
    wa_fail_errno(err, WA_EIO, "cannot seek incoming blob %s", d->digest);
  if (err->code) {
    wo__sink_abort(s, true);
    return err->code;
  }
  return 0;
}

int wo__sink_restart(wo_sink *s, wa_err *err) {
  wa_sha256_init(&s->sha);
  s->have = 0;
  if (ftruncate(s->fd, 0) != 0 || lseek(s->fd, 0, SEEK_SET) < 0) {
    wa_fail_errno(err, WA_EIO, "cannot truncate incoming blob %s",
                  s->desc->digest);
    wo__sink_abort(s, false);
    return err->code;
  }
  return 0;
}

int wo__sink_write(wo_sink *s, const void *p, size_t n, wa_err *err) {
  if (s->have + n > s->desc->size) {
    wa_fail(err, WA_EDIGEST, WA_NOOFF,
            "blob %s from %s: more than the %llu bytes its descriptor says",
            s->desc->digest, s->origin, (unsigned long long)s->desc->size);
    wo__sink_abort(s, false);
    return err->code;
  }
  if (wo__write_all(s->fd, p, n, s->desc->digest, err) != 0) {
    wo__sink_abort(s, true);
    return err->code;
  }
  wa_sha256_update(&s->sha, p, n);
  s->have += n;
  return 0;
}

int wo__sink_finish(wo_sink *s, wa_err *err) {
  uint8_t sha[32];
  wa_sha256_final(&s->sha, sha);
  if (wo__blob_check(s->desc, sha, s->have, s->origin, err) != 0) {
    wo__sink_abort(s, false);
    return err->code;
  }
  if (fsync(s->fd) != 0) {
    wa_fail_errno(err, WA_EIO, "cannot fsync blob %s", s->desc->digest);
    wo__sink_abort(s, true);
    return err->code;
  }
  close(s->fd);
  s->fd = -1;
  return 0;
}

void wo__sink_abort(wo_sink *s, bool keep) {
  if (s->fd < 0)
    return;
  if (!keep)
    unlinkat(s->dir_fd, s->name, 0);
  close(s->fd);
  s->fd = -1;
}

int wo__blob_copy(const wo_blobs *src, const wo_desc *d, const char *origin,
                  int dir_fd, wa_err *err) {
  int in = -1;
  uint8_t *buf = NULL;
  wo_sink sink;
  if (wo__sink_open(&sink, dir_fd, d, origin, err) != 0)
    return err->code;
  if (sink.have == d->size)
    return wo__sink_finish(&sink, err);
  int rc = wo_blob_open(src, d, origin, &in, err);
  if (rc == 0)
    rc = wo__sink_restart(&sink, err);
  if (rc == 0 && !(buf = wa_malloc(IO_CHUNK)))
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory copying %s",
                 d->digest);
  while (rc == 0) {
    ssize_t r = read(in, buf, IO_CHUNK);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      rc = wa_fail_errno(err, WA_EIO, "cannot read blob %s from %s", d->digest,
                         origin);
    if (r <= 0)
      break;
    rc = wo__sink_write(&sink, buf, (size_t)r, err);
  }
  if (rc == 0)
    rc = wo__sink_finish(&sink, err);
  else
    wo__sink_abort(&sink, false);
  wa_free(buf);
  if (in >= 0)
    close(in);
  return rc;
}
