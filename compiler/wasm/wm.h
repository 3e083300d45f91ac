/*
 * wm.h: the Wasm front end (prefix wm_): binary decoder, validator and the
 * module IR that the compiler lowers. No LLVM here; this module is fuzzed
 * on its own. Covers the Wasm 2.0 core binary format, SIMD included.
 *
 * Zero-copy: names, function types, function bodies and data segments point
 * into the module bytes passed to wm_decode, which must outlive the module.
 */
#ifndef WM_H
#define WM_H

#include "wa.h"

#include <stdbool.h>
#include <stdint.h>

/* ------------------------------------------------------------------ types */

enum {
  WM_I32 = 0x7f,
  WM_I64 = 0x7e,
  WM_F32 = 0x7d,
  WM_F64 = 0x7c,
  WM_V128 = 0x7b,
  WM_FUNCREF = 0x70,
  WM_EXTERNREF = 0x6f,
};

/* Immediate kinds of opcodes.def. */
#define WM_IMM_MAP(X)                                                          \
  X(NONE)                                                                      \
  X(BLOCK)         /* blocktype: empty, one valtype or a type index */         \
  X(LABEL)         /* relative depth */                                        \
  X(BR_TABLE)      /* vec(label) + default */                                  \
  X(FUNC)          /* funcidx */                                               \
  X(CALL_INDIRECT) /* typeidx, tableidx */                                     \
  X(LOCAL)         /* localidx */                                              \
  X(GLOBAL)        /* globalidx */                                             \
  X(TABLE)         /* tableidx */                                              \
  X(MEMARG)        /* align, offset */                                         \
  X(MEMARG_LANE)   /* align, offset, lane */                                   \
  X(MEMIDX)        /* a 0x00 byte (memory 0) */                                \
  X(MEM_INIT)      /* dataidx, 0x00 */                                         \
  X(MEM_COPY)      /* 0x00, 0x00 */                                            \
  X(DATA)          /* dataidx */                                               \
  X(ELEM)          /* elemidx */                                               \
  X(TABLE_INIT)    /* elemidx, tableidx */                                     \
  X(TABLE_COPY)    /* dst tableidx, src tableidx */                            \
  X(I32)                                                                       \
  X(I64)                                                                       \
  X(F32)                                                                       \
  X(F64)                                                                       \
  X(V128)                                                                      \
  X(LANE)     /* one lane-index byte */                                        \
  X(SHUFFLE)  /* 16 lane-index bytes */                                        \
  X(SELECT_T) /* vec(valtype) */                                               \
  X(REFTYPE)  /* reftype byte */

enum {
#define WM__X(k) WM_IMM_##k,
  WM_IMM_MAP(WM__X)
#undef WM__X
};

/* Every opcode, in table order: WM_OP_I32_ADD, WM_OP_V128_LOAD, ... */
typedef enum wm_op {
#define WM_OP(name, ...) WM_OP_##name,
#define WM_OP_FC(name, ...) WM_OP_##name,
#define WM_OP_FD(name, ...) WM_OP_##name,
#include "opcodes.def"
#undef WM_OP
#undef WM_OP_FC
#undef WM_OP_FD
  WM_OP_COUNT
} wm_op;

/* Static facts about an opcode, straight from its opcodes.def row. */
/* The longest instruction name plus its NUL (opinfo.c checks every row). */
#define WM_OPTEXT_MAX 30

typedef struct wm_opinfo {
  uint32_t code;  /* byte or sub-opcode */
  uint8_t prefix; /* 0, 0xfc or 0xfd */
  uint8_t imm;    /* WM_IMM_* */
  uint8_t size;   /* access size (MEMARG*) or lane count (LANE) */
  uint8_t result; /* valtype or 0 */
  uint8_t params[3];
  /* "i32.add": inline, not a pointer, so that the table needs no load-time
   * relocation (the static-pie front would copy each of its pages on every
   * start) and stays in read-only memory */
  char text[WM_OPTEXT_MAX];
} wm_opinfo;

