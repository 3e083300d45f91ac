/*
 * target_x86_64.c: the x86_64 target row. The portable baseline for cross
 * compilation is x86-64-v2 (SSE4.2, POPCNT, CX16: every x86_64 server CPU
 * since 2009), which also gives inline roundss/roundsd for ceil, floor,
 * trunc and nearest instead of libm calls.
 */
#include "internal.h"

#include <elf.h>

static void init(void) {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
}

const wc_target wc__target_x86_64 = {
    .arch = "x86_64",
    .llvm_name = "x86-64",
    .baseline_cpu = "x86-64-v2",
    .elf_machine = EM_X86_64,
    .data_align = 4096,
    .init = init,
};
