/*
 * test_emit_simd.c: SIMD lowering (compiler/emit_simd*.c) at -O0 and -O2,
 * on the cases where a plain vector instruction would be wrong: NaN and
 * signed-zero rules of min/max/pmin/pmax, saturation (narrow, q15mulr,
 * trunc_sat), out-of-range swizzle indices, shift counts modulo the lane
 * width, wrapping dot products, lane sign extension, and the narrow memory
 * accesses with their exact-size bounds in both bounds modes.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct mode {
  uint8_t bounds, opt;
} mode;

static wct *T;

static void open_simd(uint8_t bounds, int opt) {
  char msg[1024];
  wct_opts o = {.bounds = bounds, .opt_level = (uint8_t)opt};
  cr_assert_eq(wct_open("simd", &o, &T, msg, sizeof msg), 0, "%s", msg);
}

/* Every test runs at -O0 and -O2; memory tests in both bounds modes. */
#define OPT_TEST(name)                                                         \
  ParameterizedTestParameters(compiler_emit_simd, name) {                      \
    static int opts[] = {0, 2};                                                \
    return cr_make_param_array(int, opts, 2);                                  \
  }                                                                            \
  ParameterizedTest(int *opt, compiler_emit_simd, name)

#define MODE_TEST(name)                                                        \
  ParameterizedTestParameters(compiler_emit_simd, name) {                      \
    static mode modes[] = {{WR_BOUNDS_GUARD, 0},                               \
                           {WR_BOUNDS_GUARD, 2},                               \
                           {WR_BOUNDS_EXPLICIT, 0},                            \
                           {WR_BOUNDS_EXPLICIT, 2}};                           \
    return cr_make_param_array(mode, modes, 4);                                \
  }                                                                            \
  ParameterizedTest(mode *m, compiler_emit_simd, name)

static wr_val vbytes(const void *p) {
  wr_val v;
  memcpy(v.v128, p, 16);
  return v;
}

#define I8X16(...) vbytes((const int8_t[16]){__VA_ARGS__})
#define I16X8(...) vbytes((const int16_t[8]){__VA_ARGS__})
#define I32X4(...) vbytes((const uint32_t[4]){__VA_ARGS__})
#define I64X2(...) vbytes((const uint64_t[2]){__VA_ARGS__})
#define F32X4(...) vbytes((const float[4]){__VA_ARGS__})
#define F64X2(...) vbytes((const double[2]){__VA_ARGS__})

static wr_val call(const char *op, wr_val *v) {
  uint32_t k = wct_call(T, op, v);
  cr_assert_eq(k, WR_TRAP_NONE, "%s trapped with kind %u", op, k);
  return v[0];
}

static wr_val call1(const char *op, wr_val a) {
  wr_val v[1] = {a};
  return call(op, v);
}

static wr_val call2(const char *op, wr_val a, wr_val b) {
  wr_val v[2] = {a, b};
  return call(op, v);
}

static void hex(const wr_val *v, char *buf) {
  for (int i = 0; i < 16; i++)
    sprintf(buf + 3 * i, "%02x ", v->v128[i]);
}

static void expect(const char *op, wr_val got, wr_val want) {
  char g[64], w[64];
  hex(&got, g);
  hex(&want, w);
  cr_assert_eq(memcmp(got.v128, want.v128, 16), 0, "%s:\n got  %s\n want %s",
               op, g, w);
}

static uint32_t lane32(wr_val v, int i) {
  uint32_t x;
  memcpy(&x, v.v128 + 4 * i, 4);
  return x;
}

static uint64_t lane64(wr_val v, int i) {
  uint64_t x;
  memcpy(&x, v.v128 + 8 * i, 8);
  return x;
}

static float f32_of(uint32_t bits) {
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

OPT_TEST(min_max_propagate_nan_quietly_and_order_zeros) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  float snan = f32_of(0x7fa00000u);
  wr_val r = call2("f32x4.min", F32X4(-0.0f, 1.0f, NAN, snan),
                   F32X4(0.0f, NAN, -INFINITY, 1.0f));
  cr_assert_eq(lane32(r, 0), 0x80000000u, "min(-0, +0) is -0");
  for (int i = 1; i < 4; i++) {
    uint32_t x = lane32(r, i);
    cr_assert((x & 0x7fc00000u) == 0x7fc00000u, "lane %d %#x is no quiet NaN",
              i, x);
  }
  r = call2("f64x2.max", F64X2(-0.0, 1.0), F64X2(0.0, NAN));
  cr_assert_eq(lane64(r, 0), 0u, "max(-0, +0) is +0");
  cr_assert((lane64(r, 1) & 0x7ff8000000000000ull) == 0x7ff8000000000000ull);
  wct_close(T);
}

