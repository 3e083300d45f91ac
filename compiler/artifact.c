/*
 * artifact.c: the module description the runtime needs instead of the
 * .wasm (a wr_meta, encoded by runtime/meta.c into .wasmaot.meta) and the
 * data-segment bytes (.wasmaot.data). Large active segments with constant
 * offsets are placed so that their file offset and memory offset agree
 * modulo 4 KiB, which lets the runtime map their full pages copy-on-write.
 */
#include "internal.h"

#include <string.h>

#define MAP_ALIGN 4096u
#define MAP_MIN (16u * 1024u) /* smaller segments are just copied */

static wr_name name_of(wm_name n) {
  return (wr_name){n.ptr, n.len};
}

static void const_of(const wm_constexpr *c, wr_meta_const *out) {
  memset(out, 0, sizeof *out);
  switch (c->kind) {
  case WM_CONST_I32:
    out->kind = WR_CONST_I32;
    memcpy(out->bytes, &c->u.i32, 4);
    break;
  case WM_CONST_F32:
    out->kind = WR_CONST_F32;
    memcpy(out->bytes, &c->u.i32, 4);
    break;
  case WM_CONST_I64:
    out->kind = WR_CONST_I64;
    memcpy(out->bytes, &c->u.i64, 8);
    break;
  case WM_CONST_F64:
    out->kind = WR_CONST_F64;
    memcpy(out->bytes, &c->u.i64, 8);
    break;
  case WM_CONST_V128:
    out->kind = WR_CONST_V128;
    memcpy(out->bytes, c->u.v128, 16);
    break;
  case WM_CONST_REF_NULL:
    out->kind = WR_CONST_REF_NULL;
    out->index = c->index;
    break;
  case WM_CONST_REF_FUNC:
    out->kind = WR_CONST_REF_FUNC;
    out->index = c->index;
    break;
  default:
    out->kind = WR_CONST_GLOBAL_GET;
    out->index = c->index;
    break;
  }
}

/* Appends a data segment to .wasmaot.data; returns its offset there. */
static int put_data(wa_buf *data, const wm_data *d, uint64_t *off,
                    wa_err *err) {
  if (d->mode == WM_SEG_ACTIVE && d->offset.kind == WM_CONST_I32 &&
      d->len >= MAP_MIN) {
    size_t want = d->offset.u.i32 % MAP_ALIGN;
    size_t pad = (want + MAP_ALIGN - data->len % MAP_ALIGN) % MAP_ALIGN;
    int rc = wa_buf_zeros(data, pad, err);
    if (rc)
      return rc;
  }
  *off = data->len;
  return d->len ? wa_buf_append(data, d->bytes, d->len, err) : 0;
}

