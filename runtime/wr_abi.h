/*
 * wr_abi.h: the contract between generated code and the runtime. The
 * compiler includes this file for constants and layouts only; the runtime
 * implements it. Anything that changes here bumps WR_ABI_VERSION, which is
 * part of the artifact format version and of every cache key.
 *
 * Calling convention of a compiled Wasm function (LLVM's C convention):
 *     R f(void *vmctx, P1 p1, P2 p2, ...)
 * with i32/i64/f32/f64 as LLVM i32/i64/float/double, v128 as <2 x i64>,
 * funcref/externref as ptr. No result: void; one: that type; several: an
 * LLVM struct of them (LLVM lowers big ones to sret by itself).
 */
#ifndef WR_ABI_H
#define WR_ABI_H

#include <stddef.h>
#include <stdint.h>

#define WR_ABI_VERSION 3u

#define WR_PAGE_SIZE 65536u
#define WR_MAX_PAGES 65536u /* 4 GiB */
/* guard mode: 4 GiB addressable + 4 GiB guard, so base + u32 + u32 offset
 * + access size always lands inside the reservation. */
#define WR_GUARD_RESERVATION (8ull << 30)
#define WR_GUARD_SLACK (64u << 10) /* past 8 GiB, for the access size */

enum { WR_BOUNDS_GUARD = 0, WR_BOUNDS_EXPLICIT = 1 };

/* ---------------------------------------------------------------- traps */

/* One row per trap kind: name, message (the spec test suite's wording). */
#define WR_TRAP_MAP(X)                                                         \
  X(NONE, "no trap")                                                           \
  X(UNREACHABLE, "unreachable")                                                \
  X(INT_DIV_ZERO, "integer divide by zero")                                    \
  X(INT_OVERFLOW, "integer overflow")                                          \
  X(INVALID_CONVERSION, "invalid conversion to integer")                       \
  X(OOB_MEMORY, "out of bounds memory access")                                 \
  X(OOB_TABLE, "out of bounds table access")                                   \
  X(UNDEFINED_ELEMENT, "undefined element")                                    \
  X(UNINITIALIZED_ELEMENT, "uninitialized element")                            \
  X(INDIRECT_TYPE_MISMATCH, "indirect call type mismatch")                     \
  X(NULL_REFERENCE, "null reference")                                          \
  X(STACK_EXHAUSTED, "call stack exhausted")                                   \
  X(UNLINKED_IMPORT, "call to an unlinked import")                             \
  X(HOST, "host function failed")                                              \
  X(EXIT, "exit")                                                              \
  X(INTERRUPTED, "interrupted")

enum {
#define WR__X(name, msg) WR_TRAP_##name,
  WR_TRAP_MAP(WR__X)
#undef WR__X
      WR_TRAP_COUNT
};

/* -------------------------------------------------------------- values */

/* One slot of a trampoline or host-call value array: 16 bytes, little
 * endian, the value at offset 0. */
typedef union wr_val {
  uint32_t i32;
  uint64_t i64;
  uint32_t f32; /* bit pattern */
  uint64_t f64; /* bit pattern */
  uint8_t v128[16];
  void *ref; /* funcref: wr_funcref*, externref: opaque; NULL is null */
} wr_val;
_Static_assert(sizeof(wr_val) == 16, "wr_val is 16 bytes");

/* ------------------------------------------------ objects seen by code */

/* Prefix of the runtime's memory object. Compiled code reads base and size
 * through vmctx->memory; in explicit mode it re-reads them after every call
 * and memory.grow, because growth may move the memory. In guard mode base
 * never moves. */
typedef struct wr_memory_abi {
  uint8_t *base;
  uint64_t size; /* bytes */
} wr_memory_abi;

/* The type_id of a table element that holds no function (null, or any
 * externref element): no canonical id equals it (ids count up from 0). */
#define WR_TYPE_ID_NONE UINT32_MAX

/*
 * One table element. A funcref element carries a copy of its function
 * reference's code, vmctx and type_id beside the reference itself, so that
 * call_indirect reaches all three with one load from the element array
 * instead of a load of the reference and then dependent loads through it.
 * A null element is {NULL, NULL, WR_TYPE_ID_NONE, NULL}: call_indirect's
 * type check alone rejects it, and the null test runs only on the trap
 * path. Externref tables use the same layout with only ref meaningful.
 * Function references never change once created, so the copy stays valid.
 */
typedef struct wr_table_elem {
  void *code;
  void *vmctx;
  uint32_t type_id;
  uint32_t reserved;
  void *ref; /* funcref: wr_funcref*; externref: opaque; NULL = null */
} wr_table_elem;
_Static_assert(sizeof(wr_table_elem) == 32, "table elements are 32 bytes");

