/*
 * fd.c: the fd_* calls on open descriptors (read, write, seek, stat, sync,
 * flags, rights, renumber, close, preopen names). Directory listing is
 * dir.c; opening by path is fs.c. Every call checks the descriptor's rights
 * first, then every guest range, and only then touches the host.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

void wi__filestat_store(uint8_t *p, const struct stat *st) {
  memset(p, 0, WI_SIZEOF_FILESTAT);
  wi__st64(p + 0, (uint64_t)st->st_dev);
  wi__st64(p + 8, (uint64_t)st->st_ino);
  p[16] = wi__filetype_of_mode(st->st_mode);
  wi__st64(p + 24, (uint64_t)st->st_nlink);
  wi__st64(p + 32, (uint64_t)st->st_size);
  wi__st64(p + 40, (uint64_t)st->st_atim.tv_sec * 1000000000u +
                       (uint64_t)st->st_atim.tv_nsec);
  wi__st64(p + 48, (uint64_t)st->st_mtim.tv_sec * 1000000000u +
                       (uint64_t)st->st_mtim.tv_nsec);
  wi__st64(p + 56, (uint64_t)st->st_ctim.tv_sec * 1000000000u +
                       (uint64_t)st->st_ctim.tv_nsec);
}

uint32_t wi__fd_advise(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint64_t off,
                       uint64_t len, uint32_t advice) {
  /* WASI orders sequential before random; POSIX the other way round. */
  static const int host_advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                    POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                    POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_ADVISE, &f);
  if (rc)
    return rc;
  if (advice > WI_ADVICE_NOREUSE || off > INT64_MAX || len > INT64_MAX)
    return WI_EINVAL;
  int r = posix_fadvise(f->host, (off_t)off, (off_t)len, host_advice[advice]);
  return wi__errno(r);
}

uint32_t wi__fd_allocate(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                         uint64_t off, uint64_t len) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_ALLOCATE, &f);
  if (rc)
    return rc;
  if (off > INT64_MAX || len > INT64_MAX - off)
    return off > INT64_MAX ? WI_EINVAL : WI_EFBIG;
  return wi__errno(posix_fallocate(f->host, (off_t)off, (off_t)len));
}

uint32_t wi__fd_close(wi_ctx *ctx, const wi_mem *m, uint32_t fd) {
  wi_fd *f = wi__fd_get(ctx, fd);
  if (!f)
    return WI_EBADF;
  wi__fd_release(f);
  return WI_ESUCCESS;
}

uint32_t wi__fd_datasync(wi_ctx *ctx, const wi_mem *m, uint32_t fd) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_DATASYNC, &f);
  if (rc)
    return rc;
  return fdatasync(f->host) == 0 ? WI_ESUCCESS : wi__errno(errno);
}

uint32_t wi__fd_sync(wi_ctx *ctx, const wi_mem *m, uint32_t fd) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_SYNC, &f);
  if (rc)
    return rc;
  return fsync(f->host) == 0 ? WI_ESUCCESS : wi__errno(errno);
}

/* The fdflags a host fd has now. O_SYNC includes the O_DSYNC bit. */
static uint16_t host_fdflags(const wi_fd *f, int fl) {
  uint16_t r = 0;
  if (fl & O_APPEND)
    r |= WI_FDFLAG_APPEND;
  if (fl & O_NONBLOCK)
    r |= WI_FDFLAG_NONBLOCK;
  if ((fl & O_SYNC) == O_SYNC)
    r |= (uint16_t)(WI_FDFLAG_SYNC | f->rsync);
  else if (fl & O_DSYNC)
    r |= WI_FDFLAG_DSYNC;
  return r;
}

uint32_t wi__fd_fdstat_get(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                           uint32_t out) {
  wi_fd *f = wi__fd_get(ctx, fd);
  if (!f)
    return WI_EBADF;
  if (!wi__mem_ok(m, out, WI_SIZEOF_FDSTAT))
    return WI_EFAULT;
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0)
    return wi__errno(errno);
  uint8_t *p = wi__mem_at(m, out);
  memset(p, 0, WI_SIZEOF_FDSTAT);
  p[0] = f->type;
  wi__st16(p + 2, host_fdflags(f, fl));
  wi__st64(p + 8, f->base);
  wi__st64(p + 16, f->inheriting);
  return WI_ESUCCESS;
}

