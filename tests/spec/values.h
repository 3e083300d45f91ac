/*
 * values.h: the spec runner's reading of wast2json values and actions
 * (wabt's JSON: i32/i64/f32/f64 bit patterns as unsigned decimal strings,
 * v128 as lanes, nan:canonical / nan:arithmetic, ref.null, ref.extern N,
 * ref.func N) and the comparison rules of the spec's assert_return.
 * Shared by runner.c and every execution back end behind exec.h.
 */
#ifndef SPEC_VALUES_H
#define SPEC_VALUES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How one scalar or lane is to be compared. */
enum {
  SPEC_EXACT = 0,          /* bit-for-bit */
  SPEC_NAN_CANONICAL = 1,  /* any canonical NaN, either sign */
  SPEC_NAN_ARITHMETIC = 2, /* any NaN with the quiet bit set */
};

/* Lane shapes of a v128 literal. */
enum {
  SPEC_LANE_I8 = 1,
  SPEC_LANE_I16,
  SPEC_LANE_I32,
  SPEC_LANE_I64,
  SPEC_LANE_F32,
  SPEC_LANE_F64,
};

typedef struct spec_value {
  uint8_t type;      /* WM_I32 ... WM_EXTERNREF (wm.h valtype bytes) */
  uint8_t lane_type; /* SPEC_LANE_*, v128 only */
  bool has_value;    /* false: a type-only expectation ({"type": "i32"}) */
  bool is_null;      /* reference types: ref.null */
  uint8_t nan[16];   /* SPEC_EXACT/NAN_* for the scalar ([0]) or per lane */
  union {
    uint32_t i32; /* also f32 bits */
    uint64_t i64; /* also f64 bits */
    uint8_t v128[16];
    uint64_t ref; /* ref.extern N / ref.func N when not null */
  } u;
} spec_value;

/* Lane count of a lane shape (16, 8, 4, 2), 0 for none. */
unsigned spec_lane_count(uint8_t lane_type);

/* Parses one value object. Returns 0, or -1 with a message in msg. */
int spec_value_parse(const json_t *obj, spec_value *out, char *msg,
                     size_t n);

/* Parses a JSON array of value objects into a malloc'd array (NULL when
 * empty). Returns 0 or -1 with msg. */
int spec_values_parse(const json_t *arr, spec_value **out, size_t *n_out,
                      char *msg, size_t n);

/* assert_return's rule: does 'actual' (an exact value) satisfy
 * 'expected' (which may hold NaN patterns)? */
bool spec_value_matches(const spec_value *expected, const spec_value *actual);

/* "i32:42", "f32:nan:canonical", "v128:i32x4 1 2 3 4", "externref:null" */
const char *spec_value_format(const spec_value *v, char *buf, size_t n);

enum { SPEC_ACT_INVOKE, SPEC_ACT_GET };

typedef struct spec_action {
  int kind;           /* SPEC_ACT_* */
  const char *module; /* "$name" or NULL for the latest module; borrowed */
  const char *field;  /* export name; borrowed from the JSON */
  size_t field_len;   /* names may hold NUL bytes */
  spec_value *args;   /* malloc'd, invoke only */
  size_t n_args;
} spec_action;

/* Parses {"type": "invoke"|"get", "module"?, "field", "args"?}. Strings
 * stay owned by the JSON document. Returns 0 or -1 with msg. */
int spec_action_parse(const json_t *obj, spec_action *out, char *msg,
                      size_t n);
void spec_action_free(spec_action *a);

#endif
