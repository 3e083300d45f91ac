/*
 * path.c: the sandbox. Every guest path is resolved beneath the host
 * directory of a preopen (or of a directory opened from one): absolute
 * paths, ".." above that directory and symlinks leading out are refused
 * with WI_EESCAPE (PERM). Directories are opened with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS) where the kernel has it, else walked one component
 * at a time with O_NOFOLLOW, expanding symlinks ourselves (at most
 * WI_SYMLINK_MAX). The final component is handed to the caller as a name
 * for *at() calls that do not follow it, so a symlink swapped in after the
 * check is never followed out.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WI_SYMLINK_MAX 40 /* as Linux MAXSYMLINKS */
#define WI_WALK_DEPTH 256 /* directory fds held by the fallback walk */
#define WI_RETRY 16       /* openat2 EAGAIN (a rename raced the lookup) */

static int sys_openat2(int dir, const char *path, int flags, unsigned mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(unsigned)flags;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd;
  int tries = 0;
  do
    fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < WI_RETRY);
  return fd;
}

/* Does this kernel (and seccomp policy) let us use openat2? Probed once. */
static bool have_openat2(wi_ctx *ctx) {
  if (ctx->openat2 < 0) {
    int fd = sys_openat2(AT_FDCWD, ".", O_PATH | O_CLOEXEC, 0);
    ctx->openat2 = fd >= 0 || (errno != ENOSYS && errno != EPERM);
    if (fd >= 0)
      close(fd);
  }
  return ctx->openat2 == 1;
}

void wi__path_force_fallback(wi_ctx *ctx, bool on) {
  ctx->openat2 = on ? 0 : -1;
}

/* Joins "dir/target" (dir "." is dropped) into out; NAMETOOLONG. */
static uint32_t join(char *out, size_t cap, const char *dir, size_t dlen,
                     const char *rest, bool slash) {
  size_t rlen = strlen(rest);
  bool keep_dir = !(dlen == 1 && dir[0] == '.');
  size_t need = (keep_dir ? dlen + 1 : 0) + rlen + (slash ? 1 : 0) + 1;
  if (need > cap)
    return WI_ENAMETOOLONG;
  char tmp[PATH_MAX];
  size_t n = 0;
  if (keep_dir) {
    memcpy(tmp, dir, dlen);
    tmp[dlen] = '/';
    n = dlen + 1;
  }
  memcpy(tmp + n, rest, rlen);
  n += rlen;
  if (slash)
    tmp[n++] = '/';
  tmp[n] = 0;
  memcpy(out, tmp, n + 1);
  return WI_ESUCCESS;
}

/* The fallback: opens 'path' (a directory path relative to base) one
 * component at a time. The fds of the directories walked through are kept
 * on a stack, so ".." pops to the directory we came from, never to the
 * kernel's idea of the parent, and cannot climb above base. */
static uint32_t walk(int base, const char *path, int *out) {
  int stack[WI_WALK_DEPTH];
  int depth = 0;
  uint32_t rc = WI_ESUCCESS;
  int links = 0;
  char rem[PATH_MAX];
  if (strlen(path) >= sizeof rem)
    return WI_ENAMETOOLONG;
  strcpy(rem, path);
  stack[0] = openat(base, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (stack[0] < 0)
    return wi__errno(errno);
  char *cur = rem;
  while (*cur) {
    char *slash = strchr(cur, '/');
    size_t clen = slash ? (size_t)(slash - cur) : strlen(cur);
    char comp[NAME_MAX + 1];
    if (clen > NAME_MAX) {
      rc = WI_ENAMETOOLONG;
      goto out;
    }
    memcpy(comp, cur, clen);
    comp[clen] = 0;
    cur = slash ? slash + 1 : cur + clen;
    if (clen == 0 || strcmp(comp, ".") == 0)
      continue;
    if (strcmp(comp, "..") == 0) {
      if (depth == 0) {
        rc = WI_EESCAPE;
        goto out;
      }
      close(stack[depth--]);
      continue;
    }
    int fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      rc = wi__errno(errno);
      goto out;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      rc = wi__errno(errno);
      close(fd);
      goto out;
    }
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t t = readlinkat(fd, "", target, sizeof target);
      close(fd);
      if (t < 0) {
        rc = wi__errno(errno);
        goto out;
      }
      if ((size_t)t == sizeof target) {
        rc = WI_ENAMETOOLONG;
        goto out;
      }
      target[t] = 0;
      if (++links > WI_SYMLINK_MAX) {
        rc = WI_ELOOP;
        goto out;
      }
      if (target[0] == '/') {
        rc = WI_EESCAPE;
        goto out;
      }
      /* rem := target "/" rest; the walk continues from the directory
       * that holds the link. */
      char rest[PATH_MAX];
      strcpy(rest, cur);
      rc = join(rem, sizeof rem, target, (size_t)t, rest, false);
      if (rc)
        goto out;
      cur = rem;
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      close(fd);
      rc = WI_ENOTDIR;
      goto out;
    }
    if (depth + 1 == WI_WALK_DEPTH) {
      close(fd);
      rc = WI_ENAMETOOLONG;
      goto out;
    }
    stack[++depth] = fd;
  }
out:
  if (rc == WI_ESUCCESS) {
    *out = stack[depth];
    depth--;
  }
  while (depth >= 0)
    close(stack[depth--]);
  return rc;
}

