/*
 * internal.h: shared by the files of runtime/wasi (prefix wi__). The
 * preview1 ABI constants (values from the witx definitions of
 * wasi_snapshot_preview1), the context and fd table, guest-memory access,
 * and the typed prototypes generated from wasi.def.
 */
#ifndef WI_INTERNAL_H
#define WI_INTERNAL_H

#include "wi.h"

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* -------------------------------------------------------------- errno */

/* WASI errno values (witx `errno`, u16). Every name but SUCCESS and
 * NOTCAPABLE is also a Linux errno E<name>; errno.c maps through this. */
#define WI_ERRNO_MAP(X)                                                        \
  X(2BIG, 1)                                                                   \
  X(ACCES, 2)                                                                  \
  X(ADDRINUSE, 3)                                                              \
  X(ADDRNOTAVAIL, 4)                                                           \
  X(AFNOSUPPORT, 5)                                                            \
  X(AGAIN, 6)                                                                  \
  X(ALREADY, 7)                                                                \
  X(BADF, 8)                                                                   \
  X(BADMSG, 9)                                                                 \
  X(BUSY, 10)                                                                  \
  X(CANCELED, 11)                                                              \
  X(CHILD, 12)                                                                 \
  X(CONNABORTED, 13)                                                           \
  X(CONNREFUSED, 14)                                                           \
  X(CONNRESET, 15)                                                             \
  X(DEADLK, 16)                                                                \
  X(DESTADDRREQ, 17)                                                           \
  X(DOM, 18)                                                                   \
  X(DQUOT, 19)                                                                 \
  X(EXIST, 20)                                                                 \
  X(FAULT, 21)                                                                 \
  X(FBIG, 22)                                                                  \
  X(HOSTUNREACH, 23)                                                           \
  X(IDRM, 24)                                                                  \
  X(ILSEQ, 25)                                                                 \
  X(INPROGRESS, 26)                                                            \
  X(INTR, 27)                                                                  \
  X(INVAL, 28)                                                                 \
  X(IO, 29)                                                                    \
  X(ISCONN, 30)                                                                \
  X(ISDIR, 31)                                                                 \
  X(LOOP, 32)                                                                  \
  X(MFILE, 33)                                                                 \
  X(MLINK, 34)                                                                 \
  X(MSGSIZE, 35)                                                               \
  X(MULTIHOP, 36)                                                              \
  X(NAMETOOLONG, 37)                                                           \
  X(NETDOWN, 38)                                                               \
  X(NETRESET, 39)                                                              \
  X(NETUNREACH, 40)                                                            \
  X(NFILE, 41)                                                                 \
  X(NOBUFS, 42)                                                                \
  X(NODEV, 43)                                                                 \
  X(NOENT, 44)                                                                 \
  X(NOEXEC, 45)                                                                \
  X(NOLCK, 46)                                                                 \
  X(NOLINK, 47)                                                                \
  X(NOMEM, 48)                                                                 \
  X(NOMSG, 49)                                                                 \
  X(NOPROTOOPT, 50)                                                            \
  X(NOSPC, 51)                                                                 \
  X(NOSYS, 52)                                                                 \
  X(NOTCONN, 53)                                                               \
  X(NOTDIR, 54)                                                                \
  X(NOTEMPTY, 55)                                                              \
  X(NOTRECOVERABLE, 56)                                                        \
  X(NOTSOCK, 57)                                                               \
  X(NOTSUP, 58)                                                                \
  X(NOTTY, 59)                                                                 \
  X(NXIO, 60)                                                                  \
  X(OVERFLOW, 61)                                                              \
  X(OWNERDEAD, 62)                                                             \
  X(PERM, 63)                                                                  \
  X(PIPE, 64)                                                                  \
  X(PROTO, 65)                                                                 \
  X(PROTONOSUPPORT, 66)                                                        \
  X(PROTOTYPE, 67)                                                             \
  X(RANGE, 68)                                                                 \
  X(ROFS, 69)                                                                  \
  X(SPIPE, 70)                                                                 \
  X(SRCH, 71)                                                                  \
  X(STALE, 72)                                                                 \
  X(TIMEDOUT, 73)                                                              \
  X(TXTBSY, 74)                                                                \
  X(XDEV, 75)

enum {
  WI_ESUCCESS = 0,
#define WI__X(name, v) WI_E##name = v,
  WI_ERRNO_MAP(WI__X)
#undef WI__X
      WI_ENOTCAPABLE = 76,
};

