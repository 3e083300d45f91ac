/*
 * link.c: the glue to the runtime (wr.h), and the only file of
 * runtime/wasi that needs it. Each wasi_snapshot_preview1 import becomes a
 * wr_func_new_host function whose env is a (context, wasi.def row) pair;
 * the call reads the caller's memory, runs the row's thunk and turns
 * WI__EXIT into WR_TRAP_EXIT with the exit code.
 */
#include "internal.h"

typedef struct binding {
  wi_ctx *ctx;
  const wi__fn *fn;
} binding;

static uint32_t host_call(void *env, wr_caller *c, wr_val *vals) {
  const binding *b = env;
  wi_mem m = {NULL, 0}; /* called from the host: no memory, every ptr faults */
  if (c)
    wr_caller_memory(c, &m.base, &m.size);
  uint32_t trap = b->fn->thunk(b->ctx, &m, vals);
  if (trap == WR_TRAP_EXIT && c)
    wr_caller_exit(c, b->ctx->exit_code);
  return trap;
}

static const char *kind_name(uint8_t kind) {
  static const char *const names[] = {"function", "table", "memory", "global"};
  return kind < 4 ? names[kind] : "unknown kind";
}

int wi_link(wi_ctx *ctx, wr_store *s, const wr_meta *meta, wr_extern *imports,
            wa_err *err) {
  if (!ctx->bindings) {
    binding *b = wa_calloc(wi__n_fns, sizeof *b);
    if (!b)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "linking WASI");
    for (uint32_t i = 0; i < wi__n_fns; i++) {
      b[i].ctx = ctx;
      b[i].fn = &wi__fns[i];
    }
    ctx->bindings = b;
  }
  binding *bindings = ctx->bindings;
  for (uint32_t i = 0; i < meta->n_imports; i++) {
    const wr_meta_import *imp = &meta->imports[i];
    if (!wi_is_wasi_module(imp->module.ptr, imp->module.len))
      continue;
    if (imp->kind != 0)
      return wa_fail(err, WA_ELINK, WA_NOOFF,
                     "%s.%.*s: imported as a %s; WASI preview1 exports only "
                     "functions",
                     WI_MODULE, (int)imp->field.len, imp->field.ptr,
                     kind_name(imp->kind));
    if (imp->index >= meta->n_funcs ||
        meta->func_types[imp->index] >= meta->n_types)
      return wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                     "import %u: function index out of range", i);
    const wi__fn *fn = wi__fn_find(imp->field.ptr, imp->field.len);
    /* Not ours to judge: the embedder reports it with its other unresolved
     * imports, or links a stub that traps (wasmaot run
     * --trap-unknown-imports). */
    if (!fn)
      continue;
    const wr_meta_type *type = &meta->types[meta->func_types[imp->index]];
    int rc = wi_check_import(imp->field.ptr, imp->field.len, type, err);
    if (rc)
      return rc;
    wr_func *f;
    rc = wr_func_new_host(s, &fn->type, host_call, &bindings[fn - wi__fns], &f,
                          err);
    if (rc) {
      wa_err_wrap(err, "linking %s.%s", WI_MODULE, fn->name);
      return rc;
    }
    imports[i].kind = 0;
    imports[i].u.func = f;
  }
  return 0;
}
