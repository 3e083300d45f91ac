/*
 * fs.c: the path_* calls. Each checks the directory fd's rights, resolves
 * its path(s) beneath that directory (path.c) and then acts on the final
 * component with an *at() call that does not follow it, so nothing is
 * reached outside the sandbox even if the tree changes meanwhile.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* A directory fd with the given rights: BADF, NOTCAPABLE or NOTDIR. */
static uint32_t dir_fd(wi_ctx *ctx, uint32_t fd, uint64_t rights, wi_fd **out) {
  uint32_t rc = wi__fd_check(ctx, fd, rights, out);
  if (rc)
    return rc;
  return (*out)->kind == WI_KIND_DIR ? WI_ESUCCESS : WI_ENOTDIR;
}

/* With a trailing slash the path must name a directory (ENOTDIR). */
static uint32_t check_must_dir(const wi_path *p) {
  if (!p->must_dir)
    return WI_ESUCCESS;
  struct stat st;
  if (fstatat(p->dir, p->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return wi__errno(errno);
  return S_ISDIR(st.st_mode) ? WI_ESUCCESS : WI_ENOTDIR;
}

/* Rights whose presence decides the host open mode. */
#define READ_RIGHTS (WI_R_FD_READ | WI_R_FD_READDIR)
#define WRITE_RIGHTS                                                           \
  (WI_R_FD_WRITE | WI_R_FD_DATASYNC | WI_R_FD_ALLOCATE |                       \
   WI_R_FD_FILESTAT_SET_SIZE)

uint32_t wi__path_open(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                       uint32_t dirflags, uint32_t path, uint32_t len,
                       uint32_t oflags, uint64_t base, uint64_t inheriting,
                       uint32_t fdflags, uint32_t out) {
  wi_fd *d;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_OPEN, &d);
  if (rc)
    return rc;
  if ((dirflags & ~(uint32_t)WI_LOOKUP_SYMLINK_FOLLOW) || (oflags & ~0xfu) ||
      (fdflags & ~(uint32_t)WI_FDFLAG_ALL))
    return WI_EINVAL;
  uint64_t need = 0;
  if (oflags & WI_O_CREAT)
    need |= WI_R_PATH_CREATE_FILE;
  if (oflags & WI_O_TRUNC)
    need |= WI_R_PATH_FILESTAT_SET_SIZE;
  if ((d->base & need) != need)
    return WI_ENOTCAPABLE;
  /* Rights beyond what the directory passes on are dropped, except those
   * that decide reading or writing: asking for them is refused, so a
   * read-only tree never yields a writable fd. */
  uint64_t access = base & (READ_RIGHTS | WRITE_RIGHTS);
  if (access & ~d->inheriting)
    return WI_ENOTCAPABLE;
  if (!wi__mem_ok(m, out, 4))
    return WI_EFAULT;
  char buf[PATH_MAX];
  rc = wi__path_copy(m, path, len, buf, sizeof buf);
  if (rc)
    return rc;

  bool rd = base & READ_RIGHTS, wr = base & WRITE_RIGHTS;
  int flags = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & WI_O_CREAT)
    flags |= O_CREAT;
  if (oflags & WI_O_DIRECTORY)
    flags |= O_DIRECTORY;
  if (oflags & WI_O_EXCL)
    flags |= O_EXCL;
  if (oflags & WI_O_TRUNC)
    flags |= O_TRUNC;
  if (fdflags & WI_FDFLAG_APPEND)
    flags |= O_APPEND;
  if (fdflags & WI_FDFLAG_DSYNC)
    flags |= O_DSYNC;
  if (fdflags & (WI_FDFLAG_SYNC | WI_FDFLAG_RSYNC))
    flags |= O_SYNC;
  if (fdflags & WI_FDFLAG_NONBLOCK)
    flags |= O_NONBLOCK;
  int h;
  rc = wi__path_open_host(ctx, d->host, buf, flags, 0666,
                          dirflags & WI_LOOKUP_SYMLINK_FOLLOW, &h);
  if (rc)
    return rc;
  struct stat st;
  if (fstat(h, &st) != 0) {
    rc = wi__errno(errno);
    close(h);
    return rc;
  }
  uint8_t type = wi__filetype_of_mode(st.st_mode);
  uint8_t kind = S_ISDIR(st.st_mode) ? WI_KIND_DIR : WI_KIND_FILE;
  uint64_t applies = kind == WI_KIND_DIR ? (uint64_t)WI_RIGHTS_DIR
                     : type == WI_FILETYPE_CHARACTER_DEVICE && isatty(h)
                         ? (uint64_t)WI_RIGHTS_TTY
                         : (uint64_t)WI_RIGHTS_FILE;
  uint32_t got;
  /* Only directories pass rights on. */
  uint64_t inh = kind == WI_KIND_DIR ? inheriting & d->inheriting : 0;
  rc = wi__fd_install(ctx, h, kind, type, base & applies & d->inheriting, inh,
                      &got);
  if (rc)
    return rc;
  if (fdflags & WI_FDFLAG_RSYNC)
    ctx->fds[got].rsync = WI_FDFLAG_RSYNC;
  wi__st32(wi__mem_at(m, out), got);
  return WI_ESUCCESS;
}

