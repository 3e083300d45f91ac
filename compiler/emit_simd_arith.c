/*
 * emit_simd_arith.c: lane-wise SIMD arithmetic, comparisons and the
 * reductions to i32 (spec 4.3.5). Integer operations are generic vector
 * IR; the widening patterns (avgr, dot, extmul, extadd) are written the
 * way the back ends recognise them (pavgb/pmaddwd/pmull on x86,
 * urhadd/smull/saddlp on NEON). Float min/max keep the scalar rules of
 * emit_numeric.c; abs and neg are sign-bit operations so NaN payloads
 * pass unchanged.
 */
#include "internal.h"

#include <string.h>

static unsigned int_shape(unsigned shape) {
  return shape == WC_F32X4 ? WC_I32X4 : shape == WC_F64X2 ? WC_I64X2 : shape;
}

static bool is_float(unsigned shape) {
  return shape == WC_F32X4 || shape == WC_F64X2;
}

static unsigned lane_bits(unsigned shape) {
  return 128 / wc__lanes(shape);
}

static LLVMValueRef mask_to_lanes(wc_fn *f, LLVMValueRef m, unsigned shape) {
  return LLVMBuildSExt(f->b, m, wc__shape_type(f->u, int_shape(shape)), "");
}

/* Sign-bit arithmetic: and with ~sign (abs), xor with sign (neg). */
static LLVMValueRef sign_op(wc_fn *f, LLVMValueRef x, unsigned shape,
                            bool neg) {
  unsigned is = int_shape(shape);
  uint64_t sign = 1ull << (lane_bits(shape) - 1);
  LLVMValueRef bits = wc__as(f, x, is);
  return neg ? LLVMBuildXor(f->b, bits, wc__vconst(f->u, is, sign), "")
             : LLVMBuildAnd(f->b, bits, wc__vconst(f->u, is, ~sign), "");
}

/* True if a lane of the constant v128 'raw' (<2 x i64>, as v128.const
 * pushes it) is ±0 or ±1 in the float shape. */
static bool has_identity_lane(LLVMValueRef raw, unsigned shape) {
  unsigned bits = lane_bits(shape);
  uint64_t sign = 1ull << (bits - 1);
  uint64_t one = bits == 32 ? 0x3f800000u : 0x3ff0000000000000ull;
  for (unsigned i = 0; i < 2; i++) {
    LLVMValueRef e = LLVMGetAggregateElement(raw, i);
    if (!e || !LLVMIsAConstantInt(e))
      return false;
    uint64_t x = LLVMConstIntGetZExtValue(e);
    for (unsigned k = 0; k < 64 / bits; k++) {
      uint64_t mag = (bits == 64 ? x : x >> (32 * k)) & (sign - 1);
      if (mag == 0 || mag == one)
        return true;
    }
  }
  return false;
}

/*
 * NaN quieting, as wc__opaque does for scalars: LLVM folds x*1, x/1, x-0
 * and the like to x (or fneg x), which keeps a signalling NaN signalling
 * where Wasm arithmetic must quiet it. A constant operand with a ±0 or ±1
 * lane therefore passes through an empty inline asm in a vector register
 * ("x" on x86, "w" on AArch64), which hides its value for one move.
 */
static LLVMValueRef hide_identity(wc_fn *f, LLVMValueRef raw, unsigned shape) {
  LLVMValueRef v = wc__as(f, raw, shape);
  const char *cons = wc__is_x86(f->u)       ? "=x,0"
                     : wc__is_aarch64(f->u) ? "=w,0"
                                            : NULL;
  if (!cons || !LLVMIsConstant(raw) || !has_identity_lane(raw, shape))
    return v;
  LLVMTypeRef vt = LLVMTypeOf(v);
  LLVMTypeRef fty = LLVMFunctionType(vt, &vt, 1, 0);
  LLVMValueRef asm_fn = LLVMGetInlineAsm(fty, "", 0, cons, strlen(cons), 0, 0,
                                         LLVMInlineAsmDialectATT, 0);
  return LLVMBuildCall2(f->b, fty, asm_fn, &v, 1, "");
}

/* pmin is b < a ? b : a and pmax a < b ? b : a, exactly: the operand
 * order decides which NaN or zero comes out. That is minps/maxps with
 * the operands swapped (they return the second operand unless the compare
 * holds); the intrinsics keep LLVM from rewriting the compare into a form
 * it no longer selects to them. */
static LLVMValueRef pminmax(wc_fn *f, bool is_max, LLVMValueRef a,
                            LLVMValueRef b, unsigned shape) {
  if (wc__is_x86(f->u)) {
    static const char *const names[2][2] = {
        {"llvm.x86.sse.min.ps", "llvm.x86.sse.max.ps"},
        {"llvm.x86.sse2.min.pd", "llvm.x86.sse2.max.pd"}};
    LLVMValueRef ba[2] = {b, a};
    return wc__call_intr(f, names[shape == WC_F64X2][is_max], NULL, ba, 2);
  }
  LLVMRealPredicate p = is_max ? LLVMRealOGT : LLVMRealOLT;
  return LLVMBuildSelect(f->b, LLVMBuildFCmp(f->b, p, b, a, ""), b, a, "");
}

