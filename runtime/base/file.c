/*
 * file.c: whole-file reads and mappings, and atomic publication
 * (temp file + fsync + rename + directory fsync) used by the cache and the
 * image store so that a crash never leaves a half-written visible file.
 */
#include "wa.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int wa_file_read(const char *path, uint8_t **out, size_t *out_len,
                 wa_err *err) {
  int rc = 0;
  uint8_t *data = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    rc = wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                       "cannot open %s", path);
    goto out;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot stat %s", path);
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = wa_fail(err, WA_EIO, WA_NOOFF, "%s is not a regular file", path);
    goto out;
  }
  size_t cap = (size_t)st.st_size, len = 0;
  data = wa_malloc(cap + 1);
  if (!data) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory reading %s", path);
    goto out;
  }
  for (;;) {
    if (len == cap) { /* the file grew while we read it */
      uint8_t *p = wa_realloc(data, cap * 2 + 4096);
      if (!p) {
        rc =
            wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory reading %s", path);
        goto out;
      }
      data = p;
      cap = cap * 2 + 4096 - 1;
    }
    ssize_t r = read(fd, data + len, cap - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      rc = wa_fail_errno(err, WA_EIO, "cannot read %s", path);
      goto out;
    }
    if (r == 0)
      break;
    len += (size_t)r;
  }
  *out = data;
  *out_len = len;
  data = NULL;
out:
  wa_free(data);
  if (fd >= 0)
    close(fd);
  return rc;
}

int wa_file_map_stat(int fd, const struct stat *st, const char *what,
                     wa_map *out, wa_err *err) {
  out->data = NULL;
  out->len = 0;
  if (!S_ISREG(st->st_mode))
    return wa_fail(err, WA_EIO, WA_NOOFF, "%s is not a regular file", what);
  if (st->st_size == 0)
    return 0; /* mmap of length 0 fails; an empty map is valid */
  void *p = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    return wa_fail_errno(err, WA_EIO, "cannot map %s", what);
  out->data = p;
  out->len = (size_t)st->st_size;
  return 0;
}

int wa_file_map_fd(int fd, const char *what, wa_map *out, wa_err *err) {
  struct stat st;
  out->data = NULL;
  out->len = 0;
  if (fstat(fd, &st) != 0)
    return wa_fail_errno(err, WA_EIO, "cannot stat %s", what);
  return wa_file_map_stat(fd, &st, what, out, err);
}

int wa_file_map(const char *path, wa_map *out, wa_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                         "cannot open %s", path);
  int rc = wa_file_map_fd(fd, path, out, err);
  close(fd);
  return rc;
}

void wa_file_unmap(wa_map *m) {
  if (m->data && m->len)
    munmap((void *)m->data, m->len);
  m->data = NULL;
  m->len = 0;
}

static int fsync_dir_of(const char *path, wa_err *err) {
  char dir[PATH_MAX];
  if (wa_strlcpy(dir, path, sizeof dir) != 0)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", path);
  char *slash = strrchr(dir, '/');
  if (!slash)
    strcpy(dir, ".");
  else if (slash == dir)
    dir[1] = 0;
  else
    *slash = 0;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "cannot open directory %s", dir);
  int rc = 0;
  if (fsync(fd) != 0 && errno != EINVAL)
    rc = wa_fail_errno(err, WA_EIO, "cannot fsync directory %s", dir);
  close(fd);
  return rc;
}

int wa_file_publish(const char *path, const void *data, size_t len,
                    unsigned mode, wa_err *err) {
  char tmp[PATH_MAX];
  int rc = 0, fd = -1;
  if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", path);
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "cannot create a temp file beside %s",
                         path);
  const uint8_t *p = data;
  size_t left = len;
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      rc = wa_fail_errno(err, WA_EIO, "cannot write %s", tmp);
      goto out;
    }
    p += w;
    left -= (size_t)w;
  }
  if (fchmod(fd, (mode_t)mode) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot chmod %s", tmp);
    goto out;
  }
  if (fsync(fd) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot fsync %s", tmp);
    goto out;
  }
  if (close(fd) != 0) {
    fd = -1;
    rc = wa_fail_errno(err, WA_EIO, "cannot close %s", tmp);
    goto out;
  }
  fd = -1;
  if (rename(tmp, path) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot rename %s to %s", tmp, path);
    goto out;
  }
  tmp[0] = 0; /* published: nothing to clean up */
  rc = fsync_dir_of(path, err);
out:
  if (fd >= 0)
    close(fd);
  if (tmp[0])
    unlink(tmp);
  return rc;
}

int wa_mkdirs(const char *path, unsigned mode, wa_err *err) {
  char buf[PATH_MAX];
  if (wa_strlcpy(buf, path, sizeof buf) != 0)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", path);
  size_t n = strlen(buf);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != 0)
      continue;
    char saved = buf[i];
    buf[i] = 0;
    if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
      return wa_fail_errno(err, WA_EIO, "cannot create directory %s", buf);
    buf[i] = saved;
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return wa_fail(err, WA_EIO, WA_NOOFF, "%s is not a directory", path);
  return 0;
}
