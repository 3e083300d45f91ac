/*
 * instance.c: instantiation (Wasm 2.0, spec 4.5.4): import matching with
 * subtyping, the vmctx of wr_abi.h, function records, tables, memories,
 * globals, element and data segments, the start function; and export
 * lookup. Runtime services called by compiled code are in helpers.c.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static void fmt_limits(char *buf, size_t n, const char *what, uint32_t min,
                       bool has_max, uint32_t max, const char *suffix) {
  if (has_max)
    snprintf(buf, n, "%s %u..%u%s", what, min, max, suffix);
  else
    snprintf(buf, n, "%s %u..%s", what, min, suffix);
}

static void fmt_global(char *buf, size_t n, uint8_t type, bool mut) {
  snprintf(buf, n, "global %s%s", mut ? "mut " : "",
           wr_meta_valtype_name(type));
}

/* Describes what an extern actually is, for link errors. */
static void fmt_extern(char *buf, size_t n, const wr_extern *e) {
  switch (e->kind) {
  case 0:
    wr_meta_type_format(buf, n, e->u.func->type);
    break;
  case 1:
    fmt_limits(buf, n, "table", e->u.table->abi.size, e->u.table->has_max,
               e->u.table->abi.max,
               e->u.table->elemtype == 0x70 ? " funcref" : " externref");
    break;
  case 2:
    fmt_limits(buf, n, "memory", wr_memory_pages(e->u.memory),
               e->u.memory->has_max, e->u.memory->max, "");
    break;
  case 3:
    fmt_global(buf, n, e->u.global->type, e->u.global->mut);
    break;
  default:
    snprintf(buf, n, "extern kind %u", e->kind);
  }
}

static void fmt_import(char *buf, size_t n, const wr_meta *m,
                       const wr_meta_import *im) {
  switch (im->kind) {
  case 0:
    wr_meta_type_format(buf, n, &m->types[m->func_types[im->index]]);
    break;
  case 1: {
    const wr_meta_table *t = &m->tables[im->index];
    fmt_limits(buf, n, "table", t->min, t->has_max, t->max,
               t->elemtype == 0x70 ? " funcref" : " externref");
    break;
  }
  case 2: {
    const wr_meta_memory *mem = &m->memories[im->index];
    fmt_limits(buf, n, "memory", mem->min, mem->has_max, mem->max, "");
    break;
  }
  default:
    fmt_global(buf, n, m->globals[im->index].type, m->globals[im->index].mut);
  }
}

/* spec 4.5.2 import matching: limits {min, max} match {min', max'} when
 * min >= min' and, if max' is given, max is given and max <= max'. */
static bool limits_match(uint32_t min, bool has_max, uint32_t max,
                         uint32_t dmin, bool dhas_max, uint32_t dmax) {
  return min >= dmin && (!dhas_max || (has_max && max <= dmax));
}

static bool import_matches(const wr_meta *m, const wr_meta_import *im,
                           const wr_extern *e, const char **why) {
  *why = "incompatible import type";
  if (e->kind != im->kind || !e->u.func)
    return false;
  switch (im->kind) {
  case 0:
    return wr__type_eq(e->u.func->type, &m->types[m->func_types[im->index]]);
  case 1: {
    const wr_meta_table *t = &m->tables[im->index];
    wr_table *x = e->u.table;
    return x->elemtype == t->elemtype &&
           limits_match(x->abi.size, x->has_max, x->abi.max, t->min, t->has_max,
                        t->max);
  }
  case 2: {
    const wr_meta_memory *d = &m->memories[im->index];
    wr_memory *x = e->u.memory;
    if (!limits_match(wr_memory_pages(x), x->has_max, x->max, d->min,
                      d->has_max, d->max))
      return false;
    /* guard-mode code does no bounds checks: it needs the reservation */
    if (m->bounds == WR_BOUNDS_GUARD && x->bounds != WR_BOUNDS_GUARD) {
      *why = "incompatible import type (guard-mode code needs a guard-mode "
             "memory)";
      return false;
    }
    return true;
  }
  default: {
    const wr_meta_global *g = &m->globals[im->index];
    return e->u.global->type == g->type && e->u.global->mut == g->mut;
  }
  }
}