/* A path that leaves its base directory (absolute, ".." above the base,
 * a symlink leading out or an absolute symlink): PERM, which is what the
 * WASI path-resolution rules (wasi-filesystem's "not-permitted") and the
 * preview1 test suite ask for. NOTCAPABLE stays the error of a missing
 * right, so a guest can tell "outside the sandbox" from "not allowed on
 * this descriptor". */
#define WI_EESCAPE WI_EPERM

/* Not an errno: a host function's signal that the guest process ends
 * (proc_exit, a terminating proc_raise). The thunk turns it into
 * WR_TRAP_EXIT; ctx->exit_code holds the status. */
#define WI__EXIT 0x10000u

/* Host errno -> WASI errno; unknown values become EIO. */
uint32_t wi__errno(int host);
/* The errno's name without the E ("NOENT"), "SUCCESS", "NOTCAPABLE", or
 * NULL if v is not an errno. */
const char *wi__errno_name(uint32_t v);

/* ----------------------------------------------------- other ABI values */

enum {
  WI_FILETYPE_UNKNOWN = 0,
  WI_FILETYPE_BLOCK_DEVICE = 1,
  WI_FILETYPE_CHARACTER_DEVICE = 2,
  WI_FILETYPE_DIRECTORY = 3,
  WI_FILETYPE_REGULAR_FILE = 4,
  WI_FILETYPE_SOCKET_DGRAM = 5,
  WI_FILETYPE_SOCKET_STREAM = 6,
  WI_FILETYPE_SYMBOLIC_LINK = 7,
};

enum {
  WI_CLOCK_REALTIME = 0,
  WI_CLOCK_MONOTONIC = 1,
  WI_CLOCK_PROCESS_CPUTIME = 2,
  WI_CLOCK_THREAD_CPUTIME = 3,
};

enum { WI_WHENCE_SET = 0, WI_WHENCE_CUR = 1, WI_WHENCE_END = 2 };

enum { WI_ADVICE_NOREUSE = 5 }; /* normal..noreuse = 0..5 = POSIX_FADV_* */

enum {
  WI_FDFLAG_APPEND = 1 << 0,
  WI_FDFLAG_DSYNC = 1 << 1,
  WI_FDFLAG_NONBLOCK = 1 << 2,
  WI_FDFLAG_RSYNC = 1 << 3,
  WI_FDFLAG_SYNC = 1 << 4,
  WI_FDFLAG_ALL = 0x1f,
};

enum {
  WI_FST_ATIM = 1 << 0,
  WI_FST_ATIM_NOW = 1 << 1,
  WI_FST_MTIM = 1 << 2,
  WI_FST_MTIM_NOW = 1 << 3,
};

enum { WI_LOOKUP_SYMLINK_FOLLOW = 1 << 0 };

enum {
  WI_O_CREAT = 1 << 0,
  WI_O_DIRECTORY = 1 << 1,
  WI_O_EXCL = 1 << 2,
  WI_O_TRUNC = 1 << 3,
};

enum {
  WI_EVENT_CLOCK = 0,
  WI_EVENT_FD_READ = 1,
  WI_EVENT_FD_WRITE = 2,
};
enum { WI_EVENT_HANGUP = 1 << 0 };
enum { WI_SUBCLOCK_ABSTIME = 1 << 0 };

enum { WI_RI_PEEK = 1 << 0, WI_RI_WAITALL = 1 << 1 };
enum { WI_RO_TRUNCATED = 1 << 0 };
enum { WI_SD_RD = 1 << 0, WI_SD_WR = 1 << 1 };
enum { WI_PREOPEN_DIR = 0 };

/* Struct sizes of the wasm32 ABI (witx-computed). */
enum {
  WI_SIZEOF_IOVEC = 8,
  WI_SIZEOF_DIRENT = 24,
  WI_SIZEOF_FDSTAT = 24,
  WI_SIZEOF_FILESTAT = 64,
  WI_SIZEOF_PRESTAT = 8,
  WI_SIZEOF_EVENT = 32,
  WI_SIZEOF_SUBSCRIPTION = 48,
};

