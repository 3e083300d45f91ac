/*
 * decode.c: binary module -> wm_module (spec chapter 5). Checks the
 * binary format only: framing, section order and sizes, LEB128 and UTF-8,
 * reserved bytes, count agreements. Typing and index ranges are checked by
 * validate.c. Function bodies are not scanned here (the validator walks
 * them once), so decode cost is proportional to the number of entries.
 */
#include "internal.h"

#include <string.h>

/* Section ids (spec 5.5.2) and the order they must appear in. */
enum {
  SEC_CUSTOM = 0,
  SEC_TYPE,
  SEC_IMPORT,
  SEC_FUNCTION,
  SEC_TABLE,
  SEC_MEMORY,
  SEC_GLOBAL,
  SEC_EXPORT,
  SEC_START,
  SEC_ELEMENT,
  SEC_CODE,
  SEC_DATA,
  SEC_DATA_COUNT,
  SEC_LIMIT
};

static const char *const sec_names[SEC_LIMIT] = {
    "custom", "type",  "import",  "function", "table", "memory",    "global",
    "export", "start", "element", "code",     "data",  "data count"};

const char *wm_section_name(uint8_t id) {
  return id < SEC_LIMIT ? sec_names[id] : "unknown";
}

/* Rank in the required order; data count sits between element and code. */
static const uint8_t sec_rank[SEC_LIMIT] = {0, 1, 2, 3,  4,  5, 6,
                                            7, 8, 9, 11, 12, 10};

typedef struct dec {
  wm_module *m;
  wa_err *err;
  uint32_t n_func_decls; /* entries of the function section */
  bool have_codes;
  wm_section *secs; /* wa_malloc'd while decoding */
  uint32_t cap_secs;
  const uint8_t *names, *names_end; /* first "name" custom section */
  bool wrapped;                     /* the error already names its section */
} dec;

void *wm__alloc(wm_module *m, size_t n, size_t size, wa_err *err) {
  if (n == 0)
    return NULL;
  if (size && n > SIZE_MAX / size) {
    wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    return NULL;
  }
  void *p = wa_arena_alloc(&m->arena, n * size);
  if (!p)
    wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory (%zu bytes)", n * size);
  return p;
}

/* Allocates an index space of imports + n_def entries on first use. */
#define ALLOC_SPACE(d, arr, n_imp, n_def)                                      \
  ((d)->m->arr = wm__alloc((d)->m, (size_t)(n_imp) + (n_def),                  \
                           sizeof *(d)->m->arr, (d)->err),                     \
   ((d)->m->arr || (size_t)(n_imp) + (n_def) == 0) ? 0 : WA_ENOMEM)

static int read_valtype(wm_reader *r, uint8_t *out, wa_err *err) {
  int rc = wm__u8(r, out, err);
  if (rc == 0 && !wm__valtype_ok(*out))
    return wm__malformed(r, r->p - 1, err, "malformed value type 0x%02x", *out);
  return rc;
}

static int read_reftype(wm_reader *r, uint8_t *out, wa_err *err) {
  int rc = wm__u8(r, out, err);
  if (rc == 0 && !wm_is_reftype(*out))
    return wm__malformed(r, r->p - 1, err, "malformed reference type 0x%02x",
                         *out);
  return rc;
}

static uint32_t type_feature(uint8_t t) {
  if (t == WM_V128)
    return WM_FEATURE_SIMD;
  if (wm_is_reftype(t))
    return WM_FEATURE_REFERENCE_TYPES;
  return 0;
}

static int read_limits(wm_reader *r, wm_limits *out, wa_err *err) {
  uint8_t flags = 0;
  int rc = wm__u8(r, &flags, err);
  if (rc)
    return rc;
  if (flags > 1)
    return wm__malformed(r, r->p - 1, err,
                         "malformed limits flags 0x%02x (integer too large)",
                         flags);
  rc = wm__u32(r, &out->min, err);
  out->has_max = flags == 1;
  out->max = 0;
  if (rc == 0 && out->has_max)
    rc = wm__u32(r, &out->max, err);
  return rc;
}

