/*
 * lazy.c: libarchive is loaded on first use (`cache export|import`), not at
 * process start: its dependency chain (libxml2, ICU, compression
 * libraries) would cost every cached `wasmaot run`. The functions cache/
 * calls are weak stubs that dlopen() the library once and jump to the real
 * function; oci/lazy.c defines the same stubs for oci/ (whichever is linked
 * first serves both), and a program linking the real library still gets a
 * working stub.
 */
#include "internal.h"
#include "wa_lazy.h"

#include <archive.h>
#include <archive_entry.h>

#ifndef WK_ARCHIVE_SONAME
#define WK_ARCHIVE_SONAME "libarchive.so.13"
#endif

static wa_lazy_lib archive = WA_LAZY_LIB(WK_ARCHIVE_SONAME);

/* X(return type, name, (parameters), (arguments), failure value) and
 * V(name, (parameters), (arguments)) for functions returning nothing. */
#define WK_ARCHIVE_FUNCS(X, V)                                                 \
  X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e), 0)   \
  V(archive_entry_free, (struct archive_entry * e), (e))                       \
  X(struct archive_entry *, archive_entry_new, (void), (), NULL)               \
  X(const char *, archive_entry_pathname, (struct archive_entry * e), (e),     \
    NULL)                                                                      \
  V(archive_entry_set_filetype, (struct archive_entry * e, unsigned t),        \
    (e, t))                                                                    \
  V(archive_entry_set_mtime, (struct archive_entry * e, time_t t, long ns),    \
    (e, t, ns))                                                                \
  V(archive_entry_set_pathname, (struct archive_entry * e, const char *s),     \
    (e, s))                                                                    \
  V(archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m)) \
  V(archive_entry_set_size, (struct archive_entry * e, la_int64_t v), (e, v))  \
  X(la_int64_t, archive_entry_size, (struct archive_entry * e), (e), 0)        \
  X(int, archive_entry_size_is_set, (struct archive_entry * e), (e), 0)        \
  X(int, archive_errno, (struct archive * a), (a), 0)                          \
  X(const char *, archive_error_string, (struct archive * a), (a),             \
    "libarchive not loaded")                                                   \
  X(la_ssize_t, archive_read_data, (struct archive * a, void *p, size_t n),    \
    (a, p, n), -1)                                                             \
  X(int, archive_read_free, (struct archive * a), (a), ARCHIVE_FATAL)          \
  X(struct archive *, archive_read_new, (void), (), NULL)                      \
  X(int, archive_read_next_header,                                             \
    (struct archive * a, struct archive_entry * *e), (a, e), ARCHIVE_FATAL)    \
  X(int, archive_read_open_filename,                                           \
    (struct archive * a, const char *path, size_t bs), (a, path, bs),          \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_read_support_filter_zstd, (struct archive * a), (a),          \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_read_support_format_tar, (struct archive * a), (a),           \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_write_add_filter_zstd, (struct archive * a), (a),             \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_write_close, (struct archive * a), (a), ARCHIVE_FATAL)        \
  X(la_ssize_t, archive_write_data,                                            \
    (struct archive * a, const void *p, size_t n), (a, p, n), -1)              \
  X(int, archive_write_free, (struct archive * a), (a), ARCHIVE_FATAL)         \
  X(int, archive_write_header, (struct archive * a, struct archive_entry * e), \
    (a, e), ARCHIVE_FATAL)                                                     \
  X(struct archive *, archive_write_new, (void), (), NULL)                     \
  X(int, archive_write_open_fd, (struct archive * a, int fd), (a, fd),         \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_write_set_format_pax_restricted, (struct archive * a), (a),   \
    ARCHIVE_FATAL)

#define WK__X(ret, name, params, args, fail)                                   \
  WA_LAZY_STUB(archive, ret, name, params, args, fail)
#define WK__V(name, params, args) WA_LAZY_VSTUB(archive, name, params, args)

WK_ARCHIVE_FUNCS(WK__X, WK__V)
