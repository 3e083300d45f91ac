/*
 * sock.c: sock_accept, sock_recv, sock_send and sock_shutdown on the
 * listening sockets the embedder preopened (--tcplisten) and the
 * connections accepted from them. Sends use MSG_NOSIGNAL: a closed peer is
 * EPIPE to the guest, never a SIGPIPE to the host.
 */
#include "internal.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

uint32_t wi__sock_accept(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                         uint32_t flags, uint32_t out) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_SOCK_ACCEPT, &f);
  if (rc)
    return rc;
  if (f->kind != WI_KIND_LISTEN)
    return WI_ENOTSOCK;
  if (flags & ~(uint32_t)WI_FDFLAG_NONBLOCK)
    return WI_EINVAL;
  if (!wi__mem_ok(m, out, 4))
    return WI_EFAULT;
  int h;
  do
    h = accept4(f->host, NULL, NULL,
                SOCK_CLOEXEC |
                    ((flags & WI_FDFLAG_NONBLOCK) ? SOCK_NONBLOCK : 0));
  while (h < 0 && errno == EINTR);
  if (h < 0)
    return wi__errno(errno);
  uint32_t got;
  rc = wi__fd_install(ctx, h, WI_KIND_SOCK, WI_FILETYPE_SOCKET_STREAM,
                      WI_RIGHTS_SOCK & f->inheriting, 0, &got);
  if (rc)
    return rc;
  wi__st32(wi__mem_at(m, out), got);
  return WI_ESUCCESS;
}

uint32_t wi__sock_recv(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint32_t iovs,
                       uint32_t n, uint32_t ri_flags, uint32_t out_len,
                       uint32_t out_flags) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_READ, &f);
  if (rc)
    return rc;
  if (f->kind != WI_KIND_SOCK)
    return WI_ENOTSOCK;
  if (ri_flags & ~(uint32_t)(WI_RI_PEEK | WI_RI_WAITALL))
    return WI_EINVAL;
  if (!wi__mem_ok(m, out_len, 4) || !wi__mem_ok(m, out_flags, 2))
    return WI_EFAULT;
  struct iovec iov[WI_IOV_MAX];
  int k;
  rc = wi__iovs(m, iovs, n, iov, &k);
  if (rc)
    return rc;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)k;
  int fl = ((ri_flags & WI_RI_PEEK) ? MSG_PEEK : 0) |
           ((ri_flags & WI_RI_WAITALL) ? MSG_WAITALL : 0);
  ssize_t r;
  do
    r = recvmsg(f->host, &msg, fl);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return wi__errno(errno);
  wi__st32(wi__mem_at(m, out_len), (uint32_t)r);
  wi__st16(wi__mem_at(m, out_flags),
           (msg.msg_flags & MSG_TRUNC) ? WI_RO_TRUNCATED : 0);
  return WI_ESUCCESS;
}

uint32_t wi__sock_send(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint32_t iovs,
                       uint32_t n, uint32_t si_flags, uint32_t out) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_WRITE, &f);
  if (rc)
    return rc;
  if (f->kind != WI_KIND_SOCK)
    return WI_ENOTSOCK;
  if (si_flags != 0) /* witx siflags defines no flag */
    return WI_EINVAL;
  if (!wi__mem_ok(m, out, 4))
    return WI_EFAULT;
  struct iovec iov[WI_IOV_MAX];
  int k;
  rc = wi__iovs(m, iovs, n, iov, &k);
  if (rc)
    return rc;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)k;
  ssize_t r;
  do
    r = sendmsg(f->host, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return wi__errno(errno);
  wi__st32(wi__mem_at(m, out), (uint32_t)r);
  return WI_ESUCCESS;
}

uint32_t wi__sock_shutdown(wi_ctx *ctx, const wi_mem *m, uint32_t fd,
                           uint32_t how) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_SOCK_SHUTDOWN, &f);
  if (rc)
    return rc;
  if (f->kind != WI_KIND_SOCK)
    return WI_ENOTSOCK;
  int h;
  switch (how) {
  case WI_SD_RD:
    h = SHUT_RD;
    break;
  case WI_SD_WR:
    h = SHUT_WR;
    break;
  case WI_SD_RD | WI_SD_WR:
    h = SHUT_RDWR;
    break;
  default:
    return WI_EINVAL;
  }
  return shutdown(f->host, h) == 0 ? WI_ESUCCESS : wi__errno(errno);
}
