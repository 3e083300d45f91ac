/*
 * test_emit_numeric.c: integer and float arithmetic of compiled code
 * (compiler/emit_numeric.c), at -O0 (FastISel) and -O2, on the operands'
 * edge cases: wrapping, division traps, masked shifts, NaN propagation,
 * signed zeros, rounding ties, NaN payloads through abs/neg/constants.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <string.h>

static wct *T;

static void open_numeric(int opt) {
  char msg[1024];
  wct_opts o = {.bounds = WR_BOUNDS_GUARD, .opt_level = (uint8_t)opt};
  cr_assert_eq(wct_open("numeric", &o, &T, msg, sizeof msg), 0, "%s", msg);
}

/* Every test runs at -O0 and -O2. */
#define OPT_TEST(name)                                                         \
  ParameterizedTestParameters(compiler_emit_numeric, name) {                   \
    static int opts[] = {0, 2};                                                \
    return cr_make_param_array(int, opts, 2);                                  \
  }                                                                            \
  ParameterizedTest(int *opt, compiler_emit_numeric, name)

/* Calls a two-operand export; checks it did not trap; returns vals[0]. */
static wr_val call2(const char *op, wr_val a, wr_val b) {
  wr_val v[2] = {a, b};
  uint32_t k = wct_call(T, op, v);
  cr_assert_eq(k, WR_TRAP_NONE, "%s trapped with kind %u", op, k);
  return v[0];
}

static wr_val call1(const char *op, wr_val a) {
  wr_val v[1] = {a};
  uint32_t k = wct_call(T, op, v);
  cr_assert_eq(k, WR_TRAP_NONE, "%s trapped with kind %u", op, k);
  return v[0];
}

static uint32_t trap2(const char *op, wr_val a, wr_val b) {
  wr_val v[2] = {a, b};
  return wct_call(T, op, v);
}

#define I32(op, a, b) call2(op, wct_i32((uint32_t)(a)), wct_i32((uint32_t)(b))).i32
#define I64(op, a, b) call2(op, wct_i64((uint64_t)(a)), wct_i64((uint64_t)(b))).i64
#define F32B(op, a, b) call2(op, wct_f32(a), wct_f32(b)).f32
#define F64B(op, a, b) call2(op, wct_f64(a), wct_f64(b)).f64

