// One concern: create, write, close, reopen, read a file (path_open,
// fd_write, fd_read, fd_close).
#include "common.h"

#include <fcntl.h>
#include <unistd.h>

int main(void) {
  int fd = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  for (int i = 0; i < 100; i++) {
    char line[64];
    int n = snprintf(line, sizeof line, "line %d of the file\n", i);
    CHECK(write(fd, line, (size_t)n) == n);
  }
  CHECK(close(fd) == 0);
  SHOW("close twice", close(fd));
  fd = open("out.txt", O_RDONLY);
  CHECK(fd >= 0);
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof buf);
  printf("read %zd bytes, first: %.20s\n", n, buf);
  printf("read at eof: %zd\n", read(fd, buf, sizeof buf));
  close(fd);
  FILE *f = fopen("stdio.txt", "w+");
  CHECK(f);
  fprintf(f, "via stdio %d\n", 123);
  rewind(f);
  CHECK(fgets(buf, sizeof buf, f));
  printf("stdio roundtrip: %s", buf);
  fclose(f);
  return 0;
}
