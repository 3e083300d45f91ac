/* test_foreign_arch.c: an artifact compiled for the other architecture
 * (aarch64 on an x86_64 host, and the reverse) is refused with a message
 * naming both, from memory, from a file and by the metadata-only read,
 * and never crashes the loader. Links the compiler to make real artifacts, so
 * it is its own binary: test_runtime proves the runtime alone. */
#include "wc.h"
#include "wr.h"

#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* (module (memory 1) (func (export "f") (result i32) i32.const 42)) */
static const uint8_t module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, /* header */
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,       /* type () -> i32 */
    0x03, 0x02, 0x01, 0x00,                         /* func 0: type 0 */
    0x05, 0x03, 0x01, 0x00, 0x01,                   /* memory 1 */
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,       /* export "f" */
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b, /* i32.const 42 */
};

static const char *other_arch(void) {
  return strcmp(wr_host_arch(), "x86_64") == 0 ? "aarch64" : "x86_64";
}

static uint8_t *compile_for(const char *arch, size_t *len) {
  char triple[64];
  snprintf(triple, sizeof triple, "%s-unknown-linux-gnu", arch);
  wc_config cfg;
  wc_config_default(&cfg);
  cfg.triple = triple;
  cfg.threads = 1;
  wa_err err;
  wa_err_init(&err);
  uint8_t *art = NULL;
  cr_assert_eq(
      wc_compile(module, sizeof module, "m.wasm", &cfg, &art, len, &err), 0,
      "%s", err.msg);
  return art;
}

static void expect_foreign(int rc, const wa_err *err) {
  char want[128];
  snprintf(want, sizeof want, "artifact is for %s, this host is %s",
           other_arch(), wr_host_arch());
  cr_assert_eq(rc, WA_EMISMATCH, "rc %d: %s", rc, err->msg);
  cr_assert_str_eq(err->msg, want);
}

Test(foreign_arch, load_refuses_with_both_arches) {
  size_t len;
  uint8_t *art = compile_for(other_arch(), &len);
  uint16_t machine;
  memcpy(&machine, art + 18, 2);
  cr_assert_eq(machine,
               strcmp(other_arch(), "aarch64") == 0 ? EM_AARCH64 : EM_X86_64);
  wa_err err;
  wa_err_init(&err);
  wr_artifact *a = NULL;
  expect_foreign(wr_artifact_load(art, len, "m.wao", &a, &err), &err);
  cr_assert_null(a);
  cr_assert(strstr(err.what, "m.wao"), "what names the input: %s", err.what);
  wa_free(art);
}

Test(foreign_arch, open_refuses_with_both_arches) {
  size_t len;
  uint8_t *art = compile_for(other_arch(), &len);
  char path[] = "/tmp/wasmaot-foreign-XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, art, len), (ssize_t)len);
  close(fd);
  wa_err err;
  wa_err_init(&err);
  wr_artifact *a = NULL;
  int rc = wr_artifact_open(path, &a, &err);
  unlink(path);
  expect_foreign(rc, &err);
  wa_free(art);
}

/* The cache's header check reads only the metadata; it refuses the same
 * way, so a foreign artifact is never taken for a usable entry. */
Test(foreign_arch, metadata_read_refuses_too) {
  size_t len;
  uint8_t *art = compile_for(other_arch(), &len);
  wa_err err;
  wa_err_init(&err);
  wa_arena arena;
  wa_arena_init(&arena, 4096);
  wr_meta m;
  expect_foreign(wr_artifact_read_meta(art, len, "m.wao", &arena, &m, &err),
                 &err);
  wa_arena_free(&arena);
  wa_free(art);
}

/* Damaged foreign artifacts: every truncation is refused without a crash,
 * by the architecture check as soon as the ELF header is there. */
Test(foreign_arch, truncations_are_refused) {
  size_t len;
  uint8_t *art = compile_for(other_arch(), &len);
  for (size_t n = 0; n < len; n += n < 128 ? 1 : 97) {
    wa_err err;
    wa_err_init(&err);
    wr_artifact *a = NULL;
    int rc = wr_artifact_load(art, n, "m.wao", &a, &err);
    cr_assert(rc < 0, "truncated to %zu bytes: loaded", n);
    if (n >= sizeof(Elf64_Ehdr))
      expect_foreign(rc, &err);
  }
  wa_free(art);
}

/* The same module for the host loads and runs: the refusal above is the
 * architecture, not the module. */
Test(foreign_arch, host_artifact_runs) {
  size_t len;
  uint8_t *art = compile_for(wr_host_arch(), &len);
  wa_err err;
  wa_err_init(&err);
  wr_artifact *a;
  cr_assert_eq(wr_artifact_load(art, len, "m.wao", &a, &err), 0, "%s", err.msg);
  wr_store *s;
  cr_assert_eq(wr_store_new(&s, &err), 0, "%s", err.msg);
  wr_instance *inst;
  wr_trap trap;
  cr_assert_eq(wr_instance_new(s, a, NULL, 0, &inst, &trap, &err), 0, "%s",
               err.msg);
  wr_extern e;
  cr_assert_eq(wr_instance_export(inst, "f", 1, &e, &err), 0, "%s", err.msg);
  wr_val v[1];
  memset(v, 0, sizeof v);
  cr_assert_eq(wr_call(e.u.func, v, &trap, &err), 0, "%s", err.msg);
  cr_assert_eq(v[0].i32, 42);
  wr_store_free(s);
  wr_artifact_free(a);
  wa_free(art);
}

/* Target and CPU resolution for cross compilation (docs/cli.md). */
Test(foreign_arch, cross_targets_default_to_the_portable_baseline) {
  wc_config cfg;
  wc_resolved r;
  wa_err err;
  wc_config_default(&cfg);
  wa_err_init(&err);
  cfg.triple = "arm64-linux";
  cr_assert_eq(wc_config_resolve(&cfg, &r, &err), 0, "%s", err.msg);
  cr_assert_str_eq(r.triple, "aarch64-unknown-linux-gnu");
  if (strcmp(wr_host_arch(), "aarch64") != 0)
    cr_assert_str_eq(r.cpu, "generic");
  cfg.triple = "x86_64-unknown-linux-gnu";
  cfg.cpu = "portable";
  cfg.features = "+avx2,-bmi2";
  cr_assert_eq(wc_config_resolve(&cfg, &r, &err), 0, "%s", err.msg);
  cr_assert_str_eq(r.cpu, "x86-64-v2");
  cr_assert_str_eq(r.features, "+avx2,-bmi2");
  cfg.triple = other_arch();
  cfg.cpu = "native";
  cfg.features = NULL;
  cr_assert_eq(wc_config_resolve(&cfg, &r, &err), WA_EUSAGE);
  cr_assert(strstr(err.msg, "native"), "%s", err.msg);
  wa_err_init(&err);
  cfg.triple = "riscv64-unknown-linux-gnu";
  cfg.cpu = NULL;
  cr_assert_eq(wc_config_resolve(&cfg, &r, &err), WA_EUNSUPPORTED);
  wa_err_init(&err);
  cfg.triple = "aarch64-apple-darwin";
  cr_assert_eq(wc_config_resolve(&cfg, &r, &err), WA_EUNSUPPORTED);
}
