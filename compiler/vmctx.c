/*
 * vmctx.c: how generated code reaches the instance. Offsets come from
 * wr_abi.h (checked below); header fields and the arrays they point to
 * are fixed once the instance exists, so their loads are hoisted into the
 * entry block and marked !invariant.load. Linear memory base and size are
 * not invariant in explicit mode (the memory may move when it grows).
 * What call_indirect needs most (type ids, fixed tables' element arrays)
 * sits in the vmctx's tail, one load from the vmctx (wr_vmctx_tail).
 */
#include "internal.h"

#include <stddef.h>

_Static_assert(sizeof(void *) == 8, "the compiler assumes 64-bit targets");
_Static_assert(offsetof(wr_memory_abi, base) == 0, "memory base at 0");
_Static_assert(offsetof(wr_memory_abi, size) == 8, "memory size at 8");
_Static_assert(offsetof(wr_table_abi, elems) == 0, "table elems at 0");
_Static_assert(offsetof(wr_table_abi, size) == 8, "table size at 8");
_Static_assert(offsetof(wr_table_elem, code) == WC_ELEM_CODE &&
                   offsetof(wr_table_elem, vmctx) == WC_ELEM_VMCTX &&
                   offsetof(wr_table_elem, type_id) == WC_ELEM_TYPE_ID &&
                   offsetof(wr_table_elem, ref) == WC_ELEM_REF &&
                   sizeof(wr_table_elem) == WC_ELEM_SIZE,
               "table element layout");
_Static_assert(offsetof(wr_funcref, code) == 0, "funcref code at 0");
_Static_assert(offsetof(wr_funcref, vmctx) == 8, "funcref vmctx at 8");
_Static_assert(offsetof(wr_funcref, type_id) == 16, "funcref type at 16");
_Static_assert(WR_VMCTX_MEMORY == 0 && WR_VMCTX_STACK_LIMIT == 8 &&
                   WR_VMCTX_HELPERS == 16 && WR_VMCTX_TYPE_IDS == 32 &&
                   WR_VMCTX_FUNCS == 40 && WR_VMCTX_TABLES == 48 &&
                   WR_VMCTX_MEMORY_BASE == 56,
               "vmctx header layout");

/* Slots of wc_fn.cache. */
enum { C_MEMOBJ, C_FUNCS, C_TABLES, C_MEMBASE };

void wc__tag(wc_unit *u, LLVMValueRef inst, int tbaa, bool invariant) {
  LLVMSetMetadata(inst, u->md_tbaa, u->tbaa[tbaa]);
  if (invariant)
    LLVMSetMetadata(inst, u->md_invariant, u->md_empty);
}

static LLVMValueRef gep_const(wc_unit *u, LLVMBuilderRef b, LLVMValueRef base,
                              uint64_t off) {
  if (off == 0)
    return base;
  LLVMValueRef idx = LLVMConstInt(u->t_i64, off, 0);
  return LLVMBuildInBoundsGEP2(b, u->t_i8, base, &idx, 1, "");
}

static LLVMValueRef load_with(wc_unit *u, LLVMBuilderRef b, LLVMTypeRef t,
                              LLVMValueRef base, uint64_t off, int tbaa,
                              bool invariant) {
  LLVMValueRef l = LLVMBuildLoad2(b, t, gep_const(u, b, base, off), "");
  wc__tag(u, l, tbaa, invariant);
  return l;
}

LLVMValueRef wc__load(wc_fn *f, LLVMTypeRef t, LLVMValueRef base,
                      uint64_t off, int tbaa, bool invariant) {
  return load_with(f->u, f->b, t, base, off, tbaa, invariant);
}

void wc__store(wc_fn *f, LLVMValueRef v, LLVMValueRef base, uint64_t off,
               int tbaa) {
  LLVMValueRef s = LLVMBuildStore(f->b, v, gep_const(f->u, f->b, base, off));
  wc__tag(f->u, s, tbaa, false);
}

LLVMValueRef wc__gep(wc_fn *f, LLVMValueRef base, LLVMValueRef off64) {
  return LLVMBuildGEP2(f->b, f->u->t_i8, base, &off64, 1, "");
}

/* An invariant load of vmctx+off, emitted once in the entry block. */
static LLVMValueRef entry_load(wc_fn *f, int slot, LLVMValueRef base,
                               uint64_t off) {
  if (!f->cache[slot]) {
    LLVMPositionBuilderBefore(f->u->pb, f->entry_term);
    LLVMValueRef l =
        load_with(f->u, f->u->pb, f->u->t_ptr, base, off, WC_TBAA_VMCTX, true);
    LLVMSetMetadata(l, f->u->md_nonnull, f->u->md_empty);
    f->cache[slot] = l;
  }
  return f->cache[slot];
}

LLVMValueRef wc__memobj(wc_fn *f) {
  return entry_load(f, C_MEMOBJ, f->vmctx, WR_VMCTX_MEMORY);
}

LLVMValueRef wc__mem_base(wc_fn *f) {
  wc_unit *u = f->u;
  if (u->explicit_bounds)
    return wc__load(f, u->t_ptr, wc__memobj(f), 0, WC_TBAA_MEMOBJ, false);
  /* Guard mode: the reservation never moves, and the vmctx holds a copy
   * of its base (one load instead of two through vmctx->memory). */
  return entry_load(f, C_MEMBASE, f->vmctx, WR_VMCTX_MEMORY_BASE);
}

LLVMValueRef wc__mem_size(wc_fn *f) {
  return wc__load(f, f->u->t_i64, wc__memobj(f), 8, WC_TBAA_MEMOBJ, false);
}

