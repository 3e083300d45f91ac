#include "internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *work;
static char laydir[600], storedir[600], ref[1024];
static wa_err err;
static wo_layout *lay;
static wo_store *st;

static const uint8_t mod_a[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 'A'};
static const uint8_t mod_b[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 'B'};

static void setup(void) {
  work = t_tempdir("store");
  snprintf(laydir, sizeof laydir, "%s/lay", work);
  snprintf(storedir, sizeof storedir, "%s/store", work);
  wa_err_init(&err);
  cr_assert_eq(wo_layout_create(laydir, &lay, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_store_open(storedir, &st, &err), 0, "%s", err.msg);
}
static void teardown(void) {
  wo_layout_free(lay);
  wo_store_free(st);
  t_rmrf(work);
  free(work);
}
TestSuite(oci_store, .init = setup, .fini = teardown);

static char *store_path(const char *rel) {
  static char buf[800];
  snprintf(buf, sizeof buf, "%s/%s", storedir, rel);
  return buf;
}

static const char *tagged(const char *tag) {
  snprintf(ref, sizeof ref, "oci:%s:%s", laydir, tag);
  return ref;
}

static wo_desc artifact(const uint8_t *m, size_t n, const char *tag) {
  wo_desc d;
  cr_assert_eq(wo_layout_put_artifact(lay, m, n, NULL, &d, &err), 0, "%s",
               err.msg);
  cr_assert_eq(wo_layout_tag(lay, &d, tag, &err), 0, "%s", err.msg);
  return d;
}

static wo_desc rootfs(const uint8_t *m, size_t n, wo_compression comp,
                      const wo_platform *p, wo_desc *layer) {
  wo_entry e[] = {{WO_ENTRY_FILE, "app/main.wasm", m, n, 0755, NULL}};
  wo_desc ld, md;
  char id[WO_DIGEST_MAX];
  const char *ids[] = {id};
  cr_assert_eq(wo_layout_put_layer(lay, e, 1, comp, &ld, id, &err), 0, "%s",
               err.msg);
  const char *ep[] = {"/app/main.wasm", NULL}, *env[] = {"A=1", NULL};
  wo_image_spec spec = {*p, ep, NULL, env, "/app"};
  cr_assert_eq(wo_layout_put_image(lay, &spec, &ld, ids, 1, &md, &err), 0, "%s",
               err.msg);
  if (layer)
    *layer = ld;
  md.has_platform = true;
  md.platform = *p;
  return md;
}

static int pull(const char *r, const char *platform, wo_image_info *info) {
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  o.platform = platform;
  wa_err_init(&err);
  return wo_store_pull(st, r, &o, info, &err);
}

static void assert_store_empty(void) {
  cr_assert_eq(t_count(store_path("blobs/sha256")), 0, "blobs were published");
  wo_image_info *v;
  size_t n;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wo_store_list(st, &v, &n, &e), 0, "%s", e.msg);
  cr_assert_eq(n, 0, "a ref was written");
  wa_free(v);
  cr_assert_eq(t_count(store_path("tmp")), 0, "scratch left in tmp/");
}