static int build(const wm_module *m, const wc_resolved *r, wa_arena *a,
                 wr_meta *w, wa_buf *data, wa_err *err) {
  memset(w, 0, sizeof *w);
  w->format_version = WR_FORMAT_VERSION;
  w->abi_version = WR_ABI_VERSION;
  const char *v = wc_version();
  w->compiler_version = (wr_name){v, (uint32_t)strlen(v)};
  w->triple = (wr_name){r->triple, (uint32_t)strlen(r->triple)};
  w->cpu = (wr_name){r->cpu, (uint32_t)strlen(r->cpu)};
  w->features = (wr_name){r->features, (uint32_t)strlen(r->features)};
  w->bounds = r->bounds;
  w->opt_level = r->opt_level;
  memcpy(w->module_sha256, m->sha256, 32);

#define ALLOC(p, n)                                                            \
  do {                                                                         \
    if (!((p) = wa_arena_alloc(a, ((size_t)(n) + 1) * sizeof *(p))))           \
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");               \
  } while (0)

  w->n_types = m->n_types;
  ALLOC(w->types, m->n_types);
  for (uint32_t i = 0; i < m->n_types; i++)
    w->types[i] = (wr_meta_type){m->types[i].n_params, m->types[i].n_results,
                                 m->types[i].params, m->types[i].results};

  w->n_imports = m->n_imports;
  ALLOC(w->imports, m->n_imports);
  uint32_t seen[4] = {0, 0, 0, 0};
  for (uint32_t i = 0; i < m->n_imports; i++) {
    const wm_import *im = &m->imports[i];
    w->imports[i] = (wr_meta_import){name_of(im->module), name_of(im->field),
                                     im->kind, seen[im->kind & 3]++};
  }

  w->n_funcs = m->n_funcs;
  w->n_func_imports = m->n_func_imports;
  w->func_types = m->func_types;

  w->n_tables = m->n_tables;
  ALLOC(w->tables, m->n_tables);
  for (uint32_t i = 0; i < m->n_tables; i++) {
    const wm_table *t = &m->tables[i];
    w->tables[i] =
        (wr_meta_table){t->type.elemtype, t->imported, t->type.limits.has_max,
                        t->type.limits.min, t->type.limits.max};
  }
  w->n_memories = m->n_memories;
  ALLOC(w->memories, m->n_memories);
  for (uint32_t i = 0; i < m->n_memories; i++) {
    const wm_memory *mm = &m->memories[i];
    w->memories[i] = (wr_meta_memory){mm->imported, mm->limits.has_max,
                                      mm->limits.min, mm->limits.max};
  }
  w->n_globals = m->n_globals;
  w->n_global_imports = m->n_global_imports;
  ALLOC(w->globals, m->n_globals);
  for (uint32_t i = 0; i < m->n_globals; i++) {
    const wm_global *g = &m->globals[i];
    w->globals[i].type = g->type.type;
    w->globals[i].mut = g->type.mut;
    w->globals[i].imported = g->imported;
    if (!g->imported)
      const_of(&g->init, &w->globals[i].init);
  }
  w->n_exports = m->n_exports;
  ALLOC(w->exports, m->n_exports);
  for (uint32_t i = 0; i < m->n_exports; i++)
    w->exports[i] = (wr_meta_export){name_of(m->exports[i].name),
                                     m->exports[i].kind, m->exports[i].index};
  w->has_start = m->has_start;
  w->start = m->start;

  w->n_elems = m->n_elems;
  ALLOC(w->elems, m->n_elems);
  for (uint32_t i = 0; i < m->n_elems; i++) {
    const wm_elem *e = &m->elems[i];
    wr_meta_elem *o = &w->elems[i];
    o->mode = e->mode;
    o->elemtype = e->elemtype;
    o->table = e->table;
    if (e->mode == WM_SEG_ACTIVE)
      const_of(&e->offset, &o->offset);
    else
      o->offset = (wr_meta_const){.kind = WR_CONST_I32};
    o->n_items = e->n_items;
    ALLOC(o->items, e->n_items);
    for (uint32_t j = 0; j < e->n_items; j++)
      const_of(&e->items[j], &o->items[j]);
  }

  w->n_datas = m->n_datas;
  ALLOC(w->datas, m->n_datas);
  for (uint32_t i = 0; i < m->n_datas; i++) {
    const wm_data *d = &m->datas[i];
    wr_meta_data *o = &w->datas[i];
    o->mode = d->mode;
    if (d->mode == WM_SEG_ACTIVE)
      const_of(&d->offset, &o->offset);
    else
      o->offset = (wr_meta_const){.kind = WR_CONST_I32};
    o->len = d->len;
    int rc = put_data(data, d, &o->data_off, err);
    if (rc)
      return rc;
  }

  w->module_name = name_of(m->module_name);
  if (m->func_names) {
    ALLOC(w->func_names, m->n_funcs);
    for (uint32_t i = 0; i < m->n_funcs; i++)
      w->func_names[i] = name_of(m->func_names[i]);
  }
#undef ALLOC
  return 0;
}

int wc__artifact_blobs(const wm_module *m, const wc_resolved *r, wc_blobs *out,
                       wa_err *err) {
  wa_arena a;
  wr_meta w;
  wa_arena_init(&a, 1 << 14);
  wa_buf_init(&out->meta);
  wa_buf_init(&out->data);
  int rc = build(m, r, &a, &w, &out->data, err);
  if (!rc)
    rc = wr_meta_encode(&w, &out->meta, err);
  wa_arena_free(&a);
  if (rc) {
    wa_err_wrap(err, "writing the artifact metadata: ");
    wc__blobs_free(out);
  }
  return rc;
}

void wc__blobs_free(wc_blobs *b) {
  wa_buf_free(&b->meta);
  wa_buf_free(&b->data);
}