static int read_tabletype(wm_reader *r, wm_tabletype *out, wa_err *err) {
  int rc = read_reftype(r, &out->elemtype, err);
  return rc ? rc : read_limits(r, &out->limits, err);
}

static int read_globaltype(wm_reader *r, wm_globaltype *out, wa_err *err) {
  uint8_t mut = 0;
  int rc = read_valtype(r, &out->type, err);
  if (rc == 0)
    rc = wm__u8(r, &mut, err);
  if (rc)
    return rc;
  if (mut > 1)
    return wm__malformed(r, r->p - 1, err, "malformed mutability 0x%02x", mut);
  out->mut = mut == 1;
  return 0;
}

/*
 * A constant expression: instructions up to the matching `end`. Wasm 2.0
 * allows exactly one constant instruction; anything else still decodes
 * (it is a validation error, spec 3.3.10) and becomes WM_CONST_INVALID.
 */
static int read_constexpr(dec *d, wm_reader *r, wm_constexpr *out) {
  wm_instr in;
  uint32_t n = 0, depth = 0;
  out->off = wm_reader_off(r);
  out->kind = WM_CONST_INVALID;
  out->index = WM_CONST_BAD_ARITY;
  bool bad = false;
  for (;;) {
    int rc = wm_instr_next(r, &in, d->err);
    if (rc)
      return rc;
    if (in.op == WM_OP_END) {
      if (depth == 0)
        break;
      depth--;
    } else if (in.op == WM_OP_BLOCK || in.op == WM_OP_LOOP ||
               in.op == WM_OP_IF) {
      depth++;
    }
    if (bad)
      continue;
    n++;
    switch (in.op) {
    case WM_OP_I32_CONST:
      out->kind = WM_CONST_I32, out->type = WM_I32;
      out->u.i32 = (uint32_t)in.u.i32;
      break;
    case WM_OP_I64_CONST:
      out->kind = WM_CONST_I64, out->type = WM_I64;
      out->u.i64 = (uint64_t)in.u.i64;
      break;
    case WM_OP_F32_CONST:
      out->kind = WM_CONST_F32, out->type = WM_F32;
      out->u.i32 = in.u.f32;
      break;
    case WM_OP_F64_CONST:
      out->kind = WM_CONST_F64, out->type = WM_F64;
      out->u.i64 = in.u.f64;
      break;
    case WM_OP_V128_CONST:
      out->kind = WM_CONST_V128, out->type = WM_V128;
      memcpy(out->u.v128, in.u.v128, 16);
      d->m->features |= WM_FEATURE_SIMD;
      break;
    case WM_OP_REF_NULL:
      out->kind = WM_CONST_REF_NULL, out->type = in.u.reftype;
      out->index = in.u.reftype;
      d->m->features |= WM_FEATURE_REFERENCE_TYPES;
      break;
    case WM_OP_REF_FUNC:
      out->kind = WM_CONST_REF_FUNC, out->type = WM_FUNCREF;
      out->index = in.u.index;
      d->m->features |= WM_FEATURE_REFERENCE_TYPES;
      break;
    case WM_OP_GLOBAL_GET:
      out->kind = WM_CONST_GLOBAL_GET, out->type = 0; /* set in finish() */
      out->index = in.u.index;
      break;
    default:
      bad = true;
      out->kind = WM_CONST_INVALID;
      out->index = WM_CONST_BAD_NONCONST;
      out->off = in.off;
      continue;
    }
    if (n > 1) {
      /* Two constants leave two values: a type error, not an encoding one;
       * keep decoding to the end and remember where it went wrong. */
      bad = true;
      out->kind = WM_CONST_INVALID;
      out->index = WM_CONST_BAD_ARITY;
      out->off = in.off;
    }
  }
  if (n == 0) {
    out->kind = WM_CONST_INVALID;
    out->index = WM_CONST_BAD_ARITY;
  }
  return 0;
}

