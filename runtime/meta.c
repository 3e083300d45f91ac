/*
 * meta.c: the codec of the artifact metadata (section .wasmaot.meta), the
 * byte layout of docs/artifact-format.md. Linked by the compiler (encode)
 * and the runtime (decode). The decoder treats its input as hostile: every
 * read is bounds-checked and every index checked against the counts, so a
 * decoded wr_meta can be trusted by the loader and the instantiator.
 */
#include "meta.h"

#include <stdio.h>
#include <string.h>

/* Smallest encodings, used to bound counts before allocating. */
enum {
  MIN_NAME = 5, /* u32 len + NUL */
  MIN_CONST = 5,
  MIN_TYPE = 8,
  MIN_IMPORT = 2 * MIN_NAME + 1 + 4,
  MIN_TABLE = 10,
  MIN_MEMORY = 9,
  MIN_GLOBAL = 2 + MIN_CONST,
  MIN_EXPORT = MIN_NAME + 1 + 4,
  MIN_ELEM = 2 + 4 + MIN_CONST + 4,
  MIN_DATA = 1 + MIN_CONST + 8 + 4,
};

enum { FLAG_IMPORTED = 1, FLAG_HAS_MAX = 2, FLAG_MUT = 4 };

static bool is_valtype(uint8_t t) {
  return t == 0x7f || t == 0x7e || t == 0x7d || t == 0x7c || t == 0x7b ||
         t == 0x70 || t == 0x6f;
}

static bool is_reftype(uint8_t t) {
  return t == 0x70 || t == 0x6f;
}

/* ------------------------------------------------------------- encoding */

static int put_name(wa_buf *b, wr_name n, wa_err *err) {
  static const uint8_t nul = 0;
  int rc = wa_buf_u32le(b, n.len, err);
  if (!rc && n.len)
    rc = wa_buf_append(b, n.ptr, n.len, err);
  return rc ? rc : wa_buf_append(b, &nul, 1, err);
}

static int put_const(wa_buf *b, const wr_meta_const *c, wa_err *err) {
  int rc = wa_buf_u8(b, c->kind, err);
  if (rc)
    return rc;
  switch (c->kind) {
  case WR_CONST_I32:
  case WR_CONST_F32:
    return wa_buf_append(b, c->bytes, 4, err);
  case WR_CONST_I64:
  case WR_CONST_F64:
    return wa_buf_append(b, c->bytes, 8, err);
  case WR_CONST_V128:
    return wa_buf_append(b, c->bytes, 16, err);
  case WR_CONST_REF_NULL:
  case WR_CONST_REF_FUNC:
  case WR_CONST_GLOBAL_GET:
    return wa_buf_u32le(b, c->index, err);
  default:
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF,
                   "metadata: unknown constant kind %u", c->kind);
  }
}

static uint8_t flags(bool imported, bool has_max, bool mut) {
  return (uint8_t)((imported ? FLAG_IMPORTED : 0) |
                   (has_max ? FLAG_HAS_MAX : 0) | (mut ? FLAG_MUT : 0));
}

#define TRY(x)                                                                 \
  do {                                                                         \
    if ((rc = (x)) != 0)                                                       \
      goto out;                                                                \
  } while (0)

