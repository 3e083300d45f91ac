/*
 * emit_control.c: structured control flow (spec 4.4.8). Block and if ends
 * are made lazily, on the first branch to them, with one phi per result;
 * loop headers carry one phi per parameter. A block nobody branches to
 * just continues in the current LLVM block. Frames opened in unreachable
 * code are "dead" and emit nothing.
 */
#include "internal.h"

#include <string.h>

static const uint8_t valtypes[] = {WM_I32,  WM_I64,     WM_F32,      WM_F64,
                                   WM_V128, WM_FUNCREF, WM_EXTERNREF};

static const uint8_t *one_valtype(uint8_t t) {
  for (size_t i = 0; i < sizeof valtypes; i++)
    if (valtypes[i] == t)
      return &valtypes[i];
  return &valtypes[0];
}

static int push_ctl(wc_fn *f, uint8_t kind, wc_ctl **out, wa_err *err) {
  if (f->n_ctl == f->cap_ctl) {
    uint32_t cap = f->cap_ctl ? f->cap_ctl * 2 : 16;
    wc_ctl *c = wa_arena_alloc(&f->u->scratch, cap * sizeof *c);
    if (!c)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    if (f->n_ctl)
      memcpy(c, f->ctl, f->n_ctl * sizeof *c);
    f->ctl = c;
    f->cap_ctl = cap;
  }
  wc_ctl *c = &f->ctl[f->n_ctl++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->height = f->n_stack;
  *out = c;
  return 0;
}

static void block_sig(wc_fn *f, const wm_instr *in, wc_ctl *c) {
  if (in->u.block.type_index >= 0) {
    const wm_functype *t = &f->u->m->types[in->u.block.type_index];
    c->n_params = t->n_params;
    c->params = t->params;
    c->n_results = t->n_results;
    c->results = t->results;
  } else if (in->u.block.type_index == WM_BLOCK_VALTYPE) {
    c->n_results = 1;
    c->results = one_valtype(in->u.block.valtype);
  }
  c->height -= c->n_params;
}

static uint32_t label_arity(const wc_ctl *c) {
  return c->kind == WC_CTL_LOOP ? c->n_params : c->n_results;
}

/* The branch target of a block/if end, with its result phis. */
static int ensure_target(wc_fn *f, wc_ctl *c, wa_err *err) {
  if (c->target)
    return 0;
  wc_unit *u = f->u;
  c->target = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "end");
  if (c->n_results) {
    c->phis = wa_arena_alloc(&u->scratch, c->n_results * sizeof *c->phis);
    if (!c->phis)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    LLVMPositionBuilderAtEnd(u->pb, c->target);
    for (uint32_t i = 0; i < c->n_results; i++)
      c->phis[i] = LLVMBuildPhi(u->pb, wc__valtype(u, c->results[i]), "");
  }
  return 0;
}

/* Adds the top label_arity(c) values as incoming from the current block. */
static void add_incoming(wc_fn *f, wc_ctl *c, LLVMValueRef *vals) {
  uint32_t n = label_arity(c);
  LLVMBasicBlockRef from = LLVMGetInsertBlock(f->b);
  if (!vals)
    vals = &f->stack[f->n_stack - n];
  for (uint32_t i = 0; i < n; i++)
    LLVMAddIncoming(c->phis[i], &vals[i], &from, 1);
}

static void build_return(wc_fn *f) {
  uint32_t n = f->type->n_results;
  if (n == 0)
    LLVMBuildRetVoid(f->b);
  else if (n == 1)
    LLVMBuildRet(f->b, wc__top(f));
  else
    LLVMBuildAggregateRet(f->b, &f->stack[f->n_stack - n], n);
}

/* A block holding only `ret` of the current top values, for conditional
 * branches to the function's label. */
static LLVMBasicBlockRef return_block(wc_fn *f) {
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(f->b);
  LLVMBasicBlockRef bb =
      LLVMAppendBasicBlockInContext(f->u->ctx, f->fn, "ret");
  LLVMPositionBuilderAtEnd(f->b, bb);
  build_return(f);
  LLVMPositionBuilderAtEnd(f->b, saved);
  return bb;
}

/* The block a branch to label 'depth' goes to, incoming values added
 * (from the current block). 'ret' caches the return block. */
static int branch_dest(wc_fn *f, uint32_t depth, LLVMBasicBlockRef *ret,
                       LLVMBasicBlockRef *out, wa_err *err) {
  wc_ctl *c = &f->ctl[f->n_ctl - 1 - depth];
  if (c->kind == WC_CTL_FUNC) {
    if (!*ret)
      *ret = return_block(f);
    *out = *ret;
    return 0;
  }
  int rc;
  if (c->kind != WC_CTL_LOOP && (rc = ensure_target(f, c, err)) < 0)
    return rc;
  add_incoming(f, c, NULL);
  *out = c->target;
  return 0;
}

