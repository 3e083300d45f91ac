/*
 * harness.c: see harness.h. Instantiation follows the spec's order (tables
 * and memory, globals, element then data segments, start) closely enough
 * for the compiler's tests; it is not the runtime and does no linking
 * beyond host functions and immutable-or-not global cells.
 */
#include "harness.h"

#include <dlfcn.h>
#include <elf.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct wct {
  wr_vmctx_header *vm; /* the vmctx, header first */
  uint8_t *obj;
  size_t obj_len;
  char so_path[256];
  void *so;
  const int64_t *funcs, *tramps, *adapters; /* wr_abi_table_fn */
  wa_arena arena;
  wr_meta meta;
  uint8_t bounds;
  wct_host_fn host;
  uint32_t host_calls;
  wr_memory_abi mem;
  uint64_t mem_reserved; /* guard: the whole reservation */
  uint32_t mem_max;
  wr_table_abi *tables;
  wr_table_abi **table_ptrs;
  wr_funcref *records;
  wr_funcref **record_ptrs;
  uint32_t *type_ids;
  bool *data_dropped, *elem_dropped;
  const uint8_t *data;
  size_t data_len;
  void *helpers[WR_HELPER_COUNT];
  uint8_t *import_cells; /* 16 bytes per imported global */
};

static sigjmp_buf *cur_jmp;
static wct *cur;

wr_val wct_f32(float f) {
  wr_val v = {.i64 = 0};
  memcpy(&v.f32, &f, 4);
  return v;
}
wr_val wct_f64(double d) {
  wr_val v;
  memcpy(&v.f64, &d, 8);
  return v;
}
float wct_as_f32(wr_val v) {
  float f;
  memcpy(&f, &v.f32, 4);
  return f;
}
double wct_as_f64(wr_val v) {
  double d;
  memcpy(&d, &v.f64, 8);
  return d;
}

static void trap(uint32_t kind) {
  if (cur_jmp)
    siglongjmp(*cur_jmp, (int)kind);
  abort();
}

/* ------------------------------------------------------------- helpers */

static wct *inst(void *vmctx) {
  return ((wr_vmctx_header *)vmctx)->instance;
}

static void h_trap(void *vmctx, uint32_t kind) {
  (void)vmctx;
  trap(kind);
}

