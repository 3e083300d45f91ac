/*
 * fault_x86_64.c: the registers the signal handler needs, from an x86-64
 * Linux ucontext.
 */
#include "internal.h"

#include <ucontext.h>

void wr__fault_regs_get(const void *ucontext, wr__fault_regs *out) {
  const ucontext_t *uc = ucontext;
  out->pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
  out->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
  out->fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
}
