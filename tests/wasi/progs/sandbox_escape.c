// One concern: the sandbox. Every way out of the preopened directory is
// tried; none may reach ../secret.txt (the harness puts it next to the
// sandbox). WASI only: natively these would all succeed.
// wasi-test: expect
// wasi-test: node-differs=uvwasi: escapes are NOTCAPABLE, not PERM
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void try_open(const char *p) {
  errno = 0;
  int fd = open(p, O_RDONLY);
  char buf[16] = {0};
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    (void)n;
    close(fd);
  }
  printf("open %-28s %s%s\n", p, fd >= 0 ? "opened: " : errname(errno),
         fd >= 0 ? buf : "");
}

int main(void) {
  int fd = open("f", O_WRONLY | O_CREAT, 0644);
  CHECK(write(fd, "inside", 6) == 6);
  close(fd);
  try_open("../secret.txt");
  try_open("./../secret.txt");
  CHECK(mkdir("sub", 0755) == 0);
  try_open("sub/../../secret.txt");
  try_open("sub/../f");
  try_open("/secret.txt");
  try_open("/etc/passwd");
  SHOW("symlink ../secret.txt", symlink("../secret.txt", "s"));
  try_open("s");
  char buf[64];
  ssize_t n = readlink("s", buf, sizeof buf);
  printf("readlink s: %.*s\n", (int)(n > 0 ? n : 0), buf);
  SHOW("symlink /etc/passwd", symlink("/etc/passwd", "abs"));
  try_open("abs");
  SHOW("symlink sub/up -> ../..", symlink("../..", "sub/up"));
  try_open("sub/up/secret.txt");
  SHOW("chain c1 -> c2", symlink("c2", "c1"));
  SHOW("chain c2 -> sub/up", symlink("sub/up", "c2"));
  try_open("c1/secret.txt");
  SHOW("rename f ../stolen", rename("f", "../stolen"));
  SHOW("rename f sub/up/stolen", rename("f", "sub/up/stolen"));
  SHOW("link f ../hardlink", link("f", "../hardlink"));
  SHOW("link ../secret.txt in", link("../secret.txt", "in"));
  SHOW("mkdir ../newdir", mkdir("../newdir", 0755));
  SHOW("unlink ../secret.txt", unlink("../secret.txt"));
  struct stat st;
  SHOW("stat ..", stat("..", &st));
  SHOW("stat sub/up", stat("sub/up", &st));
  SHOW("lstat sub/up", lstat("sub/up", &st));
  DIR *d = opendir("..");
  printf("opendir ..: %s\n", d ? "opened" : errname(errno));
  d = opendir("/");
  int k = 0;
  while (d && readdir(d))
    k++;
  printf("opendir /: %s\n", d ? "opened (the sandbox root)" : errname(errno));
  SHOW("chdir ..", chdir(".."));
  try_open("f");
  return 0;
}
