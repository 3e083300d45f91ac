// One concern: changing a file's size (fd_filestat_set_size via ftruncate
// and truncate).
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static long long size_of(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

int main(void) {
  int fd = open("t.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(write(fd, "0123456789", 10) == 10);
  CHECK(ftruncate(fd, 4) == 0);
  printf("after ftruncate 4: %lld\n", size_of("t.bin"));
  CHECK(ftruncate(fd, 1000) == 0);
  printf("after ftruncate 1000: %lld\n", size_of("t.bin"));
  char buf[8];
  CHECK(pread(fd, buf, 8, 0) == 8);
  printf("kept: %.4s zero-filled: %d\n", buf, buf[5] == 0);
  SHOW("ftruncate -1", ftruncate(fd, -1));
  close(fd);
  CHECK(truncate("t.bin", 7) == 0);
  printf("after truncate 7: %lld\n", size_of("t.bin"));
  SHOW("truncate missing", truncate("nope.bin", 1));
  fd = open("t.bin", O_WRONLY | O_TRUNC);
  printf("after O_TRUNC: %lld\n", size_of("t.bin"));
  close(fd);
  return 0;
}
