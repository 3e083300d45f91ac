/*
 * exec_nocompile.c: the compile half of exec_run.c for runners built
 * without the compiler (see exec_compile.h); they need --artifacts.
 */
#include "exec_compile.h"

bool spec_compile_available(void) {
  return false;
}

int spec_compile(const uint8_t *wasm, size_t len, const char *what,
                 const char *triple, uint8_t bounds, uint8_t **out,
                 size_t *out_len, wa_err *err) {
  (void)wasm, (void)len, (void)triple, (void)bounds, (void)out, (void)out_len;
  return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                 "%s: this spec_runner has no compiler; run it with "
                 "--artifacts DIR",
                 what);
}
