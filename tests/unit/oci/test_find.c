#include "internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *work;
static char dir[600];
static wa_err err;
static wa_arena arena;
static wo_layout *lay;

static void setup(void) {
  work = t_tempdir("find");
  snprintf(dir, sizeof dir, "%s/lay", work);
  wa_err_init(&err);
  wa_arena_init(&arena, 0);
  cr_assert_eq(wo_layout_create(dir, &lay, &err), 0, "%s", err.msg);
}
static void teardown(void) {
  wo_layout_free(lay);
  wa_arena_free(&arena);
  t_rmrf(work);
  free(work);
}
TestSuite(oci_find, .init = setup, .fini = teardown);

static const uint8_t mod_a[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 'A'};
static const uint8_t mod_b[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 'B'};

/* Loads the manifest and config of m from the layout. */
static void load(const wo_desc *md, wo_manifest *m, wo_config *c) {
  uint8_t *data;
  size_t len;
  cr_assert_eq(
      wo_blob_read(wo_layout_blobs(lay), md, 1 << 20, "t", &data, &len, &err),
      0, "%s", err.msg);
  cr_assert_eq(
      wo_manifest_parse(data, len, md->media_type, "m", &arena, m, &err), 0,
      "%s", err.msg);
  free(data);
  cr_assert_eq(wo_blob_read(wo_layout_blobs(lay), &m->config, 1 << 20, "t",
                            &data, &len, &err),
               0, "%s", err.msg);
  cr_assert_eq(
      wo_config_parse(data, len, m->config.media_type, "c", &arena, c, &err), 0,
      "%s", err.msg);
  free(data);
}

static int find(const wo_desc *md, wo_module *out) {
  wo_manifest m;
  wo_config c;
  load(md, &m, &c);
  return wo_find_module(wo_layout_blobs(lay), &m, &c, work, NULL, &arena, out,
                        &err);
}

/* One image from layers given as entry lists. */
static wo_desc image(const wo_entry *const *layers, const size_t *n, size_t nl,
                     const wo_image_spec *spec) {
  wo_desc ld[4], md;
  char ids[4][WO_DIGEST_MAX];
  const char *idp[4];
  for (size_t i = 0; i < nl; i++) {
    cr_assert_eq(
        wo_layout_put_layer(lay, layers[i], n[i],
                            i % 2 ? WO_COMPRESS_ZSTD : WO_COMPRESS_GZIP, &ld[i],
                            ids[i], &err),
        0, "%s", err.msg);
    idp[i] = ids[i];
  }
  cr_assert_eq(wo_layout_put_image(lay, spec, ld, idp, nl, &md, &err), 0, "%s",
               err.msg);
  return md;
}

Test(oci_find, artifact_module_is_its_wasm_layer) {
  wo_desc md;
  cr_assert_eq(
      wo_layout_put_artifact(lay, mod_a, sizeof mod_a, NULL, &md, &err), 0);
  wo_module mod;
  cr_assert_eq(find(&md, &mod), 0, "%s", err.msg);
  cr_assert_eq(mod.kind, WO_IMAGE_ARTIFACT);
  cr_assert_eq(mod.len, sizeof mod_a);
  cr_assert_eq(memcmp(mod.bytes, mod_a, sizeof mod_a), 0);
  uint8_t sha[32];
  char d[WO_DIGEST_MAX];
  wa_sha256_once(mod_a, sizeof mod_a, sha);
  wo_digest_format(sha, d);
  cr_assert_str_eq(mod.digest, d);
  wo_module_clear(&mod);
}

Test(oci_find, artifact_layer_without_wasm_magic_is_refused) {
  wo_desc md;
  cr_assert_eq(wo_layout_put_artifact(lay, "#!/bin/sh\n", 10, NULL, &md, &err),
               0);
  wo_module mod;
  cr_assert_eq(find(&md, &mod), WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "\\0asm"), "%s", err.msg);
}

