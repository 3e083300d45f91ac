/*
 * store.c: the store and the objects a host makes in it (host functions,
 * memories, tables, globals), the table operations, and the process-wide
 * canonical function type ids that call_indirect compares.
 */
#include "internal.h"

#include <pthread.h>
#include <string.h>

/* ------------------------------------------------------------ type ids */

/* Interned signatures: an id is an index here, shared by every store, so
 * funcrefs compare across instances and stores. Grows, never shrinks. */
typedef struct canon {
  uint32_t n_params, n_results;
  uint8_t *types; /* params then results */
  uint64_t hash;
} canon;

static canon *canons;
static uint32_t n_canons, cap_canons;
static pthread_mutex_t canon_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t type_hash(const wr_meta_type *t) {
  uint64_t h = 1469598103934665603ull;
  h = (h ^ t->n_params) * 1099511628211ull;
  h = (h ^ t->n_results) * 1099511628211ull;
  for (uint32_t i = 0; i < t->n_params; i++)
    h = (h ^ t->params[i]) * 1099511628211ull;
  for (uint32_t i = 0; i < t->n_results; i++)
    h = (h ^ t->results[i]) * 1099511628211ull;
  return h;
}

bool wr__type_eq(const wr_meta_type *a, const wr_meta_type *b) {
  return a->n_params == b->n_params && a->n_results == b->n_results &&
         (a->n_params == 0 || !memcmp(a->params, b->params, a->n_params)) &&
         (a->n_results == 0 || !memcmp(a->results, b->results, a->n_results));
}

int wr__type_id(const wr_meta_type *t, uint32_t *out, wa_err *err) {
  uint64_t h = type_hash(t);
  int rc = 0;
  pthread_mutex_lock(&canon_lock);
  for (uint32_t i = 0; i < n_canons; i++) {
    canon *c = &canons[i];
    wr_meta_type ct = {c->n_params, c->n_results, c->types,
                       c->types + c->n_params};
    if (c->hash == h && wr__type_eq(&ct, t)) {
      *out = i;
      goto out;
    }
  }
  if (n_canons == cap_canons) {
    uint32_t ncap = cap_canons ? cap_canons * 2 : 64;
    canon *nc = wa_realloc(canons, ncap * sizeof *nc);
    if (!nc) {
      rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory for type ids");
      goto out;
    }
    canons = nc;
    cap_canons = ncap;
  }
  size_t n = (size_t)t->n_params + t->n_results;
  uint8_t *types = wa_malloc(n);
  if (!types) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory for type ids");
    goto out;
  }
  if (t->n_params)
    memcpy(types, t->params, t->n_params);
  if (t->n_results)
    memcpy(types + t->n_params, t->results, t->n_results);
  canons[n_canons] = (canon){t->n_params, t->n_results, types, h};
  *out = n_canons++;
out:
  pthread_mutex_unlock(&canon_lock);
  return rc;
}

/* --------------------------------------------------------------- store */

int wr_store_new(wr_store **out, wa_err *err) {
  *out = NULL;
  int rc = wr__signals_init(err);
  if (rc)
    return rc;
  wr_store *s = wa_calloc(1, sizeof *s);
  if (!s)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  *out = s;
  return 0;
}

void wr_store_free(wr_store *s) {
  if (!s)
    return;
  for (wr_instance *i = s->instances, *n; i; i = n) {
    n = i->next;
    wr__instance_free(i);
  }
  for (wr_func *f = s->funcs, *n; f; f = n) {
    n = f->next;
    wa_free(f->own_types);
    wa_free(f);
  }
  for (wr_memory *m = s->memories, *n; m; m = n) {
    n = m->next;
    wr__memory_free(m);
  }
  for (wr_table *t = s->tables, *n; t; t = n) {
    n = t->next;
    wr__table_free(t);
  }
  for (wr_global *g = s->globals, *n; g; g = n) {
    n = g->next;
    wa_free(g);
  }
  wa_free(s);
}

void wr__store_set_limit(wr_store *s, uintptr_t limit) {
  if (s->stack_limit == limit)
    return;
  s->stack_limit = limit;
  for (wr_instance *i = s->instances; i; i = i->next)
    i->vmctx->stack_limit = limit;
}

/* ------------------------------------------------------ host functions */

static bool valid_type(const wr_meta_type *t) {
  for (uint32_t i = 0; i < t->n_params + t->n_results; i++) {
    uint8_t v = i < t->n_params ? t->params[i] : t->results[i - t->n_params];
    if (v != 0x7f && v != 0x7e && v != 0x7d && v != 0x7c && v != 0x7b &&
        v != 0x70 && v != 0x6f)
      return false;
  }
  return true;
}

int wr_func_new_host(wr_store *s, const wr_meta_type *type, wr_host_fn fn,
                     void *env, wr_func **out, wa_err *err) {
  *out = NULL;
  if (!fn || !valid_type(type))
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "host function: bad signature "
                   "or no callback");
  wr_func *f = wa_calloc(1, sizeof *f);
  size_t n = (size_t)type->n_params + type->n_results;
  uint8_t *types = wa_malloc(n);
  if (!f || !types) {
    wa_free(f);
    wa_free(types);
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  }
  if (type->n_params)
    memcpy(types, type->params, type->n_params);
  if (type->n_results)
    memcpy(types + type->n_params, type->results, type->n_results);
  f->own_types = types;
  f->own_type = (wr_meta_type){type->n_params, type->n_results, types,
                               types + type->n_params};
  f->type = &f->own_type;
  f->fn = fn;
  f->env = env;
  f->ref.host = f;
  f->ref.func_index = UINT32_MAX;
  int rc = wr__type_id(f->type, &f->ref.type_id, err);
  if (rc) {
    wa_free(types);
    wa_free(f);
    return rc;
  }
  f->next = s->funcs;
  s->funcs = f;
  *out = f;
  return 0;
}

