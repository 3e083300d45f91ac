/*
 * api.c: the compiler's public entry points and the wc_api_v1 table, the
 * only symbol libwasmaot_compiler.so exports.
 */
#include "internal.h"

#include <string.h>

#define WC_EXPORT __attribute__((visibility("default")))

const char *wc_version(void) {
  return "wasmaot " WA_VERSION " (LLVM " WC_LLVM_VERSION ")";
}

void wc_config_default(wc_config *c) {
  memset(c, 0, sizeof *c);
  c->bounds = WR_BOUNDS_GUARD;
  c->opt_level = 2;
}

int wc_config_resolve(const wc_config *c, wc_resolved *out, wa_err *err) {
  return wc__resolve(c, out, NULL, err);
}

int wc_compile(const uint8_t *wasm, size_t len, const char *what,
               const wc_config *cfg, uint8_t **out, size_t *out_len,
               wa_err *err) {
  wc_config def;
  if (!cfg) {
    wc_config_default(&def);
    cfg = &def;
  }
  wc_resolved r;
  const wc_target *t;
  wm_module *m = NULL;
  wa_buf obj;
  wa_buf_init(&obj);
  int rc = wc__resolve(cfg, &r, &t, err);
  if (rc < 0)
    return rc;
  wc__llvm_init();
  if ((rc = wm_load(wasm, len, what, &m, err)) < 0)
    return rc;
  if ((rc = wc__compile_chunks(m, &r, t, cfg, &obj, err)) < 0) {
    if (what)
      wa_err_where(err, what);
    goto out;
  }
  *out = wa_buf_take(&obj, out_len);
out:
  wa_buf_free(&obj);
  wm_module_free(m);
  return rc;
}

WC_EXPORT const wc_api wc_api_v1 = {
    .version = WC_API_VERSION,
    .size = sizeof(wc_api),
    .version_string = wc_version,
    .config_default = wc_config_default,
    .config_resolve = wc_config_resolve,
    .compile = wc_compile,
    .free = wa_free,
};
