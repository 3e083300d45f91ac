/*
 * fuzz_compile.c: libFuzzer target over the whole compiler: wc_compile at
 * -O0 (decode, validate, lower to LLVM IR, emit the artifact). -O0 keeps
 * each input cheap; the lowering, not LLVM's optimizer, is what hostile
 * modules exercise. A module the front end accepts must compile or be
 * refused as unsupported or over a limit; an LLVM verifier failure
 * (WA_ECODEGEN) or an internal error is a compiler bug.
 */
#include "wc.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wc_config cfg;
  wc_config_default(&cfg);
  cfg.opt_level = 0;
  /* One thread: the fuzzer shares the machine, and chunking across threads
   * would only make a crash harder to reproduce. */
  cfg.threads = 1;
  /* Alternate the bounds mode on the input's length so both lowerings of
   * memory accesses get covered without changing the input format. */
  cfg.bounds = (uint8_t)(size & 1);
  wa_err err;
  wa_err_init(&err);
  uint8_t *out = NULL;
  size_t out_len = 0;
  int rc = wc_compile(data, size, "fuzz", &cfg, &out, &out_len, &err);
  if (rc != 0 && rc != WA_EMALFORMED && rc != WA_EINVALID &&
      rc != WA_EUNSUPPORTED && rc != WA_ENOMEM && rc != WA_ELIMIT)
    abort();
  if (rc == 0 && (!out || out_len == 0))
    abort(); /* success must hand back an artifact */
  wa_free(out);
  return 0;
}