/* Rights (witx `rights`, u64). */
#define WI_RIGHTS_MAP(X)                                                       \
  X(FD_DATASYNC, 0)                                                            \
  X(FD_READ, 1)                                                                \
  X(FD_SEEK, 2)                                                                \
  X(FD_FDSTAT_SET_FLAGS, 3)                                                    \
  X(FD_SYNC, 4)                                                                \
  X(FD_TELL, 5)                                                                \
  X(FD_WRITE, 6)                                                               \
  X(FD_ADVISE, 7)                                                              \
  X(FD_ALLOCATE, 8)                                                            \
  X(PATH_CREATE_DIRECTORY, 9)                                                  \
  X(PATH_CREATE_FILE, 10)                                                      \
  X(PATH_LINK_SOURCE, 11)                                                      \
  X(PATH_LINK_TARGET, 12)                                                      \
  X(PATH_OPEN, 13)                                                             \
  X(FD_READDIR, 14)                                                            \
  X(PATH_READLINK, 15)                                                         \
  X(PATH_RENAME_SOURCE, 16)                                                    \
  X(PATH_RENAME_TARGET, 17)                                                    \
  X(PATH_FILESTAT_GET, 18)                                                     \
  X(PATH_FILESTAT_SET_SIZE, 19)                                                \
  X(PATH_FILESTAT_SET_TIMES, 20)                                               \
  X(FD_FILESTAT_GET, 21)                                                       \
  X(FD_FILESTAT_SET_SIZE, 22)                                                  \
  X(FD_FILESTAT_SET_TIMES, 23)                                                 \
  X(PATH_SYMLINK, 24)                                                          \
  X(PATH_REMOVE_DIRECTORY, 25)                                                 \
  X(PATH_UNLINK_FILE, 26)                                                      \
  X(POLL_FD_READWRITE, 27)                                                     \
  X(SOCK_SHUTDOWN, 28)                                                         \
  X(SOCK_ACCEPT, 29)

/* Every right fits an int (bit 29 is the highest), so an enum holds them. */
enum {
#define WI__X(name, bit) WI_R_##name = 1 << bit,
  WI_RIGHTS_MAP(WI__X)
#undef WI__X
};
#define WI_R_ALL ((1ull << 30) - 1)

/* Rights that apply to each kind of descriptor (path_open narrows the
 * requested rights to these). */
#define WI_RIGHTS_FILE                                                         \
  (WI_R_FD_DATASYNC | WI_R_FD_READ | WI_R_FD_SEEK | WI_R_FD_FDSTAT_SET_FLAGS | \
   WI_R_FD_SYNC | WI_R_FD_TELL | WI_R_FD_WRITE | WI_R_FD_ADVISE |              \
   WI_R_FD_ALLOCATE | WI_R_FD_FILESTAT_GET | WI_R_FD_FILESTAT_SET_SIZE |       \
   WI_R_FD_FILESTAT_SET_TIMES | WI_R_POLL_FD_READWRITE)
#define WI_RIGHTS_DIR                                                          \
  (WI_R_FD_FDSTAT_SET_FLAGS | WI_R_FD_SYNC | WI_R_FD_ADVISE |                  \
   WI_R_PATH_CREATE_DIRECTORY | WI_R_PATH_CREATE_FILE |                        \
   WI_R_PATH_LINK_SOURCE | WI_R_PATH_LINK_TARGET | WI_R_PATH_OPEN |            \
   WI_R_FD_READDIR | WI_R_PATH_READLINK | WI_R_PATH_RENAME_SOURCE |            \
   WI_R_PATH_RENAME_TARGET | WI_R_PATH_FILESTAT_GET |                          \
   WI_R_PATH_FILESTAT_SET_SIZE | WI_R_PATH_FILESTAT_SET_TIMES |                \
   WI_R_FD_FILESTAT_GET | WI_R_FD_FILESTAT_SET_TIMES | WI_R_PATH_SYMLINK |     \
   WI_R_PATH_REMOVE_DIRECTORY | WI_R_PATH_UNLINK_FILE |                        \
   WI_R_POLL_FD_READWRITE)
#define WI_RIGHTS_TTY                                                          \
  (WI_R_FD_READ | WI_R_FD_FDSTAT_SET_FLAGS | WI_R_FD_WRITE |                   \
   WI_R_FD_FILESTAT_GET | WI_R_POLL_FD_READWRITE)
#define WI_RIGHTS_SOCK                                                         \
  (WI_R_FD_READ | WI_R_FD_FDSTAT_SET_FLAGS | WI_R_FD_WRITE |                   \
   WI_R_FD_FILESTAT_GET | WI_R_POLL_FD_READWRITE | WI_R_SOCK_SHUTDOWN)
#define WI_RIGHTS_LISTEN                                                       \
  (WI_R_FD_FDSTAT_SET_FLAGS | WI_R_FD_FILESTAT_GET | WI_R_POLL_FD_READWRITE |  \
   WI_R_SOCK_ACCEPT)
/* What a read-only preopen keeps: reading, listing, stat, readlink. */
#define WI_RIGHTS_RO                                                           \
  (WI_R_FD_READ | WI_R_FD_SEEK | WI_R_FD_TELL | WI_R_FD_ADVISE |               \
   WI_R_FD_FDSTAT_SET_FLAGS | WI_R_PATH_OPEN | WI_R_FD_READDIR |               \
   WI_R_PATH_READLINK | WI_R_PATH_FILESTAT_GET | WI_R_FD_FILESTAT_GET |        \
   WI_R_POLL_FD_READWRITE)

