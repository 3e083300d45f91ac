/*
 * test_validate.c: compiler/wasm/validate.c. Function-body rows are
 * assembled into a module around one function (with a memory, table,
 * globals or data segment when a row asks for them) and must give the
 * expected verdict at the expected instruction; module-level rows are
 * whole binaries.
 */
#include "wm.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

enum {
  F_MEM = 1,     /* memory 0, 1 page */
  F_TABLE = 2,   /* table 0: funcref, 1 entry; table 1: externref */
  F_DATA = 4,    /* one passive data segment ... */
  F_DCOUNT = 8,  /* ... announced by a data count section */
  F_DECLARE = 16 /* a declarative element segment naming function 0 */
};

/* Inline arrays: Criterion runs parameters in a fresh process image. */
typedef struct vcase {
  char name[56];
  char params[4], results[4]; /* valtype bytes, NUL-terminated */
  char body[48];              /* locals vector + instructions */
  size_t body_len;
  unsigned flags;
  int code;
  int at; /* offset in 'body' of the rejected instruction, -1: none */
  char msg[64];
} vcase;

#define B(s) s, sizeof(s) - 1
#define I32 "\x7f"
#define I64 "\x7e"
#define F32 "\x7d"
#define F64 "\x7c"
#define V128 "\x7b"