static int check_imports(const wr_meta *m, const wr_extern *imports, uint32_t n,
                         wa_err *err) {
  if (n != m->n_imports)
    return wa_fail(err, WA_ELINK, WA_NOOFF,
                   "module has %u imports, %u were given", m->n_imports, n);
  for (uint32_t i = 0; i < n; i++) {
    const wr_meta_import *im = &m->imports[i];
    const char *why;
    if (import_matches(m, im, &imports[i], &why))
      continue;
    char want[96], got[96];
    fmt_import(want, sizeof want, m, im);
    if (imports[i].u.func)
      fmt_extern(got, sizeof got, &imports[i]);
    else
      snprintf(got, sizeof got, "nothing");
    return wa_fail(
        err, WA_ELINK, WA_NOOFF, "%s: %.*s.%.*s: expected %s, got %s", why,
        (int)(im->module.len > 60 ? 60 : im->module.len), im->module.ptr,
        (int)(im->field.len > 60 ? 60 : im->field.len), im->field.ptr, want,
        got);
  }
  return 0;
}

/* ------------------------------------------------------------ allocation */

static void *ialloc(size_t n, size_t size, wa_err *err) {
  void *p = wa_calloc(n ? n : 1, size);
  if (!p)
    wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory instantiating");
  return p;
}

/* Evaluates a constant expression (already checked by the decoder). */
static wr_val eval_const(wr_instance *inst, const wr_meta_const *c) {
  wr_val v;
  memset(&v, 0, sizeof v);
  switch (c->kind) {
  case WR_CONST_REF_NULL:
    break;
  case WR_CONST_REF_FUNC:
    v.ref = inst->funcs[c->index];
    break;
  case WR_CONST_GLOBAL_GET:
    v = *inst->globals[c->index]->cell;
    break;
  default:
    memcpy(v.v128, c->bytes, 16);
  }
  return v;
}

static int setup_funcs(wr_instance *inst, const wr_extern *imports,
                       wa_err *err) {
  const wr_meta *m = inst->meta;
  wr_artifact *a = inst->art;
  inst->funcs = ialloc(m->n_funcs, sizeof *inst->funcs, err);
  inst->own_funcs = ialloc(m->n_funcs, sizeof *inst->own_funcs, err);
  inst->type_ids = ialloc(m->n_types, sizeof *inst->type_ids, err);
  if (!inst->funcs || !inst->own_funcs || !inst->type_ids)
    return err->code;
  for (uint32_t t = 0; t < m->n_types; t++) {
    int rc = wr__type_id(&m->types[t], &inst->type_ids[t], err);
    if (rc)
      return rc;
  }
  uint32_t fi = 0;
  for (uint32_t i = 0; i < m->n_imports; i++) {
    if (m->imports[i].kind != 0)
      continue;
    wr_func *x = imports[i].u.func;
    if (x->inst) { /* a Wasm function (or another instance's wrapper) */
      inst->funcs[fi++] = x;
      continue;
    }
    /* A host function: this instance's adapter spills the arguments and
     * calls helpers[HOST_CALL](vmctx, fi), which finds x in ref.host. */
    void *adapter = a->adapters ? wr_abi_table_fn(a->adapters, fi) : NULL;
    if (!adapter)
      return wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                     "artifact has no adapter for imported function %u", fi);
    wr_func *w = &inst->own_funcs[fi];
    w->ref = (wr_funcref){adapter, inst->vmctx,
                          inst->type_ids[m->func_types[fi]], fi, x};
    w->type = &m->types[m->func_types[fi]];
    w->inst = inst;
    w->typeidx = m->func_types[fi];
    inst->funcs[fi++] = w;
  }
  for (uint32_t k = m->n_func_imports; k < m->n_funcs; k++) {
    wr_func *f = &inst->own_funcs[k];
    f->ref =
        (wr_funcref){wr_abi_table_fn(a->funcs, k - m->n_func_imports),
                     inst->vmctx, inst->type_ids[m->func_types[k]], k, NULL};
    f->type = &m->types[m->func_types[k]];
    f->inst = inst;
    f->typeidx = m->func_types[k];
    inst->funcs[k] = f;
  }
  return 0;
}

