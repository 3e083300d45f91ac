/*
 * tcpclient.c: the client side of tests/wasi/progs/socket_echo.c, built
 * natively by run.sh. "tcpclient freeport" prints a free loopback port;
 * "tcpclient HOST:PORT" connects (retrying for 10 s while the server
 * starts), sends a request, prints what comes back until EOF, says bye.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tcpclient freeport | HOST:PORT\n");
    return 2;
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  if (strcmp(argv[1], "freeport") == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
      return 1;
    printf("%d\n", ntohs(a.sin_port));
    close(s);
    return 0;
  }
  char host[64];
  int port;
  if (sscanf(argv[1], "%63[^:]:%d", host, &port) != 2 ||
      inet_pton(AF_INET, host, &a.sin_addr) != 1)
    return 2;
  a.sin_port = htons((unsigned short)port);
  int s = -1;
  for (int i = 0; i < 1000; i++) {
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
      break;
    close(s);
    s = -1;
    struct timespec d = {0, 10000000};
    nanosleep(&d, NULL);
  }
  if (s < 0) {
    fprintf(stderr, "tcpclient: cannot connect to %s\n", argv[1]);
    return 1;
  }
  const char req[] = "hello from client\n";
  if (send(s, req, sizeof req - 1, 0) != (ssize_t)sizeof req - 1)
    return 1;
  char buf[512];
  size_t got = 0;
  ssize_t n;
  while (got < sizeof buf - 1 &&
         (n = recv(s, buf + got, sizeof buf - 1 - got, 0)) > 0)
    got += (size_t)n;
  buf[got] = 0;
  printf("client got: %s", buf);
  if (send(s, "bye\n", 4, 0) != 4)
    return 1;
  close(s);
  return 0;
}
