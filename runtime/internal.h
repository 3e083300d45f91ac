/*
 * internal.h: what the runtime's files share (prefix wr__). The object
 * layouts behind wr.h's opaque types, the linker's view of an artifact,
 * the code and memory registries the signal handler reads, and the
 * per-thread call state that traps unwind to.
 */
#ifndef WR_INTERNAL_H
#define WR_INTERNAL_H

#include "wr.h"

#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>

/* Thread-local state the signal handler touches must not need
 * __tls_get_addr (not async-signal-safe on first use). */
#define WR_TLS _Thread_local __attribute__((tls_model("initial-exec")))

/* --------------------------------------------------------------- artifact */

/* A defined function's code range, for backtraces (sorted by start). */
typedef struct wr__fn_range {
  uintptr_t start, end;
  uint32_t func_index; /* module index (imports counted) */
} wr__fn_range;

struct wr_artifact {
  atomic_int refs;
  wa_arena arena; /* meta, copied meta blob, link tables */
  wr_meta meta;
  wa_map map;          /* wr_artifact_open: the file, owned */
  const uint8_t *data; /* .wasmaot.data (in map or caller's bytes) */
  uint64_t data_len;
  uint64_t data_pos; /* .wasmaot.data's offset in the loaded bytes */
  int file_fd;       /* wr_artifact_load_file: the bytes' file, or -1 */
  uint64_t file_off; /* where the loaded bytes start in file_fd */
  uint8_t *image;    /* one mapping: text | rodata+GOT | data */
  size_t image_size;
  uintptr_t code_start, code_end; /* the executable part of image */
  /* The wasmaot_* tables in the image (wr_abi_table_fn reads them). */
  const int64_t *funcs, *tramps, *adapters;
  wr__fn_range *ranges;
  uint32_t n_ranges;
  wr_artifact_image info; /* what wr__link did, for `inspect` */
  int code_slot;          /* in the code registry, or -1 */
};

/* Checks the ELF header and section table, finds and decodes the metadata
 * (a copy of it in 'arena' with WR__PARSE_COPY; an artifact for another
 * architecture only with WR__PARSE_ANY_MACHINE). Leaves *elf open on
 * success. */
enum { WR__PARSE_COPY = 1, WR__PARSE_ANY_MACHINE = 2 };
struct Elf;
int wr__artifact_parse(const uint8_t *bytes, size_t len, const char *what,
                       wa_arena *arena, unsigned flags, wr_meta *meta,
                       struct Elf **elf, wa_err *err) WA_MUST_CHECK;
int wr__check_host(const wr_meta *m, wa_err *err) WA_MUST_CHECK;

/* link.c: maps the pre-linked image (from a's file when it has one and
 * image_pos, the image's offset in the loaded bytes, is page-aligned
 * there; -1 when the image is not part of them), applies the fixups of
 * the link section and protects it; fills the code, function and table
 * fields of a. */
int wr__link(wr_artifact *a, const uint8_t *image, size_t image_len,
             int64_t image_pos, const uint8_t *link, size_t link_len,
             wa_err *err) WA_MUST_CHECK;
void wr__unlink(wr_artifact *a);
void wr__artifact_ref(wr_artifact *a);

/* cpu_<arch>.c: is LLVM feature 'name' (without '+') present here?
 * 1 yes, 0 no, -1 unknown name. */
int wr__cpu_has(const char *name, size_t len);
/* Makes code written by stores visible to instruction fetch. */
void wr__icache_flush(void *start, size_t len);
/* The features a named CPU baseline implies ("x86-64-v3"), as a
 * comma-separated "+a,+b" list, or NULL if the name is not a baseline. */
const char *wr__cpu_baseline(const char *cpu, size_t len);

/* -------------------------------------------------------------- registry */

/* Address ranges the signal handler classifies faults with. Registration
 * takes a lock; lookup is lock-free and async-signal-safe. */
enum { WR__REG_CODE, WR__REG_MEMORY };
int wr__registry_add(int which, uintptr_t start, uintptr_t end, void *owner,
                     wa_err *err) WA_MUST_CHECK;
void wr__registry_remove(int which, int slot);
void *wr__registry_find(int which, uintptr_t addr);

/* Maps a pc inside registered code to its function (for backtraces). */
bool wr__code_lookup(uintptr_t pc, const wr_artifact **a,
                     const wr__fn_range **fn);

/* ---------------------------------------------------------------- memory */

struct wr_memory {
  wr_memory_abi abi; /* first: compiled code reads base and size here */
  uint8_t bounds;
  bool has_max;
  uint32_t max;       /* declared max, if has_max */
  uint32_t max_pages; /* effective limit */
  size_t mapped;      /* bytes mapped (explicit) or reserved (guard) */
  int slot;           /* memory registry slot (guard), or -1 */
  wr_memory *next;    /* store list */
};

/* Maps the whole pages of [d, d + n) copy-on-write from fd at file offset
 * foff and copies the partial pages at either end from src (the same
 * bytes); returns 1. The caller has checked the bounds. Returns 0, having
 * changed nothing, unless m is a guard-mode memory (explicit mode grows
 * with mremap, which needs one mapping), d and foff agree modulo the page
 * size and the segment spans a few whole pages. -1: the mapping failed and
 * left a hole in m. */
int wr__memory_map_file(wr_memory *m, uint64_t d, const uint8_t *src,
                        uint64_t n, int fd, uint64_t foff);
int wr__memory_create(uint32_t min, uint32_t max, bool has_max, uint8_t bounds,
                      wr_memory **out, wa_err *err) WA_MUST_CHECK;