extern const wm_opinfo wm_opinfos[WM_OP_COUNT];

const char *wm_valtype_name(uint8_t t); /* "i32", "funcref", ... "?" */
bool wm_is_reftype(uint8_t t);
bool wm_is_valtype(uint8_t t);

/* A name inside the module bytes: not NUL-terminated, valid UTF-8. */
typedef struct wm_name {
  const char *ptr;
  uint32_t len;
} wm_name;

typedef struct wm_functype {
  uint32_t n_params, n_results;
  const uint8_t *params;  /* n_params valtype bytes */
  const uint8_t *results; /* n_results valtype bytes */
} wm_functype;

typedef struct wm_limits {
  uint32_t min, max;
  bool has_max;
} wm_limits;

enum {
  WM_EXTERN_FUNC = 0,
  WM_EXTERN_TABLE = 1,
  WM_EXTERN_MEMORY = 2,
  WM_EXTERN_GLOBAL = 3,
};

typedef struct wm_tabletype {
  uint8_t elemtype; /* WM_FUNCREF or WM_EXTERNREF */
  wm_limits limits;
} wm_tabletype;

typedef struct wm_globaltype {
  uint8_t type;
  bool mut;
} wm_globaltype;

/*
 * A constant expression, already reduced to its one instruction (Wasm 2.0
 * allows exactly one before `end`).
 */
enum {
  WM_CONST_I32,
  WM_CONST_I64,
  WM_CONST_F32,
  WM_CONST_F64,
  WM_CONST_V128,
  WM_CONST_REF_NULL,   /* index = reftype */
  WM_CONST_REF_FUNC,   /* index = funcidx */
  WM_CONST_GLOBAL_GET, /* index = globalidx */
  /* Decoded but not a valid constant expression (several instructions or
   * a non-constant one); wm_validate rejects it, so compiled modules never
   * hold one. index = WM_CONST_BAD_*, off = the offending instruction. */
  WM_CONST_INVALID,
};
enum { WM_CONST_BAD_NONCONST, WM_CONST_BAD_ARITY };

typedef struct wm_constexpr {
  uint8_t kind;   /* WM_CONST_* */
  uint8_t type;   /* the valtype it produces */
  uint32_t index; /* see kinds */
  union {
    uint32_t i32; /* also the f32 bit pattern */
    uint64_t i64; /* also the f64 bit pattern */
    uint8_t v128[16];
  } u;
  uint32_t off; /* byte offset of the expression in the module */
} wm_constexpr;

typedef struct wm_import {
  wm_name module, field;
  uint8_t kind; /* WM_EXTERN_* */
  union {
    uint32_t func_type; /* typeidx */
    wm_tabletype table;
    wm_limits memory;
    wm_globaltype global;
  } u;
  uint32_t off;
} wm_import;

typedef struct wm_export {
  wm_name name;
  uint8_t kind;
  uint32_t index;
  uint32_t off;
} wm_export;

typedef struct wm_global {
  wm_globaltype type;
  bool imported;
  wm_constexpr init; /* unset when imported */
} wm_global;

typedef struct wm_table {
  wm_tabletype type;
  bool imported;
} wm_table;

typedef struct wm_memory {
  wm_limits limits; /* in 64 KiB pages */
  bool imported;
} wm_memory;

enum { WM_SEG_ACTIVE, WM_SEG_PASSIVE, WM_SEG_DECLARATIVE };

typedef struct wm_elem {
  uint8_t mode;     /* WM_SEG_* */
  uint8_t elemtype; /* WM_FUNCREF or WM_EXTERNREF */
  uint32_t table;   /* active only */
  wm_constexpr offset;
  uint32_t n_items;
  wm_constexpr *items; /* ref.func / ref.null / global.get each */
  uint32_t off;
} wm_elem;

typedef struct wm_data {
  uint8_t mode; /* WM_SEG_ACTIVE or WM_SEG_PASSIVE */
  uint32_t memory;
  wm_constexpr offset;
  const uint8_t *bytes;
  uint32_t len;
  uint32_t off; /* byte offset of the segment */
} wm_data;