static uint32_t h_memory_grow(void *vmctx, uint32_t delta) {
  wct *t = inst(vmctx);
  uint64_t old = t->mem.size / WR_PAGE_SIZE;
  if (old + delta > t->mem_max)
    return UINT32_MAX;
  uint64_t size = (old + delta) * WR_PAGE_SIZE;
  if (t->bounds == WR_BOUNDS_GUARD) {
    if (size && mprotect(t->mem.base, size, PROT_READ | PROT_WRITE) != 0)
      return UINT32_MAX;
  } else {
    /* Always move, so tests see stale bases. */
    uint8_t *p = mmap(NULL, size ? size : 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return UINT32_MAX;
    memcpy(p, t->mem.base, t->mem.size);
    munmap(t->mem.base, t->mem.size ? t->mem.size : 4096);
    t->mem.base = p;
  }
  t->mem.size = size;
  return (uint32_t)old;
}

static void mem_check(wct *t, uint64_t at, uint64_t n) {
  if (at + n > t->mem.size)
    trap(WR_TRAP_OOB_MEMORY);
}

static void h_memory_fill(void *vmctx, uint32_t d, uint32_t val, uint32_t n) {
  wct *t = inst(vmctx);
  mem_check(t, d, n);
  memset(t->mem.base + d, (int)(val & 0xff), n);
}

static void h_memory_copy(void *vmctx, uint32_t d, uint32_t s, uint32_t n) {
  wct *t = inst(vmctx);
  mem_check(t, d, n);
  mem_check(t, s, n);
  memmove(t->mem.base + d, t->mem.base + s, n);
}

static void h_memory_init(void *vmctx, uint32_t seg, uint32_t d, uint32_t s,
                          uint32_t n) {
  wct *t = inst(vmctx);
  const wr_meta_data *ds = &t->meta.datas[seg];
  uint64_t len = t->data_dropped[seg] ? 0 : ds->len;
  mem_check(t, d, n);
  if ((uint64_t)s + n > len)
    trap(WR_TRAP_OOB_MEMORY);
  memcpy(t->mem.base + d, t->data + ds->data_off + s, n);
}

static void h_data_drop(void *vmctx, uint32_t seg) {
  inst(vmctx)->data_dropped[seg] = true;
}

/* The element holding ref in table 'table' (wr_abi.h: funcref elements
 * copy the reference's call fields; null ones carry WR_TYPE_ID_NONE). */
static wr_table_elem elem_of(wct *t, uint32_t table, void *ref) {
  wr_table_elem e = {NULL, NULL, WR_TYPE_ID_NONE, 0, ref};
  if (ref && t->meta.tables[table].elemtype == 0x70) {
    const wr_funcref *r = ref;
    e.code = r->code;
    e.vmctx = r->vmctx;
    e.type_id = r->type_id;
  }
  return e;
}

static uint32_t h_table_grow(void *vmctx, uint32_t table, void *init,
                             uint32_t delta) {
  wct *t = inst(vmctx);
  wr_table_abi *tab = &t->tables[table];
  uint64_t size = (uint64_t)tab->size + delta;
  if (size > tab->max)
    return UINT32_MAX;
  if (delta == 0) /* a fixed table's array must not move (wr_abi.h) */
    return tab->size;
  wr_table_elem *e = realloc(tab->elems, (size ? size : 1) * sizeof *e);
  if (!e)
    return UINT32_MAX;
  for (uint64_t i = tab->size; i < size; i++)
    e[i] = elem_of(t, table, init);
  uint32_t old = tab->size;
  tab->elems = e;
  tab->size = (uint32_t)size;
  return old;
}

static void h_table_fill(void *vmctx, uint32_t table, uint32_t i, void *val,
                         uint32_t n) {
  wr_table_abi *tab = &inst(vmctx)->tables[table];
  if ((uint64_t)i + n > tab->size)
    trap(WR_TRAP_OOB_TABLE);
  for (uint32_t k = 0; k < n; k++)
    tab->elems[i + k] = elem_of(inst(vmctx), table, val);
}

static void h_table_copy(void *vmctx, uint32_t dst, uint32_t src, uint32_t d,
                         uint32_t s, uint32_t n) {
  wct *t = inst(vmctx);
  wr_table_abi *td = &t->tables[dst], *ts = &t->tables[src];
  if ((uint64_t)d + n > td->size || (uint64_t)s + n > ts->size)
    trap(WR_TRAP_OOB_TABLE);
  memmove(td->elems + d, ts->elems + s, n * sizeof *td->elems);
}

static void *const_ref(wct *t, const wr_meta_const *c) {
  return c->kind == WR_CONST_REF_FUNC ? (void *)&t->records[c->index] : NULL;
}

static void h_table_init(void *vmctx, uint32_t table, uint32_t seg, uint32_t d,
                         uint32_t s, uint32_t n) {
  wct *t = inst(vmctx);
  wr_table_abi *tab = &t->tables[table];
  const wr_meta_elem *e = &t->meta.elems[seg];
  uint64_t len = t->elem_dropped[seg] ? 0 : e->n_items;
  if ((uint64_t)d + n > tab->size || (uint64_t)s + n > len)
    trap(WR_TRAP_OOB_TABLE);
  for (uint32_t k = 0; k < n; k++)
    tab->elems[d + k] = elem_of(t, table, const_ref(t, &e->items[s + k]));
}

static void h_elem_drop(void *vmctx, uint32_t seg) {
  inst(vmctx)->elem_dropped[seg] = true;
}

static void h_host_call(void *vmctx, uint32_t func, wr_val *vals) {
  wct *t = inst(vmctx);
  t->host_calls++;
  uint32_t k = t->host ? t->host(t, func, vals) : WR_TRAP_UNLINKED_IMPORT;
  if (k)
    trap(k);
}

/* -------------------------------------------------------------- loading */

static int fail(char *msg, size_t n, const char *fmt, const char *a,
                const char *b) {
  snprintf(msg, n, fmt, a, b);
  return -1;
}

int wct_wasm(const char *name, uint8_t **out, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wasm", WCT_WASM_DIR, name);
  wa_err err;
  wa_err_init(&err);
  return wa_file_read(path, out, len, &err) ? -1 : 0;
}

static const Elf64_Shdr *section(const uint8_t *p, size_t n, const char *name) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)p;
  if (n < sizeof *eh || eh->e_shoff + (uint64_t)eh->e_shnum * 64 > n)
    return NULL;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(p + eh->e_shoff);
  const char *names = (const char *)p + sh[eh->e_shstrndx].sh_offset;
  for (unsigned i = 0; i < eh->e_shnum; i++)
    if (strcmp(names + sh[i].sh_name, name) == 0)
      return &sh[i];
  return NULL;
}

