/*
 * emit_call.c: call and call_indirect (spec 4.4.9). Defined functions of
 * this module are called directly with our own vmctx; imports through
 * their function record (code, vmctx); indirect calls check bounds, null
 * and the canonical type id, in that order, as the spec's traps require
 * (null and type with one compare on the fast path, see below).
 */
#include "internal.h"

#include <string.h>

int wc__call_push(wc_fn *f, LLVMTypeRef fty, LLVMValueRef callee,
                  LLVMValueRef callee_vmctx, uint32_t type, wa_err *err) {
  const wm_functype *ft = &f->u->m->types[type];
  uint32_t np = ft->n_params, nr = ft->n_results;
  LLVMValueRef *args =
      wa_arena_alloc(&f->u->scratch, (np + 1) * sizeof *args);
  if (!args)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  args[0] = callee_vmctx;
  f->n_stack -= np;
  memcpy(args + 1, &f->stack[f->n_stack], np * sizeof *args);
  LLVMValueRef r = LLVMBuildCall2(f->b, fty, callee, args, np + 1, "");
  int rc = wc__reserve(f, nr, err);
  if (rc < 0)
    return rc;
  if (nr == 1)
    wc__push(f, r);
  else
    for (uint32_t i = 0; i < nr; i++)
      wc__push(f, LLVMBuildExtractValue(f->b, r, i, ""));
  return 0;
}

static int emit_call_direct(wc_fn *f, uint32_t idx, wa_err *err) {
  wc_unit *u = f->u;
  uint32_t type = u->m->func_types[idx];
  if (idx >= u->m->n_func_imports)
    return wc__call_push(f, u->fn_types[type], wc__func_decl(u, idx), f->vmctx,
                         type, err);
  LLVMValueRef rec = wc__funcref(f, idx);
  LLVMValueRef code = wc__load(f, u->t_ptr, rec, 0, WC_TBAA_FUNCREF, true);
  LLVMValueRef vm = wc__load(f, u->t_ptr, rec, 8, WC_TBAA_FUNCREF, true);
  return wc__call_push(f, u->fn_types[type], code, vm, type, err);
}

/* One load of the element's type id decides the fast path: a null element
 * carries WR_TYPE_ID_NONE (wr_abi.h), so only a failed check tests for null
 * to tell "uninitialized element" from a type mismatch. Code and vmctx come
 * from the same element, not through the wr_funcref it holds. */
static int emit_call_indirect(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  uint32_t type = in->u.call_indirect.type;
  uint32_t t = in->u.call_indirect.table;
  LLVMValueRef i = wc__pop(f);
  wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGE, i, wc__table_size(f, t), ""),
              WR_TRAP_UNDEFINED_ELEMENT);
  LLVMValueRef e = wc__table_elem(f, t, i);
  LLVMValueRef got =
      wc__load(f, u->t_i32, e, WC_ELEM_TYPE_ID, WC_TBAA_ELEMS, false);
  LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "");
  LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "");
  /* bad ends in noreturn cold calls: LLVM lays it out of line */
  LLVMBuildCondBr(
      f->b, LLVMBuildICmp(f->b, LLVMIntNE, got, wc__type_id(f, type), ""),
      bad, ok);
  LLVMPositionBuilderAtEnd(f->b, bad);
  LLVMValueRef ref =
      wc__load(f, u->t_ptr, e, WC_ELEM_REF, WC_TBAA_ELEMS, false);
  wc__trap_if(f, LLVMBuildIsNull(f->b, ref, ""),
              WR_TRAP_UNINITIALIZED_ELEMENT);
  wc__trap(f, WR_TRAP_INDIRECT_TYPE_MISMATCH);
  f->unreachable = false; /* only the slow path ended; go on at ok */
  LLVMPositionBuilderAtEnd(f->b, ok);
  LLVMValueRef code = wc__load(f, u->t_ptr, e, WC_ELEM_CODE, WC_TBAA_ELEMS,
                               false);
  LLVMValueRef vm = wc__load(f, u->t_ptr, e, WC_ELEM_VMCTX, WC_TBAA_ELEMS,
                             false);
  return wc__call_push(f, u->fn_types[type], code, vm, type, err);
}

int wc__emit_call(wc_fn *f, const wm_instr *in, wa_err *err) {
  if (in->op == WM_OP_CALL)
    return emit_call_direct(f, in->u.index, err);
  return emit_call_indirect(f, in, err);
}