static int setup_tables_memories(wr_instance *inst, const wr_extern *imports,
                                 wa_err *err) {
  const wr_meta *m = inst->meta;
  inst->tables = ialloc(m->n_tables, sizeof *inst->tables, err);
  inst->table_abis = ialloc(m->n_tables, sizeof *inst->table_abis, err);
  inst->memories = ialloc(m->n_memories, sizeof *inst->memories, err);
  if (!inst->tables || !inst->table_abis || !inst->memories)
    return err->code;
  for (uint32_t i = 0; i < m->n_imports; i++) {
    const wr_meta_import *im = &m->imports[i];
    if (im->kind == 1)
      inst->tables[im->index] = imports[i].u.table;
    else if (im->kind == 2)
      inst->memories[im->index] = imports[i].u.memory;
  }
  for (uint32_t t = 0; t < m->n_tables; t++) {
    const wr_meta_table *d = &m->tables[t];
    if (!d->imported) {
      int rc = wr__table_create(d->elemtype, d->min, d->max, d->has_max, NULL,
                                &inst->tables[t], err);
      if (rc)
        return rc;
    }
    inst->table_abis[t] = &inst->tables[t]->abi;
  }
  for (uint32_t k = 0; k < m->n_memories; k++) {
    const wr_meta_memory *d = &m->memories[k];
    if (d->imported)
      continue;
    int rc = wr__memory_create(d->min, d->max, d->has_max, m->bounds,
                               &inst->memories[k], err);
    if (rc)
      return rc;
  }
  return 0;
}

static int setup_globals(wr_instance *inst, const wr_extern *imports,
                         wa_err *err) {
  const wr_meta *m = inst->meta;
  inst->globals = ialloc(m->n_globals, sizeof *inst->globals, err);
  inst->own_globals = ialloc(m->n_globals, sizeof *inst->own_globals, err);
  if (!inst->globals || !inst->own_globals)
    return err->code;
  uint8_t *vm = (uint8_t *)inst->vmctx;
  for (uint32_t i = 0; i < m->n_imports; i++)
    if (m->imports[i].kind == 3) {
      wr_global *g = imports[i].u.global;
      uint32_t idx = m->imports[i].index;
      inst->globals[idx] = g;
      memcpy(vm +
                 wr_vmctx_global_offset(inst->layout, idx, m->n_global_imports),
             &g->cell, sizeof g->cell);
    }
  for (uint32_t k = m->n_global_imports; k < m->n_globals; k++) {
    wr_global *g = &inst->own_globals[k];
    g->cell = (wr_val *)(vm + wr_vmctx_global_offset(inst->layout, k,
                                                     m->n_global_imports));
    g->type = m->globals[k].type;
    g->mut = m->globals[k].mut;
    *g->cell = eval_const(inst, &m->globals[k].init);
    inst->globals[k] = g;
  }
  return 0;
}

static int setup_segments(wr_instance *inst, wa_err *err) {
  const wr_meta *m = inst->meta;
  inst->elem_refs = ialloc(m->n_elems, sizeof *inst->elem_refs, err);
  inst->elem_len = ialloc(m->n_elems, sizeof *inst->elem_len, err);
  inst->data_len = ialloc(m->n_datas, sizeof *inst->data_len, err);
  if (!inst->elem_refs || !inst->elem_len || !inst->data_len)
    return err->code;
  for (uint32_t e = 0; e < m->n_elems; e++) {
    const wr_meta_elem *seg = &m->elems[e];
    /* spec 4.5.4: declarative segments are dropped at once */
    if (seg->mode == WR_SEG_DECLARATIVE || seg->n_items == 0)
      continue;
    void **refs = ialloc(seg->n_items, sizeof *refs, err);
    if (!refs)
      return err->code;
    for (uint32_t j = 0; j < seg->n_items; j++)
      refs[j] = eval_const(inst, &seg->items[j]).ref;
    inst->elem_refs[e] = refs;
    inst->elem_len[e] = seg->n_items;
  }
  for (uint32_t d = 0; d < m->n_datas; d++)
    inst->data_len[d] = m->datas[d].len;
  return 0;
}

