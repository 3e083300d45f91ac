/*
 * emit_numeric.c: constants, comparisons, integer and float arithmetic,
 * sign extension (spec 4.3.2-4.3.3). Integer division checks divisor and
 * overflow before dividing (hardware would fault differently), shift
 * counts are masked, rotates are funnel shifts. Float min/max are
 * llvm.minimum/maximum (NaN-propagating, -0 < +0); abs and neg are sign-bit
 * operations so NaN payloads pass unchanged.
 */
#include "internal.h"

#include <string.h>

static LLVMValueRef call1(wc_fn *f, const char *name, LLVMValueRef a) {
  LLVMTypeRef t = LLVMTypeOf(a), fty;
  LLVMValueRef fn = wc__intrinsic(f->u, name, &t, 1, &fty);
  return LLVMBuildCall2(f->b, fty, fn, &a, 1, "");
}

static LLVMValueRef call2(wc_fn *f, const char *name, LLVMValueRef a,
                          LLVMValueRef b) {
  LLVMTypeRef t = LLVMTypeOf(a), fty;
  LLVMValueRef fn = wc__intrinsic(f->u, name, &t, 1, &fty);
  LLVMValueRef args[2] = {a, b};
  return LLVMBuildCall2(f->b, fty, fn, args, 2, "");
}

static LLVMValueRef bool32(wc_fn *f, LLVMValueRef i1) {
  return LLVMBuildZExt(f->b, i1, f->u->t_i32, "");
}

static LLVMValueRef f32_bits(wc_unit *u, uint32_t bits) {
  return LLVMConstBitCast(LLVMConstInt(u->t_i32, bits, 0), u->t_f32);
}

static LLVMValueRef f64_bits(wc_unit *u, uint64_t bits) {
  return LLVMConstBitCast(LLVMConstInt(u->t_i64, bits, 0), u->t_f64);
}

/* Sign-bit arithmetic on a float's bits: and with ~sign (abs), xor with
 * sign (neg). */
static LLVMValueRef sign_op(wc_fn *f, LLVMValueRef x, bool neg) {
  wc_unit *u = f->u;
  bool is64 = LLVMTypeOf(x) == u->t_f64;
  LLVMTypeRef it = is64 ? u->t_i64 : u->t_i32;
  uint64_t sign = is64 ? 1ull << 63 : 1ull << 31;
  LLVMValueRef bits = LLVMBuildBitCast(f->b, x, it, "");
  bits = neg ? LLVMBuildXor(f->b, bits, LLVMConstInt(it, sign, 0), "")
             : LLVMBuildAnd(f->b, bits, LLVMConstInt(it, ~sign, 0), "");
  return LLVMBuildBitCast(f->b, bits, LLVMTypeOf(x), "");
}

/*
 * NaN quieting. Wasm arithmetic turns a signalling NaN into a quiet one;
 * LLVM's default semantics do not promise that, and InstCombine folds
 * x-0, x*1, x/1, x*-1, x/-1 and -0-x to x or fneg x, which keep the
 * signal bit (spec float_exprs.wast "no_fold_*"). A literal ±0/±1 operand
 * is therefore passed through an empty inline asm, which hides its value
 * from the folds and costs one register move. (A constant reaching the
 * operation only after propagation is not caught.)
 */
LLVMValueRef wc__opaque(wc_fn *f, LLVMValueRef v) {
  wc_unit *u = f->u;
  LLVMTypeRef ft = LLVMTypeOf(v);
  LLVMTypeRef it = ft == u->t_f64 ? u->t_i64 : u->t_i32;
  LLVMTypeRef fty = LLVMFunctionType(it, &it, 1, 0);
  static const char cons[] = "=r,0";
  LLVMValueRef asm_fn = LLVMGetInlineAsm(fty, "", 0, cons, sizeof cons - 1, 0,
                                         0, LLVMInlineAsmDialectATT, 0);
  LLVMValueRef bits = LLVMBuildBitCast(f->b, v, it, "");
  LLVMValueRef r = LLVMBuildCall2(f->b, fty, asm_fn, &bits, 1, "");
  return LLVMBuildBitCast(f->b, r, ft, "");
}

