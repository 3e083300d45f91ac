/*
 * err.c: the wa_err convention. Messages live in fixed buffers so that a
 * failure can be reported without allocating; nothing here calls malloc.
 */
#include "wa.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const err_names[] = {
#define WA__X(name, text) "WA_E" #name,
    WA_ERR_MAP(WA__X)
#undef WA__X
};

static const char *const err_texts[] = {
#define WA__X(name, text) text,
    WA_ERR_MAP(WA__X)
#undef WA__X
};

void wa_err_init(wa_err *e) {
  e->code = 0;
  e->off = WA_NOOFF;
  e->what[0] = 0;
  e->msg[0] = 0;
}

int wa_vfail(wa_err *e, int code, uint64_t off, const char *fmt, va_list ap) {
  if (e->code != 0)
    return e->code;
  e->code = code;
  e->off = off;
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  return code;
}

int wa_fail(wa_err *e, int code, uint64_t off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = wa_vfail(e, code, off, fmt, ap);
  va_end(ap);
  return rc;
}

int wa_fail_errno(wa_err *e, int code, const char *fmt, ...) {
  int saved = errno;
  if (e->code != 0)
    return e->code;
  va_list ap;
  va_start(ap, fmt);
  wa_vfail(e, code, WA_NOOFF, fmt, ap);
  va_end(ap);
  size_t n = strlen(e->msg);
  snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(saved));
  return code;
}

void wa_err_where(wa_err *e, const char *what) {
  if (e->what[0] == 0 && what)
    snprintf(e->what, sizeof e->what, "%s", what);
}

void wa_err_wrap(wa_err *e, const char *fmt, ...) {
  char prefix[sizeof e->msg];
  char old[sizeof e->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, e->msg, sizeof old);
  /* Truncation is acceptable: the tail of a long chain matters least. */
  size_t n = strlen(prefix);
  memcpy(e->msg, prefix, n + 1);
  if (n < sizeof e->msg - 1) {
    size_t room = sizeof e->msg - 1 - n, len = strnlen(old, room);
    memcpy(e->msg + n, old, len);
    e->msg[n + len] = 0;
  }
}

const char *wa_err_name(int code) {
  if (code == 0)
    return "WA_OK";
  int i = -code - 1;
  if (i < 0 || i >= WA__ECOUNT)
    return "WA_E?";
  return err_names[i];
}

const char *wa_err_text(int code) {
  if (code == 0)
    return "ok";
  int i = -code - 1;
  if (i < 0 || i >= WA__ECOUNT)
    return "unknown error";
  return err_texts[i];
}

const char *wa_err_format(const wa_err *e, char *buf, size_t n) {
  const char *msg = e->msg[0] ? e->msg : wa_err_text(e->code);
  if (e->what[0] && e->off != WA_NOOFF)
    snprintf(buf, n, "%s: byte 0x%llx (%llu): %s", e->what,
             (unsigned long long)e->off, (unsigned long long)e->off, msg);
  else if (e->what[0])
    snprintf(buf, n, "%s: %s", e->what, msg);
  else if (e->off != WA_NOOFF)
    snprintf(buf, n, "byte 0x%llx (%llu): %s", (unsigned long long)e->off,
             (unsigned long long)e->off, msg);
  else
    snprintf(buf, n, "%s", msg);
  return buf;
}

int wa_strlcpy(char *dst, const char *src, size_t n) {
  int w = snprintf(dst, n, "%s", src);
  return (w < 0 || (size_t)w >= n) ? -1 : 0;
}