uint32_t wi__fd_fdstat_set_flags(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                                 uint32_t flags) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_FDSTAT_SET_FLAGS, &f);
  if (rc)
    return rc;
  if (flags & ~(uint32_t)WI_FDFLAG_ALL)
    return WI_EINVAL;
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0)
    return wi__errno(errno);
  /* Linux ignores O_DSYNC/O_SYNC in F_SETFL: changing them would silently
   * not happen, so only the current sync flags are accepted. */
  const uint32_t sync = WI_FDFLAG_DSYNC | WI_FDFLAG_RSYNC | WI_FDFLAG_SYNC;
  if ((flags & sync) != (host_fdflags(f, fl) & sync))
    return WI_ENOTSUP;
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (flags & WI_FDFLAG_APPEND)
    fl |= O_APPEND;
  if (flags & WI_FDFLAG_NONBLOCK)
    fl |= O_NONBLOCK;
  return fcntl(f->host, F_SETFL, fl) == 0 ? WI_ESUCCESS : wi__errno(errno);
}

uint32_t wi__fd_fdstat_set_rights(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                                  uint64_t base, uint64_t inheriting) {
  wi_fd *f = wi__fd_get(ctx, fd);
  if (!f)
    return WI_EBADF;
  /* Rights only ever shrink. */
  if ((base & ~f->base) || (inheriting & ~f->inheriting))
    return WI_ENOTCAPABLE;
  f->base = base;
  f->inheriting = inheriting;
  return WI_ESUCCESS;
}

uint32_t wi__fd_filestat_get(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                             uint32_t out) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_FILESTAT_GET, &f);
  if (rc)
    return rc;
  if (!wi__mem_ok(m, out, WI_SIZEOF_FILESTAT))
    return WI_EFAULT;
  struct stat st;
  if (fstat(f->host, &st) != 0)
    return wi__errno(errno);
  uint8_t *p = wi__mem_at(m, out);
  wi__filestat_store(p, &st);
  if (S_ISSOCK(st.st_mode))
    p[16] = f->type; /* stream or datagram, which the mode cannot tell */
  return WI_ESUCCESS;
}

uint32_t wi__fd_filestat_set_size(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                                  uint64_t size) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_FILESTAT_SET_SIZE, &f);
  if (rc)
    return rc;
  if (size > INT64_MAX)
    return WI_EFBIG;
  return ftruncate(f->host, (off_t)size) == 0 ? WI_ESUCCESS : wi__errno(errno);
}

uint32_t wi__times(uint64_t atim, uint64_t mtim, uint32_t fst,
                   struct timespec *ts) {
  if (fst & ~(uint32_t)0xf)
    return WI_EINVAL;
  if (((fst & WI_FST_ATIM) && (fst & WI_FST_ATIM_NOW)) ||
      ((fst & WI_FST_MTIM) && (fst & WI_FST_MTIM_NOW)))
    return WI_EINVAL;
  const uint64_t v[2] = {atim, mtim};
  const uint32_t set[2] = {WI_FST_ATIM, WI_FST_MTIM};
  const uint32_t now[2] = {WI_FST_ATIM_NOW, WI_FST_MTIM_NOW};
  for (int i = 0; i < 2; i++) {
    if (fst & set[i]) {
      ts[i].tv_sec = (time_t)(v[i] / 1000000000u);
      ts[i].tv_nsec = (long)(v[i] % 1000000000u);
    } else {
      ts[i].tv_sec = 0;
      ts[i].tv_nsec = (fst & now[i]) ? UTIME_NOW : UTIME_OMIT;
    }
  }
  return WI_ESUCCESS;
}

uint32_t wi__fd_filestat_set_times(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                                   uint64_t atim, uint64_t mtim, uint32_t fst) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_FILESTAT_SET_TIMES, &f);
  if (rc)
    return rc;
  struct timespec ts[2];
  rc = wi__times(atim, mtim, fst, ts);
  if (rc)
    return rc;
  return futimens(f->host, ts) == 0 ? WI_ESUCCESS : wi__errno(errno);
}

/* The shared body of the four read/write calls. */
enum { OP_READ, OP_WRITE, OP_PREAD, OP_PWRITE };
#define RW_IOV_SMALL 8

static uint32_t rw(wi_ctx *ctx, const wi_mem *m, int op, uint32_t fd,
                   uint32_t iovs, uint32_t n, uint64_t off, uint32_t out) {
  static const uint64_t need[] = {WI_R_FD_READ, WI_R_FD_WRITE,
                                  WI_R_FD_READ | WI_R_FD_SEEK,
                                  WI_R_FD_WRITE | WI_R_FD_SEEK};
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, need[op], &f);
  if (rc)
    return rc;
  if (!wi__mem_ok(m, out, 4))
    return WI_EFAULT;
  if ((op == OP_PREAD || op == OP_PWRITE) && off > INT64_MAX)
    return WI_EINVAL;
  /* A few buffers (the common case: stdio writes two) on the stack, more
   * on the heap: a WI_IOV_MAX array here made every write 16 KiB deep. */
  struct iovec small[RW_IOV_SMALL];
  struct iovec *iov = small;
  if (n > RW_IOV_SMALL &&
      !(iov = wa_malloc((n < WI_IOV_MAX ? n : WI_IOV_MAX) * sizeof *iov)))
    return WI_ENOMEM;
  int k;
  rc = wi__iovs(m, iovs, n, iov, &k);
  if (rc)
    goto out;
  ssize_t r;
  do {
    switch (op) {
    case OP_READ:
      r = readv(f->host, iov, k);
      break;
    case OP_WRITE:
      if (f->kind == WI_KIND_SOCK) { /* EPIPE, not a SIGPIPE to the host */
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = iov;
        msg.msg_iovlen = (size_t)k;
        r = sendmsg(f->host, &msg, MSG_NOSIGNAL);
      } else {
        r = writev(f->host, iov, k);
      }
      break;
    case OP_PREAD:
      r = preadv(f->host, iov, k, (off_t)off);
      break;
    default:
      r = pwritev(f->host, iov, k, (off_t)off);
      break;
    }
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    rc = wi__errno(errno);
    goto out;
  }
  wi__st32(wi__mem_at(m, out), (uint32_t)r);