/* ------------------------------------------------------------- sections */

static int sec_type(dec *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  int rc = wm__count(r, 3, &n, d->err);
  if (rc)
    return rc;
  m->types = wm__alloc(m, n, sizeof *m->types, d->err);
  if (n && !m->types)
    return WA_ENOMEM;
  m->n_types = n;
  for (uint32_t i = 0; i < n; i++) {
    wm_functype *ft = &m->types[i];
    uint8_t form = 0;
    if ((rc = wm__u8(r, &form, d->err)))
      return rc;
    if (form != 0x60)
      return wm__malformed(r, r->p - 1, d->err,
                           "type %u: malformed function type form 0x%02x "
                           "(expected 0x60)",
                           i, form);
    for (int k = 0; k < 2; k++) {
      uint32_t cnt;
      const uint8_t *types;
      if ((rc = wm__u32(r, &cnt, d->err)) ||
          (rc = wm__bytes(r, cnt, &types, d->err)))
        return rc;
      for (uint32_t j = 0; j < cnt; j++) {
        if (!wm__valtype_ok(types[j]))
          return wm__malformed(r, types + j, d->err,
                               "type %u: malformed value type 0x%02x", i,
                               types[j]);
        m->features |= type_feature(types[j]);
      }
      if (k == 0)
        ft->n_params = cnt, ft->params = types;
      else
        ft->n_results = cnt, ft->results = types;
    }
    if (ft->n_results > 1)
      m->features |= WM_FEATURE_MULTI_VALUE;
  }
  return 0;
}

static int sec_import(dec *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  int rc = wm__count(r, 4, &n, d->err);
  if (rc)
    return rc;
  m->imports = wm__alloc(m, n, sizeof *m->imports, d->err);
  if (n && !m->imports)
    return WA_ENOMEM;
  m->n_imports = n;
  for (uint32_t i = 0; i < n; i++) {
    wm_import *im = &m->imports[i];
    im->off = wm_reader_off(r);
    if ((rc = wm__name(r, &im->module, d->err)) ||
        (rc = wm__name(r, &im->field, d->err)) ||
        (rc = wm__u8(r, &im->kind, d->err)))
      return rc;
    switch (im->kind) {
    case WM_EXTERN_FUNC:
      rc = wm__u32(r, &im->u.func_type, d->err);
      m->n_func_imports++;
      break;
    case WM_EXTERN_TABLE:
      rc = read_tabletype(r, &im->u.table, d->err);
      m->n_table_imports++;
      if (im->u.table.elemtype == WM_EXTERNREF)
        m->features |= WM_FEATURE_REFERENCE_TYPES;
      break;
    case WM_EXTERN_MEMORY:
      rc = read_limits(r, &im->u.memory, d->err);
      m->n_memory_imports++;
      break;
    case WM_EXTERN_GLOBAL:
      rc = read_globaltype(r, &im->u.global, d->err);
      m->n_global_imports++;
      m->features |= type_feature(im->u.global.type);
      if (im->u.global.mut)
        m->features |= WM_FEATURE_MUTABLE_GLOBALS;
      break;
    default:
      return wm__malformed(r, r->p - 1, d->err,
                           "import %u: malformed import kind 0x%02x", i,
                           im->kind);
    }
    if (rc)
      return rc;
  }
  return 0;
}

/* Index spaces put imports first. Each space_X allocates imports + n_def
 * entries and copies the imported ones: COPY(dst, im) fills dst from the
 * import im. One definition for the four spaces keeps them in step. */
#define WM__SPACE(fn, arr, total, n_imp, extern_kind, COPY)                    \
  static int fn(dec *d, uint32_t n_def) {                                      \
    wm_module *m = d->m;                                                       \
    int rc = ALLOC_SPACE(d, arr, m->n_imp, n_def);                             \
    if (rc)                                                                    \
      return rc;                                                               \
    m->total = m->n_imp + n_def;                                               \
    uint32_t k = 0;                                                            \
    for (uint32_t i = 0; i < m->n_imports; i++)                                \
      if (m->imports[i].kind == (extern_kind))                                 \
        COPY(&m->arr[k], &m->imports[i]), k++;                                 \
    return 0;                                                                  \
  }

