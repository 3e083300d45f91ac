/*
 * native.c: precompiled native artifacts carried beside an image
 * (docs/precompile.md). Writing: the image's own blobs are copied untouched
 * and a referrer manifest (OCI 1.1 "subject") holds one zstd artifact layer
 * and one signature layer per target; an image index lists both, so the
 * image still unpacks anywhere (containerd 1.6 refuses non-tar layers, and
 * an extra layer would change the image's diff_ids and digest). Reading:
 * every annotation is untrusted and only picks candidates; the launcher
 * checks the signature over values it computes itself.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define NATIVE_MAX_ENTRIES 64 /* targets in one referrer */
#define EMPTY_CONFIG "{}"
#define EMPTY_CONFIG_MT "application/vnd.oci.empty.v1+json"

struct wo_native_src {
  wo_layout *layout;
  char scratch[PATH_MAX]; /* unpacked archive, removed at close */
};

/* --------------------------------------------------------------- write */

/* The annotations of one artifact (or, with only the key, its signature). */
static json_t *meta_json(const wo_native_meta *m, bool full) {
  json_t *o = json_object();
  int bad = !o;
  if (o)
    bad |=
        json_object_set_new(o, WO_NATIVE_ANN_KEY, json_string(m->config_key));
  if (o && full) {
    char fmt[16];
    snprintf(fmt, sizeof fmt, "%u", m->format_version);
    bad |= json_object_set_new(o, WO_NATIVE_ANN_TARGET, json_string(m->target));
    bad |= json_object_set_new(o, WO_NATIVE_ANN_MODULE,
                               json_string(m->module_digest));
    bad |= json_object_set_new(o, WO_NATIVE_ANN_FORMAT, json_string(fmt));
    bad |= json_object_set_new(o, WO_NATIVE_ANN_ARTIFACT,
                               json_string(m->artifact_digest));
    if (m->cpu[0])
      bad |= json_object_set_new(o, WO_NATIVE_ANN_CPU, json_string(m->cpu));
  }
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *layer_json(const wo_desc *d, json_t *ann) {
  json_t *o = wo__desc_json(d);
  if (!o || !ann || json_object_set_new(o, "annotations", ann) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static int put_item(wo_layout *l, const wo_native_item *it, json_t *layers,
                    wa_err *err) {
  size_t bound = ZSTD_compressBound(it->len);
  uint8_t *z = wa_malloc(bound ? bound : 1);
  if (!z)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  /* Level 10: artifacts are written once and fetched by every node. */
  size_t zn = ZSTD_compress(z, bound, it->artifact, it->len, 10);
  if (ZSTD_isError(zn)) {
    wa_free(z);
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "zstd: %s",
                   ZSTD_getErrorName(zn));
  }
  wo_desc d;
  int rc = wo_layout_put_blob(l, z, zn, WO_NATIVE_MT_ARTIFACT, &d, err);
  wa_free(z);
  if (rc)
    return rc;
  json_t *j = layer_json(&d, meta_json(&it->meta, true));
  if (!j || json_array_append_new(layers, j) != 0)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory building JSON");
  if (!it->sig)
    return 0;
  char kid[65], sig[129];
  wa_hex(it->sig->key_id, 32, kid);
  wa_hex(it->sig->sig, 64, sig);
  json_t *s = json_pack("{s:s, s:s, s:s}", "keyId", kid, "signature", sig,
                        "algorithm", "ed25519");
  wo_desc sd;
  if ((rc = wo__layout_put_json(l, s, WO_NATIVE_MT_SIGNATURE, &sd, err)))
    return rc;
  j = layer_json(&sd, meta_json(&it->meta, false));
  if (!j || json_array_append_new(layers, j) != 0)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory building JSON");
  return 0;
}

/* Copies the manifest, its config and layers from src (verified twice: on
 * read and by the sink). */
static int copy_image(wo_layout *src, const wo_desc *man, wo_layout *dest,
                      wa_arena *a, wa_err *err) {
  const wo_blobs *b = wo_layout_blobs(src);
  int dfd = wo_layout_blobs(dest)->fd[0];
  uint8_t *data;
  size_t len;
  wo_manifest m;
  int rc = wo_blob_read(b, man, WO_MANIFEST_MAX, wo_layout_dir(src), &data,
                        &len, err);
  if (rc)
    return rc;
  rc = wo_manifest_parse(data, len, man->media_type, man->digest, a, &m, err);
  wa_free(data);
  if (rc == 0)
    rc = wo__blob_copy(b, man, wo_layout_dir(src), dfd, err);
  if (rc == 0)
    rc = wo__blob_copy(b, &m.config, wo_layout_dir(src), dfd, err);
  for (size_t i = 0; rc == 0 && i < m.n_layers; i++)
    rc = wo__blob_copy(b, &m.layers[i], wo_layout_dir(src), dfd, err);
  return rc;
}

int wo_native_put_referrer(wo_layout *dest, const wo_desc *subject,
                           const wo_native_item *items, size_t n, wo_desc *out,
                           wa_err *err) {
  wo_desc cfg, ref;
  json_t *layers = json_array();
  int rc = layers ? 0 : wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  if (n == 0 || n > NATIVE_MAX_ENTRIES)
    rc = wa_fail(err, WA_EUSAGE, WA_NOOFF,
                 "between 1 and %d native artifacts per image, not %zu",
                 NATIVE_MAX_ENTRIES, n);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = put_item(dest, &items[i], layers, err);
  if (rc == 0)
    rc = wo_layout_put_blob(dest, EMPTY_CONFIG, strlen(EMPTY_CONFIG),
                            EMPTY_CONFIG_MT, &cfg, err);
  if (rc == 0) {
    wo_desc subj = *subject;
    subj.has_platform = false;
    subj.artifact_type = NULL;
    subj.ref_name = subj.image_name = NULL;
    subj.annotations = NULL;
    subj.n_annotations = 0;
    json_t *ann =
        json_pack("{s:s}", WO_NATIVE_ANN_MODULE, items[0].meta.module_digest);
    json_t *j = json_pack(
        "{s:i, s:s, s:s, s:o, s:O, s:o, s:o}", "schemaVersion", 2, "mediaType",
        wo__media_types[WO_MT_OCI_MANIFEST], "artifactType",
        WO_NATIVE_ARTIFACT_TYPE, "config", wo__desc_json(&cfg), "layers",
        layers, "subject", wo__desc_json(&subj), "annotations", ann);
    rc = wo__layout_put_json(dest, j, wo__media_types[WO_MT_OCI_MANIFEST], &ref,
                             err);
  }
  json_decref(layers);
  if (rc == 0) {
    ref.artifact_type = WO_NATIVE_ARTIFACT_TYPE;
    *out = ref;
  }
  return rc;
}

int wo_native_write_image(const char *src_dir, const char *manifest_digest,
                          const wo_platform *p, const wo_native_item *items,
                          size_t n, wo_layout *dest, const char *tag,
                          wo_desc *out_manifest, wa_err *err) {
  wo_layout *src = NULL;
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_desc man, ref;
  int rc = wo_layout_open(src_dir, &src, err);
  if (rc == 0)
    rc = wo_layout_resolve(src, NULL, manifest_digest, &a, &man, err);
  if (rc == 0)
    rc = copy_image(src, &man, dest, &a, err);
  if (rc == 0)
    rc = wo_native_put_referrer(dest, &man, items, n, &ref, err);
  if (rc == 0) {
    /* The image under its tag, exactly as it was; the referrer beside it,
     * untagged (image-spec 1.1 lists referrers in index.json), which
     * tag-based tools (containerd import, umoci, skopeo) pass over. */
    wo_desc img = man;
    img.has_platform = true;
    img.platform = *p;
    img.ref_name = img.image_name = NULL;
    img.annotations = NULL;
    img.n_annotations = 0;
    rc = wo_layout_tag(dest, &img, tag && *tag ? tag : "latest", err);
    if (rc == 0)
      rc = wo_layout_tag(dest, &ref, NULL, err);
    if (rc == 0 && out_manifest)
      *out_manifest = ref;
  }
  wo_layout_free(src);
  wa_arena_free(&a);
  return rc;
}

/* ---------------------------------------------------------------- read */

static const char *ann_get(const wo_desc *d, const char *key) {
  for (size_t i = 0; i < d->n_annotations; i++)
    if (strcmp(d->annotations[2 * i], key) == 0)
      return d->annotations[2 * i + 1];
  return NULL;
}

static int copy_ann(const wo_desc *d, const char *key, char *out, size_t n,
                    bool required, const char *what, const char *field,
                    wa_err *err) {
  const char *v = ann_get(d, key);
  if (!v) {
    out[0] = 0;
    return required ? wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                              "%s: %s lacks annotation %s", what, field, key)
                    : 0;
  }
  if (strlen(v) >= n)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: %s: annotation %s is too long", what, field, key);
  memcpy(out, v, strlen(v) + 1);
  return 0;
}

static int meta_parse(const wo_desc *d, wo_native_meta *m, const char *what,
                      const char *field, wa_err *err) {
  char fmt[16];
  uint8_t sha[32];
  memset(m, 0, sizeof *m);
  if (copy_ann(d, WO_NATIVE_ANN_TARGET, m->target, sizeof m->target, true, what,
               field, err) ||
      copy_ann(d, WO_NATIVE_ANN_MODULE, m->module_digest,
               sizeof m->module_digest, true, what, field, err) ||
      copy_ann(d, WO_NATIVE_ANN_FORMAT, fmt, sizeof fmt, true, what, field,
               err) ||
      copy_ann(d, WO_NATIVE_ANN_KEY, m->config_key, sizeof m->config_key, true,
               what, field, err) ||
      copy_ann(d, WO_NATIVE_ANN_ARTIFACT, m->artifact_digest,
               sizeof m->artifact_digest, true, what, field, err) ||
      copy_ann(d, WO_NATIVE_ANN_CPU, m->cpu, sizeof m->cpu, false, what, field,
               err))
    return err->code;
  char *end;
  errno = 0;
  unsigned long f = strtoul(fmt, &end, 10);
  if (!fmt[0] || *end || errno || f > UINT32_MAX)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: %s: %s is not a number: '%s'", what, field,
                   WO_NATIVE_ANN_FORMAT, fmt);
  m->format_version = (uint32_t)f;
  if (strlen(m->config_key) != 64 || wa_unhex(m->config_key, sha, 32) != 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: %s: %s is not 64 hex digits", what, field,
                   WO_NATIVE_ANN_KEY);
  if (wo_digest_parse(m->module_digest, field, sha, err) ||
      wo_digest_parse(m->artifact_digest, field, sha, err))
    return err->code;
  return 0;
}

