/*
 * exec_compile.c: in-process compilation for exec_run.c (see
 * exec_compile.h). One compiler thread per module: the suite's modules are
 * small, and ctest runs the bounds modes side by side.
 */
#include "exec_compile.h"
#include "wc.h"

bool spec_compile_available(void) {
  return true;
}

int spec_compile(const uint8_t *wasm, size_t len, const char *what,
                 const char *triple, uint8_t bounds, uint8_t **out,
                 size_t *out_len, wa_err *err) {
  wc_config cfg;
  wc_config_default(&cfg);
  cfg.triple = triple;
  cfg.bounds = bounds;
  cfg.threads = 1;
  return wc_compile(wasm, len, what, &cfg, out, out_len, err);
}
