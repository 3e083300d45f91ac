/*
 * helpers.c: the runtime services compiled code calls through
 * vmctx->helpers[WR_HELPER_*] (wr_abi.h): trap, memory and table bulk
 * operations with the spec's bounds checks and trap kinds, segment drops,
 * and the host-call bridge. A failing helper traps and never returns.
 */
#include "internal.h"

#include <string.h>

static wr_instance *inst_of(void *vmctx) {
  return ((wr_vmctx_header *)vmctx)->instance;
}

static void helper_TRAP(void *vmctx, uint32_t kind) {
  (void)vmctx;
  if (kind == WR_TRAP_NONE || kind >= WR_TRAP_COUNT)
    kind = WR_TRAP_HOST;
  wr__trap_raise(kind, 0, NULL);
}

static uint32_t helper_MEMORY_GROW(void *vmctx, uint32_t delta) {
  wr_instance *inst = inst_of(vmctx);
  if (!inst->meta->n_memories)
    return UINT32_MAX;
  return wr_memory_grow(inst->memories[0], delta);
}

/* spec 4.4.7 memory.fill/copy/init: the whole range is checked first;
 * nothing is written when it does not fit. */
static bool fits(uint64_t at, uint64_t n, uint64_t size) {
  return at <= size && n <= size - at;
}

static void helper_MEMORY_FILL(void *vmctx, uint32_t d, uint32_t val,
                               uint32_t n) {
  wr_memory *m = inst_of(vmctx)->memories[0];
  if (!fits(d, n, m->abi.size))
    wr__trap_raise(WR_TRAP_OOB_MEMORY, 0, NULL);
  if (n)
    memset(m->abi.base + d, (int)(uint8_t)val, n);
}

static void helper_MEMORY_COPY(void *vmctx, uint32_t d, uint32_t s,
                               uint32_t n) {
  wr_memory *m = inst_of(vmctx)->memories[0];
  if (!fits(d, n, m->abi.size) || !fits(s, n, m->abi.size))
    wr__trap_raise(WR_TRAP_OOB_MEMORY, 0, NULL);
  if (n)
    memmove(m->abi.base + d, m->abi.base + s, n);
}

uint32_t wr__memory_init(wr_instance *inst, uint32_t seg, uint32_t d,
                         uint32_t s, uint32_t n) {
  wr_memory *m = inst->memories[0];
  uint32_t len = inst->data_len[seg];
  if (!fits(s, n, len) || !fits(d, n, m->abi.size))
    return WR_TRAP_OOB_MEMORY;
  if (n)
    memcpy(m->abi.base + d,
           inst->art->data + inst->meta->datas[seg].data_off + s, n);
  return 0;
}

static void helper_MEMORY_INIT(void *vmctx, uint32_t seg, uint32_t d,
                               uint32_t s, uint32_t n) {
  uint32_t kind = wr__memory_init(inst_of(vmctx), seg, d, s, n);
  if (kind)
    wr__trap_raise(kind, 0, NULL);
}

static void helper_DATA_DROP(void *vmctx, uint32_t seg) {
  inst_of(vmctx)->data_len[seg] = 0;
}

static uint32_t helper_TABLE_GROW(void *vmctx, uint32_t table, void *init,
                                  uint32_t delta) {
  return wr__table_grow(inst_of(vmctx)->tables[table], delta, init);
}

static void helper_TABLE_FILL(void *vmctx, uint32_t table, uint32_t i,
                              void *val, uint32_t n) {
  wr_table *t = inst_of(vmctx)->tables[table];
  if (!fits(i, n, t->abi.size))
    wr__trap_raise(WR_TRAP_OOB_TABLE, 0, NULL);
  wr_table_elem e = wr__table_elem(t->elemtype, val);
  for (uint32_t k = 0; k < n; k++)
    t->abi.elems[i + k] = e;
}

static void helper_TABLE_COPY(void *vmctx, uint32_t dst, uint32_t src,
                              uint32_t d, uint32_t s, uint32_t n) {
  wr_instance *inst = inst_of(vmctx);
  wr_table *td = inst->tables[dst], *ts = inst->tables[src];
  if (!fits(d, n, td->abi.size) || !fits(s, n, ts->abi.size))
    wr__trap_raise(WR_TRAP_OOB_TABLE, 0, NULL);
  if (n)
    memmove(td->abi.elems + d, ts->abi.elems + s,
            (size_t)n * sizeof *td->abi.elems);
}

uint32_t wr__table_init(wr_instance *inst, uint32_t table, uint32_t seg,
                        uint32_t d, uint32_t s, uint32_t n) {
  wr_table *t = inst->tables[table];
  if (!fits(s, n, inst->elem_len[seg]) || !fits(d, n, t->abi.size))
    return WR_TRAP_OOB_TABLE;
  for (uint32_t k = 0; k < n; k++)
    t->abi.elems[d + k] =
        wr__table_elem(t->elemtype, inst->elem_refs[seg][s + k]);
  return 0;
}

static void helper_TABLE_INIT(void *vmctx, uint32_t table, uint32_t seg,
                              uint32_t d, uint32_t s, uint32_t n) {
  uint32_t kind = wr__table_init(inst_of(vmctx), table, seg, d, s, n);
  if (kind)
    wr__trap_raise(kind, 0, NULL);
}

static void helper_ELEM_DROP(void *vmctx, uint32_t seg) {
  inst_of(vmctx)->elem_len[seg] = 0;
}

/* The adapter of imported function 'func' spilled its arguments to vals;
 * the record's ref.host is the host function (instance.c). */
static void helper_HOST_CALL(void *vmctx, uint32_t func, wr_val *vals) {
  wr_instance *inst = inst_of(vmctx);
  wr_func *h = func < inst->meta->n_func_imports
                   ? inst->funcs[func]->ref.host
                   : NULL;
  if (!h || !h->fn)
    wr__trap_raise(WR_TRAP_UNLINKED_IMPORT, 0, NULL);
  wr_caller c;
  c.inst = inst;
  c.exit_code = 0;
  c.has_msg = false;
  c.msg[0] = 0;
  uint32_t kind = h->fn(h->env, &c, vals);
  if (kind == 0)
    return;
  if (kind >= WR_TRAP_COUNT)
    kind = WR_TRAP_HOST;
  wr__trap_raise(kind, c.exit_code, c.has_msg ? c.msg : NULL);
}

/* Each helper's definition must have its row's exact signature. */
#define WR__CHECK(name, sig)                                                   \
  _Static_assert(                                                              \
      __builtin_types_compatible_p(__typeof__(&helper_##name), sig),           \
      "helper " #name " does not match wr_abi.h");
WR_HELPER_MAP(WR__CHECK)
#undef WR__CHECK

void *const wr__helpers[WR_HELPER_COUNT] = {
#define WR__X(name, sig) [WR_HELPER_##name] = (void *)helper_##name,
    WR_HELPER_MAP(WR__X)
#undef WR__X
};