Test(oci_store, pulled_artifact_is_listed_opened_and_removed) {
  wo_desc d = artifact(mod_a, sizeof mod_a, "v1");
  wo_image_info info;
  cr_assert_eq(pull(tagged("v1"), NULL, &info), 0, "%s", err.msg);
  cr_assert_str_eq(info.digest, d.digest);
  cr_assert_str_eq(info.manifest_digest, d.digest);
  cr_assert_eq(info.kind, WO_IMAGE_ARTIFACT);
  cr_assert_eq(info.module_size, sizeof mod_a);
  cr_assert_str_eq(info.name, tagged("v1"));
  cr_assert_eq(t_count(store_path("blobs/sha256")),
               3); /* manifest config layer */
  cr_assert_eq(t_count(store_path("incoming")), 0);

  wo_image_info *v;
  size_t n;
  cr_assert_eq(wo_store_list(st, &v, &n, &err), 0, "%s", err.msg);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(v[0].name, info.name);
  cr_assert_str_eq(v[0].platform.os, "wasip1");
  wa_free(v);

  wa_arena a;
  wa_arena_init(&a, 0);
  wo_image_info oi;
  wo_module mod;
  cr_assert_eq(wo_store_image_open(st, tagged("v1"), &a, &oi, &mod, &err), 0,
               "%s", err.msg);
  cr_assert_eq(mod.len, sizeof mod_a);
  cr_assert_eq(memcmp(mod.bytes, mod_a, sizeof mod_a), 0);
  wo_module_clear(&mod);
  wa_arena_free(&a);

  size_t removed;
  uint64_t blobs, bytes;
  cr_assert_eq(
      wo_store_remove(st, tagged("v1"), &removed, &blobs, &bytes, &err), 0,
      "%s", err.msg);
  cr_assert_eq(removed, 1);
  cr_assert_eq(blobs, 3);
  cr_assert_gt(bytes, 0);
  assert_store_empty();
  wa_err_init(&err);
  cr_assert_eq(wo_store_remove(st, tagged("v1"), NULL, NULL, NULL, &err),
               WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "wasmaot images"), "%s", err.msg);
}

Test(oci_store, rootfs_image_in_an_index_is_chosen_by_platform) {
  wo_platform wasm = {"wasi", "wasm", ""}, amd = {"linux", "amd64", ""};
  wo_desc m[2];
  m[0] = rootfs(mod_a, sizeof mod_a, WO_COMPRESS_ZSTD, &amd, NULL);
  m[1] = rootfs(mod_b, sizeof mod_b, WO_COMPRESS_GZIP, &wasm, NULL);
  wo_desc idx;
  cr_assert_eq(wo_layout_put_index(lay, m, 2, &idx, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_layout_tag(lay, &idx, "multi", &err), 0, "%s", err.msg);
  wo_image_info info;
  cr_assert_eq(pull(tagged("multi"), NULL, &info), 0, "%s", err.msg);
  cr_assert_str_eq(info.digest, idx.digest);
  cr_assert_str_eq(info.manifest_digest, m[1].digest);
  cr_assert_eq(info.kind, WO_IMAGE_ROOTFS);
  cr_assert_str_eq(info.platform.os, "wasi");

  wa_arena a;
  wa_arena_init(&a, 0);
  wo_image_info oi;
  wo_module mod;
  /* by a digest prefix of the index */
  char prefix[20];
  snprintf(prefix, sizeof prefix, "%.14s", wo_digest_hex(idx.digest));
  cr_assert_eq(wo_store_image_open(st, prefix, &a, &oi, &mod, &err), 0, "%s",
               err.msg);
  cr_assert_eq(memcmp(mod.bytes, mod_b, sizeof mod_b), 0);
  cr_assert_str_eq(mod.path, "/app/main.wasm");
  cr_assert_str_eq(mod.config.working_dir, "/app");
  cr_assert_str_eq(mod.config.env[0], "A=1");
  wo_module_clear(&mod);
  wa_arena_free(&a);

  /* The amd64 one pulls too (its entrypoint happens to be Wasm here). */
  cr_assert_eq(pull(tagged("multi"), "linux/amd64", &info), 0, "%s", err.msg);
  cr_assert_str_eq(info.manifest_digest, m[0].digest);
  cr_assert_eq(pull(tagged("multi"), "linux/arm64", &info), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "linux/amd64, wasi/wasm"), "%s", err.msg);
}

Test(oci_store, explicit_platform_must_match_a_single_manifest) {
  wo_platform wasm = {"wasip1", "wasm", ""};
  wo_desc m = rootfs(mod_a, sizeof mod_a, WO_COMPRESS_NONE, &wasm, NULL);
  cr_assert_eq(wo_layout_tag(lay, &m, "one", &err), 0);
  wo_image_info info;
  cr_assert_eq(pull(tagged("one"), "linux/amd64", &info), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "single image for wasip1/wasm"), "%s", err.msg);
  assert_store_empty();
  cr_assert_eq(pull(tagged("one"), "wasip1/wasm", &info), 0, "%s", err.msg);
}

