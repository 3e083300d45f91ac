/* WASI preview1 functions for wasm2c output (see wasi.h). wasm2c emits a
 * direct call to Z_wasi_snapshot_preview1Z_<name> for each import, with
 * guest pointers as u32 offsets into the memory; every access is checked
 * against the memory size, so a bad pointer is EFAULT, never a host crash.
 * Stdio goes straight to the host fds (no buffering on this side). */
#include "wasi.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

typedef struct Z_wasi_snapshot_preview1_instance_t wasi_t;

/* errno values from the WASI preview1 witx */
#define E_SUCCESS 0
#define E_BADF 8
#define E_FAULT 21
#define E_INVAL 28
#define E_IO 29
#define E_SPIPE 70

/* fdstat filetypes */
#define FT_UNKNOWN 0
#define FT_CHARACTER_DEVICE 2
#define FT_REGULAR_FILE 4
#define FT_SOCKET_STREAM 6

#define RIGHT_FD_SEEK (1u << 2)
#define RIGHT_FD_TELL (1u << 5)

static uint8_t *span(wasi_t *w, uint32_t ptr, uint64_t len) {
  if ((uint64_t)ptr + len > w->mem->size)
    return NULL;
  return w->mem->data + ptr;
}

static int put_u32(wasi_t *w, uint32_t ptr, uint32_t v) {
  uint8_t *p = span(w, ptr, 4);
  if (!p)
    return -1;
  memcpy(p, &v, 4); /* x86-64 and Wasm are both little-endian */
  return 0;
}

static int put_u64(wasi_t *w, uint32_t ptr, uint64_t v) {
  uint8_t *p = span(w, ptr, 8);
  if (!p)
    return -1;
  memcpy(p, &v, 8);
  return 0;
}

static uint32_t host_errno(int e) {
  switch (e) {
  case EBADF:
    return E_BADF;
  case EFAULT:
    return E_FAULT;
  case EINVAL:
    return E_INVAL;
  case ESPIPE:
    return E_SPIPE;
  default:
    return E_IO;
  }
}

