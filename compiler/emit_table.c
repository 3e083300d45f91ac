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
  wc_unit *u = f->u;
  wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGE, i, wc__table_size(f, t), ""),
              WR_TRAP_OOB_TABLE);
  LLVMValueRef elems = wc__table_elems(f, t);
  LLVMValueRef i64 = LLVMBuildZExt(f->b, i, u->t_i64, "");
  return LLVMBuildInBoundsGEP2(f->b, u->t_ptr, elems, &i64, 1, "");
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
    LLVMValueRef v = LLVMBuildLoad2(f->b, u->t_ptr, p, "");
    wc__tag(u, v, WC_TBAA_ELEMS, false);
    wc__push(f, v);
    return 0;
  }
  case WM_OP_TABLE_SET: {
    LLVMValueRef v = wc__pop(f);
    LLVMValueRef p = elem_ptr(f, in->u.index, wc__pop(f));
    wc__tag(u, LLVMBuildStore(f->b, v, p), WC_TBAA_ELEMS, false);
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
