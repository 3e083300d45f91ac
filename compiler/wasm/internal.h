/*
 * internal.h: shared by the files of compiler/wasm (prefix wm__). Fast
 * inline paths of the LEB128 readers, opcode lookup and the name-section
 * parser entry point. Nothing here is visible outside the module.
 */
#ifndef WM_INTERNAL_H
#define WM_INTERNAL_H

#include "wm.h"

/* Opcode lookup by encoding. The byte table holds op + 1, 0 for holes;
 * the prefixed lookups return WM_OP_COUNT when there is no opcode. */
extern const uint16_t wm__op_byte1[256];
wm_op wm__op_fc(uint32_t sub);
wm_op wm__op_fd(uint32_t sub);

/* Records WA_EMALFORMED at p (a pointer into r's bytes); returns it. */
int wm__malformed(const wm_reader *r, const uint8_t *p, wa_err *err,
                  const char *fmt, ...) WA_PRINTF(4, 5);

int wm__eof(const wm_reader *r, wa_err *err);

/* One-byte fast paths; the slow paths check every encoding rule. */
static inline int wm__u32(wm_reader *r, uint32_t *out, wa_err *err) {
  if (r->p < r->end && *r->p < 0x80) {
    *out = *r->p++;
    return 0;
  }
  return wm_read_u32(r, out, err);
}

static inline int wm__u8(wm_reader *r, uint8_t *out, wa_err *err) {
  if (r->p < r->end) {
    *out = *r->p++;
    return 0;
  }
  return wm__eof(r, err);
}

/* n raw bytes, borrowed from the module. */
int wm__bytes(wm_reader *r, uint32_t n, const uint8_t **out, wa_err *err);
/* vec(byte) holding valid UTF-8. */
int wm__name(wm_reader *r, wm_name *out, wa_err *err);
bool wm__utf8_valid(const uint8_t *p, size_t n);

/* A count followed by items of at least 'min_size' bytes each: rejects
 * counts the remaining bytes cannot hold, before anything is allocated. */
int wm__count(wm_reader *r, uint32_t min_size, uint32_t *out, wa_err *err);

/* Parses the name section [p, end) into m (which must have n_funcs set).
 * Malformed contents are not an error: what parsed is kept. Only running
 * out of memory fails (WA_ENOMEM). */
int wm__names_parse(wm_module *m, const uint8_t *p, const uint8_t *end,
                    wa_err *err);

/* Arena array of n items of 'size' bytes, zeroed; fails WA_ENOMEM. */
void *wm__alloc(wm_module *m, size_t n, size_t size, wa_err *err);

/* A valtype byte that the decoder accepts. */
static inline bool wm__valtype_ok(uint8_t t) {
  return (t >= WM_V128 && t <= WM_I32) || t == WM_FUNCREF ||
         t == WM_EXTERNREF;
}

#endif
