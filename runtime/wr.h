/*
 * wr.h: the embedding API of the wasmaot runtime (prefix wr_). Load a
 * compiled artifact (.wao), instantiate it against imports, call exports,
 * read traps. The spec runner, the CLI and the shim use only this header
 * (plus meta.h to read an artifact's description). Never links LLVM.
 *
 * Ownership: a wr_store owns every instance, host function, memory, table
 * and global created in it; wr_store_free releases them all. Artifacts are
 * reference-counted by the instances made from them and may be freed by
 * the caller right after instantiation.
 */
#ifndef WR_H
#define WR_H

#include "meta.h"
#include "wa.h"
#include "wr_abi.h"

#include <stdbool.h>

typedef struct wr_artifact wr_artifact;
typedef struct wr_store wr_store;
typedef struct wr_instance wr_instance;
typedef struct wr_func wr_func; /* = a wr_funcref record */
typedef struct wr_memory wr_memory;
typedef struct wr_table wr_table;
typedef struct wr_global wr_global;

/* ---------------------------------------------------------------- traps */

#define WR_TRAP_MAX_FRAMES 32

typedef struct wr_frame {
  uint32_t func_index;  /* in the module that defines it */
  wr_name func_name;    /* from the name section; len 0 if none */
  wr_name module_name;  /* len 0 if none */
  uint32_t code_offset; /* pc - function start */
} wr_frame;

typedef struct wr_trap {
  uint32_t kind;     /* WR_TRAP_* */
  int32_t exit_code; /* WR_TRAP_EXIT only */
  uint32_t n_frames; /* innermost first */
  wr_frame frames[WR_TRAP_MAX_FRAMES];
  char msg[160]; /* extra detail, e.g. from a host function */
} wr_trap;

const char *wr_trap_message(uint32_t kind); /* spec wording */
const char *wr_trap_name(uint32_t kind);    /* "OOB_MEMORY" */

/* ------------------------------------------------------------ artifacts */

/*
 * Loads an artifact: checks the ELF header and metadata against this host
 * (format and ABI version, compiler version, target triple, CPU features),
 * maps the code read+execute after applying its relocations. A mismatch
 * is WA_EMISMATCH and names the field; damage is WA_ECORRUPT.
 * wr_artifact_load copies nothing it can avoid: 'bytes' must stay valid
 * until the artifact is freed. wr_artifact_open maps the file itself.
 */
int wr_artifact_load(const uint8_t *bytes, size_t len, const char *what,
                     wr_artifact **out, wa_err *err) WA_MUST_CHECK;
int wr_artifact_open(const char *path, wr_artifact **out,
                     wa_err *err) WA_MUST_CHECK;
void wr_artifact_free(wr_artifact *a); /* drops the caller's reference */
/* As wr_artifact_load, for bytes that are the contents of fd from file
 * offset 'off' on, in a file that never changes while the artifact lives
 * (a cache entry: read-only, replaced only by rename). The code is then
 * mapped from the file instead of copied, and large active data segments
 * copy-on-write. The artifact keeps its own duplicate of fd. fd -1: as
 * wr_artifact_load. */
int wr_artifact_load_file(const uint8_t *bytes, size_t len, int fd,
                          uint64_t off, const char *what, wr_artifact **out,
                          wa_err *err) WA_MUST_CHECK;
const wr_meta *wr_artifact_meta(const wr_artifact *a);

/* How an artifact's code was loaded (docs/artifact-format.md). */
typedef struct wr_artifact_image {
  uint64_t image_size, code_size; /* bytes */
  uint32_t n_fixups, n_externs;   /* applied at load */
  bool prelinked; /* by the compiler; else linked in memory at load */
  bool mapped;    /* code mapped from the file; else copied */
} wr_artifact_image;
const wr_artifact_image *wr_artifact_image_info(const wr_artifact *a);

/* Parses only the metadata, without mapping code (for `inspect` and the
 * cache's header check). *out borrows from 'bytes' and 'arena'. */
int wr_artifact_read_meta(const uint8_t *bytes, size_t len, const char *what,
                          wa_arena *arena, wr_meta *out,
                          wa_err *err) WA_MUST_CHECK;
/* The same for an artifact of any architecture (for `inspect`, which
 * describes what it cannot run); read_meta refuses a foreign one. */
int wr_artifact_describe(const uint8_t *bytes, size_t len, const char *what,
                         wa_arena *arena, wr_meta *out,
                         wa_err *err) WA_MUST_CHECK;

/* This host's description, as artifacts record it. */
const char *wr_host_triple(void); /* "x86_64-unknown-linux-gnu" */
const char *wr_host_arch(void);   /* "x86_64" */

/* ---------------------------------------------------------------- store */

int wr_store_new(wr_store **out, wa_err *err) WA_MUST_CHECK;
void wr_store_free(wr_store *s);