int wo_native_parse(const uint8_t *data, size_t len, const char *subject_digest,
                    const char *what, wa_arena *a, wo_native_set *out,
                    wa_err *err) {
  json_t *j = NULL;
  int rc = wo__json_load(data, len, WO_MANIFEST_MAX, what, &j, err);
  if (rc)
    return rc;
  json_t *at = json_object_get(j, "artifactType");
  json_t *subj = json_object_get(j, "subject");
  json_t *sd = json_is_object(subj) ? json_object_get(subj, "digest") : NULL;
  json_t *layers = json_object_get(j, "layers");
  if (!json_is_string(at) ||
      strcmp(json_string_value(at), WO_NATIVE_ARTIFACT_TYPE) != 0 ||
      !json_is_string(sd) ||
      strcmp(json_string_value(sd), subject_digest) != 0) {
    json_decref(j);
    return 0; /* another attachment, or for another image */
  }
  if (!json_is_array(layers) ||
      json_array_size(layers) > 2 * NATIVE_MAX_ENTRIES) {
    json_decref(j);
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: layers: not an array of at most %d", what,
                   2 * NATIVE_MAX_ENTRIES);
  }
  size_t nl = json_array_size(layers);
  wo_desc *d = wa_arena_alloc(a, (nl + 1) * sizeof *d);
  wo_native_entry *v = wa_arena_alloc(a, (out->n + nl + 1) * sizeof *v);
  if (!d || !v) {
    json_decref(j);
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory parsing %s", what);
  }
  if (out->n)
    memcpy(v, out->v, out->n * sizeof *v);
  size_t n = out->n;
  for (size_t i = 0; rc == 0 && i < nl; i++) {
    char field[32];
    snprintf(field, sizeof field, "layers[%zu]", i);
    if ((rc = wo__desc_parse(json_array_get(layers, i), field, what, a, &d[i],
                             err)))
      break;
    if (!d[i].media_type || strcmp(d[i].media_type, WO_NATIVE_MT_ARTIFACT))
      continue;
    memset(&v[n], 0, sizeof v[n]);
    if ((rc = meta_parse(&d[i], &v[n].meta, what, field, err)))
      break;
    v[n++].artifact = d[i];
  }
  /* Signatures pair with artifacts by configuration key. */
  for (size_t i = 0; rc == 0 && i < nl; i++) {
    if (!d[i].media_type || strcmp(d[i].media_type, WO_NATIVE_MT_SIGNATURE))
      continue;
    const char *k = ann_get(&d[i], WO_NATIVE_ANN_KEY);
    for (size_t e = out->n; k && e < n; e++)
      if (!v[e].has_sig && strcmp(v[e].meta.config_key, k) == 0) {
        v[e].has_sig = true;
        v[e].sig = d[i];
        break;
      }
  }
  json_decref(j);
  if (rc == 0) {
    out->v = v;
    out->n = n;
  }
  return rc;
}