/* Prefix of the runtime's table object. */
typedef struct wr_table_abi {
  wr_table_elem *elems;
  uint32_t size; /* elements */
  uint32_t max;
} wr_table_abi;

/* A function reference: what tables hold and ref.func yields. Calling it is
 * code(vmctx, args...). type_id is the runtime-wide canonical id of its
 * signature, compared by call_indirect. */
typedef struct wr_funcref {
  void *code;
  void *vmctx;
  uint32_t type_id;
  uint32_t func_index; /* in its defining module, for backtraces */
  void *host;          /* runtime-private: the host function, if any */
} wr_funcref;

/* --------------------------------------------------------------- vmctx */

/*
 * Every instance has one vmctx, passed as the first argument of every
 * compiled function. A fixed header, then per-module arrays whose offsets
 * wr_vmctx_layout_compute derives from counts alone, so the compiler and
 * the runtime agree without sharing code.
 */
typedef struct wr_vmctx_header {
  wr_memory_abi *memory; /* memory 0, or NULL */
  uintptr_t stack_limit; /* trap if the frame address drops below */
  void *const *helpers;  /* WR_HELPER_* functions */
  void *instance;        /* the owning wr_instance */
  uint32_t *type_ids;    /* canonical id per type index */
  wr_funcref **funcs;    /* record per function index, imports first */
  wr_table_abi **tables; /* per table index */
  /* Guard mode: memory 0's base, which never moves there, so that code
   * reaches memory with one load from the vmctx instead of two (through
   * memory). NULL in explicit mode or without a memory. */
  uint8_t *memory_base;
} wr_vmctx_header;

enum {
  WR_VMCTX_MEMORY = offsetof(wr_vmctx_header, memory),
  WR_VMCTX_STACK_LIMIT = offsetof(wr_vmctx_header, stack_limit),
  WR_VMCTX_HELPERS = offsetof(wr_vmctx_header, helpers),
  WR_VMCTX_INSTANCE = offsetof(wr_vmctx_header, instance),
  WR_VMCTX_TYPE_IDS = offsetof(wr_vmctx_header, type_ids),
  WR_VMCTX_FUNCS = offsetof(wr_vmctx_header, funcs),
  WR_VMCTX_TABLES = offsetof(wr_vmctx_header, tables),
  WR_VMCTX_MEMORY_BASE = offsetof(wr_vmctx_header, memory_base),
};
_Static_assert(sizeof(wr_vmctx_header) == 64, "vmctx header is 64 bytes");

/*
 * Globals live in the vmctx after the header: first an 8-byte pointer slot
 * per imported global (pointing at the exporter's 16-byte cell), then,
 * 16-aligned, a 16-byte cell per defined global, inline.
 */
typedef struct wr_vmctx_layout {
  uint32_t imported_globals; /* offset of the pointer slots */
  uint32_t defined_globals;  /* offset of the inline cells */
  uint32_t size;             /* total bytes of the vmctx */
} wr_vmctx_layout;

static inline wr_vmctx_layout wr_vmctx_layout_compute(uint32_t n_globals,
                                                      uint32_t n_imported) {
  wr_vmctx_layout l;
  l.imported_globals = (uint32_t)sizeof(wr_vmctx_header);
  l.defined_globals = (l.imported_globals + 8u * n_imported + 15u) & ~15u;
  l.size = l.defined_globals + 16u * (n_globals - n_imported);
  return l;
}

/*
 * After the globals, two arrays that spare compiled code a load through
 * the header: the canonical type id of every type index (u32, the values
 * header.type_ids points to), then, 8-aligned, per table its element array
 * if the table's size is fixed (wr_table_fixed: the array never moves) or
 * NULL. The compiler reads these instead of header.type_ids and tables.
 */
typedef struct wr_vmctx_tail {
  uint32_t type_ids;    /* offset of u32[n_types] */
  uint32_t table_elems; /* offset of wr_table_elem *[n_tables] */
  uint32_t size;        /* total bytes of the vmctx */
} wr_vmctx_tail;

static inline wr_vmctx_tail
wr_vmctx_tail_compute(wr_vmctx_layout l, uint32_t n_types, uint32_t n_tables) {
  wr_vmctx_tail t;
  t.type_ids = l.size;
  t.table_elems = (t.type_ids + 4u * n_types + 7u) & ~7u;
  t.size = t.table_elems + 8u * n_tables;
  return t;
}

