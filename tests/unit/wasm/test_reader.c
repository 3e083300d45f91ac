/*
 * test_reader.c: LEB128 and UTF-8 edge cases of compiler/wasm/reader.c,
 * table-driven: each row is the encoded bytes, the expected value or the
 * expected error and the offset it must point at.
 */
#include "wm.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

enum { U32, S32, S33, S64 };

/* Inline arrays: Criterion runs parameters in a fresh process image. */
typedef struct leb_case {
  int kind;
  char bytes[16];
  size_t len;
  int64_t value;     /* when code == 0 */
  size_t consumed;   /* bytes read on success */
  int code;          /* 0 or WA_EMALFORMED */
  uint64_t off;      /* error offset */
  char msg[32];      /* error substring */
} leb_case;

#define L(s) s, sizeof(s) - 1

static leb_case leb_cases[] = {
    /* u32 */
    {U32, L("\x00"), 0, 1, 0, 0, ""},
    {U32, L("\x7f"), 127, 1, 0, 0, ""},
    {U32, L("\x80\x01"), 128, 2, 0, 0, ""},
    {U32, L("\x80\x80\x80\x80\x00"), 0, 5, 0, 0, ""},
    {U32, L("\xff\xff\xff\xff\x0f"), 4294967295, 5, 0, 0, ""},
    {U32, L("\xe5\x8e\x26\xff"), 624485, 3, 0, 0, ""},
    {U32, L("\xff\xff\xff\xff\x1f"), 0, 0, WA_EMALFORMED, 0, "too large"},
    {U32, L("\xff\xff\xff\xff\x70"), 0, 0, WA_EMALFORMED, 0, "too large"},
    {U32, L("\x80\x80\x80\x80\x80\x00"), 0, 0, WA_EMALFORMED, 0,
     "representation too long"},
    {U32, L("\x80\x80"), 0, 0, WA_EMALFORMED, 2, "unexpected end"},
    {U32, L(""), 0, 0, WA_EMALFORMED, 0, "unexpected end"},
    /* s32 */
    {S32, L("\x7f"), -1, 1, 0, 0, ""},
    {S32, L("\x40"), -64, 1, 0, 0, ""},
    {S32, L("\x3f"), 63, 1, 0, 0, ""},
    {S32, L("\xc0\x00"), 64, 2, 0, 0, ""},
    {S32, L("\x80\x80\x80\x80\x78"), INT32_MIN, 5, 0, 0, ""},
    {S32, L("\xff\xff\xff\xff\x07"), INT32_MAX, 5, 0, 0, ""},
    {S32, L("\xff\xff\xff\xff\x7f"), -1, 5, 0, 0, ""},
    {S32, L("\x80\x80\x80\x80\x08"), 0, 0, WA_EMALFORMED, 0, "too large"},
    {S32, L("\xff\xff\xff\xff\x77"), 0, 0, WA_EMALFORMED, 0, "too large"},
    {S32, L("\xff\xff\xff\xff\x4f"), 0, 0, WA_EMALFORMED, 0, "too large"},
    {S32, L("\xff\xff\xff\xff\xff\x7f"), 0, 0, WA_EMALFORMED, 0,
     "representation too long"},
    /* s33: block type indices */
    {S33, L("\x80\x80\x80\x80\x70"), INT64_C(-4294967296), 5, 0, 0, ""},
    {S33, L("\xff\xff\xff\xff\x0f"), INT64_C(4294967295), 5, 0, 0, ""},
    {S33, L("\xff\xff\xff\xff\x1f"), 0, 0, WA_EMALFORMED, 0, "too large"},
    {S33, L("\x80\x80\x80\x80\x60"), 0, 0, WA_EMALFORMED, 0, "too large"},
    /* s64 */
    {S64, L("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f"), INT64_MIN, 10, 0, 0,
     ""},
    {S64, L("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00"), INT64_MAX, 10, 0, 0,
     ""},
    {S64, L("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"), -1, 10, 0, 0, ""},
    {S64, L("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"), 0, 0, WA_EMALFORMED,
     0, "too large"},
    {S64, L("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7e"), 0, 0, WA_EMALFORMED,
     0, "too large"},
    {S64, L("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"), 0, 0,
     WA_EMALFORMED, 0, "representation too long"},
};