static int vmctx_alloc(wr_instance *inst, wa_err *err) {
  const wr_meta *m = inst->meta;
  inst->layout = wr_vmctx_layout_compute(m->n_globals, m->n_global_imports);
  wr_vmctx_tail tail =
      wr_vmctx_tail_compute(inst->layout, m->n_types, m->n_tables);
  /* wa_calloc returns malloc-aligned (16-byte) memory, which the 16-byte
   * global cells need. */
  inst->vmctx = ialloc(1, tail.size, err);
  if (!inst->vmctx)
    return err->code;
  if ((uintptr_t)inst->vmctx & 15)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "vmctx is not 16-aligned");
  inst->vmctx->helpers = wr__helpers;
  inst->vmctx->instance = inst;
  inst->vmctx->stack_limit = inst->store->stack_limit;
  return 0;
}

static void fill_vmctx(wr_instance *inst) {
  const wr_meta *m = inst->meta;
  wr_vmctx_header *h = inst->vmctx;
  wr_vmctx_tail tail =
      wr_vmctx_tail_compute(inst->layout, m->n_types, m->n_tables);
  uint8_t *vm = (uint8_t *)inst->vmctx;
  if (m->n_types)
    memcpy(vm + tail.type_ids, inst->type_ids,
           m->n_types * sizeof *inst->type_ids);
  for (uint32_t t = 0; t < m->n_tables; t++) {
    const wr_meta_table *d = &m->tables[t];
    wr_table_elem *e = wr_table_fixed(d->has_max, d->min, d->max)
                           ? inst->tables[t]->abi.elems
                           : NULL;
    memcpy(vm + tail.table_elems + 8u * t, &e, sizeof e);
  }
  h->memory = inst->meta->n_memories ? &inst->memories[0]->abi : NULL;
  /* guard-mode code requires a guard-mode memory 0 (import_matches) */
  if (h->memory && inst->memories[0]->bounds == WR_BOUNDS_GUARD)
    h->memory_base = h->memory->base;
  h->type_ids = inst->type_ids;
  /* wr_func starts with its wr_funcref */
  h->funcs = (wr_funcref **)inst->funcs;
  h->tables = inst->table_abis;
}

void wr__instance_free(wr_instance *inst) {
  if (!inst)
    return;
  const wr_meta *m = inst->meta;
  for (uint32_t t = 0; inst->tables && t < m->n_tables; t++)
    if (!m->tables[t].imported)
      wr__table_free(inst->tables[t]);
  for (uint32_t k = 0; inst->memories && k < m->n_memories; k++)
    if (!m->memories[k].imported)
      wr__memory_free(inst->memories[k]);
  for (uint32_t e = 0; inst->elem_refs && e < m->n_elems; e++)
    wa_free(inst->elem_refs[e]);
  wa_free(inst->elem_refs);
  wa_free(inst->elem_len);
  wa_free(inst->data_len);
  wa_free(inst->globals);
  wa_free(inst->own_globals);
  wa_free(inst->tables);
  wa_free(inst->table_abis);
  wa_free(inst->memories);
  wa_free(inst->funcs);
  wa_free(inst->own_funcs);
  wa_free(inst->type_ids);
  wa_free(inst->vmctx);
  wr_artifact_free(inst->art);
  wa_free(inst);
}

static int init_trap(wr_trap *trap, uint32_t kind, const char *what,
                     uint32_t seg, wa_err *err) {
  memset(trap, 0, sizeof *trap);
  trap->kind = kind;
  snprintf(trap->msg, sizeof trap->msg, "%s segment %u", what, seg);
  wa_fail(err, WA_ETRAP, WA_NOOFF, "instantiation trapped: %s (%s segment %u)",
          wr_trap_message(kind), what, seg);
  return WA_ETRAP;
}

/* An active data segment straight from the artifact's file, when the
 * artifact has one and the segment is in bounds (else memory_init copies,
 * or traps): 1 done, 0 not, -1 failed (see wr__memory_map_file). */
static int map_segment(wr_instance *inst, uint32_t d, uint32_t off) {
  const wr_artifact *a = inst->art;
  const wr_meta_data *seg = &inst->meta->datas[d];
  if (a->file_fd < 0 || !inst->memories || !inst->memories[0] ||
      (uint64_t)off + seg->len > inst->memories[0]->abi.size)
    return 0;
  return wr__memory_map_file(inst->memories[0], off, a->data + seg->data_off,
                             seg->len, a->file_fd,
                             a->file_off + a->data_pos + seg->data_off);
}