uint32_t wi__path_create_directory(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                                   uint32_t path, uint32_t len) {
  wi_fd *d;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_CREATE_DIRECTORY, &d);
  if (rc)
    return rc;
  wi_path p;
  rc = wi__path_get(ctx, m, d, path, len, false, &p);
  if (rc)
    return rc;
  if (mkdirat(p.dir, p.name, 0777) != 0)
    rc = wi__errno(errno);
  wi__path_done(&p);
  return rc;
}

uint32_t wi__path_filestat_get(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                               uint32_t flags, uint32_t path, uint32_t len,
                               uint32_t out) {
  wi_fd *d;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_FILESTAT_GET, &d);
  if (rc)
    return rc;
  if (flags & ~(uint32_t)WI_LOOKUP_SYMLINK_FOLLOW)
    return WI_EINVAL;
  if (!wi__mem_ok(m, out, WI_SIZEOF_FILESTAT))
    return WI_EFAULT;
  wi_path p;
  rc = wi__path_get(ctx, m, d, path, len, flags & WI_LOOKUP_SYMLINK_FOLLOW, &p);
  if (rc)
    return rc;
  struct stat st;
  if (fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    rc = wi__errno(errno);
  else if (p.must_dir && !S_ISDIR(st.st_mode))
    rc = WI_ENOTDIR;
  else
    wi__filestat_store(wi__mem_at(m, out), &st);
  wi__path_done(&p);
  return rc;
}

uint32_t wi__path_filestat_set_times(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                                     uint32_t flags, uint32_t path,
                                     uint32_t len, uint64_t atim, uint64_t mtim,
                                     uint32_t fst) {
  wi_fd *d;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_FILESTAT_SET_TIMES, &d);
  if (rc)
    return rc;
  if (flags & ~(uint32_t)WI_LOOKUP_SYMLINK_FOLLOW)
    return WI_EINVAL;
  struct timespec ts[2];
  rc = wi__times(atim, mtim, fst, ts);
  if (rc)
    return rc;
  wi_path p;
  rc = wi__path_get(ctx, m, d, path, len, flags & WI_LOOKUP_SYMLINK_FOLLOW, &p);
  if (rc)
    return rc;
  rc = check_must_dir(&p);
  if (!rc && utimensat(p.dir, p.name, ts, AT_SYMLINK_NOFOLLOW) != 0)
    rc = wi__errno(errno);
  wi__path_done(&p);
  return rc;
}

uint32_t wi__path_link(wi_ctx *ctx, const wi_mem *m, uint32_t old_fd,
                       uint32_t old_flags, uint32_t old_path, uint32_t old_len,
                       uint32_t new_fd, uint32_t new_path, uint32_t new_len) {
  wi_fd *od, *nd;
  uint32_t rc = dir_fd(ctx, old_fd, WI_R_PATH_LINK_SOURCE, &od);
  if (!rc)
    rc = dir_fd(ctx, new_fd, WI_R_PATH_LINK_TARGET, &nd);
  if (rc)
    return rc;
  if (old_flags & ~(uint32_t)WI_LOOKUP_SYMLINK_FOLLOW)
    return WI_EINVAL;
  wi_path po, pn;
  rc = wi__path_get(ctx, m, od, old_path, old_len,
                    old_flags & WI_LOOKUP_SYMLINK_FOLLOW, &po);
  if (rc)
    return rc;
  rc = wi__path_get(ctx, m, nd, new_path, new_len, false, &pn);
  if (!rc) {
    rc = check_must_dir(&po);
    if (!rc && linkat(po.dir, po.name, pn.dir, pn.name, 0) != 0)
      rc = wi__errno(errno);
    wi__path_done(&pn);
  }
  wi__path_done(&po);
  return rc;
}