static vcase cases[] = {
    {"add of i32 and f64", "", I32,
     B("\x00\x41\x01\x44\0\0\0\0\0\0\0\0\x6a\x0b"), 0, WA_EINVALID, 12,
     "type mismatch in i32.add: expected i32, got f64"},
    {"add on an empty stack", "", I32, B("\x00\x6a\x0b"), 0, WA_EINVALID, 1,
     "expected i32, got nothing"},
    {"value left at the end", "", "", B("\x00\x41\x00\x0b"), 0, WA_EINVALID,
     3, "1 value(s) left on the stack"},
    {"missing result", "", I32, B("\x00\x0b"), 0, WA_EINVALID, 1,
     "expected i32, got nothing"},
    {"params are locals", I32 I64, I64, B("\x00\x20\x01\x0b"), 0, 0, -1, ""},
    {"declared locals follow params", I32, F64,
     B("\x01\x02\x7c\x20\x02\x0b"), 0, 0, -1, ""},
    {"unknown local", I32, "", B("\x01\x01\x7e\x20\x02\x1a\x0b"), 0,
     WA_EINVALID, 3, "unknown local 2"},
    {"local.tee keeps the type", "", I64,
     B("\x01\x01\x7e\x42\x05\x22\x00\x0b"), 0, 0, -1, ""},
    {"unreachable makes the stack polymorphic", "", I32,
     B("\x00\x00\x6a\x0b"), 0, 0, -1, ""},
    {"unreachable still checks known values", "", I32,
     B("\x00\x00\x42\x00\x6a\x0b"), 0, WA_EINVALID, 4,
     "expected i32, got i64"},
    {"br out of range", "", "", B("\x00\x0c\x01\x0b"), 0, WA_EINVALID, 1,
     "unknown label 1"},
    {"br to the function label carries results", "", I32,
     B("\x00\x41\x07\x0c\x00\x0b"), 0, 0, -1, ""},
    {"br_if keeps the label values", "", I32,
     B("\x00\x02\x7f\x41\x01\x41\x00\x0d\x00\x0b\x0b"), 0, 0, -1, ""},
    {"br_table targets of different arity", "", "",
     B("\x00\x02\x7d\x00\x0e\x01\x01\x00\x0b\x1a\x0b"), 0, WA_EINVALID, 4,
     "br_table: target 0 has 0 values, the default 1"},
    {"br_table in unreachable code", "", I32,
     B("\x00\x02\x7f\x00\x0e\x01\x00\x01\x0b\x0b"), 0, 0, -1, ""},
    {"br_table checks each target's types", "", "",
     B("\x00\x02\x7d\x02\x7e\x43\0\0\0\0\x41\x00\x0e\x01\x00\x01\x0b\x0b"
       "\x0b"),
     0, WA_EINVALID, 12, "expected i64, got f32"},
    {"return needs the results", "", F32, B("\x00\x0f\x0b"), 0, WA_EINVALID,
     1, "type mismatch in return: expected f32, got nothing"},
    {"return is polymorphic", "", F32,
     B("\x00\x43\0\0\0\0\x0f\x42\x00\x1a\x0b"), 0, 0, -1, ""},
    {"if without else must not change the stack", "", I32,
     B("\x00\x41\x01\x04\x7f\x41\x02\x0b\x0b"), 0, WA_EINVALID, 7,
     "no else branch"},
    {"if with params and equal results needs no else", "", I32,
     B("\x00\x41\x05\x41\x01\x04\x02\x0b\x0b"), 0, 0, -1, ""},
    {"else outside if", "", "", B("\x00\x02\x40\x05\x0b\x0b"), 0,
     WA_EMALFORMED, 3, "else without a matching if"},
    {"unknown block type", "", "", B("\x00\x02\x09\x0b\x0b"), 0, WA_EINVALID,
     1, "unknown type 9"},
    {"multi-value block type", "", "",
     B("\x00\x41\x01\x02\x01\x42\x00\x0b\x1a\x1a\x0b"), 0, 0, -1, ""},
    {"loop label takes the params", "", "",
     B("\x00\x41\x01\x03\x02\x0c\x00\x0b\x1a\x0b"), 0, 0, -1, ""},
    {"loop label without params", "", "",
     B("\x00\x41\x01\x03\x02\x1a\x0c\x00\x0b\x0b"), 0, WA_EINVALID, 6,
     "expected i32, got nothing"},
    {"body ends inside a block", "", "", B("\x00\x02\x40\x0b"), 0,
     WA_EMALFORMED, 4, "END opcode expected"},
    {"bytes after the final end", "", "", B("\x00\x0b\x01\x0b"), 0,
     WA_EMALFORMED, 2, "after the function's final end"},
    {"global.set of an immutable global", "", "",
     B("\x00\x41\x00\x24\x00\x0b"), 0, WA_EINVALID, 3, "immutable"},
    {"global.set of a mutable global", "", "",
     B("\x00\x42\x00\x24\x01\x0b"), 0, 0, -1, ""},
    {"unknown global", "", "", B("\x00\x23\x02\x1a\x0b"), 0, WA_EINVALID, 1,
     "unknown global 2"},
    {"load without memory", "", I32, B("\x00\x41\x00\x28\x02\x00\x0b"), 0,
     WA_EINVALID, 3, "unknown memory 0"},
    {"alignment above natural", "", I32, B("\x00\x41\x00\x28\x03\x00\x0b"),
     F_MEM, WA_EINVALID, 3, "alignment must not be larger than natural"},
    {"alignment 2^32 is malformed", "", I32,
     B("\x00\x41\x00\x28\x20\x00\x0b"), F_MEM, WA_EMALFORMED, 4,
     "malformed memop flags"},
    {"memory.size reserved byte", "", I32, B("\x00\x3f\x01\x0b"), F_MEM,
     WA_EMALFORMED, 2, "zero byte expected"},
    {"memory.grow", "", I32, B("\x00\x41\x01\x40\x00\x0b"), F_MEM, 0, -1,
     ""},
    {"lane index out of range", "", I32,
     B("\x00\x41\x00\xfd\x0f\xfd\x15\x10\x0b"), 0, WA_EINVALID, 5,
     "invalid lane index 16"},
    {"shuffle lane 32", "", V128,
     B("\x00\x41\x00\xfd\x0f\x41\x00\xfd\x0f\xfd\x0d"
       "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x20"
       "\x0b"),
     0, WA_EINVALID, 9, "invalid lane index 32"},
    {"load lane index bound", "", V128,
     B("\x00\x41\x00\x41\x00\xfd\x0f\xfd\x57\x03\x00\x02\x0b"), F_MEM,
     WA_EINVALID, 7, "invalid lane index 2"},
    {"simd op on i32", "", V128, B("\x00\x41\x00\x41\x00\xfd\x6e\x0b"), 0,
     WA_EINVALID, 5, "type mismatch in i8x16.add: expected v128, got i32"},
    {"select of two f32", "", F32,
     B("\x00\x43\0\0\0\0\x43\0\0\0\0\x41\x00\x1b\x0b"), 0, 0, -1, ""},
    {"select of different types", "", F32,
     B("\x00\x43\0\0\0\0\x42\x00\x41\x00\x1b\x0b"), 0, WA_EINVALID, 10,
     "select: f32 and i64"},
    {"untyped select of references", "", "",
     B("\x00\xd0\x70\xd0\x70\x41\x00\x1b\x1a\x0b"), 0, WA_EINVALID, 7,
     "needs a typed select"},
    {"typed select of references", "", "",
     B("\x00\xd0\x70\xd0\x70\x41\x00\x1c\x01\x70\x1a\x0b"), 0, 0, -1, ""},
    {"typed select with two types", "", "",
     B("\x00\x41\x00\x41\x00\x41\x00\x1c\x02\x7f\x7f\x1a\x0b"), 0,
     WA_EINVALID, 7, "invalid result arity 2"},
    {"select in unreachable code", "", I64, B("\x00\x00\x1b\x0b"), 0, 0, -1,
     ""},
    {"ref.func of an undeclared function", "", "",
     B("\x00\xd2\x00\x1a\x0b"), 0, WA_EINVALID, 1,
     "undeclared function reference 0"},
    {"ref.func of a declared function", "", "", B("\x00\xd2\x00\x1a\x0b"),
     F_DECLARE, 0, -1, ""},
    {"ref.is_null of an i32", "", I32, B("\x00\x41\x00\xd1\x0b"), 0,
     WA_EINVALID, 3, "expected a reference, got i32"},
    {"call_indirect without a table", "", "",
     B("\x00\x41\x00\x11\x00\x00\x0b"), 0, WA_EINVALID, 3, "unknown table 0"},
    {"call_indirect on an externref table", "", "",
     B("\x00\x41\x00\x11\x00\x01\x0b"), F_TABLE, WA_EINVALID, 3,
     "table 1 holds externref"},
    {"table.get types the element", "", "",
     B("\x00\x41\x00\x25\x01\xd1\x1a\x0b"), F_TABLE, 0, -1, ""},
    {"table.copy between element types", "", "",
     B("\x00\x41\x00\x41\x00\x41\x00\xfc\x0e\x00\x01\x0b"), F_TABLE,
     WA_EINVALID, 7, "table.copy"},
    {"call of an unknown function", "", "", B("\x00\x10\x05\x0b"), 0,
     WA_EINVALID, 1, "unknown function 5"},
    {"memory.init needs a data count section", "", "",
     B("\x00\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b"), F_MEM | F_DATA,
     WA_EMALFORMED, 7, "data count section required"},
    {"memory.init with a data count section", "", "",
     B("\x00\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b"),
     F_MEM | F_DATA | F_DCOUNT, 0, -1, ""},
    {"data.drop of an unknown segment", "", "", B("\x00\xfc\x09\x01\x0b"),
     F_MEM | F_DATA | F_DCOUNT, WA_EINVALID, 1, "unknown data segment 1"},
    {"elem.drop of an unknown segment", "", "", B("\x00\xfc\x0d\x00\x0b"), 0,
     WA_EINVALID, 1, "unknown elem segment 0"},
    {"sat truncation", "", I32, B("\x00\x43\0\0\0\0\xfc\x00\x0b"), 0, 0, -1,
     ""},
    {"sign extension on i64", "", I32, B("\x00\x42\x00\xc0\x0b"), 0,
     WA_EINVALID, 3, "i32.extend8_s: expected i32, got i64"},
    {"illegal opcode", "", "", B("\x00\x06\x0b"), 0, WA_EMALFORMED, 1,
     "illegal opcode 0x06"},
    {"illegal simd opcode", "", "", B("\x00\xfd\xa2\x01\x0b"), 0,
     WA_EMALFORMED, 1, "illegal opcode 0xfd 0xa2"},
};

