/*
 * fixture.h: shared setup of the WASI unit tests. A temp tree
 *   root/sandbox   preopened as guest fd 3 ("/sandbox")
 *   root/outside   with "secret" (content "OUTSIDE"), never reachable
 * a wi_ctx over it and a malloc'd fake guest memory of FX_MEM bytes.
 */
#ifndef WI_TEST_FIXTURE_H
#define WI_TEST_FIXTURE_H

#include "internal.h"

#include <limits.h>
#include <stdbool.h>

#define FX_MEM 65536u
#define FX_DIR 3u /* the sandbox preopen */

/* Guest addresses the tests use by convention. */
enum {
  G_OUT = 0x100,   /* results */
  G_OUT2 = 0x180,  /* second result */
  G_IOV = 0x200,   /* iovec arrays */
  G_PATH = 0x1000, /* first path */
  G_PATH2 = 0x2000,
  G_BUF = 0x4000, /* data buffers, up to the end of memory */
};

typedef struct fx {
  char root[64], sandbox[PATH_MAX], outside[PATH_MAX];
  wi_ctx *ctx;
  wi_mem m;
} fx;

extern fx F;

/* Builds the tree and the context; read_only preopens the sandbox so. */
void fx_setup_mode(bool read_only);
void fx_setup(void);
void fx_setup_ro(void);
void fx_teardown(void);

/* Host path helpers, relative to the sandbox or absolute. */
void fx_write_file(const char *rel, const char *content);
char *fx_read_file(const char *abs_path); /* static buffer, NULL if absent */
const char *fx_path(const char *rel);     /* sandbox/rel, static buffer */

/* Copies s into guest memory at 'at'; returns its length. */
uint32_t fx_str(uint32_t at, const char *s);
uint32_t fx_ld32(uint32_t at);
uint64_t fx_ld64(uint32_t at);
/* An iovec array of n entries at G_IOV pointing at (ptr[i], len[i]). */
void fx_iovs(uint32_t n, const uint32_t *ptr, const uint32_t *len);

/* path_open beneath 'dir' with the given oflags and rights; returns the
 * errno, *fd the new fd. */
uint32_t fx_open_at(uint32_t dir, const char *path, uint32_t oflags,
                    uint64_t rights, uint32_t lookup, uint32_t *fd);
uint32_t fx_open(const char *path, uint32_t oflags, uint64_t rights,
                 uint32_t *fd);
/* Whole-file write/read through fd_write/fd_read. */
uint32_t fx_fd_write(uint32_t fd, const char *s);
uint32_t fx_fd_read(uint32_t fd, char *out, uint32_t cap, uint32_t *n);

#define R_RW                                                                   \
  (WI_R_FD_READ | WI_R_FD_WRITE | WI_R_FD_SEEK | WI_R_FD_TELL |                \
   WI_R_FD_FILESTAT_GET | WI_R_FD_FILESTAT_SET_SIZE |                          \
   WI_R_FD_FILESTAT_SET_TIMES | WI_R_FD_FDSTAT_SET_FLAGS | WI_R_FD_SYNC |      \
   WI_R_FD_DATASYNC | WI_R_FD_ADVISE | WI_R_FD_ALLOCATE |                      \
   WI_R_POLL_FD_READWRITE)
#define R_RD                                                                   \
  (WI_R_FD_READ | WI_R_FD_SEEK | WI_R_FD_TELL | WI_R_FD_FILESTAT_GET |         \
   WI_R_POLL_FD_READWRITE)

#endif