Test(oci_find, artifact_with_two_layers_is_refused) {
  wo_desc l1, l2, cfg, md;
  cr_assert_eq(wo_layout_put_blob(lay, mod_a, sizeof mod_a, "application/wasm",
                                  &l1, &err),
               0);
  cr_assert_eq(wo_layout_put_blob(lay, mod_b, sizeof mod_b, "application/wasm",
                                  &l2, &err),
               0);
  const char *c = "{\"architecture\":\"wasm\",\"os\":\"wasip1\"}";
  cr_assert_eq(wo_layout_put_blob(lay, c, strlen(c),
                                  "application/vnd.wasm.config.v0+json", &cfg,
                                  &err),
               0);
  char j[2048];
  snprintf(
      j, sizeof j,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\","
      "\"size\":%llu},"
      "\"layers\":[{\"mediaType\":\"application/"
      "wasm\",\"digest\":\"%s\",\"size\":%llu},"
      "{\"mediaType\":\"application/wasm\",\"digest\":\"%s\",\"size\":%llu}]}",
      cfg.media_type, cfg.digest, (unsigned long long)cfg.size, l1.digest,
      (unsigned long long)l1.size, l2.digest, (unsigned long long)l2.size);
  cr_assert_eq(wo_layout_put_blob(lay, j, strlen(j),
                                  "application/vnd.oci.image.manifest.v1+json",
                                  &md, &err),
               0);
  wo_module mod;
  cr_assert_eq(find(&md, &mod), WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "2 layers"), "%s", err.msg);
}

Test(oci_find, rootfs_module_is_the_entrypoint_file_with_config_fields) {
  wo_entry l0[] = {
      {WO_ENTRY_FILE, "app/hello.wasm", mod_a, sizeof mod_a, 0755, NULL},
      {WO_ENTRY_FILE, "etc/motd", "hi", 2, 0, NULL}};
  const wo_entry *layers[] = {l0};
  size_t n[] = {2};
  const char *ep[] = {"/app/hello.wasm", NULL}, *cmd[] = {"x", NULL},
             *env[] = {"PATH=/", "K=v", NULL};
  wo_image_spec spec = {{"wasip1", "wasm", ""}, ep, cmd, env, "/app"};
  wo_desc md = image(layers, n, 1, &spec);
  wo_module mod;
  cr_assert_eq(find(&md, &mod), 0, "%s", err.msg);
  cr_assert_eq(mod.kind, WO_IMAGE_ROOTFS);
  cr_assert_str_eq(mod.path, "/app/hello.wasm");
  cr_assert_eq(mod.len, sizeof mod_a);
  cr_assert_eq(mod.config.n_env, 2);
  cr_assert_str_eq(mod.config.env[1], "K=v");
  cr_assert_str_eq(mod.config.working_dir, "/app");
  cr_assert_str_eq(mod.config.cmd[0], "x");
  wo_module_clear(&mod);
  /* the scratch unpack is gone */
  cr_assert_eq(t_count(work), 1);
}

Test(oci_find, bare_cmd_is_found_through_path_and_symlinks_resolve_inside) {
  wo_entry l0[] = {
      {WO_ENTRY_FILE, "opt/real.wasm", mod_b, sizeof mod_b, 0, NULL},
      {WO_ENTRY_SYMLINK, "bin/run.wasm", NULL, 0, 0, "/opt/real.wasm"}};
  const wo_entry *layers[] = {l0};
  size_t n[] = {2};
  const char *cmd[] = {"run.wasm", NULL}, *env[] = {"PATH=/usr/bin:/bin", NULL};
  wo_image_spec spec = {{"wasi", "wasm", ""}, NULL, cmd, env, NULL};
  wo_desc md = image(layers, n, 1, &spec);
  wo_module mod;
  cr_assert_eq(find(&md, &mod), 0, "%s", err.msg);
  cr_assert_eq(memcmp(mod.bytes, mod_b, sizeof mod_b), 0);
  wo_module_clear(&mod);
}

Test(oci_find, upper_layer_overrides_and_whiteouts_apply) {
  wo_entry l0[] = {{WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0, NULL},
                   {WO_ENTRY_FILE, "gone.wasm", mod_a, sizeof mod_a, 0, NULL}};
  wo_entry l1[] = {{WO_ENTRY_FILE, "m.wasm", mod_b, sizeof mod_b, 0, NULL},
                   {WO_ENTRY_FILE, ".wh.gone.wasm", "", 0, 0, NULL}};
  const wo_entry *layers[] = {l0, l1};
  size_t n[] = {2, 2};
  const char *ep[] = {"/m.wasm", NULL}, *ep2[] = {"/gone.wasm", NULL};
  wo_image_spec spec = {{"wasip1", "wasm", ""}, ep, NULL, NULL, NULL};
  wo_desc md = image(layers, n, 2, &spec);
  wo_module mod;
  cr_assert_eq(find(&md, &mod), 0, "%s", err.msg);
  cr_assert_eq(memcmp(mod.bytes, mod_b, sizeof mod_b), 0);
  wo_module_clear(&mod);
  spec.entrypoint = ep2;
  md = image(layers, n, 2, &spec);
  cr_assert_eq(find(&md, &mod), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "/gone.wasm"), "%s", err.msg);
}