OPT_TEST(pmin_pmax_are_the_compare_and_select_they_are_defined_as) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  /* pmin = b < a ? b : a: a NaN or equal comparison keeps a */
  wr_val r = call2("f32x4.pmin", F32X4(NAN, -0.0f, 1.0f, 2.0f),
                   F32X4(1.0f, 0.0f, NAN, 1.0f));
  cr_assert(isnan(f32_of(lane32(r, 0))));
  cr_assert_eq(lane32(r, 1), 0x80000000u);
  cr_assert_eq(lane32(r, 2), 0x3f800000u);
  cr_assert_eq(lane32(r, 3), 0x3f800000u);
  /* pmax = a < b ? b : a */
  r = call2("f64x2.pmax", F64X2(0.0, 1.0), F64X2(-0.0, NAN));
  expect("f64x2.pmax", r, F64X2(0.0, 1.0));
  wct_close(T);
}

OPT_TEST(sign_and_rounding_ops_keep_nan_payloads_and_ties_to_even) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  wr_val r = call1("f32x4.neg", I32X4(0x7fa00001u, 0, 0x80000000u, 1));
  expect("f32x4.neg", r, I32X4(0xffa00001u, 0x80000000u, 0, 0x80000001u));
  /* x * 1 and x - 0 quiet a signalling NaN like any arithmetic */
  r = call1("f32x4.mul_one", I32X4(0x7fa00001u, 0xffa00000u, 0x3f800000u, 0));
  for (int i = 0; i < 2; i++)
    cr_assert_eq(lane32(r, i) & 0x7fc00000u, 0x7fc00000u,
                 "lane %d %#x is no quiet NaN", i, lane32(r, i));
  cr_assert_eq(lane32(r, 2), 0x3f800000u);
  r = call1("f64x2.sub_zero", I64X2(0x7ff4000000000000ull, 0));
  cr_assert_eq(lane64(r, 0) & 0x7ff8000000000000ull, 0x7ff8000000000000ull);
  r = call1("f32x4.nearest", F32X4(0.5f, 1.5f, 2.5f, -0.5f));
  expect("f32x4.nearest", r, F32X4(0.0f, 2.0f, 2.0f, -0.0f));
  wct_close(T);
}

OPT_TEST(integer_saturation_and_rounding) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  expect("i16x8.q15mulr_sat_s",
         call2("i16x8.q15mulr_sat_s",
               I16X8(-32768, -32768, 16384, -1, 32767, 1, 0, 100),
               I16X8(-32768, 32767, 16384, 1, 32767, 1, 5, -100)),
         I16X8(32767, -32767, 8192, 0, 32766, 0, 0, 0));
  expect("i8x16.narrow_i16x8_s",
         call2("i8x16.narrow_i16x8_s",
               I16X8(300, -300, 127, -128, 128, -129, 0, 1),
               I16X8(-1, 2, 32767, -32768, 5, 6, 7, 8)),
         I8X16(127, -128, 127, -128, 127, -128, 0, 1, -1, 2, 127, -128, 5, 6, 7,
               8));
  expect("i8x16.narrow_i16x8_u",
         call2("i8x16.narrow_i16x8_u", I16X8(-1, 256, 255, 0, 1, 2, 3, 4),
               I16X8(-32768, 32767, 128, 0, 0, 0, 0, 0)),
         I8X16(0, -1, -1, 0, 1, 2, 3, 4, 0, -1, -128, 0, 0, 0, 0, 0));
  expect("i16x8.narrow_i32x4_u",
         call2("i16x8.narrow_i32x4_u", I32X4((uint32_t)-5, 70000, 65535, 1),
               I32X4(0x80000000u, 0x7fffffffu, 32768, 0)),
         I16X8(0, -1, -1, 1, 0, -1, -32768, 0));
  expect("i8x16.add_sat_s",
         call2("i8x16.add_sat_s", I8X16(127, -128, 100, -100, 1),
               I8X16(1, -1, 100, -100, 2)),
         I8X16(127, -128, 127, -128, 3));
  expect("i8x16.avgr_u",
         call2("i8x16.avgr_u", I8X16(-1, 0, 1, -2, 3), I8X16(-1, 1, 2, -1, 4)),
         I8X16(-1, 1, 2, -1, 4));
  wct_close(T);
}

