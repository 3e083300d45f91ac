/*
 * emit_simd_memory.c: the SIMD accesses narrower than 16 bytes (spec
 * 4.4.7): extending loads, splat and zero-filling loads, and single-lane
 * loads and stores. Each reads or writes exactly its access size through
 * wc__mem_addr, so explicit mode checks that size and guard mode faults
 * only past it; the lane then moves in or out of the vector in registers.
 */
#include "internal.h"

/* A scalar or short-vector load of type t at the instruction's address. */
static LLVMValueRef load(wc_fn *f, const wm_instr *in, LLVMValueRef addr,
                         LLVMTypeRef t) {
  LLVMValueRef p =
      wc__mem_addr(f, addr, in->u.mem.offset, wm_opinfos[in->op].size);
  LLVMValueRef l = LLVMBuildLoad2(f->b, t, p, "");
  wc__mem_access(f, l);
  return l;
}

LLVMValueRef wc__simd_memory(wc_fn *f, const wc_simd_op *op, const wm_instr *in,
                             LLVMValueRef *args) {
  wc_unit *u = f->u;
  unsigned s = op->shape, n = wc__lanes(s);
  LLVMTypeRef lt = wc__lane_type(u, s);
  switch (op->kind) {
  case WC_SK_LOAD_EXTEND: { /* n/2 narrow lanes, widened */
    LLVMValueRef v = load(f, in, args[0], LLVMVectorType(lt, n / 2));
    LLVMTypeRef t = wc__shape_type(u, wc__wider(s));
    return op->flags & WC_SF_SIGNED ? LLVMBuildSExt(f->b, v, t, "")
                                    : LLVMBuildZExt(f->b, v, t, "");
  }
  case WC_SK_LOAD_SPLAT:
    return wc__splat(f, load(f, in, args[0], lt), n);
  case WC_SK_LOAD_ZERO:
    return LLVMBuildInsertElement(f->b, LLVMConstNull(wc__shape_type(u, s)),
                                  load(f, in, args[0], lt),
                                  LLVMConstInt(u->t_i32, 0, 0), "");
  case WC_SK_LOAD_LANE: {
    LLVMValueRef x = load(f, in, args[0], lt);
    LLVMValueRef lane = LLVMConstInt(u->t_i32, in->u.mem.lane, 0);
    return LLVMBuildInsertElement(f->b, wc__as(f, args[1], s), x, lane, "");
  }
  case WC_SK_STORE_LANE: {
    LLVMValueRef lane = LLVMConstInt(u->t_i32, in->u.mem.lane, 0);
    LLVMValueRef x =
        LLVMBuildExtractElement(f->b, wc__as(f, args[1], s), lane, "");
    LLVMValueRef p =
        wc__mem_addr(f, args[0], in->u.mem.offset, wm_opinfos[in->op].size);
    wc__mem_access(f, LLVMBuildStore(f->b, x, p));
    return NULL;
  }
  default:
    return NULL;
  }
}