static LLVMValueRef hide_identity(wc_fn *f, LLVMValueRef v) {
  if (!LLVMIsAConstantFP(v))
    return v;
  LLVMBool lossy;
  double d = LLVMConstRealGetDouble(v, &lossy);
  if (d == 0.0 || d == 1.0 || d == -1.0)
    return wc__opaque(f, v);
  return v;
}

/* min/max: llvm.minimum/maximum order -0 below +0 and return NaN for any
 * NaN operand, but pass a signalling one through unquieted; a NaN operand
 * therefore takes a+b instead, which is quiet (and canonical when the NaN
 * operands were). */
static LLVMValueRef minmax(wc_fn *f, bool is_min, LLVMValueRef a,
                           LLVMValueRef b) {
  LLVMTypeRef t = LLVMTypeOf(a), fty;
  LLVMValueRef fn = wc__intrinsic(f->u, is_min ? "llvm.minimum" : "llvm.maximum",
                                  &t, 1, &fty);
  LLVMValueRef args[2] = {a, b};
  LLVMValueRef r = LLVMBuildCall2(f->b, fty, fn, args, 2, "");
  LLVMValueRef nan = LLVMBuildFCmp(f->b, LLVMRealUNO, a, b, "");
  return LLVMBuildSelect(f->b, nan, LLVMBuildFAdd(f->b, a, b, ""), r, "");
}

/* spec 4.3.2 idiv_s/irem_s and friends. */
static LLVMValueRef divrem(wc_fn *f, wm_op op, LLVMValueRef a,
                           LLVMValueRef b) {
  LLVMTypeRef t = LLVMTypeOf(a);
  bool is64 = t == f->u->t_i64;
  LLVMValueRef zero = LLVMConstInt(t, 0, 0);
  LLVMValueRef minus1 = LLVMConstAllOnes(t);
  wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntEQ, b, zero, ""),
              WR_TRAP_INT_DIV_ZERO);
  switch (op) {
  case WM_OP_I32_DIV_S:
  case WM_OP_I64_DIV_S: {
    LLVMValueRef min = LLVMConstInt(t, is64 ? 1ull << 63 : 1ull << 31, 0);
    LLVMValueRef ovf = LLVMBuildAnd(
        f->b, LLVMBuildICmp(f->b, LLVMIntEQ, a, min, ""),
        LLVMBuildICmp(f->b, LLVMIntEQ, b, minus1, ""), "");
    wc__trap_if(f, ovf, WR_TRAP_INT_OVERFLOW);
    return LLVMBuildSDiv(f->b, a, b, "");
  }
  case WM_OP_I32_REM_S:
  case WM_OP_I64_REM_S: {
    /* x rem -1 is 0, but INT_MIN rem -1 faults on x86: divide by 1. */
    LLVMValueRef safe = LLVMBuildSelect(
        f->b, LLVMBuildICmp(f->b, LLVMIntEQ, b, minus1, ""),
        LLVMConstInt(t, 1, 0), b, "");
    return LLVMBuildSRem(f->b, a, safe, "");
  }
  case WM_OP_I32_DIV_U:
  case WM_OP_I64_DIV_U:
    return LLVMBuildUDiv(f->b, a, b, "");
  default:
    return LLVMBuildURem(f->b, a, b, "");
  }
}