ParameterizedTestParameters(wasm_reader, leb128_rows) {
  return cr_make_param_array(leb_case, leb_cases,
                             sizeof leb_cases / sizeof leb_cases[0]);
}

ParameterizedTest(leb_case *c, wasm_reader, leb128_rows) {
  const uint8_t *b = (const uint8_t *)c->bytes;
  wm_reader r = {b, b, b + c->len};
  wa_err err;
  wa_err_init(&err);
  int64_t got = 0;
  int rc;
  switch (c->kind) {
  case U32: {
    uint32_t v = 0;
    rc = wm_read_u32(&r, &v, &err);
    got = v;
    break;
  }
  case S32: {
    int32_t v = 0;
    rc = wm_read_s32(&r, &v, &err);
    got = v;
    break;
  }
  case S33:
    rc = wm_read_s33(&r, &got, &err);
    break;
  default:
    rc = wm_read_s64(&r, &got, &err);
    break;
  }
  cr_assert_eq(rc, c->code, "kind %d row value %lld: %s", c->kind,
               (long long)c->value, err.msg);
  if (rc == 0) {
    cr_assert_eq(got, c->value, "got %lld want %lld", (long long)got,
                 (long long)c->value);
    cr_assert_eq((size_t)(r.p - b), c->consumed);
  } else {
    cr_assert_eq(err.off, c->off, "offset %llu: %s",
                 (unsigned long long)err.off, err.msg);
    cr_assert(strstr(err.msg, c->msg), "message '%s' lacks '%s'", err.msg,
              c->msg);
    cr_assert_eq(r.p, b, "a failed read must not advance");
  }
}

typedef struct utf8_case {
  char bytes[8];
  size_t len;
  bool valid;
} utf8_case;

static utf8_case utf8_cases[] = {
    {L(""), true},
    {L("abc"), true},
    {L("\xc2\x80"), true},             /* U+0080 */
    {L("\xed\x9f\xbf"), true},         /* U+D7FF */
    {L("\xee\x80\x80"), true},         /* U+E000 */
    {L("\xf4\x8f\xbf\xbf"), true},     /* U+10FFFF */
    {L("\xc0\x80"), false},            /* overlong NUL */
    {L("\xc1\xbf"), false},            /* overlong */
    {L("\xe0\x9f\xbf"), false},        /* overlong 3-byte */
    {L("\xf0\x8f\xbf\xbf"), false},    /* overlong 4-byte */
    {L("\xed\xa0\x80"), false},        /* surrogate U+D800 */
    {L("\xf4\x90\x80\x80"), false},    /* above U+10FFFF */
    {L("\x80"), false},                /* lone continuation */
    {L("\xc2"), false},                /* truncated */
    {L("\xe2\x82"), false},            /* truncated */
    {L("\xc2\x41"), false},            /* bad continuation */
    {L("\xf8\x88\x80\x80\x80"), false}, /* 5-byte form */
    {L("\xff"), false},
};

ParameterizedTestParameters(wasm_reader, utf8_names) {
  return cr_make_param_array(utf8_case, utf8_cases,
                             sizeof utf8_cases / sizeof utf8_cases[0]);
}

ParameterizedTest(utf8_case *c, wasm_reader, utf8_names) {
  /* A one-section module: a custom section whose name is the bytes. */
  uint8_t mod[64] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0};
  size_t n = 9;
  mod[n++] = (uint8_t)(c->len + 1);
  mod[n++] = (uint8_t)c->len;
  memcpy(mod + n, c->bytes, c->len);
  n += c->len;
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  int rc = wm_decode(mod, n, NULL, &m, &err);
  if (c->valid) {
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_eq(m->sections[0].name.len, c->len);
    cr_assert_eq((const uint8_t *)m->sections[0].name.ptr, mod + 11,
                 "names are zero-copy");
  } else {
    cr_assert_eq(rc, WA_EMALFORMED);
    cr_assert(strstr(err.msg, "malformed UTF-8 encoding"), "%s", err.msg);
    cr_assert_eq(err.off, 11);
  }
  wm_module_free(m);
}
