/*
 * values.c: wast2json values and actions (see values.h). Numbers arrive
 * as unsigned decimal strings of the bit pattern, so parsing is exact and
 * never goes through floating point.
 */
#include "values.h"

#include "wm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  uint8_t shape, bytes;
} lane_shapes[] = {
    {"i8", SPEC_LANE_I8, 1},   {"i16", SPEC_LANE_I16, 2},
    {"i32", SPEC_LANE_I32, 4}, {"i64", SPEC_LANE_I64, 8},
    {"f32", SPEC_LANE_F32, 4}, {"f64", SPEC_LANE_F64, 8},
};

static unsigned lane_bytes(uint8_t lane_type) {
  for (size_t i = 0; i < sizeof lane_shapes / sizeof lane_shapes[0]; i++)
    if (lane_shapes[i].shape == lane_type)
      return lane_shapes[i].bytes;
  return 0;
}

unsigned spec_lane_count(uint8_t lane_type) {
  unsigned b = lane_bytes(lane_type);
  return b ? 16 / b : 0;
}

/* An unsigned decimal no wider than 'bits'. */
static int parse_bits(const char *s, unsigned bits, uint64_t *out) {
  if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return -1;
  if (bits < 64 && v >> bits)
    return -1;
  *out = v;
  return 0;
}

static int nan_kind(const char *s) {
  if (strcmp(s, "nan:canonical") == 0)
    return SPEC_NAN_CANONICAL;
  if (strcmp(s, "nan:arithmetic") == 0)
    return SPEC_NAN_ARITHMETIC;
  return -1;
}

static int fail(char *msg, size_t n, const char *fmt, const char *arg) {
  snprintf(msg, n, fmt, arg ? arg : "(null)");
  return -1;
}

static int parse_scalar(const char *s, bool is_float, unsigned bits,
                        uint8_t *nan, uint64_t *out) {
  if (is_float) {
    int k = nan_kind(s);
    if (k >= 0) {
      *nan = (uint8_t)k;
      *out = 0;
      return 0;
    }
  }
  *nan = SPEC_EXACT;
  return parse_bits(s, bits, out);
}

static int parse_v128(const json_t *obj, spec_value *out, char *msg,
                      size_t n) {
  const char *lt = json_string_value(json_object_get(obj, "lane_type"));
  const json_t *lanes = json_object_get(obj, "value");
  unsigned bytes = 0;
  if (!lt && !lanes) { /* a type-only expectation */
    out->has_value = false;
    return 0;
  }
  for (size_t i = 0; lt && i < sizeof lane_shapes / sizeof lane_shapes[0];
       i++)
    if (strcmp(lane_shapes[i].name, lt) == 0) {
      out->lane_type = lane_shapes[i].shape;
      bytes = lane_shapes[i].bytes;
    }
  if (!bytes)
    return fail(msg, n, "v128 with unknown lane_type %s", lt);
  if (!lanes) {
    out->has_value = false;
    return 0;
  }
  unsigned count = 16 / bytes;
  if (!json_is_array(lanes) || json_array_size(lanes) != count)
    return fail(msg, n, "v128 %s value needs one string per lane", lt);
  bool is_float =
      out->lane_type == SPEC_LANE_F32 || out->lane_type == SPEC_LANE_F64;
  for (unsigned i = 0; i < count; i++) {
    const char *s = json_string_value(json_array_get(lanes, i));
    uint64_t v;
    if (!s || parse_scalar(s, is_float, bytes * 8, &out->nan[i], &v))
      return fail(msg, n, "bad v128 lane value %s", s);
    for (unsigned b = 0; b < bytes; b++)
      out->u.v128[i * bytes + b] = (uint8_t)(v >> (8 * b));
  }
  return 0;
}

