/*
 * emit_simd.c: fixed-width SIMD (spec 4.3.5). One table maps every SIMD
 * opcode to a lowering kind and lane shape; the dispatcher pops the
 * operands the opcode's opcodes.def row declares, hands them to the file
 * owning the kind (lanes and bitwise ops here, emit_simd_arith.c,
 * emit_simd_convert.c, emit_simd_memory.c) and pushes the result back as
 * <2 x i64>, the one representation v128 values have between
 * instructions. The shape helpers and target checks shared by those files
 * are here too.
 *
 * Most operations are generic LLVM vector IR, which both back ends select
 * well (pmovmskb/pavgb/pmaddwd on x86, urhadd/cnt/addp on NEON). Native
 * intrinsics are used only where the generic form would be scalarised or
 * long, and only when the target is known to have them.
 */
#include "internal.h"

#include <string.h>

/* clang-format off */
#define ROW(name, k, s, fl, a, i)                                              \
  [WM_OP_##name] = {.kind = WC_SK_##k, .shape = WC_##s, .flags = (fl),         \
                    .aux = (a), .intr = (i)}
#define OP(name, k, s) ROW(name, k, s, 0, 0, NULL)
#define OPF(name, k, s, fl) ROW(name, k, s, fl, 0, NULL)
#define BIN(name, s, opc) ROW(name, BIN, s, 0, opc, NULL)
#define ICMP(name, s, p) ROW(name, ICMP, s, 0, p, NULL)
#define FCMP(name, s, p) ROW(name, FCMP, s, 0, p, NULL)
#define SHIFT(name, s, opc) ROW(name, SHIFT, s, 0, opc, NULL)
#define INTR1(name, s, i) ROW(name, INTR1, s, 0, 0, i)
#define INTR2(name, s, i) ROW(name, INTR2, s, 0, 0, i)
#define S WC_SF_SIGNED
#define H WC_SF_HIGH
#define M WC_SF_MAX