static int link_so(wct *t, char *msg, size_t n) {
  char dir[] = "/tmp/wctXXXXXX";
  if (!mkdtemp(dir))
    return fail(msg, n, "mkdtemp: %s%s", "failed", "");
  char obj[300], cmd[1024];
  snprintf(obj, sizeof obj, "%s/a.o", dir);
  snprintf(t->so_path, sizeof t->so_path, "%s/a.so", dir);
  FILE *f = fopen(obj, "wb");
  if (!f || fwrite(t->obj, 1, t->obj_len, f) != t->obj_len) {
    if (f)
      fclose(f);
    return fail(msg, n, "writing %s%s", obj, "");
  }
  fclose(f);
  snprintf(cmd, sizeof cmd, "%s -shared -o %s %s 2>&1", WCT_CC, t->so_path,
           obj);
  int rc = system(cmd);
  unlink(obj);
  if (rc != 0)
    return fail(msg, n, "linking failed: %s%s", cmd, "");
  t->so = dlopen(t->so_path, RTLD_NOW | RTLD_LOCAL);
  unlink(t->so_path);
  rmdir(dir);
  if (!t->so)
    return fail(msg, n, "dlopen: %s%s", dlerror(), "");
  t->funcs = dlsym(t->so, WR_SYM_FUNCS);
  t->tramps = dlsym(t->so, WR_SYM_TRAMPS);
  t->adapters = dlsym(t->so, WR_SYM_ADAPTERS);
  if (!t->funcs || !t->tramps || !t->adapters)
    return fail(msg, n, "missing %s or %s", WR_SYM_FUNCS, WR_SYM_TRAMPS);
  return 0;
}

static bool same_type(const wr_meta_type *a, const wr_meta_type *b) {
  return a->n_params == b->n_params && a->n_results == b->n_results &&
         memcmp(a->params, b->params, a->n_params) == 0 &&
         memcmp(a->results, b->results, a->n_results) == 0;
}

static int setup_memory(wct *t, char *msg, size_t n) {
  if (t->meta.n_memories == 0)
    return 0;
  const wr_meta_memory *m = &t->meta.memories[0];
  if (m->imported)
    return fail(msg, n, "memory imports are not supported%s%s", "", "");
  t->mem_max = m->has_max ? m->max : WR_MAX_PAGES;
  uint64_t size = (uint64_t)m->min * WR_PAGE_SIZE;
  if (t->bounds == WR_BOUNDS_GUARD) {
    t->mem_reserved = WR_GUARD_RESERVATION + WR_GUARD_SLACK;
    t->mem.base = mmap(NULL, t->mem_reserved, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t->mem.base == MAP_FAILED ||
        (size && mprotect(t->mem.base, size, PROT_READ | PROT_WRITE)))
      return fail(msg, n, "reserving memory failed%s%s", "", "");
  } else {
    t->mem.base = mmap(NULL, size ? size : 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t->mem.base == MAP_FAILED)
      return fail(msg, n, "mapping memory failed%s%s", "", "");
  }
  t->mem.size = size;
  t->vm->memory = &t->mem;
  if (t->bounds == WR_BOUNDS_GUARD)
    t->vm->memory_base = t->mem.base;
  return 0;
}

static uint32_t const_u32(const wr_meta_const *c) {
  uint32_t v;
  memcpy(&v, c->bytes, 4);
  return v;
}