#define COPY_FUNC(dst, im) (*(dst) = (im)->u.func_type)
#define COPY_TABLE(dst, im)                                                    \
  ((dst)->type = (im)->u.table, (dst)->imported = true)
#define COPY_MEMORY(dst, im)                                                   \
  ((dst)->limits = (im)->u.memory, (dst)->imported = true)
#define COPY_GLOBAL(dst, im)                                                   \
  ((dst)->type = (im)->u.global, (dst)->imported = true)

WM__SPACE(space_funcs, func_types, n_funcs, n_func_imports, WM_EXTERN_FUNC,
          COPY_FUNC)
WM__SPACE(space_tables, tables, n_tables, n_table_imports, WM_EXTERN_TABLE,
          COPY_TABLE)
WM__SPACE(space_memories, memories, n_memories, n_memory_imports,
          WM_EXTERN_MEMORY, COPY_MEMORY)
WM__SPACE(space_globals, globals, n_globals, n_global_imports, WM_EXTERN_GLOBAL,
          COPY_GLOBAL)

static int sec_function(dec *d, wm_reader *r) {
  uint32_t n;
  int rc = wm__count(r, 1, &n, d->err);
  if (rc || (rc = space_funcs(d, n)))
    return rc;
  d->n_func_decls = n;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = wm__u32(r, &d->m->func_types[d->m->n_func_imports + i], d->err)))
      return rc;
  return 0;
}

static int sec_table(dec *d, wm_reader *r) {
  uint32_t n;
  int rc = wm__count(r, 3, &n, d->err);
  if (rc || (rc = space_tables(d, n)))
    return rc;
  wm_module *m = d->m;
  for (uint32_t i = 0; i < n; i++) {
    wm_table *t = &m->tables[m->n_table_imports + i];
    if ((rc = read_tabletype(r, &t->type, d->err)))
      return rc;
    if (t->type.elemtype == WM_EXTERNREF)
      m->features |= WM_FEATURE_REFERENCE_TYPES;
  }
  if (m->n_tables > 1)
    m->features |= WM_FEATURE_REFERENCE_TYPES;
  return 0;
}

static int sec_memory(dec *d, wm_reader *r) {
  uint32_t n;
  int rc = wm__count(r, 2, &n, d->err);
  if (rc || (rc = space_memories(d, n)))
    return rc;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = read_limits(r, &d->m->memories[d->m->n_memory_imports + i].limits,
                          d->err)))
      return rc;
  return 0;
}

static int sec_global(dec *d, wm_reader *r) {
  uint32_t n;
  int rc = wm__count(r, 3, &n, d->err);
  if (rc || (rc = space_globals(d, n)))
    return rc;
  for (uint32_t i = 0; i < n; i++) {
    wm_global *g = &d->m->globals[d->m->n_global_imports + i];
    if ((rc = read_globaltype(r, &g->type, d->err)) ||
        (rc = read_constexpr(d, r, &g->init)))
      return rc;
    d->m->features |= type_feature(g->type.type);
  }
  return 0;
}

static int sec_export(dec *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  int rc = wm__count(r, 3, &n, d->err);
  if (rc)
    return rc;
  m->exports = wm__alloc(m, n, sizeof *m->exports, d->err);
  if (n && !m->exports)
    return WA_ENOMEM;
  m->n_exports = n;
  for (uint32_t i = 0; i < n; i++) {
    wm_export *ex = &m->exports[i];
    ex->off = wm_reader_off(r);
    if ((rc = wm__name(r, &ex->name, d->err)) ||
        (rc = wm__u8(r, &ex->kind, d->err)))
      return rc;
    if (ex->kind > WM_EXTERN_GLOBAL)
      return wm__malformed(r, r->p - 1, d->err,
                           "export %u: malformed export kind 0x%02x", i,
                           ex->kind);
    if ((rc = wm__u32(r, &ex->index, d->err)))
      return rc;
  }
  return 0;
}