Test(oci_store, tampered_blob_is_named_and_nothing_is_stored) {
  wo_platform wasm = {"wasip1", "wasm", ""};
  wo_desc layer;
  wo_desc m = rootfs(mod_a, sizeof mod_a, WO_COMPRESS_GZIP, &wasm, &layer);
  cr_assert_eq(wo_layout_tag(lay, &m, "t", &err), 0);
  char p[800];
  snprintf(p, sizeof p, "%s/blobs/sha256/%s", laydir,
           wo_digest_hex(layer.digest));
  size_t n;
  char *b = t_read(p, &n);
  b[n / 2] ^= 0x55;
  t_write(p, b, n);
  free(b);
  wo_image_info info;
  cr_assert_eq(pull(tagged("t"), NULL, &info), WA_EDIGEST);
  cr_assert(strstr(err.msg, layer.digest), "%s", err.msg);
  cr_assert(strstr(err.msg, laydir), "%s", err.msg);
  assert_store_empty();
  cr_assert_eq(t_count(store_path("incoming")), 0);
}

Test(oci_store, layer_escaping_its_root_fails_the_pull_cleanly) {
  wo_entry e[] = {
      {WO_ENTRY_SYMLINK, "x", NULL, 0, 0, "../../../../etc"},
      {WO_ENTRY_FILE, "app/main.wasm", mod_a, sizeof mod_a, 0, NULL}};
  wo_desc ld, md;
  char id[WO_DIGEST_MAX];
  const char *ids[] = {id};
  cr_assert_eq(wo_layout_put_layer(lay, e, 2, WO_COMPRESS_GZIP, &ld, id, &err),
               0);
  const char *ep[] = {"/app/main.wasm", NULL};
  wo_image_spec spec = {{"wasip1", "wasm", ""}, ep, NULL, NULL, NULL};
  cr_assert_eq(wo_layout_put_image(lay, &spec, &ld, ids, 1, &md, &err), 0);
  cr_assert_eq(wo_layout_tag(lay, &md, "esc", &err), 0);
  wo_image_info info;
  cr_assert_eq(pull(tagged("esc"), NULL, &info), WA_EESCAPE);
  cr_assert(strstr(err.msg, "points outside"), "%s", err.msg);
  assert_store_empty();
}

Test(oci_store, oci_archive_pulls_and_leaves_no_scratch) {
  artifact(mod_a, sizeof mod_a, "latest");
  char tar[700];
  snprintf(tar, sizeof tar, "%s/img.tar", work);
  cr_assert_eq(wo_archive_write(laydir, tar, &err), 0, "%s", err.msg);
  snprintf(ref, sizeof ref, "oci-archive:%s", tar);
  wo_image_info info;
  cr_assert_eq(pull(ref, NULL, &info), 0, "%s", err.msg);
  cr_assert_eq(info.kind, WO_IMAGE_ARTIFACT);
  cr_assert_eq(t_count(store_path("tmp")), 0);
}

