/*
 * internal.h: shared by the compiler's files (prefix wc__). The lowering
 * state (wc_unit per LLVM module, wc_fn per function being lowered), the
 * emitter entry points lower.c dispatches to, and the artifact writer's
 * pieces. Nothing here is visible outside libwasmaot_compiler.so.
 */
#ifndef WC_INTERNAL_H
#define WC_INTERNAL_H

#include "meta.h"
#include "wc.h"
#include "wm.h"
#include "wr_abi.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include <stdbool.h>
#include <stdint.h>

/* ---------------------------------------------------------------- targets */

/* One row per supported architecture (target_<arch>.c). */
typedef struct wc_target {
  const char *arch;         /* triple's arch component: "x86_64" */
  const char *llvm_name;    /* for LLVMGetTargetFromName: "x86-64" */
  const char *baseline_cpu; /* default CPU when not compiling for the host */
  uint16_t elf_machine;     /* EM_X86_64, EM_AARCH64 */
  uint32_t data_align;      /* .wasmaot.data alignment: largest page size */
  void (*init)(void);       /* registers the LLVM target, once */
} wc_target;

extern const wc_target wc__target_x86_64;
extern const wc_target wc__target_aarch64;

/* The target for a triple's arch component ("amd64" and "arm64" are
 * accepted as aliases), or NULL. */
const wc_target *wc__target_for_arch(const char *arch, size_t len);

/* ------------------------------------------------------------ LLVM setup */

/* ctx.c: registers every target once (thread-safe). */
void wc__llvm_init(void);

/* ctx.c: resolves a config and finds its target. */
int wc__resolve(const wc_config *c, wc_resolved *out, const wc_target **tgt,
                wa_err *err) WA_MUST_CHECK;

/* ctx.c: a target machine for a resolved config (PIC, small code model). */
int wc__tm_create(const wc_resolved *r, LLVMTargetMachineRef *out,
                  wa_err *err) WA_MUST_CHECK;

/* Copies an LLVM message into err and disposes it. */
int wc__fail_llvm(wa_err *err, int code, const char *ctx, char *llvm_msg);

/* ------------------------------------------------------------------ units */

/* Type-based alias classes: accesses with different tags never alias. */
enum {
  WC_TBAA_VMCTX,   /* vmctx header, the arrays it points to, import slots */
  WC_TBAA_MEMOBJ,  /* wr_memory_abi fields */
  WC_TBAA_TABLE,   /* wr_table_abi fields */
  WC_TBAA_ELEMS,   /* table element arrays */
  WC_TBAA_FUNCREF, /* wr_funcref fields */
  WC_TBAA_GLOBAL,  /* global cells */
  WC_TBAA_MEM,     /* linear memory */
  WC_TBAA_VALS,    /* trampoline and host-call value arrays */
  WC_TBAA_COUNT
};

/* One LLVM module: a chunk of the Wasm module's functions, compiled in its
 * own LLVMContext (one per thread). */
typedef struct wc_unit {
  const wm_module *m;
  const wc_resolved *cfg;
  bool explicit_bounds;
  bool split; /* several chunks: functions are hidden globals, not internal */
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;  /* instructions */
  LLVMBuilderRef pb; /* phis and entry-block loads */
  LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_i64, t_f32, t_f64, t_v128,
      t_ptr;
  LLVMTypeRef *fn_types; /* per type index: the Wasm ABI function type */
  LLVMTypeRef *ret_types; /* per type index: void, T or a struct */
  LLVMValueRef *funcs;   /* per function index, declared on first use */
  LLVMTypeRef helper_types[WR_HELPER_COUNT];
  unsigned md_tbaa, md_invariant, md_prof, md_nonnull;
  LLVMValueRef tbaa[WC_TBAA_COUNT];
  LLVMValueRef md_empty, prof_unlikely;
  LLVMAttributeRef fn_attrs[4];
  unsigned n_fn_attrs;
  char diag[256]; /* first LLVM error diagnostic */
  wa_arena arena;   /* lives as long as the unit */
  wa_arena scratch; /* reset after every function */
} wc_unit;

int wc__unit_init(wc_unit *u, const wm_module *m, const wc_resolved *cfg,
                  LLVMTargetMachineRef tm, bool split, const char *name,
                  wa_err *err) WA_MUST_CHECK;