static int instantiate(wct *t, const wct_opts *o, char *msg, size_t n) {
  const wr_meta *m = &t->meta;
  wr_vmctx_layout l =
      wr_vmctx_layout_compute(m->n_globals, m->n_global_imports);
  wr_vmctx_tail tail = wr_vmctx_tail_compute(l, m->n_types, m->n_tables);
  t->vm = aligned_alloc(64, (tail.size + 63) & ~63u);
  memset(t->vm, 0, tail.size);
  t->vm->instance = t;
  t->vm->helpers = t->helpers;
  t->helpers[WR_HELPER_TRAP] = (void *)h_trap;
  t->helpers[WR_HELPER_MEMORY_GROW] = (void *)h_memory_grow;
  t->helpers[WR_HELPER_MEMORY_FILL] = (void *)h_memory_fill;
  t->helpers[WR_HELPER_MEMORY_COPY] = (void *)h_memory_copy;
  t->helpers[WR_HELPER_MEMORY_INIT] = (void *)h_memory_init;
  t->helpers[WR_HELPER_DATA_DROP] = (void *)h_data_drop;
  t->helpers[WR_HELPER_TABLE_GROW] = (void *)h_table_grow;
  t->helpers[WR_HELPER_TABLE_FILL] = (void *)h_table_fill;
  t->helpers[WR_HELPER_TABLE_COPY] = (void *)h_table_copy;
  t->helpers[WR_HELPER_TABLE_INIT] = (void *)h_table_init;
  t->helpers[WR_HELPER_ELEM_DROP] = (void *)h_elem_drop;
  t->helpers[WR_HELPER_HOST_CALL] = (void *)h_host_call;

  t->type_ids = calloc(m->n_types + 1, sizeof *t->type_ids);
  for (uint32_t i = 0; i < m->n_types; i++) {
    t->type_ids[i] = i;
    for (uint32_t k = 0; k < i; k++)
      if (same_type(&m->types[k], &m->types[i])) {
        t->type_ids[i] = k;
        break;
      }
  }
  t->vm->type_ids = t->type_ids;
  if (m->n_types)
    memcpy((uint8_t *)t->vm + tail.type_ids, t->type_ids,
           m->n_types * sizeof *t->type_ids);
  t->records = calloc(m->n_funcs + 1, sizeof *t->records);
  t->record_ptrs = calloc(m->n_funcs + 1, sizeof *t->record_ptrs);
  for (uint32_t i = 0; i < m->n_funcs; i++) {
    wr_funcref *r = &t->records[i];
    r->code = i < m->n_func_imports
                  ? wr_abi_table_fn(t->adapters, i)
                  : wr_abi_table_fn(t->funcs, i - m->n_func_imports);
    r->vmctx = t->vm;
    r->type_id = t->type_ids[m->func_types[i]];
    r->func_index = i;
    t->record_ptrs[i] = r;
  }
  t->vm->funcs = t->record_ptrs;

  if (setup_memory(t, msg, n) < 0)
    return -1;
  t->tables = calloc(m->n_tables + 1, sizeof *t->tables);
  t->table_ptrs = calloc(m->n_tables + 1, sizeof *t->table_ptrs);
  for (uint32_t i = 0; i < m->n_tables; i++) {
    if (m->tables[i].imported)
      return fail(msg, n, "table imports are not supported%s%s", "", "");
    t->tables[i].size = m->tables[i].min;
    t->tables[i].max = m->tables[i].has_max ? m->tables[i].max : UINT32_MAX;
    t->tables[i].elems =
        calloc(m->tables[i].min + 1, sizeof *t->tables[i].elems);
    for (uint32_t k = 0; k < m->tables[i].min; k++)
      t->tables[i].elems[k] = elem_of(t, i, NULL);
    t->table_ptrs[i] = &t->tables[i];
    const wr_meta_table *d = &m->tables[i];
    wr_table_elem *fixed =
        wr_table_fixed(d->has_max, d->min, d->max) ? t->tables[i].elems : NULL;
    memcpy((uint8_t *)t->vm + tail.table_elems + 8u * i, &fixed, sizeof fixed);
  }
  t->vm->tables = t->table_ptrs;

  t->import_cells = calloc(m->n_global_imports + 1, 16);
  for (uint32_t g = 0; g < m->n_globals; g++) {
    uint8_t *cell;
    uint32_t off = wr_vmctx_global_offset(l, g, m->n_global_imports);
    if (g < m->n_global_imports) {
      cell = t->import_cells + 16 * g;
      if (o->globals)
        memcpy(cell, &o->globals[g], 16);
      memcpy((uint8_t *)t->vm + off, &cell, sizeof cell);
      continue;
    }
    cell = (uint8_t *)t->vm + off;
    const wr_meta_const *c = &m->globals[g].init;
    if (c->kind == WR_CONST_REF_FUNC || c->kind == WR_CONST_REF_NULL) {
      void *r = const_ref(t, c);
      memcpy(cell, &r, sizeof r);
    } else if (c->kind == WR_CONST_GLOBAL_GET) {
      memcpy(cell, t->import_cells + 16 * c->index, 16);
    } else {
      memcpy(cell, c->bytes, 16);
    }
  }

  t->elem_dropped = calloc(m->n_elems + 1, 1);
  t->data_dropped = calloc(m->n_datas + 1, 1);
  sigjmp_buf jb;
  int k = sigsetjmp(jb, 1);
  if (k) {
    cur_jmp = NULL;
    snprintf(msg, n, "trap %d during instantiation", k);
    return -1;
  }
  cur_jmp = &jb;
  for (uint32_t i = 0; i < m->n_elems; i++) {
    const wr_meta_elem *e = &m->elems[i];
    if (e->mode == WR_SEG_ACTIVE)
      h_table_init(t->vm, e->table, i, const_u32(&e->offset), 0, e->n_items);
    if (e->mode != WR_SEG_PASSIVE)
      t->elem_dropped[i] = true;
  }
  for (uint32_t i = 0; i < m->n_datas; i++) {
    const wr_meta_data *d = &m->datas[i];
    if (d->mode == WR_SEG_ACTIVE) {
      h_memory_init(t->vm, i, const_u32(&d->offset), 0, d->len);
      t->data_dropped[i] = true;
    }
  }
  cur_jmp = NULL;
  if (m->has_start) {
    wr_val none[1];
    const wr_funcref *r = &t->records[m->start];
    cur_jmp = &jb;
    ((wr_tramp_fn)wr_abi_table_fn(t->tramps, m->func_types[m->start]))(
        r->code, r->vmctx, none);
    cur_jmp = NULL;
  }
  return 0;
}

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  wct *t = cur;
  uint8_t *a = si->si_addr;
  if (t && cur_jmp && t->bounds == WR_BOUNDS_GUARD && t->mem.base &&
      a >= t->mem.base && a < t->mem.base + t->mem_reserved)
    siglongjmp(*cur_jmp, WR_TRAP_OOB_MEMORY);
  signal(sig, SIG_DFL);
}