int wo_native_src_open_layout(const char *dir, wo_native_src **out,
                              wa_err *err) {
  wo_native_src *s = wa_calloc(1, sizeof *s);
  if (!s)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  int rc = wo_layout_open(dir, &s->layout, err);
  if (rc) {
    wa_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int wo_native_src_open(const wo_ref *ref, const char *scratch_dir,
                       const wo_limits *lim, wo_native_src **out, wa_err *err) {
  if (ref->kind == WO_REF_LAYOUT)
    return wo_native_src_open_layout(ref->path, out, err);
  if (ref->kind != WO_REF_ARCHIVE)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "native artifacts of registry images come from the "
                   "referrers API");
  wo_native_src *s = wa_calloc(1, sizeof *s);
  if (!s)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  wo_limits dl;
  if (!lim) {
    wo_limits_default(&dl);
    lim = &dl;
  }
  int rc = 0, root = -1, fd = -1;
  if (snprintf(s->scratch, sizeof s->scratch, "%s/native.XXXXXX",
               scratch_dir) >= (int)sizeof s->scratch ||
      !mkdtemp(s->scratch)) {
    s->scratch[0] = 0;
    rc = wa_fail_errno(err, WA_EIO, "cannot create a temp dir in %s",
                       scratch_dir);
  }
  if (rc == 0 &&
      (root = open(s->scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    rc = wa_fail_errno(err, WA_EIO, "cannot open %s", s->scratch);
  if (rc == 0 && (fd = open(ref->path, O_RDONLY | O_CLOEXEC)) < 0)
    rc = wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                       "cannot open %s", ref->path);
  uint64_t used[2] = {0, 0};
  if (rc == 0)
    rc = wo_tar_apply(root, fd, ref->path, WO_TAR_LAYOUT, lim, used, NULL, err);
  if (fd >= 0)
    close(fd);
  if (root >= 0)
    close(root);
  if (rc == 0)
    rc = wo_layout_open(s->scratch, &s->layout, err);
  if (rc) {
    wo_native_src_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void wo_native_src_close(wo_native_src *s) {
  if (!s)
    return;
  wo_layout_free(s->layout);
  if (s->scratch[0])
    wo__rmtree_quiet(s->scratch);
  wa_free(s);
}

int wo_native_find_referrer(wo_native_src *s, const wo_desc *d,
                            const char *subject_digest, wa_arena *a,
                            wo_native_set *out, wa_err *err) {
  uint8_t *data;
  size_t len;
  int rc = wo_blob_read(wo_layout_blobs(s->layout), d, WO_MANIFEST_MAX,
                        wo_layout_dir(s->layout), &data, &len, err);
  if (rc)
    return rc;
  rc = wo_native_parse(data, len, subject_digest, d->digest, a, out, err);
  wa_free(data);
  return rc;
}

/* Adds the referrers 'idx' lists. */
static int scan_index(wo_native_src *s, const wo_index *idx,
                      const char *subject_digest, wa_arena *a,
                      wo_native_set *out, wa_err *err) {
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < idx->n_manifests; i++) {
    const wo_desc *d = &idx->manifests[i];
    if (d->artifact_type &&
        strcmp(d->artifact_type, WO_NATIVE_ARTIFACT_TYPE) == 0)
      rc = wo_native_find_referrer(s, d, subject_digest, a, out, err);
  }
  return rc;
}

int wo_native_find(wo_native_src *s, const wo_ref *ref,
                   const char *subject_digest, wa_arena *a, wo_native_set *out,
                   wa_err *err) {
  wo_desc top;
  wo_role role;
  uint8_t *data;
  size_t len;
  wo_index idx;
  char path[PATH_MAX];
  memset(out, 0, sizeof *out);
  /* index.json itself (where precompile puts them) ... */
  snprintf(path, sizeof path, "%s/index.json", wo_layout_dir(s->layout));
  int rc = wa_file_read(path, &data, &len, err);
  if (rc == 0) {
    rc = wo_index_parse(data, len, NULL, path, a, &idx, err);
    wa_free(data);
  }
  if (rc == 0)
    rc = scan_index(s, &idx, subject_digest, a, out, err);
  /* ... and the image index the reference names, if it is one. */
  if (rc == 0)
    rc = wo_layout_resolve(s->layout, ref->tag, ref->digest, a, &top, err);
  if (rc == 0)
    rc = wo_blob_read(wo_layout_blobs(s->layout), &top, WO_MANIFEST_MAX,
                      wo_layout_dir(s->layout), &data, &len, err);
  if (rc)
    return rc;
  rc = wo_doc_role(data, len, top.media_type, top.digest, &role, err);
  if (rc == 0 && role == WO_ROLE_INDEX)
    rc = wo_index_parse(data, len, top.media_type, top.digest, a, &idx, err);
  wa_free(data);
  if (rc || role != WO_ROLE_INDEX)
    return rc;
  return scan_index(s, &idx, subject_digest, a, out, err);
}

/* Decompresses a whole zstd stream of at most WO_NATIVE_MAX bytes; frames
 * need not record their size (streaming compressors omit it). */
static int unzstd(const uint8_t *z, size_t zn, const char *what, uint8_t **out,
                  size_t *out_len, wa_err *err) {
  ZSTD_DStream *ds = ZSTD_createDStream();
  if (!ds)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  unsigned long long hint = ZSTD_getFrameContentSize(z, zn);
  size_t cap = hint < WO_NATIVE_MAX ? (size_t)hint + 1 : 1u << 20;
  uint8_t *buf = wa_malloc(cap);
  ZSTD_inBuffer in = {z, zn, 0};
  size_t len = 0, r = 1;
  int rc = buf ? 0 : wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  while (rc == 0 && (in.pos < in.size || r != 0)) {
    if (len == cap) {
      if (cap > WO_NATIVE_MAX) {
        rc = wa_fail(err, WA_ELIMIT, WA_NOOFF,
                     "native artifact %s: more than %u bytes", what,
                     WO_NATIVE_MAX);
        break;
      }
      uint8_t *nb = wa_realloc(buf, cap * 2);
      if (!nb) {
        rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
        break;
      }
      buf = nb;
      cap *= 2;
    }
    ZSTD_outBuffer ob = {buf, cap, len};
    size_t before = in.pos;
    r = ZSTD_decompressStream(ds, &ob, &in);
    if (ZSTD_isError(r)) {
      rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                   "native artifact %s: bad zstd stream (%s)", what,
                   ZSTD_getErrorName(r));
      break;
    }
    bool progress = ob.pos != len || in.pos != before;
    len = ob.pos;
    if (!progress && len < cap) {
      rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                   "native artifact %s: truncated zstd stream", what);
      break;
    }
  }
  ZSTD_freeDStream(ds);
  if (rc == 0 && len > WO_NATIVE_MAX)
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF,
                 "native artifact %s: more than %u bytes", what, WO_NATIVE_MAX);
  if (rc == 0 && len == 0)
    rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF, "native artifact %s: empty", what);
  if (rc) {
    wa_free(buf);
    return rc;
  }
  *out = buf;
  *out_len = len;
  return 0;
}