int wr_meta_encode(const wr_meta *m, wa_buf *out, wa_err *err) {
  int rc = 0;
  size_t start = out->len;
  TRY(wa_buf_append(out, WR_META_MAGIC, 8, err));
  TRY(wa_buf_u32le(out, m->format_version, err));
  TRY(wa_buf_u32le(out, m->abi_version, err));
  TRY(wa_buf_u32le(out, 0, err)); /* total length, patched below */
  TRY(put_name(out, m->compiler_version, err));
  TRY(put_name(out, m->triple, err));
  TRY(put_name(out, m->cpu, err));
  TRY(put_name(out, m->features, err));
  TRY(wa_buf_u8(out, m->bounds, err));
  TRY(wa_buf_u8(out, m->opt_level, err));
  TRY(wa_buf_append(out, m->module_sha256, 32, err));

  TRY(wa_buf_u32le(out, m->n_types, err));
  for (uint32_t i = 0; i < m->n_types; i++) {
    const wr_meta_type *t = &m->types[i];
    TRY(wa_buf_u32le(out, t->n_params, err));
    TRY(wa_buf_u32le(out, t->n_results, err));
    TRY(wa_buf_append(out, t->params, t->n_params, err));
    TRY(wa_buf_append(out, t->results, t->n_results, err));
  }
  TRY(wa_buf_u32le(out, m->n_imports, err));
  for (uint32_t i = 0; i < m->n_imports; i++) {
    TRY(put_name(out, m->imports[i].module, err));
    TRY(put_name(out, m->imports[i].field, err));
    TRY(wa_buf_u8(out, m->imports[i].kind, err));
    TRY(wa_buf_u32le(out, m->imports[i].index, err));
  }
  TRY(wa_buf_u32le(out, m->n_funcs, err));
  TRY(wa_buf_u32le(out, m->n_func_imports, err));
  for (uint32_t i = 0; i < m->n_funcs; i++)
    TRY(wa_buf_u32le(out, m->func_types[i], err));
  TRY(wa_buf_u32le(out, m->n_tables, err));
  for (uint32_t i = 0; i < m->n_tables; i++) {
    const wr_meta_table *t = &m->tables[i];
    TRY(wa_buf_u8(out, t->elemtype, err));
    TRY(wa_buf_u8(out, flags(t->imported, t->has_max, false), err));
    TRY(wa_buf_u32le(out, t->min, err));
    TRY(wa_buf_u32le(out, t->max, err));
  }
  TRY(wa_buf_u32le(out, m->n_memories, err));
  for (uint32_t i = 0; i < m->n_memories; i++) {
    const wr_meta_memory *mem = &m->memories[i];
    TRY(wa_buf_u8(out, flags(mem->imported, mem->has_max, false), err));
    TRY(wa_buf_u32le(out, mem->min, err));
    TRY(wa_buf_u32le(out, mem->max, err));
  }
  TRY(wa_buf_u32le(out, m->n_globals, err));
  TRY(wa_buf_u32le(out, m->n_global_imports, err));
  for (uint32_t i = 0; i < m->n_globals; i++) {
    const wr_meta_global *g = &m->globals[i];
    TRY(wa_buf_u8(out, g->type, err));
    TRY(wa_buf_u8(out, flags(g->imported, false, g->mut), err));
    TRY(put_const(out, &g->init, err));
  }
  TRY(wa_buf_u32le(out, m->n_exports, err));
  for (uint32_t i = 0; i < m->n_exports; i++) {
    TRY(put_name(out, m->exports[i].name, err));
    TRY(wa_buf_u8(out, m->exports[i].kind, err));
    TRY(wa_buf_u32le(out, m->exports[i].index, err));
  }
  TRY(wa_buf_u8(out, m->has_start ? 1 : 0, err));
  TRY(wa_buf_u32le(out, m->has_start ? m->start : 0, err));
  TRY(wa_buf_u32le(out, m->n_elems, err));
  for (uint32_t i = 0; i < m->n_elems; i++) {
    const wr_meta_elem *e = &m->elems[i];
    TRY(wa_buf_u8(out, e->mode, err));
    TRY(wa_buf_u8(out, e->elemtype, err));
    TRY(wa_buf_u32le(out, e->table, err));
    TRY(put_const(out, &e->offset, err));
    TRY(wa_buf_u32le(out, e->n_items, err));
    for (uint32_t j = 0; j < e->n_items; j++)
      TRY(put_const(out, &e->items[j], err));
  }
  TRY(wa_buf_u32le(out, m->n_datas, err));
  for (uint32_t i = 0; i < m->n_datas; i++) {
    const wr_meta_data *d = &m->datas[i];
    TRY(wa_buf_u8(out, d->mode, err));
    TRY(put_const(out, &d->offset, err));
    TRY(wa_buf_u64le(out, d->data_off, err));
    TRY(wa_buf_u32le(out, d->len, err));
  }
  TRY(put_name(out, m->module_name, err));
  TRY(wa_buf_u8(out, m->func_names ? 1 : 0, err));
  if (m->func_names)
    for (uint32_t i = 0; i < m->n_funcs; i++)
      TRY(put_name(out, m->func_names[i], err));

  size_t total = out->len - start;
  if (total > UINT32_MAX) {
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "metadata: %zu bytes is too large",
                 total);
    goto out;
  }
  for (int k = 0; k < 4; k++)
    out->data[start + 16 + (size_t)k] = (uint8_t)(total >> (8 * k));