/* x86: minps/maxps return their second operand for NaNs and equal zeros,
 * so both operand orders are computed and merged bitwise: or keeps -0
 * for min and a NaN from either side; for max, (d1 | d2) - (d1 ^ d2)
 * gives +0. NaN lanes are then set to all ones and their payload below
 * the quiet bit cleared: the canonical NaN (negative). */
static LLVMValueRef minmax_x86(wc_fn *f, bool is_max, LLVMValueRef a,
                               LLVMValueRef b, unsigned shape) {
  unsigned is = int_shape(shape);
  LLVMValueRef d1 = wc__as(f, pminmax(f, is_max, b, a, shape), is);
  LLVMValueRef d2 = wc__as(f, pminmax(f, is_max, a, b, shape), is);
  LLVMValueRef r = LLVMBuildOr(f->b, d1, d2, "");
  if (is_max) {
    LLVMValueRef x = LLVMBuildXor(f->b, d1, d2, "");
    r = wc__as(
        f, LLVMBuildFSub(f->b, wc__as(f, r, shape), wc__as(f, x, shape), ""),
        is);
  }
  LLVMValueRef rf = wc__as(f, r, shape);
  LLVMValueRef nan =
      mask_to_lanes(f, LLVMBuildFCmp(f->b, LLVMRealUNO, rf, rf, ""), shape);
  unsigned keep = shape == WC_F32X4 ? 10 : 13; /* sign, exponent, quiet */
  LLVMValueRef payload =
      LLVMBuildLShr(f->b, nan, wc__vconst(f->u, is, keep), "");
  r = LLVMBuildOr(f->b, r, nan, "");
  return LLVMBuildAnd(f->b, r, LLVMBuildNot(f->b, payload, ""), "");
}

/* min/max: NaN-propagating, -0 < +0. Elsewhere llvm.minimum/maximum (one
 * fmin/fmax on NEON), but they may pass a signalling NaN through
 * unquieted, so NaN lanes take a+b instead, which is quiet (and canonical
 * when the NaN operands were), as for scalars. */
static LLVMValueRef minmax(wc_fn *f, bool is_max, LLVMValueRef a,
                           LLVMValueRef b, unsigned shape) {
  if (wc__is_x86(f->u))
    return minmax_x86(f, is_max, a, b, shape);
  LLVMValueRef args[2] = {a, b};
  LLVMValueRef r = wc__call_intr(f, is_max ? "llvm.maximum" : "llvm.minimum",
                                 LLVMTypeOf(a), args, 2);
  LLVMValueRef nan = LLVMBuildFCmp(f->b, LLVMRealUNO, a, b, "");
  return LLVMBuildSelect(f->b, nan, LLVMBuildFAdd(f->b, a, b, ""), r, "");
}

/* The count is taken modulo the lane width, then applied to every lane. */
static LLVMValueRef shift(wc_fn *f, LLVMOpcode opc, LLVMValueRef a,
                          LLVMValueRef count, unsigned shape) {
  wc_unit *u = f->u;
  unsigned bits = lane_bits(shape);
  LLVMTypeRef lt = wc__lane_type(u, shape);
  count = LLVMBuildAnd(f->b, count, LLVMConstInt(u->t_i32, bits - 1, 0), "");
  count = bits == 64   ? LLVMBuildZExt(f->b, count, lt, "")
          : bits == 32 ? count
                       : LLVMBuildTrunc(f->b, count, lt, "");
  return LLVMBuildBinOp(f->b, opc, a, wc__splat(f, count, wc__lanes(shape)),
                        "");
}

/* Rounding average (a + b + 1) >> 1 computed without overflow. */
static LLVMValueRef avgr(wc_fn *f, LLVMValueRef a, LLVMValueRef b,
                         unsigned shape) {
  wc_unit *u = f->u;
  unsigned n = wc__lanes(shape);
  LLVMTypeRef wide =
      LLVMVectorType(LLVMIntTypeInContext(u->ctx, lane_bits(shape) * 2), n);
  LLVMValueRef one = LLVMConstInt(LLVMGetElementType(wide), 1, 0);
  LLVMValueRef s = LLVMBuildAdd(f->b, LLVMBuildZExt(f->b, a, wide, ""),
                                LLVMBuildZExt(f->b, b, wide, ""), "");
  s = LLVMBuildAdd(f->b, s, wc__splat(f, one, n), "");
  s = LLVMBuildLShr(f->b, s, wc__splat(f, one, n), "");
  return LLVMBuildTrunc(f->b, s, LLVMTypeOf(a), "");
}