out:
  if (iov != small)
    wa_free(iov);
  return rc;
}

uint32_t wi__fd_read(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint32_t iovs,
                     uint32_t n, uint32_t out) {
  return rw(ctx, m, OP_READ, fd, iovs, n, 0, out);
}

uint32_t wi__fd_write(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint32_t iovs,
                      uint32_t n, uint32_t out) {
  return rw(ctx, m, OP_WRITE, fd, iovs, n, 0, out);
}

uint32_t wi__fd_pread(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint32_t iovs,
                      uint32_t n, uint64_t off, uint32_t out) {
  return rw(ctx, m, OP_PREAD, fd, iovs, n, off, out);
}

uint32_t wi__fd_pwrite(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint32_t iovs,
                       uint32_t n, uint64_t off, uint32_t out) {
  return rw(ctx, m, OP_PWRITE, fd, iovs, n, off, out);
}

uint32_t wi__fd_prestat_get(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                            uint32_t out) {
  wi_fd *f = wi__fd_get(ctx, fd);
  /* EBADF for anything but a preopen: wasi-libc stops its scan there. */
  if (!f || !f->preopen)
    return WI_EBADF;
  if (!wi__mem_ok(m, out, WI_SIZEOF_PRESTAT))
    return WI_EFAULT;
  uint8_t *p = wi__mem_at(m, out);
  memset(p, 0, WI_SIZEOF_PRESTAT);
  p[0] = WI_PREOPEN_DIR;
  wi__st32(p + 4, f->preopen_len);
  return WI_ESUCCESS;
}

uint32_t wi__fd_prestat_dir_name(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                                 uint32_t path, uint32_t len) {
  wi_fd *f = wi__fd_get(ctx, fd);
  if (!f || !f->preopen)
    return WI_EBADF;
  if (!wi__mem_ok(m, path, len))
    return WI_EFAULT;
  if (len < f->preopen_len)
    return WI_ENAMETOOLONG;
  memcpy(wi__mem_at(m, path), f->preopen, f->preopen_len);
  return WI_ESUCCESS;
}

uint32_t wi__fd_renumber(wi_ctx *ctx, const wi_mem *m, uint32_t from,
                         uint32_t to) {
  wi_fd *a = wi__fd_get(ctx, from), *b = wi__fd_get(ctx, to);
  if (!a || !b)
    return WI_EBADF;
  if (a == b)
    return WI_ESUCCESS;
  wi__fd_release(b);
  *b = *a;
  memset(a, 0, sizeof *a);
  a->host = -1;
  return WI_ESUCCESS;
}

uint32_t wi__fd_seek(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint64_t off,
                     uint32_t whence, uint32_t out) {
  if (whence > WI_WHENCE_END)
    return WI_EINVAL;
  /* Asking where we are is a tell, which needs only that right. */
  uint64_t need =
      off == 0 && whence == WI_WHENCE_CUR ? WI_R_FD_TELL : WI_R_FD_SEEK;
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, need, &f);
  if (rc)
    return rc;
  if (!wi__mem_ok(m, out, 8))
    return WI_EFAULT;
  static const int host_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  off_t r = lseek(f->host, (off_t)(int64_t)off, host_whence[whence]);
  if (r < 0)
    return wi__errno(errno);
  wi__st64(wi__mem_at(m, out), (uint64_t)r);
  return WI_ESUCCESS;
}

uint32_t wi__fd_tell(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint32_t out) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_TELL, &f);
  if (rc)
    return rc;
  if (!wi__mem_ok(m, out, 8))
    return WI_EFAULT;
  off_t r = lseek(f->host, 0, SEEK_CUR);
  if (r < 0)
    return wi__errno(errno);
  wi__st64(wi__mem_at(m, out), (uint64_t)r);
  return WI_ESUCCESS;
}