int spec_value_parse(const json_t *obj, spec_value *out, char *msg,
                     size_t n) {
  memset(out, 0, sizeof *out);
  const char *type = json_string_value(json_object_get(obj, "type"));
  if (!type)
    return fail(msg, n, "value without a type%s", "");
  static const struct {
    const char *name;
    uint8_t type;
  } types[] = {{"i32", WM_I32},         {"i64", WM_I64},
               {"f32", WM_F32},         {"f64", WM_F64},
               {"v128", WM_V128},       {"funcref", WM_FUNCREF},
               {"externref", WM_EXTERNREF}};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(types[i].name, type) == 0)
      out->type = types[i].type;
  if (!out->type)
    return fail(msg, n, "unknown value type %s", type);
  out->has_value = true;
  if (out->type == WM_V128)
    return parse_v128(obj, out, msg, n);
  const json_t *jv = json_object_get(obj, "value");
  if (!jv) {
    out->has_value = false;
    return 0;
  }
  const char *s = json_string_value(jv);
  if (!s)
    return fail(msg, n, "%s value is not a string", type);
  uint64_t v;
  switch (out->type) {
  case WM_FUNCREF:
  case WM_EXTERNREF:
    if (strcmp(s, "null") == 0) {
      out->is_null = true;
      return 0;
    }
    if (parse_bits(s, 64, &out->u.ref))
      return fail(msg, n, "bad reference value %s", s);
    return 0;
  case WM_I32:
  case WM_F32:
    if (parse_scalar(s, out->type == WM_F32, 32, &out->nan[0], &v))
      return fail(msg, n, "bad 32-bit value %s", s);
    out->u.i32 = (uint32_t)v;
    return 0;
  default:
    if (parse_scalar(s, out->type == WM_F64, 64, &out->nan[0], &v))
      return fail(msg, n, "bad 64-bit value %s", s);
    out->u.i64 = v;
    return 0;
  }
}

int spec_values_parse(const json_t *arr, spec_value **out, size_t *n_out,
                      char *msg, size_t n) {
  *out = NULL;
  *n_out = 0;
  if (!arr)
    return 0;
  if (!json_is_array(arr))
    return fail(msg, n, "expected an array of values%s", "");
  size_t count = json_array_size(arr);
  if (count == 0)
    return 0;
  spec_value *v = calloc(count, sizeof *v);
  if (!v)
    return fail(msg, n, "out of memory%s", "");
  for (size_t i = 0; i < count; i++)
    if (spec_value_parse(json_array_get(arr, i), &v[i], msg, n)) {
      free(v);
      return -1;
    }
  *out = v;
  *n_out = count;
  return 0;
}

static bool f32_matches(uint8_t nan, uint32_t want, uint32_t got) {
  switch (nan) {
  case SPEC_NAN_CANONICAL:
    return (got & 0x7fffffffu) == 0x7fc00000u;
  case SPEC_NAN_ARITHMETIC:
    return (got & 0x7fc00000u) == 0x7fc00000u;
  default:
    return want == got;
  }
}

static bool f64_matches(uint8_t nan, uint64_t want, uint64_t got) {
  const uint64_t quiet = 0x7ff8000000000000u;
  switch (nan) {
  case SPEC_NAN_CANONICAL:
    return (got & 0x7fffffffffffffffu) == quiet;
  case SPEC_NAN_ARITHMETIC:
    return (got & quiet) == quiet;
  default:
    return want == got;
  }
}

static uint64_t lane_get(const uint8_t *v, unsigned bytes, unsigned i) {
  uint64_t x = 0;
  for (unsigned b = bytes; b-- > 0;)
    x = x << 8 | v[i * bytes + b];
  return x;
}

