/*
 * test_decode.c: compiler/wasm/decode.c. A table of hand-assembled
 * binaries, each with the verdict and the byte offset the error must point
 * at, then tests of what a good decode produces (segments, sections,
 * zero-copy pointers, features, sha256).
 */
#include "wm.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#define HDR "\0asm\1\0\0\0"
#define M(s) s, sizeof(s) - 1
/* One type [] -> [], one function of it. */
#define TYPE0 "\x01\x04\x01\x60\x00\x00"
#define FUNC0 "\x03\x02\x01\x00"

/* Inline arrays, not pointers: Criterion runs each parameter in a fresh
 * process image, where pointers into this one's data mean nothing. */
typedef struct dcase {
  char name[48];
  char bytes[96];
  size_t len;
  int code;
  uint64_t off;
  char msg[48];
} dcase;

static dcase cases[] = {
    {"empty", M(""), WA_EMALFORMED, 0, "magic header"},
    {"bad magic", M("\0asn\1\0\0\0"), WA_EMALFORMED, 0, "magic header"},
    {"no version", M("\0asm"), WA_EMALFORMED, 4, "unexpected end"},
    {"version 2", M("\0asm\2\0\0\0"), WA_EMALFORMED, 4, "binary version"},
    {"header only", M(HDR), 0, 0, ""},
    {"section id 13", M(HDR "\x0d\x00"), WA_EMALFORMED, 8,
     "malformed section id"},
    {"section past end", M(HDR "\x01\x05\x00"), WA_EMALFORMED, 9,
     "length out of bounds"},
    {"section size leb too long", M(HDR "\x01\x80\x80\x80\x80\x80\x00"),
     WA_EMALFORMED, 9, "type section: integer representation too long"},
    {"type after function", M(HDR "\x03\x01\x00\x01\x01\x00"), WA_EMALFORMED,
     11, "type section: out of order"},
    {"type twice", M(HDR "\x01\x01\x00\x01\x01\x00"), WA_EMALFORMED, 11,
     "out of order or repeated"},
    {"data count after code", M(HDR "\x0a\x01\x00\x0c\x01\x00"),
     WA_EMALFORMED, 11, "data count section: out of order"},
    {"data count before element", M(HDR "\x0c\x01\x00\x09\x01\x00"),
     WA_EMALFORMED, 11, "element section: out of order"},
    {"data count between element and code",
     M(HDR "\x09\x01\x00\x0c\x01\x00\x0a\x01\x00"), 0, 0, ""},
    {"custom sections anywhere",
     M(HDR "\x00\x02\x01x" TYPE0 "\x00\x01\x00" FUNC0 "\x00\x02\x01y"
           "\x0a\x04\x01\x02\x00\x0b"),
     0, 0, ""},
    {"leftover bytes in section", M(HDR "\x01\x02\x00\x00"), WA_EMALFORMED, 11,
     "section size mismatch"},
    {"count beyond section", M(HDR "\x01\x01\x01"), WA_EMALFORMED, 10,
     "count 1 is larger"},
    {"huge count", M(HDR "\x01\x06\xff\xff\xff\xff\x0f\x60"), WA_EMALFORMED,
     10, "count 4294967295"},
    {"functype form", M(HDR "\x01\x04\x01\x61\x00\x00"), WA_EMALFORMED, 11,
     "function type form 0x61"},
    {"bad value type", M(HDR "\x01\x05\x01\x60\x01\x7a\x00"), WA_EMALFORMED,
     13, "malformed value type 0x7a"},
    {"function without code", M(HDR TYPE0 FUNC0), WA_EMALFORMED, 18,
     "inconsistent lengths"},
    {"code count differs", M(HDR TYPE0 FUNC0 "\x0a\x01\x00"), WA_EMALFORMED,
     20, "inconsistent lengths"},
    {"code without function", M(HDR TYPE0 "\x0a\x04\x01\x02\x00\x0b"),
     WA_EMALFORMED, 16, "inconsistent lengths"},
    {"too many locals",
     M(HDR TYPE0 FUNC0 "\x0a\x0c\x01\x0a\x02\xff\xff\xff\xff\x0f\x7f\x01\x7e"
                       "\x0b"),
     WA_EMALFORMED, 29, "function 0: too many locals"},
    {"2^32-1 locals are fine",
     M(HDR TYPE0 FUNC0 "\x0a\x0c\x01\x0a\x02\xfe\xff\xff\xff\x0f\x7f\x01\x7e"
                       "\x0b"),
     0, 0, ""},
    {"body without end", M(HDR TYPE0 FUNC0 "\x0a\x04\x01\x02\x00\x01"),
     WA_EMALFORMED, 24, "END opcode expected"},
    {"body past section", M(HDR TYPE0 FUNC0 "\x0a\x04\x01\x05\x00\x0b"),
     WA_EMALFORMED, 21, "unexpected end of section or function"},
    {"limits flags 2", M(HDR "\x05\x03\x01\x02\x00"), WA_EMALFORMED, 11,
     "limits flags"},
    {"limits u32 too large", M(HDR "\x05\x07\x01\x00\xff\xff\xff\xff\x1f"),
     WA_EMALFORMED, 12, "integer too large"},
    {"data count differs", M(HDR "\x0c\x01\x01\x0b\x01\x00"), WA_EMALFORMED,
     13, "inconsistent lengths"},
    {"data count without data", M(HDR "\x0c\x01\x01"), WA_EMALFORMED, 11,
     "inconsistent lengths"},
    {"import kind 4", M(HDR "\x02\x05\x01\x00\x00\x04\x00"), WA_EMALFORMED, 13,
     "malformed import kind"},
    {"import name not utf8", M(HDR "\x02\x06\x01\x01\xff\x00\x00\x00"),
     WA_EMALFORMED, 12, "malformed UTF-8"},
    {"export kind 4", M(HDR "\x07\x04\x01\x00\x04\x00"), WA_EMALFORMED, 12,
     "malformed export kind"},
    {"global mutability 2", M(HDR "\x06\x06\x01\x7f\x02\x41\x00\x0b"),
     WA_EMALFORMED, 12, "malformed mutability"},
    {"global init without end", M(HDR "\x06\x05\x01\x7f\x00\x41\x00"),
     WA_EMALFORMED, 15, "unexpected end"},
    {"global init illegal opcode", M(HDR "\x06\x05\x01\x7f\x00\xff\x0b"),
     WA_EMALFORMED, 13, "illegal opcode 0xff"},
    {"element kind 1", M(HDR "\x09\x04\x01\x01\x01\x00"), WA_EMALFORMED, 12,
     "malformed element kind"},
    {"element flags 8", M(HDR "\x09\x03\x01\x08\x00"), WA_EMALFORMED, 11,
     "segment kind 8"},
    {"element reftype i32", M(HDR "\x09\x05\x01\x05\x7f\x00\x0b"),
     WA_EMALFORMED, 12, "malformed reference type"},
    {"data flags 3", M(HDR "\x0b\x03\x01\x03\x00"), WA_EMALFORMED, 11,
     "data segment kind 3"},
    {"data bytes past end", M(HDR "\x0b\x04\x01\x01\x05\x00"), WA_EMALFORMED,
     13, "unexpected end"},
    {"custom name past end", M(HDR "\x00\x02\x05\x61"), WA_EMALFORMED, 10,
     "length out of bounds"},
    {"malformed name section is kept out",
     M(HDR "\x00\x07\x04name\x01\xff"), 0, 0, ""},
    {"table reftype i32", M(HDR "\x04\x04\x01\x7f\x00\x00"), WA_EMALFORMED, 11,
     "malformed reference type"},
};