void wc__unit_free(wc_unit *u);

LLVMTypeRef wc__valtype(wc_unit *u, uint8_t t); /* Wasm valtype -> LLVM */
/* The LLVM function of Wasm function 'idx' (defined ones only), declared
 * in this unit on first use. */
LLVMValueRef wc__func_decl(wc_unit *u, uint32_t idx);
/* An intrinsic, overloaded on types[0..n). */
LLVMValueRef wc__intrinsic(wc_unit *u, const char *name, LLVMTypeRef *types,
                           unsigned n, LLVMTypeRef *fn_type);
/* Attributes every generated function carries (frame pointers, nounwind). */
void wc__fn_attrs(wc_unit *u, LLVMValueRef fn);

/* -------------------------------------------------------------- functions */

enum { WC_CTL_FUNC, WC_CTL_BLOCK, WC_CTL_LOOP, WC_CTL_IF, WC_CTL_ELSE };

/* A control frame (block, loop, if, the function body). */
typedef struct wc_ctl {
  uint8_t kind;
  bool dead;        /* opened in unreachable code: nothing is emitted */
  bool reached;     /* a branch targets the end (block/if) */
  uint32_t height;  /* value-stack height below the params */
  uint32_t n_params, n_results;
  const uint8_t *params, *results;
  LLVMBasicBlockRef target;  /* loop: header; block/if: end, made lazily */
  LLVMValueRef *phis;        /* at target: loop params or block results */
  LLVMBasicBlockRef else_bb; /* if: the false edge, until `else` */
  LLVMValueRef *if_params;   /* if: the params again, for the else arm */
} wc_ctl;

typedef struct wc_fn {
  wc_unit *u;
  LLVMBuilderRef b;
  uint32_t funcidx;
  const wm_functype *type;
  LLVMValueRef fn, vmctx;
  LLVMBasicBlockRef entry; /* allocas and hoisted invariant loads */
  LLVMValueRef entry_term; /* the entry block's terminator */
  uint32_t n_locals;
  LLVMValueRef *locals; /* allocas, params first */
  LLVMTypeRef *local_types;
  LLVMValueRef *stack;
  uint32_t n_stack, cap_stack;
  wc_ctl *ctl;
  uint32_t n_ctl, cap_ctl;
  bool unreachable; /* the rest of the current block is dead */
  LLVMBasicBlockRef trap_bb[WR_TRAP_COUNT];
  LLVMValueRef cache[8]; /* entry-block loads, see vmctx.c */
  const char *what;      /* module name for errors */
} wc_fn;

/* Marks an add no-unsigned-wrap (the builder may have folded it). */
static inline LLVMValueRef wc__nuw(LLVMValueRef v) {
  if (LLVMIsAInstruction(v))
    LLVMSetNUW(v, 1);
  return v;
}

/* Value stack (lower.c). Emitters reserve before pushing more than one. */
int wc__reserve(wc_fn *f, uint32_t n, wa_err *err) WA_MUST_CHECK;
static inline void wc__push(wc_fn *f, LLVMValueRef v) {
  f->stack[f->n_stack++] = v;
}
static inline LLVMValueRef wc__pop(wc_fn *f) { return f->stack[--f->n_stack]; }
static inline LLVMValueRef wc__top(wc_fn *f) {
  return f->stack[f->n_stack - 1];
}

int wc__lower_func(wc_unit *u, uint32_t funcidx, wa_err *err) WA_MUST_CHECK;

/* Emitters, one per opcode family; lower.c dispatches by family. */
int wc__emit_control(wc_fn *f, const wm_instr *in, wa_err *err) WA_MUST_CHECK;
int wc__emit_variable(wc_fn *f, const wm_instr *in, wa_err *err) WA_MUST_CHECK;
int wc__emit_numeric(wc_fn *f, const wm_instr *in, wa_err *err) WA_MUST_CHECK;
int wc__emit_convert(wc_fn *f, const wm_instr *in, wa_err *err) WA_MUST_CHECK;
int wc__emit_memory(wc_fn *f, const wm_instr *in, wa_err *err) WA_MUST_CHECK;
int wc__emit_table(wc_fn *f, const wm_instr *in, wa_err *err) WA_MUST_CHECK;
int wc__emit_call(wc_fn *f, const wm_instr *in, wa_err *err) WA_MUST_CHECK;
#ifdef WC_HAVE_SIMD
int wc__emit_simd(wc_fn *f, const wm_instr *in, wa_err *err) WA_MUST_CHECK;

