/*
 * test_opinfo.c: the opcode table (opinfo.c expanding opcodes.def) and the
 * instruction decoder (instr.c): every row round-trips through the
 * decoder, immediates come out as the compiler expects them.
 */
#include "wm.h"

#include <criterion/criterion.h>
#include <string.h>

Test(wasm_opinfo, every_opcode_decodes_back_to_itself) {
  for (int op = 0; op < WM_OP_COUNT; op++) {
    const wm_opinfo *o = &wm_opinfos[op];
    uint8_t b[64] = {0};
    size_t n = 0;
    if (o->prefix) {
      b[n++] = o->prefix;
      uint32_t c = o->code;
      do {
        uint8_t byte = c & 0x7f;
        c >>= 7;
        b[n++] = (uint8_t)(byte | (c ? 0x80 : 0));
      } while (c);
    } else {
      b[n++] = (uint8_t)o->code;
    }
    /* Immediates: zeros decode for every kind except these. */
    if (o->imm == WM_IMM_BLOCK)
      b[n] = 0x40;
    else if (o->imm == WM_IMM_REFTYPE)
      b[n] = 0x70;
    wm_reader r = {b, b, b + sizeof b};
    wm_instr in;
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(wm_instr_next(&r, &in, &err), 0, "%s: %s", o->text,
                 err.msg);
    cr_assert_eq(in.op, (wm_op)op, "%s decoded as %s", o->text,
                 wm_opinfos[in.op].text);
    cr_assert_eq(in.off, 0);
  }
}

Test(wasm_opinfo, signatures_use_valtypes_only) {
  for (int op = 0; op < WM_OP_COUNT; op++) {
    const wm_opinfo *o = &wm_opinfos[op];
    cr_assert(o->result == 0 || wm_is_valtype(o->result), "%s", o->text);
    for (int i = 0; i < 3; i++)
      cr_assert(o->params[i] == 0 || wm_is_valtype(o->params[i]), "%s",
                o->text);
    if (o->imm == WM_IMM_MEMARG || o->imm == WM_IMM_MEMARG_LANE)
      cr_assert(o->size == 1 || o->size == 2 || o->size == 4 ||
                    o->size == 8 || o->size == 16,
                "%s access size %u", o->text, o->size);
    if (o->imm == WM_IMM_LANE)
      cr_assert(o->size == 2 || o->size == 4 || o->size == 8 ||
                    o->size == 16,
                "%s lanes %u", o->text, o->size);
  }
  cr_assert_str_eq(wm_opinfos[WM_OP_I32_ADD].text, "i32.add");
  cr_assert_eq(wm_opinfos[WM_OP_V128_LOAD64_LANE].size, 8);
}

static wm_instr decode1(const uint8_t *b, size_t n, int want_rc) {
  wm_reader r = {b, b, b + n};
  wm_instr in;
  memset(&in, 0, sizeof in);
  wa_err err;
  wa_err_init(&err);
  int rc = wm_instr_next(&r, &in, &err);
  cr_assert_eq(rc, want_rc, "%s", err.msg);
  if (rc == 0)
    cr_assert_eq(r.p, b + n, "consumed %zu of %zu", (size_t)(r.p - b), n);
  return in;
}