static LLVMValueRef shift(wc_fn *f, wm_op op, LLVMValueRef a, LLVMValueRef b) {
  LLVMTypeRef t = LLVMTypeOf(a);
  unsigned bits = LLVMGetIntTypeWidth(t);
  switch (op) {
  case WM_OP_I32_ROTL:
  case WM_OP_I64_ROTL:
  case WM_OP_I32_ROTR:
  case WM_OP_I64_ROTR: {
    bool left = op == WM_OP_I32_ROTL || op == WM_OP_I64_ROTL;
    LLVMTypeRef fty;
    LLVMValueRef fn =
        wc__intrinsic(f->u, left ? "llvm.fshl" : "llvm.fshr", &t, 1, &fty);
    LLVMValueRef args[3] = {a, a, b};
    return LLVMBuildCall2(f->b, fty, fn, args, 3, "");
  }
  default:
    break;
  }
  b = LLVMBuildAnd(f->b, b, LLVMConstInt(t, bits - 1, 0), "");
  switch (op) {
  case WM_OP_I32_SHL:
  case WM_OP_I64_SHL:
    return LLVMBuildShl(f->b, a, b, "");
  case WM_OP_I32_SHR_S:
  case WM_OP_I64_SHR_S:
    return LLVMBuildAShr(f->b, a, b, "");
  default:
    return LLVMBuildLShr(f->b, a, b, "");
  }
}

static LLVMValueRef bitcount(wc_fn *f, wm_op op, LLVMValueRef a) {
  if (op == WM_OP_I32_POPCNT || op == WM_OP_I64_POPCNT)
    return call1(f, "llvm.ctpop", a);
  bool clz = op == WM_OP_I32_CLZ || op == WM_OP_I64_CLZ;
  /* zero input is defined: the bit width */
  return call2(f, clz ? "llvm.ctlz" : "llvm.cttz", a,
               LLVMConstInt(f->u->t_i1, 0, 0));
}

static LLVMValueRef sign_extend(wc_fn *f, wm_op op, LLVMValueRef a) {
  wc_unit *u = f->u;
  LLVMTypeRef narrow = op == WM_OP_I32_EXTEND8_S || op == WM_OP_I64_EXTEND8_S
                           ? u->t_i8
                       : op == WM_OP_I64_EXTEND32_S ? u->t_i32
                                                    : u->t_i16;
  LLVMValueRef n = LLVMBuildTrunc(f->b, a, narrow, "");
  return LLVMBuildSExt(f->b, n, LLVMTypeOf(a), "");
}

static LLVMValueRef icmp(wc_fn *f, LLVMIntPredicate p, LLVMValueRef a,
                         LLVMValueRef b) {
  return bool32(f, LLVMBuildICmp(f->b, p, a, b, ""));
}

static LLVMValueRef fcmp(wc_fn *f, LLVMRealPredicate p, LLVMValueRef a,
                         LLVMValueRef b) {
  return bool32(f, LLVMBuildFCmp(f->b, p, a, b, ""));
}

static int emit_const(wc_fn *f, const wm_instr *in) {
  wc_unit *u = f->u;
  switch (in->op) {
  case WM_OP_I32_CONST:
    wc__push(f, LLVMConstInt(u->t_i32, (uint32_t)in->u.i32, 0));
    break;
  case WM_OP_I64_CONST:
    wc__push(f, LLVMConstInt(u->t_i64, (uint64_t)in->u.i64, 0));
    break;
  case WM_OP_F32_CONST: /* from bits: keeps NaN payloads */
    wc__push(f, f32_bits(u, in->u.f32));
    break;
  case WM_OP_F64_CONST:
    wc__push(f, f64_bits(u, in->u.f64));
    break;
  default: { /* v128.const: two little-endian i64 lanes */
    uint64_t lo, hi;
    memcpy(&lo, in->u.v128, 8);
    memcpy(&hi, in->u.v128 + 8, 8);
    LLVMValueRef lanes[2] = {LLVMConstInt(u->t_i64, lo, 0),
                             LLVMConstInt(u->t_i64, hi, 0)};
    wc__push(f, LLVMConstVector(lanes, 2));
    break;
  }
  }
  return 0;
}