/* (a * b + 0x4000) >> 15, saturated: only -32768 * -32768 overflows. */
static LLVMValueRef q15mulr(wc_fn *f, LLVMValueRef a, LLVMValueRef b) {
  wc_unit *u = f->u;
  LLVMTypeRef vt = wc__shape_type(u, WC_I16X8);
  LLVMValueRef args[2] = {a, b};
  if (wc__x86_has(u, "ssse3")) {
    /* pmulhrsw rounds the same way but wraps that one case to 0x8000. */
    LLVMValueRef r =
        wc__call_intr(f, "llvm.x86.ssse3.pmul.hr.sw.128", NULL, args, 2);
    LLVMValueRef min = wc__vconst(u, WC_I16X8, 0x8000);
    LLVMValueRef ovf = LLVMBuildICmp(f->b, LLVMIntEQ, r, min, "");
    return LLVMBuildXor(f->b, r, LLVMBuildSExt(f->b, ovf, vt, ""), "");
  }
  if (wc__is_aarch64(u)) /* sqrdmulh is exactly this operation */
    return wc__call_intr(f, "llvm.aarch64.neon.sqrdmulh", vt, args, 2);
  LLVMTypeRef wide = LLVMVectorType(u->t_i32, 8);
  LLVMValueRef p = LLVMBuildMul(f->b, LLVMBuildSExt(f->b, a, wide, ""),
                                LLVMBuildSExt(f->b, b, wide, ""), "");
  LLVMTypeRef i32 = u->t_i32;
  p = LLVMBuildAdd(f->b, p, wc__splat(f, LLVMConstInt(i32, 0x4000, 0), 8), "");
  p = LLVMBuildAShr(f->b, p, wc__splat(f, LLVMConstInt(i32, 15, 0), 8), "");
  LLVMValueRef lim[2] = {p, wc__splat(f, LLVMConstInt(i32, 0x7fff, 0), 8)};
  p = wc__call_intr(f, "llvm.smin", wide, lim, 2);
  return LLVMBuildTrunc(f->b, p, vt, "");
}

/* Sums of adjacent lane pairs, widened. Native pairwise adds: NEON
 * [su]addlp; on x86 multiply-adds by ones (one instruction where the
 * generic form takes four; the unsigned 16-bit case is already two shifts
 * and an add). */
static LLVMValueRef extadd(wc_fn *f, LLVMValueRef a, unsigned shape,
                           bool is_signed) {
  wc_unit *u = f->u;
  if (wc__is_aarch64(u)) {
    LLVMTypeRef ts[2] = {wc__shape_type(u, wc__wider(shape)), LLVMTypeOf(a)};
    LLVMTypeRef fty;
    LLVMValueRef fn = wc__intrinsic(
        u, is_signed ? "llvm.aarch64.neon.saddlp" : "llvm.aarch64.neon.uaddlp",
        ts, 2, &fty);
    return LLVMBuildCall2(f->b, fty, fn, &a, 1, "");
  }
  if (shape == WC_I16X8 && is_signed && wc__is_x86(u)) {
    LLVMValueRef args[2] = {a, wc__vconst(u, WC_I16X8, 1)};
    return wc__call_intr(f, "llvm.x86.sse2.pmadd.wd", NULL, args, 2);
  }
  if (shape == WC_I8X16 && wc__x86_has(u, "ssse3")) {
    /* pmaddubsw: first operand unsigned, second signed; no pair
     * saturates with ones */
    LLVMValueRef one = wc__vconst(u, WC_I8X16, 1);
    LLVMValueRef args[2] = {is_signed ? one : a, is_signed ? a : one};
    return wc__call_intr(f, "llvm.x86.ssse3.pmadd.ub.sw.128", NULL, args, 2);
  }
  return LLVMBuildAdd(f->b, wc__widen(f, a, 0, 2, shape, is_signed),
                      wc__widen(f, a, 1, 2, shape, is_signed), "");
}

/* Products of lane pairs, summed (wrapping at 2 * (-32768)^2). x86
 * pmaddwd is exactly this; elsewhere the products of each half, then the
 * pairwise add (smull, smull2, addp on NEON). */
static LLVMValueRef dot(wc_fn *f, LLVMValueRef a, LLVMValueRef b) {
  if (wc__is_x86(f->u)) {
    LLVMValueRef ab[2] = {a, b};
    return wc__call_intr(f, "llvm.x86.sse2.pmadd.wd", NULL, ab, 2);
  }
  LLVMValueRef lo = LLVMBuildMul(f->b, wc__widen(f, a, 0, 1, WC_I16X8, true),
                                 wc__widen(f, b, 0, 1, WC_I16X8, true), "");
  LLVMValueRef hi = LLVMBuildMul(f->b, wc__widen(f, a, 4, 1, WC_I16X8, true),
                                 wc__widen(f, b, 4, 1, WC_I16X8, true), "");
  return LLVMBuildAdd(f->b, wc__lanes_of(f, lo, hi, 0, 4, 2),
                      wc__lanes_of(f, lo, hi, 1, 4, 2), "");
}

