// One concern: replacing one fd with another (fd_renumber; dup2 natively,
// which has the same effect when both fds are open).
#include "common.h"

#include <fcntl.h>
#include <unistd.h>
#ifdef __wasi__
#include <wasi/api.h>
static int move_fd(int from, int to) {
  __wasi_errno_t e = __wasi_fd_renumber((__wasi_fd_t)from, (__wasi_fd_t)to);
  if (e) {
    errno = e;
    return -1;
  }
  return 0;
}
#else
static int move_fd(int from, int to) {
  if (dup2(from, to) < 0)
    return -1;
  return from == to ? 0 : close(from);
}
#endif

int main(void) {
  int a = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int b = open("b.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(a >= 0 && b >= 0);
  SHOW("renumber a over b", move_fd(a, b));
  CHECK(write(b, "written via b", 13) == 13);
  SHOW("write to old a", write(a, "x", 1));
  close(b);
  int c = open("c.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  fflush(stdout);
  SHOW("renumber c over stdout", move_fd(c, 1));
  printf("this line goes to c.txt\n");
  fflush(stdout);
  SHOW("renumber closed fd", move_fd(c, 5));
  return 0;
}