out:
  if (rc)
    out->len = start;
  return rc;
}

/* ------------------------------------------------------------- decoding */

typedef struct rd {
  const uint8_t *p;
  size_t n, off;
  wa_arena *arena;
  wa_err *err;
} rd;

static int corrupt(rd *r, size_t off, const char *fmt, ...) WA_PRINTF(3, 4);
static int corrupt(rd *r, size_t off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = wa_vfail(r->err, WA_ECORRUPT, off, fmt, ap);
  va_end(ap);
  wa_err_where(r->err, WR_SECTION_META);
  return rc;
}

static int need(rd *r, size_t k, const char *field) {
  if (k > r->n - r->off)
    return corrupt(r, r->off,
                   "metadata truncated: %s needs %zu bytes, %zu left", field, k,
                   r->n - r->off);
  return 0;
}

static int get_u8(rd *r, uint8_t *v, const char *field) {
  int rc = need(r, 1, field);
  if (!rc)
    *v = r->p[r->off++];
  return rc;
}

static int get_u32(rd *r, uint32_t *v, const char *field) {
  int rc = need(r, 4, field);
  if (rc)
    return rc;
  const uint8_t *q = r->p + r->off;
  *v = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
       (uint32_t)q[3] << 24;
  r->off += 4;
  return 0;
}

static int get_u64(rd *r, uint64_t *v, const char *field) {
  uint32_t lo, hi;
  int rc = get_u32(r, &lo, field);
  if (!rc)
    rc = get_u32(r, &hi, field);
  if (!rc)
    *v = (uint64_t)hi << 32 | lo;
  return rc;
}

static int get_bool(rd *r, bool *v, const char *field) {
  size_t at = r->off;
  uint8_t b;
  int rc = get_u8(r, &b, field);
  if (rc)
    return rc;
  if (b > 1)
    return corrupt(r, at, "metadata: %s is %u, not 0 or 1", field, b);
  *v = b;
  return 0;
}

static int get_flags(rd *r, uint8_t allowed, uint8_t *v, const char *field) {
  size_t at = r->off;
  int rc = get_u8(r, v, field);
  if (!rc && (*v & ~allowed))
    rc = corrupt(r, at, "metadata: %s has unknown flags 0x%x", field, *v);
  return rc;
}

/* Names are borrowed from the blob; the encoder stores a NUL after each. */
static int get_name(rd *r, wr_name *v, const char *field) {
  uint32_t len;
  int rc = get_u32(r, &len, field);
  if (rc)
    return rc;
  if ((rc = need(r, (size_t)len + 1, field)) != 0)
    return rc;
  if (r->p[r->off + len] != 0)
    return corrupt(r, r->off + len, "metadata: %s is not NUL-terminated",
                   field);
  v->ptr = (const char *)r->p + r->off;
  v->len = len;
  r->off += (size_t)len + 1;
  return 0;
}

/* Reads a count and checks it against the bytes left, so a forged count
 * can neither overflow an allocation nor make it huge. */
static int get_count(rd *r, uint32_t *v, size_t min_size, const char *field) {
  size_t at = r->off;
  int rc = get_u32(r, v, field);
  if (!rc && (uint64_t)*v * min_size > r->n - r->off)
    rc = corrupt(r, at, "metadata: %s %u exceeds the %zu bytes left", field, *v,
                 r->n - r->off);
  return rc;
}

static int alloc_array(rd *r, void **out, size_t count, size_t size) {
  *out = NULL;
  if (count == 0)
    return 0;
  *out = wa_arena_alloc(r->arena, count * size);
  if (!*out)
    return wa_fail(r->err, WA_ENOMEM, WA_NOOFF,
                   "metadata: out of memory for %zu entries", count);
  return 0;
}

