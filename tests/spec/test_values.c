/*
 * test_values.c: the spec runner's JSON value parsing and assert_return
 * matching (values.c), which execution back ends rely on.
 */
#include "values.h"
#include "wm.h"

#include <criterion/criterion.h>
#include <string.h>

static spec_value parse(const char *text) {
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  cr_assert(j, "bad test json: %s", jerr.text);
  spec_value v;
  char msg[256];
  int rc = spec_value_parse(j, &v, msg, sizeof msg);
  json_decref(j);
  cr_assert_eq(rc, 0, "%s: %s", text, msg);
  return v;
}

static int parse_rc(const char *text) {
  json_t *j = json_loads(text, 0, NULL);
  spec_value v;
  char msg[256];
  int rc = spec_value_parse(j, &v, msg, sizeof msg);
  json_decref(j);
  return rc;
}

Test(spec_values, scalars_are_unsigned_decimal_bit_patterns) {
  spec_value v = parse("{\"type\": \"i32\", \"value\": \"4294967295\"}");
  cr_assert_eq(v.type, WM_I32);
  cr_assert_eq(v.u.i32, 0xffffffffu);
  v = parse("{\"type\": \"i64\", \"value\": \"18446744073709551615\"}");
  cr_assert_eq(v.u.i64, UINT64_MAX);
  v = parse("{\"type\": \"f32\", \"value\": \"2143289344\"}");
  cr_assert_eq(v.u.i32, 0x7fc00000u);
  cr_assert_eq(v.nan[0], SPEC_EXACT);
}

Test(spec_values, out_of_range_and_signed_numbers_are_rejected) {
  cr_assert_neq(parse_rc("{\"type\": \"i32\", \"value\": \"4294967296\"}"),
                0);
  cr_assert_neq(parse_rc("{\"type\": \"i32\", \"value\": \"-1\"}"), 0);
  cr_assert_neq(parse_rc("{\"type\": \"i64\", \"value\": \"1x\"}"), 0);
  cr_assert_neq(parse_rc("{\"type\": \"i128\", \"value\": \"1\"}"), 0);
  cr_assert_neq(
      parse_rc("{\"type\": \"i32\", \"value\": \"nan:canonical\"}"), 0);
}

Test(spec_values, nan_patterns_match_the_spec_rules) {
  spec_value can = parse("{\"type\": \"f32\", \"value\": \"nan:canonical\"}");
  spec_value ari = parse("{\"type\": \"f32\", \"value\": \"nan:arithmetic\"}");
  spec_value got = {.type = WM_F32, .has_value = true};
  got.u.i32 = 0xffc00000u; /* negative canonical NaN */
  cr_assert(spec_value_matches(&can, &got));
  cr_assert(spec_value_matches(&ari, &got));
  got.u.i32 = 0x7fc00001u; /* quiet, non-canonical payload */
  cr_assert_not(spec_value_matches(&can, &got));
  cr_assert(spec_value_matches(&ari, &got));
  got.u.i32 = 0x7f800001u; /* signalling NaN */
  cr_assert_not(spec_value_matches(&ari, &got));
  spec_value can64 =
      parse("{\"type\": \"f64\", \"value\": \"nan:canonical\"}");
  spec_value got64 = {.type = WM_F64, .has_value = true};
  got64.u.i64 = 0x7ff8000000000000u;
  cr_assert(spec_value_matches(&can64, &got64));
  got64.u.i64 = 0x7ff0000000000000u; /* infinity */
  cr_assert_not(spec_value_matches(&can64, &got64));
}

Test(spec_values, v128_lanes_are_little_endian_with_per_lane_nans) {
  spec_value v = parse("{\"type\": \"v128\", \"lane_type\": \"i16\", "
                       "\"value\": [\"1\", \"2\", \"3\", \"4\", \"5\", "
                       "\"6\", \"7\", \"65535\"]}");
  cr_assert_eq(v.lane_type, SPEC_LANE_I16);
  cr_assert_eq(v.u.v128[0], 1);
  cr_assert_eq(v.u.v128[1], 0);
  cr_assert_eq(v.u.v128[14], 0xff);
  cr_assert_eq(v.u.v128[15], 0xff);
  spec_value f = parse("{\"type\": \"v128\", \"lane_type\": \"f32\", "
                       "\"value\": [\"nan:canonical\", \"0\", \"1065353216\","
                       " \"nan:arithmetic\"]}");
  spec_value got = {.type = WM_V128, .has_value = true};
  uint32_t lanes[4] = {0x7fc00000u, 0, 0x3f800000u, 0x7fe00000u};
  memcpy(got.u.v128, lanes, 16);
  cr_assert(spec_value_matches(&f, &got));
  lanes[2] = 0x3f800001u;
  memcpy(got.u.v128, lanes, 16);
  cr_assert_not(spec_value_matches(&f, &got));
  cr_assert_neq(parse_rc("{\"type\": \"v128\", \"lane_type\": \"i32\", "
                         "\"value\": [\"1\", \"2\"]}"),
                0);
}

Test(spec_values, references_are_null_or_numbered) {
  spec_value n = parse("{\"type\": \"externref\", \"value\": \"null\"}");
  spec_value one = parse("{\"type\": \"externref\", \"value\": \"1\"}");
  cr_assert(n.is_null);
  cr_assert_not(one.is_null);
  cr_assert_eq(one.u.ref, 1);
  cr_assert_not(spec_value_matches(&n, &one));
  cr_assert(spec_value_matches(&one, &one));
  spec_value f = parse("{\"type\": \"funcref\", \"value\": \"null\"}");
  cr_assert_not(spec_value_matches(&f, &n), "types differ");
}

Test(spec_values, type_only_expectations_match_any_value_of_the_type) {
  spec_value t = parse("{\"type\": \"i32\"}");
  cr_assert_not(t.has_value);
  spec_value got = {.type = WM_I32, .has_value = true, .u.i32 = 7};
  cr_assert(spec_value_matches(&t, &got));
  got.type = WM_I64;
  cr_assert_not(spec_value_matches(&t, &got));
}

Test(spec_values, actions_keep_module_field_and_args) {
  json_t *j = json_loads(
      "{\"type\": \"invoke\", \"module\": \"$M\", \"field\": \"a\\u0000b\", "
      "\"args\": [{\"type\": \"i32\", \"value\": \"3\"}]}",
      JSON_ALLOW_NUL, NULL);
  spec_action a;
  char msg[256];
  cr_assert_eq(spec_action_parse(j, &a, msg, sizeof msg), 0, "%s", msg);
  cr_assert_eq(a.kind, SPEC_ACT_INVOKE);
  cr_assert_str_eq(a.module, "$M");
  cr_assert_eq(a.field_len, 3);
  cr_assert_eq(a.n_args, 1);
  cr_assert_eq(a.args[0].u.i32, 3);
  spec_action_free(&a);
  json_decref(j);
}

Test(spec_values, format_names_type_and_value) {
  char buf[128];
  spec_value v = parse("{\"type\": \"f64\", \"value\": \"nan:arithmetic\"}");
  cr_assert_str_eq(spec_value_format(&v, buf, sizeof buf),
                   "f64:nan:arithmetic");
  v = parse("{\"type\": \"i32\", \"value\": \"10\"}");
  cr_assert_str_eq(spec_value_format(&v, buf, sizeof buf),
                   "i32:10 (0x0000000a)");
}
