/*
 * exec_compile.h: where exec_run.c gets an artifact when it is not given
 * precompiled ones. exec_compile.c compiles in-process with wc_compile;
 * exec_nocompile.c stands in for it in runners built without LLVM (the
 * aarch64 cross runner), which can only load artifacts.
 */
#ifndef SPEC_EXEC_COMPILE_H
#define SPEC_EXEC_COMPILE_H

#include "wa.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool spec_compile_available(void);

/* Compiles a module for 'triple' (NULL: the host, with its CPU) in bounds
 * mode 'bounds' into a wa_malloc'd artifact. */
int spec_compile(const uint8_t *wasm, size_t len, const char *what,
                 const char *triple, uint8_t bounds, uint8_t **out,
                 size_t *out_len, wa_err *err) WA_MUST_CHECK;

#endif
