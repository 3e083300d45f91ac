// One concern: path_open's oflags and their errors (CREAT, EXCL, TRUNC,
// DIRECTORY) through open().
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static long long size_of(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

int main(void) {
  SHOW("open missing", open("f", O_RDONLY));
  int fd = open("f", O_WRONLY | O_CREAT | O_EXCL, 0644);
  printf("create excl: %s\n", fd >= 0 ? "OK" : errname(errno));
  CHECK(write(fd, "data", 4) == 4);
  close(fd);
  SHOW("create excl again", open("f", O_WRONLY | O_CREAT | O_EXCL, 0644));
  fd = open("f", O_WRONLY | O_CREAT, 0644);
  close(fd);
  printf("O_CREAT keeps content: %lld\n", size_of("f"));
  fd = open("f", O_RDWR | O_TRUNC);
  close(fd);
  printf("O_TRUNC empties: %lld\n", size_of("f"));
  CHECK(mkdir("d", 0755) == 0);
  SHOW("O_DIRECTORY on a file", open("f", O_RDONLY | O_DIRECTORY));
  fd = open("d", O_RDONLY | O_DIRECTORY);
  printf("O_DIRECTORY on a dir: %s\n", fd >= 0 ? "OK" : errname(errno));
  close(fd);
  SHOW("write-open a dir", open("d", O_WRONLY));
  SHOW("O_CREAT in missing dir", open("nodir/f", O_WRONLY | O_CREAT, 0644));
  SHOW("file as a directory", open("f/x", O_RDONLY));
  SHOW("trailing slash on file", open("f/", O_RDONLY));
  fd = open("d/", O_RDONLY);
  printf("trailing slash on dir: %s\n", fd >= 0 ? "OK" : errname(errno));
  close(fd);
  char longname[300];
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  SHOW("name too long", open(longname, O_WRONLY | O_CREAT, 0644));
  fd = open("./d/../f", O_RDONLY);
  printf("dot and dotdot inside: %s\n", fd >= 0 ? "OK" : errname(errno));
  close(fd);
  /* Many fds at once, then all closed. */
  int fds[200], opened = 0;
  for (int i = 0; i < 200; i++)
    if ((fds[i] = open("f", O_RDONLY)) >= 0)
      opened++;
  for (int i = 0; i < 200; i++)
    close(fds[i]);
  printf("opened 200 at once: %d\n", opened);
  return 0;
}
