/*
 * module.c: module lifetime (wm_load, wm_module_free) and the lookups the
 * compiler and backtraces use. Lookups assume a validated module and
 * return empty values for out-of-range indices rather than crash.
 */
#include "internal.h"

int wm_load(const uint8_t *bytes, size_t len, const char *what,
            wm_module **out, wa_err *err) {
  wm_module *m;
  *out = NULL;
  int rc = wm_decode(bytes, len, what, &m, err);
  if (rc)
    return rc;
  rc = wm_validate(m, err);
  if (rc) {
    wm_module_free(m);
    return rc;
  }
  *out = m;
  return 0;
}

void wm_module_free(wm_module *m) {
  if (!m)
    return;
  wa_arena_free(&m->arena);
  wa_free(m);
}

const wm_functype *wm_func_type(const wm_module *m, uint32_t funcidx) {
  if (funcidx >= m->n_funcs || m->func_types[funcidx] >= m->n_types)
    return NULL;
  return &m->types[m->func_types[funcidx]];
}

wm_name wm_func_name(const wm_module *m, uint32_t funcidx) {
  if (!m->func_names || funcidx >= m->n_funcs)
    return (wm_name){NULL, 0};
  return m->func_names[funcidx];
}

uint8_t wm_local_type(const wm_module *m, uint32_t funcidx, uint32_t idx) {
  const wm_functype *ft = wm_func_type(m, funcidx);
  if (!ft || funcidx < m->n_func_imports)
    return 0;
  if (idx < ft->n_params)
    return ft->params[idx];
  idx -= ft->n_params;
  const wm_code *c = &m->codes[funcidx - m->n_func_imports];
  for (uint32_t g = 0; g < c->n_groups; g++) {
    if (idx < c->groups[g].count)
      return c->groups[g].type;
    idx -= c->groups[g].count;
  }
  return 0;
}

wm_reader wm_code_reader(const wm_module *m, uint32_t codeidx) {
  if (codeidx >= m->n_funcs - m->n_func_imports)
    return (wm_reader){m->bytes, m->bytes, m->bytes};
  const wm_code *c = &m->codes[codeidx];
  return (wm_reader){m->bytes, c->body, c->end};
}