static size_t put_vec(uint8_t *p, const char *s) {
  size_t n = strlen(s);
  p[0] = (uint8_t)n;
  memcpy(p + 1, s, n);
  return n + 1;
}

static size_t put_section(uint8_t *out, uint8_t id, const uint8_t *content,
                          size_t len) {
  out[0] = id;
  out[1] = (uint8_t)len; /* every section here is under 128 bytes */
  memcpy(out + 2, content, len);
  return len + 2;
}

/* Builds the module for a row; returns its length. */
static size_t build(const vcase *c, uint8_t *mod) {
  uint8_t s[256];
  size_t n = 0, k;
  memcpy(mod, "\0asm\1\0\0\0", 8);
  n = 8;
  /* types: 0 = the row's, 1 = [i32] -> [i32 i64], 2 = [i32] -> [i32] */
  k = 0;
  s[k++] = 3;
  s[k++] = 0x60;
  k += put_vec(s + k, c->params);
  k += put_vec(s + k, c->results);
  memcpy(s + k, "\x60\x01\x7f\x02\x7f\x7e\x60\x01\x7f\x01\x7f", 11);
  k += 11;
  n += put_section(mod + n, 1, s, k);
  n += put_section(mod + n, 3, (const uint8_t *)"\x01\x00", 2);
  if (c->flags & F_TABLE)
    n += put_section(mod + n, 4,
                     (const uint8_t *)"\x02\x70\x00\x01\x6f\x00\x01", 7);
  if (c->flags & F_MEM)
    n += put_section(mod + n, 5, (const uint8_t *)"\x01\x00\x01", 3);
  n += put_section(mod + n, 6,
                   (const uint8_t *)"\x02\x7f\x00\x41\x00\x0b"
                                    "\x7e\x01\x42\x00\x0b",
                   11);
  if (c->flags & F_DECLARE)
    n += put_section(mod + n, 9, (const uint8_t *)"\x01\x03\x00\x01\x00", 5);
  if (c->flags & F_DCOUNT)
    n += put_section(mod + n, 12, (const uint8_t *)"\x01", 1);
  k = 0;
  s[k++] = 1;
  s[k++] = (uint8_t)c->body_len;
  memcpy(s + k, c->body, c->body_len);
  k += c->body_len;
  n += put_section(mod + n, 10, s, k);
  if (c->flags & F_DATA)
    n += put_section(mod + n, 11, (const uint8_t *)"\x01\x01\x02hi", 5);
  return n;
}