uint32_t Z_wasi_snapshot_preview1Z_args_sizes_get(wasi_t *w, uint32_t argc_p,
                                                  uint32_t size_p) {
  uint32_t size = 0;
  for (int i = 0; i < w->argc; i++)
    size += (uint32_t)strlen(w->argv[i]) + 1;
  if (put_u32(w, argc_p, (uint32_t)w->argc) || put_u32(w, size_p, size))
    return E_FAULT;
  return E_SUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_args_get(wasi_t *w, uint32_t argv_p,
                                            uint32_t buf_p) {
  for (int i = 0; i < w->argc; i++) {
    uint32_t len = (uint32_t)strlen(w->argv[i]) + 1;
    uint8_t *dst = span(w, buf_p, len);
    if (!dst || put_u32(w, argv_p + 4 * (uint32_t)i, buf_p))
      return E_FAULT;
    memcpy(dst, w->argv[i], len);
    buf_p += len;
  }
  return E_SUCCESS;
}

/* The benchmarks run with an empty environment on every engine. */
uint32_t Z_wasi_snapshot_preview1Z_environ_sizes_get(wasi_t *w,
                                                     uint32_t count_p,
                                                     uint32_t size_p) {
  if (put_u32(w, count_p, 0) || put_u32(w, size_p, 0))
    return E_FAULT;
  return E_SUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_environ_get(wasi_t *w, uint32_t env_p,
                                               uint32_t buf_p) {
  (void)w, (void)env_p, (void)buf_p;
  return E_SUCCESS;
}

static int host_clock(uint32_t id, clockid_t *out) {
  static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                  CLOCK_PROCESS_CPUTIME_ID,
                                  CLOCK_THREAD_CPUTIME_ID};
  if (id >= sizeof ids / sizeof ids[0])
    return -1;
  *out = ids[id];
  return 0;
}

uint32_t Z_wasi_snapshot_preview1Z_clock_res_get(wasi_t *w, uint32_t id,
                                                 uint32_t res_p) {
  clockid_t c;
  struct timespec ts;
  if (host_clock(id, &c) || clock_getres(c, &ts))
    return E_INVAL;
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  return put_u64(w, res_p, ns) ? E_FAULT : E_SUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_clock_time_get(wasi_t *w, uint32_t id,
                                                  uint64_t precision,
                                                  uint32_t time_p) {
  (void)precision;
  clockid_t c;
  struct timespec ts;
  if (host_clock(id, &c) || clock_gettime(c, &ts))
    return E_INVAL;
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  return put_u64(w, time_p, ns) ? E_FAULT : E_SUCCESS;
}

/* Gathers the guest iovec array into host iovecs; at most 64 per call, the
 * rest is reported as a short write/read, which WASI callers handle. */
static uint32_t gather(wasi_t *w, uint32_t iovs, uint32_t n, struct iovec *v,
                       int *count) {
  if (n > 64)
    n = 64;
  for (uint32_t i = 0; i < n; i++) {
    uint8_t *e = span(w, iovs + 8 * i, 8);
    if (!e)
      return E_FAULT;
    uint32_t ptr, len;
    memcpy(&ptr, e, 4);
    memcpy(&len, e + 4, 4);
    uint8_t *buf = span(w, ptr, len);
    if (!buf)
      return E_FAULT;
    v[i].iov_base = buf;
    v[i].iov_len = len;
  }
  *count = (int)n;
  return E_SUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_write(wasi_t *w, uint32_t fd,
                                            uint32_t iovs, uint32_t n,
                                            uint32_t nwritten_p) {
  struct iovec v[64];
  int count = 0;
  uint32_t e = gather(w, iovs, n, v, &count);
  if (e)
    return e;
  if (fd > 2)
    return E_BADF;
  ssize_t r = writev((int)fd, v, count);
  if (r < 0)
    return host_errno(errno);
  return put_u32(w, nwritten_p, (uint32_t)r) ? E_FAULT : E_SUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_read(wasi_t *w, uint32_t fd,
                                           uint32_t iovs, uint32_t n,
                                           uint32_t nread_p) {
  struct iovec v[64];
  int count = 0;
  uint32_t e = gather(w, iovs, n, v, &count);
  if (e)
    return e;
  if (fd > 2)
    return E_BADF;
  ssize_t r = readv((int)fd, v, count);
  if (r < 0)
    return host_errno(errno);
  return put_u32(w, nread_p, (uint32_t)r) ? E_FAULT : E_SUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_close(wasi_t *w, uint32_t fd) {
  (void)w;
  /* stdio stays open: closing the host's fds would affect the harness */
  return fd <= 2 ? E_SUCCESS : E_BADF;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_seek(wasi_t *w, uint32_t fd,
                                           uint64_t offset, uint32_t whence,
                                           uint32_t newoffset_p) {
  (void)offset, (void)whence, (void)newoffset_p, (void)w;
  /* Only stdio exists, and it is treated as a stream. */
  return fd <= 2 ? E_SPIPE : E_BADF;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_get(wasi_t *w, uint32_t fd,
                                                 uint32_t stat_p) {
  if (fd > 2)
    return E_BADF;
  struct stat st;
  if (fstat((int)fd, &st) != 0)
    return host_errno(errno);
  uint8_t *p = span(w, stat_p, 24);
  if (!p)
    return E_FAULT;
  /* libc decides line buffering from this: a character device without
   * seek/tell rights is a terminal. */
  uint8_t type = S_ISCHR(st.st_mode)    ? FT_CHARACTER_DEVICE
                 : S_ISREG(st.st_mode)  ? FT_REGULAR_FILE
                 : S_ISSOCK(st.st_mode) ? FT_SOCKET_STREAM
                                        : FT_UNKNOWN;
  uint64_t rights = ~(uint64_t)0;
  if (type == FT_CHARACTER_DEVICE || !S_ISREG(st.st_mode))
    rights &= ~(uint64_t)(RIGHT_FD_SEEK | RIGHT_FD_TELL);
  memset(p, 0, 24);
  p[0] = type;
  memcpy(p + 8, &rights, 8);
  memcpy(p + 16, &rights, 8);
  return E_SUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_prestat_get(wasi_t *w, uint32_t fd,
                                                  uint32_t buf_p) {
  (void)w, (void)fd, (void)buf_p;
  return E_BADF; /* no preopened directories */
}

uint32_t Z_wasi_snapshot_preview1Z_fd_prestat_dir_name(wasi_t *w, uint32_t fd,
                                                       uint32_t path_p,
                                                       uint32_t len) {
  (void)w, (void)fd, (void)path_p, (void)len;
  return E_BADF;
}

uint32_t Z_wasi_snapshot_preview1Z_random_get(wasi_t *w, uint32_t buf_p,
                                              uint32_t len) {
  uint8_t *p = span(w, buf_p, len);
  if (!p)
    return E_FAULT;
  while (len > 0) {
    ssize_t r = getrandom(p, len, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return host_errno(errno);
    }
    p += r;
    len -= (uint32_t)r;
  }
  return E_SUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_sched_yield(wasi_t *w) {
  (void)w;
  return E_SUCCESS;
}

void Z_wasi_snapshot_preview1Z_proc_exit(wasi_t *w, uint32_t code) {
  (void)w;
  exit((int)code);
}
