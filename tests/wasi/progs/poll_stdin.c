// One concern: poll() on a readable stdin pipe, on a regular file and with
// a timeout (poll_oneoff with fd_read, fd_write and clock subscriptions).
// wasi-test: stdin=text:ready%0A
// wasi-test: node-differs=uvwasi: poll_oneoff refuses fd subscriptions
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct pollfd p = {.fd = 0, .events = POLLIN};
  int r = poll(&p, 1, 5000);
  printf("stdin poll: %d readable %d\n", r, (p.revents & POLLIN) != 0);
  char buf[16];
  ssize_t n = read(0, buf, sizeof buf);
  printf("read %zd\n", n);
  int fd = open("file", O_RDWR | O_CREAT, 0644);
  CHECK(write(fd, "abc", 3) == 3);
  struct pollfd q[2] = {{.fd = fd, .events = POLLIN},
                        {.fd = fd, .events = POLLOUT}};
  r = poll(q, 2, 0);
  printf("regular file: %d in %d out %d\n", r, (q[0].revents & POLLIN) != 0,
         (q[1].revents & POLLOUT) != 0);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  r = poll(NULL, 0, 100);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long ms =
      (b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000;
  printf("timeout only: %d waited>=100 %d\n", r, ms >= 99);
  struct pollfd s = {.fd = 1, .events = POLLOUT};
  r = poll(&s, 1, 1000);
  printf("stdout writable: %d %d\n", r, (s.revents & POLLOUT) != 0);
  return 0;
}