int wc__emit_numeric(wc_fn *f, const wm_instr *in, wa_err *err) {
  wm_op op = in->op;
  LLVMBuilderRef b = f->b;
  if (op == WM_OP_I32_CONST || op == WM_OP_I64_CONST || op == WM_OP_F32_CONST ||
      op == WM_OP_F64_CONST || op == WM_OP_V128_CONST)
    return emit_const(f, in);

  const wm_opinfo *oi = &wm_opinfos[op];
  bool unary = oi->params[1] == 0;
  LLVMValueRef y = unary ? NULL : wc__pop(f);
  LLVMValueRef x = wc__pop(f);
  LLVMValueRef r;
  switch (op) {
  case WM_OP_I32_EQZ:
  case WM_OP_I64_EQZ:
    r = icmp(f, LLVMIntEQ, x, LLVMConstInt(LLVMTypeOf(x), 0, 0));
    break;
  case WM_OP_I32_EQ: case WM_OP_I64_EQ: r = icmp(f, LLVMIntEQ, x, y); break;
  case WM_OP_I32_NE: case WM_OP_I64_NE: r = icmp(f, LLVMIntNE, x, y); break;
  case WM_OP_I32_LT_S: case WM_OP_I64_LT_S: r = icmp(f, LLVMIntSLT, x, y); break;
  case WM_OP_I32_LT_U: case WM_OP_I64_LT_U: r = icmp(f, LLVMIntULT, x, y); break;
  case WM_OP_I32_GT_S: case WM_OP_I64_GT_S: r = icmp(f, LLVMIntSGT, x, y); break;
  case WM_OP_I32_GT_U: case WM_OP_I64_GT_U: r = icmp(f, LLVMIntUGT, x, y); break;
  case WM_OP_I32_LE_S: case WM_OP_I64_LE_S: r = icmp(f, LLVMIntSLE, x, y); break;
  case WM_OP_I32_LE_U: case WM_OP_I64_LE_U: r = icmp(f, LLVMIntULE, x, y); break;
  case WM_OP_I32_GE_S: case WM_OP_I64_GE_S: r = icmp(f, LLVMIntSGE, x, y); break;
  case WM_OP_I32_GE_U: case WM_OP_I64_GE_U: r = icmp(f, LLVMIntUGE, x, y); break;

  /* NaN compares unequal to everything: ne is the unordered predicate. */
  case WM_OP_F32_EQ: case WM_OP_F64_EQ: r = fcmp(f, LLVMRealOEQ, x, y); break;
  case WM_OP_F32_NE: case WM_OP_F64_NE: r = fcmp(f, LLVMRealUNE, x, y); break;
  case WM_OP_F32_LT: case WM_OP_F64_LT: r = fcmp(f, LLVMRealOLT, x, y); break;
  case WM_OP_F32_GT: case WM_OP_F64_GT: r = fcmp(f, LLVMRealOGT, x, y); break;
  case WM_OP_F32_LE: case WM_OP_F64_LE: r = fcmp(f, LLVMRealOLE, x, y); break;
  case WM_OP_F32_GE: case WM_OP_F64_GE: r = fcmp(f, LLVMRealOGE, x, y); break;

  case WM_OP_I32_CLZ: case WM_OP_I64_CLZ:
  case WM_OP_I32_CTZ: case WM_OP_I64_CTZ:
  case WM_OP_I32_POPCNT: case WM_OP_I64_POPCNT:
    r = bitcount(f, op, x);
    break;
  case WM_OP_I32_ADD: case WM_OP_I64_ADD: r = LLVMBuildAdd(b, x, y, ""); break;
  case WM_OP_I32_SUB: case WM_OP_I64_SUB: r = LLVMBuildSub(b, x, y, ""); break;
  case WM_OP_I32_MUL: case WM_OP_I64_MUL: r = LLVMBuildMul(b, x, y, ""); break;
  case WM_OP_I32_DIV_S: case WM_OP_I64_DIV_S:
  case WM_OP_I32_DIV_U: case WM_OP_I64_DIV_U:
  case WM_OP_I32_REM_S: case WM_OP_I64_REM_S:
  case WM_OP_I32_REM_U: case WM_OP_I64_REM_U:
    r = divrem(f, op, x, y);
    break;
  case WM_OP_I32_AND: case WM_OP_I64_AND: r = LLVMBuildAnd(b, x, y, ""); break;
  case WM_OP_I32_OR: case WM_OP_I64_OR: r = LLVMBuildOr(b, x, y, ""); break;
  case WM_OP_I32_XOR: case WM_OP_I64_XOR: r = LLVMBuildXor(b, x, y, ""); break;
  case WM_OP_I32_SHL: case WM_OP_I64_SHL:
  case WM_OP_I32_SHR_S: case WM_OP_I64_SHR_S:
  case WM_OP_I32_SHR_U: case WM_OP_I64_SHR_U:
  case WM_OP_I32_ROTL: case WM_OP_I64_ROTL:
  case WM_OP_I32_ROTR: case WM_OP_I64_ROTR:
    r = shift(f, op, x, y);
    break;

  case WM_OP_F32_ABS: case WM_OP_F64_ABS: r = sign_op(f, x, false); break;
  case WM_OP_F32_NEG: case WM_OP_F64_NEG: r = sign_op(f, x, true); break;
  case WM_OP_F32_CEIL: case WM_OP_F64_CEIL: r = call1(f, "llvm.ceil", x); break;
  case WM_OP_F32_FLOOR: case WM_OP_F64_FLOOR:
    r = call1(f, "llvm.floor", x);
    break;
  case WM_OP_F32_TRUNC: case WM_OP_F64_TRUNC:
    r = call1(f, "llvm.trunc", x);
    break;
  case WM_OP_F32_NEAREST: case WM_OP_F64_NEAREST: /* ties to even */
    r = call1(f, "llvm.roundeven", x);
    break;
  case WM_OP_F32_SQRT: case WM_OP_F64_SQRT: r = call1(f, "llvm.sqrt", x); break;
  case WM_OP_F32_ADD: case WM_OP_F64_ADD:
  case WM_OP_F32_SUB: case WM_OP_F64_SUB:
  case WM_OP_F32_MUL: case WM_OP_F64_MUL:
  case WM_OP_F32_DIV: case WM_OP_F64_DIV: {
    x = hide_identity(f, x);
    y = hide_identity(f, y);
    LLVMOpcode opc = op == WM_OP_F32_ADD || op == WM_OP_F64_ADD   ? LLVMFAdd
                     : op == WM_OP_F32_SUB || op == WM_OP_F64_SUB ? LLVMFSub
                     : op == WM_OP_F32_MUL || op == WM_OP_F64_MUL ? LLVMFMul
                                                                  : LLVMFDiv;
    r = LLVMBuildBinOp(b, opc, x, y, "");
    break;
  }
  case WM_OP_F32_MIN: case WM_OP_F64_MIN: r = minmax(f, true, x, y); break;
  case WM_OP_F32_MAX: case WM_OP_F64_MAX: r = minmax(f, false, x, y); break;
  case WM_OP_F32_COPYSIGN: case WM_OP_F64_COPYSIGN:
    r = call2(f, "llvm.copysign", x, y);
    break;

  case WM_OP_I32_EXTEND8_S: case WM_OP_I32_EXTEND16_S:
  case WM_OP_I64_EXTEND8_S: case WM_OP_I64_EXTEND16_S:
  case WM_OP_I64_EXTEND32_S:
    r = sign_extend(f, op, x);
    break;
  default:
    return wa_fail(err, WA_EINTERNAL, in->off, "%s is not a numeric op",
                   oi->text);
  }
  wc__push(f, r);
  return 0;
}