bool spec_value_matches(const spec_value *e, const spec_value *a) {
  if (e->type != a->type)
    return false;
  if (!e->has_value)
    return true;
  switch (e->type) {
  case WM_I32:
    return e->u.i32 == a->u.i32;
  case WM_I64:
    return e->u.i64 == a->u.i64;
  case WM_F32:
    return f32_matches(e->nan[0], e->u.i32, a->u.i32);
  case WM_F64:
    return f64_matches(e->nan[0], e->u.i64, a->u.i64);
  case WM_FUNCREF:
  case WM_EXTERNREF:
    if (e->is_null || a->is_null)
      return e->is_null == a->is_null;
    return e->u.ref == a->u.ref;
  case WM_V128: {
    unsigned bytes = lane_bytes(e->lane_type), count = 16 / bytes;
    for (unsigned i = 0; i < count; i++) {
      uint64_t want = lane_get(e->u.v128, bytes, i);
      uint64_t got = lane_get(a->u.v128, bytes, i);
      bool ok = e->lane_type == SPEC_LANE_F32
                    ? f32_matches(e->nan[i], (uint32_t)want, (uint32_t)got)
                : e->lane_type == SPEC_LANE_F64
                    ? f64_matches(e->nan[i], want, got)
                    : want == got;
      if (!ok)
        return false;
    }
    return true;
  }
  default:
    return false;
  }
}

static const char *nan_text(uint8_t nan) {
  return nan == SPEC_NAN_CANONICAL ? "nan:canonical" : "nan:arithmetic";
}

const char *spec_value_format(const spec_value *v, char *buf, size_t n) {
  const char *t = wm_valtype_name(v->type);
  if (!v->has_value) {
    snprintf(buf, n, "%s", t);
    return buf;
  }
  switch (v->type) {
  case WM_I32:
  case WM_F32:
    if (v->nan[0])
      snprintf(buf, n, "%s:%s", t, nan_text(v->nan[0]));
    else
      snprintf(buf, n, "%s:%" PRIu32 " (0x%08" PRIx32 ")", t, v->u.i32,
               v->u.i32);
    return buf;
  case WM_I64:
  case WM_F64:
    if (v->nan[0])
      snprintf(buf, n, "%s:%s", t, nan_text(v->nan[0]));
    else
      snprintf(buf, n, "%s:%" PRIu64 " (0x%016" PRIx64 ")", t, v->u.i64,
               v->u.i64);
    return buf;
  case WM_FUNCREF:
  case WM_EXTERNREF:
    if (v->is_null)
      snprintf(buf, n, "%s:null", t);
    else
      snprintf(buf, n, "%s:%" PRIu64, t, v->u.ref);
    return buf;
  case WM_V128: {
    unsigned bytes = lane_bytes(v->lane_type), count = 16 / bytes;
    size_t k = (size_t)snprintf(buf, n, "v128:%s%ux%u",
                                v->lane_type >= SPEC_LANE_F32 ? "f" : "i",
                                bytes * 8, count);
    for (unsigned i = 0; i < count && k < n; i++) {
      if (v->nan[i])
        k += (size_t)snprintf(buf + k, n - k, " %s", nan_text(v->nan[i]));
      else
        k += (size_t)snprintf(buf + k, n - k, " %" PRIu64,
                              lane_get(v->u.v128, bytes, i));
    }
    return buf;
  }
  default:
    snprintf(buf, n, "?");
    return buf;
  }
}

int spec_action_parse(const json_t *obj, spec_action *out, char *msg,
                      size_t n) {
  memset(out, 0, sizeof *out);
  const char *type = json_string_value(json_object_get(obj, "type"));
  const json_t *field = json_object_get(obj, "field");
  if (!type || !json_is_string(field))
    return fail(msg, n, "action without a type or field%s", "");
  if (strcmp(type, "invoke") == 0)
    out->kind = SPEC_ACT_INVOKE;
  else if (strcmp(type, "get") == 0)
    out->kind = SPEC_ACT_GET;
  else
    return fail(msg, n, "unknown action type %s", type);
  out->module = json_string_value(json_object_get(obj, "module"));
  out->field = json_string_value(field);
  out->field_len = json_string_length(field);
  if (out->kind == SPEC_ACT_INVOKE)
    return spec_values_parse(json_object_get(obj, "args"), &out->args,
                             &out->n_args, msg, n);
  return 0;
}

void spec_action_free(spec_action *a) {
  free(a->args);
  a->args = NULL;
  a->n_args = 0;
}