static int sec_start(dec *d, wm_reader *r) {
  d->m->has_start = true;
  return wm__u32(r, &d->m->start, d->err);
}

static int read_elem(dec *d, wm_reader *r, uint32_t i, wm_elem *e) {
  wm_module *m = d->m;
  uint32_t flags, n;
  const uint8_t *at = r->p;
  int rc = wm__u32(r, &flags, d->err);
  if (rc)
    return rc;
  if (flags > 7)
    return wm__malformed(r, at, d->err,
                         "segment %u: malformed elements segment kind %u", i,
                         flags);
  /* spec 5.5.12: bit 0 passive/declarative, bit 1 explicit table index
   * (active) or declarative, bit 2 expressions instead of indices. */
  e->elemtype = WM_FUNCREF;
  if (flags & 1) {
    e->mode = (flags & 2) ? WM_SEG_DECLARATIVE : WM_SEG_PASSIVE;
  } else {
    e->mode = WM_SEG_ACTIVE;
    if ((flags & 2) && (rc = wm__u32(r, &e->table, d->err)))
      return rc;
    if ((rc = read_constexpr(d, r, &e->offset)))
      return rc;
  }
  if (flags & 3) {
    if (flags & 4) {
      rc = read_reftype(r, &e->elemtype, d->err);
    } else {
      uint8_t kind = 0;
      rc = wm__u8(r, &kind, d->err);
      if (rc == 0 && kind != 0)
        return wm__malformed(r, r->p - 1, d->err,
                             "segment %u: malformed element kind 0x%02x", i,
                             kind);
    }
    if (rc)
      return rc;
  }
  m->features |= (flags == 0 || flags == 4)   ? 0
                 : (flags == 1 || flags == 5) ? WM_FEATURE_BULK_MEMORY
                                              : WM_FEATURE_REFERENCE_TYPES;
  if (flags & 4)
    m->features |= WM_FEATURE_BULK_MEMORY;
  if (e->elemtype == WM_EXTERNREF)
    m->features |= WM_FEATURE_REFERENCE_TYPES;
  if ((rc = wm__count(r, 1, &n, d->err)))
    return rc;
  e->items = wm__alloc(m, n, sizeof *e->items, d->err);
  if (n && !e->items)
    return WA_ENOMEM;
  e->n_items = n;
  for (uint32_t k = 0; k < n; k++) {
    wm_constexpr *it = &e->items[k];
    if (flags & 4) {
      if ((rc = read_constexpr(d, r, it)))
        return rc;
    } else {
      it->off = wm_reader_off(r);
      it->kind = WM_CONST_REF_FUNC;
      it->type = WM_FUNCREF;
      if ((rc = wm__u32(r, &it->index, d->err)))
        return rc;
    }
  }
  return 0;
}

static int sec_element(dec *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  int rc = wm__count(r, 2, &n, d->err);
  if (rc)
    return rc;
  m->elems = wm__alloc(m, n, sizeof *m->elems, d->err);
  if (n && !m->elems)
    return WA_ENOMEM;
  m->n_elems = n;
  for (uint32_t i = 0; i < n; i++) {
    m->elems[i].off = wm_reader_off(r);
    if ((rc = read_elem(d, r, i, &m->elems[i])))
      return rc;
  }
  return 0;
}

static int sec_data_count(dec *d, wm_reader *r) {
  d->m->has_data_count = true;
  d->m->features |= WM_FEATURE_BULK_MEMORY;
  return wm__u32(r, &d->m->data_count, d->err);
}