/* -------------------------------------------------------- guest memory */

/* The caller's memory 0 for the duration of one host call. */
typedef struct wi_mem {
  uint8_t *base;
  uint64_t size;
} wi_mem;

/* Is [ptr, ptr+len) inside the memory? 64-bit sum: no overflow. */
static inline bool wi__mem_ok(const wi_mem *m, uint32_t ptr, uint64_t len) {
  return (uint64_t)ptr + len <= m->size;
}
/* Host address of a checked range (only after wi__mem_ok). */
static inline uint8_t *wi__mem_at(const wi_mem *m, uint32_t ptr) {
  return m->base + ptr;
}

/* Little-endian loads and stores, unaligned. */
static inline uint16_t wi__ld16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t wi__ld32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static inline uint64_t wi__ld64(const uint8_t *p) {
  return (uint64_t)wi__ld32(p) | (uint64_t)wi__ld32(p + 4) << 32;
}
static inline void wi__st16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void wi__st32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wi__st64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Checked stores of one result; FAULT if out of bounds. */
uint32_t wi__put32(const wi_mem *m, uint32_t ptr, uint32_t v);
uint32_t wi__put64(const wi_mem *m, uint32_t ptr, uint64_t v);

/* A gathered iovec/ciovec array, checked against the memory. At most
 * WI_IOV_MAX entries are used (a short transfer, as POSIX allows); the
 * total is capped so that it fits the u32 result. */
#define WI_IOV_MAX 1024
struct iovec;
uint32_t wi__iovs(const wi_mem *m, uint32_t iovs, uint32_t n, struct iovec *out,
                  int *out_n);

/* ------------------------------------------------------ fds and context */

enum {
  WI_KIND_FILE,   /* regular files, devices, pipes */
  WI_KIND_DIR,    /* directories (path_* base) */
  WI_KIND_SOCK,   /* connected stream socket */
  WI_KIND_LISTEN, /* listening socket (sock_accept) */
};

typedef struct wi_fd {
  int host; /* -1: the slot is free */
  uint8_t kind, type;
  uint16_t rsync; /* WI_FDFLAG_RSYNC if asked for (Linux has no O_RSYNC) */
  uint64_t base, inheriting; /* rights */
  char *preopen;             /* guest name of a preopen, else NULL */
  uint32_t preopen_len;
  DIR *dir;         /* fd_readdir stream, opened on first use */
  uint64_t dir_pos; /* index of the entry readdir(dir) returns next */
} wi_fd;

#define WI_FD_MAX 4096 /* guest fds per context */

struct wi_ctx {
  wi_fd *fds;
  uint32_t n_fds; /* slots allocated */
  char **argv, **env;
  uint32_t argc, n_env;
  size_t argv_bytes, env_bytes; /* sum of strlen + 1 */
  int ports[16];                /* local port per listening socket */
  uint32_t n_ports;
  bool exited;
  int32_t exit_code;
  int openat2;    /* 1 available, 0 not, -1 unknown (probe on first use) */
  void *bindings; /* link.c: one (ctx, row) env per wasi.def row */
};

/* The fd entry for a guest fd, or NULL (EBADF). */
wi_fd *wi__fd_get(wi_ctx *ctx, uint32_t fd);
/* Looks up fd and checks that it holds all of 'rights': BADF or
 * NOTCAPABLE. */
uint32_t wi__fd_check(wi_ctx *ctx, uint32_t fd, uint64_t rights, wi_fd **out);
/* Installs host fd 'host' in the lowest free slot (takes ownership: closes
 * it on failure). MFILE beyond WI_FD_MAX, NOMEM. */
uint32_t wi__fd_install(wi_ctx *ctx, int host, uint8_t kind, uint8_t type,
                        uint64_t base, uint64_t inheriting, uint32_t *out);
/* Closes the host side of a slot and frees it. */
void wi__fd_release(wi_fd *f);
/* WASI filetype of a host fd (S_IF* plus SO_TYPE for sockets). */
uint8_t wi__filetype_of_fd(int host);
uint8_t wi__filetype_of_mode(unsigned mode);

/* ------------------------------------------------------------- paths */

/* Testing hook: 1 forces the component-by-component resolver even where
 * openat2 exists, 0 restores the default. */
void wi__path_force_fallback(wi_ctx *ctx, bool on);