/* ------------------------------------------------------ host-side objects */

/* A host function receives args in vals[0..n_params) and writes results to
 * vals[0..n_results). It returns 0, or a WR_TRAP_* kind to trap (with
 * WR_TRAP_EXIT, set the code through wr_caller_exit). 'caller' is the
 * calling instance (NULL when called from the host). */
typedef struct wr_caller wr_caller;
typedef uint32_t (*wr_host_fn)(void *env, wr_caller *caller, wr_val *vals);

int wr_func_new_host(wr_store *s, const wr_meta_type *type, wr_host_fn fn,
                     void *env, wr_func **out, wa_err *err) WA_MUST_CHECK;

/* The caller's memory 0 (base NULL, size 0 if it has none). Valid until
 * the host function returns or the memory grows. */
void wr_caller_memory(wr_caller *c, uint8_t **base, uint64_t *size);
wr_instance *wr_caller_instance(wr_caller *c);
void wr_caller_exit(wr_caller *c, int32_t code);
void wr_caller_set_message(wr_caller *c, const char *msg);

/* Memories, tables and globals made by the host (e.g. the spectest module).
 * A guard-mode memory reserves 8 GiB of address space; an explicit one
 * does not and may move when it grows. Guard-mode code can only import
 * guard-mode memories. */
int wr_memory_new(wr_store *s, uint32_t min_pages, uint32_t max_pages,
                  bool has_max, uint8_t bounds, wr_memory **out,
                  wa_err *err) WA_MUST_CHECK;
int wr_table_new(wr_store *s, uint8_t elemtype, uint32_t min, uint32_t max,
                 bool has_max, void *init, wr_table **out,
                 wa_err *err) WA_MUST_CHECK;
int wr_global_new(wr_store *s, uint8_t type, bool mut, wr_val init,
                  wr_global **out, wa_err *err) WA_MUST_CHECK;

uint8_t *wr_memory_data(wr_memory *m, uint64_t *size);
uint32_t wr_memory_pages(wr_memory *m);
/* Returns the old size in pages, or UINT32_MAX if it cannot grow. */
uint32_t wr_memory_grow(wr_memory *m, uint32_t delta);

uint32_t wr_table_size(wr_table *t);
uint8_t wr_table_elemtype(wr_table *t);
int wr_table_get(wr_table *t, uint32_t i, void **out); /* -1 if OOB */
int wr_table_set(wr_table *t, uint32_t i, void *ref);  /* -1 if OOB */

wr_val wr_global_get(wr_global *g);
void wr_global_set(wr_global *g, wr_val v);
uint8_t wr_global_type(wr_global *g);
bool wr_global_mutable(wr_global *g);

/* ------------------------------------------------------------ instances */

typedef struct wr_extern {
  uint8_t kind; /* WR extern kind: 0 func, 1 table, 2 memory, 3 global */
  union {
    wr_func *func;
    wr_table *table;
    wr_memory *memory;
    wr_global *global;
  } u;
} wr_extern;

/*
 * Instantiates per the Wasm 2.0 rules: imports[i] must match
 * meta->imports[i] (kind and type; limits by subtyping), else WA_ELINK
 * naming "module.field" and both types. Then tables, memory, globals,
 * element and data segments (in order; a segment out of bounds traps), then
 * the start function. A trap during instantiation returns WA_ETRAP and
 * fills *trap; effects on imported memories and tables stay, as the spec
 * requires. 'imports' may be NULL when n_imports is 0.
 */
int wr_instance_new(wr_store *s, wr_artifact *a, const wr_extern *imports,
                    uint32_t n_imports, wr_instance **out, wr_trap *trap,
                    wa_err *err) WA_MUST_CHECK;

/* Looks up an export by name; WA_ENOTFOUND if absent. */
int wr_instance_export(wr_instance *inst, const char *name, size_t len,
                       wr_extern *out, wa_err *err) WA_MUST_CHECK;
const wr_meta *wr_instance_meta(wr_instance *inst);
wr_memory *wr_instance_memory(wr_instance *inst); /* memory 0 or NULL */

/* ---------------------------------------------------------------- calls */

const wr_meta_type *wr_func_type(wr_func *f);

/*
 * Calls f with vals[0..n_params) and leaves results in vals[0..n_results);
 * vals must hold max(n_params, n_results) slots. A trap returns WA_ETRAP
 * and fills *trap (kind, exit code, Wasm backtrace); the store stays usable.
 * Reentrant: host functions may call wr_call.
 */
int wr_call(wr_func *f, wr_val *vals, wr_trap *trap, wa_err *err) WA_MUST_CHECK;

/* Bytes of native stack that Wasm code may use per wr_call nesting level
 * before STACK_EXHAUSTED; default 4 MiB. Set before the first call. */
void wr_set_stack_budget(size_t bytes);

#endif
