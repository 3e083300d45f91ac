/*
 * emit_simd_convert.c: SIMD operations that change the lane shape (spec
 * 4.3.5): saturating narrowing, extension, float<->int conversion,
 * demotion and promotion. Halves are taken with shufflevector, which the
 * back ends fold into the converting instruction (pmovsx, cvtdq2pd,
 * sxtl, fcvtl). The "_zero" forms fill the upper half with zeros.
 */
#include "internal.h"

/* x86 packs saturate exactly as narrow does (signed input, signed or
 * unsigned saturation); packusdw is SSE4.1. */
static const char *x86_pack(const wc_unit *u, unsigned wide, bool is_signed) {
  if (!wc__is_x86(u))
    return NULL;
  if (wide == WC_I16X8)
    return is_signed ? "llvm.x86.sse2.packsswb.128"
                     : "llvm.x86.sse2.packuswb.128";
  if (is_signed)
    return "llvm.x86.sse2.packssdw.128";
  return wc__x86_has(u, "sse4.1") ? "llvm.x86.sse41.packusdw" : NULL;
}

/* a's lanes then b's, each clamped to the narrow lane's range (signed or
 * unsigned; the input is signed either way) and truncated. NEON selects
 * sqxtn from the generic form but needs sqxtun spelled out. */
static LLVMValueRef narrow(wc_fn *f, LLVMValueRef a, LLVMValueRef b,
                           unsigned wide, bool is_signed) {
  wc_unit *u = f->u;
  unsigned n = wc__lanes(wide) * 2, bits = 128 / n;
  LLVMTypeRef nt = LLVMVectorType(LLVMIntTypeInContext(u->ctx, bits), n);
  const char *pack = x86_pack(u, wide, is_signed);
  if (pack) {
    LLVMValueRef ab[2] = {a, b};
    return wc__call_intr(f, pack, NULL, ab, 2);
  }
  if (!is_signed && wc__is_aarch64(u)) {
    LLVMTypeRef ht = LLVMVectorType(LLVMGetElementType(nt), n / 2);
    LLVMValueRef lo = wc__call_intr(f, "llvm.aarch64.neon.sqxtun", ht, &a, 1);
    LLVMValueRef hi = wc__call_intr(f, "llvm.aarch64.neon.sqxtun", ht, &b, 1);
    return wc__lanes_of(f, lo, hi, 0, n, 1);
  }
  LLVMValueRef v = wc__lanes_of(f, a, b, 0, n, 1);
  LLVMTypeRef vt = LLVMTypeOf(v), lt = LLVMGetElementType(vt);
  uint64_t lo = is_signed ? -(1ull << (bits - 1)) : 0;
  uint64_t hi = is_signed ? (1ull << (bits - 1)) - 1 : (1ull << bits) - 1;
  LLVMValueRef c[2] = {v, wc__splat(f, LLVMConstInt(lt, lo, 0), n)};
  c[0] = wc__call_intr(f, "llvm.smax", vt, c, 2);
  c[1] = wc__splat(f, LLVMConstInt(lt, hi, 0), n);
  v = wc__call_intr(f, "llvm.smin", vt, c, 2);
  return LLVMBuildTrunc(f->b, v, nt, "");
}

/* v followed by as many zero lanes. */
static LLVMValueRef zero_high(wc_fn *f, LLVMValueRef v) {
  unsigned n = LLVMGetVectorSize(LLVMTypeOf(v));
  return wc__lanes_of(f, v, LLVMConstNull(LLVMTypeOf(v)), 0, 2 * n, 1);
}

static LLVMValueRef fsplat(wc_fn *f, unsigned shape, double d) {
  return wc__splat(f, LLVMConstReal(wc__lane_type(f->u, shape), d),
                   wc__lanes(shape));
}

/* x where the compare holds, else y (lane-wise). */
static LLVMValueRef fsel(wc_fn *f, LLVMRealPredicate p, LLVMValueRef x,
                         LLVMValueRef y, LLVMValueRef c) {
  return LLVMBuildSelect(f->b, LLVMBuildFCmp(f->b, p, x, c, ""), x, y, "");
}

