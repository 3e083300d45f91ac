/*
 * emit_trap.c: the only place that emits traps. Each function gets at most
 * one cold block per trap kind, calling helpers[TRAP](vmctx, kind), which
 * unwinds to the runtime and never returns. The prologue's stack check is
 * here too, because its failure is a trap.
 */
#include "internal.h"

static LLVMBasicBlockRef trap_block(wc_fn *f, uint32_t kind) {
  if (f->trap_bb[kind])
    return f->trap_bb[kind];
  wc_unit *u = f->u;
  LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "trap");
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(f->b);
  LLVMPositionBuilderAtEnd(f->b, bb);
  LLVMValueRef k = LLVMConstInt(u->t_i32, kind, 0);
  LLVMValueRef call = wc__call_helper(f, WR_HELPER_TRAP, &k, 1);
  LLVMAddCallSiteAttribute(
      call, LLVMAttributeFunctionIndex,
      LLVMCreateEnumAttribute(
          u->ctx, LLVMGetEnumAttributeKindForName("noreturn", 8), 0));
  LLVMAddCallSiteAttribute(
      call, LLVMAttributeFunctionIndex,
      LLVMCreateEnumAttribute(u->ctx,
                              LLVMGetEnumAttributeKindForName("cold", 4), 0));
  LLVMBuildUnreachable(f->b);
  LLVMPositionBuilderAtEnd(f->b, saved);
  f->trap_bb[kind] = bb;
  return bb;
}

void wc__trap_if(wc_fn *f, LLVMValueRef cond, uint32_t kind) {
  LLVMBasicBlockRef trap = trap_block(f, kind);
  LLVMBasicBlockRef cont =
      LLVMAppendBasicBlockInContext(f->u->ctx, f->fn, "");
  LLVMBuildCondBr(f->b, cond, trap, cont);
  LLVMPositionBuilderAtEnd(f->b, cont);
}

void wc__trap(wc_fn *f, uint32_t kind) {
  LLVMBuildBr(f->b, trap_block(f, kind));
  f->unreachable = true;
}

/* spec 4.5.5: exhausting the call stack is a trap. The runtime sets
 * stack_limit with headroom for a frame, the helpers and the signal
 * handler; the frame address (frame pointers are always kept) falling
 * below it traps before this function's body runs. */
void wc__stack_check(wc_fn *f) {
  wc_unit *u = f->u;
  LLVMTypeRef fty;
  LLVMTypeRef pt = u->t_ptr;
  LLVMValueRef fa = wc__intrinsic(u, "llvm.frameaddress", &pt, 1, &fty);
  LLVMValueRef zero = LLVMConstInt(u->t_i32, 0, 0);
  LLVMValueRef frame = LLVMBuildCall2(f->b, fty, fa, &zero, 1, "");
  LLVMValueRef fp = LLVMBuildPtrToInt(f->b, frame, u->t_i64, "");
  LLVMValueRef limit =
      wc__load(f, u->t_i64, f->vmctx, WR_VMCTX_STACK_LIMIT, WC_TBAA_VMCTX,
               false);
  wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntULT, fp, limit, ""),
              WR_TRAP_STACK_EXHAUSTED);
}
