/*
 * build.c: writing images into a layout: tar layers (libarchive, with
 * gzip or zstd), configs, manifests, Wasm artifacts and indexes. Used by
 * the tests and later by `warm --push`. Output is deterministic: mtime 0,
 * uid/gid 0, no gzip timestamp.
 */
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

typedef struct membuf {
  wa_buf buf;
  wa_err *err;
} membuf;

static la_ssize_t mem_write(struct archive *a, void *ud, const void *p,
                            size_t n) {
  membuf *m = ud;
  if (wa_buf_append(&m->buf, p, n, m->err) != 0) {
    archive_set_error(a, 12 /* ENOMEM */, "out of memory");
    return -1;
  }
  return (la_ssize_t)n;
}

static int ar_err(struct archive *a, const char *doing, wa_err *err) {
  return wa_fail(err, WA_EIO, WA_NOOFF, "%s: %s", doing,
                 archive_error_string(a) ? archive_error_string(a)
                                         : "libarchive failed");
}

static int write_tar(const wo_entry *entries, size_t n, membuf *out,
                     wa_err *err) {
  struct archive *a = archive_write_new();
  if (!a)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  int rc = 0;
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_open(a, out, NULL, mem_write, NULL) != ARCHIVE_OK)
    rc = ar_err(a, "starting a layer", err);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const wo_entry *w = &entries[i];
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, w->path);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    switch (w->type) {
    case WO_ENTRY_FILE:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, w->mode ? w->mode : 0644);
      archive_entry_set_size(e, (la_int64_t)w->len);
      break;
    case WO_ENTRY_DIR:
      archive_entry_set_filetype(e, AE_IFDIR);
      archive_entry_set_perm(e, w->mode ? w->mode : 0755);
      break;
    case WO_ENTRY_SYMLINK:
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_perm(e, 0777);
      archive_entry_set_symlink(e, w->link);
      break;
    case WO_ENTRY_HARDLINK:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, w->mode ? w->mode : 0644);
      archive_entry_set_hardlink(e, w->link);
      archive_entry_set_size(e, 0);
      break;
    }
    if (archive_write_header(a, e) != ARCHIVE_OK)
      rc = ar_err(a, w->path, err);
    else if (w->type == WO_ENTRY_FILE && w->len &&
             archive_write_data(a, w->data, w->len) != (la_ssize_t)w->len)
      rc = ar_err(a, w->path, err);
    archive_entry_free(e);
  }
  if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
    rc = ar_err(a, "finishing a layer", err);
  archive_write_free(a);
  return rc;
}

static int compress(const wa_buf *in, wo_compression comp, membuf *out,
                    wa_err *err) {
  struct archive *a = archive_write_new();
  if (!a)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  int rc = 0;
  int f = comp == WO_COMPRESS_GZIP ? archive_write_add_filter_gzip(a)
                                   : archive_write_add_filter_zstd(a);
  if (f != ARCHIVE_OK || archive_write_set_format_raw(a) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
      (comp == WO_COMPRESS_GZIP &&
       archive_write_set_filter_option(a, "gzip", "timestamp", NULL) !=
           ARCHIVE_OK) ||
      archive_write_open(a, out, NULL, mem_write, NULL) != ARCHIVE_OK)
    rc = ar_err(a, "starting compression", err);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, "layer.tar");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, (la_int64_t)in->len);
  if (rc == 0 && archive_write_header(a, e) != ARCHIVE_OK)
    rc = ar_err(a, "compressing", err);
  if (rc == 0 && in->len &&
      archive_write_data(a, in->data, in->len) != (la_ssize_t)in->len)
    rc = ar_err(a, "compressing", err);
  archive_entry_free(e);
  if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
    rc = ar_err(a, "finishing compression", err);
  archive_write_free(a);
  return rc;
}

