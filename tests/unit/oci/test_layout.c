#include "internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *work;
static char dir[600];
static wa_err err;
static wa_arena arena;

static void setup(void) {
  work = t_tempdir("layout");
  snprintf(dir, sizeof dir, "%s/lay", work);
  wa_err_init(&err);
  wa_arena_init(&arena, 0);
}
static void teardown(void) {
  wa_arena_free(&arena);
  t_rmrf(work);
  free(work);
}
TestSuite(oci_layout, .init = setup, .fini = teardown);

Test(oci_layout, artifact_written_tagged_and_resolved_by_tag_or_digest) {
  wo_layout *l;
  cr_assert_eq(wo_layout_create(dir, &l, &err), 0, "%s", err.msg);
  wo_desc m;
  cr_assert_eq(wo_layout_put_artifact(l, t_wasm, sizeof t_wasm, NULL, &m, &err),
               0, "%s", err.msg);
  cr_assert_eq(wo_layout_tag(l, &m, "v1", &err), 0, "%s", err.msg);
  wo_desc got;
  cr_assert_eq(wo_layout_resolve(l, "v1", NULL, &arena, &got, &err), 0, "%s",
               err.msg);
  cr_assert_str_eq(got.digest, m.digest);
  cr_assert_str_eq(got.ref_name, "v1");
  cr_assert_eq(wo_layout_resolve(l, NULL, NULL, &arena, &got, &err), 0, "%s",
               err.msg);
  cr_assert_eq(wo_layout_resolve(l, NULL, m.digest, &arena, &got, &err), 0,
               "%s", err.msg);
  cr_assert_str_eq(got.media_type,
                   "application/vnd.oci.image.manifest.v1+json");
  /* retagging replaces, a second tag adds */
  cr_assert_eq(wo_layout_tag(l, &m, "v1", &err), 0, "%s", err.msg);
  cr_assert_eq(wo_layout_tag(l, &m, "v2", &err), 0, "%s", err.msg);
  cr_assert_eq(wo_layout_resolve(l, NULL, NULL, &arena, &got, &err), WA_EUSAGE);
  cr_assert(strstr(err.msg, "v1, v2"), "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(wo_layout_resolve(l, "nope", NULL, &arena, &got, &err),
               WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "tags: v1, v2"), "%s", err.msg);
  wo_layout_free(l);
}

Test(oci_layout, a_digest_not_in_index_json_resolves_from_its_blob) {
  wo_layout *l;
  cr_assert_eq(wo_layout_create(dir, &l, &err), 0, "%s", err.msg);
  wo_desc m, idx;
  cr_assert_eq(wo_layout_put_artifact(l, t_wasm, sizeof t_wasm, NULL, &m, &err),
               0);
  m.has_platform = true;
  snprintf(m.platform.os, sizeof m.platform.os, "wasip1");
  snprintf(m.platform.arch, sizeof m.platform.arch, "wasm");
  cr_assert_eq(wo_layout_put_index(l, &m, 1, &idx, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_layout_tag(l, &idx, "multi", &err), 0, "%s", err.msg);
  wo_desc got;
  cr_assert_eq(wo_layout_resolve(l, NULL, m.digest, &arena, &got, &err), 0,
               "%s", err.msg);
  cr_assert_eq(got.size, m.size);
  cr_assert_eq(wo_media_role(got.media_type), WO_ROLE_MANIFEST);
  wo_layout_free(l);
}

Test(oci_layout, a_directory_without_oci_layout_is_refused) {
  wo_layout *l;
  cr_assert_eq(wo_layout_open(work, &l, &err), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "not an OCI image layout"), "%s", err.msg);
  char p[700];
  snprintf(p, sizeof p, "%s/oci-layout", work);
  t_write(p, "{\"imageLayoutVersion\":\"2.0.0\"}", 30);
  wa_err_init(&err);
  cr_assert_eq(wo_layout_open(work, &l, &err), WA_EUNSUPPORTED);
}

Test(oci_layout, oci_archive_round_trips_through_layout_mode_unpacking) {
  wo_layout *l;
  cr_assert_eq(wo_layout_create(dir, &l, &err), 0, "%s", err.msg);
  wo_desc m;
  cr_assert_eq(wo_layout_put_artifact(l, t_wasm, sizeof t_wasm, NULL, &m, &err),
               0);
  cr_assert_eq(wo_layout_tag(l, &m, "latest", &err), 0);
  wo_layout_free(l);
  char tar[700], out[700];
  snprintf(tar, sizeof tar, "%s/img.tar", work);
  snprintf(out, sizeof out, "%s/out", work);
  cr_assert_eq(wo_archive_write(dir, tar, &err), 0, "%s", err.msg);
  mkdir(out, 0755);
  cr_assert_eq(t_apply(out, tar, WO_TAR_LAYOUT, NULL, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_layout_open(out, &l, &err), 0, "%s", err.msg);
  wo_desc got;
  cr_assert_eq(wo_layout_resolve(l, "latest", NULL, &arena, &got, &err), 0,
               "%s", err.msg);
  cr_assert_str_eq(got.digest, m.digest);
  uint8_t *data;
  size_t len;
  cr_assert_eq(
      wo_blob_read(wo_layout_blobs(l), &got, 1 << 20, "o", &data, &len, &err),
      0, "%s", err.msg);
  wa_free(data);
  wo_layout_free(l);
}

Test(oci_layout, layers_are_written_compressed_with_their_diff_id) {
  wo_layout *l;
  cr_assert_eq(wo_layout_create(dir, &l, &err), 0, "%s", err.msg);
  wo_entry e[] = {
      {WO_ENTRY_DIR, "app", NULL, 0, 0, NULL},
      {WO_ENTRY_FILE, "app/m.wasm", t_wasm, sizeof t_wasm, 0755, NULL}};
  const wo_compression comps[] = {WO_COMPRESS_NONE, WO_COMPRESS_GZIP,
                                  WO_COMPRESS_ZSTD};
  char diff[3][WO_DIGEST_MAX];
  for (int i = 0; i < 3; i++) {
    wo_desc d;
    cr_assert_eq(wo_layout_put_layer(l, e, 2, comps[i], &d, diff[i], &err), 0,
                 "%s", err.msg);
    int fd;
    cr_assert_eq(wo_blob_open(wo_layout_blobs(l), &d, "o", &fd, &err), 0, "%s",
                 err.msg);
    char root[700];
    snprintf(root, sizeof root, "%s/r%d", work, i);
    mkdir(root, 0755);
    int r = open(root, O_RDONLY | O_DIRECTORY);
    uint64_t used[2] = {0, 0};
    uint8_t sha[32];
    char got[WO_DIGEST_MAX];
    cr_assert_eq(wo_tar_apply(r, fd, "l", WO_TAR_LAYER, NULL, used, sha, &err),
                 0, "%s", err.msg);
    wo_digest_format(sha, got);
    cr_assert_str_eq(got, diff[i]);
    close(r);
    close(fd);
  }
  /* the same tar inside each compression */
  cr_assert_str_eq(diff[0], diff[1]);
  cr_assert_str_eq(diff[0], diff[2]);
  wo_layout_free(l);
}