typedef struct wm_localgroup {
  uint32_t count;
  uint8_t type;
} wm_localgroup;

/* A defined function's body. */
typedef struct wm_code {
  uint32_t n_groups;
  wm_localgroup *groups;
  uint32_t n_locals;   /* declared locals, parameters not included */
  const uint8_t *body; /* first instruction, just after the locals */
  const uint8_t *end;  /* one past the final `end` opcode */
  uint32_t body_off;   /* module offset of 'body' */
  uint32_t size_off;   /* module offset of the entry's size field */
} wm_code;

typedef struct wm_section {
  uint8_t id;
  uint32_t off;  /* of the section's contents */
  uint32_t size; /* of the contents */
  wm_name name;  /* custom sections only */
} wm_section;

typedef struct wm_local_name {
  uint32_t func, local;
  wm_name name;
} wm_local_name;

/* Features the module uses, found while decoding and validating. */
#define WM_FEATURE_MAP(X)                                                      \
  X(MUTABLE_GLOBALS, "mutable-globals")                                        \
  X(SIGN_EXT, "sign-ext")                                                      \
  X(SAT_FLOAT_TO_INT, "sat-float-to-int")                                      \
  X(MULTI_VALUE, "multi-value")                                                \
  X(BULK_MEMORY, "bulk-memory")                                                \
  X(REFERENCE_TYPES, "reference-types")                                        \
  X(SIMD, "simd")

enum {
#define WM__X(n, s) WM__FEAT_IDX_##n,
  WM_FEATURE_MAP(WM__X)
#undef WM__X
};
enum {
#define WM__X(n, s) WM_FEATURE_##n = 1u << WM__FEAT_IDX_##n,
  WM_FEATURE_MAP(WM__X)
#undef WM__X
};
const char *wm_feature_name(uint32_t bit);
/* "type", "data count", ...; "unknown" past the last section id. */
const char *wm_section_name(uint8_t id);

/*
 * The decoded module. Index spaces put imports first, as the spec does:
 * funcs[i] for i < n_func_imports is imported, and so on for tables,
 * memories and globals. All arrays are owned by the module's arena.
 */
typedef struct wm_module {
  const uint8_t *bytes; /* borrowed: must outlive the module */
  size_t len;
  uint8_t sha256[32];

  uint32_t n_types;
  wm_functype *types;

  uint32_t n_imports;
  wm_import *imports;

  uint32_t n_funcs, n_func_imports;
  uint32_t *func_types; /* typeidx for every function, imports first */
  wm_code *codes;       /* n_funcs - n_func_imports bodies */

  uint32_t n_tables, n_table_imports;
  wm_table *tables;

  uint32_t n_memories, n_memory_imports;
  wm_memory *memories;

  uint32_t n_globals, n_global_imports;
  wm_global *globals;

  uint32_t n_exports;
  wm_export *exports;

  bool has_start;
  uint32_t start;

  uint32_t n_elems;
  wm_elem *elems;

  bool has_data_count;
  uint32_t data_count;
  uint32_t n_datas;
  wm_data *datas;

  /* name section; absent names have len 0 */
  wm_name module_name;
  wm_name *func_names; /* n_funcs entries, or NULL if no names */
  uint32_t n_local_names;
  wm_local_name *local_names; /* sorted by (func, local) */

  uint32_t n_sections;
  wm_section *sections; /* in file order, custom sections included */

  uint32_t features; /* WM_FEATURE_* bits */

  const char *what; /* arena copy of wm_decode's 'what', or NULL */

  wa_arena arena;
} wm_module;

/*
 * Decodes a binary module. 'bytes' is borrowed and must outlive *out.
 * 'what' (a file name, may be NULL) goes into error reports. Rejections
 * are WA_EMALFORMED with the byte offset set. Does not validate typing.
 */