int wct_open(const char *name, const wct_opts *o, wct **out, char *msg,
             size_t n) {
  uint8_t *wasm = NULL;
  size_t len;
  *out = NULL;
  if (wct_wasm(name, &wasm, &len) < 0)
    return fail(msg, n, "cannot read %s.wasm%s", name, "");
  int rc = wct_open_bytes(wasm, len, name, o, out, msg, n);
  wa_free(wasm);
  return rc;
}

int wct_open_bytes(const uint8_t *wasm, size_t len, const char *name,
                   const wct_opts *o, wct **out, char *msg, size_t n) {
  wct *t = calloc(1, sizeof *t);
  *out = t;
  t->bounds = o->bounds;
  t->host = o->host;
  wa_arena_init(&t->arena, 4096);
  wc_config c;
  wc_config_default(&c);
  c.bounds = o->bounds;
  c.opt_level = o->opt_level;
  wa_err err;
  wa_err_init(&err);
  int rc = wc_compile(wasm, len, name, &c, &t->obj, &t->obj_len, &err);
  if (rc) {
    char buf[700];
    return fail(msg, n, "compile: %s%s", wa_err_format(&err, buf, sizeof buf),
                "");
  }
  const Elf64_Shdr *ms = section(t->obj, t->obj_len, WR_SECTION_META);
  if (!ms)
    return fail(msg, n, "no %s section%s", WR_SECTION_META, "");
  if (wr_meta_decode(t->obj + ms->sh_offset, ms->sh_size, &t->arena, &t->meta,
                     &err)) {
    char buf[700];
    return fail(msg, n, "metadata: %s%s", wa_err_format(&err, buf, sizeof buf),
                "");
  }
  const Elf64_Shdr *ds = section(t->obj, t->obj_len, WR_SECTION_DATA);
  if (ds) {
    t->data = t->obj + ds->sh_offset;
    t->data_len = ds->sh_size;
  }
  if (link_so(t, msg, n) < 0)
    return -1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  cur = t;
  return instantiate(t, o, msg, n);
}

