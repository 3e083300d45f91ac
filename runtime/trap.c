/*
 * trap.c: trap kinds and their spec wording, raising a trap from a helper
 * (record, walk the Wasm frames, unwind to the innermost wr_call), and the
 * frame-pointer backtrace shared with the signal handler.
 */
#include "internal.h"

#include <string.h>

static const char *const messages[] = {
#define WR__X(name, msg) msg,
    WR_TRAP_MAP(WR__X)
#undef WR__X
};

static const char *const names[] = {
#define WR__X(name, msg) #name,
    WR_TRAP_MAP(WR__X)
#undef WR__X
};

const char *wr_trap_message(uint32_t kind) {
  return kind < WR_TRAP_COUNT ? messages[kind] : "unknown trap";
}

const char *wr_trap_name(uint32_t kind) {
  return kind < WR_TRAP_COUNT ? names[kind] : "UNKNOWN";
}

/* Adds the frame of a pc inside compiled code; other pcs (runtime, host,
 * trampolines and adapters) are not Wasm frames and are skipped. */
static void add_frame(wr_trap *t, uintptr_t pc, uintptr_t lookup) {
  const wr_artifact *a;
  const wr__fn_range *fn;
  if (t->n_frames >= WR_TRAP_MAX_FRAMES || !wr__code_lookup(lookup, &a, &fn) ||
      !fn)
    return;
  wr_frame *f = &t->frames[t->n_frames++];
  f->func_index = fn->func_index;
  f->func_name = a->meta.func_names ? a->meta.func_names[fn->func_index]
                                    : (wr_name){"", 0};
  f->module_name = a->meta.module_name;
  f->code_offset = (uint32_t)(pc - fn->start);
}

/* Async-signal-safe: reads only the stack between sp and top, which the
 * checks keep it inside, and the registries. The frame record layout
 * ([fp] = caller's fp, [fp + 8] = return address) is the same on x86-64
 * and AArch64 when frame pointers are kept. */
void wr__backtrace(wr_trap *t, uintptr_t pc, uintptr_t fp, uintptr_t sp,
                   uintptr_t top) {
  t->n_frames = 0;
  if (pc)
    add_frame(t, pc, pc);
  while (t->n_frames < WR_TRAP_MAX_FRAMES) {
    if (fp < sp || (fp & 7) || fp > top - 16 || top < 16)
      break;
    const uintptr_t *rec = (const uintptr_t *)fp;
    uintptr_t next = rec[0], ra = rec[1];
    if (ra)
      add_frame(t, ra, ra - 1); /* ra - 1: still inside the call */
    if (next <= fp)
      break;
    fp = next;
  }
}

void wr__trap_raise(uint32_t kind, int32_t exit_code, const char *msg) {
  wr__frame *f = wr__top;
  if (!f || !f->armed)
    __builtin_trap(); /* compiled code was entered without wr_call */
  wr_trap *t = f->trap;
  t->kind = kind;
  t->exit_code = exit_code;
  t->msg[0] = 0;
  if (msg)
    wa_strlcpy(t->msg, msg, sizeof t->msg);
  uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
  wr__backtrace(t, 0, fp, fp, f->stack_top);
  f->armed = 0;
  siglongjmp(f->jb, 1);
}