static LLVMValueRef bitmask(wc_fn *f, LLVMValueRef a, unsigned shape) {
  wc_unit *u = f->u;
  unsigned n = wc__lanes(shape);
  LLVMValueRef neg =
      LLVMBuildICmp(f->b, LLVMIntSLT, a, LLVMConstNull(LLVMTypeOf(a)), "");
  LLVMValueRef bits =
      LLVMBuildBitCast(f->b, neg, LLVMIntTypeInContext(u->ctx, n), "");
  return LLVMBuildZExt(f->b, bits, u->t_i32, "");
}

static LLVMValueRef all_true(wc_fn *f, LLVMValueRef a, unsigned shape) {
  wc_unit *u = f->u;
  LLVMTypeRef it = LLVMIntTypeInContext(u->ctx, wc__lanes(shape));
  LLVMValueRef nz =
      LLVMBuildICmp(f->b, LLVMIntNE, a, LLVMConstNull(LLVMTypeOf(a)), "");
  LLVMValueRef bits = LLVMBuildBitCast(f->b, nz, it, "");
  LLVMValueRef all =
      LLVMBuildICmp(f->b, LLVMIntEQ, bits, LLVMConstAllOnes(it), "");
  return LLVMBuildZExt(f->b, all, u->t_i32, "");
}

LLVMValueRef wc__simd_arith(wc_fn *f, const wc_simd_op *op,
                            LLVMValueRef *args) {
  wc_unit *u = f->u;
  unsigned s = op->shape;
  LLVMValueRef a = wc__as(f, args[0], s);
  /* The second operand is a vector except for shift counts. */
  LLVMValueRef b =
      args[1] && op->kind != WC_SK_SHIFT ? wc__as(f, args[1], s) : args[1];
  bool is_max = op->flags & WC_SF_MAX, is_signed = op->flags & WC_SF_SIGNED;
  switch (op->kind) {
  case WC_SK_BIN:
    if (is_float(s)) {
      a = hide_identity(f, args[0], s);
      b = hide_identity(f, args[1], s);
    }
    return LLVMBuildBinOp(f->b, (LLVMOpcode)op->aux, a, b, "");
  case WC_SK_INTR1:
    return wc__call_intr(f, op->intr, LLVMTypeOf(a), &a, 1);
  case WC_SK_INTR2: {
    LLVMValueRef ab[2] = {a, b};
    return wc__call_intr(f, op->intr, LLVMTypeOf(a), ab, 2);
  }
  case WC_SK_ICMP:
    return mask_to_lanes(
        f, LLVMBuildICmp(f->b, (LLVMIntPredicate)op->aux, a, b, ""), s);
  case WC_SK_FCMP:
    return mask_to_lanes(
        f, LLVMBuildFCmp(f->b, (LLVMRealPredicate)op->aux, a, b, ""), s);
  case WC_SK_SHIFT:
    return shift(f, (LLVMOpcode)op->aux, a, b, s);
  case WC_SK_ABS: {
    if (is_float(s))
      return sign_op(f, a, s, false);
    /* abs(INT_MIN) wraps to INT_MIN: not poison */
    LLVMValueRef ab[2] = {a, LLVMConstInt(u->t_i1, 0, 0)};
    return wc__call_intr(f, "llvm.abs", LLVMTypeOf(a), ab, 2);
  }
  case WC_SK_NEG:
    return is_float(s) ? sign_op(f, a, s, true) : LLVMBuildNeg(f->b, a, "");
  case WC_SK_MINMAX:
    return minmax(f, is_max, a, b, s);
  case WC_SK_PMINMAX:
    return pminmax(f, is_max, a, b, s);
  case WC_SK_AVGR:
    return avgr(f, a, b, s);
  case WC_SK_Q15MULR:
    return q15mulr(f, a, b);
  case WC_SK_DOT:
    return dot(f, a, b);
  case WC_SK_EXTMUL: {
    unsigned first = op->flags & WC_SF_HIGH ? wc__lanes(s) / 2 : 0;
    return LLVMBuildMul(f->b, wc__widen(f, a, first, 1, s, is_signed),
                        wc__widen(f, b, first, 1, s, is_signed), "");
  }
  case WC_SK_EXTADD:
    return extadd(f, a, s, is_signed);
  case WC_SK_BITMASK:
    return bitmask(f, a, s);
  case WC_SK_ALL_TRUE:
    return all_true(f, a, s);
  default:
    return NULL;
  }
}