void wct_close(wct *t) {
  if (!t)
    return;
  if (t->mem.base)
    munmap(t->mem.base, t->bounds == WR_BOUNDS_GUARD
                            ? t->mem_reserved
                            : (t->mem.size ? t->mem.size : 4096));
  for (uint32_t i = 0; t->tables && i < t->meta.n_tables; i++)
    free(t->tables[i].elems);
  free(t->tables);
  free(t->table_ptrs);
  free(t->records);
  free(t->record_ptrs);
  free(t->type_ids);
  free(t->elem_dropped);
  free(t->data_dropped);
  free(t->import_cells);
  free(t->vm);
  if (t->so)
    dlclose(t->so);
  wa_free(t->obj);
  wa_arena_free(&t->arena);
  if (cur == t)
    cur = NULL;
  free(t);
}

static const wr_meta_export *find_export(wct *t, const char *name, size_t len,
                                         uint8_t kind);

uint32_t wct_call(wct *t, const char *export_name, wr_val *vals) {
  return wct_call_n(t, export_name, strlen(export_name), vals);
}

uint32_t wct_call_n(wct *t, const char *export_name, size_t len, wr_val *vals) {
  const wr_meta *m = &t->meta;
  const wr_meta_export *e = find_export(t, export_name, len, 0);
  if (e) {
    const wr_funcref *r = &t->records[e->index];
    sigjmp_buf jb;
    /* 1 MiB of stack for the callee, plenty for the tests' recursion. */
    t->vm->stack_limit = (uintptr_t)__builtin_frame_address(0) - (1u << 20);
    int k = sigsetjmp(jb, 1);
    if (k) {
      cur_jmp = NULL;
      return (uint32_t)k;
    }
    cur_jmp = &jb;
    cur = t;
    ((wr_tramp_fn)wr_abi_table_fn(t->tramps, m->func_types[e->index]))(
        r->code, r->vmctx, vals);
    cur_jmp = NULL;
    return WR_TRAP_NONE;
  }
  fprintf(stderr, "no export %.*s\n", (int)len, export_name);
  abort();
}

static const wr_meta_export *find_export(wct *t, const char *name, size_t len,
                                         uint8_t kind) {
  const wr_meta *m = &t->meta;
  for (uint32_t i = 0; i < m->n_exports; i++) {
    const wr_meta_export *e = &m->exports[i];
    if (e->kind == kind && len == e->name.len &&
        memcmp(e->name.ptr, name, len) == 0)
      return e;
  }
  return NULL;
}

int wct_global_get(wct *t, const char *export_name, size_t len, wr_val *out) {
  const wr_meta_export *e = find_export(t, export_name, len, 3);
  if (!e)
    return -1;
  const wr_meta *m = &t->meta;
  wr_vmctx_layout l =
      wr_vmctx_layout_compute(m->n_globals, m->n_global_imports);
  uint32_t off = wr_vmctx_global_offset(l, e->index, m->n_global_imports);
  uint8_t *cell = (uint8_t *)t->vm + off;
  if (e->index < m->n_global_imports)
    memcpy(&cell, cell, sizeof cell);
  memcpy(out, cell, 16);
  return 0;
}

const wr_meta_type *wct_export_type(wct *t, const char *export_name,
                                    size_t len) {
  const wr_meta_export *e = find_export(t, export_name, len, 0);
  return e ? &t->meta.types[t->meta.func_types[e->index]] : NULL;
}

uint8_t *wct_memory(wct *t, uint64_t *size) {
  *size = t->mem.size;
  return t->mem.base;
}

const wr_meta *wct_meta(wct *t) {
  return &t->meta;
}
uint32_t wct_host_calls(wct *t) {
  return t->host_calls;
}
