/*
 * buf.c: growable byte buffers with checked appends and LEB128 writers.
 */
#include "wa.h"

#include <stdio.h>
#include <string.h>

void wa_buf_init(wa_buf *b) {
  b->data = NULL;
  b->len = b->cap = 0;
}

int wa_buf_reserve(wa_buf *b, size_t extra, wa_err *err) {
  if (extra <= b->cap - b->len)
    return 0;
  if (extra > SIZE_MAX / 2 - b->len)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "buffer size overflow");
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra)
    cap *= 2;
  uint8_t *p = wa_realloc(b->data, cap);
  if (!p)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF,
                   "out of memory growing a buffer to %zu bytes", cap);
  b->data = p;
  b->cap = cap;
  return 0;
}

int wa_buf_append(wa_buf *b, const void *p, size_t n, wa_err *err) {
  if (n == 0)
    return 0;
  int rc = wa_buf_reserve(b, n, err);
  if (rc)
    return rc;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

int wa_buf_printf(wa_buf *b, wa_err *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "bad format string");
  int rc = wa_buf_reserve(b, (size_t)n + 1, err);
  if (rc)
    return rc;
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

int wa_buf_zeros(wa_buf *b, size_t n, wa_err *err) {
  int rc = wa_buf_reserve(b, n, err);
  if (rc)
    return rc;
  memset(b->data + b->len, 0, n);
  b->len += n;
  return 0;
}

int wa_buf_align(wa_buf *b, uint64_t align, wa_err *err) {
  return wa_buf_zeros(b, (size_t)((align - b->len % align) % align), err);
}

int wa_buf_u8(wa_buf *b, uint8_t v, wa_err *err) {
  return wa_buf_append(b, &v, 1, err);
}

int wa_buf_u32le(wa_buf *b, uint32_t v, wa_err *err) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                  (uint8_t)(v >> 24)};
  return wa_buf_append(b, x, 4, err);
}

int wa_buf_u64le(wa_buf *b, uint64_t v, wa_err *err) {
  int rc = wa_buf_u32le(b, (uint32_t)v, err);
  return rc ? rc : wa_buf_u32le(b, (uint32_t)(v >> 32), err);
}

int wa_buf_uleb(wa_buf *b, uint64_t v, wa_err *err) {
  uint8_t x[10];
  size_t n = 0;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    x[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
  } while (v);
  return wa_buf_append(b, x, n, err);
}

int wa_buf_sleb(wa_buf *b, int64_t v, wa_err *err) {
  uint8_t x[10];
  size_t n = 0;
  for (;;) {
    uint8_t byte = (uint8_t)(v & 0x7f);
    v >>= 7; /* arithmetic shift: gcc and clang guarantee it */
    int done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    x[n++] = (uint8_t)(byte | (done ? 0 : 0x80));
    if (done)
      break;
  }
  return wa_buf_append(b, x, n, err);
}

uint8_t *wa_buf_take(wa_buf *b, size_t *out_len) {
  uint8_t *p = b->data;
  if (out_len)
    *out_len = b->len;
  wa_buf_init(b);
  return p;
}

void wa_buf_free(wa_buf *b) {
  wa_free(b->data);
  wa_buf_init(b);
}