OPT_TEST(float_to_int_saturates_and_maps_nan_to_zero) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  expect("i32x4.trunc_sat_f32x4_s",
         call1("i32x4.trunc_sat_f32x4_s", F32X4(NAN, 3e9f, -3e9f, -1.9f)),
         I32X4(0, 0x7fffffffu, 0x80000000u, (uint32_t)-1));
  expect("i32x4.trunc_sat_f32x4_u",
         call1("i32x4.trunc_sat_f32x4_u", F32X4(-NAN, 5e9f, -1.5f, 3.9f)),
         I32X4(0, 0xffffffffu, 0, 3));
  expect("i32x4.trunc_sat_f64x2_u_zero",
         call1("i32x4.trunc_sat_f64x2_u_zero", F64X2(-0.9, 4294967296.0)),
         I32X4(0, 0xffffffffu, 0, 0));
  expect("f64x2.convert_low_i32x4_u",
         call1("f64x2.convert_low_i32x4_u", I32X4(0xffffffffu, 1, 7, 7)),
         F64X2(4294967295.0, 1.0));
  expect("f32x4.demote_f64x2_zero",
         call1("f32x4.demote_f64x2_zero", F64X2(1e300, 0.5)),
         F32X4(INFINITY, 0.5f, 0.0f, 0.0f));
  wct_close(T);
}

OPT_TEST(swizzle_zeroes_out_of_range_lanes_and_shuffle_picks_bytes) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  wr_val a = I8X16(0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
                   0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f);
  /* 0x70 and 0x8f would select a lane if only the low bits counted */
  wr_val idx = I8X16(0, 15, 16, -1, -128, 3, 17, 1, 0x70, (int8_t)0x8f, 0x7f,
                     14, 2, 0x20, 8, 9);
  expect("i8x16.swizzle", call2("i8x16.swizzle", a, idx),
         I8X16(0x10, 0x1f, 0, 0, 0, 0x13, 0, 0x11, 0, 0, 0, 0x1e, 0x12, 0, 0x18,
               0x19));
  wr_val b = I8X16(0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
                   0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f);
  expect("i8x16.shuffle", call2("i8x16.shuffle", a, b),
         I8X16(0x2f, 0x10, 0x2e, 0x11, 0x2d, 0x12, 0x2c, 0x13, 0x2b, 0x14, 0x2a,
               0x15, 0x29, 0x16, 0x28, 0x17));
  wct_close(T);
}

OPT_TEST(lanes_extend_and_truncate_to_their_width) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  wr_val v = I8X16(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, -1, -128);
  cr_assert_eq(call1("i8x16.extract_lane_s", v).i32, 0xffffff80u);
  cr_assert_eq(call1("i16x8.extract_lane_u", v).i32, 0x80ffu);
  wr_val args[2] = {v, wct_i32(0x1ff)};
  expect("i8x16.replace_lane", call("i8x16.replace_lane", args),
         I8X16(1, 2, 3, -1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, -1, -128));
  expect("i8x16.splat", call1("i8x16.splat", wct_i32(0x1ab)),
         I8X16(-85, -85, -85, -85, -85, -85, -85, -85, -85, -85, -85, -85, -85,
               -85, -85, -85));
  wct_close(T);
}

OPT_TEST(shift_counts_wrap_at_the_lane_width) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  wr_val args[2] = {I8X16(1, -128, 0x41), wct_i32(9)};
  expect("i8x16.shl", call("i8x16.shl", args), I8X16(2, 0, -126));
  wr_val args2[2] = {I64X2(0x8000000000000000ull, 4), wct_i32(65)};
  expect("i64x2.shr_s", call("i64x2.shr_s", args2),
         I64X2(0xc000000000000000ull, 2));
  wct_close(T);
}

