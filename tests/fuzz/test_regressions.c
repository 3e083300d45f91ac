/*
 * test_regressions.c: every input in tests/fuzz/regressions/ (inputs that
 * once crashed or hung the front end, plus hand-made hostile ones) goes
 * through decode + validate and must end in a clean verdict.
 */
#include "wm.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

static int verdict_ok(int rc) {
  return rc == 0 || rc == WA_EMALFORMED || rc == WA_EINVALID ||
         rc == WA_ELIMIT;
}

Test(fuzz_regressions, every_saved_input_gets_a_clean_verdict) {
  DIR *d = opendir(WA_FUZZ_REGRESSIONS);
  cr_assert(d, "cannot open %s", WA_FUZZ_REGRESSIONS);
  struct dirent *e;
  unsigned n = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || strstr(e->d_name, ".md"))
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", WA_FUZZ_REGRESSIONS, e->d_name);
    wa_err err;
    wa_err_init(&err);
    uint8_t *bytes;
    size_t len;
    int rc = wa_file_read(path, &bytes, &len, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    wm_module *m = NULL;
    wa_err_init(&err);
    rc = wm_load(bytes, len, e->d_name, &m, &err);
    cr_expect(verdict_ok(rc), "%s: unexpected %s: %s", e->d_name,
              wa_err_name(rc), err.msg);
    if (rc) {
      cr_expect_neq(err.off, WA_NOOFF, "%s: error without an offset: %s",
                    e->d_name, err.msg);
      cr_expect(err.msg[0], "%s: error without a message", e->d_name);
    }
    wm_module_free(m);
    wa_free(bytes);
    n++;
  }
  closedir(d);
  cr_assert_gt(n, 0, "no inputs in %s", WA_FUZZ_REGRESSIONS);
}
