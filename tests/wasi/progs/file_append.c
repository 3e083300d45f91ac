// One concern: append mode (fdflags APPEND at open, fd_fdstat_set_flags,
// fd_fdstat_get through fcntl).
// wasi-test: node-differs=uvwasi: fdstat shows APPEND on a reopen without it
#include "common.h"

#include <fcntl.h>
#include <unistd.h>

static void dump(const char *name) {
  char buf[128] = {0};
  int fd = open(name, O_RDONLY);
  CHECK(fd >= 0);
  CHECK(read(fd, buf, sizeof buf - 1) >= 0);
  close(fd);
  printf("content: %s\n", buf);
}

int main(void) {
  int fd = open("log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(write(fd, "one ", 4) == 4);
  close(fd);
  fd = open("log.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0);
  printf("O_APPEND set: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(write(fd, "two ", 4) == 4);
  dump("log.txt");
  close(fd);
  fd = open("log.txt", O_WRONLY);
  printf("O_APPEND set: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0);
  printf("after F_SETFL: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  CHECK(write(fd, "three", 5) == 5);
  CHECK(fcntl(fd, F_SETFL, 0) == 0);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(write(fd, "ONE", 3) == 3);
  dump("log.txt");
  printf("access mode wronly: %d\n",
         (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
  close(fd);
  fd = open("log.txt", O_RDWR);
  printf("access mode rdwr: %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
  close(fd);
  FILE *f = fopen("log.txt", "a");
  fputs(" (stdio append)", f);
  fclose(f);
  dump("log.txt");
  return 0;
}