const wr_meta_type *wr_func_type(wr_func *f) { return f->type; }

void wr_caller_memory(wr_caller *c, uint8_t **base, uint64_t *size) {
  wr_memory *m = c && c->inst ? wr_instance_memory(c->inst) : NULL;
  *base = m ? m->abi.base : NULL;
  *size = m ? m->abi.size : 0;
}

wr_instance *wr_caller_instance(wr_caller *c) { return c ? c->inst : NULL; }

void wr_caller_exit(wr_caller *c, int32_t code) {
  if (c)
    c->exit_code = code;
}

void wr_caller_set_message(wr_caller *c, const char *msg) {
  if (!c)
    return;
  wa_strlcpy(c->msg, msg, sizeof c->msg);
  c->has_msg = true;
}

/* ------------------------------------------------------------ memories */

int wr_memory_new(wr_store *s, uint32_t min_pages, uint32_t max_pages,
                  bool has_max, uint8_t bounds, wr_memory **out,
                  wa_err *err) {
  int rc = wr__memory_create(min_pages, max_pages, has_max, bounds, out, err);
  if (rc)
    return rc;
  (*out)->next = s->memories;
  s->memories = *out;
  return 0;
}

/* --------------------------------------------------------------- tables */

int wr__table_create(uint8_t elemtype, uint32_t min, uint32_t max,
                     bool has_max, void *init, wr_table **out, wa_err *err) {
  *out = NULL;
  if (elemtype != 0x70 && elemtype != 0x6f)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "table element type 0x%02x",
                   elemtype);
  if (min > WR__TABLE_LIMIT)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "table of %u elements exceeds the limit of %u", min,
                   WR__TABLE_LIMIT);
  if (has_max && max < min)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "table max %u < min %u", max,
                   min);
  wr_table *t = wa_calloc(1, sizeof *t);
  wr_table_elem *elems = wa_calloc(min ? min : 1, sizeof *elems);
  if (!t || !elems) {
    wa_free(t);
    wa_free(elems);
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory for a table");
  }
  for (uint32_t i = 0; i < min; i++)
    elems[i] = wr__table_elem(elemtype, init);
  t->abi.elems = elems;
  t->abi.size = min;
  t->abi.max = has_max ? max : UINT32_MAX;
  t->cap = min ? min : 1;
  t->elemtype = elemtype;
  t->has_max = has_max;
  *out = t;
  return 0;
}

void wr__table_free(wr_table *t) {
  if (!t)
    return;
  wa_free(t->abi.elems);
  wa_free(t);
}

/* spec 4.4.6 table.grow: old size, or -1 past the max or the limit. */
uint32_t wr__table_grow(wr_table *t, uint32_t delta, void *init) {
  uint32_t old = t->abi.size;
  uint32_t limit = t->abi.max < WR__TABLE_LIMIT ? t->abi.max : WR__TABLE_LIMIT;
  if (delta > limit - old)
    return UINT32_MAX;
  uint32_t n = old + delta;
  if (n > t->cap) {
    uint32_t cap = t->cap * 2 > n ? t->cap * 2 : n;
    if (cap > limit)
      cap = n;
    wr_table_elem *e = wa_realloc(t->abi.elems, (size_t)cap * sizeof *e);
    if (!e)
      return UINT32_MAX;
    t->abi.elems = e;
    t->cap = cap;
  }
  wr_table_elem e = wr__table_elem(t->elemtype, init);
  for (uint32_t i = old; i < n; i++)
    t->abi.elems[i] = e;
  t->abi.size = n;
  return old;
}

int wr_table_new(wr_store *s, uint8_t elemtype, uint32_t min, uint32_t max,
                 bool has_max, void *init, wr_table **out, wa_err *err) {
  int rc = wr__table_create(elemtype, min, max, has_max, init, out, err);
  if (rc)
    return rc;
  (*out)->next = s->tables;
  s->tables = *out;
  return 0;
}

uint32_t wr_table_size(wr_table *t) { return t->abi.size; }
uint8_t wr_table_elemtype(wr_table *t) { return t->elemtype; }

int wr_table_get(wr_table *t, uint32_t i, void **out) {
  if (i >= t->abi.size)
    return -1;
  *out = t->abi.elems[i].ref;
  return 0;
}

/* A host function not imported by any instance has no Wasm-ABI entry
 * point (wr_func_new_host), so it cannot sit in a funcref table. */
int wr_table_set(wr_table *t, uint32_t i, void *ref) {
  if (i >= t->abi.size)
    return -1;
  if (ref && t->elemtype == 0x70 && !((wr_func *)ref)->inst)
    return -1;
  t->abi.elems[i] = wr__table_elem(t->elemtype, ref);
  return 0;
}

/* -------------------------------------------------------------- globals */

int wr_global_new(wr_store *s, uint8_t type, bool mut, wr_val init,
                  wr_global **out, wa_err *err) {
  *out = NULL;
  wr_global *g = wa_calloc(1, sizeof *g);
  if (!g)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  g->own_cell = init;
  g->cell = &g->own_cell;
  g->type = type;
  g->mut = mut;
  g->next = s->globals;
  s->globals = g;
  *out = g;
  return 0;
}

wr_val wr_global_get(wr_global *g) { return *g->cell; }
void wr_global_set(wr_global *g, wr_val v) { *g->cell = v; }
uint8_t wr_global_type(wr_global *g) { return g->type; }
bool wr_global_mutable(wr_global *g) { return g->mut; }