static int get_const(rd *r, wr_meta_const *c, const char *field) {
  size_t at = r->off;
  memset(c, 0, sizeof *c);
  int rc = get_u8(r, &c->kind, field);
  if (rc)
    return rc;
  switch (c->kind) {
  case WR_CONST_I32:
  case WR_CONST_F32:
    if (!(rc = need(r, 4, field)))
      memcpy(c->bytes, r->p + r->off, 4), r->off += 4;
    return rc;
  case WR_CONST_I64:
  case WR_CONST_F64:
    if (!(rc = need(r, 8, field)))
      memcpy(c->bytes, r->p + r->off, 8), r->off += 8;
    return rc;
  case WR_CONST_V128:
    if (!(rc = need(r, 16, field)))
      memcpy(c->bytes, r->p + r->off, 16), r->off += 16;
    return rc;
  case WR_CONST_REF_NULL:
  case WR_CONST_REF_FUNC:
  case WR_CONST_GLOBAL_GET:
    return get_u32(r, &c->index, field);
  default:
    return corrupt(r, at, "metadata: %s has unknown constant kind %u", field,
                   c->kind);
  }
}

/* The valtype a constant produces; 0 if it depends on an out-of-range
 * global. Wasm 2.0 lets global.get in constants name imported globals
 * only, which also rules out cycles. */
static uint8_t const_type(const wr_meta *m, const wr_meta_const *c) {
  switch (c->kind) {
  case WR_CONST_I32:
    return 0x7f;
  case WR_CONST_I64:
    return 0x7e;
  case WR_CONST_F32:
    return 0x7d;
  case WR_CONST_F64:
    return 0x7c;
  case WR_CONST_V128:
    return 0x7b;
  case WR_CONST_REF_NULL:
    return is_reftype((uint8_t)c->index) && c->index < 256 ? (uint8_t)c->index
                                                           : 0;
  case WR_CONST_REF_FUNC:
    return c->index < m->n_funcs ? 0x70 : 0;
  case WR_CONST_GLOBAL_GET:
    return c->index < m->n_global_imports ? m->globals[c->index].type : 0;
  }
  return 0;
}

static int check_const(rd *r, const wr_meta *m, const wr_meta_const *c,
                       uint8_t want, size_t at, const char *field, uint32_t i) {
  uint8_t t = const_type(m, c);
  if (t == 0)
    return corrupt(r, at, "metadata: %s %u: constant index %u out of range",
                   field, i, c->index);
  if (t != want)
    return corrupt(r, at,
                   "metadata: %s %u: constant of type 0x%02x, expected 0x%02x",
                   field, i, t, want);
  return 0;
}

static int get_types(rd *r, wr_meta *m) {
  int rc = get_count(r, &m->n_types, MIN_TYPE, "type count");
  if (!rc)
    rc = alloc_array(r, (void **)&m->types, m->n_types, sizeof *m->types);
  for (uint32_t i = 0; !rc && i < m->n_types; i++) {
    wr_meta_type *t = &m->types[i];
    if ((rc = get_u32(r, &t->n_params, "type params")) ||
        (rc = get_u32(r, &t->n_results, "type results")))
      break;
    size_t total = (size_t)t->n_params + t->n_results;
    if ((rc = need(r, total, "type valtypes")))
      break;
    t->params = r->p + r->off;
    t->results = t->params + t->n_params;
    for (size_t k = 0; k < total; k++)
      if (!is_valtype(r->p[r->off + k]))
        return corrupt(r, r->off + k, "metadata: type %u: bad valtype 0x%02x",
                       i, r->p[r->off + k]);
    r->off += total;
  }
  return rc;
}

static int get_imports(rd *r, wr_meta *m) {
  int rc = get_count(r, &m->n_imports, MIN_IMPORT, "import count");
  if (!rc)
    rc = alloc_array(r, (void **)&m->imports, m->n_imports, sizeof *m->imports);
  for (uint32_t i = 0; !rc && i < m->n_imports; i++) {
    wr_meta_import *im = &m->imports[i];
    size_t at = r->off;
    if ((rc = get_name(r, &im->module, "import module")) ||
        (rc = get_name(r, &im->field, "import field")) ||
        (rc = get_u8(r, &im->kind, "import kind")) ||
        (rc = get_u32(r, &im->index, "import index")))
      break;
    if (im->kind > 3)
      rc = corrupt(r, at, "metadata: import %u has unknown kind %u", i,
                   im->kind);
  }
  return rc;
}