Test(oci_store, shared_blobs_survive_removing_one_of_two_names) {
  artifact(mod_a, sizeof mod_a, "a");
  artifact(mod_a, sizeof mod_a, "b");
  artifact(mod_b, sizeof mod_b, "c");
  wo_image_info info;
  cr_assert_eq(pull(tagged("a"), NULL, &info), 0, "%s", err.msg);
  cr_assert_eq(pull(tagged("b"), NULL, &info), 0, "%s", err.msg);
  cr_assert_eq(pull(tagged("c"), NULL, &info), 0, "%s", err.msg);
  cr_assert_eq(pull(tagged("c"), NULL, &info), 0, "pulling again: %s", err.msg);
  wo_image_info *v;
  size_t n;
  cr_assert_eq(wo_store_list(st, &v, &n, &err), 0);
  cr_assert_eq(n, 3);
  wa_free(v);
  int before = t_count(store_path("blobs/sha256"));
  cr_assert_eq(before, 6, "a and b share all 3 blobs, c has 3; got %d", before);
  uint64_t blobs;
  cr_assert_eq(wo_store_remove(st, tagged("a"), NULL, &blobs, NULL, &err), 0,
               "%s", err.msg);
  cr_assert_eq(blobs, 0);
  /* by full digest: both names of c's digest would go; c is alone */
  cr_assert_eq(wo_store_remove(st, info.digest, NULL, &blobs, NULL, &err), 0,
               "%s", err.msg);
  cr_assert_gt(blobs, 0);
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_image_info oi;
  wo_module mod;
  cr_assert_eq(wo_store_image_open(st, tagged("b"), &a, &oi, &mod, &err), 0,
               "%s", err.msg);
  wo_module_clear(&mod);
  wa_arena_free(&a);
}

Test(oci_store, ambiguous_or_short_prefixes_are_refused) {
  artifact(mod_a, sizeof mod_a, "a");
  wo_image_info info;
  cr_assert_eq(pull(tagged("a"), NULL, &info), 0, "%s", err.msg);
  char shortp[12];
  snprintf(shortp, sizeof shortp, "%.8s", wo_digest_hex(info.digest));
  wa_err_init(&err);
  cr_assert_eq(wo_store_remove(st, shortp, NULL, NULL, NULL, &err),
               WA_ENOTFOUND);
}

Test(oci_store, gc_deletes_stray_blobs_and_stale_scratch) {
  artifact(mod_a, sizeof mod_a, "a");
  wo_image_info info;
  cr_assert_eq(pull(tagged("a"), NULL, &info), 0, "%s", err.msg);
  t_write(
      store_path(
          "blobs/sha256/"
          "0000000000000000000000000000000000000000000000000000000000000000"),
      "junk", 4);
  mkdir(store_path("tmp/find.abc"), 0755);
  uint64_t blobs, bytes;
  cr_assert_eq(wo_store_gc(st, &blobs, &bytes, &err), 0, "%s", err.msg);
  cr_assert_eq(blobs, 1);
  cr_assert_eq(bytes, 4);
  cr_assert_eq(t_count(store_path("blobs/sha256")), 3);
  cr_assert_eq(t_count(store_path("tmp")), 0);
}

Test(oci_store, a_corrupted_stored_blob_is_caught_on_open) {
  artifact(mod_a, sizeof mod_a, "a");
  wo_image_info info;
  cr_assert_eq(pull(tagged("a"), NULL, &info), 0, "%s", err.msg);
  char rel[200];
  snprintf(rel, sizeof rel, "blobs/sha256/%s",
           wo_digest_hex(info.module_digest));
  uint8_t evil[sizeof mod_a];
  memcpy(evil, mod_a, sizeof evil);
  evil[sizeof evil - 1] = 'Z';
  t_write(store_path(rel), evil, sizeof evil);
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_image_info oi;
  wo_module mod;
  cr_assert_eq(wo_store_image_open(st, tagged("a"), &a, &oi, &mod, &err),
               WA_EDIGEST);
  cr_assert(strstr(err.msg, info.module_digest), "%s", err.msg);
  wa_arena_free(&a);
}

