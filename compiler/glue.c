/*
 * glue.c: the code between the runtime and the compiled functions, and the
 * three symbols the runtime looks up (wr_abi.h): wasmaot_funcs (defined
 * functions), wasmaot_tramps (one entry trampoline per type index, shared
 * by identical signatures) and wasmaot_adapters (one host-call adapter per
 * imported function).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static bool same_type(const wm_functype *a, const wm_functype *b) {
  return a->n_params == b->n_params && a->n_results == b->n_results &&
         memcmp(a->params, b->params, a->n_params) == 0 &&
         memcmp(a->results, b->results, a->n_results) == 0;
}

static LLVMValueRef new_fn(wc_unit *u, const char *name, LLVMTypeRef t) {
  LLVMValueRef fn = LLVMAddFunction(u->mod, name, t);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  wc__fn_attrs(u, fn);
  return fn;
}

static LLVMValueRef vals_slot(wc_unit *u, LLVMValueRef vals, uint32_t i) {
  LLVMValueRef off = LLVMConstInt(u->t_i64, 16ull * i, 0);
  return LLVMBuildInBoundsGEP2(u->b, u->t_i8, vals, &off, 1, "");
}

static void tag_vals(wc_unit *u, LLVMValueRef inst) {
  wc__tag(u, inst, WC_TBAA_VALS, false);
}

/* void tramp(void *code, void *vmctx, wr_val *vals) */
static LLVMValueRef emit_tramp(wc_unit *u, uint32_t type) {
  const wm_functype *ft = &u->m->types[type];
  LLVMTypeRef ps[3] = {u->t_ptr, u->t_ptr, u->t_ptr};
  char name[40];
  snprintf(name, sizeof name, "wasm_tramp_t%u", type);
  LLVMValueRef fn = new_fn(u, name, LLVMFunctionType(u->t_void, ps, 3, 0));
  LLVMPositionBuilderAtEnd(u->b, LLVMAppendBasicBlockInContext(u->ctx, fn, ""));
  LLVMValueRef vals = LLVMGetParam(fn, 2);
  LLVMValueRef *args =
      wa_arena_alloc(&u->scratch, (ft->n_params + 1) * sizeof *args);
  if (!args)
    return NULL;
  args[0] = LLVMGetParam(fn, 1);
  for (uint32_t i = 0; i < ft->n_params; i++) {
    args[i + 1] = LLVMBuildLoad2(u->b, wc__valtype(u, ft->params[i]),
                                 vals_slot(u, vals, i), "");
    tag_vals(u, args[i + 1]);
  }
  LLVMValueRef r = LLVMBuildCall2(u->b, u->fn_types[type], LLVMGetParam(fn, 0),
                                  args, ft->n_params + 1, "");
  for (uint32_t i = 0; i < ft->n_results; i++) {
    LLVMValueRef v =
        ft->n_results == 1 ? r : LLVMBuildExtractValue(u->b, r, i, "");
    tag_vals(u, LLVMBuildStore(u->b, v, vals_slot(u, vals, i)));
  }
  LLVMBuildRetVoid(u->b);
  return fn;
}

/* R adapter(void *vmctx, P...): spills to a wr_val array and calls
 * helpers[HOST_CALL](vmctx, funcidx, vals). */
static LLVMValueRef emit_adapter(wc_unit *u, uint32_t idx) {
  uint32_t type = u->m->func_types[idx];
  const wm_functype *ft = &u->m->types[type];
  char name[40];
  snprintf(name, sizeof name, "wasm_adapter_f%u", idx);
  LLVMValueRef fn = new_fn(u, name, u->fn_types[type]);
  LLVMPositionBuilderAtEnd(u->b, LLVMAppendBasicBlockInContext(u->ctx, fn, ""));
  uint32_t n = ft->n_params > ft->n_results ? ft->n_params : ft->n_results;
  LLVMTypeRef at = LLVMArrayType2(u->t_i8, 16ull * (n ? n : 1));
  LLVMValueRef vals = LLVMBuildAlloca(u->b, at, "");
  LLVMSetAlignment(vals, 16);
  for (uint32_t i = 0; i < ft->n_params; i++)
    tag_vals(u, LLVMBuildStore(u->b, LLVMGetParam(fn, i + 1),
                               vals_slot(u, vals, i)));
  LLVMValueRef args[2] = {LLVMConstInt(u->t_i32, idx, 0), vals};
  wc__call_helper_raw(u, u->b, LLVMGetParam(fn, 0), WR_HELPER_HOST_CALL, args,
                      2);
  LLVMValueRef *rs =
      wa_arena_alloc(&u->scratch, (ft->n_results + 1) * sizeof *rs);
  if (!rs)
    return NULL;
  for (uint32_t i = 0; i < ft->n_results; i++) {
    rs[i] = LLVMBuildLoad2(u->b, wc__valtype(u, ft->results[i]),
                           vals_slot(u, vals, i), "");
    tag_vals(u, rs[i]);
  }
  if (ft->n_results == 0)
    LLVMBuildRetVoid(u->b);
  else if (ft->n_results == 1)
    LLVMBuildRet(u->b, rs[0]);
  else
    LLVMBuildAggregateRet(u->b, rs, ft->n_results);
  return fn;
}

/* A table of offsets from its own start (wr_abi.h): each entry is a
 * PC-relative relocation the pre-linker resolves, so the loader has
 * nothing to patch. */
static void emit_array(wc_unit *u, const char *name, LLVMValueRef *elems,
                       uint32_t n) {
  LLVMTypeRef t = LLVMArrayType2(u->t_i64, n);
  LLVMValueRef g = LLVMAddGlobal(u->mod, t, name);
  LLVMValueRef base = LLVMConstPtrToInt(g, u->t_i64);
  for (uint32_t i = 0; i < n; i++)
    elems[i] = elems[i]
                   ? LLVMConstSub(LLVMConstPtrToInt(elems[i], u->t_i64), base)
                   : LLVMConstInt(u->t_i64, 0, 0);
  LLVMSetInitializer(g, LLVMConstArray2(u->t_i64, elems, n));
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMExternalLinkage);
  LLVMSetAlignment(g, 8);
}

int wc__emit_glue(wc_unit *u, wa_err *err) {
  const wm_module *m = u->m;
  uint32_t n_defined = m->n_funcs - m->n_func_imports;
  uint32_t n_max = n_defined;
  if (m->n_types > n_max)
    n_max = m->n_types;
  if (m->n_func_imports > n_max)
    n_max = m->n_func_imports;
  LLVMValueRef *elems = wa_arena_alloc(&u->arena, (n_max + 1) * sizeof(void *));
  if (!elems)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");

  for (uint32_t i = 0; i < n_defined; i++)
    elems[i] = wc__func_decl(u, m->n_func_imports + i);
  emit_array(u, WR_SYM_FUNCS, elems, n_defined);

  for (uint32_t t = 0; t < m->n_types; t++) {
    uint32_t same = t;
    for (uint32_t k = 0; k < t && same == t; k++)
      if (same_type(&m->types[k], &m->types[t]))
        same = k;
    elems[t] = same == t ? emit_tramp(u, t) : elems[same];
    if (!elems[t])
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  }
  emit_array(u, WR_SYM_TRAMPS, elems, m->n_types);

  for (uint32_t i = 0; i < m->n_func_imports; i++)
    if (!(elems[i] = emit_adapter(u, i)))
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  emit_array(u, WR_SYM_ADAPTERS, elems, m->n_func_imports);
  return 0;
}
