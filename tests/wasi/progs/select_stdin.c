// One concern: select() (poll_oneoff underneath) on stdin at EOF and with
// a timeout.
// wasi-test: stdin=text:x
// wasi-test: node-differs=uvwasi: poll_oneoff refuses fd subscriptions
#include "common.h"

#include <sys/select.h>
#include <unistd.h>

int main(void) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(0, &r);
  struct timeval tv = {2, 0};
  int n = select(1, &r, NULL, NULL, &tv);
  printf("select: %d stdin set %d\n", n, FD_ISSET(0, &r) != 0);
  char c[4];
  printf("read: %zd\n", read(0, c, sizeof c));
  FD_ZERO(&r);
  FD_SET(0, &r);
  tv.tv_sec = 1;
  tv.tv_usec = 0;
  n = select(1, &r, NULL, NULL, &tv);
  printf("at eof still readable: %d %d\n", n, FD_ISSET(0, &r) != 0);
  printf("read at eof: %zd\n", read(0, c, sizeof c));
  tv.tv_sec = 0;
  tv.tv_usec = 50000;
  n = select(0, NULL, NULL, NULL, &tv);
  printf("timeout only: %d\n", n);
  return 0;
}