/* A table whose type has max == min never changes size: growing past the
 * max fails, and an import of it matches only a table whose size is at
 * least min and whose max is at most max. Its size is min for good and its
 * element array never moves. Linkers give C and Rust programs' indirect
 * function tables such a type. */
static inline int wr_table_fixed(int has_max, uint32_t min, uint32_t max) {
  return has_max && max == min;
}

/* Byte offset of global 'g' in the vmctx: a pointer slot if imported,
 * else the cell itself. */
static inline uint32_t wr_vmctx_global_offset(wr_vmctx_layout l, uint32_t g,
                                              uint32_t n_imported) {
  return g < n_imported ? l.imported_globals + 8u * g
                        : l.defined_globals + 16u * (g - n_imported);
}

/* ------------------------------------------------------------- helpers */

/*
 * Runtime functions compiled code calls through vmctx->helpers[WR_HELPER_*]
 * (no relocations). Row: name, C signature. Those that can fail trap
 * themselves (they never return then). Counts and indices are u32.
 */
#define WR_HELPER_MAP(X)                                                       \
  X(TRAP, void (*)(void *vmctx, uint32_t kind))                                \
  X(MEMORY_GROW, uint32_t (*)(void *vmctx, uint32_t delta_pages))              \
  X(MEMORY_FILL, void (*)(void *vmctx, uint32_t d, uint32_t val, uint32_t n))  \
  X(MEMORY_COPY, void (*)(void *vmctx, uint32_t d, uint32_t s, uint32_t n))    \
  X(MEMORY_INIT,                                                               \
    void (*)(void *vmctx, uint32_t seg, uint32_t d, uint32_t s, uint32_t n))   \
  X(DATA_DROP, void (*)(void *vmctx, uint32_t seg))                            \
  X(TABLE_GROW,                                                                \
    uint32_t (*)(void *vmctx, uint32_t table, void *init, uint32_t delta))     \
  X(TABLE_FILL,                                                                \
    void (*)(void *vmctx, uint32_t table, uint32_t i, void *val, uint32_t n))  \
  X(TABLE_COPY, void (*)(void *vmctx, uint32_t dst, uint32_t src, uint32_t d,  \
                         uint32_t s, uint32_t n))                              \
  X(TABLE_INIT, void (*)(void *vmctx, uint32_t table, uint32_t seg,            \
                         uint32_t d, uint32_t s, uint32_t n))                  \
  X(ELEM_DROP, void (*)(void *vmctx, uint32_t seg))                            \
  X(HOST_CALL, void (*)(void *vmctx, uint32_t func, wr_val *vals))

enum {
#define WR__X(name, sig) WR_HELPER_##name,
  WR_HELPER_MAP(WR__X)
#undef WR__X
      WR_HELPER_COUNT
};

/* ------------------------------------------------------- object symbols */

/*
 * Symbols the compiler defines in every artifact object (all else is
 * internal), three tables of int64 offsets, each from the table's own
 * start to the function it names (0: none). Offsets rather than pointers
 * keep the tables free of load-time fixups, so their pages stay the
 * file's; wr_abi_table_fn turns an entry into an address.
 *   wasmaot_funcs     [n_funcs - n_func_imports]: defined functions
 *   wasmaot_tramps    [n_types]: entry trampolines, one per type index,
 *                     void tramp(void *code, void *vmctx, wr_val *vals):
 *                     reads params from vals[0..], calls code(vmctx, ...),
 *                     writes results to vals[0..]
 *   wasmaot_adapters  [n_func_imports]: Wasm-ABI functions that forward
 *                     a call of imported function i to a host function:
 *                     spill params to a wr_val array, call
 *                     helpers[HOST_CALL](vmctx, i, vals), return results
 * and the sections:
 *   .wasmaot.meta     the metadata blob (runtime/meta.h)
 *   .wasmaot.data     data-segment bytes, referenced from the metadata
 * Undefined symbols the object may reference are only those the runtime's
 * linker table lists (memcpy, memmove, memset and libm rounding functions).
 */
static inline void *wr_abi_table_fn(const int64_t *table, uint32_t i) {
  return table[i] ? (void *)((const char *)table + table[i]) : (void *)0;
}

#define WR_SYM_FUNCS "wasmaot_funcs"
#define WR_SYM_TRAMPS "wasmaot_tramps"
#define WR_SYM_ADAPTERS "wasmaot_adapters"
#define WR_SECTION_META ".wasmaot.meta"
#define WR_SECTION_DATA ".wasmaot.data"

typedef void (*wr_tramp_fn)(void *code, void *vmctx, wr_val *vals);

#endif