int wc__control_begin(wc_fn *f, wa_err *err) {
  wc_ctl *c;
  int rc = push_ctl(f, WC_CTL_FUNC, &c, err);
  if (rc < 0)
    return rc;
  c->n_results = f->type->n_results;
  c->results = f->type->results;
  return 0;
}

static int emit_block(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_ctl *c;
  int rc = push_ctl(f, WC_CTL_BLOCK, &c, err);
  if (rc < 0)
    return rc;
  if (f->unreachable) {
    c->dead = true;
    return 0;
  }
  block_sig(f, in, c);
  return 0;
}

static int emit_loop(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  wc_ctl *c;
  int rc = push_ctl(f, WC_CTL_LOOP, &c, err);
  if (rc < 0)
    return rc;
  if (f->unreachable) {
    c->dead = true;
    return 0;
  }
  block_sig(f, in, c);
  c->target = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "loop");
  if (c->n_params) {
    c->phis = wa_arena_alloc(&u->scratch, c->n_params * sizeof *c->phis);
    if (!c->phis)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    LLVMPositionBuilderAtEnd(u->pb, c->target);
    for (uint32_t i = 0; i < c->n_params; i++)
      c->phis[i] = LLVMBuildPhi(u->pb, wc__valtype(u, c->params[i]), "");
    add_incoming(f, c, NULL);
  }
  LLVMBuildBr(f->b, c->target);
  LLVMPositionBuilderAtEnd(f->b, c->target);
  for (uint32_t i = 0; i < c->n_params; i++)
    f->stack[c->height + i] = c->phis[i];
  return 0;
}

static int emit_if(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  wc_ctl *c;
  LLVMValueRef cond = f->unreachable ? NULL : wc__pop(f);
  int rc = push_ctl(f, WC_CTL_IF, &c, err);
  if (rc < 0)
    return rc;
  if (f->unreachable) {
    c->dead = true;
    return 0;
  }
  block_sig(f, in, c);
  if (c->n_params) {
    c->if_params = wa_arena_alloc(&u->scratch, c->n_params * sizeof(void *));
    if (!c->if_params)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    memcpy(c->if_params, &f->stack[c->height], c->n_params * sizeof(void *));
  }
  LLVMBasicBlockRef then_bb =
      LLVMAppendBasicBlockInContext(u->ctx, f->fn, "then");
  c->else_bb = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "else");
  LLVMValueRef t = LLVMBuildICmp(f->b, LLVMIntNE, cond,
                                 LLVMConstInt(u->t_i32, 0, 0), "");
  LLVMBuildCondBr(f->b, t, then_bb, c->else_bb);
  LLVMPositionBuilderAtEnd(f->b, then_bb);
  return 0;
}

static int emit_else(wc_fn *f, wa_err *err) {
  wc_ctl *c = &f->ctl[f->n_ctl - 1];
  if (c->dead)
    return 0;
  int rc;
  if (!f->unreachable) {
    if ((rc = ensure_target(f, c, err)) < 0)
      return rc;
    add_incoming(f, c, NULL);
    LLVMBuildBr(f->b, c->target);
  }
  LLVMMoveBasicBlockAfter(c->else_bb, LLVMGetInsertBlock(f->b));
  LLVMPositionBuilderAtEnd(f->b, c->else_bb);
  c->else_bb = NULL;
  c->kind = WC_CTL_ELSE;
  f->n_stack = c->height;
  for (uint32_t i = 0; i < c->n_params; i++)
    wc__push(f, c->if_params[i]);
  f->unreachable = false;
  return 0;
}

