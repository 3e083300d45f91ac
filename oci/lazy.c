/*
 * lazy.c: libcurl and libarchive are loaded on first use, not at process
 * start. Their dependency chains (TLS, Kerberos, LDAP, libxml2 and ICU:
 * 40-odd libraries) cost a cached `wasmaot run` most of its start-up time
 * although only pulls and layer unpacking need them (docs/cache.md,
 * "Start-up"). Each function oci/ calls is defined here as a stub that
 * dlopen()s the library once and jumps to the real function. The stubs are
 * weak: cache/ defines its own for the libarchive calls it makes, and a
 * program that links the real library still gets a working stub.
 */
#define CURL_DISABLE_TYPECHECK /* curl.h would make setopt a macro */
#include "internal.h"
#include "wa_lazy.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>

#ifndef WO_CURL_SONAME
#define WO_CURL_SONAME "libcurl.so.4"
#endif
#ifndef WO_ARCHIVE_SONAME
#define WO_ARCHIVE_SONAME "libarchive.so.13"
#endif

static wa_lazy_lib curl_lib = WA_LAZY_LIB(WO_CURL_SONAME);
static wa_lazy_lib archive_lib = WA_LAZY_LIB(WO_ARCHIVE_SONAME);

/* X(return type, name, (parameters), (arguments), failure value) */
#define WO_CURL_FUNCS(X, V)                                                    \
  V(curl_easy_cleanup, (CURL * h), (h))                                        \
  X(char *, curl_easy_escape, (CURL * h, const char *s, int n), (h, s, n),     \
    NULL)                                                                      \
  X(CURL *, curl_easy_init, (void), (), NULL)                                  \
  X(CURLcode, curl_easy_perform, (CURL * h), (h), CURLE_FAILED_INIT)           \
  X(const char *, curl_easy_strerror, (CURLcode c), (c), "libcurl not loaded") \
  V(curl_free, (void *p), (p))                                                 \
  X(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT)      \
  X(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * h), (m, h),           \
    CURLM_INTERNAL_ERROR)                                                      \
  X(CURLMcode, curl_multi_cleanup, (CURLM * m), (m), CURLM_INTERNAL_ERROR)     \
  X(CURLMsg *, curl_multi_info_read, (CURLM * m, int *n), (m, n), NULL)        \
  X(CURLM *, curl_multi_init, (void), (), NULL)                                \
  X(CURLMcode, curl_multi_perform, (CURLM * m, int *n), (m, n),                \
    CURLM_INTERNAL_ERROR)                                                      \
  X(CURLMcode, curl_multi_poll,                                                \
    (CURLM * m, struct curl_waitfd * fds, unsigned n, int ms, int *ret),       \
    (m, fds, n, ms, ret), CURLM_INTERNAL_ERROR)                                \
  X(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * h), (m, h),        \
    CURLM_INTERNAL_ERROR)                                                      \
  X(struct curl_slist *, curl_slist_append,                                    \
    (struct curl_slist * l, const char *s), (l, s), NULL)                      \
  V(curl_slist_free_all, (struct curl_slist * l), (l))

