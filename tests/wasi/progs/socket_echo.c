// One concern: a TCP server on a preopened listening socket (sock_accept,
// sock_recv with MSG_PEEK/MSG_WAITALL, sock_send, sock_shutdown, fd_read
// and fd_write on the connection). Natively the program listens itself on
// $WASI_TEST_LISTEN; under WASI the listener is the engine's --tcplisten
// socket, the first socket fd after the preopens. The harness's client
// (tools/tcpclient.c) talks to it.
// wasi-test: tcp
// wasi-test: node-skip=node's WASI has no listening sockets (no --tcplisten)
#include "common.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef __wasi__
#include <arpa/inet.h>
#include <netinet/in.h>
#endif

static int listener(void) {
#ifdef __wasi__
  for (int fd = 3; fd < 64; fd++) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
      return fd;
  }
  return -1;
#else
  const char *addr = getenv("WASI_TEST_LISTEN");
  CHECK(addr);
  char host[64];
  int port;
  CHECK(sscanf(addr, "%63[^:]:%d", host, &port) == 2);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
  CHECK(listen(s, 8) == 0);
  return s;
#endif
}

int main(void) {
  int l = listener();
  CHECK(l >= 0);
  struct stat st;
  CHECK(fstat(l, &st) == 0);
  printf("listener is a socket: %d\n", S_ISSOCK(st.st_mode));
  int c = accept(l, NULL, NULL);
  CHECK(c >= 0);
  char buf[256];
  ssize_t n = recv(c, buf, 5, MSG_PEEK | MSG_WAITALL);
  printf("peek: %zd %.5s\n", n, buf);
  n = recv(c, buf, 18, MSG_WAITALL);
  printf("request: %zd %.*s", n, (int)n, buf);
  const char reply[] = "echo: ";
  CHECK(send(c, reply, sizeof reply - 1, 0) == (ssize_t)sizeof reply - 1);
  CHECK(send(c, buf, (size_t)n, 0) == n);
  CHECK(write(c, "second line via write\n", 22) == 22);
  CHECK(shutdown(c, SHUT_WR) == 0);
  size_t got = 0;
  while ((n = read(c, buf + got, sizeof buf - 1 - got)) > 0)
    got += (size_t)n;
  buf[got] = 0;
  printf("after shutdown the client said: %s", buf);
  SHOW("recv on a file", recv(open("f", O_RDWR | O_CREAT, 0644), buf, 1, 0));
  SHOW("shutdown bad how", shutdown(c, 42));
  close(c);
  close(l);
  return 0;
}
