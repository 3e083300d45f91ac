/*
 * test_fault.c: decode + validate of fault.wasm (built from fault.wat)
 * with the n-th allocation failing, for every n until the load succeeds.
 * Each run must fail cleanly with WA_ENOMEM or succeed; the ASan build
 * checks that nothing leaks on any of the paths.
 */
#include "wm.h"

#include <criterion/criterion.h>

Test(wasm_fault, every_failed_allocation_is_a_clean_enomem) {
  wa_err err;
  wa_err_init(&err);
  uint8_t *bytes;
  size_t len;
  cr_assert_eq(wa_file_read(WA_FAULT_WASM, &bytes, &len, &err), 0, "%s",
               err.msg);
  long n;
  unsigned failures = 0;
  for (n = 0; n < 100000; n++) {
    wm_module *m = NULL;
    wa_err_init(&err);
    wa_alloc_fail_after(n);
    int rc = wm_load(bytes, len, "fault.wasm", &m, &err);
    wa_alloc_fail_after(-1);
    if (rc == 0) {
      cr_assert_not_null(m);
      cr_assert_not_null(m->local_names, "names survived");
      wm_module_free(m);
      break;
    }
    cr_assert_eq(rc, WA_ENOMEM, "allocation %ld: %s: %s", n,
                 wa_err_name(rc), err.msg);
    cr_assert_null(m);
    failures++;
  }
  cr_assert_lt(n, 100000, "never succeeded");
  /* The module struct, arena chunks (IR is bump-allocated, so a small
   * module needs few), the section list, then the validator's stacks,
   * local types, C.refs and the export-name check. */
  cr_assert_geq(failures, 8, "only %u allocations were exercised",
                failures);
  wa_free(bytes);
}
