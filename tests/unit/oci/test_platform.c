#include "wo.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static wa_err err;

static wo_desc entry(const char *os, const char *arch, const char *variant) {
  wo_desc d;
  memset(&d, 0, sizeof d);
  d.media_type = "application/vnd.oci.image.manifest.v1+json";
  if (os) {
    d.has_platform = true;
    snprintf(d.platform.os, sizeof d.platform.os, "%s", os);
    snprintf(d.platform.arch, sizeof d.platform.arch, "%s", arch);
    snprintf(d.platform.variant, sizeof d.platform.variant, "%s", variant);
  }
  return d;
}

Test(oci_platform, parse_lowercases_and_reads_the_variant) {
  wo_platform p;
  wa_err_init(&err);
  cr_assert_eq(wo_platform_parse("WASI/Wasm32", &p, &err), 0, "%s", err.msg);
  cr_assert_str_eq(p.os, "wasi");
  cr_assert_str_eq(p.arch, "wasm32");
  cr_assert_str_eq(p.variant, "");
  cr_assert_eq(wo_platform_parse("linux/arm64/v8", &p, &err), 0, "%s", err.msg);
  cr_assert_str_eq(p.variant, "v8");
  char buf[64];
  cr_assert_str_eq(wo_platform_str(&p, buf, sizeof buf), "linux/arm64/v8");
}

Test(oci_platform, malformed_platform_strings_are_usage_errors) {
  const char *bad[] = {"wasi", "/wasm", "wasi/", "a/b/c/d", "wa si/wasm", ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    wo_platform p;
    wa_err_init(&err);
    cr_assert_eq(wo_platform_parse(bad[i], &p, &err), WA_EUSAGE, "%s", bad[i]);
  }
}

Test(oci_platform, default_prefers_wasip1_wasm_whatever_the_order) {
  wo_desc v[] = {entry("linux", "amd64", ""), entry("wasi", "wasm32", ""),
                 entry("wasip1", "wasm", "")};
  wo_index idx = {.manifests = v, .n_manifests = 3};
  const wo_desc *d;
  wa_err_init(&err);
  cr_assert_eq(wo_platform_select(&idx, NULL, "idx", &d, &err), 0, "%s",
               err.msg);
  cr_assert_eq(d, &v[2]);
  idx.n_manifests = 2;
  cr_assert_eq(wo_platform_select(&idx, NULL, "idx", &d, &err), 0, "%s",
               err.msg);
  cr_assert_eq(d, &v[1]);
}

Test(oci_platform, explicit_platform_matches_exactly_and_by_variant) {
  wo_desc v[] = {entry("wasi", "wasm", ""), entry("linux", "arm64", "v8"),
                 entry("linux", "amd64", "")};
  wo_index idx = {.manifests = v, .n_manifests = 3};
  wo_platform want;
  const wo_desc *d;
  wa_err_init(&err);
  cr_assert_eq(wo_platform_parse("linux/amd64", &want, &err), 0);
  cr_assert_eq(wo_platform_select(&idx, &want, "idx", &d, &err), 0, "%s",
               err.msg);
  cr_assert_eq(d, &v[2]);
  cr_assert_eq(wo_platform_parse("linux/arm64", &want, &err), 0);
  cr_assert_eq(wo_platform_select(&idx, &want, "idx", &d, &err), 0, "%s",
               err.msg);
  cr_assert_eq(d, &v[1]);
  cr_assert_eq(wo_platform_parse("linux/arm64/v7", &want, &err), 0);
  cr_assert_eq(wo_platform_select(&idx, &want, "idx", &d, &err), WA_ENOTFOUND);
  /* wasi/wasm32 is not wasi/wasm when asked for explicitly. */
  wa_err_init(&err);
  cr_assert_eq(wo_platform_parse("wasi/wasm32", &want, &err), 0);
  cr_assert_eq(wo_platform_select(&idx, &want, "idx", &d, &err), WA_ENOTFOUND);
}

Test(oci_platform, no_match_lists_what_the_index_offers) {
  wo_desc v[] = {entry("linux", "amd64", ""), entry("linux", "arm64", "v8"),
                 entry("wasip2", "wasm", "")};
  wo_index idx = {.manifests = v, .n_manifests = 3};
  const wo_desc *d;
  wa_err_init(&err);
  cr_assert_eq(wo_platform_select(&idx, NULL, "myimage", &d, &err),
               WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "myimage"), "%s", err.msg);
  cr_assert(strstr(err.msg, "linux/amd64, linux/arm64/v8, wasip2/wasm"), "%s",
            err.msg);
  cr_assert(strstr(err.msg, "--platform"), "%s", err.msg);
}

Test(oci_platform, a_lone_entry_without_platform_is_taken) {
  wo_desc v[] = {entry(NULL, NULL, NULL), entry(NULL, NULL, NULL)};
  wo_index idx = {.manifests = v, .n_manifests = 1};
  const wo_desc *d;
  wa_err_init(&err);
  cr_assert_eq(wo_platform_select(&idx, NULL, "x", &d, &err), 0, "%s", err.msg);
  idx.n_manifests = 2;
  cr_assert_eq(wo_platform_select(&idx, NULL, "x", &d, &err), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "(no platform)"), "%s", err.msg);
}

Test(oci_platform, wasm_platforms_are_recognised) {
  wo_platform p = {"wasip1", "wasm32", ""};
  cr_assert(wo_platform_is_wasm(&p));
  wo_platform q = {"linux", "wasm", ""};
  cr_assert_not(wo_platform_is_wasm(&q));
}