Test(wasm_opinfo, immediates_decode_as_documented) {
  wm_instr in = decode1((const uint8_t *)"\x0e\x03\x01\x80\x01\x02\x05", 7, 0);
  cr_assert_eq(in.u.br_table.n_targets, 3);
  cr_assert_eq(in.u.br_table.default_target, 5);
  const uint8_t *cur = in.u.br_table.targets;
  cr_assert_eq(wm_br_table_next(&cur), 1);
  cr_assert_eq(wm_br_table_next(&cur), 128);
  cr_assert_eq(wm_br_table_next(&cur), 2);

  in = decode1((const uint8_t *)"\x02\x7b", 2, 0);
  cr_assert_eq(in.u.block.type_index, WM_BLOCK_VALTYPE);
  cr_assert_eq(in.u.block.valtype, WM_V128);
  in = decode1((const uint8_t *)"\x04\x40", 2, 0);
  cr_assert_eq(in.u.block.type_index, WM_BLOCK_EMPTY);
  in = decode1((const uint8_t *)"\x03\x81\x01", 3, 0);
  cr_assert_eq(in.u.block.type_index, 129);
  decode1((const uint8_t *)"\x02\x7a", 2, WA_EMALFORMED);

  in = decode1((const uint8_t *)"\x11\x02\x01", 3, 0);
  cr_assert_eq(in.u.call_indirect.type, 2);
  cr_assert_eq(in.u.call_indirect.table, 1);

  in = decode1((const uint8_t *)"\x29\x03\x90\x4e", 4, 0);
  cr_assert_eq(in.op, WM_OP_I64_LOAD);
  cr_assert_eq(in.u.mem.align, 3);
  cr_assert_eq(in.u.mem.offset, 10000);

  in = decode1((const uint8_t *)"\xfd\x54\x00\x08\x0f", 5, 0);
  cr_assert_eq(in.op, WM_OP_V128_LOAD8_LANE);
  cr_assert_eq(in.u.mem.offset, 8);
  cr_assert_eq(in.u.mem.lane, 15);

  in = decode1((const uint8_t *)"\x41\x80\x80\x80\x80\x78", 6, 0);
  cr_assert_eq(in.u.i32, INT32_MIN);
  in = decode1((const uint8_t *)"\x43\x00\x00\x80\x3f", 5, 0);
  cr_assert_eq(in.u.f32, 0x3f800000u);
  in = decode1((const uint8_t *)"\x44\x00\x00\x00\x00\x00\x00\xf0\x3f", 9, 0);
  cr_assert_eq(in.u.f64, 0x3ff0000000000000u);

  in = decode1((const uint8_t *)"\xfc\x0c\x07\x01", 4, 0);
  cr_assert_eq(in.op, WM_OP_TABLE_INIT);
  cr_assert_eq(in.u.pair.a, 7, "elem index first");
  cr_assert_eq(in.u.pair.b, 1);
  in = decode1((const uint8_t *)"\xfc\x08\x03\x00", 4, 0);
  cr_assert_eq(in.op, WM_OP_MEMORY_INIT);
  cr_assert_eq(in.u.pair.a, 3);
  decode1((const uint8_t *)"\xfc\x0a\x00\x01", 4, WA_EMALFORMED);

  in = decode1((const uint8_t *)"\x1c\x01\x6f", 3, 0);
  cr_assert_eq(in.u.select_t.n, 1);
  cr_assert_eq(in.u.select_t.types[0], WM_EXTERNREF);
  decode1((const uint8_t *)"\xd0\x7f", 2, WA_EMALFORMED);

  /* A prefixed sub-opcode may use a longer LEB128. */
  in = decode1((const uint8_t *)"\xfd\x8c\x81\x00", 4, 0);
  cr_assert_eq(in.op, WM_OP_I16X8_SHR_S);
  in = decode1((const uint8_t *)"\xfd\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x09"
                                "\x0a\x0b\x0c\x0d\x0e\x0f\x10",
               18, 0);
  cr_assert_eq(in.u.v128[15], 16);
}

Test(wasm_opinfo, truncated_immediates_are_malformed_at_the_end) {
  static const char *const trunc[] = {"\x41", "\x43\x00\x00", "\x0e\x02\x00",
                                      "\xfd", "\xfd\x0c\x00", "\x28\x02",
                                      "\x1c\x02\x7f"};
  for (size_t i = 0; i < sizeof trunc / sizeof trunc[0]; i++) {
    const uint8_t *b = (const uint8_t *)trunc[i];
    size_t n = strlen(trunc[i]) ? strlen(trunc[i]) : 1;
    wm_reader r = {b, b, b + n};
    wm_instr in;
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(wm_instr_next(&r, &in, &err), WA_EMALFORMED, "row %zu", i);
    cr_assert_leq(err.off, n, "row %zu offset %llu", i,
                  (unsigned long long)err.off);
  }
}

Test(wasm_opinfo, names_of_types_and_features) {
  cr_assert_str_eq(wm_valtype_name(WM_EXTERNREF), "externref");
  cr_assert_str_eq(wm_valtype_name(0x55), "?");
  cr_assert(wm_is_reftype(WM_FUNCREF));
  cr_assert_not(wm_is_reftype(WM_I32));
  cr_assert_not(wm_is_valtype(0x40));
  cr_assert_str_eq(wm_feature_name(WM_FEATURE_BULK_MEMORY), "bulk-memory");
}
