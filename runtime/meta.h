/*
 * meta.h: the artifact metadata (section .wasmaot.meta). Written by the
 * compiler, read by the runtime, which therefore never needs the .wasm.
 * The byte layout is documented in docs/artifact-format.md; the codec is
 * runtime/meta.c, linked by both sides.
 */
#ifndef WR_META_H
#define WR_META_H

#include "wa.h"
#include "wr_abi.h"

#include <stdbool.h>

#define WR_META_MAGIC "WAOMETA" /* 8 bytes with the NUL */
#define WR_FORMAT_VERSION 2u

/* Names are length-counted (Wasm names may hold NUL) and NUL-terminated
 * for convenience. */
typedef struct wr_name {
  const char *ptr;
  uint32_t len;
} wr_name;

typedef struct wr_meta_type {
  uint32_t n_params, n_results;
  const uint8_t *params, *results; /* valtype bytes (WM_I32 = 0x7f, ...) */
} wr_meta_type;

/* A constant expression (global init, segment offset, element item). */
enum {
  WR_CONST_I32,
  WR_CONST_I64,
  WR_CONST_F32,
  WR_CONST_F64,
  WR_CONST_V128,
  WR_CONST_REF_NULL,   /* index = reftype */
  WR_CONST_REF_FUNC,   /* index = funcidx */
  WR_CONST_GLOBAL_GET, /* index = globalidx */
};
typedef struct wr_meta_const {
  uint8_t kind;
  uint32_t index;
  uint8_t bytes[16]; /* little-endian value for the numeric kinds */
} wr_meta_const;

typedef struct wr_meta_import {
  wr_name module, field;
  uint8_t kind;   /* 0 func, 1 table, 2 memory, 3 global */
  uint32_t index; /* index within its kind's space */
} wr_meta_import;

typedef struct wr_meta_table {
  uint8_t elemtype;
  bool imported, has_max;
  uint32_t min, max;
} wr_meta_table;

typedef struct wr_meta_memory {
  bool imported, has_max;
  uint32_t min, max; /* pages */
} wr_meta_memory;

typedef struct wr_meta_global {
  uint8_t type;
  bool mut, imported;
  wr_meta_const init;
} wr_meta_global;

typedef struct wr_meta_export {
  wr_name name;
  uint8_t kind;
  uint32_t index;
} wr_meta_export;

enum { WR_SEG_ACTIVE, WR_SEG_PASSIVE, WR_SEG_DECLARATIVE };

typedef struct wr_meta_elem {
  uint8_t mode, elemtype;
  uint32_t table;
  wr_meta_const offset;
  uint32_t n_items;
  wr_meta_const *items;
} wr_meta_elem;

typedef struct wr_meta_data {
  uint8_t mode;
  wr_meta_const offset;
  uint64_t data_off; /* into section .wasmaot.data */
  uint32_t len;
} wr_meta_data;

typedef struct wr_meta {
  uint32_t format_version; /* WR_FORMAT_VERSION */
  uint32_t abi_version;    /* WR_ABI_VERSION */
  wr_name compiler_version;
  wr_name triple;   /* "x86_64-unknown-linux-gnu" */
  wr_name cpu;      /* "x86-64-v2", "generic", ... */
  wr_name features; /* LLVM feature string, "+sse4.1,+popcnt" */
  uint8_t bounds;   /* WR_BOUNDS_* */
  uint8_t opt_level;
  uint8_t module_sha256[32];

  uint32_t n_types;
  wr_meta_type *types;
  uint32_t n_imports;
  wr_meta_import *imports;
  uint32_t n_funcs, n_func_imports;
  uint32_t *func_types;
  uint32_t n_tables;
  wr_meta_table *tables;
  uint32_t n_memories;
  wr_meta_memory *memories;
  uint32_t n_globals, n_global_imports;
  wr_meta_global *globals;
  uint32_t n_exports;
  wr_meta_export *exports;
  bool has_start;
  uint32_t start;
  uint32_t n_elems;
  wr_meta_elem *elems;
  uint32_t n_datas;
  wr_meta_data *datas;

  wr_name module_name;
  wr_name *func_names; /* n_funcs entries (len 0: no name), or NULL */
} wr_meta;

/* Appends the encoding of m to out. */
int wr_meta_encode(const wr_meta *m, wa_buf *out, wa_err *err) WA_MUST_CHECK;

/*
 * Decodes and checks (indices in range, counts consistent) a metadata blob.
 * Everything *out points to is allocated in 'arena' or borrowed from 'p'
 * (which must outlive *out). Corruption gives WA_ECORRUPT with the offset.
 */
int wr_meta_decode(const uint8_t *p, size_t n, wa_arena *arena, wr_meta *out,
                   wa_err *err) WA_MUST_CHECK;

/* The text name of a valtype byte ("i32", "funcref"), "?" if unknown. */
const char *wr_meta_valtype_name(uint8_t t);

/* "func [i32 i64] -> [f32]" into buf (truncated to n, always terminated):
 * the one spelling of a function type in link errors and listings. */
void wr_meta_type_format(char *buf, size_t n, const wr_meta_type *t);

#endif
