/*
 * instr.c: the instruction decoder shared by the validator, the constant
 * expression reader and the compiler. Checks encodings only (opcodes,
 * immediates, reserved bytes); typing is validate.c's job.
 */
#include "internal.h"

#include <string.h>

static int read_blocktype(wm_reader *r, wm_instr *out, wa_err *err) {
  if (r->p >= r->end)
    return wm__eof(r, err);
  uint8_t b = *r->p;
  if (b == 0x40) {
    r->p++;
    out->u.block.type_index = WM_BLOCK_EMPTY;
    return 0;
  }
  if (wm__valtype_ok(b)) {
    r->p++;
    out->u.block.type_index = WM_BLOCK_VALTYPE;
    out->u.block.valtype = b;
    return 0;
  }
  /* spec 5.4.1: otherwise a non-negative s33 type index. */
  const uint8_t *at = r->p;
  int64_t v;
  int rc = wm_read_s33(r, &v, err);
  if (rc)
    return rc;
  if (v < 0)
    return wm__malformed(r, at, err, "malformed block type 0x%02x", b);
  out->u.block.type_index = v;
  return 0;
}

static int read_memarg(wm_reader *r, wm_instr *out, wa_err *err) {
  const uint8_t *at = r->p;
  int rc = wm__u32(r, &out->u.mem.align, err);
  if (rc)
    return rc;
  /* Bit 6 would select a memory (multi-memory); 2.0 has no such encoding
   * and no alignment of 2^32 or more. */
  if (out->u.mem.align >= 32)
    return wm__malformed(r, at, err, "malformed memop flags %u",
                         out->u.mem.align);
  return wm__u32(r, &out->u.mem.offset, err);
}

static int zero_byte(wm_reader *r, wa_err *err) {
  uint8_t b = 0;
  int rc = wm__u8(r, &b, err);
  if (rc)
    return rc;
  if (b != 0)
    return wm__malformed(r, r->p - 1, err, "zero byte expected");
  return 0;
}

int wm_instr_next(wm_reader *r, wm_instr *out, wa_err *err) {
  const uint8_t *start = r->p;
  if (start >= r->end)
    return wm__eof(r, err);
  uint8_t b = *r->p++;
  wm_op op;
  if (b == 0xfc || b == 0xfd) {
    uint32_t sub;
    int rc = wm__u32(r, &sub, err);
    if (rc)
      return rc;
    op = b == 0xfc ? wm__op_fc(sub) : wm__op_fd(sub);
    if (op == WM_OP_COUNT)
      return wm__malformed(r, start, err, "illegal opcode 0x%02x 0x%x", b,
                           sub);
  } else {
    uint16_t e = wm__op_byte1[b];
    if (!e)
      return wm__malformed(r, start, err, "illegal opcode 0x%02x", b);
    op = (wm_op)(e - 1);
  }
  out->op = op;
  out->off = (uint32_t)(start - r->base);

  int rc = 0;
  const uint8_t *p;
  switch (wm_opinfos[op].imm) {
  case WM_IMM_NONE:
    break;
  case WM_IMM_BLOCK:
    rc = read_blocktype(r, out, err);
    break;
  case WM_IMM_LABEL:
  case WM_IMM_FUNC:
  case WM_IMM_LOCAL:
  case WM_IMM_GLOBAL:
  case WM_IMM_TABLE:
  case WM_IMM_DATA:
  case WM_IMM_ELEM:
    rc = wm__u32(r, &out->u.index, err);
    break;
  case WM_IMM_BR_TABLE: {
    uint32_t n, dummy;
    rc = wm__u32(r, &n, err);
    if (rc)
      break;
    out->u.br_table.n_targets = n;
    out->u.br_table.targets = r->p;
    /* Each target takes at least a byte: bounds the loop by the input. */
    if (n > (size_t)(r->end - r->p))
      return wm__eof(r, err);
    for (uint32_t i = 0; i < n && rc == 0; i++)
      rc = wm__u32(r, &dummy, err);
    if (rc == 0)
      rc = wm__u32(r, &out->u.br_table.default_target, err);
    break;
  }
  case WM_IMM_CALL_INDIRECT:
    rc = wm__u32(r, &out->u.call_indirect.type, err);
    if (rc == 0)
      rc = wm__u32(r, &out->u.call_indirect.table, err);
    break;
  case WM_IMM_MEMARG:
    rc = read_memarg(r, out, err);
    break;
  case WM_IMM_MEMARG_LANE:
    rc = read_memarg(r, out, err);
    if (rc == 0)
      rc = wm__u8(r, &out->u.mem.lane, err);
    break;
  case WM_IMM_MEMIDX:
    rc = zero_byte(r, err);
    break;
  case WM_IMM_MEM_INIT:
    rc = wm__u32(r, &out->u.pair.a, err);
    out->u.pair.b = 0;
    if (rc == 0)
      rc = zero_byte(r, err);
    break;
  case WM_IMM_MEM_COPY:
    rc = zero_byte(r, err);
    if (rc == 0)
      rc = zero_byte(r, err);
    break;
  case WM_IMM_TABLE_INIT:
  case WM_IMM_TABLE_COPY:
    rc = wm__u32(r, &out->u.pair.a, err);
    if (rc == 0)
      rc = wm__u32(r, &out->u.pair.b, err);
    break;
  case WM_IMM_I32:
    rc = wm_read_s32(r, &out->u.i32, err);
    break;
  case WM_IMM_I64:
    rc = wm_read_s64(r, &out->u.i64, err);
    break;
  case WM_IMM_F32:
    rc = wm__bytes(r, 4, &p, err);
    if (rc == 0)
      out->u.f32 = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    break;
  case WM_IMM_F64:
    rc = wm__bytes(r, 8, &p, err);
    if (rc == 0) {
      uint64_t v = 0;
      for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
      out->u.f64 = v;
    }
    break;
  case WM_IMM_V128:
    rc = wm__bytes(r, 16, &p, err);
    if (rc == 0)
      memcpy(out->u.v128, p, 16);
    break;
  case WM_IMM_LANE:
    rc = wm__u8(r, &out->u.lane, err);
    break;
  case WM_IMM_SHUFFLE:
    rc = wm__bytes(r, 16, &p, err);
    if (rc == 0)
      memcpy(out->u.shuffle, p, 16);
    break;
  case WM_IMM_SELECT_T: {
    uint32_t n;
    rc = wm__u32(r, &n, err);
    if (rc)
      break;
    rc = wm__bytes(r, n, &p, err);
    if (rc)
      break;
    for (uint32_t i = 0; i < n; i++)
      if (!wm__valtype_ok(p[i]))
        return wm__malformed(r, p + i, err, "malformed value type 0x%02x",
                             p[i]);
    out->u.select_t.n = n;
    out->u.select_t.types = p;
    break;
  }
  case WM_IMM_REFTYPE:
    rc = wm__u8(r, &out->u.reftype, err);
    if (rc == 0 && !wm_is_reftype(out->u.reftype))
      return wm__malformed(r, r->p - 1, err,
                           "malformed reference type 0x%02x",
                           out->u.reftype);
    break;
  default:
    return wa_fail(err, WA_EINTERNAL, out->off, "opcode %s has no reader",
                   wm_opinfos[op].text);
  }
  return rc;
}

uint32_t wm_br_table_next(const uint8_t **cursor) {
  const uint8_t *p = *cursor;
  uint32_t v = 0;
  unsigned shift = 0;
  for (;;) {
    uint8_t b = *p++;
    v |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80) || shift >= 28)
      break;
    shift += 7;
  }
  *cursor = p;
  return v;
}
