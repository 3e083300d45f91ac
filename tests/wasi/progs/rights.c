// One concern: rights. A read-only descriptor cannot write, rights only
// shrink (fd_fdstat_set_rights), file descriptors have no path rights.
// Under POSIX these are EBADF/EINVAL; WASI says ENOTCAPABLE.
// wasi-test: expect
#include "common.h"

#include <fcntl.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
  int fd = open("f", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0);
  close(fd);
  fd = open("f", O_RDONLY);
  SHOW("write to O_RDONLY", write(fd, "x", 1));
  SHOW("ftruncate O_RDONLY", ftruncate(fd, 0));
  close(fd);
  fd = open("f", O_RDWR);
  __wasi_fdstat_t st;
  CHECK(__wasi_fd_fdstat_get(fd, &st) == 0);
  printf("rdwr has read %d write %d seek %d\n",
         (st.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0,
         (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0,
         (st.fs_rights_base & __WASI_RIGHTS_FD_SEEK) != 0);
  __wasi_rights_t less = st.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE;
  printf("drop write: %d\n", __wasi_fd_fdstat_set_rights(fd, less, 0));
  SHOW("write after drop", write(fd, "x", 1));
  printf("grant write back: %d\n",
         __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base, 0));
  printf("drop seek, then lseek: %d ",
         __wasi_fd_fdstat_set_rights(fd, less & ~__WASI_RIGHTS_FD_SEEK, 0));
  errno = 0;
  printf("%s\n", lseek(fd, 1, SEEK_SET) < 0 ? errname(errno) : "OK");
  errno = 0;
  printf("tell still works: %s\n",
         lseek(fd, 0, SEEK_CUR) < 0 ? errname(errno) : "OK");
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(__wasi_fd_fdstat_get(dir, &st) == 0);
  printf("directory: type %d, may open paths %d, write %d\n", st.fs_filetype,
         (st.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) != 0,
         (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
  __wasi_fd_t out;
  printf("path_open relative to a file: %d\n",
         __wasi_path_open(fd, 0, "x", 0, 0, 0, 0, &out));
  printf("drop create-file and inheritable write: %d\n",
         __wasi_fd_fdstat_set_rights(
             dir, st.fs_rights_base & ~__WASI_RIGHTS_PATH_CREATE_FILE,
             st.fs_rights_inheriting & ~__WASI_RIGHTS_FD_WRITE));
  printf("then create: %d\n",
         __wasi_path_open(dir, 0, "new", __WASI_OFLAGS_CREAT,
                          __WASI_RIGHTS_FD_READ, 0, 0, &out));
  printf("then open for write: %d\n",
         __wasi_path_open(dir, 0, "f", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &out));
  printf("then open for read: %d\n",
         __wasi_path_open(dir, 0, "f", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out));
  printf("and grant them back: %d\n",
         __wasi_fd_fdstat_set_rights(dir, st.fs_rights_base,
                                     st.fs_rights_inheriting));
  return 0;
}
