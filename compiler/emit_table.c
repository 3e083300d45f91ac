/*
 * emit_table.c: reference instructions and tables (spec 4.4.2, 4.4.6).
 * table.get/set/size are inline (bounds-checked against the table's
 * current size); grow, fill, copy, init and elem.drop call the runtime's
 * helpers, which check and trap themselves.
 */
#include "internal.h"

static LLVMValueRef i32c(wc_fn *f, uint32_t v) {
  return LLVMConstInt(f->u->t_i32, v, 0);
}

/* &table->elems[i] after the bounds check (trap: out of bounds table). */
static LLVMValueRef elem_ptr(wc_fn *f, uint32_t t, LLVMValueRef i) {
  wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGE, i, wc__table_size(f, t), ""),
              WR_TRAP_OOB_TABLE);
  return wc__table_elem(f, t, i);
}

/* table.set: the reference, and in a funcref table its call fields
 * (wr_table_elem): copied from the wr_funcref, or the null element's
 * {NULL, NULL, WR_TYPE_ID_NONE}. Externref elements keep those forever. */
static void table_set(wc_fn *f, uint32_t t, LLVMValueRef p, LLVMValueRef v) {
  wc_unit *u = f->u;
  wc__store(f, v, p, WC_ELEM_REF, WC_TBAA_ELEMS);
  if (u->m->tables[t].type.elemtype != WM_FUNCREF)
    return;
  LLVMBasicBlockRef from = LLVMGetInsertBlock(f->b);
  LLVMBasicBlockRef copy = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "");
  LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "");
  LLVMBuildCondBr(f->b, LLVMBuildIsNull(f->b, v, ""), join, copy);
  LLVMPositionBuilderAtEnd(f->b, copy);
  LLVMValueRef got[3] = {
      wc__load(f, u->t_ptr, v, 0, WC_TBAA_FUNCREF, true),
      wc__load(f, u->t_ptr, v, 8, WC_TBAA_FUNCREF, true),
      wc__load(f, u->t_i32, v, 16, WC_TBAA_FUNCREF, true),
  };
  LLVMBuildBr(f->b, join);
  LLVMPositionBuilderAtEnd(f->b, join);
  LLVMValueRef none[3] = {LLVMConstNull(u->t_ptr), LLVMConstNull(u->t_ptr),
                          i32c(f, WR_TYPE_ID_NONE)};
  static const uint64_t offs[3] = {WC_ELEM_CODE, WC_ELEM_VMCTX,
                                   WC_ELEM_TYPE_ID};
  LLVMValueRef phis[3];
  for (int k = 0; k < 3; k++) {
    phis[k] = LLVMBuildPhi(f->b, LLVMTypeOf(got[k]), "");
    LLVMValueRef vals[2] = {none[k], got[k]};
    LLVMBasicBlockRef bbs[2] = {from, copy};
    LLVMAddIncoming(phis[k], vals, bbs, 2);
  }
  for (int k = 0; k < 3; k++)
    wc__store(f, phis[k], p, offs[k], WC_TBAA_ELEMS);
}

int wc__emit_table(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  LLVMValueRef a[5];
  switch (in->op) {
  case WM_OP_REF_NULL:
    wc__push(f, LLVMConstNull(u->t_ptr));
    return 0;
  case WM_OP_REF_IS_NULL: {
    LLVMValueRef v = wc__pop(f);
    wc__push(f, LLVMBuildZExt(f->b, LLVMBuildIsNull(f->b, v, ""), u->t_i32,
                              ""));
    return 0;
  }
  case WM_OP_REF_FUNC:
    wc__push(f, wc__funcref(f, in->u.index));
    return 0;
  case WM_OP_TABLE_GET: {
    LLVMValueRef p = elem_ptr(f, in->u.index, wc__pop(f));
    wc__push(f, wc__load(f, u->t_ptr, p, WC_ELEM_REF, WC_TBAA_ELEMS, false));
    return 0;
  }
  case WM_OP_TABLE_SET: {
    LLVMValueRef v = wc__pop(f);
    LLVMValueRef p = elem_ptr(f, in->u.index, wc__pop(f));
    table_set(f, in->u.index, p, v);
    return 0;
  }
  case WM_OP_TABLE_SIZE:
    wc__push(f, wc__table_size(f, in->u.index));
    return 0;
  case WM_OP_TABLE_GROW: /* [init delta] -> old size or -1 */
    a[2] = wc__pop(f);
    a[1] = wc__pop(f);
    a[0] = i32c(f, in->u.index);
    wc__push(f, wc__call_helper(f, WR_HELPER_TABLE_GROW, a, 3));
    return 0;
  case WM_OP_TABLE_FILL: /* [i val n] */
    a[3] = wc__pop(f);
    a[2] = wc__pop(f);
    a[1] = wc__pop(f);
    a[0] = i32c(f, in->u.index);
    wc__call_helper(f, WR_HELPER_TABLE_FILL, a, 4);
    return 0;
  case WM_OP_TABLE_COPY: /* [d s n], immediates dst, src */
    a[4] = wc__pop(f);
    a[3] = wc__pop(f);
    a[2] = wc__pop(f);
    a[1] = i32c(f, in->u.pair.b);
    a[0] = i32c(f, in->u.pair.a);
    wc__call_helper(f, WR_HELPER_TABLE_COPY, a, 5);
    return 0;
  case WM_OP_TABLE_INIT: /* [d s n], immediates elem, table */
    a[4] = wc__pop(f);
    a[3] = wc__pop(f);
    a[2] = wc__pop(f);
    a[1] = i32c(f, in->u.pair.a);
    a[0] = i32c(f, in->u.pair.b);
    wc__call_helper(f, WR_HELPER_TABLE_INIT, a, 5);
    return 0;
  case WM_OP_ELEM_DROP:
    a[0] = i32c(f, in->u.index);
    wc__call_helper(f, WR_HELPER_ELEM_DROP, a, 1);
    return 0;
  default:
    return wa_fail(err, WA_EINTERNAL, in->off, "%s is not a table op",
                   wm_opinfos[in->op].text);
  }
}