static int read_code(dec *d, wm_reader *r, uint32_t i, wm_code *c) {
  wm_module *m = d->m;
  uint32_t size, n_groups;
  c->size_off = wm_reader_off(r);
  int rc = wm__u32(r, &size, d->err);
  if (rc)
    return rc;
  if (size > (size_t)(r->end - r->p))
    return wm__malformed(r, r->base + c->size_off, d->err,
                         "body size %u runs past the section end "
                         "(unexpected end of section or function)",
                         size);
  wm_reader b = {r->base, r->p, r->p + size};
  r->p += size;
  if ((rc = wm__count(&b, 2, &n_groups, d->err)))
    return rc;
  c->groups = wm__alloc(m, n_groups, sizeof *c->groups, d->err);
  if (n_groups && !c->groups)
    return WA_ENOMEM;
  c->n_groups = n_groups;
  uint64_t total = 0;
  for (uint32_t g = 0; g < n_groups; g++) {
    const uint8_t *at = b.p;
    if ((rc = wm__u32(&b, &c->groups[g].count, d->err)) ||
        (rc = read_valtype(&b, &c->groups[g].type, d->err)))
      return rc;
    total += c->groups[g].count;
    /* spec 5.5.13: the total must fit in u32. */
    if (total > UINT32_MAX)
      return wm__malformed(r, at, d->err, "too many locals");
    m->features |= type_feature(c->groups[g].type);
  }
  c->n_locals = (uint32_t)total;
  c->body = b.p;
  c->end = b.end;
  c->body_off = (uint32_t)(b.p - b.base);
  if (b.p == b.end || b.end[-1] != 0x0b)
    return wm__malformed(r, b.end, d->err,
                         "END opcode expected at the end of the body");
  return 0;
}

static int sec_code(dec *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  const uint8_t *at = r->p;
  int rc = wm__count(r, 2, &n, d->err);
  if (rc)
    return rc;
  if (n != d->n_func_decls)
    return wm__malformed(r, at, d->err,
                         "%u bodies for %u declared functions (function and "
                         "code section have inconsistent lengths)",
                         n, d->n_func_decls);
  d->have_codes = true;
  m->codes = wm__alloc(m, n, sizeof *m->codes, d->err);
  if (n && !m->codes)
    return WA_ENOMEM;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = read_code(d, r, i, &m->codes[i]))) {
      /* Same prefix as the validator's errors in bodies. */
      if (rc != WA_ENOMEM)
        wa_err_wrap(d->err,
                    "code section, function %u: ", m->n_func_imports + i);
      d->wrapped = true;
      return rc;
    }
  return 0;
}

static int sec_data(dec *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  const uint8_t *at = r->p;
  int rc = wm__count(r, 2, &n, d->err);
  if (rc)
    return rc;
  if (m->has_data_count && n != m->data_count)
    return wm__malformed(r, at, d->err,
                         "%u segments but the data count section says %u "
                         "(data count and data section have inconsistent "
                         "lengths)",
                         n, m->data_count);
  m->datas = wm__alloc(m, n, sizeof *m->datas, d->err);
  if (n && !m->datas)
    return WA_ENOMEM;
  m->n_datas = n;
  for (uint32_t i = 0; i < n; i++) {
    wm_data *s = &m->datas[i];
    uint32_t flags, len;
    s->off = wm_reader_off(r);
    const uint8_t *fat = r->p;
    if ((rc = wm__u32(r, &flags, d->err)))
      return rc;
    if (flags > 2)
      return wm__malformed(r, fat, d->err,
                           "segment %u: malformed data segment kind %u", i,
                           flags);
    s->mode = flags == 1 ? WM_SEG_PASSIVE : WM_SEG_ACTIVE;
    if (flags == 1)
      m->features |= WM_FEATURE_BULK_MEMORY;
    if (flags == 2 && (rc = wm__u32(r, &s->memory, d->err)))
      return rc;
    if (flags != 1 && (rc = read_constexpr(d, r, &s->offset)))
      return rc;
    if ((rc = wm__u32(r, &len, d->err)) ||
        (rc = wm__bytes(r, len, &s->bytes, d->err)))
      return rc;
    s->len = len;
  }
  return 0;
}