static int get_funcs(rd *r, wr_meta *m) {
  size_t at = r->off;
  int rc = get_count(r, &m->n_funcs, 4, "function count");
  if (!rc)
    rc = get_u32(r, &m->n_func_imports, "function import count");
  if (!rc && m->n_func_imports > m->n_funcs)
    rc = corrupt(r, at, "metadata: %u function imports but %u functions",
                 m->n_func_imports, m->n_funcs);
  if (!rc)
    rc = alloc_array(r, (void **)&m->func_types, m->n_funcs,
                     sizeof *m->func_types);
  for (uint32_t i = 0; !rc && i < m->n_funcs; i++) {
    at = r->off;
    if ((rc = get_u32(r, &m->func_types[i], "function type")))
      break;
    if (m->func_types[i] >= m->n_types)
      rc = corrupt(r, at, "metadata: function %u has type %u of %u", i,
                   m->func_types[i], m->n_types);
  }
  return rc;
}

static int check_limits(rd *r, size_t at, const char *what, uint32_t i,
                        uint32_t min, uint32_t max, bool has_max,
                        uint32_t cap) {
  if (min > cap || (has_max && (max < min || max > cap)))
    return corrupt(r, at, "metadata: %s %u has bad limits min %u max %u", what,
                   i, min, max);
  return 0;
}

static int get_tables_memories(rd *r, wr_meta *m) {
  int rc = get_count(r, &m->n_tables, MIN_TABLE, "table count");
  if (!rc)
    rc = alloc_array(r, (void **)&m->tables, m->n_tables, sizeof *m->tables);
  for (uint32_t i = 0; !rc && i < m->n_tables; i++) {
    wr_meta_table *t = &m->tables[i];
    size_t at = r->off;
    uint8_t f;
    if ((rc = get_u8(r, &t->elemtype, "table elemtype")) ||
        (rc = get_flags(r, FLAG_IMPORTED | FLAG_HAS_MAX, &f, "table flags")) ||
        (rc = get_u32(r, &t->min, "table min")) ||
        (rc = get_u32(r, &t->max, "table max")))
      break;
    t->imported = f & FLAG_IMPORTED;
    t->has_max = f & FLAG_HAS_MAX;
    if (!is_reftype(t->elemtype))
      rc = corrupt(r, at, "metadata: table %u has elemtype 0x%02x", i,
                   t->elemtype);
    else
      rc = check_limits(r, at, "table", i, t->min, t->max, t->has_max,
                        UINT32_MAX);
  }
  if (!rc)
    rc = get_count(r, &m->n_memories, MIN_MEMORY, "memory count");
  if (!rc)
    rc = alloc_array(r, (void **)&m->memories, m->n_memories,
                     sizeof *m->memories);
  for (uint32_t i = 0; !rc && i < m->n_memories; i++) {
    wr_meta_memory *mem = &m->memories[i];
    size_t at = r->off;
    uint8_t f;
    if ((rc = get_flags(r, FLAG_IMPORTED | FLAG_HAS_MAX, &f, "memory flags")) ||
        (rc = get_u32(r, &mem->min, "memory min")) ||
        (rc = get_u32(r, &mem->max, "memory max")))
      break;
    mem->imported = f & FLAG_IMPORTED;
    mem->has_max = f & FLAG_HAS_MAX;
    rc = check_limits(r, at, "memory", i, mem->min, mem->max, mem->has_max,
                      WR_MAX_PAGES);
  }
  return rc;
}

