/*
 * fault_aarch64.c: the registers the signal handler needs, from an AArch64
 * Linux ucontext (x29 is the frame pointer).
 */
#include "internal.h"

#include <ucontext.h>

void wr__fault_regs_get(const void *ucontext, wr__fault_regs *out) {
  const ucontext_t *uc = ucontext;
  out->pc = (uintptr_t)uc->uc_mcontext.pc;
  out->sp = (uintptr_t)uc->uc_mcontext.sp;
  out->fp = (uintptr_t)uc->uc_mcontext.regs[29];
}
