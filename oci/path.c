/*
 * path.c: file operations confined to a root directory fd. Paths from
 * archives are cleaned lexically ('..' and absolute paths refused), then
 * resolved with openat2(RESOLVE_IN_ROOT), so even a symlink planted by an
 * earlier entry cannot take a later one outside the root. Removal never
 * follows symlinks.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_DEPTH 256 /* path components; also bounds wo__rm_at recursion */

int wo__path_clean(const char *in, bool allow_abs, char *out, size_t n,
                   wa_err *err) {
  size_t used = 0, depth = 0;
  if (in[0] == '/' && !allow_abs)
    return wa_fail(err, WA_EESCAPE, WA_NOOFF, "'%.200s' is an absolute path",
                   in);
  out[0] = 0;
  for (const char *p = in; *p;) {
    while (*p == '/')
      p++;
    const char *e = strchr(p, '/');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == 0)
      break;
    if (len == 2 && p[0] == '.' && p[1] == '.')
      return wa_fail(err, WA_EESCAPE, WA_NOOFF, "'%.200s' has a '..' component",
                     in);
    if (!(len == 1 && p[0] == '.')) {
      if (++depth > MAX_DEPTH)
        return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                       "'%.200s' is more than %d directories deep", in,
                       MAX_DEPTH);
      if (used + len + 2 > n)
        return wa_fail(err, WA_ELIMIT, WA_NOOFF, "'%.200s' is too long", in);
      if (used)
        out[used++] = '/';
      memcpy(out + used, p, len);
      used += len;
      out[used] = 0;
    }
    p += len;
  }
  return 0;
}

static int sys_openat2(int dirfd, const char *path, int flags, mode_t mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.mode = flags & O_CREAT ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long r;
  do
    r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (r < 0 && errno == EINTR);
  return (int)r;
}

/* Kernels without openat2 (< 5.6): walk component by component and refuse
 * any symlink on the way instead of resolving it. */
static int open_nofollow_walk(int root_fd, const char *rel, int flags) {
  char buf[PATH_MAX];
  if (wa_strlcpy(buf, rel, sizeof buf) != 0) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  char *save = NULL;
  for (char *c = strtok_r(buf, "/", &save); c && fd >= 0;) {
    char *next = strtok_r(NULL, "/", &save);
    int f = next ? O_RDONLY | O_DIRECTORY : flags;
    int nfd = openat(fd, c, f | O_NOFOLLOW | O_CLOEXEC);
    close(fd);
    fd = nfd;
    c = next;
  }
  return fd;
}

static int open_in_root(int root_fd, const char *rel, int flags) {
  static int have_openat2 = 1;
  if (rel[0] == 0)
    rel = ".";
  if (have_openat2) {
    int fd = sys_openat2(root_fd, rel, flags, 0);
    if (fd >= 0 || errno != ENOSYS)
      return fd;
    have_openat2 = 0;
  }
  return open_nofollow_walk(root_fd, rel, flags);
}

int wo__open_in_root(int root_fd, const char *rel, int flags, int *out_fd,
                     wa_err *err) {
  *out_fd = open_in_root(root_fd, rel, flags);
  if (*out_fd < 0)
    return wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                         "cannot open '%.200s' in the root", rel);
  return 0;
}