uint32_t wi__path_readlink(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                           uint32_t path, uint32_t len, uint32_t buf,
                           uint32_t buf_len, uint32_t out) {
  wi_fd *d;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_READLINK, &d);
  if (rc)
    return rc;
  if (!wi__mem_ok(m, buf, buf_len) || !wi__mem_ok(m, out, 4))
    return WI_EFAULT;
  wi_path p;
  rc = wi__path_get(ctx, m, d, path, len, false, &p);
  if (rc)
    return rc;
  char target[PATH_MAX];
  ssize_t n = readlinkat(p.dir, p.name, target, sizeof target);
  if (n < 0) {
    rc = wi__errno(errno);
  } else {
    /* As readlink(2): a short buffer gets a truncated target. */
    uint32_t k = (size_t)n < buf_len ? (uint32_t)n : buf_len;
    memcpy(wi__mem_at(m, buf), target, k);
    wi__st32(wi__mem_at(m, out), k);
  }
  wi__path_done(&p);
  return rc;
}

uint32_t wi__path_remove_directory(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                                   uint32_t path, uint32_t len) {
  wi_fd *d;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_REMOVE_DIRECTORY, &d);
  if (rc)
    return rc;
  wi_path p;
  rc = wi__path_get(ctx, m, d, path, len, false, &p);
  if (rc)
    return rc;
  if (strcmp(p.name, ".") == 0)
    rc = WI_EINVAL; /* rmdir of "." or of a path ending in ".." */
  else if (unlinkat(p.dir, p.name, AT_REMOVEDIR) != 0)
    rc = wi__errno(errno);
  wi__path_done(&p);
  return rc;
}

uint32_t wi__path_rename(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                         uint32_t old_path, uint32_t old_len, uint32_t new_fd,
                         uint32_t new_path, uint32_t new_len) {
  wi_fd *od, *nd;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_RENAME_SOURCE, &od);
  if (!rc)
    rc = dir_fd(ctx, new_fd, WI_R_PATH_RENAME_TARGET, &nd);
  if (rc)
    return rc;
  wi_path po, pn;
  rc = wi__path_get(ctx, m, od, old_path, old_len, false, &po);
  if (rc)
    return rc;
  rc = wi__path_get(ctx, m, nd, new_path, new_len, false, &pn);
  if (!rc) {
    struct stat st;
    if (fstatat(po.dir, po.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      rc = wi__errno(errno);
    else if ((po.must_dir || pn.must_dir) && !S_ISDIR(st.st_mode))
      rc = WI_ENOTDIR;
    else if (strcmp(po.name, ".") == 0 || strcmp(pn.name, ".") == 0)
      rc = WI_EBUSY; /* renaming a directory through "." or ".." */
    else if (renameat(po.dir, po.name, pn.dir, pn.name) != 0)
      rc = wi__errno(errno);
    wi__path_done(&pn);
  }
  wi__path_done(&po);
  return rc;
}

uint32_t wi__path_symlink(wi_ctx *ctx, const wi_mem *m, uint32_t old_path,
                          uint32_t old_len, uint32_t fd, uint32_t new_path,
                          uint32_t new_len) {
  wi_fd *d;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_SYMLINK, &d);
  if (rc)
    return rc;
  char target[PATH_MAX];
  rc = wi__path_copy(m, old_path, old_len, target, sizeof target);
  if (rc)
    return rc;
  if (target[0] == 0)
    return WI_ENOENT;
  /* An absolute target could never be followed inside the sandbox, and
   * would point host tools at host files: refused outright. */
  if (target[0] == '/')
    return WI_EESCAPE;
  wi_path p;
  rc = wi__path_get(ctx, m, d, new_path, new_len, false, &p);
  if (rc)
    return rc;
  struct stat st;
  if (p.must_dir || strcmp(p.name, ".") == 0)
    rc = fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? WI_EEXIST
                                                               : WI_ENOENT;
  else if (symlinkat(target, p.dir, p.name) != 0)
    rc = wi__errno(errno);
  wi__path_done(&p);
  return rc;
}

uint32_t wi__path_unlink_file(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                              uint32_t path, uint32_t len) {
  wi_fd *d;
  uint32_t rc = dir_fd(ctx, fd, WI_R_PATH_UNLINK_FILE, &d);
  if (rc)
    return rc;
  wi_path p;
  rc = wi__path_get(ctx, m, d, path, len, false, &p);
  if (rc)
    return rc;
  struct stat st;
  if (p.must_dir) { /* "x/": a directory is EISDIR, anything else ENOTDIR */
    if (fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      rc = wi__errno(errno);
    else
      rc = S_ISDIR(st.st_mode) ? WI_EISDIR : WI_ENOTDIR;
  } else if (unlinkat(p.dir, p.name, 0) != 0) {
    rc = wi__errno(errno);
  }
  wi__path_done(&p);
  return rc;
}