int wo_native_read_artifact(wo_native_src *s, const wo_native_entry *e,
                            uint8_t **out, size_t *out_len, wa_err *err) {
  uint8_t *z;
  size_t zn;
  *out = NULL;
  int rc = wo_blob_read(wo_layout_blobs(s->layout), &e->artifact, WO_NATIVE_MAX,
                        wo_layout_dir(s->layout), &z, &zn, err);
  if (rc)
    return rc;
  rc = unzstd(z, zn, e->artifact.digest, out, out_len, err);
  wa_free(z);
  return rc;
}

int wo_native_read_sig(wo_native_src *s, const wo_native_entry *e,
                       wo_native_sig *out, wa_err *err) {
  if (!e->has_sig)
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "native artifact %s: unsigned",
                   e->artifact.digest);
  uint8_t *data;
  size_t len;
  json_t *j = NULL;
  int rc = wo_blob_read(wo_layout_blobs(s->layout), &e->sig, 4096,
                        wo_layout_dir(s->layout), &data, &len, err);
  if (rc == 0) {
    rc = wo__json_load(data, len, 4096, e->sig.digest, &j, err);
    wa_free(data);
  }
  if (rc)
    return rc;
  json_t *k = json_object_get(j, "keyId"),
         *sg = json_object_get(j, "signature"),
         *al = json_object_get(j, "algorithm");
  if (!json_is_string(k) || !json_is_string(sg) || !json_is_string(al) ||
      strcmp(json_string_value(al), "ed25519") != 0 ||
      json_string_length(k) != 64 || json_string_length(sg) != 128 ||
      wa_unhex(json_string_value(k), out->key_id, 32) != 0 ||
      wa_unhex(json_string_value(sg), out->sig, 64) != 0)
    rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                 "signature %s: want {\"algorithm\": \"ed25519\", \"keyId\": "
                 "64 hex, \"signature\": 128 hex}",
                 e->sig.digest);
  json_decref(j);
  return rc;
}
