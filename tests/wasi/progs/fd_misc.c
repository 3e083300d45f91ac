// One concern: the advisory and durability calls (fd_advise, fd_allocate,
// fd_sync, fd_datasync) through posix_fadvise, posix_fallocate, fsync and
// fdatasync.
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  int advs[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  for (int i = 0; i < 6; i++)
    printf("fadvise %d: %s\n", i, errname(posix_fadvise(fd, 0, 100, advs[i])));
  printf("fadvise bad advice: %s\n", errname(posix_fadvise(fd, 0, 100, 99)));
  printf("fallocate 8192: %s\n", errname(posix_fallocate(fd, 0, 8192)));
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  printf("size after fallocate: %lld\n", (long long)st.st_size);
  printf("fallocate inside: %s\n", errname(posix_fallocate(fd, 10, 10)));
  CHECK(fstat(fd, &st) == 0);
  printf("size unchanged: %lld\n", (long long)st.st_size);
  CHECK(write(fd, "data", 4) == 4);
  printf("fsync: %s\n", fsync(fd) == 0 ? "OK" : errname(errno));
  printf("fdatasync: %s\n", fdatasync(fd) == 0 ? "OK" : errname(errno));
  close(fd);
  printf("fsync closed: %s\n", fsync(fd) == 0 ? "OK" : errname(errno));
  return 0;
}