LLVMValueRef wc__global_ptr(wc_fn *f, uint32_t g) {
  const wm_module *m = f->u->m;
  wr_vmctx_layout l = wr_vmctx_layout_compute(m->n_globals,
                                              m->n_global_imports);
  uint32_t off = wr_vmctx_global_offset(l, g, m->n_global_imports);
  if (g >= m->n_global_imports)
    return gep_const(f->u, f->b, f->vmctx, off);
  LLVMValueRef p =
      wc__load(f, f->u->t_ptr, f->vmctx, off, WC_TBAA_VMCTX, true);
  LLVMSetMetadata(p, f->u->md_nonnull, f->u->md_empty);
  return p;
}

LLVMValueRef wc__funcref(wc_fn *f, uint32_t funcidx) {
  LLVMValueRef funcs = entry_load(f, C_FUNCS, f->vmctx, WR_VMCTX_FUNCS);
  return wc__load(f, f->u->t_ptr, funcs, 8ull * funcidx, WC_TBAA_VMCTX, true);
}

static LLVMValueRef table_abi(wc_fn *f, uint32_t t) {
  LLVMValueRef tables = entry_load(f, C_TABLES, f->vmctx, WR_VMCTX_TABLES);
  LLVMValueRef tab =
      wc__load(f, f->u->t_ptr, tables, 8ull * t, WC_TBAA_VMCTX, true);
  LLVMSetMetadata(tab, f->u->md_nonnull, f->u->md_empty);
  return tab;
}

/* wr_table_fixed: a constant size and an element array that never moves
 * (wr__table_grow keeps the array when the size stays). */
static bool table_fixed(const wm_module *m, uint32_t t) {
  const wm_limits *l = &m->tables[t].type.limits;
  return wr_table_fixed(l->has_max, l->min, l->max);
}

static wr_vmctx_tail vmctx_tail(const wm_module *m) {
  return wr_vmctx_tail_compute(
      wr_vmctx_layout_compute(m->n_globals, m->n_global_imports), m->n_types,
      m->n_tables);
}

LLVMValueRef wc__table_size(wc_fn *f, uint32_t t) {
  wc_unit *u = f->u;
  if (table_fixed(u->m, t))
    return LLVMConstInt(u->t_i32, u->m->tables[t].type.limits.min, 0);
  return wc__load(f, u->t_i32, table_abi(f, t), 8, WC_TBAA_TABLE, false);
}

/* Not hoisted into the entry block (the function may never index the
 * table). A fixed table's array is one invariant load from the vmctx's
 * tail, which GVN and LICM reuse across calls and loop iterations; any
 * other table's is re-read through its wr_table_abi (table.grow moves it). */
LLVMValueRef wc__table_elems(wc_fn *f, uint32_t t) {
  wc_unit *u = f->u;
  LLVMValueRef e;
  if (table_fixed(u->m, t))
    e = wc__load(f, u->t_ptr, f->vmctx,
                 vmctx_tail(u->m).table_elems + 8ull * t, WC_TBAA_VMCTX,
                 true);
  else
    e = wc__load(f, u->t_ptr, table_abi(f, t), 0, WC_TBAA_TABLE, false);
  LLVMSetMetadata(e, u->md_nonnull, u->md_empty);
  return e;
}

LLVMValueRef wc__table_elem(wc_fn *f, uint32_t t, LLVMValueRef i) {
  wc_unit *u = f->u;
  LLVMTypeRef elem = LLVMArrayType2(u->t_i8, WC_ELEM_SIZE);
  LLVMValueRef i64 = LLVMBuildZExt(f->b, i, u->t_i64, "");
  return LLVMBuildInBoundsGEP2(f->b, elem, wc__table_elems(f, t), &i64, 1, "");
}

/* From the vmctx's tail: one load, not two through header.type_ids. */
LLVMValueRef wc__type_id(wc_fn *f, uint32_t type) {
  return wc__load(f, f->u->t_i32, f->vmctx,
                  vmctx_tail(f->u->m).type_ids + 4ull * type, WC_TBAA_VMCTX,
                  true);
}

static LLVMValueRef call_helper(wc_unit *u, LLVMBuilderRef b,
                                LLVMValueRef helpers, LLVMValueRef vmctx,
                                uint32_t idx, LLVMValueRef *args, unsigned n) {
  LLVMValueRef fp =
      load_with(u, b, u->t_ptr, helpers, 8ull * idx, WC_TBAA_VMCTX, true);
  LLVMValueRef all[8];
  all[0] = vmctx;
  for (unsigned i = 0; i < n && i < 7; i++)
    all[i + 1] = args[i];
  return LLVMBuildCall2(b, u->helper_types[idx], fp, all, n + 1, "");
}

/* helpers is loaded where the call is, not hoisted into the entry block:
 * most helper calls are traps in cold blocks, and a hoisted load would be
 * paid (and often spilled across calls) on every entry of the function. */
LLVMValueRef wc__call_helper(wc_fn *f, uint32_t idx, LLVMValueRef *args,
                             unsigned n) {
  return wc__call_helper_raw(f->u, f->b, f->vmctx, idx, args, n);
}

LLVMValueRef wc__call_helper_raw(wc_unit *u, LLVMBuilderRef b,
                                 LLVMValueRef vmctx, uint32_t idx,
                                 LLVMValueRef *args, unsigned n) {
  LLVMValueRef helpers =
      load_with(u, b, u->t_ptr, vmctx, WR_VMCTX_HELPERS, WC_TBAA_VMCTX, true);
  return call_helper(u, b, helpers, vmctx, idx, args, n);
}
