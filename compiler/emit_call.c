/*
 * emit_call.c: call and call_indirect (spec 4.4.9). Defined functions of
 * this module are called directly with our own vmctx; imports through
 * their function record (code, vmctx); indirect calls check bounds, null
 * and the canonical type id, in that order, as the spec's traps require.
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

static int emit_call_indirect(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  uint32_t type = in->u.call_indirect.type;
  LLVMValueRef i = wc__pop(f);
  uint32_t t = in->u.call_indirect.table;
  wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGE, i, wc__table_size(f, t), ""),
              WR_TRAP_UNDEFINED_ELEMENT);
  LLVMValueRef elems = wc__table_elems(f, t);
  LLVMValueRef i64 = LLVMBuildZExt(f->b, i, u->t_i64, "");
  LLVMValueRef slot = LLVMBuildInBoundsGEP2(f->b, u->t_ptr, elems, &i64, 1, "");
  LLVMValueRef ref = LLVMBuildLoad2(f->b, u->t_ptr, slot, "");
  wc__tag(u, ref, WC_TBAA_ELEMS, false);
  wc__trap_if(f, LLVMBuildIsNull(f->b, ref, ""),
              WR_TRAP_UNINITIALIZED_ELEMENT);
  LLVMValueRef got = wc__load(f, u->t_i32, ref, 16, WC_TBAA_FUNCREF, true);
  wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntNE, got, wc__type_id(f, type), ""),
              WR_TRAP_INDIRECT_TYPE_MISMATCH);
  LLVMValueRef code = wc__load(f, u->t_ptr, ref, 0, WC_TBAA_FUNCREF, true);
  LLVMValueRef vm = wc__load(f, u->t_ptr, ref, 8, WC_TBAA_FUNCREF, true);
  return wc__call_push(f, u->fn_types[type], code, vm, type, err);
}

int wc__emit_call(wc_fn *f, const wm_instr *in, wa_err *err) {
  if (in->op == WM_OP_CALL)
    return emit_call_direct(f, in->u.index, err);
  return emit_call_indirect(f, in, err);
}
