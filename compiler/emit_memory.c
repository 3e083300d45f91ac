/*
 * emit_memory.c: linear-memory access (spec 4.4.7). Guard mode computes
 * base + zext(addr) + offset and lets the 8 GiB reservation fault; explicit
 * mode compares zext(addr) + offset + size with the current size first.
 * Accesses are align 1 (Wasm alignment is only a hint) and carry their own
 * TBAA class so vmctx and memory-object loads stay hoistable around them.
 * memory.fill/copy are inline (checked, then llvm.memset/memmove);
 * memory.init and data.drop go through the runtime's helpers.
 */
#include "internal.h"

LLVMValueRef wc__mem_addr(wc_fn *f, LLVMValueRef addr, uint64_t offset,
                          uint32_t size) {
  wc_unit *u = f->u;
  LLVMValueRef ea = LLVMBuildZExt(f->b, addr, u->t_i64, "");
  if (offset) {
    ea = wc__nuw(LLVMBuildAdd(f->b, ea, LLVMConstInt(u->t_i64, offset, 0), ""));
  }
  if (u->explicit_bounds) {
    LLVMValueRef end =
        wc__nuw(LLVMBuildAdd(f->b, ea, LLVMConstInt(u->t_i64, size, 0), ""));
    wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGT, end, wc__mem_size(f), ""),
                WR_TRAP_OOB_MEMORY);
  }
  return wc__gep(f, wc__mem_base(f), ea);
}

void wc__mem_access(wc_fn *f, LLVMValueRef inst) {
  LLVMSetAlignment(inst, 1);
  wc__tag(f->u, inst, WC_TBAA_MEM, false);
}

/* In guard mode a load whose value is dropped would be deleted by LLVM,
 * and with it the fault an out-of-bounds address must raise (spec test
 * traps.wast "no_dce"). Loads that feed a dropped value, directly or
 * through a few pure operations, become volatile. */
static void keep(wc_fn *f, LLVMValueRef v, int depth) {
  if (depth > 4 || !LLVMIsAInstruction(v))
    return;
  if (LLVMIsALoadInst(v)) {
    if (LLVMGetMetadata(v, f->u->md_tbaa) == f->u->tbaa[WC_TBAA_MEM])
      LLVMSetVolatile(v, 1);
    return;
  }
  if (LLVMIsACallInst(v) || LLVMIsAPHINode(v) || LLVMIsAAllocaInst(v))
    return;
  int n = LLVMGetNumOperands(v);
  for (int i = 0; i < n && i < 3; i++)
    keep(f, LLVMGetOperand(v, (unsigned)i), depth + 1);
}

void wc__keep_loads(wc_fn *f, LLVMValueRef v) {
  if (!f->u->explicit_bounds)
    keep(f, v, 0);
}

typedef struct access {
  wm_op op;
  uint8_t kind; /* 'l' plain load, 's' sign-extending, 'z' zero-extending,
                   'S' store (truncating to the access size) */
} access;

static const access accesses[] = {
    {WM_OP_I32_LOAD, 'l'},     {WM_OP_I64_LOAD, 'l'},
    {WM_OP_F32_LOAD, 'l'},     {WM_OP_F64_LOAD, 'l'},
    {WM_OP_I32_LOAD8_S, 's'},  {WM_OP_I32_LOAD8_U, 'z'},
    {WM_OP_I32_LOAD16_S, 's'}, {WM_OP_I32_LOAD16_U, 'z'},
    {WM_OP_I64_LOAD8_S, 's'},  {WM_OP_I64_LOAD8_U, 'z'},
    {WM_OP_I64_LOAD16_S, 's'}, {WM_OP_I64_LOAD16_U, 'z'},
    {WM_OP_I64_LOAD32_S, 's'}, {WM_OP_I64_LOAD32_U, 'z'},
    {WM_OP_V128_LOAD, 'l'},    {WM_OP_I32_STORE, 'S'},
    {WM_OP_I64_STORE, 'S'},    {WM_OP_F32_STORE, 'S'},
    {WM_OP_F64_STORE, 'S'},    {WM_OP_I32_STORE8, 'S'},
    {WM_OP_I32_STORE16, 'S'},  {WM_OP_I64_STORE8, 'S'},
    {WM_OP_I64_STORE16, 'S'},  {WM_OP_I64_STORE32, 'S'},
    {WM_OP_V128_STORE, 'S'},
};

