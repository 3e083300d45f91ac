// One concern: what a descriptor is (fd_fdstat_get): isatty on stdio
// redirected to files and pipes, file types through fstat, access modes.
// wasi-test: stdin=text:in
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return errname(errno);
  return S_ISREG(st.st_mode)   ? "file"
         : S_ISDIR(st.st_mode) ? "dir"
         : S_ISCHR(st.st_mode) ? "chardev"
                               : "other";
}

int main(void) {
  printf("isatty(0)=%d isatty(1)=%d\n", isatty(0), isatty(1));
  printf("stdout is a %s\n", kind(1));
  int fd = open("f", O_WRONLY | O_CREAT, 0644);
  printf("isatty(file)=%d kind=%s\n", isatty(fd), kind(fd));
  printf("F_GETFL wronly: %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
  close(fd);
  fd = open("f", O_RDONLY);
  printf("F_GETFL rdonly: %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
  close(fd);
  fd = open(".", O_RDONLY | O_DIRECTORY);
  printf("dir kind=%s\n", kind(fd));
  close(fd);
  printf("closed fd kind=%s\n", kind(fd));
  printf("fcntl on closed fd: %d %s\n", fcntl(fd, F_GETFL), errname(errno));
  return 0;
}