int wm_decode(const uint8_t *bytes, size_t len, const char *what,
              wm_module **out, wa_err *err) WA_MUST_CHECK;

/* Full Wasm 2.0 validation; WA_EINVALID with offset and function. */
int wm_validate(wm_module *m, wa_err *err) WA_MUST_CHECK;

/* wm_decode then wm_validate; frees on failure. */
int wm_load(const uint8_t *bytes, size_t len, const char *what, wm_module **out,
            wa_err *err) WA_MUST_CHECK;

void wm_module_free(wm_module *m);

/* Lookups used by the compiler and by backtraces. */
const wm_functype *wm_func_type(const wm_module *m, uint32_t funcidx);
wm_name wm_func_name(const wm_module *m, uint32_t funcidx);
/* Type of local 'idx' of defined function 'funcidx' (params first). */
uint8_t wm_local_type(const wm_module *m, uint32_t funcidx, uint32_t idx);

/* ------------------------------------------------------ instruction reader */

/* A bounds-checked cursor over module bytes; offsets are module-relative. */
typedef struct wm_reader {
  const uint8_t *base; /* module start, for offsets in errors */
  const uint8_t *p, *end;
} wm_reader;

int wm_read_u8(wm_reader *r, uint8_t *out, wa_err *err) WA_MUST_CHECK;
int wm_read_u32(wm_reader *r, uint32_t *out, wa_err *err) WA_MUST_CHECK;
int wm_read_s32(wm_reader *r, int32_t *out, wa_err *err) WA_MUST_CHECK;
int wm_read_s33(wm_reader *r, int64_t *out, wa_err *err) WA_MUST_CHECK;
int wm_read_s64(wm_reader *r, int64_t *out, wa_err *err) WA_MUST_CHECK;
static inline uint32_t wm_reader_off(const wm_reader *r) {
  return (uint32_t)(r->p - r->base);
}

/* Block types: empty, a single result, or a function type index. */
enum { WM_BLOCK_EMPTY = -1, WM_BLOCK_VALTYPE = -2 };

typedef struct wm_instr {
  wm_op op;
  uint32_t off; /* module offset of the opcode */
  union {
    struct {
      int64_t type_index; /* >= 0: typeidx; else WM_BLOCK_EMPTY/VALTYPE */
      uint8_t valtype;    /* when WM_BLOCK_VALTYPE */
    } block;
    uint32_t index; /* label, func, local, global, table, data, elem */
    struct {
      uint32_t type, table;
    } call_indirect;
    struct {
      uint32_t align; /* log2, as encoded */
      uint32_t offset;
      uint8_t lane;
    } mem;
    struct {
      uint32_t n_targets;      /* not counting the default */
      const uint8_t *targets;  /* LEB-encoded; read with wm_br_table_next */
      uint32_t default_target; /* decoded */
    } br_table;
    struct {
      uint32_t a, b; /* TABLE_INIT: elem, table; TABLE_COPY: dst, src;
                        MEM_INIT: data, memory */
    } pair;
    struct {
      uint32_t n;
      const uint8_t *types;
    } select_t;
    uint8_t reftype;
    uint8_t lane;
    uint8_t shuffle[16];
    int32_t i32;
    int64_t i64;
    uint32_t f32; /* bit pattern */
    uint64_t f64; /* bit pattern */
    uint8_t v128[16];
  } u;
} wm_instr;

/*
 * Decodes the instruction at r->p, its immediates included, and advances.
 * Checks the encoding only (WA_EMALFORMED), not typing.
 */
int wm_instr_next(wm_reader *r, wm_instr *out, wa_err *err) WA_MUST_CHECK;

/* Iterates br_table targets: start with *cursor = instr.u.br_table.targets;
 * only for instructions that wm_instr_next already decoded. */
uint32_t wm_br_table_next(const uint8_t **cursor);

/* A reader over defined function 'codeidx' (0-based among definitions). */
wm_reader wm_code_reader(const wm_module *m, uint32_t codeidx);

#endif
