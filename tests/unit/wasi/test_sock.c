#include "fixture.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

static wi_ctx *ctx;
static wi_mem m;
static uint8_t mem[65536];

static void setup(void) {
  wi_config c;
  wi_config_init(&c);
  const char *listen[] = {"127.0.0.1:0"};
  c.n_tcplisten = 1;
  c.tcplisten = listen;
  c.stdin_fd = open("/dev/null", O_RDONLY);
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wi_ctx_new(&c, &ctx, &e), 0, "%s", e.msg);
  close(c.stdin_fd);
  m.base = mem;
  m.size = sizeof mem;
}
static void teardown(void) {
  wi_ctx_free(ctx);
}

TestSuite(wasi_sock, .init = setup, .fini = teardown);

#define LISTENER 3u

static int connect_client(void) {
  int port = wi_ctx_sock_port(ctx, 0);
  cr_assert_gt(port, 0);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(s, (struct sockaddr *)&a, sizeof a), 0);
  return s;
}

static uint32_t accept_one(void) {
  cr_assert_eq(wi__sock_accept(ctx, &m, LISTENER, 0, 0x100), 0);
  return wi__ld32(mem + 0x100);
}

static void iov1(uint32_t at, uint32_t ptr, uint32_t len) {
  wi__st32(mem + at, ptr);
  wi__st32(mem + at + 4, len);
}

Test(wasi_sock, listener_is_a_stream_socket_after_stdio) {
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, LISTENER, 0x100), 0);
  cr_assert_eq(mem[0x100], WI_FILETYPE_SOCKET_STREAM);
  cr_assert(wi__ld64(mem + 0x108) & WI_R_SOCK_ACCEPT);
  cr_assert_eq(wi__fd_prestat_get(ctx, &m, LISTENER, 0x100), WI_EBADF);
  cr_assert_eq(wi__fd_filestat_get(ctx, &m, LISTENER, 0x100), 0);
  cr_assert_eq(mem[0x110], WI_FILETYPE_SOCKET_STREAM);
}

Test(wasi_sock, accept_recv_send_shutdown_over_loopback) {
  int c = connect_client();
  uint32_t fd = accept_one();
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, fd, 0x100), 0);
  cr_assert_eq(mem[0x100], WI_FILETYPE_SOCKET_STREAM);
  cr_assert_eq(send(c, "ping!", 5, 0), 5);
  /* Peek leaves the data; waitall collects all of it. */
  iov1(0x200, 0x1000, 64);
  cr_assert_eq(wi__sock_recv(ctx, &m, fd, 0x200, 1, WI_RI_PEEK, 0x100, 0x104),
               0);
  cr_assert_gt(wi__ld32(mem + 0x100), 0);
  iov1(0x200, 0x1000, 5);
  cr_assert_eq(
      wi__sock_recv(ctx, &m, fd, 0x200, 1, WI_RI_WAITALL, 0x100, 0x104), 0);
  cr_assert_eq(wi__ld32(mem + 0x100), 5);
  cr_assert_eq(wi__ld16(mem + 0x104), 0);
  cr_assert_eq(memcmp(mem + 0x1000, "ping!", 5), 0);
  memcpy(mem + 0x2000, "pong", 4);
  iov1(0x200, 0x2000, 4);
  cr_assert_eq(wi__sock_send(ctx, &m, fd, 0x200, 1, 0, 0x100), 0);
  cr_assert_eq(wi__ld32(mem + 0x100), 4);
  char buf[8];
  cr_assert_eq(recv(c, buf, 4, MSG_WAITALL), 4);
  cr_assert_eq(memcmp(buf, "pong", 4), 0);
  cr_assert_eq(wi__sock_shutdown(ctx, &m, fd, WI_SD_WR), 0);
  cr_assert_eq(recv(c, buf, sizeof buf, 0), 0, "EOF after shutdown");
  /* fd_read/fd_write work on sockets too. */
  cr_assert_eq(send(c, "xy", 2, 0), 2);
  iov1(0x200, 0x1000, 2);
  cr_assert_eq(wi__fd_read(ctx, &m, fd, 0x200, 1, 0x100), 0);
  cr_assert_eq(wi__ld32(mem + 0x100), 2);
  close(c);
  cr_assert_eq(wi__fd_close(ctx, &m, fd), 0);
}

Test(wasi_sock, writing_to_a_closed_peer_is_epipe_not_sigpipe) {
  int c = connect_client();
  uint32_t fd = accept_one();
  close(c);
  memset(mem + 0x2000, 'x', 4096);
  iov1(0x200, 0x2000, 4096);
  uint32_t rc = 0;
  /* The first write may still be accepted; later ones see the reset. */
  for (int i = 0; i < 100 && rc == 0; i++) {
    rc = wi__sock_send(ctx, &m, fd, 0x200, 1, 0, 0x100);
    if (rc == 0)
      rc = wi__fd_write(ctx, &m, fd, 0x200, 1, 0x100);
    usleep(1000);
  }
  cr_assert(rc == WI_EPIPE || rc == WI_ECONNRESET, "got %u", rc);
}