Test(oci_store, concurrent_pulls_of_one_image_agree) {
  wo_platform wasm = {"wasip1", "wasm", ""};
  wo_desc m = rootfs(mod_a, sizeof mod_a, WO_COMPRESS_ZSTD, &wasm, NULL);
  cr_assert_eq(wo_layout_tag(lay, &m, "c", &err), 0);
  pid_t kids[4];
  for (int i = 0; i < 4; i++) {
    kids[i] = fork();
    cr_assert_geq(kids[i], 0);
    if (kids[i] == 0) {
      wo_store *s2;
      wo_image_info info;
      wa_err e;
      wa_err_init(&e);
      wo_pull_opts o;
      memset(&o, 0, sizeof o);
      int rc = wo_store_open(storedir, &s2, &e) ||
               wo_store_pull(s2, tagged("c"), &o, &info, &e);
      if (rc)
        fprintf(stderr, "child: %s\n", e.msg);
      _exit(rc ? 1 : 0);
    }
  }
  for (int i = 0; i < 4; i++) {
    int status;
    cr_assert_eq(waitpid(kids[i], &status, 0), kids[i]);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  wo_image_info *v;
  size_t n;
  cr_assert_eq(wo_store_list(st, &v, &n, &err), 0);
  cr_assert_eq(n, 1);
  wa_free(v);
  cr_assert_eq(t_count(store_path("incoming")), 0);
  /* manifest, config, layer, module */
  cr_assert_eq(t_count(store_path("blobs/sha256")), 4);
}

Test(oci_store, default_root_follows_the_environment) {
  char buf[512];
  setenv("WASMAOT_STORE_DIR", "/x/store", 1);
  cr_assert_eq(wo_store_default_root(buf, sizeof buf, &err), 0);
  cr_assert_str_eq(buf, "/x/store");
  unsetenv("WASMAOT_STORE_DIR");
  setenv("XDG_DATA_HOME", "/xdg", 1);
  cr_assert_eq(wo_store_default_root(buf, sizeof buf, &err), 0);
  cr_assert_str_eq(buf, "/xdg/wasmaot/images");
  setenv("XDG_DATA_HOME", "relative", 1);
  setenv("HOME", "/home/u", 1);
  cr_assert_eq(wo_store_default_root(buf, sizeof buf, &err), 0);
  cr_assert_str_eq(buf, "/home/u/.local/share/wasmaot/images");
}

Test(oci_store, open_rootfs_unpacks_a_rootfs_image_and_not_an_artifact) {
  wo_platform wasm = {"wasip1", "wasm", ""};
  wo_desc md = rootfs(mod_a, sizeof mod_a, WO_COMPRESS_GZIP, &wasm, NULL);
  cr_assert_eq(wo_layout_tag(lay, &md, "fs", &err), 0, "%s", err.msg);
  artifact(mod_b, sizeof mod_b, "art");
  wo_image_info info;
  cr_assert_eq(pull(tagged("fs"), NULL, &info), 0, "%s", err.msg);
  cr_assert_eq(pull(tagged("art"), NULL, &info), 0, "%s", err.msg);

  char target[700], file[800];
  snprintf(target, sizeof target, "%s/run-rootfs", work);
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_image_info oi;
  wo_module mod;
  cr_assert_eq(
      wo_store_image_open_rootfs(st, tagged("fs"), &a, target, &oi, &mod, &err),
      0, "%s", err.msg);
  cr_assert_eq(oi.kind, WO_IMAGE_ROOTFS);
  snprintf(file, sizeof file, "%s/app/main.wasm", target);
  struct stat sb;
  cr_assert_eq(stat(file, &sb), 0, "the layer was not unpacked to %s", file);
  cr_assert_eq((size_t)sb.st_size, sizeof mod_a);
  wo_module_clear(&mod);
  /* An existing target is refused rather than merged into. */
  wa_err_init(&err);
  cr_assert_neq(
      wo_store_image_open_rootfs(st, tagged("fs"), &a, target, &oi, &mod, &err),
      0);
  wo_module_clear(&mod);
  cr_assert_eq(wo_rmtree(target, &err), 0, "%s", err.msg);
  /* A Wasm artifact has no rootfs: the target stays absent. */
  wa_err_init(&err);
  cr_assert_eq(wo_store_image_open_rootfs(st, tagged("art"), &a, target, &oi,
                                          &mod, &err),
               0, "%s", err.msg);
  cr_assert_eq(oi.kind, WO_IMAGE_ARTIFACT);
  cr_assert_neq(stat(target, &sb), 0);
  wo_module_clear(&mod);
  wa_arena_free(&a);
}
