/*
 * test_api.c: the compiler's entry points (compiler/api.c, ctx.c): config
 * resolution (triples, CPUs, features), clean errors for bad modules and
 * unsupported instructions, and the wc_api_v1 table of the shared library.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

static int compile(const uint8_t *w, size_t n, const wc_config *c,
                   uint8_t **out, size_t *len, wa_err *err) {
  wa_err_init(err);
  return wc_compile(w, n, "test.wasm", c, out, len, err);
}

Test(compiler_api, defaults_are_guard_mode_at_o2) {
  wc_config c;
  wc_config_default(&c);
  cr_assert_eq(c.bounds, WR_BOUNDS_GUARD);
  cr_assert_eq(c.opt_level, 2);
  cr_assert_null(c.triple);
  cr_assert_null(c.cpu);
}

Test(compiler_api, host_builds_resolve_native_to_the_host_cpu) {
  wc_config c;
  wc_config_default(&c);
  wc_resolved r;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wc_config_resolve(&c, &r, &err), 0, "%s", err.msg);
  cr_assert(strstr(r.triple, "-unknown-linux-gnu"), "%s", r.triple);
  cr_assert_str_neq(r.cpu, "native");
  cr_assert_neq(r.cpu[0], 0);
#if defined(__x86_64__)
  cr_assert_str_eq(r.triple, "x86_64-unknown-linux-gnu");
  cr_assert(strstr(r.features, "+sse2"), "%s", r.features);
#endif
}

Test(compiler_api, cross_targets_use_the_portable_baseline) {
  wc_config c;
  wc_config_default(&c);
  wc_resolved r;
  wa_err err;
  wa_err_init(&err);
  c.triple = "arm64-linux-gnu";
  c.features = "+lse,-sve,+lse";
  cr_assert_eq(wc_config_resolve(&c, &r, &err), 0, "%s", err.msg);
  cr_assert_str_eq(r.triple, "aarch64-unknown-linux-gnu");
#if defined(__x86_64__)
  cr_assert_str_eq(r.cpu, "generic");
  cr_assert_str_eq(r.features, "+lse,-sve");
  c.triple = "x86_64-pc-linux-gnu";
  c.features = NULL;
  c.cpu = "skylake";
  cr_assert_eq(wc_config_resolve(&c, &r, &err), 0, "%s", err.msg);
  cr_assert_str_eq(r.cpu, "skylake");
  cr_assert_str_eq(r.features, "");
#endif
}

Test(compiler_api, bad_targets_and_options_are_usage_errors) {
  wc_config c;
  wc_config_default(&c);
  wc_resolved r;
  wa_err err;
  wa_err_init(&err);
  c.triple = "riscv64-unknown-linux-gnu";
  cr_assert_eq(wc_config_resolve(&c, &r, &err), WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "riscv64"), "%s", err.msg);
  wa_err_init(&err);
  c.triple = "x86_64-apple-darwin";
  cr_assert_eq(wc_config_resolve(&c, &r, &err), WA_EUNSUPPORTED);
  wa_err_init(&err);
  c.triple = "aarch64-linux-gnu";
  c.cpu = "native";
#if defined(__x86_64__)
  cr_assert_eq(wc_config_resolve(&c, &r, &err), WA_EUSAGE);
#endif
  wa_err_init(&err);
  c.cpu = NULL;
  c.features = "avx2";
  cr_assert_eq(wc_config_resolve(&c, &r, &err), WA_EUSAGE);
  cr_assert(strstr(err.msg, "avx2"), "%s", err.msg);
  wa_err_init(&err);
  c.features = NULL;
  c.opt_level = 4;
  cr_assert_eq(wc_config_resolve(&c, &r, &err), WA_EUSAGE);
  wa_err_init(&err);
  c.opt_level = 2;
  c.bounds = 7;
  cr_assert_eq(wc_config_resolve(&c, &r, &err), WA_EUSAGE);
}

Test(compiler_api, malformed_and_invalid_modules_fail_with_an_offset) {
  static const uint8_t truncated[] = {0, 'a', 's', 'm', 1, 0, 0, 0,
                                      1, 5, 1, 0x60};
  /* (func (result i32) (i64.const 0)) */
  static const uint8_t mistyped[] = {0, 'a',  's',  'm',  1,    0,    0,
                                     0, 1,    5,    1,    0x60, 0,    1,
                                     0x7f, 3, 2,    1,    0,    0x0a, 6,
                                     1, 4,    0,    0x42, 0,    0x0b};
  uint8_t *out = NULL;
  size_t len;
  wa_err err;
  cr_assert_eq(compile(truncated, sizeof truncated, NULL, &out, &len, &err),
               WA_EMALFORMED);
  cr_assert_neq(err.off, WA_NOOFF);
  cr_assert_eq(compile(mistyped, sizeof mistyped, NULL, &out, &len, &err),
               WA_EINVALID);
  cr_assert_neq(err.off, WA_NOOFF);
  cr_assert_geq(err.off, 22u, "offset %llu is not in the code",
                (unsigned long long)err.off);
  cr_assert_null(out);
}

Test(compiler_api, simd_arithmetic_is_reported_unsupported_with_its_name) {
#ifdef WC_HAVE_SIMD
  cr_skip("emit_simd.c is built in");
#else
  uint8_t *w, *out = NULL;
  size_t n, len;
  wa_err err;
  cr_assert_eq(wct_wasm("simd", &w, &n), 0);
  cr_assert_eq(compile(w, n, NULL, &out, &len, &err), WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "SIMD instruction i32x4.add is not supported yet"),
            "%s", err.msg);
  cr_assert_neq(err.off, WA_NOOFF);
  cr_assert_null(out);
  wa_free(w);
#endif
}

Test(compiler_api, shared_library_exports_only_the_api_table) {
  void *so = dlopen(WCT_COMPILER_SO, RTLD_NOW | RTLD_LOCAL);
  cr_assert_not_null(so, "%s", dlerror());
  const wc_api *api = dlsym(so, WC_API_SYMBOL);
  cr_assert_not_null(api);
  cr_assert_eq(api->version, WC_API_VERSION);
  cr_assert_geq(api->size, sizeof(wc_api));
  cr_assert_null(dlsym(so, "wc_compile"));
  cr_assert_null(dlsym(so, "wm_load"));
  cr_assert_null(dlsym(so, "wa_malloc"));
  uint8_t *w, *out = NULL;
  size_t n, len = 0;
  cr_assert_eq(wct_wasm("control", &w, &n), 0);
  wc_config c;
  api->config_default(&c);
  c.opt_level = 1;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(api->compile(w, n, "control.wasm", &c, &out, &len, &err), 0,
               "%s", err.msg);
  cr_assert_gt(len, sizeof(Elf64_Ehdr));
  cr_assert_eq(memcmp(out, ELFMAG, SELFMAG), 0);
  cr_assert(strstr(api->version_string(), WA_VERSION));
  api->free(out);
  wa_free(w);
  dlclose(so);
}
