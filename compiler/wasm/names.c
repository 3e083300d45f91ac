/*
 * names.c: the "name" custom section (spec 7.4.1): module, function and
 * local names, for backtraces and `inspect`. Custom section contents are
 * never validated (spec 5.5.3), so a malformed name section does not
 * reject the module: parsing stops at the first bad byte and keeps what
 * came before. Names point into the module bytes.
 */
#include "internal.h"

#include <stdlib.h>

enum { NAME_MODULE = 0, NAME_FUNCTION = 1, NAME_LOCAL = 2 };

/* Reads a name without touching the caller's error: failures here are
 * expected and silent. */
static bool read_name(wm_reader *r, wm_name *out) {
  wa_err scratch;
  wa_err_init(&scratch);
  return wm__name(r, out, &scratch) == 0;
}

static bool read_u32(wm_reader *r, uint32_t *out) {
  wa_err scratch;
  wa_err_init(&scratch);
  return wm__u32(r, out, &scratch) == 0;
}

static void parse_module_name(wm_module *m, wm_reader r) {
  wm_name n;
  if (read_name(&r, &n))
    m->module_name = n;
}

static int parse_func_names(wm_module *m, wm_reader r, wa_err *err) {
  uint32_t count;
  if (!read_u32(&r, &count) || m->n_funcs == 0)
    return 0;
  m->func_names = wm__alloc(m, m->n_funcs, sizeof *m->func_names, err);
  if (!m->func_names)
    return WA_ENOMEM;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t idx;
    wm_name n;
    if (!read_u32(&r, &idx) || !read_name(&r, &n))
      break;
    if (idx < m->n_funcs)
      m->func_names[idx] = n;
  }
  return 0;
}

/* One pass of the local-name map: counts entries that parse, and stores
 * them when 'out' is set. */
static uint32_t walk_local_names(wm_reader r, wm_local_name *out) {
  uint32_t n_funcs, k = 0;
  if (!read_u32(&r, &n_funcs))
    return 0;
  for (uint32_t i = 0; i < n_funcs; i++) {
    uint32_t func, n_locals;
    if (!read_u32(&r, &func) || !read_u32(&r, &n_locals))
      return k;
    for (uint32_t j = 0; j < n_locals; j++) {
      uint32_t local;
      wm_name n;
      if (!read_u32(&r, &local) || !read_name(&r, &n))
        return k;
      if (out)
        out[k] = (wm_local_name){func, local, n};
      k++;
    }
  }
  return k;
}

static int cmp_local_name(const void *a, const void *b) {
  const wm_local_name *x = a, *y = b;
  if (x->func != y->func)
    return x->func < y->func ? -1 : 1;
  if (x->local != y->local)
    return x->local < y->local ? -1 : 1;
  return 0;
}

static int parse_local_names(wm_module *m, wm_reader r, wa_err *err) {
  uint32_t n = walk_local_names(r, NULL);
  if (n == 0)
    return 0;
  m->local_names = wm__alloc(m, n, sizeof *m->local_names, err);
  if (!m->local_names)
    return WA_ENOMEM;
  m->n_local_names = walk_local_names(r, m->local_names);
  /* The spec wants increasing indices; tolerate producers that differ. */
  for (uint32_t i = 1; i < m->n_local_names; i++)
    if (cmp_local_name(&m->local_names[i - 1], &m->local_names[i]) > 0) {
      qsort(m->local_names, m->n_local_names, sizeof *m->local_names,
            cmp_local_name);
      break;
    }
  return 0;
}

int wm__names_parse(wm_module *m, const uint8_t *p, const uint8_t *end,
                    wa_err *err) {
  wm_reader r = {m->bytes, p, end};
  int last_id = -1, rc = 0;
  while (r.p < r.end && rc == 0) {
    uint8_t id = *r.p++;
    uint32_t size;
    if (!read_u32(&r, &size) || size > (size_t)(r.end - r.p))
      break;
    /* Subsections come in increasing id order, each at most once. */
    if ((int)id <= last_id)
      break;
    last_id = id;
    wm_reader sub = {r.base, r.p, r.p + size};
    r.p += size;
    switch (id) {
    case NAME_MODULE:
      parse_module_name(m, sub);
      break;
    case NAME_FUNCTION:
      rc = parse_func_names(m, sub, err);
      break;
    case NAME_LOCAL:
      rc = parse_local_names(m, sub, err);
      break;
    default: /* label, type, table ... names: not used */
      break;
    }
  }
  return rc;
}
