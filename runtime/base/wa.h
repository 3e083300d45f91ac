/*
 * wa.h: the base layer every wasmaot module builds on (prefix wa_).
 * Owns the error convention, the allocator hook, arenas, growable buffers,
 * SHA-256 and atomic file publication. Depends on libc only.
 */
#ifndef WA_H
#define WA_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define WA_MUST_CHECK __attribute__((warn_unused_result))
#define WA_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WA_NORETURN __attribute__((noreturn))
#else
#define WA_MUST_CHECK
#define WA_PRINTF(f, a)
#define WA_NORETURN
#endif

/* ---------------------------------------------------------------- errors */

/* One row per error code: name, text. Codes are negative, 0 is success. */
#define WA_ERR_MAP(X)                                                          \
  X(MALFORMED, "malformed input")                                              \
  X(INVALID, "invalid module")                                                 \
  X(UNSUPPORTED, "unsupported feature")                                        \
  X(NOMEM, "out of memory")                                                    \
  X(IO, "i/o error")                                                           \
  X(DIGEST, "digest mismatch")                                                 \
  X(UNTRUSTED, "untrusted native code")                                        \
  X(CORRUPT, "corrupt data")                                                   \
  X(ESCAPE, "path escapes its root")                                           \
  X(MISMATCH, "artifact does not match this host")                             \
  X(TRAP, "wasm trap")                                                         \
  X(CODEGEN, "code generation failed")                                         \
  X(NETWORK, "network request failed")                                         \
  X(NOTFOUND, "not found")                                                     \
  X(BUSY, "resource busy")                                                     \
  X(LINK, "link error")                                                        \
  X(USAGE, "usage error")                                                      \
  X(EXISTS, "already exists")                                                  \
  X(PERM, "permission denied")                                                 \
  X(LIMIT, "limit exceeded")                                                   \
  X(INTERNAL, "internal error")

enum {
#define WA__X(name, text) WA__EIDX_##name,
  WA_ERR_MAP(WA__X)
#undef WA__X
      WA__ECOUNT
};

enum {
  WA_OK = 0,
#define WA__X(name, text) WA_E##name = -(WA__EIDX_##name + 1),
  WA_ERR_MAP(WA__X)
#undef WA__X
};

#define WA_NOOFF UINT64_MAX

/*
 * The error every fallible call fills. Fixed buffers, so reporting works
 * when memory is exhausted and on the way back from a signal. The first
 * failure wins: later wa_fail calls keep the original cause.
 */
typedef struct wa_err {
  int code;       /* 0, or a negative WA_E* value */
  uint64_t off;   /* byte offset into 'what', or WA_NOOFF */
  char what[192]; /* the file, digest or section that 'off' indexes */
  char msg[320];  /* one sentence, lower case, no trailing newline */
} wa_err;

void wa_err_init(wa_err *e);

/* Records code, offset and message unless an error is already set.
 * Returns the error code now held by e (so `return wa_fail(...)` works). */
int wa_fail(wa_err *e, int code, uint64_t off, const char *fmt, ...)
    WA_PRINTF(4, 5);
int wa_vfail(wa_err *e, int code, uint64_t off, const char *fmt, va_list ap);

/* As wa_fail, then appends ": strerror(errno)" (errno read on entry). */
int wa_fail_errno(wa_err *e, int code, const char *fmt, ...) WA_PRINTF(3, 4);

/* Sets 'what' if it is still empty. */
void wa_err_where(wa_err *e, const char *what);

/* Prepends context to the message: "pulling x: " + old message. */
void wa_err_wrap(wa_err *e, const char *fmt, ...) WA_PRINTF(2, 3);

/* "WA_EDIGEST" and "digest mismatch" for a code; "WA_OK"/"ok" for 0. */
const char *wa_err_name(int code);
const char *wa_err_text(int code);

/* Formats "what: byte 0x1a (26): msg" (parts omitted when unset) into buf;
 * returns buf. */
const char *wa_err_format(const wa_err *e, char *buf, size_t n);

/* ------------------------------------------------------------- allocation */

/* All heap memory of wasmaot goes through these, so a test can fail the n-th
 * allocation (wa_alloc_fail_after) and check that nothing leaks. */
void *wa_malloc(size_t n);
void *wa_calloc(size_t count, size_t size);
void *wa_realloc(void *p, size_t n);
void wa_free(void *p);
char *wa_strndup(const char *s, size_t n);

/* Test hook: the n-th allocation from now fails (n == 0 fails the next one);
 * a negative n turns injection off. Not thread-safe; tests only. */
void wa_alloc_fail_after(long n);

/* ------------------------------------------------------------------ arena */

/* A bump allocator for memory that dies together (module IR, scratch). */
typedef struct wa_arena_chunk wa_arena_chunk;
typedef struct wa_arena {
  wa_arena_chunk *head;
  size_t chunk_size;
} wa_arena;