Test(oci_find, entrypoint_that_is_not_wasm_or_missing_is_explained) {
  wo_entry l0[] = {{WO_ENTRY_FILE, "bin/sh",
                    "\x7f"
                    "ELF",
                    4, 0755, NULL}};
  const wo_entry *layers[] = {l0};
  size_t n[] = {1};
  const char *ep[] = {"/bin/sh", NULL};
  wo_image_spec spec = {{"linux", "amd64", ""}, ep, NULL, NULL, NULL};
  wo_desc md = image(layers, n, 1, &spec);
  wo_module mod;
  cr_assert_eq(find(&md, &mod), WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "/bin/sh is not a Wasm module"), "%s", err.msg);
  spec.entrypoint = NULL;
  md = image(layers, n, 1, &spec);
  wa_err_init(&err);
  cr_assert_eq(find(&md, &mod), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "neither Entrypoint nor Cmd"), "%s", err.msg);
}

Test(oci_find, wrong_diff_id_in_the_config_is_a_digest_error) {
  wo_entry l0[] = {{WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0, NULL}};
  wo_desc ld, md;
  char id[WO_DIGEST_MAX];
  cr_assert_eq(
      wo_layout_put_layer(lay, l0, 1, WO_COMPRESS_GZIP, &ld, &id[0], &err), 0);
  const char *bad =
      "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  const char *ep[] = {"/m.wasm", NULL};
  wo_image_spec spec = {{"wasip1", "wasm", ""}, ep, NULL, NULL, NULL};
  cr_assert_eq(wo_layout_put_image(lay, &spec, &ld, &bad, 1, &md, &err), 0);
  wo_module mod;
  cr_assert_eq(find(&md, &mod), WA_EDIGEST);
  cr_assert(strstr(err.msg, "rootfs.diff_ids[0]"), "%s", err.msg);
  cr_assert_eq(t_count(work), 1, "the scratch unpack was left behind");
}

/* Fails each allocation in turn: every failure is WA_ENOMEM, never a crash,
 * and (under ASan) nothing leaks. */
Test(oci_find, each_failed_allocation_is_reported_as_enomem) {
  wo_desc md;
  cr_assert_eq(wo_layout_put_artifact(lay, mod_a, sizeof mod_a, NULL, &md, &err), 0);
  cr_assert_eq(wo_layout_tag(lay, &md, "x", &err), 0);
  int rc = -1;
  long n;
  for (n = 0; n < 10000 && rc != 0; n++) {
    wa_arena a;
    wa_arena_init(&a, 0);
    wa_err e;
    wa_err_init(&e);
    wo_layout *l = NULL;
    uint8_t *data = NULL;
    size_t len;
    wo_desc d;
    wo_manifest m;
    wo_config c;
    wo_module mod = {0};
    wa_alloc_fail_after(n);
    rc = wo_layout_open(dir, &l, &e);
    if (rc == 0)
      rc = wo_layout_resolve(l, "x", NULL, &a, &d, &e);
    if (rc == 0)
      rc = wo_blob_read(wo_layout_blobs(l), &d, 1 << 20, "t", &data, &len, &e);
    if (rc == 0)
      rc = wo_manifest_parse(data, len, d.media_type, "m", &a, &m, &e);
    wa_free(data);
    data = NULL;
    if (rc == 0)
      rc = wo_blob_read(wo_layout_blobs(l), &m.config, 1 << 20, "t", &data, &len, &e);
    if (rc == 0)
      rc = wo_config_parse(data, len, m.config.media_type, "c", &a, &c, &e);
    if (rc == 0)
      rc = wo_find_module(wo_layout_blobs(l), &m, &c, work, NULL, &a, &mod, &e);
    wa_alloc_fail_after(-1);
    cr_assert(rc == 0 || rc == WA_ENOMEM, "allocation %ld: %s (%s)", n, wa_err_name(rc),
              e.msg);
    wo_module_clear(&mod);
    wa_free(data);
    wo_layout_free(l);
    wa_arena_free(&a);
  }
  cr_assert_eq(rc, 0);
  cr_assert_gt(n, 5, "too few allocations to be a test");
}
