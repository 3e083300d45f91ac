// One concern: hard links (path_link) and link counts.
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static long nlink(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long)st.st_nlink : -1;
}

int main(void) {
  int fd = open("orig", O_WRONLY | O_CREAT, 0644);
  CHECK(write(fd, "shared", 6) == 6);
  close(fd);
  SHOW("link orig copy", link("orig", "copy"));
  printf("nlink: %ld\n", nlink("orig"));
  SHOW("link again", link("orig", "copy"));
  SHOW("link missing", link("missing", "x"));
  CHECK(mkdir("d", 0755) == 0);
  SHOW("link into dir", link("orig", "d/third"));
  printf("nlink: %ld\n", nlink("copy"));
  SHOW("link a directory", link("d", "d2"));
  fd = open("d/third", O_WRONLY | O_APPEND);
  CHECK(write(fd, "+", 1) == 1);
  close(fd);
  char buf[16] = {0};
  fd = open("orig", O_RDONLY);
  CHECK(read(fd, buf, sizeof buf) == 7);
  close(fd);
  printf("orig sees the append: %s\n", buf);
  CHECK(unlink("orig") == 0);
  printf("nlink after unlink: %ld\n", nlink("copy"));
  CHECK(symlink("copy", "sym") == 0);
  SHOW("linkat following the symlink",
       linkat(AT_FDCWD, "sym", AT_FDCWD, "viasym", AT_SYMLINK_FOLLOW));
  struct stat st;
  CHECK(lstat("viasym", &st) == 0);
  printf("viasym is a regular file: %d\n", S_ISREG(st.st_mode));
  SHOW("linkat the symlink itself",
       linkat(AT_FDCWD, "sym", AT_FDCWD, "sym2", 0));
  CHECK(lstat("sym2", &st) == 0);
  printf("sym2 is a symlink: %d\n", S_ISLNK(st.st_mode));
  return 0;
}