/* -------------------------------------------------------------------- SIMD */

/* Lane shapes. Values of type v128 live as <2 x i64> (locals, phis,
 * globals, calls); emitters bitcast to the shape they work on and back. */
enum { WC_I8X16, WC_I16X8, WC_I32X4, WC_I64X2, WC_F32X4, WC_F64X2 };

/* How an opcode is lowered; emit_simd.c's table maps every SIMD opcode to
 * one kind. The kinds are grouped by the file that lowers them, in this
 * order: emit_simd.c dispatches by range. */
enum {
  WC_SK_NONE,
  /* emit_simd.c: lanes, construction, bitwise */
  WC_SK_SPLAT,
  WC_SK_EXTRACT,
  WC_SK_REPLACE,
  WC_SK_SHUFFLE,
  WC_SK_SWIZZLE,
  WC_SK_NOT,
  WC_SK_ANDNOT,
  WC_SK_BITSELECT,
  WC_SK_ANY_TRUE,
  /* emit_simd_arith.c: lane-wise arithmetic, comparisons, reductions */
  WC_SK_BIN,   /* aux: LLVMOpcode */
  WC_SK_INTR1, /* intr: unary intrinsic overloaded on the vector type */
  WC_SK_INTR2, /* intr: binary intrinsic, same */
  WC_SK_ICMP,  /* aux: LLVMIntPredicate */
  WC_SK_FCMP,  /* aux: LLVMRealPredicate */
  WC_SK_SHIFT, /* aux: LLVMShl, LLVMAShr or LLVMLShr */
  WC_SK_ABS,
  WC_SK_NEG,
  WC_SK_MINMAX,  /* flags: WC_SF_MAX */
  WC_SK_PMINMAX, /* flags: WC_SF_MAX */
  WC_SK_AVGR,
  WC_SK_Q15MULR,
  WC_SK_DOT,
  WC_SK_EXTMUL,  /* shape: the narrow operands; flags: signed, high */
  WC_SK_EXTADD,  /* shape: the narrow operand; flags: signed */
  WC_SK_BITMASK,
  WC_SK_ALL_TRUE,
  /* emit_simd_convert.c: shape changes */
  WC_SK_NARROW, /* shape: the wide operands; flags: signed */
  WC_SK_EXTEND, /* shape: the narrow operand; flags: signed, high */
  WC_SK_TRUNC_SAT, /* shape: the float operand; flags: signed */
  WC_SK_CONVERT,   /* shape: the float result; flags: signed */
  WC_SK_DEMOTE,
  WC_SK_PROMOTE,
  /* emit_simd_memory.c: accesses beyond v128.load/store */
  WC_SK_LOAD_EXTEND, /* shape: the narrow lanes in memory; flags: signed */
  WC_SK_LOAD_SPLAT,
  WC_SK_LOAD_ZERO,
  WC_SK_LOAD_LANE,
  WC_SK_STORE_LANE,
};

enum {
  WC_SF_SIGNED = 1,
  WC_SF_HIGH = 2, /* the upper half of the lanes */
  WC_SF_MAX = 4,
};

typedef struct wc_simd_op {
  uint8_t kind;     /* WC_SK_* */
  uint8_t shape;    /* WC_I8X16.. : the lanes the operation works on */
  uint8_t flags;    /* WC_SF_* */
  int aux;          /* see the kinds */
  const char *intr; /* see the kinds */
} wc_simd_op;

/* Lowers one kind range; args are the popped operands, bottom of the stack
 * first. Returns the result (vectors in any shape), or NULL for none. */
LLVMValueRef wc__simd_lanes(wc_fn *f, const wc_simd_op *op,
                            const wm_instr *in, LLVMValueRef *args);
LLVMValueRef wc__simd_arith(wc_fn *f, const wc_simd_op *op,
                            LLVMValueRef *args);
