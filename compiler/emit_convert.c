/*
 * emit_convert.c: conversions (spec 4.3.4). Trapping float->int truncation
 * checks NaN (invalid conversion) and then the exact representable range
 * (integer overflow) before fptosi/fptoui, whose out-of-range result LLVM
 * leaves undefined; saturating truncation is llvm.fpto[su]i.sat.
 */
#include "internal.h"

typedef struct trunc_row {
  wm_op op;
  bool is_signed, lo_inclusive;
  double lo, hi; /* valid iff lo < x (or lo <= x) and x < hi */
} trunc_row;

/* The bounds are exact in both float types; -2^31-1 only in f64, hence
 * the inclusive -2^31 for f32 (no f32 lies strictly between them). */
static const trunc_row trunc_rows[] = {
    {WM_OP_I32_TRUNC_F32_S, true, true, -2147483648.0, 2147483648.0},
    {WM_OP_I32_TRUNC_F64_S, true, false, -2147483649.0, 2147483648.0},
    {WM_OP_I32_TRUNC_F32_U, false, false, -1.0, 4294967296.0},
    {WM_OP_I32_TRUNC_F64_U, false, false, -1.0, 4294967296.0},
    {WM_OP_I64_TRUNC_F32_S, true, true, -9223372036854775808.0,
     9223372036854775808.0},
    {WM_OP_I64_TRUNC_F64_S, true, true, -9223372036854775808.0,
     9223372036854775808.0},
    {WM_OP_I64_TRUNC_F32_U, false, false, -1.0, 18446744073709551616.0},
    {WM_OP_I64_TRUNC_F64_U, false, false, -1.0, 18446744073709551616.0},
};

static LLVMValueRef trunc_trap(wc_fn *f, const trunc_row *row,
                               LLVMValueRef x, LLVMTypeRef to) {
  LLVMTypeRef ft = LLVMTypeOf(x);
  wc__trap_if(f, LLVMBuildFCmp(f->b, LLVMRealUNO, x, x, ""),
              WR_TRAP_INVALID_CONVERSION);
  LLVMValueRef lo = LLVMConstReal(ft, row->lo), hi = LLVMConstReal(ft, row->hi);
  LLVMValueRef ok = LLVMBuildAnd(
      f->b,
      LLVMBuildFCmp(f->b, row->lo_inclusive ? LLVMRealOGE : LLVMRealOGT, x, lo,
                    ""),
      LLVMBuildFCmp(f->b, LLVMRealOLT, x, hi, ""), "");
  wc__trap_if(f, LLVMBuildNot(f->b, ok, ""), WR_TRAP_INT_OVERFLOW);
  return row->is_signed ? LLVMBuildFPToSI(f->b, x, to, "")
                        : LLVMBuildFPToUI(f->b, x, to, "");
}

static LLVMValueRef trunc_sat(wc_fn *f, bool is_signed, LLVMValueRef x,
                              LLVMTypeRef to) {
  LLVMTypeRef ts[2] = {to, LLVMTypeOf(x)}, fty;
  LLVMValueRef fn = wc__intrinsic(
      f->u, is_signed ? "llvm.fptosi.sat" : "llvm.fptoui.sat", ts, 2, &fty);
  return LLVMBuildCall2(f->b, fty, fn, &x, 1, "");
}

int wc__emit_convert(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  LLVMBuilderRef b = f->b;
  wm_op op = in->op;
  LLVMTypeRef to = wc__valtype(u, wm_opinfos[op].result);
  LLVMValueRef x = wc__pop(f), r;
  for (size_t i = 0; i < sizeof trunc_rows / sizeof trunc_rows[0]; i++)
    if (trunc_rows[i].op == op) {
      wc__push(f, trunc_trap(f, &trunc_rows[i], x, to));
      return 0;
    }
  switch (op) {
  case WM_OP_I32_WRAP_I64:
    r = LLVMBuildTrunc(b, x, to, "");
    break;
  case WM_OP_I64_EXTEND_I32_S:
    r = LLVMBuildSExt(b, x, to, "");
    break;
  case WM_OP_I64_EXTEND_I32_U:
    r = LLVMBuildZExt(b, x, to, "");
    break;
  case WM_OP_F32_CONVERT_I32_S: case WM_OP_F32_CONVERT_I64_S:
  case WM_OP_F64_CONVERT_I32_S: case WM_OP_F64_CONVERT_I64_S:
    r = LLVMBuildSIToFP(b, x, to, "");
    break;
  case WM_OP_F32_CONVERT_I32_U: case WM_OP_F32_CONVERT_I64_U:
  case WM_OP_F64_CONVERT_I32_U: case WM_OP_F64_CONVERT_I64_U:
    r = LLVMBuildUIToFP(b, x, to, "");
    break;
  case WM_OP_F32_DEMOTE_F64:
    /* demote(promote(x)) must quiet a signalling NaN; LLVM folds it to x
     * (float_exprs.wast no_fold_promote_demote). */
    if (LLVMIsAFPExtInst(x))
      x = wc__opaque(f, x);
    r = LLVMBuildFPTrunc(b, x, to, "");
    break;
  case WM_OP_F64_PROMOTE_F32:
    r = LLVMBuildFPExt(b, x, to, "");
    break;
  case WM_OP_I32_REINTERPRET_F32: case WM_OP_I64_REINTERPRET_F64:
  case WM_OP_F32_REINTERPRET_I32: case WM_OP_F64_REINTERPRET_I64:
    r = LLVMBuildBitCast(b, x, to, "");
    break;
  case WM_OP_I32_TRUNC_SAT_F32_S: case WM_OP_I32_TRUNC_SAT_F64_S:
  case WM_OP_I64_TRUNC_SAT_F32_S: case WM_OP_I64_TRUNC_SAT_F64_S:
    r = trunc_sat(f, true, x, to);
    break;
  case WM_OP_I32_TRUNC_SAT_F32_U: case WM_OP_I32_TRUNC_SAT_F64_U:
  case WM_OP_I64_TRUNC_SAT_F32_U: case WM_OP_I64_TRUNC_SAT_F64_U:
    r = trunc_sat(f, false, x, to);
    break;
  default:
    return wa_fail(err, WA_EINTERNAL, in->off, "%s is not a conversion",
                   wm_opinfos[op].text);
  }
  wc__push(f, r);
  return 0;
}
