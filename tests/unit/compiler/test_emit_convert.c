/*
 * test_emit_convert.c: conversions of compiled code (compiler/
 * emit_convert.c): exact trapping-truncation ranges (NaN is an invalid
 * conversion, out of range an overflow), saturation, rounding of int->float
 * conversions, wraps, extensions and reinterpretations.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>

static wct *T;

static void open_numeric(int opt) {
  char msg[1024];
  wct_opts o = {.bounds = WR_BOUNDS_GUARD, .opt_level = (uint8_t)opt};
  cr_assert_eq(wct_open("numeric", &o, &T, msg, sizeof msg), 0, "%s", msg);
}

/* Every test runs at -O0 and -O2. */
#define OPT_TEST(name)                                                         \
  ParameterizedTestParameters(compiler_emit_convert, name) {                   \
    static int opts[] = {0, 2};                                                \
    return cr_make_param_array(int, opts, 2);                                  \
  }                                                                            \
  ParameterizedTest(int *opt, compiler_emit_convert, name)

static uint32_t conv(const char *op, wr_val in, wr_val *out) {
  wr_val v[1] = {in};
  uint32_t k = wct_call(T, op, v);
  *out = v[0];
  return k;
}

#define OK(op, in, field, want)                                                \
  do {                                                                         \
    wr_val r_;                                                                 \
    uint32_t k_ = conv(op, in, &r_);                                           \
    cr_assert_eq(k_, WR_TRAP_NONE, "%s trapped (%u)", op, k_);                 \
    cr_assert_eq(r_.field, want, "%s: got 0x%llx", op,                         \
                 (unsigned long long)r_.field);                                \
  } while (0)