static int emit_access(wc_fn *f, const wm_instr *in, uint8_t kind) {
  wc_unit *u = f->u;
  const wm_opinfo *oi = &wm_opinfos[in->op];
  uint32_t size = oi->size;
  LLVMValueRef v = kind == 'S' ? wc__pop(f) : NULL;
  LLVMValueRef p = wc__mem_addr(f, wc__pop(f), in->u.mem.offset, size);
  if (kind == 'S') {
    LLVMTypeRef vt = LLVMTypeOf(v);
    if (LLVMGetTypeKind(vt) == LLVMIntegerTypeKind &&
        LLVMGetIntTypeWidth(vt) > size * 8)
      v = LLVMBuildTrunc(f->b, v, LLVMIntTypeInContext(u->ctx, size * 8), "");
    wc__mem_access(f, LLVMBuildStore(f->b, v, p));
    return 0;
  }
  LLVMTypeRef rt = wc__valtype(u, oi->result);
  LLVMTypeRef lt = kind == 'l' ? rt : LLVMIntTypeInContext(u->ctx, size * 8);
  LLVMValueRef l = LLVMBuildLoad2(f->b, lt, p, "");
  wc__mem_access(f, l);
  if (kind == 's')
    l = LLVMBuildSExt(f->b, l, rt, "");
  else if (kind == 'z')
    l = LLVMBuildZExt(f->b, l, rt, "");
  wc__push(f, l);
  return 0;
}

/* Traps unless [zext(at), zext(at) + zext(n)) lies inside memory 0. */
static LLVMValueRef range_check(wc_fn *f, LLVMValueRef at, LLVMValueRef n64,
                                LLVMValueRef size) {
  LLVMValueRef at64 = LLVMBuildZExt(f->b, at, f->u->t_i64, "");
  LLVMValueRef end = wc__nuw(LLVMBuildAdd(f->b, at64, n64, ""));
  wc__trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGT, end, size, ""),
              WR_TRAP_OOB_MEMORY);
  return at64;
}

static void emit_fill(wc_fn *f) {
  wc_unit *u = f->u;
  LLVMValueRef n = wc__pop(f), val = wc__pop(f), d = wc__pop(f);
  LLVMValueRef n64 = LLVMBuildZExt(f->b, n, u->t_i64, "");
  LLVMValueRef d64 = range_check(f, d, n64, wc__mem_size(f));
  LLVMValueRef byte = LLVMBuildTrunc(f->b, val, u->t_i8, "");
  LLVMValueRef c =
      LLVMBuildMemSet(f->b, wc__gep(f, wc__mem_base(f), d64), byte, n64, 1);
  wc__tag(u, c, WC_TBAA_MEM, false);
}

static void emit_copy(wc_fn *f) {
  wc_unit *u = f->u;
  LLVMValueRef n = wc__pop(f), s = wc__pop(f), d = wc__pop(f);
  LLVMValueRef n64 = LLVMBuildZExt(f->b, n, u->t_i64, "");
  LLVMValueRef size = wc__mem_size(f);
  LLVMValueRef s64 = range_check(f, s, n64, size);
  LLVMValueRef d64 = range_check(f, d, n64, size);
  LLVMValueRef base = wc__mem_base(f);
  LLVMValueRef c = LLVMBuildMemMove(f->b, wc__gep(f, base, d64), 1,
                                    wc__gep(f, base, s64), 1, n64);
  wc__tag(u, c, WC_TBAA_MEM, false);
}

int wc__emit_memory(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  for (size_t i = 0; i < sizeof accesses / sizeof accesses[0]; i++)
    if (accesses[i].op == in->op)
      return emit_access(f, in, accesses[i].kind);
  switch (in->op) {
  case WM_OP_MEMORY_SIZE: {
    LLVMValueRef pages = LLVMBuildLShr(f->b, wc__mem_size(f),
                                       LLVMConstInt(u->t_i64, 16, 0), "");
    wc__push(f, LLVMBuildTrunc(f->b, pages, u->t_i32, ""));
    return 0;
  }
  case WM_OP_MEMORY_GROW: {
    LLVMValueRef delta = wc__pop(f);
    wc__push(f, wc__call_helper(f, WR_HELPER_MEMORY_GROW, &delta, 1));
    return 0;
  }
  case WM_OP_MEMORY_FILL:
    emit_fill(f);
    return 0;
  case WM_OP_MEMORY_COPY:
    emit_copy(f);
    return 0;
  case WM_OP_MEMORY_INIT: {
    LLVMValueRef args[4];
    args[3] = wc__pop(f);
    args[2] = wc__pop(f);
    args[1] = wc__pop(f);
    args[0] = LLVMConstInt(u->t_i32, in->u.pair.a, 0);
    wc__call_helper(f, WR_HELPER_MEMORY_INIT, args, 4);
    return 0;
  }
  case WM_OP_DATA_DROP: {
    LLVMValueRef seg = LLVMConstInt(u->t_i32, in->u.index, 0);
    wc__call_helper(f, WR_HELPER_DATA_DROP, &seg, 1);
    return 0;
  }
  default:
    return wa_fail(err, WA_EINTERNAL, in->off, "%s is not a memory op",
                   wm_opinfos[in->op].text);
  }
}