/*
 * x86 has no saturating conversion and fpto[su]i.sat would be scalarised.
 * cvttps2dq/cvttpd2dq give 0x80000000 for NaN and out-of-range lanes
 * (the intrinsics, since fptosi would leave those undefined), so NaN
 * lanes are zeroed first and the other bounds fixed around them:
 *  - f32 signed: lanes >= 2^31 flip 0x80000000 to 0x7fffffff;
 *  - f32 unsigned: converts x and x - 2^31 and adds them, the second
 *    clamped to [0, 0x7fffffff];
 *  - f64 signed: clamped to 2^31-1 first (INT_MIN is already right);
 *  - f64 unsigned: clamped to [0, 2^32-1], truncated, then 2^52 added so
 *    the integer sits in the low 32 bits of each double.
 * Returns NULL when the target lacks what the sequence needs.
 */
static LLVMValueRef trunc_sat_x86(wc_fn *f, LLVMValueRef a, unsigned shape,
                                  bool is_signed) {
  wc_unit *u = f->u;
  if (!wc__is_x86(u))
    return NULL;
  LLVMTypeRef i32x4 = wc__shape_type(u, WC_I32X4);
  LLVMValueRef zero = LLVMConstNull(LLVMTypeOf(a));
  if (shape == WC_F64X2 && is_signed) {
    LLVMValueRef x = fsel(f, LLVMRealOLT, a, fsplat(f, shape, 2147483647.0),
                          fsplat(f, shape, 2147483647.0));
    x = LLVMBuildSelect(f->b, LLVMBuildFCmp(f->b, LLVMRealORD, a, a, ""), x,
                        zero, "");
    return wc__call_intr(f, "llvm.x86.sse2.cvttpd2dq", NULL, &x, 1);
  }
  if (shape == WC_F64X2) {
    if (!wc__x86_has(u, "sse4.1")) /* roundpd */
      return NULL;
    LLVMValueRef x = fsel(f, LLVMRealOGT, a, zero, zero);
    LLVMValueRef max = fsplat(f, shape, 4294967295.0);
    x = fsel(f, LLVMRealOLT, x, max, max);
    x = wc__call_intr(f, "llvm.trunc", LLVMTypeOf(x), &x, 1);
    x = LLVMBuildFAdd(f->b, x, fsplat(f, shape, 4503599627370496.0), "");
    return wc__lanes_of(f, LLVMBuildBitCast(f->b, x, i32x4, ""),
                        LLVMConstNull(i32x4), 0, 4, 2);
  }
  LLVMValueRef two31 = fsplat(f, shape, 2147483648.0);
  if (is_signed) {
    LLVMValueRef x = LLVMBuildSelect(
        f->b, LLVMBuildFCmp(f->b, LLVMRealORD, a, a, ""), a, zero, "");
    LLVMValueRef r = wc__call_intr(f, "llvm.x86.sse2.cvttps2dq", NULL, &x, 1);
    LLVMValueRef big = LLVMBuildFCmp(f->b, LLVMRealOGE, x, two31, "");
    return LLVMBuildXor(f->b, r, LLVMBuildSExt(f->b, big, i32x4, ""), "");
  }
  LLVMValueRef x = fsel(f, LLVMRealOGT, a, zero, zero);
  LLVMValueRef lo = wc__call_intr(f, "llvm.x86.sse2.cvttps2dq", NULL, &x, 1);
  LLVMValueRef h = LLVMBuildFSub(f->b, x, two31, "");
  LLVMValueRef hi = wc__call_intr(f, "llvm.x86.sse2.cvttps2dq", NULL, &h, 1);
  LLVMValueRef big = LLVMBuildFCmp(f->b, LLVMRealOGE, h, two31, "");
  hi = LLVMBuildXor(f->b, hi, LLVMBuildSExt(f->b, big, i32x4, ""), "");
  LLVMValueRef c[2] = {hi, LLVMConstNull(i32x4)};
  hi = wc__call_intr(f, "llvm.smax", i32x4, c, 2);
  return LLVMBuildAdd(f->b, lo, hi, "");
}