static int emit_end(wc_fn *f, wa_err *err) {
  wc_ctl *c = &f->ctl[f->n_ctl - 1];
  int rc;
  if (c->dead) {
    f->n_ctl--;
    return 0;
  }
  switch (c->kind) {
  case WC_CTL_FUNC:
    if (!f->unreachable)
      build_return(f);
    f->n_ctl--;
    return 0;
  case WC_CTL_LOOP:
    /* A loop's label is its header: only fallthrough leaves it. */
    if (f->unreachable)
      f->n_stack = c->height;
    f->n_ctl--;
    return 0;
  case WC_CTL_IF:
    /* No else arm: the false edge carries the params through. */
    if ((rc = ensure_target(f, c, err)) < 0)
      return rc;
    if (!f->unreachable) {
      add_incoming(f, c, NULL);
      LLVMBuildBr(f->b, c->target);
      f->unreachable = true;
    }
    LLVMMoveBasicBlockAfter(c->else_bb, LLVMGetInsertBlock(f->b));
    LLVMPositionBuilderAtEnd(f->b, c->else_bb);
    add_incoming(f, c, c->if_params);
    LLVMBuildBr(f->b, c->target);
    break;
  default: /* block, else */
    if (!c->target) {
      if (f->unreachable)
        f->n_stack = c->height;
      f->n_ctl--;
      return 0;
    }
    if (!f->unreachable) {
      add_incoming(f, c, NULL);
      LLVMBuildBr(f->b, c->target);
    }
    break;
  }
  LLVMMoveBasicBlockAfter(c->target, LLVMGetInsertBlock(f->b));
  LLVMPositionBuilderAtEnd(f->b, c->target);
  f->n_stack = c->height;
  if ((rc = wc__reserve(f, c->n_results, err)) < 0)
    return rc;
  for (uint32_t i = 0; i < c->n_results; i++)
    wc__push(f, c->phis[i]);
  f->unreachable = false;
  f->n_ctl--;
  return 0;
}

static int emit_br(wc_fn *f, uint32_t depth, wa_err *err) {
  LLVMBasicBlockRef ret = NULL, dest;
  wc_ctl *c = &f->ctl[f->n_ctl - 1 - depth];
  if (c->kind == WC_CTL_FUNC) {
    build_return(f);
    f->unreachable = true;
    return 0;
  }
  int rc = branch_dest(f, depth, &ret, &dest, err);
  if (rc < 0)
    return rc;
  LLVMBuildBr(f->b, dest);
  f->unreachable = true;
  return 0;
}

static int emit_br_if(wc_fn *f, uint32_t depth, wa_err *err) {
  wc_unit *u = f->u;
  LLVMValueRef cond = wc__pop(f);
  LLVMBasicBlockRef ret = NULL, dest;
  int rc = branch_dest(f, depth, &ret, &dest, err);
  if (rc < 0)
    return rc;
  LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "");
  LLVMValueRef t = LLVMBuildICmp(f->b, LLVMIntNE, cond,
                                 LLVMConstInt(u->t_i32, 0, 0), "");
  LLVMBuildCondBr(f->b, t, dest, cont);
  LLVMPositionBuilderAtEnd(f->b, cont);
  return 0;
}

static int emit_br_table(wc_fn *f, const wm_instr *in, wa_err *err) {
  wc_unit *u = f->u;
  LLVMValueRef idx = wc__pop(f);
  LLVMBasicBlockRef ret = NULL, dest;
  int rc = branch_dest(f, in->u.br_table.default_target, &ret, &dest, err);
  if (rc < 0)
    return rc;
  LLVMValueRef sw =
      LLVMBuildSwitch(f->b, idx, dest, in->u.br_table.n_targets);
  const uint8_t *cur = in->u.br_table.targets;
  /* Every case is a CFG edge, so every case adds its phi entries (the
   * verifier wants one per edge, duplicates carrying the same values). */
  for (uint32_t i = 0; i < in->u.br_table.n_targets; i++) {
    uint32_t depth = wm_br_table_next(&cur);
    if ((rc = branch_dest(f, depth, &ret, &dest, err)) < 0)
      return rc;
    LLVMAddCase(sw, LLVMConstInt(u->t_i32, i, 0), dest);
  }
  f->unreachable = true;
  return 0;
}

int wc__emit_control(wc_fn *f, const wm_instr *in, wa_err *err) {
  switch (in->op) {
  case WM_OP_UNREACHABLE:
    wc__trap(f, WR_TRAP_UNREACHABLE);
    return 0;
  case WM_OP_NOP:
    return 0;
  case WM_OP_BLOCK:
    return emit_block(f, in, err);
  case WM_OP_LOOP:
    return emit_loop(f, in, err);
  case WM_OP_IF:
    return emit_if(f, in, err);
  case WM_OP_ELSE:
    return emit_else(f, err);
  case WM_OP_END:
    return emit_end(f, err);
  case WM_OP_BR:
    return emit_br(f, in->u.index, err);
  case WM_OP_BR_IF:
    return emit_br_if(f, in->u.index, err);
  case WM_OP_BR_TABLE:
    return emit_br_table(f, in, err);
  case WM_OP_RETURN:
    build_return(f);
    f->unreachable = true;
    return 0;
  default:
    return wa_fail(err, WA_EINTERNAL, in->off, "%s is not a control op",
                   wm_opinfos[in->op].text);
  }
}