OPT_TEST(reductions_widening_and_bitwise) {
  open_simd(WR_BOUNDS_GUARD, *opt);
  cr_assert_eq(call1("i8x16.bitmask", I8X16(-1, 0, -128, 127, 0, 0, 0, 0, 0, 0,
                                            0, 0, 0, 0, 0, -2))
                   .i32,
               0x8005u);
  cr_assert_eq(call1("i16x8.all_true", I16X8(1, 2, 3, 4, 5, 6, 7, 0)).i32, 0u);
  cr_assert_eq(call1("i16x8.all_true", I16X8(1, 2, 3, 4, 5, 6, 7, -32768)).i32,
               1u);
  cr_assert_eq(call1("v128.any_true", I64X2(0, 0)).i32, 0u);
  cr_assert_eq(call1("v128.any_true", I64X2(0, 1ull << 63)).i32, 1u);
  /* 2 * (-32768)^2 wraps to INT_MIN */
  expect("i32x4.dot_i16x8_s",
         call2("i32x4.dot_i16x8_s", I16X8(-32768, -32768, 1, 2, 3, 4, -5, 6),
               I16X8(-32768, -32768, 10, 20, 1, 1, 5, 5)),
         I32X4(0x80000000u, 50, 7, 5));
  expect("i16x8.extadd_pairwise_i8x16_u",
         call1("i16x8.extadd_pairwise_i8x16_u",
               I8X16(-1, -1, 1, 2, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
         I16X8(510, 3, 128, 0, 0, 0, 0, 0));
  expect("i64x2.extmul_high_i32x4_s",
         call2("i64x2.extmul_high_i32x4_s",
               I32X4(9, 9, (uint32_t)-1, 0x7fffffff),
               I32X4(9, 9, 0x7fffffff, 0x7fffffff)),
         I64X2((uint64_t)-0x7fffffffll, 0x3fffffff00000001ull));
  expect("i8x16.popcnt", call1("i8x16.popcnt", I8X16(-1, 0, 7, -128)),
         I8X16(8, 0, 3, 1));
  expect("i8x16.abs", call1("i8x16.abs", I8X16(-128, -1, 5)),
         I8X16(-128, 1, 5));
  wr_val bs[3] = {I64X2(0x1111111111111111ull, ~0ull),
                  I64X2(0x2222222222222222ull, 0),
                  I64X2(0xff00ff00ff00ff00ull, 0x0f)};
  expect("v128.bitselect", call("v128.bitselect", bs),
         I64X2(0x1122112211221122ull, 0x0f));
  wct_close(T);
}

static uint32_t trap_at(const char *name, uint32_t addr) {
  wr_val v[2] = {wct_i32(addr), I64X2(0, 0)};
  return wct_call(T, name, v);
}

MODE_TEST(narrow_accesses_read_and_write_exactly_their_size) {
  open_simd(m->bounds, m->opt);
  expect("v128.load8x8_s", call1("v128.load8x8_s", wct_i32(8)),
         I16X8(-128, -1, -2, 127, 0, 0, 0, 0));
  expect("v128.load16_splat", call1("v128.load16_splat", wct_i32(0)),
         I16X8(0x201, 0x201, 0x201, 0x201, 0x201, 0x201, 0x201, 0x201));
  expect("v128.load32_zero", call1("v128.load32_zero", wct_i32(0)),
         I32X4(0x05040302u, 0, 0, 0));
  wr_val v[2] = {wct_i32(9),
                 I8X16(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)};
  expect("v128.load8_lane", call("v128.load8_lane", v),
         I8X16(1, 1, 1, 1, 1, -1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
  wr_val s[2] = {wct_i32(20), I16X8(0, 0, 0, 0, 0, 0, 0, 0x4321)};
  call("v128.store16_lane", s);
  uint64_t size;
  uint8_t *mem = wct_memory(T, &size);
  cr_assert_eq(mem[19], 0);
  cr_assert_eq(mem[20], 0x21);
  cr_assert_eq(mem[21], 0x43);
  cr_assert_eq(mem[22], 0);
  wct_close(T);
}

MODE_TEST(narrow_accesses_trap_at_the_exact_edge) {
  open_simd(m->bounds, m->opt);
  cr_assert_eq(trap_at("v128.load8_lane", 65535), WR_TRAP_NONE);
  cr_assert_eq(trap_at("v128.load8_lane", 65536), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(trap_at("v128.load8x8_s", 65528), WR_TRAP_NONE);
  cr_assert_eq(trap_at("v128.load8x8_s", 65529), WR_TRAP_OOB_MEMORY);
  /* offset=1 */
  cr_assert_eq(trap_at("v128.load32_zero", 65531), WR_TRAP_NONE);
  cr_assert_eq(trap_at("v128.load32_zero", 65532), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(trap_at("v128.load32_zero", 0xffffffffu), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(trap_at("v128.load16_splat", 65535), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(trap_at("v128.store16_lane", 65534), WR_TRAP_NONE);
  cr_assert_eq(trap_at("v128.store16_lane", 65535), WR_TRAP_OOB_MEMORY);
  /* the loaded lane is dropped; the trap is not */
  cr_assert_eq(trap_at("v128.load64_lane_dropped", 65528), WR_TRAP_NONE);
  cr_assert_eq(trap_at("v128.load64_lane_dropped", 65529), WR_TRAP_OOB_MEMORY);
  wct_close(T);
}
