// One concern: symbolic links (path_symlink, path_readlink) and following
// them through open.
// wasi-test: node-differs=uvwasi: no .. in links; readlink, O_NOFOLLOW differ
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int fd = open("target.txt", O_WRONLY | O_CREAT, 0644);
  CHECK(write(fd, "through the link", 16) == 16);
  close(fd);
  CHECK(mkdir("sub", 0755) == 0);
  SHOW("symlink", symlink("target.txt", "link"));
  SHOW("symlink exists", symlink("x", "link"));
  SHOW("symlink in sub", symlink("../target.txt", "sub/up"));
  SHOW("symlink to dir", symlink("sub", "sublink"));
  char buf[64];
  ssize_t n = readlink("link", buf, sizeof buf);
  printf("readlink: %zd %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  n = readlink("sub/up", buf, 5);
  printf("readlink short buffer: %zd %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  SHOW("readlink on a file", readlink("target.txt", buf, sizeof buf));
  SHOW("readlink missing", readlink("missing", buf, sizeof buf));
  const char *paths[] = {"link", "sub/up", "sublink/../target.txt"};
  for (int i = 0; i < 3; i++) {
    fd = open(paths[i], O_RDONLY);
    char c[32] = {0};
    if (fd >= 0) {
      CHECK(read(fd, c, sizeof c - 1) >= 0);
      close(fd);
    }
    printf("open %s: %s\n", paths[i], fd >= 0 ? c : errname(errno));
  }
  SHOW("open link O_NOFOLLOW", open("link", O_RDONLY | O_NOFOLLOW));
  SHOW("symlink chain", symlink("link", "link2"));
  fd = open("link2", O_RDONLY);
  printf("chain opens: %d\n", fd >= 0);
  SHOW("loop a->b", symlink("b", "a"));
  SHOW("loop b->a", symlink("a", "b"));
  SHOW("open loop", open("a", O_RDONLY));
  return 0;
}