/* The accept flags are those of the new socket; a non-blocking accept
 * needs a non-blocking listener (fd_fdstat_set_flags). */
Test(wasi_sock, nonblocking_listener_and_nonblocking_accepted_socket) {
  cr_assert_eq(wi__fd_fdstat_set_flags(ctx, &m, LISTENER, WI_FDFLAG_NONBLOCK),
               0);
  cr_assert_eq(wi__sock_accept(ctx, &m, LISTENER, 0, 0x100), WI_EAGAIN);
  int c = connect_client();
  cr_assert_eq(wi__sock_accept(ctx, &m, LISTENER, WI_FDFLAG_NONBLOCK, 0x100),
               0);
  uint32_t fd = wi__ld32(mem + 0x100);
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, fd, 0x100), 0);
  cr_assert_eq(wi__ld16(mem + 0x102), WI_FDFLAG_NONBLOCK);
  iov1(0x200, 0x1000, 4);
  cr_assert_eq(wi__sock_recv(ctx, &m, fd, 0x200, 1, 0, 0x100, 0x104),
               WI_EAGAIN);
  close(c);
}

Test(wasi_sock, poll_sees_a_pending_connection) {
  uint8_t *s = mem + 0x3000;
  memset(s, 0, 48);
  wi__st64(s, 9);
  s[8] = WI_EVENT_FD_READ;
  wi__st32(s + 16, LISTENER);
  int c = connect_client();
  cr_assert_eq(wi__poll_oneoff(ctx, &m, 0x3000, 0x4000, 1, 0x100), 0);
  cr_assert_eq(wi__ld32(mem + 0x100), 1);
  cr_assert_eq(wi__ld64(mem + 0x4000), 9);
  close(c);
}

Test(wasi_sock, argument_and_type_errors) {
  int c = connect_client();
  uint32_t fd = accept_one();
  cr_assert_eq(wi__sock_accept(ctx, &m, LISTENER, 1, 0x100), WI_EINVAL);
  cr_assert_eq(wi__sock_accept(ctx, &m, fd, 0, 0x100), WI_ENOTCAPABLE);
  cr_assert_eq(wi__sock_accept(ctx, &m, LISTENER, 0, 65534), WI_EFAULT);
  cr_assert_eq(wi__sock_shutdown(ctx, &m, fd, 0), WI_EINVAL);
  cr_assert_eq(wi__sock_shutdown(ctx, &m, fd, 4), WI_EINVAL);
  cr_assert_eq(wi__sock_shutdown(ctx, &m, 1, WI_SD_RD), WI_ENOTCAPABLE);
  cr_assert_eq(wi__sock_recv(ctx, &m, fd, 0x200, 1, 4, 0x100, 0x104),
               WI_EINVAL);
  cr_assert_eq(wi__sock_recv(ctx, &m, fd, 0x200, 1, 0, 0x100, 65535),
               WI_EFAULT);
  cr_assert_eq(wi__sock_send(ctx, &m, fd, 0x200, 1, 1, 0x100), WI_EINVAL);
  cr_assert_eq(wi__sock_recv(ctx, &m, 0, 0x200, 1, 0, 0x100, 0x104),
               WI_ENOTSOCK, "stdin is not a socket");
  cr_assert_eq(wi__sock_send(ctx, &m, 99, 0x200, 1, 0, 0x100), WI_EBADF);
  close(c);
}

Test(wasi_sock, an_embedder_listening_fd_is_installed_after_tcplisten) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(s, 4), 0);
  wi_config cfg;
  wi_config_init(&cfg);
  const char *l[] = {"127.0.0.1:0"};
  cfg.n_tcplisten = 1;
  cfg.tcplisten = l;
  cfg.n_listen_fds = 1;
  cfg.listen_fds = &s;
  wi_ctx *c2;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wi_ctx_new(&cfg, &c2, &e), 0, "%s", e.msg);
  socklen_t sl = sizeof a;
  cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &sl), 0);
  cr_assert_eq(wi_ctx_sock_port(c2, 1), ntohs(a.sin_port));
  cr_assert_eq(wi_ctx_sock_port(c2, 2), -1);
  cr_assert_eq(wi__fd_fdstat_get(c2, &m, 4, 0x100), 0);
  cr_assert_eq(mem[0x100], WI_FILETYPE_SOCKET_STREAM);
  close(s); /* the context holds its own duplicate */
  cr_assert_eq(wi__fd_fdstat_get(c2, &m, 4, 0x100), 0);
  wi_ctx_free(c2);
}
