// One concern: positioned I/O (fd_pread, fd_pwrite) leaves the offset.
#include "common.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void) {
  int fd = open("p.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "abcdefghij", 10) == 10);
  CHECK(lseek(fd, 2, SEEK_SET) == 2);
  char buf[16] = {0};
  printf("pread(4 @ 5): %zd\n", pread(fd, buf, 4, 5));
  printf("got: %.4s\n", buf);
  printf("offset still: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  printf("pwrite(3 @ 8): %zd\n", pwrite(fd, "XYZ", 3, 8));
  printf("offset still: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  memset(buf, 0, sizeof buf);
  printf("pread past end: %zd\n", pread(fd, buf, 4, 100));
  printf("pread whole: %zd %.11s\n", pread(fd, buf, 16, 0), buf);
  /* Scatter/gather with several iovecs. */
  char a[3], b[5];
  struct iovec iov[2] = {{a, 3}, {b, 5}};
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  printf("readv: %zd %.3s|%.5s\n", readv(fd, iov, 2), a, b);
  struct iovec w[3] = {{"12", 2}, {"", 0}, {"345", 3}};
  printf("pwritev-like writev: %zd\n", writev(fd, w, 3));
  /* readv left the offset at 8: "12345" overwrites XYZ and extends the
   * 11-byte file to 13. */
  CHECK(pread(fd, buf, 16, 0) == 13);
  printf("final: %.13s\n", buf);
  SHOW("pread negative offset", pread(fd, buf, 1, -1));
  close(fd);
  return 0;
}
