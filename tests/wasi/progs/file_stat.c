// One concern: file metadata (fd_filestat_get, path_filestat_get with and
// without following symlinks).
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind(mode_t m) {
  return S_ISREG(m)   ? "file"
         : S_ISDIR(m) ? "dir"
         : S_ISLNK(m) ? "symlink"
                      : "other";
}

static void show(const char *p, int follow) {
  struct stat st;
  errno = 0;
  int r = follow ? stat(p, &st) : lstat(p, &st);
  if (r != 0) {
    printf("%s %s: %s\n", follow ? "stat" : "lstat", p, errname(errno));
    return;
  }
  printf("%s %s: %s size=%lld nlink=%ld\n", follow ? "stat" : "lstat", p,
         kind(st.st_mode), (long long)st.st_size, (long)st.st_nlink);
}

int main(void) {
  int fd = open("f.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(write(fd, "12345", 5) == 5);
  struct stat a, b;
  CHECK(fstat(fd, &a) == 0);
  close(fd);
  CHECK(stat("f.txt", &b) == 0);
  printf("fstat and stat agree: %d\n",
         a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == 5);
  printf("mtime set: %d\n", b.st_mtime > 1000000000);
  CHECK(mkdir("d", 0755) == 0);
  CHECK(symlink("f.txt", "l") == 0);
  CHECK(symlink("missing", "dangling") == 0);
  show("f.txt", 1);
  show("d", 1);
  show("l", 1);
  show("l", 0);
  show("dangling", 1);
  show("dangling", 0);
  show("nope", 1);
  show("f.txt/x", 1);
  show("d/", 1);
  show("f.txt/", 1);
  CHECK(fstatat(AT_FDCWD, "l", &a, AT_SYMLINK_NOFOLLOW) == 0);
  printf("fstatat nofollow: %s\n", kind(a.st_mode));
  return 0;
}