static int get_globals(rd *r, wr_meta *m) {
  size_t at = r->off;
  int rc = get_count(r, &m->n_globals, MIN_GLOBAL, "global count");
  if (!rc)
    rc = get_u32(r, &m->n_global_imports, "global import count");
  if (!rc && m->n_global_imports > m->n_globals)
    rc = corrupt(r, at, "metadata: %u global imports but %u globals",
                 m->n_global_imports, m->n_globals);
  if (!rc)
    rc = alloc_array(r, (void **)&m->globals, m->n_globals, sizeof *m->globals);
  for (uint32_t i = 0; !rc && i < m->n_globals; i++) {
    wr_meta_global *g = &m->globals[i];
    uint8_t f;
    at = r->off;
    if ((rc = get_u8(r, &g->type, "global type")) ||
        (rc = get_flags(r, FLAG_IMPORTED | FLAG_MUT, &f, "global flags")))
      break;
    g->imported = f & FLAG_IMPORTED;
    g->mut = f & FLAG_MUT;
    size_t cat = r->off;
    if ((rc = get_const(r, &g->init, "global init")))
      break;
    if (!is_valtype(g->type))
      rc = corrupt(r, at, "metadata: global %u has type 0x%02x", i, g->type);
    else if (g->imported != (i < m->n_global_imports))
      rc = corrupt(r, at,
                   "metadata: global %u imported flag disagrees with "
                   "the %u global imports",
                   i, m->n_global_imports);
    else if (!g->imported)
      rc = check_const(r, m, &g->init, g->type, cat, "global", i);
  }
  return rc;
}

static uint32_t kind_count(const wr_meta *m, uint8_t kind) {
  switch (kind) {
  case 0:
    return m->n_funcs;
  case 1:
    return m->n_tables;
  case 2:
    return m->n_memories;
  default:
    return m->n_globals;
  }
}

/* Imports name their slot in each index space; imports come first in each
 * space, in order, and the imported flags must agree. */
static int check_imports(rd *r, const wr_meta *m, size_t at) {
  uint32_t seen[4] = {0, 0, 0, 0};
  for (uint32_t i = 0; i < m->n_imports; i++) {
    const wr_meta_import *im = &m->imports[i];
    if (im->index != seen[im->kind] || im->index >= kind_count(m, im->kind))
      return corrupt(r, at,
                     "metadata: import %u (kind %u) has index %u, "
                     "expected %u",
                     i, im->kind, im->index, seen[im->kind]);
    seen[im->kind]++;
  }
  if (seen[0] != m->n_func_imports || seen[3] != m->n_global_imports)
    return corrupt(r, at,
                   "metadata: import list disagrees with function "
                   "or global import counts");
  for (uint32_t i = 0; i < m->n_tables; i++)
    if (m->tables[i].imported != (i < seen[1]))
      return corrupt(r, at,
                     "metadata: table %u imported flag disagrees "
                     "with the import list",
                     i);
  for (uint32_t i = 0; i < m->n_memories; i++)
    if (m->memories[i].imported != (i < seen[2]))
      return corrupt(r, at,
                     "metadata: memory %u imported flag disagrees "
                     "with the import list",
                     i);
  return 0;
}

static int get_exports_start(rd *r, wr_meta *m) {
  int rc = get_count(r, &m->n_exports, MIN_EXPORT, "export count");
  if (!rc)
    rc = alloc_array(r, (void **)&m->exports, m->n_exports, sizeof *m->exports);
  for (uint32_t i = 0; !rc && i < m->n_exports; i++) {
    wr_meta_export *e = &m->exports[i];
    size_t at = r->off;
    if ((rc = get_name(r, &e->name, "export name")) ||
        (rc = get_u8(r, &e->kind, "export kind")) ||
        (rc = get_u32(r, &e->index, "export index")))
      break;
    if (e->kind > 3 || e->index >= kind_count(m, e->kind))
      rc = corrupt(r, at, "metadata: export %u has kind %u index %u", i,
                   e->kind, e->index);
  }
  size_t at = r->off;
  if (!rc)
    rc = get_bool(r, &m->has_start, "start flag");
  if (!rc)
    rc = get_u32(r, &m->start, "start function");
  if (!rc && m->has_start) {
    const wr_meta_type *t =
        m->start < m->n_funcs ? &m->types[m->func_types[m->start]] : NULL;
    if (!t || t->n_params || t->n_results)
      rc = corrupt(r, at,
                   "metadata: start function %u is out of range or "
                   "not [] -> []",
                   m->start);
  }
  return rc;
}