/* NaN gives 0, out-of-range values the nearest bound; the f64 forms fill
 * the upper two lanes with zeros. Those saturate to 64 bits first and
 * then narrow: two instructions on NEON (fcvtz[su] on both lanes,
 * [su]qxtn) where a direct 32-bit saturation is scalarised. */
static LLVMValueRef trunc_sat(wc_fn *f, LLVMValueRef a, unsigned shape,
                              bool is_signed) {
  wc_unit *u = f->u;
  LLVMValueRef r = trunc_sat_x86(f, a, shape, is_signed);
  if (r)
    return r;
  unsigned n = wc__lanes(shape);
  LLVMTypeRef it = wc__shape_type(u, shape == WC_F32X4 ? WC_I32X4 : WC_I64X2);
  LLVMTypeRef ts[2] = {it, LLVMTypeOf(a)}, fty;
  LLVMValueRef fn = wc__intrinsic(
      u, is_signed ? "llvm.fptosi.sat" : "llvm.fptoui.sat", ts, 2, &fty);
  r = LLVMBuildCall2(f->b, fty, fn, &a, 1, "");
  if (n == 4)
    return r;
  LLVMTypeRef i64 = u->t_i64, i32x2 = LLVMVectorType(u->t_i32, 2);
  if (wc__is_aarch64(u))
    return zero_high(f, wc__call_intr(f,
                                      is_signed ? "llvm.aarch64.neon.sqxtn"
                                                : "llvm.aarch64.neon.uqxtn",
                                      i32x2, &r, 1));
  if (is_signed) {
    LLVMValueRef c[2] = {r, wc__splat(f, LLVMConstInt(i64, INT32_MIN, 1), 2)};
    c[0] = wc__call_intr(f, "llvm.smax", it, c, 2);
    c[1] = wc__splat(f, LLVMConstInt(i64, INT32_MAX, 0), 2);
    r = wc__call_intr(f, "llvm.smin", it, c, 2);
  } else {
    LLVMValueRef c[2] = {r, wc__splat(f, LLVMConstInt(i64, UINT32_MAX, 0), 2)};
    r = wc__call_intr(f, "llvm.umin", it, c, 2);
  }
  return zero_high(f, LLVMBuildTrunc(f->b, r, i32x2, ""));
}

static LLVMValueRef convert(wc_fn *f, LLVMValueRef a, unsigned shape,
                            bool is_signed) {
  unsigned n = wc__lanes(shape);
  a = wc__as(f, a, WC_I32X4);
  if (n == 2)
    a = wc__lanes_of(f, a, NULL, 0, 2, 1);
  LLVMTypeRef t = wc__shape_type(f->u, shape);
  return is_signed ? LLVMBuildSIToFP(f->b, a, t, "")
                   : LLVMBuildUIToFP(f->b, a, t, "");
}

LLVMValueRef wc__simd_convert(wc_fn *f, const wc_simd_op *op,
                              LLVMValueRef *args) {
  wc_unit *u = f->u;
  unsigned s = op->shape;
  bool is_signed = op->flags & WC_SF_SIGNED;
  switch (op->kind) {
  case WC_SK_NARROW:
    return narrow(f, wc__as(f, args[0], s), wc__as(f, args[1], s), s,
                  is_signed);
  case WC_SK_EXTEND:
    return wc__widen(f, wc__as(f, args[0], s),
                     op->flags & WC_SF_HIGH ? wc__lanes(s) / 2 : 0, 1, s,
                     is_signed);
  case WC_SK_TRUNC_SAT:
    return trunc_sat(f, wc__as(f, args[0], s), s, is_signed);
  case WC_SK_CONVERT:
    return convert(f, args[0], s, is_signed);
  case WC_SK_DEMOTE: {
    LLVMTypeRef t = LLVMVectorType(u->t_f32, 2);
    return zero_high(f, LLVMBuildFPTrunc(f->b, wc__as(f, args[0], s), t, ""));
  }
  case WC_SK_PROMOTE: {
    LLVMValueRef lo = wc__lanes_of(f, wc__as(f, args[0], s), NULL, 0, 2, 1);
    return LLVMBuildFPExt(f->b, lo, wc__shape_type(u, WC_F64X2), "");
  }
  default:
    return NULL;
  }
}
