/*
 * object.c: from a lowered unit to ELF bytes. Verifies the module (invalid
 * IR would crash a release-built LLVM instead of failing), runs the new
 * pass manager's default<On> pipeline and emits a relocatable object into
 * memory. LLVM messages become wa_err here and are disposed.
 */
#include "internal.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <stdio.h>
#include <string.h>

int wc__unit_emit(wc_unit *u, LLVMTargetMachineRef tm, uint8_t **out,
                  size_t *out_len, wa_err *err) {
  char *msg = NULL;
  if (LLVMVerifyModule(u->mod, LLVMReturnStatusAction, &msg))
    return wc__fail_llvm(err, WA_EINTERNAL, "generated IR is invalid", msg);
  if (msg)
    LLVMDisposeMessage(msg);

  char passes[32];
  snprintf(passes, sizeof passes, "default<O%u>", u->cfg->opt_level);
  LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(u->mod, passes, tm, po);
  LLVMDisposePassBuilderOptions(po);
  if (e) {
    char *em = LLVMGetErrorMessage(e);
    int rc = wa_fail(err, WA_ECODEGEN, WA_NOOFF, "optimizing: %s", em);
    LLVMDisposeErrorMessage(em);
    return rc;
  }

  LLVMMemoryBufferRef buf = NULL;
  if (LLVMTargetMachineEmitToMemoryBuffer(tm, u->mod, LLVMObjectFile, &msg,
                                          &buf))
    return wc__fail_llvm(err, WA_ECODEGEN, "emitting the object", msg);
  if (u->diag[0]) {
    LLVMDisposeMemoryBuffer(buf);
    return wa_fail(err, WA_ECODEGEN, WA_NOOFF, "LLVM: %s", u->diag);
  }
  size_t n = LLVMGetBufferSize(buf);
  uint8_t *p = wa_malloc(n ? n : 1);
  if (!p) {
    LLVMDisposeMemoryBuffer(buf);
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  }
  memcpy(p, LLVMGetBufferStart(buf), n);
  LLVMDisposeMemoryBuffer(buf);
  *out = p;
  *out_len = n;
  return 0;
}