ParameterizedTestParameters(wasm_decode, binary_rows) {
  return cr_make_param_array(dcase, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(dcase *c, wasm_decode, binary_rows) {
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  int rc = wm_decode((const uint8_t *)c->bytes, c->len, "t.wasm", &m, &err);
  cr_assert_eq(rc, c->code, "%s: got %s: %s", c->name, wa_err_name(rc),
               err.msg);
  if (rc == 0) {
    cr_assert_not_null(m);
    wm_module_free(m);
    return;
  }
  cr_assert_null(m);
  cr_assert_eq(err.off, c->off, "%s: offset %llu, want %llu: %s", c->name,
               (unsigned long long)err.off, (unsigned long long)c->off,
               err.msg);
  cr_assert(strstr(err.msg, c->msg), "%s: message '%s' lacks '%s'", c->name,
            err.msg, c->msg);
  cr_assert_str_eq(err.what, "t.wasm");
}

static wm_module *decode_ok(const char *bytes, size_t len) {
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  int rc = wm_decode((const uint8_t *)bytes, len, NULL, &m, &err);
  cr_assert_eq(rc, 0, "%s", err.msg);
  return m;
}

/* Every element segment encoding (flags 0-7, spec 5.5.12). */
static const char elems[] = HDR TYPE0 FUNC0
    "\x04\x07\x02\x70\x00\x01\x6f\x00\x01" /* funcref table, externref table */
    "\x09\x32\x08"
    "\x00\x41\x01\x0b\x01\x00"             /* 0: active t0, funcidx */
    "\x01\x00\x01\x00"                     /* 1: passive, elemkind */
    "\x02\x00\x41\x02\x0b\x00\x01\x00"     /* 2: active t0 explicit */
    "\x03\x00\x01\x00"                     /* 3: declarative */
    "\x04\x41\x03\x0b\x01\xd2\x00\x0b"     /* 4: active t0, exprs */
    "\x05\x6f\x01\xd0\x6f\x0b"             /* 5: passive externref */
    "\x06\x01\x41\x04\x0b\x6f\x00"         /* 6: active t1 externref */
    "\x07\x70\x01\xd0\x70\x0b"             /* 7: declarative exprs */
    "\x0a\x04\x01\x02\x00\x0b";

Test(wasm_decode, every_element_segment_kind_decodes) {
  wm_module *m = decode_ok(elems, sizeof elems - 1);
  cr_assert_eq(m->n_elems, 8);
  static const uint8_t modes[8] = {WM_SEG_ACTIVE,  WM_SEG_PASSIVE,
                                   WM_SEG_ACTIVE,  WM_SEG_DECLARATIVE,
                                   WM_SEG_ACTIVE,  WM_SEG_PASSIVE,
                                   WM_SEG_ACTIVE,  WM_SEG_DECLARATIVE};
  for (int i = 0; i < 8; i++)
    cr_assert_eq(m->elems[i].mode, modes[i], "segment %d", i);
  cr_assert_eq(m->elems[0].offset.kind, WM_CONST_I32);
  cr_assert_eq(m->elems[0].offset.u.i32, 1);
  cr_assert_eq(m->elems[0].items[0].kind, WM_CONST_REF_FUNC);
  cr_assert_eq(m->elems[2].offset.u.i32, 2);
  cr_assert_eq(m->elems[4].items[0].kind, WM_CONST_REF_FUNC);
  cr_assert_eq(m->elems[5].elemtype, WM_EXTERNREF);
  cr_assert_eq(m->elems[5].items[0].kind, WM_CONST_REF_NULL);
  cr_assert_eq(m->elems[5].items[0].index, WM_EXTERNREF);
  cr_assert_eq(m->elems[6].table, 1);
  cr_assert_eq(m->elems[6].n_items, 0);
  cr_assert_eq(m->elems[7].items[0].type, WM_FUNCREF);
  cr_assert(m->features & WM_FEATURE_REFERENCE_TYPES);
  cr_assert(m->features & WM_FEATURE_BULK_MEMORY);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wm_validate(m, &err), 0, "%s", err.msg);
  wm_module_free(m);
}

static const char datas[] = HDR "\x05\x03\x01\x00\x01"
                                "\x0c\x01\x03"
                                "\x0b\x14\x03"
                                "\x00\x41\x10\x0b\x02hi"
                                "\x01\x03" "abc"
                                "\x02\x00\x41\x20\x0b\x01z";

Test(wasm_decode, data_segments_of_every_kind_point_into_the_input) {
  wm_module *m = decode_ok(datas, sizeof datas - 1);
  cr_assert_eq(m->n_datas, 3);
  cr_assert(m->has_data_count);
  cr_assert_eq(m->data_count, 3);
  cr_assert_eq(m->datas[0].mode, WM_SEG_ACTIVE);
  cr_assert_eq(m->datas[0].offset.u.i32, 16);
  cr_assert_eq(m->datas[0].len, 2);
  cr_assert_eq(memcmp(m->datas[0].bytes, "hi", 2), 0);
  cr_assert_eq(m->datas[1].mode, WM_SEG_PASSIVE);
  cr_assert_eq(m->datas[1].bytes, (const uint8_t *)datas + 28,
               "zero-copy: segment bytes are the input's");
  cr_assert_eq(m->datas[2].offset.u.i32, 32);
  cr_assert(m->features & WM_FEATURE_BULK_MEMORY);
  wm_module_free(m);
}

/* A module with imports of each kind, a name section, exports. */
static const char named[] =
    HDR "\x01\x08\x02\x60\x01\x7f\x00\x60\x00\x00" /* (i32)->(), ()->() */
    "\x02\x1f\x04"
    "\x01m\x01" "f\x00\x00"             /* func import, type 0 */
    "\x01m\x01t\x01\x70\x00\x01"     /* table */
    "\x01m\x02me\x02\x01\x01\x02"    /* memory 1..2 */
    "\x01m\x01g\x03\x7e\x01"         /* mut i64 global */
    "\x03\x03\x02\x01\x00"           /* funcs 1, 2: types 1, 0 */
    "\x07\x05\x01\x01x\x00\x01"      /* export "x" func 1 */
    "\x0a\x0a\x02\x02\x00\x0b\x05\x01\x02\x7d\x00\x0b"
    "\x00\x20\x04name"
    "\x00\x03\x02mm"                 /* module name */
    "\x01\x07\x02\x01\x01" "a\x02\x01" "b" /* func names 1 'a', 2 'b' */
    "\x02\x0b\x01\x02\x02\x02\x02y1\x00\x02x0";  /* locals of 2, unsorted */

Test(wasm_decode, imports_fill_the_front_of_each_index_space) {
  wm_module *m = decode_ok(named, sizeof named - 1);
  cr_assert_eq(m->n_imports, 4);
  cr_assert_eq(m->n_funcs, 3);
  cr_assert_eq(m->n_func_imports, 1);
  cr_assert_eq(m->func_types[0], 0);
  cr_assert_eq(m->func_types[1], 1);
  cr_assert_eq(m->func_types[2], 0);
  cr_assert_eq(m->n_tables, 1);
  cr_assert(m->tables[0].imported);
  cr_assert_eq(m->n_memories, 1);
  cr_assert(m->memories[0].imported);
  cr_assert_eq(m->memories[0].limits.max, 2);
  cr_assert_eq(m->n_globals, 1);
  cr_assert(m->globals[0].type.mut);
  cr_assert(m->features & WM_FEATURE_MUTABLE_GLOBALS);
  cr_assert_eq(wm_func_type(m, 2)->n_params, 1);
  cr_assert_eq(wm_local_type(m, 2, 0), WM_I32);
  cr_assert_eq(wm_local_type(m, 2, 1), WM_F32);
  cr_assert_eq(wm_local_type(m, 2, 2), WM_F32);
  cr_assert_eq(wm_local_type(m, 2, 3), 0);
  cr_assert_eq(wm_local_type(m, 0, 0), 0, "imports have no locals");
  wm_module_free(m);
}

Test(wasm_decode, name_section_gives_module_function_and_local_names) {
  wm_module *m = decode_ok(named, sizeof named - 1);
  cr_assert_eq(m->module_name.len, 2);
  cr_assert_eq(memcmp(m->module_name.ptr, "mm", 2), 0);
  wm_name n = wm_func_name(m, 1);
  cr_assert_eq(n.len, 1);
  cr_assert_eq(n.ptr[0], 'a');
  cr_assert_eq(wm_func_name(m, 0).len, 0);
  cr_assert_eq(m->n_local_names, 2);
  cr_assert_eq(m->local_names[0].local, 0, "sorted by (func, local)");
  cr_assert_eq(memcmp(m->local_names[0].name.ptr, "x0", 2), 0);
  cr_assert_eq(m->local_names[1].local, 2);
  wm_module_free(m);
}

Test(wasm_decode, a_truncated_name_section_keeps_what_parsed) {
  /* func names: 2 entries declared, the second cut off. */
  static const char b[] = HDR TYPE0 "\x03\x03\x02\x00\x00"
                              "\x0a\x07\x02\x02\x00\x0b\x02\x00\x0b"
                              "\x00\x0c\x04name\x01\x05\x02\x00\x01q\x01";
  wm_module *m = decode_ok(b, sizeof b - 1);
  cr_assert_eq(wm_func_name(m, 0).len, 1);
  cr_assert_eq(wm_func_name(m, 0).ptr[0], 'q');
  cr_assert_eq(wm_func_name(m, 1).len, 0);
  wm_module_free(m);
}

Test(wasm_decode, sections_are_listed_in_file_order) {
  wm_module *m = decode_ok(named, sizeof named - 1);
  static const uint8_t ids[] = {1, 2, 3, 7, 10, 0};
  cr_assert_eq(m->n_sections, sizeof ids);
  for (size_t i = 0; i < sizeof ids; i++)
    cr_assert_eq(m->sections[i].id, ids[i], "section %zu", i);
  cr_assert_eq(m->sections[0].off, 10);
  cr_assert_eq(m->sections[0].size, 8);
  cr_assert_eq(m->sections[5].name.len, 4);
  cr_assert_eq(memcmp(m->sections[5].name.ptr, "name", 4), 0);
  wm_module_free(m);
}

Test(wasm_decode, bodies_are_zero_copy_and_end_after_their_end_opcode) {
  wm_module *m = decode_ok(named, sizeof named - 1);
  const wm_code *c = &m->codes[1];
  cr_assert_eq(c->n_groups, 1);
  cr_assert_eq(c->n_locals, 2);
  cr_assert_eq(c->end[-1], 0x0b);
  cr_assert(c->body > (const uint8_t *)named &&
            c->end <= (const uint8_t *)named + sizeof named - 1);
  cr_assert_eq(c->body_off, (uint32_t)(c->body - (const uint8_t *)named));
  wm_reader r = wm_code_reader(m, 1);
  cr_assert_eq(r.p, c->body);
  cr_assert_eq(r.end, c->end);
  wm_module_free(m);
}

Test(wasm_decode, sha256_is_the_digest_of_the_input) {
  wm_module *m = decode_ok(named, sizeof named - 1);
  uint8_t want[32];
  wa_sha256_once(named, sizeof named - 1, want);
  cr_assert_eq(memcmp(m->sha256, want, 32), 0);
  wm_module_free(m);
}

Test(wasm_decode, constant_expressions_that_are_not_one_constant_decode) {
  /* Two instructions and a non-constant one: validation errors, not
   * encoding errors (global.wast asserts "type mismatch" and "constant
   * expression required"). */
  static const char b[] = HDR "\x06\x0e\x02"
                              "\x7f\x00\x41\x01\x41\x02\x0b"
                              "\x7f\x00\x41\x01\x68\x0b";
  wm_module *m = decode_ok(b, sizeof b - 1);
  cr_assert_eq(m->globals[0].init.kind, WM_CONST_INVALID);
  cr_assert_eq(m->globals[0].init.index, WM_CONST_BAD_ARITY);
  cr_assert_eq(m->globals[1].init.kind, WM_CONST_INVALID);
  cr_assert_eq(m->globals[1].init.index, WM_CONST_BAD_NONCONST);
  cr_assert_eq(m->globals[1].init.off, 22, "points at i32.ctz");
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wm_validate(m, &err), WA_EINVALID);
  cr_assert(strstr(err.msg, "type mismatch"), "%s", err.msg);
  wm_module_free(m);
}

Test(wasm_decode, features_reflect_types_and_sections) {
  /* (v128) -> (i32 i32) */
  static const char b[] = HDR "\x01\x07\x01\x60\x01\x7b\x02\x7f\x7f";
  wm_module *m = decode_ok(b, sizeof b - 1);
  cr_assert(m->features & WM_FEATURE_SIMD);
  cr_assert(m->features & WM_FEATURE_MULTI_VALUE);
  cr_assert_not(m->features & WM_FEATURE_BULK_MEMORY);
  cr_assert_str_eq(wm_feature_name(WM_FEATURE_SIMD), "simd");
  wm_module_free(m);
}

Test(wasm_decode, modules_over_4_gib_are_refused_before_reading) {
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  static const uint8_t b[8] = {0};
  cr_assert_eq(wm_decode(b, (size_t)UINT32_MAX + 1, NULL, &m, &err),
               WA_ELIMIT);
  cr_assert_null(m);
}