/* spec 4.5.4 steps 11-16: active element then data segments, in order;
 * a trap stops here, keeping the writes already made. */
static int run_segments(wr_instance *inst, wr_trap *trap, wa_err *err) {
  const wr_meta *m = inst->meta;
  for (uint32_t e = 0; e < m->n_elems; e++) {
    const wr_meta_elem *seg = &m->elems[e];
    if (seg->mode != WR_SEG_ACTIVE)
      continue;
    uint32_t off = eval_const(inst, &seg->offset).i32;
    uint32_t kind = wr__table_init(inst, seg->table, e, off, 0, seg->n_items);
    inst->elem_len[e] = 0; /* elem.drop */
    if (kind)
      return init_trap(trap, kind, "element", e, err);
  }
  for (uint32_t d = 0; d < m->n_datas; d++) {
    const wr_meta_data *seg = &m->datas[d];
    if (seg->mode != WR_SEG_ACTIVE)
      continue;
    uint32_t off = eval_const(inst, &seg->offset).i32;
    int mapped = map_segment(inst, d, off);
    if (mapped < 0)
      return wa_fail_errno(err, WA_ENOMEM,
                           "mapping data segment %u into memory 0", d);
    uint32_t kind = mapped ? 0 : wr__memory_init(inst, d, off, 0, seg->len);
    inst->data_len[d] = 0; /* data.drop */
    if (kind)
      return init_trap(trap, kind, "data", d, err);
  }
  return 0;
}

int wr_instance_new(wr_store *s, wr_artifact *a, const wr_extern *imports,
                    uint32_t n_imports, wr_instance **out, wr_trap *trap,
                    wa_err *err) {
  *out = NULL;
  if (trap)
    memset(trap, 0, sizeof *trap);
  const wr_meta *m = &a->meta;
  int rc = check_imports(m, imports, n_imports, err);
  if (rc)
    return rc;
  wr_instance *inst = ialloc(1, sizeof *inst, err);
  if (!inst)
    return err->code;
  inst->store = s;
  inst->art = a;
  inst->meta = m;
  wr__artifact_ref(a);
  if ((rc = vmctx_alloc(inst, err)) || (rc = setup_funcs(inst, imports, err)) ||
      (rc = setup_tables_memories(inst, imports, err)) ||
      (rc = setup_globals(inst, imports, err)) ||
      (rc = setup_segments(inst, err))) {
    wr__instance_free(inst);
    return rc;
  }
  fill_vmctx(inst);
  /* From here the store owns the instance even if instantiation fails:
   * its functions may already sit in imported tables (spec linking.wast). */
  inst->next = s->instances;
  s->instances = inst;
  wr_trap scratch;
  if (!trap)
    trap = &scratch;
  if ((rc = run_segments(inst, trap, err)))
    return rc;
  if (m->has_start) {
    wr_val vals[1];
    if ((rc = wr_call(inst->funcs[m->start], vals, trap, err)))
      return rc;
  }
  *out = inst;
  return 0;
}

int wr_instance_export(wr_instance *inst, const char *name, size_t len,
                       wr_extern *out, wa_err *err) {
  const wr_meta *m = inst->meta;
  for (uint32_t i = 0; i < m->n_exports; i++) {
    const wr_meta_export *e = &m->exports[i];
    if (e->name.len != len || memcmp(e->name.ptr, name, len) != 0)
      continue;
    out->kind = e->kind;
    switch (e->kind) {
    case 0:
      out->u.func = inst->funcs[e->index];
      break;
    case 1:
      out->u.table = inst->tables[e->index];
      break;
    case 2:
      out->u.memory = inst->memories[e->index];
      break;
    default:
      out->u.global = inst->globals[e->index];
    }
    return 0;
  }
  return wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "no export named '%.*s'",
                 (int)(len > 100 ? 100 : len), name);
}

const wr_meta *wr_instance_meta(wr_instance *inst) {
  return inst->meta;
}

wr_memory *wr_instance_memory(wr_instance *inst) {
  return inst->meta->n_memories ? inst->memories[0] : NULL;
}