static int get_elems(rd *r, wr_meta *m) {
  int rc = get_count(r, &m->n_elems, MIN_ELEM, "element segment count");
  if (!rc)
    rc = alloc_array(r, (void **)&m->elems, m->n_elems, sizeof *m->elems);
  for (uint32_t i = 0; !rc && i < m->n_elems; i++) {
    wr_meta_elem *e = &m->elems[i];
    size_t at = r->off;
    if ((rc = get_u8(r, &e->mode, "element mode")) ||
        (rc = get_u8(r, &e->elemtype, "element type")) ||
        (rc = get_u32(r, &e->table, "element table")))
      break;
    size_t cat = r->off;
    if ((rc = get_const(r, &e->offset, "element offset")) ||
        (rc = get_count(r, &e->n_items, MIN_CONST, "element item count")) ||
        (rc = alloc_array(r, (void **)&e->items, e->n_items, sizeof *e->items)))
      break;
    if (e->mode > WR_SEG_DECLARATIVE || !is_reftype(e->elemtype))
      return corrupt(r, at,
                     "metadata: element segment %u has mode %u type "
                     "0x%02x",
                     i, e->mode, e->elemtype);
    if (e->mode == WR_SEG_ACTIVE) {
      if (e->table >= m->n_tables ||
          m->tables[e->table].elemtype != e->elemtype)
        return corrupt(r, at,
                       "metadata: element segment %u targets table %u "
                       "of %u or of another type",
                       i, e->table, m->n_tables);
      if ((rc = check_const(r, m, &e->offset, 0x7f, cat, "element segment", i)))
        break;
    }
    for (uint32_t j = 0; !rc && j < e->n_items; j++) {
      size_t iat = r->off;
      if (!(rc = get_const(r, &e->items[j], "element item")))
        rc = check_const(r, m, &e->items[j], e->elemtype, iat,
                         "element segment", i);
    }
  }
  return rc;
}

static int get_datas(rd *r, wr_meta *m) {
  int rc = get_count(r, &m->n_datas, MIN_DATA, "data segment count");
  if (!rc)
    rc = alloc_array(r, (void **)&m->datas, m->n_datas, sizeof *m->datas);
  for (uint32_t i = 0; !rc && i < m->n_datas; i++) {
    wr_meta_data *d = &m->datas[i];
    size_t at = r->off;
    if ((rc = get_u8(r, &d->mode, "data mode")))
      break;
    size_t cat = r->off;
    if ((rc = get_const(r, &d->offset, "data offset")) ||
        (rc = get_u64(r, &d->data_off, "data file offset")) ||
        (rc = get_u32(r, &d->len, "data length")))
      break;
    if (d->mode > WR_SEG_PASSIVE || d->data_off > UINT64_MAX - d->len)
      return corrupt(r, at,
                     "metadata: data segment %u has mode %u or a bad "
                     "extent",
                     i, d->mode);
    if (d->mode == WR_SEG_ACTIVE) {
      if (m->n_memories == 0)
        return corrupt(r, at,
                       "metadata: active data segment %u without a "
                       "memory",
                       i);
      rc = check_const(r, m, &d->offset, 0x7f, cat, "data segment", i);
    }
  }
  return rc;
}

static int get_names(rd *r, wr_meta *m) {
  bool has = false;
  int rc = get_name(r, &m->module_name, "module name");
  if (!rc)
    rc = get_bool(r, &has, "function names flag");
  if (rc || !has)
    return rc;
  if (MIN_NAME * (uint64_t)m->n_funcs > r->n - r->off)
    return corrupt(r, r->off,
                   "metadata: %u function names exceed the %zu "
                   "bytes left",
                   m->n_funcs, r->n - r->off);
  rc = alloc_array(r, (void **)&m->func_names, m->n_funcs,
                   sizeof *m->func_names);
  for (uint32_t i = 0; !rc && i < m->n_funcs; i++)
    rc = get_name(r, &m->func_names[i], "function name");
  return rc;
}

