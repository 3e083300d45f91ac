/*
 * target_aarch64.c: the AArch64 target row. The portable baseline for cross
 * compilation is LLVM's "generic" CPU (Armv8.0-A with FP and Advanced
 * SIMD), which runs on every 64-bit Arm Linux machine (Raspberry Pi 4
 * included); pass --cpu neoverse-n1 or similar for servers. Kernels may use
 * 64 KiB pages, hence the .wasmaot.data alignment.
 */
#include "internal.h"

#include <elf.h>

static void init(void) {
  LLVMInitializeAArch64TargetInfo();
  LLVMInitializeAArch64Target();
  LLVMInitializeAArch64TargetMC();
  LLVMInitializeAArch64AsmPrinter();
}

const wc_target wc__target_aarch64 = {
    .arch = "aarch64",
    .llvm_name = "aarch64",
    .baseline_cpu = "generic",
    .elf_machine = EM_AARCH64,
    .data_align = 65536,
    .init = init,
};
