/*
 * test_malformed.c: the regression corpus runner. Every NAME.wasm in
 * tests/malformed/ goes through decode + validate and must match
 * NAME.expect: "code WA_E...|WA_OK", optional "offset N" and "message
 * SUBSTRING" lines. New bugs get a file pair here.
 */
#include "wm.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct expect {
  char code[32];
  long long off; /* -1: not checked */
  char msg[256];
} expect;

static void read_expect(const char *path, expect *e) {
  FILE *f = fopen(path, "r");
  cr_assert(f, "missing %s", path);
  char line[320];
  e->code[0] = e->msg[0] = 0;
  e->off = -1;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (strncmp(line, "code ", 5) == 0)
      snprintf(e->code, sizeof e->code, "%.31s", line + 5);
    else if (strncmp(line, "offset ", 7) == 0)
      e->off = atoll(line + 7);
    else if (strncmp(line, "message ", 8) == 0)
      snprintf(e->msg, sizeof e->msg, "%.255s", line + 8);
  }
  fclose(f);
  cr_assert(e->code[0], "%s: no code line", path);
}

Test(wasm_malformed, corpus_files_get_their_expected_verdict) {
  DIR *d = opendir(WA_MALFORMED_DIR);
  cr_assert(d, "cannot open %s", WA_MALFORMED_DIR);
  struct dirent *de;
  unsigned n = 0;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (len < 6 || strcmp(de->d_name + len - 5, ".wasm") != 0)
      continue;
    char path[4096], epath[4096];
    snprintf(path, sizeof path, "%s/%s", WA_MALFORMED_DIR, de->d_name);
    snprintf(epath, sizeof epath, "%s/%.*s.expect", WA_MALFORMED_DIR,
             (int)(len - 5), de->d_name);
    expect e;
    read_expect(epath, &e);
    wa_err err;
    wa_err_init(&err);
    uint8_t *bytes;
    size_t blen;
    cr_assert_eq(wa_file_read(path, &bytes, &blen, &err), 0, "%s", err.msg);
    wm_module *m = NULL;
    int rc = wm_load(bytes, blen, de->d_name, &m, &err);
    cr_expect_str_eq(wa_err_name(rc), e.code, "%s: %s", de->d_name,
                     err.msg);
    if (rc && e.off >= 0)
      cr_expect_eq((long long)err.off, e.off, "%s: offset %llu: %s",
                   de->d_name, (unsigned long long)err.off, err.msg);
    if (rc && e.msg[0])
      cr_expect(strstr(err.msg, e.msg), "%s: '%s' lacks '%s'", de->d_name,
                err.msg, e.msg);
    wm_module_free(m);
    wa_free(bytes);
    n++;
  }
  closedir(d);
  cr_assert_gt(n, 0, "no .wasm files in %s", WA_MALFORMED_DIR);
}