static int get_header(rd *r, wr_meta *m) {
  uint32_t total;
  int rc = need(r, 8, "magic");
  if (rc)
    return rc;
  if (memcmp(r->p, WR_META_MAGIC, 8) != 0)
    return corrupt(r, 0, "metadata: bad magic (not a wasmaot artifact)");
  r->off = 8;
  if ((rc = get_u32(r, &m->format_version, "format version")))
    return rc;
  /* Later fields may change meaning with the version, so stop here. */
  if (m->format_version != WR_FORMAT_VERSION) {
    rc = wa_fail(r->err, WA_EMISMATCH, 8,
                 "format version: artifact has %u, this runtime reads %u",
                 m->format_version, WR_FORMAT_VERSION);
    wa_err_where(r->err, WR_SECTION_META);
    return rc;
  }
  if ((rc = get_u32(r, &m->abi_version, "abi version")) ||
      (rc = get_u32(r, &total, "total length")))
    return rc;
  if (total != r->n)
    return corrupt(r, 16, "metadata: records %u bytes but the section has %zu",
                   total, r->n);
  size_t at = r->off;
  if ((rc = get_name(r, &m->compiler_version, "compiler version")) ||
      (rc = get_name(r, &m->triple, "target triple")) ||
      (rc = get_name(r, &m->cpu, "target cpu")) ||
      (rc = get_name(r, &m->features, "cpu features")))
    return rc;
  at = r->off;
  if ((rc = get_u8(r, &m->bounds, "bounds mode")) ||
      (rc = get_u8(r, &m->opt_level, "opt level")) ||
      (rc = need(r, 32, "module sha256")))
    return rc;
  if (m->bounds > WR_BOUNDS_EXPLICIT || m->opt_level > 3)
    return corrupt(r, at, "metadata: bounds mode %u or opt level %u unknown",
                   m->bounds, m->opt_level);
  memcpy(m->module_sha256, r->p + r->off, 32);
  r->off += 32;
  return 0;
}

int wr_meta_decode(const uint8_t *p, size_t n, wa_arena *arena, wr_meta *out,
                   wa_err *err) {
  rd r = {p, n, 0, arena, err};
  memset(out, 0, sizeof *out);
  int rc = get_header(&r, out);
  if (!rc)
    rc = get_types(&r, out);
  size_t imports_at = r.off;
  if (!rc)
    rc = get_imports(&r, out);
  if (!rc)
    rc = get_funcs(&r, out);
  if (!rc)
    rc = get_tables_memories(&r, out);
  if (!rc)
    rc = get_globals(&r, out);
  if (!rc)
    rc = check_imports(&r, out, imports_at);
  if (!rc)
    rc = get_exports_start(&r, out);
  if (!rc)
    rc = get_elems(&r, out);
  if (!rc)
    rc = get_datas(&r, out);
  if (!rc)
    rc = get_names(&r, out);
  if (!rc && r.off != n)
    rc = corrupt(&r, r.off, "metadata: %zu trailing bytes", n - r.off);
  if (rc)
    memset(out, 0, sizeof *out);
  return rc;
}

const char *wr_meta_valtype_name(uint8_t t) {
  switch (t) {
  case 0x7f:
    return "i32";
  case 0x7e:
    return "i64";
  case 0x7d:
    return "f32";
  case 0x7c:
    return "f64";
  case 0x7b:
    return "v128";
  case 0x70:
    return "funcref";
  case 0x6f:
    return "externref";
  default:
    return "?";
  }
}

void wr_meta_type_format(char *buf, size_t n, const wr_meta_type *t) {
  if (n == 0)
    return;
  size_t at = (size_t)snprintf(buf, n, "func [");
  for (uint32_t i = 0; i < t->n_params && at < n; i++)
    at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? " " : "",
                           wr_meta_valtype_name(t->params[i]));
  if (at < n)
    at += (size_t)snprintf(buf + at, n - at, "] -> [");
  for (uint32_t i = 0; i < t->n_results && at < n; i++)
    at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? " " : "",
                           wr_meta_valtype_name(t->results[i]));
  if (at < n)
    snprintf(buf + at, n - at, "]");
}