static int sec_custom(dec *d, wm_reader *r, wm_section *s) {
  int rc = wm__name(r, &s->name, d->err);
  if (rc)
    return rc;
  if (!d->names && s->name.len == 4 && memcmp(s->name.ptr, "name", 4) == 0) {
    d->names = r->p;
    d->names_end = r->end;
  }
  /* spec 5.5.3: the contents are not interpreted, so not validated. */
  r->p = r->end;
  return 0;
}

/* ------------------------------------------------------------------ driver */

static int add_section(dec *d, const wm_section *s) {
  wm_module *m = d->m;
  if (m->n_sections == d->cap_secs) {
    uint32_t cap = d->cap_secs ? d->cap_secs * 2 : 16;
    wm_section *p = wa_realloc(d->secs, cap * sizeof *p);
    if (!p)
      return wa_fail(d->err, WA_ENOMEM, WA_NOOFF, "out of memory");
    d->secs = p;
    d->cap_secs = cap;
  }
  d->secs[m->n_sections++] = *s;
  return 0;
}

static int section(dec *d, wm_section *s, wm_reader *r) {
  switch (s->id) {
  case SEC_CUSTOM:
    return sec_custom(d, r, s);
  case SEC_TYPE:
    return sec_type(d, r);
  case SEC_IMPORT:
    return sec_import(d, r);
  case SEC_FUNCTION:
    return sec_function(d, r);
  case SEC_TABLE:
    return sec_table(d, r);
  case SEC_MEMORY:
    return sec_memory(d, r);
  case SEC_GLOBAL:
    return sec_global(d, r);
  case SEC_EXPORT:
    return sec_export(d, r);
  case SEC_START:
    return sec_start(d, r);
  case SEC_ELEMENT:
    return sec_element(d, r);
  case SEC_DATA_COUNT:
    return sec_data_count(d, r);
  case SEC_CODE:
    return sec_code(d, r);
  case SEC_DATA:
    return sec_data(d, r);
  default:
    return wa_fail(d->err, WA_EINTERNAL, s->off, "section id %u", s->id);
  }
}

static void fix_constexpr_type(wm_module *m, wm_constexpr *c) {
  if (c->kind == WM_CONST_GLOBAL_GET && c->index < m->n_globals)
    c->type = m->globals[c->index].type.type;
}

/* Cross-section checks and index spaces for absent sections. */
static int finish(dec *d, wm_reader *r) {
  wm_module *m = d->m;
  int rc = 0;
  if (!m->func_types && (rc = space_funcs(d, 0)))
    return rc;
  if (!m->tables && (rc = space_tables(d, 0)))
    return rc;
  if (!m->memories && (rc = space_memories(d, 0)))
    return rc;
  if (!m->globals && (rc = space_globals(d, 0)))
    return rc;
  if (!d->have_codes && d->n_func_decls)
    return wm__malformed(r, r->end, d->err,
                         "%u functions declared but no code section "
                         "(function and code section have inconsistent "
                         "lengths)",
                         d->n_func_decls);
  if (m->has_data_count && m->data_count && !m->datas)
    return wm__malformed(r, r->end, d->err,
                         "data count section says %u but there is no data "
                         "section (data count and data section have "
                         "inconsistent lengths)",
                         m->data_count);
  for (uint32_t i = m->n_global_imports; i < m->n_globals; i++)
    fix_constexpr_type(m, &m->globals[i].init);
  for (uint32_t i = 0; i < m->n_elems; i++) {
    fix_constexpr_type(m, &m->elems[i].offset);
    for (uint32_t k = 0; k < m->elems[i].n_items; k++)
      fix_constexpr_type(m, &m->elems[i].items[k]);
  }
  for (uint32_t i = 0; i < m->n_datas; i++)
    fix_constexpr_type(m, &m->datas[i].offset);
  for (uint32_t i = 0; i < m->n_exports; i++) {
    const wm_export *ex = &m->exports[i];
    if (ex->kind == WM_EXTERN_GLOBAL && ex->index < m->n_globals &&
        m->globals[ex->index].type.mut)
      m->features |= WM_FEATURE_MUTABLE_GLOBALS;
  }
  if (m->n_sections) {
    m->sections = wm__alloc(m, m->n_sections, sizeof *m->sections, d->err);
    if (!m->sections)
      return WA_ENOMEM;
    memcpy(m->sections, d->secs, m->n_sections * sizeof *m->sections);
  }
  if (d->names)
    return wm__names_parse(m, d->names, d->names_end, d->err);
  return 0;
}