LLVMValueRef wc__simd_convert(wc_fn *f, const wc_simd_op *op,
                              LLVMValueRef *args);
LLVMValueRef wc__simd_memory(wc_fn *f, const wc_simd_op *op,
                             const wm_instr *in, LLVMValueRef *args);

/* Shape helpers (emit_simd.c). */
unsigned wc__lanes(unsigned shape);
LLVMTypeRef wc__lane_type(wc_unit *u, unsigned shape);
LLVMTypeRef wc__shape_type(wc_unit *u, unsigned shape);
/* The integer shape with lanes twice as wide (I8X16 -> I16X8 ...). */
static inline unsigned wc__wider(unsigned shape) { return shape + 1; }
/* v reinterpreted as 'shape' (a bitcast; free). */
LLVMValueRef wc__as(wc_fn *f, LLVMValueRef v, unsigned shape);
/* The vector of n copies of a scalar. */
LLVMValueRef wc__splat(wc_fn *f, LLVMValueRef scalar, unsigned n);
/* A constant vector of 'shape' with every lane's bits = 'bits'. */
LLVMValueRef wc__vconst(wc_unit *u, unsigned shape, uint64_t bits);
/* Lanes [first, first + n) of v, or of the concatenation a:b when b is
 * given; 'stride' 2 takes every other lane (even or odd by 'first'). */
LLVMValueRef wc__lanes_of(wc_fn *f, LLVMValueRef a, LLVMValueRef b,
                          unsigned first, unsigned n, unsigned stride);
/* Half the lanes of v (picked as by wc__lanes_of), sign- or zero-extended
 * to the wider shape. */
LLVMValueRef wc__widen(wc_fn *f, LLVMValueRef v, unsigned first,
                       unsigned stride, unsigned shape, bool is_signed);
/* Calls an intrinsic overloaded on 'over' (NULL: not overloaded). */
LLVMValueRef wc__call_intr(wc_fn *f, const char *name, LLVMTypeRef over,
                           LLVMValueRef *args, unsigned n);

/* Target checks for native sequences; every user has a generic fallback.
 * x86 feature names are LLVM's ("ssse3", "sse4.1"). */
bool wc__is_x86(const wc_unit *u);
bool wc__is_aarch64(const wc_unit *u);
bool wc__x86_has(const wc_unit *u, const char *feature);
#endif

/* emit_control.c: function entry/exit. */
int wc__control_begin(wc_fn *f, wa_err *err) WA_MUST_CHECK;
/* True once the function's final `end` has been lowered. */
static inline bool wc__control_done(const wc_fn *f) { return f->n_ctl == 0; }

/* emit_numeric.c: v (f32/f64) through an empty inline asm, so that LLVM
 * cannot see its value (keeps sNaN-quieting operations from folding). */
LLVMValueRef wc__opaque(wc_fn *f, LLVMValueRef v);

/* emit_trap.c: the only place that emits traps. */
void wc__trap_if(wc_fn *f, LLVMValueRef cond, uint32_t kind);
void wc__trap(wc_fn *f, uint32_t kind); /* unconditional; code after is dead */
void wc__stack_check(wc_fn *f);

/* emit_memory.c: the address of an access of 'size' bytes at addr+offset,
 * bounds-checked in explicit mode. SIMD loads and stores use it too. */
LLVMValueRef wc__mem_addr(wc_fn *f, LLVMValueRef addr, uint64_t offset,
                          uint32_t size);
/* Tags a linear-memory load or store (TBAA, alignment 1). */
void wc__mem_access(wc_fn *f, LLVMValueRef inst);
/* Marks the linear-memory loads feeding a dropped value volatile, so that
 * `drop (i32.load ...)` still traps in guard mode. */
void wc__keep_loads(wc_fn *f, LLVMValueRef v);

/* emit_call.c: calls a Wasm-ABI function and pushes its results. */
int wc__call_push(wc_fn *f, LLVMTypeRef fty, LLVMValueRef callee,
                  LLVMValueRef callee_vmctx, uint32_t type, wa_err *err)
    WA_MUST_CHECK;

/* ------------------------------------------------------------------ vmctx */