/* Opens the directory 'path' beneath base as an O_PATH fd. */
static uint32_t open_dir(wi_ctx *ctx, int base, const char *path, int *out) {
  if (have_openat2(ctx)) {
    int fd = sys_openat2(base, path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd >= 0) {
      *out = fd;
      return WI_ESUCCESS;
    }
    if (errno != ENOSYS)
      return errno == EXDEV ? WI_EESCAPE : wi__errno(errno);
    ctx->openat2 = 0;
  }
  return walk(base, path, out);
}

uint32_t wi__path_resolve(wi_ctx *ctx, int base, const char *path, bool follow,
                          wi_path *p) {
  p->dir = -1;
  p->must_dir = false;
  p->name[0] = 0;
  if (path[0] == 0)
    return WI_ENOENT;
  if (path[0] == '/')
    return WI_EESCAPE;
  char work[PATH_MAX];
  if (strlen(path) >= sizeof work)
    return WI_ENAMETOOLONG;
  strcpy(work, path);
  for (int links = 0;;) {
    size_t n = strlen(work);
    bool slash = false;
    while (n > 1 && work[n - 1] == '/') {
      work[--n] = 0;
      slash = true;
    }
    if (slash) { /* POSIX: a trailing slash follows and wants a directory */
      p->must_dir = true;
      follow = true;
    }
    char *last = strrchr(work, '/');
    const char *name = last ? last + 1 : work;
    char dirpart[PATH_MAX];
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
      strcpy(dirpart, work); /* the path names a directory itself */
      name = ".";
    } else if (last) {
      memcpy(dirpart, work, (size_t)(last - work));
      dirpart[last - work] = 0;
      if (dirpart[0] == 0) /* only reachable for "/x", refused above */
        return WI_EESCAPE;
    } else {
      strcpy(dirpart, ".");
    }
    if (strlen(name) >= sizeof p->name)
      return WI_ENAMETOOLONG;
    int dfd = -1;
    uint32_t rc = open_dir(ctx, base, dirpart, &dfd);
    if (rc)
      return rc;
    if (follow && strcmp(name, ".") != 0) {
      char target[PATH_MAX];
      ssize_t t = readlinkat(dfd, name, target, sizeof target);
      if (t >= 0) {
        close(dfd);
        if ((size_t)t == sizeof target)
          return WI_ENAMETOOLONG;
        target[t] = 0;
        if (++links > WI_SYMLINK_MAX)
          return WI_ELOOP;
        if (target[0] == '/')
          return WI_EESCAPE;
        rc = join(work, sizeof work, dirpart, strlen(dirpart), target,
                  p->must_dir);
        if (rc)
          return rc;
        continue;
      }
      if (errno != EINVAL && errno != ENOENT) {
        rc = wi__errno(errno);
        close(dfd);
        return rc;
      }
    }
    p->dir = dfd;
    strcpy(p->name, name);
    return WI_ESUCCESS;
  }
}

void wi__path_done(wi_path *p) {
  if (p->dir >= 0)
    close(p->dir);
  p->dir = -1;
}

uint32_t wi__path_copy(const wi_mem *m, uint32_t ptr, uint32_t len, char *buf,
                       size_t bufsize) {
  if (!wi__mem_ok(m, ptr, len))
    return WI_EFAULT;
  if (len >= bufsize)
    return WI_ENAMETOOLONG;
  const uint8_t *s = wi__mem_at(m, ptr);
  if (len && memchr(s, 0, len))
    return WI_EINVAL;
  if (len)
    memcpy(buf, s, len);
  buf[len] = 0;
  return WI_ESUCCESS;
}

uint32_t wi__path_get(wi_ctx *ctx, const wi_mem *m, const wi_fd *base,
                      uint32_t ptr, uint32_t len, bool follow, wi_path *p) {
  char buf[PATH_MAX];
  p->dir = -1;
  uint32_t rc = wi__path_copy(m, ptr, len, buf, sizeof buf);
  if (rc)
    return rc;
  return wi__path_resolve(ctx, base->host, buf, follow, p);
}

uint32_t wi__path_open_host(wi_ctx *ctx, int base, const char *path, int flags,
                            unsigned mode, bool follow, int *out) {
  if (path[0] == 0)
    return WI_ENOENT;
  if (path[0] == '/')
    return WI_EESCAPE;
  flags |= O_CLOEXEC;
  if (have_openat2(ctx)) {
    int fd = sys_openat2(base, path, flags | (follow ? 0 : O_NOFOLLOW), mode);
    if (fd >= 0) {
      *out = fd;
      return WI_ESUCCESS;
    }
    if (errno != ENOSYS)
      return errno == EXDEV ? WI_EESCAPE : wi__errno(errno);
    ctx->openat2 = 0;
  }
  wi_path p;
  uint32_t rc = wi__path_resolve(ctx, base, path, follow, &p);
  if (rc)
    return rc;
  if (p.must_dir)
    flags |= O_DIRECTORY;
  int fd = openat(p.dir, p.name, flags | O_NOFOLLOW, mode);
  rc = fd >= 0 ? WI_ESUCCESS : wi__errno(errno);
  wi__path_done(&p);
  if (fd >= 0)
    *out = fd;
  return rc;
}
