// One concern: file offsets (fd_seek, fd_tell), with every whence and a
// hole past the end.
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int fd = open("seek.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "0123456789", 10) == 10);
  printf("tell after write: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  printf("SEEK_SET 3: %lld\n", (long long)lseek(fd, 3, SEEK_SET));
  char c;
  CHECK(read(fd, &c, 1) == 1);
  printf("char at 3: %c\n", c);
  printf("SEEK_CUR +2: %lld\n", (long long)lseek(fd, 2, SEEK_CUR));
  printf("SEEK_END -1: %lld\n", (long long)lseek(fd, -1, SEEK_END));
  CHECK(read(fd, &c, 1) == 1);
  printf("last char: %c\n", c);
  SHOW("SEEK_SET -1", lseek(fd, -1, SEEK_SET));
  SHOW("bad whence", lseek(fd, 0, 42));
  printf("SEEK_END +100: %lld\n", (long long)lseek(fd, 100, SEEK_END));
  CHECK(write(fd, "X", 1) == 1);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  printf("size with hole: %lld\n", (long long)st.st_size);
  CHECK(lseek(fd, 50, SEEK_SET) == 50);
  CHECK(read(fd, &c, 1) == 1);
  printf("hole byte is zero: %s\n", c == 0 ? "yes" : "no");
  close(fd);
  return 0;
}