int wo__open_dir_in_root(int root_fd, const char *rel, bool create, int *out_fd,
                         wa_err *err) {
  *out_fd = -1;
  int fd = open_in_root(root_fd, rel, O_RDONLY | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT || !create) {
    if (fd < 0)
      return wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                           "cannot open directory '%.200s' in the root", rel);
    *out_fd = fd;
    return 0;
  }
  /* Create the missing components one at a time, each beneath the
   * in-root resolution of its parent. */
  char prefix[PATH_MAX];
  if (wa_strlcpy(prefix, rel, sizeof prefix) != 0)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "path '%.200s' is too long", rel);
  int parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  if (parent < 0)
    return wa_fail_errno(err, WA_EIO, "cannot duplicate a directory fd");
  for (char *p = prefix;;) {
    char *slash = strchr(p, '/');
    if (slash)
      *slash = 0;
    int next = open_in_root(root_fd, prefix, O_RDONLY | O_DIRECTORY);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(parent,
                  strrchr(prefix, '/') ? strrchr(prefix, '/') + 1 : prefix,
                  0755) != 0 &&
          errno != EEXIST) {
        close(parent);
        return wa_fail_errno(err, WA_EIO, "cannot create directory '%.200s'",
                             prefix);
      }
      next = open_in_root(root_fd, prefix, O_RDONLY | O_DIRECTORY);
    }
    if (next < 0 && errno == ENOENT) {
      wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
              "'%.200s' is a symlink to a missing directory", prefix);
      close(parent);
      return err->code;
    }
    if (next < 0) {
      wa_fail_errno(err, errno == ENOTDIR ? WA_EEXISTS : WA_EIO,
                    "cannot open directory '%.200s' in the root", prefix);
      close(parent);
      return err->code;
    }
    close(parent);
    parent = next;
    if (!slash)
      break;
    *slash = '/';
    p = slash + 1;
  }
  *out_fd = parent;
  return 0;
}

int wo__empty_dir(int dir_fd, const char *what, wa_err *err) {
  int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "cannot open %s", what);
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return wa_fail_errno(err, WA_EIO, "cannot list %s", what);
  }
  int rc = 0;
  /* Removing entries while reading may hide others: repeat until a pass
   * finds nothing. */
  for (bool removed = true; removed && rc == 0;) {
    removed = false;
    rewinddir(d);
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      rc = wo__rm_at(dir_fd, e->d_name, err);
      removed = true;
    }
  }
  closedir(d);
  return rc;
}

int wo__rm_at(int dir_fd, const char *name, wa_err *err) {
  struct stat st;
  if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT
               ? 0
               : wa_fail_errno(err, WA_EIO, "cannot stat '%.200s'", name);
  if (S_ISDIR(st.st_mode)) {
    int fd =
        openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return wa_fail_errno(err, WA_EIO, "cannot open '%.200s'", name);
    /* A directory without write permission (mode 0555 from a layer) would
     * keep its entries. */
    if ((st.st_mode & 0700) != 0700)
      fchmod(fd, (st.st_mode & 07777) | 0700);
    int rc = wo__empty_dir(fd, name, err);
    close(fd);
    if (rc != 0)
      return rc;
    if (unlinkat(dir_fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
      return wa_fail_errno(err, WA_EIO, "cannot remove directory '%.200s'",
                           name);
    return 0;
  }
  if (unlinkat(dir_fd, name, 0) != 0 && errno != ENOENT)
    return wa_fail_errno(err, WA_EIO, "cannot remove '%.200s'", name);
  return 0;
}

int wo_rmtree(const char *path, wa_err *err) {
  char dir[PATH_MAX];
  if (wa_strlcpy(dir, path, sizeof dir) != 0)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", path);
  for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
    dir[n - 1] = 0;
  char *slash = strrchr(dir, '/');
  const char *base;
  int pfd;
  if (!slash) {
    base = dir;
    pfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else {
    *slash = 0;
    base = slash + 1;
    pfd = open(slash == dir ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  if (pfd < 0)
    return errno == ENOENT ? 0
                           : wa_fail_errno(err, WA_EIO, "cannot open %s", dir);
  int rc = wo__rm_at(pfd, base, err);
  close(pfd);
  return rc;
}

void wo__rmtree_quiet(const char *path) {
  wa_err e;
  wa_err_init(&e);
  if (wo_rmtree(path, &e) != 0)
    return; /* best effort: the original error matters more */
}

int wo__write_all(int fd, const void *p, size_t n, const char *what,
                  wa_err *err) {
  const uint8_t *b = p;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return wa_fail_errno(err, WA_EIO, "cannot write %s", what);
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

int wo__fsync_dir(int dir_fd, const char *what, wa_err *err) {
  if (fsync(dir_fd) != 0 && errno != EINVAL)
    return wa_fail_errno(err, WA_EIO, "cannot fsync directory %s", what);
  return 0;
}
