/*
 * lower.c: the per-function driver. Sets up locals and the prologue, then
 * walks the body once, dispatching every instruction by opcode family to
 * its emitter (emit_<family>.c). Code after br/return/unreachable is
 * skipped up to the enclosing else/end. Validation happened before, so
 * operand types are trusted here.
 */
#include "internal.h"

#include <string.h>

int wc__reserve(wc_fn *f, uint32_t n, wa_err *err) {
  if (f->n_stack + n <= f->cap_stack)
    return 0;
  uint32_t cap = f->cap_stack ? f->cap_stack : 64;
  while (cap < f->n_stack + n)
    cap *= 2;
  LLVMValueRef *s = wa_arena_alloc(&f->u->scratch, cap * sizeof *s);
  if (!s)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  if (f->n_stack)
    memcpy(s, f->stack, f->n_stack * sizeof *s);
  f->stack = s;
  f->cap_stack = cap;
  return 0;
}

typedef enum family {
  F_CONTROL,
  F_VARIABLE,
  F_NUMERIC,
  F_CONVERT,
  F_MEMORY,
  F_TABLE,
  F_CALL,
  F_SIMD,
} family;

/* Families by opcodes.def order (the ranges follow the table's sections). */
static family op_family(wm_op op) {
  if (op == WM_OP_CALL || op == WM_OP_CALL_INDIRECT)
    return F_CALL;
  if (op <= WM_OP_RETURN)
    return F_CONTROL;
  if (op >= WM_OP_DROP && op <= WM_OP_GLOBAL_SET)
    return F_VARIABLE;
  if (op == WM_OP_TABLE_GET || op == WM_OP_TABLE_SET)
    return F_TABLE;
  if (op >= WM_OP_I32_LOAD && op <= WM_OP_MEMORY_GROW)
    return F_MEMORY;
  if ((op >= WM_OP_I32_WRAP_I64 && op <= WM_OP_F64_REINTERPRET_I64) ||
      (op >= WM_OP_I32_TRUNC_SAT_F32_S && op <= WM_OP_I64_TRUNC_SAT_F64_U))
    return F_CONVERT;
  if (op >= WM_OP_I32_CONST && op <= WM_OP_I64_EXTEND32_S)
    return F_NUMERIC;
  if (op >= WM_OP_REF_NULL && op <= WM_OP_REF_FUNC)
    return F_TABLE;
  if (op >= WM_OP_MEMORY_INIT && op <= WM_OP_MEMORY_FILL)
    return F_MEMORY;
  if (op >= WM_OP_TABLE_INIT && op <= WM_OP_TABLE_FILL)
    return F_TABLE;
  if (op == WM_OP_V128_LOAD || op == WM_OP_V128_STORE)
    return F_MEMORY;
  if (op == WM_OP_V128_CONST)
    return F_NUMERIC;
  return F_SIMD;
}

static int dispatch(wc_fn *f, const wm_instr *in, wa_err *err) {
  switch (op_family(in->op)) {
  case F_CONTROL:
    return wc__emit_control(f, in, err);
  case F_VARIABLE:
    return wc__emit_variable(f, in, err);
  case F_NUMERIC:
    return wc__emit_numeric(f, in, err);
  case F_CONVERT:
    return wc__emit_convert(f, in, err);
  case F_MEMORY:
    return wc__emit_memory(f, in, err);
  case F_TABLE:
    return wc__emit_table(f, in, err);
  case F_CALL:
    return wc__emit_call(f, in, err);
  case F_SIMD:
#ifdef WC_HAVE_SIMD
    return wc__emit_simd(f, in, err);
#else
    return wa_fail(err, WA_EUNSUPPORTED, in->off,
                   "SIMD instruction %s is not supported yet",
                   wm_opinfos[in->op].text);
#endif
  }
  return wa_fail(err, WA_EINTERNAL, in->off, "no emitter for %s",
                 wm_opinfos[in->op].text);
}

static bool structural(wm_op op) {
  return op == WM_OP_BLOCK || op == WM_OP_LOOP || op == WM_OP_IF ||
         op == WM_OP_ELSE || op == WM_OP_END;
}

/* Entry block: one alloca per local (mem2reg promotes them), params
 * stored, declared locals zeroed (spec 4.4.10). */
static int setup_locals(wc_fn *f, const wm_code *c, wa_err *err) {
  wc_unit *u = f->u;
  f->n_locals = f->type->n_params + c->n_locals;
  size_t n = (size_t)f->n_locals + 1;
  f->locals = wa_arena_alloc(&u->scratch, n * sizeof *f->locals);
  f->local_types = wa_arena_alloc(&u->scratch, n * sizeof *f->local_types);
  if (!f->locals || !f->local_types)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  uint32_t i = 0;
  for (; i < f->type->n_params; i++)
    f->local_types[i] = wc__valtype(u, f->type->params[i]);
  for (uint32_t g = 0; g < c->n_groups; g++)
    for (uint32_t k = 0; k < c->groups[g].count; k++)
      f->local_types[i++] = wc__valtype(u, c->groups[g].type);
  for (i = 0; i < f->n_locals; i++)
    f->locals[i] = LLVMBuildAlloca(f->b, f->local_types[i], "");
  for (i = 0; i < f->n_locals; i++) {
    LLVMValueRef v = i < f->type->n_params
                         ? LLVMGetParam(f->fn, i + 1)
                         : LLVMConstNull(f->local_types[i]);
    LLVMBuildStore(f->b, v, f->locals[i]);
  }
  return 0;
}

int wc__lower_func(wc_unit *u, uint32_t funcidx, wa_err *err) {
  const wm_module *m = u->m;
  uint32_t code = funcidx - m->n_func_imports;
  const wm_code *c = &m->codes[code];
  int rc = 0;
  wa_arena_reset(&u->scratch);

  wc_fn f;
  memset(&f, 0, sizeof f);
  f.u = u;
  f.b = u->b;
  f.funcidx = funcidx;
  f.type = wm_func_type(m, funcidx);
  f.fn = wc__func_decl(u, funcidx);
  f.vmctx = LLVMGetParam(f.fn, 0);
  f.what = m->what;

  f.entry = LLVMAppendBasicBlockInContext(u->ctx, f.fn, "entry");
  LLVMPositionBuilderAtEnd(f.b, f.entry);
  if ((rc = setup_locals(&f, c, err)) < 0)
    goto out;
  LLVMBasicBlockRef check = LLVMAppendBasicBlockInContext(u->ctx, f.fn, "");
  f.entry_term = LLVMBuildBr(f.b, check);
  LLVMPositionBuilderAtEnd(f.b, check);
  wc__stack_check(&f);
  if ((rc = wc__reserve(&f, 16, err)) < 0 ||
      (rc = wc__control_begin(&f, err)) < 0)
    goto out;

  wm_reader r = wm_code_reader(m, code);
  wm_instr in;
  while (!wc__control_done(&f)) {
    if (r.p >= r.end) {
      rc = wa_fail(err, WA_EMALFORMED, wm_reader_off(&r),
                   "function %u: body ends inside a block", funcidx);
      goto out;
    }
    if ((rc = wm_instr_next(&r, &in, err)) < 0)
      goto out;
    if (f.unreachable && !structural(in.op))
      continue;
    if ((rc = wc__reserve(&f, 4, err)) < 0 || (rc = dispatch(&f, &in, err)) < 0)
      goto out;
  }
out:
  if (rc < 0) {
    if (f.what)
      wa_err_where(err, f.what);
    wa_err_wrap(err, "compiling function %u: ", funcidx);
  }
  return rc;
}
