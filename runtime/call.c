/*
 * call.c: wr_call, the one way into compiled code. Sets the stack limit
 * that function prologues check, arms a jump buffer for traps (a stack of
 * them per thread, so host functions may call back in), and enters through
 * the artifact's trampoline for the function's type.
 */
#include "internal.h"

#include <string.h>

WR_TLS wr__frame *wr__top;

static _Atomic size_t stack_budget = 4u << 20;

/* Stack kept free below the limit: the trap helper, a host function's
 * frames, and the fault handler's frames (it runs on its own stack). */
#define STACK_RESERVE (128u << 10)

static WR_TLS uintptr_t stack_lo;

void wr_set_stack_budget(size_t bytes) {
  atomic_store(&stack_budget, bytes);
}

/* The limit is derived from the caller's frame, so the same call from the
 * same place gets the same depth every time; it never reaches into the
 * last STACK_RESERVE bytes of the real stack. */
static int stack_limit(uintptr_t sp, uintptr_t *out, wa_err *err) {
  if (!stack_lo) {
    uintptr_t lo, hi;
    int rc = wr__stack_bounds(&lo, &hi, err);
    if (rc)
      return rc;
    stack_lo = lo + STACK_RESERVE;
  }
  size_t budget = atomic_load(&stack_budget);
  uintptr_t limit = sp > budget ? sp - budget : 0;
  *out = limit > stack_lo ? limit : stack_lo;
  return 0;
}

static int host_call(wr_func *f, wr_val *vals, wr_trap *trap, wa_err *err) {
  wr_caller c;
  memset(&c, 0, sizeof c);
  uint32_t kind = f->fn(f->env, &c, vals);
  if (kind == 0)
    return 0;
  trap->kind = kind < WR_TRAP_COUNT ? kind : WR_TRAP_HOST;
  trap->exit_code = c.exit_code;
  if (c.has_msg)
    wa_strlcpy(trap->msg, c.msg, sizeof trap->msg);
  return wa_fail(err, WA_ETRAP, WA_NOOFF, "wasm trap: %s",
                 wr_trap_message(trap->kind));
}

/* Kept apart from wr_call so that nothing live across sigsetjmp is ever
 * modified after it (no -Wclobbered hazards). */
__attribute__((noinline)) static int enter(wr_func *f, wr_tramp_fn tramp,
                                           wr_val *vals, wr_trap *trap,
                                           uintptr_t limit, wa_err *err) {
  wr_store *store = f->inst->store;
  uintptr_t saved = store->stack_limit;
  wr__frame fr;
  fr.prev = wr__top;
  fr.trap = trap;
  fr.stack_top = (uintptr_t)&fr;
  fr.armed = 0;
  wr__store_set_limit(store, limit);
  wr__top = &fr;
  int rc = 0;
  if (sigsetjmp(fr.jb, 0) == 0) {
    fr.armed = 1;
    tramp(f->ref.code, f->ref.vmctx, vals);
    fr.armed = 0;
  } else {
    rc = wa_fail(err, WA_ETRAP, WA_NOOFF, "wasm trap: %s",
                 wr_trap_message(trap->kind));
  }
  wr__top = fr.prev;
  wr__store_set_limit(store, saved);
  return rc;
}

int wr_call(wr_func *f, wr_val *vals, wr_trap *trap, wa_err *err) {
  wr_trap scratch;
  if (!trap)
    trap = &scratch;
  trap->kind = WR_TRAP_NONE;
  trap->exit_code = 0;
  trap->n_frames = 0;
  trap->msg[0] = 0;
  int rc = wr__thread_init(err);
  if (rc)
    return rc;
  if (!f->inst)
    return host_call(f, vals, trap, err);
  wr_artifact *a = f->inst->art;
  wr_tramp_fn tramp =
      a->tramps ? (wr_tramp_fn)wr_abi_table_fn(a->tramps, f->typeidx) : NULL;
  if (!tramp)
    return wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                   "artifact has no entry trampoline for type %u", f->typeidx);
  uintptr_t limit;
  if ((rc = stack_limit((uintptr_t)__builtin_frame_address(0), &limit, err)))
    return rc;
  return enter(f, tramp, vals, trap, limit, err);
}