void wr__memory_free(wr_memory *m);

/* ----------------------------------------------------------------- table */

#define WR__TABLE_LIMIT 10000000u /* elements; larger grows fail */

struct wr_table {
  wr_table_abi abi; /* first */
  uint8_t elemtype;
  bool has_max;
  uint32_t cap;
  wr_table *next;
};

/* The element that holds ref in a table of elemtype (wr_abi.h): funcref
 * elements copy the reference's call fields. */
static inline wr_table_elem wr__table_elem(uint8_t elemtype, void *ref) {
  wr_table_elem e = {NULL, NULL, WR_TYPE_ID_NONE, 0, ref};
  if (ref && elemtype == 0x70) {
    const wr_funcref *f = ref;
    e.code = f->code;
    e.vmctx = f->vmctx;
    e.type_id = f->type_id;
  }
  return e;
}

int wr__table_create(uint8_t elemtype, uint32_t min, uint32_t max, bool has_max,
                     void *init, wr_table **out, wa_err *err) WA_MUST_CHECK;
void wr__table_free(wr_table *t);
uint32_t wr__table_grow(wr_table *t, uint32_t delta, void *init);

/* ---------------------------------------------------------------- global */

struct wr_global {
  wr_val *cell; /* own_cell, or a cell inside an instance's vmctx */
  uint8_t type;
  bool mut;
  wr_global *next;
  _Alignas(16) wr_val own_cell;
};

/* ------------------------------------------------------------- functions */

struct wr_func {
  wr_funcref ref; /* first: tables and vmctx->funcs point here */
  const wr_meta_type *type;
  wr_instance *inst; /* defining/importing instance; NULL for host */
  uint32_t typeidx;  /* in inst's module (its trampolines) */
  wr_host_fn fn;     /* host functions */
  void *env;
  wr_meta_type own_type; /* host functions: copy of the signature */
  uint8_t *own_types;
  wr_func *next; /* store list (host functions) */
};

/* Process-wide canonical id of a function signature (call_indirect
 * compares these across instances). */
int wr__type_id(const wr_meta_type *t, uint32_t *out,
                wa_err *err) WA_MUST_CHECK;
bool wr__type_eq(const wr_meta_type *a, const wr_meta_type *b);

/* -------------------------------------------------------------- instance */

struct wr_caller {
  wr_instance *inst;
  int32_t exit_code;
  bool has_msg;
  char msg[160];
};

struct wr_instance {
  wr_store *store;
  wr_artifact *art;
  const wr_meta *meta;
  wr_vmctx_header *vmctx;
  wr_vmctx_layout layout;
  uint32_t *type_ids;
  wr_func **funcs;    /* per function index (vmctx->funcs) */
  wr_func *own_funcs; /* defined functions, then host-import wrappers */
  wr_table **tables;
  wr_table_abi **table_abis;
  wr_memory **memories;
  wr_global **globals;
  wr_global *own_globals;
  void ***elem_refs;  /* evaluated element segments */
  uint32_t *elem_len; /* 0 once dropped */
  uint32_t *data_len; /* 0 once dropped */
  wr_instance *next;
};

struct wr_store {
  wr_instance *instances;
  wr_func *funcs;
  wr_memory *memories;
  wr_table *tables;
  wr_global *globals;
  uintptr_t stack_limit; /* what every vmctx of the store holds now */
};

void wr__instance_free(wr_instance *inst);
/* Sets the stack limit in every vmctx of the store. */
void wr__store_set_limit(wr_store *s, uintptr_t limit);

/* --------------------------------------------------------------- helpers */

extern void *const wr__helpers[WR_HELPER_COUNT];

/* Bounds-checked segment and bulk operations shared by the helpers and
 * instantiation; they return a trap kind (0 = done). */
uint32_t wr__memory_init(wr_instance *inst, uint32_t seg, uint32_t d,
                         uint32_t s, uint32_t n);
uint32_t wr__table_init(wr_instance *inst, uint32_t table, uint32_t seg,
                        uint32_t d, uint32_t s, uint32_t n);

/* ------------------------------------------------------------ calls, traps */

/* One per active wr_call on a thread, innermost first. */
typedef struct wr__frame {
  sigjmp_buf jb;
  struct wr__frame *prev;
  volatile sig_atomic_t armed;
  wr_trap *trap;
  uintptr_t stack_top; /* frame walks stop here */
} wr__frame;

extern WR_TLS wr__frame *wr__top;

/* Records a trap in the innermost wr_call and unwinds to it. 'fp' starts
 * the backtrace walk (NULL: the caller's frame). */
WA_NORETURN void wr__trap_raise(uint32_t kind, int32_t exit_code,
                                const char *msg);
/* Fills trap->frames by walking frame pointers from fp (first frame pc,
 * if nonzero, is reported as is). Async-signal-safe. */
void wr__backtrace(wr_trap *trap, uintptr_t pc, uintptr_t fp, uintptr_t sp,
                   uintptr_t top);

/* signal_linux.c */
int wr__signals_init(wa_err *err) WA_MUST_CHECK;
int wr__thread_init(wa_err *err) WA_MUST_CHECK;

/* fault_<arch>.c: registers from a signal's ucontext. */
typedef struct wr__fault_regs {
  uintptr_t pc, sp, fp;
} wr__fault_regs;
void wr__fault_regs_get(const void *ucontext, wr__fault_regs *out);

/* Native stack bounds of the calling thread. */
int wr__stack_bounds(uintptr_t *lo, uintptr_t *hi, wa_err *err) WA_MUST_CHECK;

#endif