static uint32_t bits32(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static uint64_t bits64(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

OPT_TEST(integer_arithmetic_wraps_around) {
  open_numeric(*opt);
  cr_assert_eq(I32("i32.add", 0x7fffffff, 1), 0x80000000u);
  cr_assert_eq(I32("i32.sub", 0, 1), 0xffffffffu);
  cr_assert_eq(I32("i32.mul", 0x10000, 0x10000), 0u);
  cr_assert_eq(I64("i64.mul", 0x100000000ull, 0x100000000ull), 0u);
  cr_assert_eq(I64("i64.add", -1, 2), 1u);
  cr_assert_eq(I32("i32.xor", 0xff00ff00u, 0x0ff00ff0u), 0xf0f0f0f0u);
  wct_close(T);
}

OPT_TEST(division_traps_on_zero_and_overflow_only) {
  open_numeric(*opt);
  cr_assert_eq(I32("i32.div_s", -7, 2), (uint32_t)-3);
  cr_assert_eq(I32("i32.rem_s", -7, 2), (uint32_t)-1);
  cr_assert_eq(I32("i32.div_u", -7, 2), 0x7ffffffcu);
  cr_assert_eq(I32("i32.rem_u", -7, 2), 1u);
  cr_assert_eq(trap2("i32.div_s", wct_i32(1), wct_i32(0)),
               WR_TRAP_INT_DIV_ZERO);
  cr_assert_eq(trap2("i32.div_u", wct_i32(1), wct_i32(0)),
               WR_TRAP_INT_DIV_ZERO);
  cr_assert_eq(trap2("i32.rem_s", wct_i32(1), wct_i32(0)),
               WR_TRAP_INT_DIV_ZERO);
  cr_assert_eq(trap2("i32.rem_u", wct_i32(1), wct_i32(0)),
               WR_TRAP_INT_DIV_ZERO);
  cr_assert_eq(trap2("i32.div_s", wct_i32(0x80000000u), wct_i32(-1u)),
               WR_TRAP_INT_OVERFLOW);
  cr_assert_eq(trap2("i64.div_s", wct_i64(1ull << 63), wct_i64(-1ull)),
               WR_TRAP_INT_OVERFLOW);
  cr_assert_eq(trap2("i64.rem_u", wct_i64(5), wct_i64(0)),
               WR_TRAP_INT_DIV_ZERO);
  /* INT_MIN rem -1 is 0, not a fault (x86 idiv would raise #DE) */
  cr_assert_eq(I32("i32.rem_s", 0x80000000u, -1), 0u);
  cr_assert_eq(I64("i64.rem_s", 1ull << 63, -1), 0u);
  cr_assert_eq(I32("i32.div_s", 0x80000000u, 1), 0x80000000u);
  /* a dropped division still traps */
  cr_assert_eq(trap2("div_s_dropped", wct_i32(3), wct_i32(0)),
               WR_TRAP_INT_DIV_ZERO);
  wct_close(T);
}

OPT_TEST(shift_counts_are_masked_and_rotates_wrap) {
  open_numeric(*opt);
  cr_assert_eq(I32("i32.shl", 1, 33), 2u);
  cr_assert_eq(I32("i32.shr_s", 0x80000000u, 31 + 32), 0xffffffffu);
  cr_assert_eq(I32("i32.shr_u", 0x80000000u, 31 + 64), 1u);
  cr_assert_eq(I64("i64.shl", 1, 65), 2u);
  cr_assert_eq(I64("i64.shr_s", 1ull << 63, 127), ~0ull);
  cr_assert_eq(I32("i32.rotl", 0x80000001u, 1), 3u);
  cr_assert_eq(I32("i32.rotr", 3, 33), 0x80000001u);
  cr_assert_eq(I32("i32.rotl", 0x12345678u, 0), 0x12345678u);
  cr_assert_eq(I64("i64.rotr", 1, 64 + 4), 1ull << 60);
  wct_close(T);
}

OPT_TEST(bit_counts_of_zero_are_the_width) {
  open_numeric(*opt);
  cr_assert_eq(call1("i32.clz", wct_i32(0)).i32, 32u);
  cr_assert_eq(call1("i32.ctz", wct_i32(0)).i32, 32u);
  cr_assert_eq(call1("i64.clz", wct_i64(0)).i64, 64u);
  cr_assert_eq(call1("i64.ctz", wct_i64(0)).i64, 64u);
  cr_assert_eq(call1("i32.clz", wct_i32(1)).i32, 31u);
  cr_assert_eq(call1("i64.ctz", wct_i64(1ull << 40)).i64, 40u);
  cr_assert_eq(call1("i32.popcnt", wct_i32(~0u)).i32, 32u);
  cr_assert_eq(call1("i64.popcnt", wct_i64(0x8000000000000001ull)).i64, 2u);
  cr_assert_eq(call1("i32.eqz", wct_i32(0)).i32, 1u);
  cr_assert_eq(call1("i64.eqz", wct_i64(1ull << 63)).i32, 0u);
  wct_close(T);
}

OPT_TEST(comparisons_and_sign_extension) {
  open_numeric(*opt);
  cr_assert_eq(I32("i32.lt_s", -1, 0), 1u);
  cr_assert_eq(I32("i32.lt_u", -1, 0), 0u);
  cr_assert_eq(I32("i32.ge_u", 0x80000000u, 0x7fffffffu), 1u);
  cr_assert_eq(call2("i64.gt_s", wct_i64(1ull << 63), wct_i64(0)).i32, 0u);
  cr_assert_eq(call2("i64.le_u", wct_i64(5), wct_i64(5)).i32, 1u);
  cr_assert_eq(call1("i32.extend8_s", wct_i32(0x180)).i32, 0xffffff80u);
  cr_assert_eq(call1("i32.extend16_s", wct_i32(0x7fff)).i32, 0x7fffu);
  cr_assert_eq(call1("i64.extend32_s", wct_i64(0x80000000ull)).i64,
               0xffffffff80000000ull);
  cr_assert_eq(call1("i64.extend8_s", wct_i64(0x7f)).i64, 0x7full);
  wct_close(T);
}

OPT_TEST(min_max_propagate_nan_and_order_signed_zeros) {
  open_numeric(*opt);
  cr_assert(isnan(wct_as_f32(call2("f32.min", wct_f32(NAN), wct_f32(1)))));
  cr_assert(isnan(wct_as_f32(call2("f32.max", wct_f32(1), wct_f32(NAN)))));
  cr_assert(isnan(wct_as_f64(call2("f64.min", wct_f64(-1), wct_f64(NAN)))));
  cr_assert_eq(F32B("f32.min", 0.0f, -0.0f), 0x80000000u);
  cr_assert_eq(F32B("f32.min", -0.0f, 0.0f), 0x80000000u);
  cr_assert_eq(F32B("f32.max", -0.0f, 0.0f), 0u);
  cr_assert_eq(F64B("f64.max", 0.0, -0.0), 0u);
  cr_assert_eq(F64B("f64.min", 0.0, -0.0), 1ull << 63);
  cr_assert_eq(wct_as_f64(call2("f64.max", wct_f64(-INFINITY), wct_f64(3))),
               3.0);
  cr_assert_eq(call2("f32.eq", wct_f32(NAN), wct_f32(NAN)).i32, 0u);
  cr_assert_eq(call2("f32.ne", wct_f32(NAN), wct_f32(NAN)).i32, 1u);
  cr_assert_eq(call2("f64.lt", wct_f64(NAN), wct_f64(1)).i32, 0u);
  cr_assert_eq(call2("f64.ge", wct_f64(-0.0), wct_f64(0.0)).i32, 1u);
  wct_close(T);
}

OPT_TEST(rounding_ties_go_to_even_and_keep_zero_signs) {
  open_numeric(*opt);
  cr_assert_eq(wct_as_f32(call1("f32.nearest", wct_f32(2.5f))), 2.0f);
  cr_assert_eq(wct_as_f32(call1("f32.nearest", wct_f32(3.5f))), 4.0f);
  cr_assert_eq(call1("f32.nearest", wct_f32(-0.5f)).f32, 0x80000000u);
  cr_assert_eq(wct_as_f64(call1("f64.nearest", wct_f64(-2.5))), -2.0);
  cr_assert_eq(wct_as_f64(call1("f64.nearest", wct_f64(4503599627370497.0))),
               4503599627370497.0);
  cr_assert_eq(call1("f64.ceil", wct_f64(-0.5)).f64, 1ull << 63);
  cr_assert_eq(wct_as_f64(call1("f64.floor", wct_f64(-0.5))), -1.0);
  cr_assert_eq(wct_as_f32(call1("f32.trunc", wct_f32(-1.9f))), -1.0f);
  cr_assert(isnan(wct_as_f64(call1("f64.sqrt", wct_f64(-1)))));
  cr_assert_eq(wct_as_f64(call1("f64.sqrt", wct_f64(2.25))), 1.5);
  cr_assert_eq(wct_as_f64(call2("f64.div", wct_f64(1), wct_f64(-0.0))),
               -INFINITY);
  wct_close(T);
}

OPT_TEST(abs_neg_copysign_and_constants_keep_nan_payloads) {
  open_numeric(*opt);
  /* a signalling NaN stays signalling: no float arithmetic touches it */
  cr_assert_eq(call1("f32.neg_bits", wct_i32(0x7fa00001u)).i32, 0xffa00001u);
  cr_assert_eq(call1("f32.neg_bits", wct_i32(0xffa00001u)).i32, 0x7fa00001u);
  cr_assert_eq(call1("f64.abs_bits", wct_i64(0xfff4000000000001ull)).i64,
               0x7ff4000000000001ull);
  cr_assert_eq(call1("f32.abs", wct_f32(-0.0f)).f32, 0u);
  cr_assert_eq(call1("f64.neg", wct_f64(0.0)).f64, 1ull << 63);
  cr_assert_eq(call1("f32.const_snan", wct_i32(0)).i32, 0x7fa00001u);
  cr_assert_eq(call1("f64.const_snan", wct_i64(0)).i64, 0xfff4000000000001ull);
  cr_assert_eq(F32B("f32.copysign", 1.5f, -0.0f), bits32(-1.5f));
  cr_assert_eq(F64B("f64.copysign", -2.0, 0.0), bits64(2.0));
  wct_close(T);
}