ParameterizedTestParameters(wasm_validate, function_body_rows) {
  return cr_make_param_array(vcase, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(vcase *c, wasm_validate, function_body_rows) {
  uint8_t mod[512];
  size_t len = build(c, mod);
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  int rc = wm_decode(mod, len, "v.wasm", &m, &err);
  cr_assert_eq(rc, 0, "%s: decode: %s", c->name, err.msg);
  /* The body starts after the code entry's size byte. */
  uint32_t body = m->codes[0].size_off + 1;
  rc = wm_validate(m, &err);
  cr_assert_eq(rc, c->code, "%s: got %s: %s", c->name, wa_err_name(rc),
               err.msg);
  if (rc) {
    cr_assert(strstr(err.msg, c->msg), "%s: '%s' lacks '%s'", c->name,
              err.msg, c->msg);
    cr_assert(strstr(err.msg, "code section, function 0: "), "%s: %s",
              c->name, err.msg);
    cr_assert_eq(err.off, body + (uint32_t)c->at,
                 "%s: offset %llu, want body+%d = %u: %s", c->name,
                 (unsigned long long)err.off, c->at, body + (uint32_t)c->at,
                 err.msg);
    cr_assert_str_eq(err.what, "v.wasm");
  }
  wm_module_free(m);
}

/* ------------------------------------------------------ module-level rows */

typedef struct mcase {
  char name[56];
  char bytes[96];
  size_t len;
  int code;
  uint64_t off;
  char msg[72];
} mcase;

#define HDR "\0asm\1\0\0\0"
#define TYPE0 "\x01\x04\x01\x60\x00\x00"
#define FUNC0 "\x03\x02\x01\x00"
#define CODE0 "\x0a\x04\x01\x02\x00\x0b"

static mcase mcases[] = {
    {"start with params", B(HDR "\x01\x05\x01\x60\x01\x7f\x00" FUNC0
                              "\x08\x01\x00" CODE0),
     WA_EINVALID, 21, "start function 0 must take and return nothing"},
    {"start of an unknown function", B(HDR "\x08\x01\x03"), WA_EINVALID, 10,
     "start section: unknown function 3"},
    {"duplicate export names", B(HDR TYPE0 FUNC0
                                   "\x07\x09\x02\x01" "a\x00\x00\x01" "a\x00"
                                   "\x00" CODE0),
     WA_EINVALID, 26, "duplicate export name \"a\""},
    {"export of an unknown global", B(HDR "\x07\x05\x01\x01g\x03\x00"),
     WA_EINVALID, 11, "unknown global 0"},
    {"two memories", B(HDR "\x05\x05\x02\x00\x01\x00\x01"), WA_EINVALID, 10,
     "2 memories"},
    {"memory of 65537 pages", B(HDR "\x05\x05\x01\x00\x81\x80\x04"),
     WA_EINVALID, 10, "memory size must be at most 65536 pages"},
    {"memory max below min", B(HDR "\x05\x04\x01\x01\x02\x01"), WA_EINVALID,
     10, "size minimum must not be greater than maximum"},
    {"imported memory max too large",
     B(HDR "\x02\x0b\x01\x01m\x01" "e\x02\x01\x00\x81\x80\x04"), WA_EINVALID, 11,
     "import section: memory 0"},
    {"table max below min", B(HDR "\x04\x05\x01\x70\x01\x02\x01"),
     WA_EINVALID, 10, "size minimum must not be greater than maximum"},
    {"function of an unknown type", B(HDR FUNC0 CODE0), WA_EINVALID, 10,
     "function 0: unknown type 0"},
    {"import of an unknown type", B(HDR "\x02\x07\x01\x01m\x01" "f\x00\x01"),
     WA_EINVALID, 11, "import 0: unknown type 1"},
    {"global init of the wrong type", B(HDR "\x06\x06\x01\x7f\x00\x42\x00"
                                          "\x0b"),
     WA_EINVALID, 13, "global 0: type mismatch: expected i32, got i64"},
    {"global init reading a defined global",
     B(HDR "\x06\x0b\x02\x7f\x00\x41\x00\x0b\x7f\x00\x23\x00\x0b"),
     WA_EINVALID, 18, "unknown global 0"},
    {"global init reading a mutable import",
     B(HDR "\x02\x08\x01\x01m\x01g\x03\x7f\x01"
           "\x06\x06\x01\x7f\x00\x23\x00\x0b"),
     WA_EINVALID, 23, "constant expression required"},
    {"global init reading an immutable import",
     B(HDR "\x02\x08\x01\x01m\x01g\x03\x7f\x00"
           "\x06\x06\x01\x7f\x00\x23\x00\x0b"),
     0, 0, ""},
    {"global init that is not constant",
     B(HDR "\x06\x07\x01\x7f\x00\x41\x00\x45\x0b"), WA_EINVALID, 15,
     "constant expression required"},
    {"empty global init", B(HDR "\x06\x04\x01\x7f\x00\x0b"), WA_EINVALID, 13,
     "type mismatch"},
    {"funcref global of ref.func", B(HDR TYPE0 FUNC0
                                       "\x06\x06\x01\x70\x00\xd2\x00\x0b"
                                       CODE0),
     0, 0, ""},
    {"ref.func of an unknown function", B(HDR
                                          "\x06\x06\x01\x70\x00\xd2\x00\x0b"),
     WA_EINVALID, 13, "unknown function 0"},
    {"active element without a table", B(HDR TYPE0 FUNC0
                                           "\x09\x07\x01\x00\x41\x00\x0b\x01"
                                           "\x00" CODE0),
     WA_EINVALID, 21, "segment 0: unknown table 0"},
    {"externref segment for a funcref table",
     B(HDR "\x04\x04\x01\x70\x00\x01"
           "\x09\x08\x01\x06\x00\x41\x00\x0b\x6f\x00"),
     WA_EINVALID, 17, "externref segment for funcref table"},
    {"element offset of type i64",
     B(HDR "\x04\x04\x01\x70\x00\x01\x09\x06\x01\x00\x42\x00\x0b\x00"),
     WA_EINVALID, 18, "expected i32, got i64"},
    {"active data without memory", B(HDR "\x0b\x06\x01\x00\x41\x00\x0b\x00"),
     WA_EINVALID, 11, "segment 0: unknown memory 0"},
    {"data offset that is not constant",
     B(HDR "\x05\x03\x01\x00\x01\x0b\x07\x01\x00\x41\x00\x45\x0b\x00"),
     WA_EINVALID, 19, "constant expression required"},
};

ParameterizedTestParameters(wasm_validate, module_rows) {
  return cr_make_param_array(mcase, mcases, sizeof mcases / sizeof mcases[0]);
}

ParameterizedTest(mcase *c, wasm_validate, module_rows) {
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  int rc = wm_load((const uint8_t *)c->bytes, c->len, "m.wasm", &m, &err);
  cr_assert_eq(rc, c->code, "%s: got %s: %s", c->name, wa_err_name(rc),
               err.msg);
  if (rc) {
    cr_assert_null(m);
    cr_assert(strstr(err.msg, c->msg), "%s: '%s' lacks '%s'", c->name,
              err.msg, c->msg);
    cr_assert_eq(err.off, c->off, "%s: offset %llu, want %llu: %s", c->name,
                 (unsigned long long)err.off, (unsigned long long)c->off,
                 err.msg);
    cr_assert_str_eq(err.what, "m.wasm");
  }
  wm_module_free(m);
}

Test(wasm_validate, instruction_features_are_recorded) {
  static const vcase simd = {"", "", V128, B("\x00\x41\x00\xfd\x0f\x0b"),
                             0, 0, -1, ""};
  uint8_t mod[512];
  size_t len = build(&simd, mod);
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  cr_assert_eq(wm_load(mod, len, NULL, &m, &err), 0, "%s", err.msg);
  cr_assert(m->features & WM_FEATURE_SIMD);
  cr_assert_not(m->features & WM_FEATURE_SIGN_EXT);
  wm_module_free(m);
  static const vcase sx = {"", "", I32, B("\x00\x41\x00\xc0\x0b"), 0, 0, -1,
                           ""};
  len = build(&sx, mod);
  cr_assert_eq(wm_load(mod, len, NULL, &m, &err), 0, "%s", err.msg);
  cr_assert(m->features & WM_FEATURE_SIGN_EXT);
  cr_assert_not(m->features & WM_FEATURE_SIMD);
  wm_module_free(m);
}

Test(wasm_validate, huge_local_counts_need_no_memory_per_local) {
  /* 2^32-2 declared locals: the validator must not expand them. */
  static const vcase big = {"", "", I64,
                            B("\x02\xfe\xff\xff\xff\x0f\x7f\x01\x7e"
                              "\x20\xfe\xff\xff\xff\x0f\x0b"),
                            0, 0, -1, ""};
  uint8_t mod[512];
  size_t len = build(&big, mod);
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  cr_assert_eq(wm_load(mod, len, NULL, &m, &err), 0, "%s", err.msg);
  cr_assert_eq(m->codes[0].n_locals, 0xffffffffu);
  wm_module_free(m);
}

Test(wasm_validate, deep_nesting_validates) {
  enum { DEPTH = 50000 };
  static uint8_t body[3 * DEPTH + 16];
  size_t k = 0;
  body[k++] = 0; /* no locals */
  for (int i = 0; i < DEPTH; i++)
    body[k++] = 0x02, body[k++] = 0x40;
  for (int i = 0; i < DEPTH; i++)
    body[k++] = 0x0b;
  body[k++] = 0x0b;
  /* type [] -> [], one function; the body's size needs a 3-byte LEB. */
  uint8_t *mod = malloc(k + 64);
  size_t n = 0;
  memcpy(mod, "\0asm\1\0\0\0" TYPE0 FUNC0, 18);
  n = 18;
  size_t sec = 1 + 3 + k;
  mod[n++] = 10;
  mod[n++] = (uint8_t)(0x80 | (sec & 0x7f));
  mod[n++] = (uint8_t)(0x80 | ((sec >> 7) & 0x7f));
  mod[n++] = (uint8_t)(sec >> 14);
  mod[n++] = 1;
  mod[n++] = (uint8_t)(0x80 | (k & 0x7f));
  mod[n++] = (uint8_t)(0x80 | ((k >> 7) & 0x7f));
  mod[n++] = (uint8_t)(k >> 14);
  memcpy(mod + n, body, k);
  n += k;
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  cr_assert_eq(wm_load(mod, n, NULL, &m, &err), 0, "%s", err.msg);
  wm_module_free(m);
  free(mod);
}
