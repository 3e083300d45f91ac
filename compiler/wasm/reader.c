/*
 * reader.c: bounds-checked reads over module bytes: LEB128 integers with
 * the spec's size and unused-bit rules (spec 5.2.2), vectors, names and
 * UTF-8. Every error is WA_EMALFORMED with the module offset.
 */
#include "internal.h"

#include <stdarg.h>

int wm__malformed(const wm_reader *r, const uint8_t *p, wa_err *err,
                  const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = wa_vfail(err, WA_EMALFORMED, (uint64_t)(p - r->base), fmt, ap);
  va_end(ap);
  return rc;
}

int wm__eof(const wm_reader *r, wa_err *err) {
  return wm__malformed(r, r->p, err, "unexpected end");
}

int wm_read_u8(wm_reader *r, uint8_t *out, wa_err *err) {
  return wm__u8(r, out, err);
}

int wm_read_u32(wm_reader *r, uint32_t *out, wa_err *err) {
  const uint8_t *p = r->p;
  uint32_t v = 0;
  for (unsigned i = 0;; i++) {
    if (p >= r->end)
      return wm__malformed(r, p, err, "unexpected end");
    uint8_t b = *p++;
    if (i == 4) {
      if (b & 0x80)
        return wm__malformed(r, r->p, err,
                             "integer representation too long");
      /* Only 4 bits of the fifth byte fit in 32 bits. */
      if (b & 0x70)
        return wm__malformed(r, r->p, err, "integer too large");
    }
    v |= (uint32_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80))
      break;
  }
  r->p = p;
  *out = v;
  return 0;
}

/* Signed LEB128 of at most 'bits' bits: the last byte's unused bits must
 * all equal the sign bit (spec 5.2.2, "sN"). */
static int read_sleb(wm_reader *r, unsigned bits, int64_t *out,
                     wa_err *err) {
  const uint8_t *p = r->p;
  unsigned max = (bits + 6) / 7, shift = 0;
  uint64_t v = 0;
  for (unsigned i = 0;; i++) {
    if (p >= r->end)
      return wm__malformed(r, p, err, "unexpected end");
    uint8_t b = *p++;
    if (i == max - 1) {
      if (b & 0x80)
        return wm__malformed(r, r->p, err,
                             "integer representation too long");
      unsigned used = bits - 7 * i; /* value bits in this byte */
      uint8_t rest = (uint8_t)(0x7f & ~((1u << used) - 1));
      uint8_t want = ((b >> (used - 1)) & 1) ? rest : 0;
      if ((b & rest) != want)
        return wm__malformed(r, r->p, err, "integer too large");
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) {
      if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
      break;
    }
  }
  r->p = p;
  *out = (int64_t)v;
  return 0;
}

int wm_read_s32(wm_reader *r, int32_t *out, wa_err *err) {
  if (r->p < r->end && *r->p < 0x80) {
    uint8_t b = *r->p++;
    *out = (b & 0x40) ? (int32_t)b - 0x80 : (int32_t)b;
    return 0;
  }
  int64_t v;
  int rc = read_sleb(r, 32, &v, err);
  if (rc == 0)
    *out = (int32_t)v;
  return rc;
}

int wm_read_s33(wm_reader *r, int64_t *out, wa_err *err) {
  return read_sleb(r, 33, out, err);
}

int wm_read_s64(wm_reader *r, int64_t *out, wa_err *err) {
  if (r->p < r->end && *r->p < 0x80) {
    uint8_t b = *r->p++;
    *out = (b & 0x40) ? (int64_t)b - 0x80 : (int64_t)b;
    return 0;
  }
  return read_sleb(r, 64, out, err);
}

int wm__bytes(wm_reader *r, uint32_t n, const uint8_t **out, wa_err *err) {
  if ((size_t)(r->end - r->p) < n)
    return wm__malformed(r, r->p, err, "unexpected end");
  *out = r->p;
  r->p += n;
  return 0;
}

int wm__count(wm_reader *r, uint32_t min_size, uint32_t *out, wa_err *err) {
  const uint8_t *at = r->p;
  int rc = wm__u32(r, out, err);
  if (rc)
    return rc;
  if ((uint64_t)*out * min_size > (uint64_t)(r->end - r->p))
    return wm__malformed(r, at, err,
                         "count %u is larger than the remaining %zu bytes "
                         "can hold",
                         *out, (size_t)(r->end - r->p));
  return 0;
}

/* spec 5.2.4: UTF-8 as in Unicode 3.9, so no overlong forms, no
 * surrogates and nothing above U+10FFFF. */
bool wm__utf8_valid(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = p[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    unsigned len;
    uint32_t cp, min;
    if ((b & 0xe0) == 0xc0) {
      len = 2, cp = b & 0x1fu, min = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
      len = 3, cp = b & 0x0fu, min = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
      len = 4, cp = b & 0x07u, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len)
      return false;
    for (unsigned k = 1; k < len; k++) {
      uint8_t c = p[i + k];
      if ((c & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (c & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

int wm__name(wm_reader *r, wm_name *out, wa_err *err) {
  uint32_t n;
  const uint8_t *at = r->p, *bytes;
  int rc = wm__u32(r, &n, err);
  if (rc)
    return rc;
  if ((size_t)(r->end - r->p) < n)
    return wm__malformed(r, at, err,
                         "name of %u bytes runs past the end (length out "
                         "of bounds)",
                         n);
  rc = wm__bytes(r, n, &bytes, err);
  if (rc)
    return rc;
  if (!wm__utf8_valid(bytes, n))
    return wm__malformed(r, bytes, err, "malformed UTF-8 encoding");
  out->ptr = (const char *)bytes;
  out->len = n;
  return 0;
}
