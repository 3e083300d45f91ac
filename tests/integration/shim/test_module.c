/*
 * test_module.c: finding the module in a rootfs (launcher/shim/module.c):
 * PATH lookup, symlinks kept inside the rootfs, and the messages for
 * files that are not Wasm.
 */
#include "shim_internal.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void put(const char *rel, const void *data, size_t n) {
  char p[256];
  snprintf(p, sizeof p, "%s%s", root, rel);
  int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  cr_assert_geq(fd, 0, "%s", p);
  cr_assert_eq(write(fd, data, n), (ssize_t)n);
  close(fd);
}

static void setup(void) {
  snprintf(root, sizeof root, "/tmp/wl-module-XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  char p[256];
  snprintf(p, sizeof p, "%s/bin", root);
  mkdir(p, 0755);
  put("/app.wasm", "\0asm\1\0\0\0", 8);
  put("/bin/tool.wasm", "\0asm\1\0\0\0", 8);
  put("/bad.wasm", "#!/bin/sh\n", 10);
  put("/empty.wasm", "", 0);
  /* An ELF header: 64-bit, little endian, e_type at byte 16. */
  uint8_t elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  elf[16] = 2; /* ET_EXEC */
  put("/native", elf, sizeof elf);
  elf[16] = 1; /* ET_REL: a wasmaot artifact */
  put("/app.wao", elf, sizeof elf);
  snprintf(p, sizeof p, "%s/escape.wasm", root);
  cr_assert_eq(symlink("/../../../../etc/passwd", p), 0);
  snprintf(p, sizeof p, "%s/link.wasm", root);
  cr_assert_eq(symlink("/bin/tool.wasm", p), 0);
}

static void teardown(void) {
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(shim_module, .init = setup, .fini = teardown);

static int find(const char *json, char *out, wa_err *err) {
  wl__spec s;
  wa_err_init(err);
  cr_assert_eq(wl__spec_parse(json, strlen(json), &s, err), 0, "%s", err->msg);
  int rc = wl__module_find(root, &s, out, 256, err);
  wl__spec_free(&s);
  return rc;
}

Test(shim_module, absolute_path_and_path_lookup) {
  char out[256], want[256];
  wa_err err;
  cr_assert_eq(
      find("{\"process\":{\"args\":[\"/app.wasm\",\"x\"]}}", out, &err), 0,
      "%s", err.msg);
  snprintf(want, sizeof want, "%s/app.wasm", root);
  cr_assert_str_eq(out, want);
  cr_assert_eq(find("{\"process\":{\"args\":[\"tool.wasm\"],\"env\":["
                    "\"PATH=/nowhere:/bin\"]}}",
                    out, &err),
               0, "%s", err.msg);
  snprintf(want, sizeof want, "%s/bin/tool.wasm", root);
  cr_assert_str_eq(out, want);
  cr_assert_eq(find("{\"process\":{\"args\":[\"./tool.wasm\"],\"cwd\":"
                    "\"/bin\"}}",
                    out, &err),
               0, "%s", err.msg);
  cr_assert_str_eq(out, want);
  cr_assert_eq(find("{\"process\":{\"args\":[\"/app.wao\"]}}", out, &err), 0,
               "%s", err.msg);
}

Test(shim_module, symlinks_resolve_inside_the_rootfs) {
  char out[256], want[256];
  wa_err err;
  cr_assert_eq(find("{\"process\":{\"args\":[\"/link.wasm\"]}}", out, &err), 0,
               "%s", err.msg);
  snprintf(want, sizeof want, "%s/bin/tool.wasm", root);
  cr_assert_str_eq(out, want);
  /* /etc/passwd of the host is not reachable: inside the rootfs the link
   * points at a missing file. */
  cr_assert_eq(find("{\"process\":{\"args\":[\"/escape.wasm\"]}}", out, &err),
               WA_ENOTFOUND);
}

Test(shim_module, messages_name_what_is_wrong) {
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"{\"process\":{\"args\":[\"/missing.wasm\"]}}",
       "module /missing.wasm not found in the image"},
      {"{\"process\":{\"args\":[\"nope.wasm\"]}}", "searched on PATH"},
      {"{\"process\":{\"args\":[\"/bad.wasm\"]}}",
       "/bad.wasm is not a WebAssembly module: it starts with 23 21 2f 62"},
      {"{\"process\":{\"args\":[\"/empty.wasm\"]}}", "/empty.wasm is empty"},
      {"{\"process\":{\"args\":[\"/native\"]}}",
       "/native is a native executable"},
      {"{\"process\":{\"args\":[\"/bin\"]}}", "/bin is not a regular file"},
      {"{\"process\":{\"args\":[]}}", "process.args is empty"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[256];
    wa_err err;
    cr_assert_neq(find(cases[i].json, out, &err), 0, "%s", cases[i].json);
    cr_assert(strstr(err.msg, cases[i].want), "%s: got '%s'", cases[i].json,
              err.msg);
  }
}