static int decode(dec *d) {
  wm_module *m = d->m;
  wm_reader r = {m->bytes, m->bytes, m->bytes + m->len};
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
  if (m->len < 4 || memcmp(m->bytes, magic, 4) != 0)
    return wm__malformed(&r, r.p, d->err, "magic header not detected");
  if (m->len < 8)
    return wm__malformed(&r, r.end, d->err,
                         "unexpected end (the version is missing)");
  uint32_t version = (uint32_t)m->bytes[4] | (uint32_t)m->bytes[5] << 8 |
                     (uint32_t)m->bytes[6] << 16 | (uint32_t)m->bytes[7] << 24;
  if (version != 1)
    return wm__malformed(&r, r.p + 4, d->err, "unknown binary version %u",
                         version);
  r.p += 8;
  unsigned last_rank = 0;
  while (r.p < r.end) {
    const uint8_t *start = r.p;
    uint8_t id = *r.p++;
    uint32_t size;
    int rc;
    if (id >= SEC_LIMIT)
      return wm__malformed(&r, start, d->err, "malformed section id %u", id);
    const uint8_t *size_at = r.p;
    if ((rc = wm__u32(&r, &size, d->err))) {
      wa_err_wrap(d->err, "%s section: ", sec_names[id]);
      return rc;
    }
    if (size > (size_t)(r.end - r.p))
      return wm__malformed(&r, size_at, d->err,
                           "%s section: size %u runs past the end of the "
                           "module (length out of bounds)",
                           sec_names[id], size);
    if (id != SEC_CUSTOM) {
      if (sec_rank[id] <= last_rank)
        return wm__malformed(&r, start, d->err,
                             "%s section: out of order or repeated "
                             "(unexpected content after last section)",
                             sec_names[id]);
      last_rank = sec_rank[id];
    }
    wm_section s = {id, (uint32_t)(r.p - r.base), size, {NULL, 0}};
    wm_reader sr = {r.base, r.p, r.p + size};
    r.p += size;
    rc = section(d, &s, &sr);
    if (rc == 0 && sr.p != sr.end)
      rc = wm__malformed(&sr, sr.p, d->err,
                         "%u bytes left over (section size mismatch)",
                         (unsigned)(sr.end - sr.p));
    if (rc) {
      if (rc != WA_ENOMEM && !d->wrapped)
        wa_err_wrap(d->err, "%s section: ", sec_names[id]);
      return rc;
    }
    if ((rc = add_section(d, &s)))
      return rc;
  }
  return finish(d, &r);
}

int wm_decode(const uint8_t *bytes, size_t len, const char *what,
              wm_module **out, wa_err *err) {
  *out = NULL;
  if (len > UINT32_MAX) {
    wa_err_where(err, what);
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "module of %zu bytes is larger than 4 GiB", len);
  }
  wm_module *m = wa_calloc(1, sizeof *m);
  if (!m)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  /* Most IR is proportional to the module; small modules stay small. */
  wa_arena_init(&m->arena, len < 256 * 1024 ? 16 * 1024 : 256 * 1024);
  m->bytes = bytes;
  m->len = len;
  dec d = {.m = m, .err = err};
  int rc = 0;
  if (what && !(m->what = wa_arena_strndup(&m->arena, what, strlen(what))))
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  if (rc == 0)
    rc = decode(&d);
  wa_free(d.secs);
  if (rc) {
    wa_err_where(err, what);
    wm_module_free(m);
    return rc;
  }
  wa_sha256_once(bytes, len, m->sha256);
  *out = m;
  return 0;
}
