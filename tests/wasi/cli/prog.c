// prog.c: the guest of cli_test.sh, one behaviour per first argument, to
// check what `wasmaot run` does with exit codes, traps, the environment,
// read-only preopens and the module's own arguments.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(int e) {
  switch (e) {
  case 0:
    return "OK";
  case ENOENT:
    return "ENOENT";
  case EBADF:
    return "EBADF";
  case EACCES:
    return "EACCES";
  case EPERM:
    return "EPERM";
  case EROFS:
    return "EROFS";
  case ENOTCAPABLE:
    return "ENOTCAPABLE";
  default:
    return "other";
  }
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  const char *cmd = argv[1];
  if (strcmp(cmd, "exit") == 0 && argc > 2)
    exit(atoi(argv[2]));
  if (strcmp(cmd, "trap") == 0)
    __builtin_trap();
  if (strcmp(cmd, "args") == 0) {
    for (int i = 2; i < argc; i++)
      printf("arg[%d]=%s\n", i - 2, argv[i]);
    return 0;
  }
  if (strcmp(cmd, "env") == 0) {
    for (int i = 2; i < argc; i++) {
      const char *v = getenv(argv[i]);
      printf("%s=%s\n", argv[i], v ? v : "(unset)");
    }
    return 0;
  }
  if (strcmp(cmd, "read") == 0 && argc > 2) {
    char buf[64] = {0};
    errno = 0;
    int fd = open(argv[2], O_RDONLY);
    if (fd >= 0 && read(fd, buf, sizeof buf - 1) < 0)
      fd = -1;
    printf("read %s: %s %s\n", argv[2], fd >= 0 ? "OK" : ename(errno), buf);
    return 0;
  }
  if (strcmp(cmd, "write") == 0 && argc > 3) { /* write FILE NEWDIR */
    errno = 0;
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("create %s: %s\n", argv[2], fd >= 0 ? "OK" : ename(errno));
    errno = 0;
    fd = open(argv[2], O_WRONLY);
    printf("open-for-write %s: %s\n", argv[2], fd >= 0 ? "OK" : ename(errno));
    /* wasi-libc asks path_open for the write rights only if the directory
     * passes them on; from a read-only one it gets a descriptor that
     * cannot write, and the write is what fails. */
    errno = 0;
    printf("write %s: %s\n", argv[2],
           fd >= 0 && write(fd, "x", 1) == 1 ? "OK" : ename(errno));
    errno = 0;
    printf("mkdir %s: %s\n", argv[3],
           mkdir(argv[3], 0755) == 0 ? "OK" : ename(errno));
    errno = 0;
    printf("unlink %s: %s\n", argv[2],
           unlink(argv[2]) == 0 ? "OK" : ename(errno));
    return 0;
  }
  return 2;
}