int wo_layout_put_layer(wo_layout *l, const wo_entry *entries, size_t n,
                        wo_compression comp, wo_desc *out,
                        char out_diff_id[WO_DIGEST_MAX], wa_err *err) {
  membuf tar = {.err = err}, z = {.err = err};
  wa_buf_init(&tar.buf);
  wa_buf_init(&z.buf);
  int rc = write_tar(entries, n, &tar, err);
  if (rc == 0) {
    uint8_t sha[32];
    wa_sha256_once(tar.buf.data, tar.buf.len, sha);
    wo_digest_format(sha, out_diff_id);
  }
  if (rc == 0 && comp != WO_COMPRESS_NONE)
    rc = compress(&tar.buf, comp, &z, err);
  if (rc == 0) {
    const wa_buf *b = comp == WO_COMPRESS_NONE ? &tar.buf : &z.buf;
    int mt = comp == WO_COMPRESS_NONE   ? WO_MT_OCI_LAYER_TAR
             : comp == WO_COMPRESS_GZIP ? WO_MT_OCI_LAYER_GZIP
                                        : WO_MT_OCI_LAYER_ZSTD;
    rc = wo_layout_put_blob(l, b->data, b->len, wo__media_types[mt], out, err);
  }
  wa_buf_free(&tar.buf);
  wa_buf_free(&z.buf);
  return rc;
}

static json_t *strv_json(const char *const *v) {
  json_t *a = json_array();
  for (; a && v && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

int wo__layout_put_json(wo_layout *l, json_t *j, const char *mt, wo_desc *out,
                        wa_err *err) {
  uint8_t *data;
  size_t len;
  if (!j)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory building JSON");
  int rc = wo__json_dump(j, &data, &len, err);
  json_decref(j);
  if (rc != 0)
    return rc;
  rc = wo_layout_put_blob(l, data, len, mt, out, err);
  wa_free(data);
  return rc;
}

static json_t *manifest_json(const wo_desc *config, const wo_desc *layers,
                             size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++)
    json_array_append_new(arr, wo__desc_json(&layers[i]));
  return json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
                   wo__media_types[WO_MT_OCI_MANIFEST], "config",
                   wo__desc_json(config), "layers", arr);
}

int wo_layout_put_image(wo_layout *l, const wo_image_spec *spec,
                        const wo_desc *layers, const char *const *diff_ids,
                        size_t n_layers, wo_desc *out, wa_err *err) {
  json_t *cfg = json_object();
  if (spec->entrypoint)
    json_object_set_new(cfg, "Entrypoint", strv_json(spec->entrypoint));
  if (spec->cmd)
    json_object_set_new(cfg, "Cmd", strv_json(spec->cmd));
  if (spec->env)
    json_object_set_new(cfg, "Env", strv_json(spec->env));
  if (spec->working_dir)
    json_object_set_new(cfg, "WorkingDir", json_string(spec->working_dir));
  json_t *ids = json_array();
  for (size_t i = 0; i < n_layers; i++)
    json_array_append_new(ids, json_string(diff_ids[i]));
  json_t *c = json_pack("{s:s, s:s, s:o, s:{s:s, s:o}}", "architecture",
                        spec->platform.arch, "os", spec->platform.os, "config",
                        cfg, "rootfs", "type", "layers", "diff_ids", ids);
  if (c && spec->platform.variant[0])
    json_object_set_new(c, "variant", json_string(spec->platform.variant));
  wo_desc config;
  if (wo__layout_put_json(l, c, wo__media_types[WO_MT_OCI_CONFIG], &config,
                          err) != 0)
    return err->code;
  return wo__layout_put_json(l, manifest_json(&config, layers, n_layers),
                             wo__media_types[WO_MT_OCI_MANIFEST], out, err);
}

int wo_layout_put_artifact(wo_layout *l, const void *wasm, size_t len,
                           const wo_platform *p, wo_desc *out, wa_err *err) {
  wo_desc layer, config;
  if (wo_layout_put_blob(l, wasm, len, wo__media_types[WO_MT_WASM_LAYER],
                         &layer, err) != 0)
    return err->code;
  json_t *c =
      json_pack("{s:s, s:s, s:[s]}", "architecture", p ? p->arch : "wasm", "os",
                p ? p->os : "wasip1", "layerDigests", layer.digest);
  if (wo__layout_put_json(l, c, wo__media_types[WO_MT_WASM_CONFIG_V0], &config,
                          err) != 0)
    return err->code;
  return wo__layout_put_json(l, manifest_json(&config, &layer, 1),
                             wo__media_types[WO_MT_OCI_MANIFEST], out, err);
}

int wo_layout_put_index(wo_layout *l, const wo_desc *manifests, size_t n,
                        wo_desc *out, wa_err *err) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++)
    json_array_append_new(arr, wo__desc_json(&manifests[i]));
  json_t *j = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType",
                        wo__media_types[WO_MT_OCI_INDEX], "manifests", arr);
  return wo__layout_put_json(l, j, wo__media_types[WO_MT_OCI_INDEX], out, err);
}