/* A path resolved beneath a directory fd: 'dir' (owned, O_PATH) is the
 * directory that holds the final component 'name', which is a single
 * component, never "..", and "." when the path names 'dir' itself. */
typedef struct wi_path {
  int dir;
  bool must_dir; /* the path ended in '/' */
  char name[256];
} wi_path;

/*
 * Reads the path at [ptr, ptr+len) of guest memory and resolves it beneath
 * base's host directory: absolute paths, ".." above the base and symlinks
 * that lead out (absolute, or climbing above the base) are WI_EESCAPE.
 * follow: expand a symlink in the final component too. On success p->dir
 * must be closed with wi__path_done.
 */
uint32_t wi__path_get(wi_ctx *ctx, const wi_mem *m, const wi_fd *base,
                      uint32_t ptr, uint32_t len, bool follow, wi_path *p);
/* The same for a host string (tests, path_open's fallback). */
uint32_t wi__path_resolve(wi_ctx *ctx, int base, const char *path, bool follow,
                          wi_path *p);
void wi__path_done(wi_path *p);
/* Copies a guest path to buf (NUL-terminated): FAULT, INVAL (NUL byte
 * inside), NAMETOOLONG (>= bufsize). */
uint32_t wi__path_copy(const wi_mem *m, uint32_t ptr, uint32_t len, char *buf,
                       size_t bufsize);
/* Opens 'path' beneath base with open(2) flags, all the way (openat2 with
 * RESOLVE_BENEATH, or the resolver plus O_NOFOLLOW). */
uint32_t wi__path_open_host(wi_ctx *ctx, int base, const char *path, int flags,
                            unsigned mode, bool follow, int *out);

/* ------------------------------------------------------------- clocks */

/* The host clock id of a WASI clock id, or -1. */
int wi__clock_host(uint32_t id);
/* Now on WASI clock id, in ns: INVAL for an unknown id. */
uint32_t wi__clock_now(uint32_t id, uint64_t *out);

/* ---------------------------------------------------- filestat helpers */

struct stat;

void wi__filestat_store(uint8_t *p, const struct stat *st);
/* fstflags -> two timespecs for futimens/utimensat: INVAL if a time is
 * both given and "now", or unknown bits are set. */
uint32_t wi__times(uint64_t atim, uint64_t mtim, uint32_t fst,
                   struct timespec *ts);

/* --------------------------------------------- generated from wasi.def */

#define WI__CT_I32 uint32_t
#define WI__CT_I64 uint64_t
#define WI__CAT_(a, b) a##b
#define WI__CAT(a, b) WI__CAT_(a, b)
#define WI__CTYPES_0()
#define WI__CTYPES_1(a) , WI__CT_##a
#define WI__CTYPES_2(a, b) WI__CTYPES_1(a), WI__CT_##b
#define WI__CTYPES_3(a, b, c) WI__CTYPES_2(a, b), WI__CT_##c
#define WI__CTYPES_4(a, b, c, d) WI__CTYPES_3(a, b, c), WI__CT_##d
#define WI__CTYPES_5(a, b, c, d, e) WI__CTYPES_4(a, b, c, d), WI__CT_##e
#define WI__CTYPES_6(a, b, c, d, e, f) WI__CTYPES_5(a, b, c, d, e), WI__CT_##f
#define WI__CTYPES_7(a, b, c, d, e, f, g)                                      \
  WI__CTYPES_6(a, b, c, d, e, f), WI__CT_##g
#define WI__CTYPES_8(a, b, c, d, e, f, g, h)                                   \
  WI__CTYPES_7(a, b, c, d, e, f, g), WI__CT_##h
#define WI__CTYPES_9(a, b, c, d, e, f, g, h, i)                                \
  WI__CTYPES_8(a, b, c, d, e, f, g, h), WI__CT_##i

/* uint32_t impl(wi_ctx *, const wi_mem * <, params>): a WASI errno, or
 * WI__EXIT. */
#define X(name, impl, n, params, res)                                          \
  uint32_t impl(wi_ctx *ctx, const wi_mem *m WI__CAT(WI__CTYPES_, n) params);
#include "wasi.def"
#undef X

/* One row of the link table. */
typedef uint32_t (*wi__thunk)(wi_ctx *ctx, const wi_mem *m, wr_val *vals);
typedef struct wi__fn {
  const char *name;
  uint8_t n_params, n_results;
  wr_meta_type type;
  wi__thunk thunk; /* returns 0 or WR_TRAP_EXIT */
} wi__fn;

extern const wi__fn wi__fns[];
extern const uint32_t wi__n_fns;
/* The row for a field name, or NULL. */
const wi__fn *wi__fn_find(const char *field, size_t len);

#endif