#define WO_ARCHIVE_FUNCS(X, V)                                                 \
  X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e), 0)   \
  V(archive_entry_free, (struct archive_entry * e), (e))                       \
  X(const char *, archive_entry_hardlink, (struct archive_entry * e), (e),     \
    NULL)                                                                      \
  X(time_t, archive_entry_mtime, (struct archive_entry * e), (e), 0)           \
  X(struct archive_entry *, archive_entry_new, (void), (), NULL)               \
  X(const char *, archive_entry_pathname, (struct archive_entry * e), (e),     \
    NULL)                                                                      \
  X(__LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e), 0)       \
  V(archive_entry_set_filetype, (struct archive_entry * e, unsigned t),        \
    (e, t))                                                                    \
  V(archive_entry_set_gid, (struct archive_entry * e, la_int64_t v), (e, v))   \
  V(archive_entry_set_hardlink, (struct archive_entry * e, const char *s),     \
    (e, s))                                                                    \
  V(archive_entry_set_mtime, (struct archive_entry * e, time_t t, long ns),    \
    (e, t, ns))                                                                \
  V(archive_entry_set_pathname, (struct archive_entry * e, const char *s),     \
    (e, s))                                                                    \
  V(archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m)) \
  V(archive_entry_set_size, (struct archive_entry * e, la_int64_t v), (e, v))  \
  V(archive_entry_set_symlink, (struct archive_entry * e, const char *s),      \
    (e, s))                                                                    \
  V(archive_entry_set_uid, (struct archive_entry * e, la_int64_t v), (e, v))   \
  X(la_int64_t, archive_entry_size, (struct archive_entry * e), (e), 0)        \
  X(int, archive_entry_size_is_set, (struct archive_entry * e), (e), 0)        \
  X(const char *, archive_entry_symlink, (struct archive_entry * e), (e),      \
    NULL)                                                                      \
  X(int, archive_errno, (struct archive * a), (a), 0)                          \
  X(const char *, archive_error_string, (struct archive * a), (a),             \
    "libarchive not loaded")                                                   \
  X(la_ssize_t, archive_read_data, (struct archive * a, void *p, size_t n),    \
    (a, p, n), -1)                                                             \
  X(int, archive_read_free, (struct archive * a), (a), ARCHIVE_FATAL)          \
  X(struct archive *, archive_read_new, (void), (), NULL)                      \
  X(int, archive_read_next_header,                                             \
    (struct archive * a, struct archive_entry * *e), (a, e), ARCHIVE_FATAL)    \
  X(int, archive_read_open_fd, (struct archive * a, int fd, size_t bs),        \
    (a, fd, bs), ARCHIVE_FATAL)                                                \
  X(int, archive_read_open_filename,                                           \
    (struct archive * a, const char *path, size_t bs), (a, path, bs),          \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_read_support_filter_gzip, (struct archive * a), (a),          \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_read_support_filter_zstd, (struct archive * a), (a),          \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_read_support_format_raw, (struct archive * a), (a),           \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_read_support_format_tar, (struct archive * a), (a),           \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_write_add_filter_gzip, (struct archive * a), (a),             \
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
  X(int, archive_write_open,                                                   \
    (struct archive * a, void *ud, archive_open_callback *o,                   \
     archive_write_callback *w, archive_close_callback *c),                    \
    (a, ud, o, w, c), ARCHIVE_FATAL)                                           \
  X(int, archive_write_open_fd, (struct archive * a, int fd), (a, fd),         \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_write_set_bytes_in_last_block, (struct archive * a, int n),   \
    (a, n), ARCHIVE_FATAL)                                                     \
  X(int, archive_write_set_filter_option,                                      \
    (struct archive * a, const char *m, const char *o, const char *v),         \
    (a, m, o, v), ARCHIVE_FATAL)                                               \
  X(int, archive_write_set_format_pax_restricted, (struct archive * a), (a),   \
    ARCHIVE_FATAL)                                                             \
  X(int, archive_write_set_format_raw, (struct archive * a), (a), ARCHIVE_FATAL)

#define CURL_X(ret, name, params, args, fail)                                  \
  WA_LAZY_STUB(curl_lib, ret, name, params, args, fail)
#define CURL_V(name, params, args) WA_LAZY_VSTUB(curl_lib, name, params, args)
#define ARCHIVE_X(ret, name, params, args, fail)                               \
  WA_LAZY_STUB(archive_lib, ret, name, params, args, fail)
#define ARCHIVE_V(name, params, args)                                          \
  WA_LAZY_VSTUB(archive_lib, name, params, args)

WO_CURL_FUNCS(CURL_X, CURL_V)
WO_ARCHIVE_FUNCS(ARCHIVE_X, ARCHIVE_V)

/* The variadic ones take one argument after the option; its type follows
 * from the option's range (curl.h's CURLOPTTYPE_* bases). */
__attribute__((weak)) CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...) {
  typedef CURLcode (*fn)(CURL *, CURLoption, ...);
  WA_LAZY_REAL(curl_lib, curl_easy_setopt)
  if (!f)
    return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, opt);
  CURLcode rc;
  if (opt < CURLOPTTYPE_OBJECTPOINT) {
    long v = va_arg(ap, long);
    rc = ((fn)f)(h, opt, v);
  } else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB) {
    curl_off_t v = va_arg(ap, curl_off_t);
    rc = ((fn)f)(h, opt, v);
  } else { /* object, string, list, callback data, blob and function
              pointers: all passed as one pointer-sized value */
    void *v = va_arg(ap, void *);
    rc = ((fn)f)(h, opt, v);
  }
  va_end(ap);
  return rc;
}

__attribute__((weak)) CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...) {
  typedef CURLcode (*fn)(CURL *, CURLINFO, ...);
  WA_LAZY_REAL(curl_lib, curl_easy_getinfo)
  if (!f)
    return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, info);
  void *out = va_arg(ap, void *); /* always a pointer to the result */
  va_end(ap);
  return ((fn)f)(h, info, out);
}

__attribute__((weak)) void archive_set_error(struct archive *a, int code,
                                             const char *fmt, ...) {
  typedef void (*fn)(struct archive *, int, const char *, ...);
  WA_LAZY_REAL(archive_lib, archive_set_error)
  if (!f)
    return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ((fn)f)(a, code, "%s", msg);
}
