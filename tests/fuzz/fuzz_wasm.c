/*
 * fuzz_wasm.c: libFuzzer target over the front end: wm_decode, then
 * wm_validate, then the lookups the compiler and backtraces use. Any
 * input must end in success, WA_EMALFORMED or WA_EINVALID (WA_ELIMIT or
 * WA_ENOMEM for inputs past the limits), never in a crash or a leak. A
 * rejection must also be reportable (docs/architecture.md, "Error
 * convention"): the code the call returned is the one in wa_err, with a
 * message, and a malformed/invalid verdict points at a byte of the input.
 */
#include "wm.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc, const wa_err *err, size_t size) {
  if (rc == 0)
    return;
  if (rc != WA_EMALFORMED && rc != WA_EINVALID && rc != WA_ENOMEM &&
      rc != WA_ELIMIT)
    abort(); /* an error code the front end must never return */
  if (err->code != rc || err->msg[0] == '\0')
    abort(); /* a failure the CLI could not report */
  /* The offset may equal size: "unexpected end" points just past it. */
  if ((rc == WA_EMALFORMED || rc == WA_EINVALID) &&
      (err->off == WA_NOOFF || err->off > size))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  int rc = wm_decode(data, size, "fuzz", &m, &err);
  check_code(rc, &err, size);
  if (rc)
    return 0;
  rc = wm_validate(m, &err);
  check_code(rc, &err, size);
  if (rc == 0) {
    /* Walk every body again the way the compiler does. */
    for (uint32_t i = 0; i < m->n_funcs - m->n_func_imports; i++) {
      wm_reader r = wm_code_reader(m, i);
      wm_instr in;
      while (r.p < r.end && wm_instr_next(&r, &in, &err) == 0) {
        if (in.op == WM_OP_BR_TABLE) {
          const uint8_t *cur = in.u.br_table.targets;
          for (uint32_t k = 0; k < in.u.br_table.n_targets; k++)
            (void)wm_br_table_next(&cur);
        }
      }
      (void)wm_func_name(m, m->n_func_imports + i);
      (void)wm_local_type(m, m->n_func_imports + i, 0);
    }
  }
  wm_module_free(m);
  return 0;
}
