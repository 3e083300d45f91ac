// One concern: removing files (path_unlink_file), open files included.
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int fd = open("f", O_RDWR | O_CREAT, 0644);
  CHECK(write(fd, "still here", 10) == 10);
  SHOW("unlink f", unlink("f"));
  SHOW("unlink f again", unlink("f"));
  char buf[16] = {0};
  CHECK(pread(fd, buf, 10, 0) == 10);
  printf("open file survives unlink: %s\n", buf);
  close(fd);
  CHECK(mkdir("d", 0755) == 0);
  SHOW("unlink dir", unlink("d"));
  SHOW("unlink dir/", unlink("d/"));
  close(open("g", O_WRONLY | O_CREAT, 0644));
  SHOW("unlink g/", unlink("g/"));
  CHECK(symlink("g", "l") == 0);
  SHOW("unlink l", unlink("l"));
  struct stat st;
  SHOW("g still exists", stat("g", &st));
  SHOW("unlinkat dir with AT_REMOVEDIR", unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
  SHOW("remove() on file", remove("g"));
  return 0;
}