/* Integer comparisons of one shape; i64x2 has no unsigned ones. */
#define ICMPS(P, s)                                                            \
  ICMP(P##_EQ, s, LLVMIntEQ), ICMP(P##_NE, s, LLVMIntNE),                      \
  ICMP(P##_LT_S, s, LLVMIntSLT), ICMP(P##_GT_S, s, LLVMIntSGT),                \
  ICMP(P##_LE_S, s, LLVMIntSLE), ICMP(P##_GE_S, s, LLVMIntSGE)
#define ICMPU(P, s)                                                            \
  ICMP(P##_LT_U, s, LLVMIntULT), ICMP(P##_GT_U, s, LLVMIntUGT),                \
  ICMP(P##_LE_U, s, LLVMIntULE), ICMP(P##_GE_U, s, LLVMIntUGE)
/* NaN compares unequal to everything: ne is the unordered predicate. */
#define FCMPS(P, s)                                                            \
  FCMP(P##_EQ, s, LLVMRealOEQ), FCMP(P##_NE, s, LLVMRealUNE),                  \
  FCMP(P##_LT, s, LLVMRealOLT), FCMP(P##_GT, s, LLVMRealOGT),                  \
  FCMP(P##_LE, s, LLVMRealOLE), FCMP(P##_GE, s, LLVMRealOGE)
/* What every integer shape has. */
#define INTS(P, s)                                                             \
  OP(P##_ABS, ABS, s), OP(P##_NEG, NEG, s), OP(P##_ALL_TRUE, ALL_TRUE, s),     \
  OP(P##_BITMASK, BITMASK, s), SHIFT(P##_SHL, s, LLVMShl),                     \
  SHIFT(P##_SHR_S, s, LLVMAShr), SHIFT(P##_SHR_U, s, LLVMLShr),                \
  BIN(P##_ADD, s, LLVMAdd), BIN(P##_SUB, s, LLVMSub)
/* i8x16 to i32x4. */
#define MINMAX_INTS(P, s)                                                      \
  INTR2(P##_MIN_S, s, "llvm.smin"), INTR2(P##_MIN_U, s, "llvm.umin"),          \
  INTR2(P##_MAX_S, s, "llvm.smax"), INTR2(P##_MAX_U, s, "llvm.umax")
/* i8x16 and i16x8. */
#define SAT_INTS(P, s)                                                         \
  INTR2(P##_ADD_SAT_S, s, "llvm.sadd.sat"),                                    \
  INTR2(P##_ADD_SAT_U, s, "llvm.uadd.sat"),                                    \
  INTR2(P##_SUB_SAT_S, s, "llvm.ssub.sat"),                                    \
  INTR2(P##_SUB_SAT_U, s, "llvm.usub.sat"), OP(P##_AVGR_U, AVGR, s)
/* Widening from the narrower shape n. */
#define EXTENDS(P, N, n)                                                       \
  OPF(P##_EXTEND_LOW_##N##_S, EXTEND, n, S),                                   \
  OPF(P##_EXTEND_HIGH_##N##_S, EXTEND, n, S | H),                              \
  OPF(P##_EXTEND_LOW_##N##_U, EXTEND, n, 0),                                   \
  OPF(P##_EXTEND_HIGH_##N##_U, EXTEND, n, H),                                  \
  OPF(P##_EXTMUL_LOW_##N##_S, EXTMUL, n, S),                                   \
  OPF(P##_EXTMUL_HIGH_##N##_S, EXTMUL, n, S | H),                              \
  OPF(P##_EXTMUL_LOW_##N##_U, EXTMUL, n, 0),                                   \
  OPF(P##_EXTMUL_HIGH_##N##_U, EXTMUL, n, H)
#define FLOATS(P, s)                                                           \
  OP(P##_ABS, ABS, s), OP(P##_NEG, NEG, s), INTR1(P##_SQRT, s, "llvm.sqrt"),   \
  BIN(P##_ADD, s, LLVMFAdd), BIN(P##_SUB, s, LLVMFSub),                        \
  BIN(P##_MUL, s, LLVMFMul), BIN(P##_DIV, s, LLVMFDiv),                        \
  OP(P##_MIN, MINMAX, s), OPF(P##_MAX, MINMAX, s, M),                          \
  OP(P##_PMIN, PMINMAX, s), OPF(P##_PMAX, PMINMAX, s, M),                      \
  INTR1(P##_CEIL, s, "llvm.ceil"), INTR1(P##_FLOOR, s, "llvm.floor"),          \
  INTR1(P##_TRUNC, s, "llvm.trunc"),                                           \
  INTR1(P##_NEAREST, s, "llvm.roundeven"), /* ties to even */                  \
  FCMPS(P, s)

static const wc_simd_op ops[WM_OP_COUNT] = {
  /* memory (v128.load and v128.store are emit_memory.c's) */
  OPF(V128_LOAD8X8_S, LOAD_EXTEND, I8X16, S),
  OPF(V128_LOAD8X8_U, LOAD_EXTEND, I8X16, 0),
  OPF(V128_LOAD16X4_S, LOAD_EXTEND, I16X8, S),
  OPF(V128_LOAD16X4_U, LOAD_EXTEND, I16X8, 0),
  OPF(V128_LOAD32X2_S, LOAD_EXTEND, I32X4, S),
  OPF(V128_LOAD32X2_U, LOAD_EXTEND, I32X4, 0),
  OP(V128_LOAD8_SPLAT, LOAD_SPLAT, I8X16),
  OP(V128_LOAD16_SPLAT, LOAD_SPLAT, I16X8),
  OP(V128_LOAD32_SPLAT, LOAD_SPLAT, I32X4),
  OP(V128_LOAD64_SPLAT, LOAD_SPLAT, I64X2),
  OP(V128_LOAD32_ZERO, LOAD_ZERO, I32X4),
  OP(V128_LOAD64_ZERO, LOAD_ZERO, I64X2),
  OP(V128_LOAD8_LANE, LOAD_LANE, I8X16),
  OP(V128_LOAD16_LANE, LOAD_LANE, I16X8),
  OP(V128_LOAD32_LANE, LOAD_LANE, I32X4),
  OP(V128_LOAD64_LANE, LOAD_LANE, I64X2),
  OP(V128_STORE8_LANE, STORE_LANE, I8X16),
  OP(V128_STORE16_LANE, STORE_LANE, I16X8),
  OP(V128_STORE32_LANE, STORE_LANE, I32X4),
  OP(V128_STORE64_LANE, STORE_LANE, I64X2),

  /* lanes and construction */
  OP(I8X16_SHUFFLE, SHUFFLE, I8X16),
  OP(I8X16_SWIZZLE, SWIZZLE, I8X16),
  OP(I8X16_SPLAT, SPLAT, I8X16),
  OP(I16X8_SPLAT, SPLAT, I16X8),
  OP(I32X4_SPLAT, SPLAT, I32X4),
  OP(I64X2_SPLAT, SPLAT, I64X2),
  OP(F32X4_SPLAT, SPLAT, F32X4),
  OP(F64X2_SPLAT, SPLAT, F64X2),
  OPF(I8X16_EXTRACT_LANE_S, EXTRACT, I8X16, S),
  OPF(I8X16_EXTRACT_LANE_U, EXTRACT, I8X16, 0),
  OPF(I16X8_EXTRACT_LANE_S, EXTRACT, I16X8, S),
  OPF(I16X8_EXTRACT_LANE_U, EXTRACT, I16X8, 0),
  OP(I32X4_EXTRACT_LANE, EXTRACT, I32X4),
  OP(I64X2_EXTRACT_LANE, EXTRACT, I64X2),
  OP(F32X4_EXTRACT_LANE, EXTRACT, F32X4),
  OP(F64X2_EXTRACT_LANE, EXTRACT, F64X2),
  OP(I8X16_REPLACE_LANE, REPLACE, I8X16),
  OP(I16X8_REPLACE_LANE, REPLACE, I16X8),
  OP(I32X4_REPLACE_LANE, REPLACE, I32X4),
  OP(I64X2_REPLACE_LANE, REPLACE, I64X2),
  OP(F32X4_REPLACE_LANE, REPLACE, F32X4),
  OP(F64X2_REPLACE_LANE, REPLACE, F64X2),

  /* bitwise */
  OP(V128_NOT, NOT, I64X2),
  BIN(V128_AND, I64X2, LLVMAnd),
  OP(V128_ANDNOT, ANDNOT, I64X2),
  BIN(V128_OR, I64X2, LLVMOr),
  BIN(V128_XOR, I64X2, LLVMXor),
  OP(V128_BITSELECT, BITSELECT, I64X2),
  OP(V128_ANY_TRUE, ANY_TRUE, I64X2),

  /* comparisons */
  ICMPS(I8X16, I8X16), ICMPU(I8X16, I8X16),
  ICMPS(I16X8, I16X8), ICMPU(I16X8, I16X8),
  ICMPS(I32X4, I32X4), ICMPU(I32X4, I32X4),
  ICMPS(I64X2, I64X2),

  /* integer arithmetic */
  INTS(I8X16, I8X16), INTS(I16X8, I16X8), INTS(I32X4, I32X4),
  INTS(I64X2, I64X2),
  MINMAX_INTS(I8X16, I8X16), MINMAX_INTS(I16X8, I16X8),
  MINMAX_INTS(I32X4, I32X4),
  SAT_INTS(I8X16, I8X16), SAT_INTS(I16X8, I16X8),
  BIN(I16X8_MUL, I16X8, LLVMMul), BIN(I32X4_MUL, I32X4, LLVMMul),
  BIN(I64X2_MUL, I64X2, LLVMMul),
  INTR1(I8X16_POPCNT, I8X16, "llvm.ctpop"),
  OP(I16X8_Q15MULR_SAT_S, Q15MULR, I16X8),
  OP(I32X4_DOT_I16X8_S, DOT, I16X8),
  OPF(I16X8_EXTADD_PAIRWISE_I8X16_S, EXTADD, I8X16, S),
  OPF(I16X8_EXTADD_PAIRWISE_I8X16_U, EXTADD, I8X16, 0),
  OPF(I32X4_EXTADD_PAIRWISE_I16X8_S, EXTADD, I16X8, S),
  OPF(I32X4_EXTADD_PAIRWISE_I16X8_U, EXTADD, I16X8, 0),
  EXTENDS(I16X8, I8X16, I8X16), EXTENDS(I32X4, I16X8, I16X8),
  EXTENDS(I64X2, I32X4, I32X4),
  OPF(I8X16_NARROW_I16X8_S, NARROW, I16X8, S),
  OPF(I8X16_NARROW_I16X8_U, NARROW, I16X8, 0),
  OPF(I16X8_NARROW_I32X4_S, NARROW, I32X4, S),
  OPF(I16X8_NARROW_I32X4_U, NARROW, I32X4, 0),

  /* floats and conversions */
  FLOATS(F32X4, F32X4), FLOATS(F64X2, F64X2),
  OP(F32X4_DEMOTE_F64X2_ZERO, DEMOTE, F64X2),
  OP(F64X2_PROMOTE_LOW_F32X4, PROMOTE, F32X4),
  OPF(I32X4_TRUNC_SAT_F32X4_S, TRUNC_SAT, F32X4, S),
  OPF(I32X4_TRUNC_SAT_F32X4_U, TRUNC_SAT, F32X4, 0),
  OPF(I32X4_TRUNC_SAT_F64X2_S_ZERO, TRUNC_SAT, F64X2, S),
  OPF(I32X4_TRUNC_SAT_F64X2_U_ZERO, TRUNC_SAT, F64X2, 0),
  OPF(F32X4_CONVERT_I32X4_S, CONVERT, F32X4, S),
  OPF(F32X4_CONVERT_I32X4_U, CONVERT, F32X4, 0),
  OPF(F64X2_CONVERT_LOW_I32X4_S, CONVERT, F64X2, S),
  OPF(F64X2_CONVERT_LOW_I32X4_U, CONVERT, F64X2, 0),
};
/* clang-format on */
#undef S
#undef H
#undef M

/* ------------------------------------------------------------ shapes */

static const struct {
  uint8_t lanes, bits;
  bool is_float;
} shapes[] = {
    [WC_I8X16] = {16, 8, false}, [WC_I16X8] = {8, 16, false},
    [WC_I32X4] = {4, 32, false}, [WC_I64X2] = {2, 64, false},
    [WC_F32X4] = {4, 32, true},  [WC_F64X2] = {2, 64, true},
};

unsigned wc__lanes(unsigned shape) {
  return shapes[shape].lanes;
}

LLVMTypeRef wc__lane_type(wc_unit *u, unsigned shape) {
  if (shape == WC_F32X4)
    return u->t_f32;
  if (shape == WC_F64X2)
    return u->t_f64;
  return LLVMIntTypeInContext(u->ctx, shapes[shape].bits);
}

LLVMTypeRef wc__shape_type(wc_unit *u, unsigned shape) {
  return LLVMVectorType(wc__lane_type(u, shape), shapes[shape].lanes);
}

LLVMValueRef wc__as(wc_fn *f, LLVMValueRef v, unsigned shape) {
  LLVMTypeRef t = wc__shape_type(f->u, shape);
  return LLVMTypeOf(v) == t ? v : LLVMBuildBitCast(f->b, v, t, "");
}

LLVMValueRef wc__splat(wc_fn *f, LLVMValueRef scalar, unsigned n) {
  wc_unit *u = f->u;
  LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(scalar), n);
  LLVMValueRef v = LLVMBuildInsertElement(f->b, LLVMGetPoison(vt), scalar,
                                          LLVMConstInt(u->t_i32, 0, 0), "");
  LLVMTypeRef mt = LLVMVectorType(u->t_i32, n);
  return LLVMBuildShuffleVector(f->b, v, LLVMGetPoison(vt), LLVMConstNull(mt),
                                "");
}

LLVMValueRef wc__vconst(wc_unit *u, unsigned shape, uint64_t bits) {
  LLVMTypeRef it = LLVMIntTypeInContext(u->ctx, shapes[shape].bits);
  LLVMValueRef lane = LLVMConstInt(it, bits, 0);
  if (shapes[shape].is_float)
    lane = LLVMConstBitCast(lane, wc__lane_type(u, shape));
  LLVMValueRef lanes[16];
  for (unsigned i = 0; i < shapes[shape].lanes; i++)
    lanes[i] = lane;
  return LLVMConstVector(lanes, shapes[shape].lanes);
}

LLVMValueRef wc__lanes_of(wc_fn *f, LLVMValueRef a, LLVMValueRef b,
                          unsigned first, unsigned n, unsigned stride) {
  wc_unit *u = f->u;
  LLVMValueRef mask[32];
  for (unsigned i = 0; i < n; i++)
    mask[i] = LLVMConstInt(u->t_i32, first + i * stride, 0);
  if (!b)
    b = LLVMGetPoison(LLVMTypeOf(a));
  return LLVMBuildShuffleVector(f->b, a, b, LLVMConstVector(mask, n), "");
}

LLVMValueRef wc__widen(wc_fn *f, LLVMValueRef v, unsigned first,
                       unsigned stride, unsigned shape, bool is_signed) {
  LLVMValueRef h =
      wc__lanes_of(f, v, NULL, first, wc__lanes(shape) / 2, stride);
  LLVMTypeRef t = wc__shape_type(f->u, wc__wider(shape));
  return is_signed ? LLVMBuildSExt(f->b, h, t, "")
                   : LLVMBuildZExt(f->b, h, t, "");
}

LLVMValueRef wc__call_intr(wc_fn *f, const char *name, LLVMTypeRef over,
                           LLVMValueRef *args, unsigned n) {
  LLVMTypeRef fty;
  LLVMValueRef fn = wc__intrinsic(f->u, name, &over, over ? 1 : 0, &fty);
  return LLVMBuildCall2(f->b, fty, fn, args, n, "");
}

/* ------------------------------------------------------------ targets */

static bool arch_is(const wc_unit *u, const char *arch) {
  size_t n = strlen(arch);
  return strncmp(u->cfg->triple, arch, n) == 0 && u->cfg->triple[n] == '-';
}

bool wc__is_x86(const wc_unit *u) {
  return arch_is(u, "x86_64");
}

bool wc__is_aarch64(const wc_unit *u) {
  return arch_is(u, "aarch64");
}

/* The resolved feature list is explicit for native CPUs (every host
 * feature, signed); for a named CPU only its psABI level is trusted, so
 * e.g. "skylake" without features takes the generic paths. */
bool wc__x86_has(const wc_unit *u, const char *feature) {
  if (!wc__is_x86(u))
    return false;
  size_t n = strlen(feature);
  for (const char *s = u->cfg->features; *s;) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len == n + 1 && memcmp(s + 1, feature, n) == 0)
      return s[0] == '+';
    s += len + (e ? 1 : 0);
  }
  static const char *const v2[] = {"sse3", "ssse3", "sse4.1", "sse4.2"};
  if (strncmp(u->cfg->cpu, "x86-64-v", 8) != 0 || u->cfg->cpu[8] < '2')
    return false;
  for (size_t i = 0; i < sizeof v2 / sizeof v2[0]; i++)
    if (strcmp(v2[i], feature) == 0)
      return true;
  return false;
}

/* ------------------------------------------------- lanes and bitwise */

static LLVMValueRef lane_index(wc_unit *u, unsigned lane) {
  return LLVMConstInt(u->t_i32, lane, 0);
}

/* Lane i of the result is a[idx[i]], or 0 when idx[i] >= 16. */
static LLVMValueRef swizzle(wc_fn *f, LLVMValueRef a, LLVMValueRef idx) {
  wc_unit *u = f->u;
  LLVMTypeRef vt = wc__shape_type(u, WC_I8X16);
  if (wc__x86_has(u, "ssse3")) {
    /* pshufb zeroes lanes whose index has bit 7 set and uses the low four
     * bits otherwise; a saturating +0x70 maps 16..255 onto >= 0x80 and
     * keeps 0..15 in the low nibble. */
    LLVMValueRef sat[2] = {idx, wc__vconst(u, WC_I8X16, 0x70)};
    LLVMValueRef args[2] = {a, wc__call_intr(f, "llvm.uadd.sat", vt, sat, 2)};
    return wc__call_intr(f, "llvm.x86.ssse3.pshuf.b.128", NULL, args, 2);
  }
  if (wc__is_aarch64(u)) { /* tbl: out-of-range indices give 0 */
    LLVMValueRef args[2] = {a, idx};
    return wc__call_intr(f, "llvm.aarch64.neon.tbl1", vt, args, 2);
  }
  LLVMValueRef in_range =
      LLVMBuildICmp(f->b, LLVMIntULT, idx, wc__vconst(u, WC_I8X16, 16), "");
  LLVMValueRef safe = LLVMBuildAnd(f->b, idx, wc__vconst(u, WC_I8X16, 15), "");
  LLVMValueRef r = LLVMConstNull(vt);
  for (unsigned i = 0; i < 16; i++) {
    LLVMValueRef k = LLVMBuildExtractElement(f->b, safe, lane_index(u, i), "");
    k = LLVMBuildZExt(f->b, k, u->t_i32, "");
    LLVMValueRef e = LLVMBuildExtractElement(f->b, a, k, "");
    r = LLVMBuildInsertElement(f->b, r, e, lane_index(u, i), "");
  }
  return LLVMBuildSelect(f->b, in_range, r, LLVMConstNull(vt), "");
}

LLVMValueRef wc__simd_lanes(wc_fn *f, const wc_simd_op *op, const wm_instr *in,
                            LLVMValueRef *args) {
  wc_unit *u = f->u;
  unsigned s = op->shape;
  switch (op->kind) {
  case WC_SK_SPLAT: {
    LLVMValueRef x = args[0];
    if (s == WC_I8X16 || s == WC_I16X8)
      x = LLVMBuildTrunc(f->b, x, wc__lane_type(u, s), "");
    return wc__splat(f, x, wc__lanes(s));
  }
  case WC_SK_EXTRACT: {
    LLVMValueRef x = LLVMBuildExtractElement(f->b, wc__as(f, args[0], s),
                                             lane_index(u, in->u.lane), "");
    if (s != WC_I8X16 && s != WC_I16X8)
      return x;
    return op->flags & WC_SF_SIGNED ? LLVMBuildSExt(f->b, x, u->t_i32, "")
                                    : LLVMBuildZExt(f->b, x, u->t_i32, "");
  }
  case WC_SK_REPLACE: {
    LLVMValueRef x = args[1];
    if (s == WC_I8X16 || s == WC_I16X8)
      x = LLVMBuildTrunc(f->b, x, wc__lane_type(u, s), "");
    return LLVMBuildInsertElement(f->b, wc__as(f, args[0], s), x,
                                  lane_index(u, in->u.lane), "");
  }
  case WC_SK_SHUFFLE: {
    LLVMValueRef mask[16];
    for (unsigned i = 0; i < 16; i++)
      mask[i] = lane_index(u, in->u.shuffle[i]);
    return LLVMBuildShuffleVector(f->b, wc__as(f, args[0], WC_I8X16),
                                  wc__as(f, args[1], WC_I8X16),
                                  LLVMConstVector(mask, 16), "");
  }
  case WC_SK_SWIZZLE:
    return swizzle(f, wc__as(f, args[0], WC_I8X16),
                   wc__as(f, args[1], WC_I8X16));
  case WC_SK_NOT:
    return LLVMBuildNot(f->b, args[0], "");
  case WC_SK_ANDNOT:
    return LLVMBuildAnd(f->b, args[0], LLVMBuildNot(f->b, args[1], ""), "");
  case WC_SK_BITSELECT: {
    LLVMValueRef c = args[2];
    return LLVMBuildOr(
        f->b, LLVMBuildAnd(f->b, args[0], c, ""),
        LLVMBuildAnd(f->b, args[1], LLVMBuildNot(f->b, c, ""), ""), "");
  }
  case WC_SK_ANY_TRUE: {
    LLVMTypeRef i128 = LLVMIntTypeInContext(u->ctx, 128);
    LLVMValueRef x = LLVMBuildBitCast(f->b, args[0], i128, "");
    LLVMValueRef nz =
        LLVMBuildICmp(f->b, LLVMIntNE, x, LLVMConstNull(i128), "");
    return LLVMBuildZExt(f->b, nz, u->t_i32, "");
  }
  default:
    return NULL;
  }
}

/* ------------------------------------------------------------ dispatch */

int wc__emit_simd(wc_fn *f, const wm_instr *in, wa_err *err) {
  const wc_simd_op *op = &ops[in->op];
  const wm_opinfo *oi = &wm_opinfos[in->op];
  if (op->kind == WC_SK_NONE)
    return wa_fail(err, WA_EUNSUPPORTED, in->off,
                   "SIMD instruction %s is not supported", oi->text);
  LLVMValueRef args[3] = {NULL, NULL, NULL};
  unsigned n = 0;
  while (n < 3 && oi->params[n])
    n++;
  for (unsigned i = n; i-- > 0;)
    args[i] = wc__pop(f);

  LLVMValueRef r;
  if (op->kind >= WC_SK_LOAD_EXTEND)
    r = wc__simd_memory(f, op, in, args);
  else if (op->kind >= WC_SK_NARROW)
    r = wc__simd_convert(f, op, args);
  else if (op->kind >= WC_SK_BIN)
    r = wc__simd_arith(f, op, args);
  else
    r = wc__simd_lanes(f, op, in, args);

  if (!oi->result)
    return 0;
  if (!r)
    return wa_fail(err, WA_EINTERNAL, in->off, "no lowering for %s", oi->text);
  if (LLVMGetTypeKind(LLVMTypeOf(r)) == LLVMVectorTypeKind)
    r = LLVMBuildBitCast(f->b, r, f->u->t_v128, "");
  wc__push(f, r);
  return 0;
}
