/*
 * common.h: shared by the WASI test programs, which build both for
 * wasm32-wasi and natively. Output must be identical on both, so errno
 * values are printed by name (the numbers differ between wasi-libc and
 * glibc) and nothing prints pointers, inode numbers or times.
 */
#ifndef WASI_TEST_COMMON_H
#define WASI_TEST_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ENOTCAPABLE /* glibc: never produced natively */
#define ENOTCAPABLE 10076
#endif

/* One errno per macro call: the names read better as a table. */
// clang-format off
static inline const char *errname(int e) {
  switch (e) {
  case 0: return "OK";
#define N(x) case x: return #x;
  N(EPERM) N(ENOENT) N(EIO) N(EBADF) N(EACCES) N(EEXIST) N(EXDEV)
  N(ENOTDIR) N(EISDIR) N(EINVAL) N(EMFILE) N(ENOSPC) N(ESPIPE) N(EROFS)
  N(EMLINK) N(EPIPE) N(ERANGE) N(ENAMETOOLONG) N(ENOSYS) N(ENOTEMPTY)
  N(ELOOP) N(EAGAIN) N(ENOTSOCK) N(ENOTSUP) N(EFAULT) N(EFBIG)
  N(ENOTCAPABLE) N(ECONNRESET) N(ENOTCONN) N(EBUSY) N(ETIMEDOUT)
#undef N
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "errno %d", e);
    return buf;
  }
  }
}
// clang-format on

/* Prints "what: NAME" for the errno of the last failed call, or OK. */
#define SHOW(what, expr)                                                       \
  do {                                                                         \
    errno = 0;                                                                 \
    long r_ = (long)(expr);                                                    \
    printf("%s: %s\n", what, r_ < 0 ? errname(errno) : "OK");                  \
  } while (0)

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAILED %s:%d: %s (errno %s)\n", __FILE__, __LINE__, #cond,       \
             errname(errno));                                                  \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#endif
