/*
 * emit_variable.c: locals (allocas, promoted by mem2reg), globals (vmctx
 * cells; imported ones through their pointer slot), drop and select.
 */
#include "internal.h"

static LLVMValueRef global_load(wc_fn *f, uint32_t g) {
  const wm_global *gl = &f->u->m->globals[g];
  LLVMTypeRef t = wc__valtype(f->u, gl->type.type);
  /* Immutable globals are set before any code of the instance runs. */
  return wc__load(f, t, wc__global_ptr(f, g), 0, WC_TBAA_GLOBAL,
                  !gl->type.mut);
}

int wc__emit_variable(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  uint32_t i = in->u.index;
  switch (in->op) {
  case WM_OP_DROP:
    wc__keep_loads(f, wc__pop(f));
    return 0;
  case WM_OP_SELECT:
  case WM_OP_SELECT_T: {
    LLVMValueRef c = wc__pop(f), b = wc__pop(f), a = wc__pop(f);
    LLVMValueRef t =
        LLVMBuildICmp(f->b, LLVMIntNE, c, LLVMConstInt(u->t_i32, 0, 0), "");
    wc__push(f, LLVMBuildSelect(f->b, t, a, b, ""));
    return 0;
  }
  case WM_OP_LOCAL_GET:
    wc__push(f, LLVMBuildLoad2(f->b, f->local_types[i], f->locals[i], ""));
    return 0;
  case WM_OP_LOCAL_SET:
    LLVMBuildStore(f->b, wc__pop(f), f->locals[i]);
    return 0;
  case WM_OP_LOCAL_TEE:
    LLVMBuildStore(f->b, wc__top(f), f->locals[i]);
    return 0;
  case WM_OP_GLOBAL_GET:
    wc__push(f, global_load(f, i));
    return 0;
  case WM_OP_GLOBAL_SET:
    wc__store(f, wc__pop(f), wc__global_ptr(f, i), 0, WC_TBAA_GLOBAL);
    return 0;
  default:
    return wa_fail(err, WA_EINTERNAL, in->off, "%s is not a variable op",
                   wm_opinfos[in->op].text);
  }
}