void wa_arena_init(wa_arena *a, size_t chunk_size);
/* Returns zeroed, 16-byte aligned memory, or NULL when out of memory. */
void *wa_arena_alloc(wa_arena *a, size_t n);
/* Copies n bytes into the arena and NUL-terminates the copy. */
char *wa_arena_strndup(wa_arena *a, const char *s, size_t n);
void wa_arena_reset(wa_arena *a); /* keeps the first chunk */
void wa_arena_free(wa_arena *a);

/* -------------------------------------------------------------------- buf */

typedef struct wa_buf {
  uint8_t *data;
  size_t len, cap;
} wa_buf;

void wa_buf_init(wa_buf *b);
int wa_buf_reserve(wa_buf *b, size_t extra, wa_err *err) WA_MUST_CHECK;
int wa_buf_append(wa_buf *b, const void *p, size_t n,
                  wa_err *err) WA_MUST_CHECK;
int wa_buf_printf(wa_buf *b, wa_err *err, const char *fmt, ...)
    WA_PRINTF(3, 4) WA_MUST_CHECK;
/* Appends n zero bytes; zeros up to the next multiple of align (> 0). */
int wa_buf_zeros(wa_buf *b, size_t n, wa_err *err) WA_MUST_CHECK;
int wa_buf_align(wa_buf *b, uint64_t align, wa_err *err) WA_MUST_CHECK;
/* Little-endian fixed-width and LEB128 writers. */
int wa_buf_u8(wa_buf *b, uint8_t v, wa_err *err) WA_MUST_CHECK;
int wa_buf_u32le(wa_buf *b, uint32_t v, wa_err *err) WA_MUST_CHECK;
int wa_buf_u64le(wa_buf *b, uint64_t v, wa_err *err) WA_MUST_CHECK;
int wa_buf_uleb(wa_buf *b, uint64_t v, wa_err *err) WA_MUST_CHECK;
int wa_buf_sleb(wa_buf *b, int64_t v, wa_err *err) WA_MUST_CHECK;
/* Hands the bytes to the caller (who frees them with wa_free). */
uint8_t *wa_buf_take(wa_buf *b, size_t *out_len);
void wa_buf_free(wa_buf *b);

/* ----------------------------------------------------------------- sha256 */

typedef struct wa_sha256 {
  uint32_t h[8];
  uint64_t n;
  uint8_t block[64];
  size_t fill;
} wa_sha256;

void wa_sha256_init(wa_sha256 *s);
void wa_sha256_update(wa_sha256 *s, const void *p, size_t n);
void wa_sha256_final(wa_sha256 *s, uint8_t out[32]);
void wa_sha256_once(const void *p, size_t n, uint8_t out[32]);

/* Lower-case hex of n bytes into out (2n+1 bytes with the NUL). */
void wa_hex(const uint8_t *in, size_t n, char *out);
/* Parses exactly 2n hex digits; returns 0 or -1. */
int wa_unhex(const char *in, uint8_t *out, size_t n);

/* ------------------------------------------------------------------- file */

/* Reads a whole file into a wa_malloc'd buffer (caller frees). */
int wa_file_read(const char *path, uint8_t **out, size_t *out_len,
                 wa_err *err) WA_MUST_CHECK;

/* A read-only private mapping of a whole file. */
typedef struct wa_map {
  const uint8_t *data;
  size_t len;
} wa_map;
int wa_file_map(const char *path, wa_map *out, wa_err *err) WA_MUST_CHECK;
int wa_file_map_fd(int fd, const char *what, wa_map *out,
                   wa_err *err) WA_MUST_CHECK;
/* The same given fd's status, when the caller has just taken it. */
struct stat;
int wa_file_map_stat(int fd, const struct stat *st, const char *what,
                     wa_map *out, wa_err *err) WA_MUST_CHECK;
void wa_file_unmap(wa_map *m);

/*
 * Writes data to path atomically: a temp file in the same directory, fsync,
 * rename, fsync of the directory. Readers see the old file or the whole new
 * one, never a part. On failure the temp file is removed.
 */
int wa_file_publish(const char *path, const void *data, size_t len,
                    unsigned mode, wa_err *err) WA_MUST_CHECK;

/* mkdir -p with the given mode for each created directory. */
int wa_mkdirs(const char *path, unsigned mode, wa_err *err) WA_MUST_CHECK;

/* Copies src to dst with snprintf semantics; returns -1 if truncated. */
int wa_strlcpy(char *dst, const char *src, size_t n);

/* ------------------------------------------------------------ process */

/*
 * The two services a fully static program cannot offer, each behind one
 * seam in its own file so that the static `wasmaot` front (launcher/
 * front.c) can define them instead and never link glibc's dlopen or NSS.
 * dl.c: dlopen(path, RTLD_NOW | RTLD_LOCAL), dlsym, dlclose; wa_dl_error
 * says why the last call failed.
 */
void *wa_dl_open(const char *path);
void *wa_dl_sym(void *handle, const char *name);
void wa_dl_close(void *handle);
/* NULL when the failure needs no report (the static front handles it). */
const char *wa_dl_error(void);
/* home.c: the effective user's home directory: $HOME when set and not
 * empty, else the password database's; NULL if neither says. */
const char *wa_home_dir(char *buf, size_t n);

#endif