/* vmctx.c: loads through the instance context. */
LLVMValueRef wc__load(wc_fn *f, LLVMTypeRef t, LLVMValueRef base,
                      uint64_t off, int tbaa, bool invariant);
void wc__store(wc_fn *f, LLVMValueRef v, LLVMValueRef base, uint64_t off,
               int tbaa);
LLVMValueRef wc__gep(wc_fn *f, LLVMValueRef base, LLVMValueRef off64);
LLVMValueRef wc__memobj(wc_fn *f);   /* vmctx->memory */
LLVMValueRef wc__mem_base(wc_fn *f); /* memory 0 base */
LLVMValueRef wc__mem_size(wc_fn *f); /* memory 0 size in bytes, i64 */
LLVMValueRef wc__global_ptr(wc_fn *f, uint32_t g);
LLVMValueRef wc__funcref(wc_fn *f, uint32_t funcidx); /* vmctx->funcs[i] */
/* Table t's size (i32) and element array; a table that cannot change size
 * has a constant size and an invariant array. */
LLVMValueRef wc__table_size(wc_fn *f, uint32_t t);
LLVMValueRef wc__table_elems(wc_fn *f, uint32_t t);
/* &elems[i] of table t (a wr_table_elem), without a bounds check. */
LLVMValueRef wc__table_elem(wc_fn *f, uint32_t t, LLVMValueRef i);
/* wr_table_elem field offsets (checked in vmctx.c). */
enum {
  WC_ELEM_CODE = 0,
  WC_ELEM_VMCTX = 8,
  WC_ELEM_TYPE_ID = 16,
  WC_ELEM_REF = 24,
  WC_ELEM_SIZE = 32
};
LLVMValueRef wc__type_id(wc_fn *f, uint32_t type);
/* Calls helpers[idx](vmctx, args...). */
LLVMValueRef wc__call_helper(wc_fn *f, uint32_t idx, LLVMValueRef *args,
                             unsigned n);
/* Same, for glue code that has no wc_fn. */
LLVMValueRef wc__call_helper_raw(wc_unit *u, LLVMBuilderRef b,
                                 LLVMValueRef vmctx, uint32_t idx,
                                 LLVMValueRef *args, unsigned n);
void wc__tag(wc_unit *u, LLVMValueRef inst, int tbaa, bool invariant);

/* ----------------------------------------------------------------- glue */

/* glue.c: trampolines, host adapters and the three exported arrays. */
int wc__emit_glue(wc_unit *u, wa_err *err) WA_MUST_CHECK;

/* ---------------------------------------------------------------- objects */

/* object.c: optimizes u->mod and emits an ELF object (wa_malloc'd). */
int wc__unit_emit(wc_unit *u, LLVMTargetMachineRef tm, uint8_t **out,
                  size_t *out_len, wa_err *err) WA_MUST_CHECK;

/* artifact.c: the metadata blob and the .wasmaot.data bytes. */
typedef struct wc_blobs {
  wa_buf meta;
  wa_buf data;
} wc_blobs;
int wc__artifact_blobs(const wm_module *m, const wc_resolved *r,
                       wc_blobs *out, wa_err *err) WA_MUST_CHECK;
void wc__blobs_free(wc_blobs *b);

/* elf.c: merges the chunk objects into one ELF relocatable and appends the
 * .wasmaot.meta and .wasmaot.data sections. Only WR_SYM_* stay global
 * among the defined symbols. */
typedef struct wc_obj {
  const uint8_t *p;
  size_t len;
} wc_obj;
int wc__elf_merge(const wc_obj *objs, uint32_t n, const wc_blobs *blobs,
                  uint32_t data_align, uint16_t machine, wa_buf *out,
                  wa_err *err) WA_MUST_CHECK;

/* chunk.c: splits the module's functions and compiles every chunk. */
int wc__compile_chunks(const wm_module *m, const wc_resolved *r,
                       const wc_target *t, const wc_config *cfg,
                       wa_buf *out, wa_err *err) WA_MUST_CHECK;

/* Test hook: code bytes per chunk (0: the defaults in chunk.c). */
extern uint32_t wc__chunk_bytes;

/* Symbol names. */
#define WC_FUNC_FMT "wasm_f%u"

#endif