#define TRAPS(op, in, kind)                                                    \
  do {                                                                         \
    wr_val r_;                                                                 \
    cr_assert_eq(conv(op, in, &r_), kind, "%s should trap %s", op, #kind);     \
  } while (0)

OPT_TEST(trapping_truncation_checks_nan_then_exact_range) {
  open_numeric(*opt);
  TRAPS("i32.trunc_f32_s", wct_f32(NAN), WR_TRAP_INVALID_CONVERSION);
  TRAPS("i64.trunc_f64_u", wct_f64(-NAN), WR_TRAP_INVALID_CONVERSION);
  TRAPS("i32.trunc_f32_s", wct_f32(2147483648.0f), WR_TRAP_INT_OVERFLOW);
  OK("i32.trunc_f32_s", wct_f32(-2147483648.0f), i32, 0x80000000u);
  TRAPS("i32.trunc_f32_s", wct_f32(-2147483904.0f), WR_TRAP_INT_OVERFLOW);
  OK("i32.trunc_f64_s", wct_f64(-2147483648.9), i32, 0x80000000u);
  TRAPS("i32.trunc_f64_s", wct_f64(-2147483649.0), WR_TRAP_INT_OVERFLOW);
  OK("i32.trunc_f64_s", wct_f64(2147483647.9), i32, 0x7fffffffu);
  TRAPS("i32.trunc_f64_s", wct_f64(2147483648.0), WR_TRAP_INT_OVERFLOW);
  OK("i32.trunc_f32_u", wct_f32(-0.9f), i32, 0u);
  TRAPS("i32.trunc_f32_u", wct_f32(-1.0f), WR_TRAP_INT_OVERFLOW);
  OK("i32.trunc_f64_u", wct_f64(4294967295.9), i32, 0xffffffffu);
  TRAPS("i32.trunc_f64_u", wct_f64(4294967296.0), WR_TRAP_INT_OVERFLOW);
  TRAPS("i32.trunc_f64_u", wct_f64(INFINITY), WR_TRAP_INT_OVERFLOW);
  OK("i64.trunc_f64_s", wct_f64(-9223372036854775808.0), i64, 1ull << 63);
  TRAPS("i64.trunc_f64_s", wct_f64(9223372036854775808.0),
        WR_TRAP_INT_OVERFLOW);
  OK("i64.trunc_f32_s", wct_f32(-9223372036854775808.0f), i64, 1ull << 63);
  OK("i64.trunc_f64_u", wct_f64(18446744073709549568.0), i64,
     0xfffffffffffff800ull);
  TRAPS("i64.trunc_f64_u", wct_f64(18446744073709551616.0),
        WR_TRAP_INT_OVERFLOW);
  OK("i64.trunc_f32_u", wct_f32(-0.5f), i64, 0u);
  TRAPS("i64.trunc_f32_u", wct_f32(-1.0f), WR_TRAP_INT_OVERFLOW);
  /* a dropped truncation still traps */
  TRAPS("trunc_dropped", wct_f64(1e10), WR_TRAP_INT_OVERFLOW);
  wct_close(T);
}

OPT_TEST(saturating_truncation_clamps_and_maps_nan_to_zero) {
  open_numeric(*opt);
  OK("i32.trunc_sat_f32_s", wct_f32(NAN), i32, 0u);
  OK("i32.trunc_sat_f32_s", wct_f32(INFINITY), i32, 0x7fffffffu);
  OK("i32.trunc_sat_f64_s", wct_f64(-1e300), i32, 0x80000000u);
  OK("i32.trunc_sat_f64_u", wct_f64(-5.0), i32, 0u);
  OK("i32.trunc_sat_f32_u", wct_f32(1e20f), i32, 0xffffffffu);
  OK("i64.trunc_sat_f64_s", wct_f64(1e300), i64, 0x7fffffffffffffffull);
  OK("i64.trunc_sat_f64_u", wct_f64(-NAN), i64, 0u);
  OK("i64.trunc_sat_f32_u", wct_f32(INFINITY), i64, ~0ull);
  OK("i64.trunc_sat_f32_s", wct_f32(-3.7f), i64, (uint64_t)-3);
  wct_close(T);
}

OPT_TEST(int_to_float_rounds_once_to_nearest_even) {
  open_numeric(*opt);
  wr_val r;
  /* double rounding (via f64) would give 9007199254740992 */
  cr_assert_eq(conv("f32.convert_i64_s", wct_i64(9007199791611905ull), &r),
               0);
  cr_assert_eq(wct_as_f32(r), 9007200328482816.0f);
  cr_assert_eq(conv("f32.convert_i64_u", wct_i64(~0ull), &r), 0);
  cr_assert_eq(wct_as_f32(r), 18446744073709551616.0f);
  cr_assert_eq(conv("f64.convert_i64_u", wct_i64(0x8000000000000401ull), &r),
               0);
  cr_assert_eq(wct_as_f64(r), 9223372036854777856.0);
  cr_assert_eq(conv("f32.convert_i32_u", wct_i32(0xffffffffu), &r), 0);
  cr_assert_eq(wct_as_f32(r), 4294967296.0f);
  cr_assert_eq(conv("f64.convert_i32_s", wct_i32(0x80000000u), &r), 0);
  cr_assert_eq(wct_as_f64(r), -2147483648.0);
  wct_close(T);
}

OPT_TEST(wraps_extends_demotions_and_reinterprets) {
  open_numeric(*opt);
  OK("i32.wrap_i64", wct_i64(0x123456789abcdef0ull), i32, 0x9abcdef0u);
  OK("i64.extend_i32_s", wct_i32(0x80000000u), i64, 0xffffffff80000000ull);
  OK("i64.extend_i32_u", wct_i32(0x80000000u), i64, 0x80000000ull);
  OK("i32.reinterpret_f32", wct_f32(-1.0f), i32, 0xbf800000u);
  OK("f64.reinterpret_i64", wct_i64(0x7ff4000000000001ull), f64,
     0x7ff4000000000001ull);
  wr_val r;
  cr_assert_eq(conv("f32.demote_f64", wct_f64(1e300), &r), 0);
  cr_assert(isinf(wct_as_f32(r)));
  cr_assert_eq(conv("f32.demote_f64", wct_f64(NAN), &r), 0);
  cr_assert(isnan(wct_as_f32(r)));
  cr_assert_eq(conv("f64.promote_f32", wct_f32(0.1f), &r), 0);
  cr_assert_eq(wct_as_f64(r), (double)0.1f);
  wct_close(T);
}
