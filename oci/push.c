/*
 * push.c: the write side of the distribution API and OCI 1.1 referrers.
 * Pushing walks a manifest or index of a layout depth first (blobs, then
 * child manifests, then the document), so the registry never sees a
 * document whose content it lacks. Referrers are listed with the referrers
 * API, or, where the registry has none (distribution 2.8), through the
 * fallback tag "sha256-<hex>" that push keeps up to date. Fetching is the
 * reverse of a push, into a layout: blobs land in a private staging
 * directory (verified by their sinks) and only then move into blobs/sha256.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NESTING 4
#define ACCEPT_INDEX "Accept: application/vnd.oci.image.index.v1+json"

/* Blobs larger than this are uploaded in PATCH chunks of this size, so a
 * failure costs one chunk, not the blob, and no single request is huge. */
uint64_t wo__push_chunk = 32ull << 20;

static int open_registry(const wo_ref *ref, const wo_pull_opts *o,
                         wo_registry **out, wa_err *err) {
  *out = NULL;
  if (ref->kind != WO_REF_REGISTRY)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "%s is not a registry reference",
                   ref->path[0] ? ref->path : ref->repo);
  return wo__registry_open(ref, o, out, err);
}

/* "sha256:<hex>" as a query value. */
static void digest_query(const char *digest, char *out, size_t n) {
  snprintf(out, n, "sha256%%3A%s", wo_digest_hex(digest));
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static void query_escape(const char *s, char *out, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (; *s && o + 4 < n; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = 0;
}

/* The document's descriptors: config and layers of a manifest, manifests of
 * an index, and the subject. Only syntax is checked (wo__desc_parse): a
 * push carries artifacts whose media types wasmaot does not run. */
typedef struct doc {
  json_t *j;
  wo_role role;
  const char *media_type; /* what to send as Content-Type */
  wo_desc *descs;         /* config + layers, or manifests */
  size_t n_descs;
  wo_desc subject;
  bool has_subject;
} doc;

static void doc_free(doc *d) {
  json_decref(d->j);
  d->j = NULL;
}

static int doc_parse(const uint8_t *data, size_t len, const char *given,
                     const char *what, wa_arena *a, doc *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  if (given && wo_media_role(given) != WO_ROLE_INDEX &&
      wo_media_role(given) != WO_ROLE_MANIFEST)
    given = NULL; /* application/json and the like: the document decides */
  if (wo_doc_role(data, len, given, what, &out->role, err) != 0 ||
      wo__json_load(data, len, WO_MANIFEST_MAX, what, &out->j, err) != 0)
    return err->code;
  json_t *mt = json_object_get(out->j, "mediaType");
  if (json_is_string(mt))
    out->media_type = json_string_value(mt);
  else if (given)
    out->media_type = given;
  else
    out->media_type = out->role == WO_ROLE_INDEX
                          ? wo__media_types[WO_MT_OCI_INDEX]
                          : wo__media_types[WO_MT_OCI_MANIFEST];
  bool index = out->role == WO_ROLE_INDEX;
  json_t *arr = json_object_get(out->j, index ? "manifests" : "layers");
  if (arr && !json_is_null(arr) && !json_is_array(arr))
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s: expected an array",
                   what, index ? "manifests" : "layers");
  size_t n = json_array_size(arr) + (index ? 0 : 1);
  if (n > 1025)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "%s: %zu descriptors, too many",
                   what, n);
  out->descs = wa_arena_alloc(a, (n ? n : 1) * sizeof *out->descs);
  if (!out->descs)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  if (!index) {
    json_t *c = json_object_get(out->j, "config");
    if (!c)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: config: missing", what);
    if (wo__desc_parse(c, "config", what, a, &out->descs[0], err) != 0)
      return err->code;
    out->n_descs = 1;
  }
  for (size_t i = 0; i < json_array_size(arr); i++) {
    char field[64];
    snprintf(field, sizeof field, "%s[%zu]", index ? "manifests" : "layers", i);
    if (wo__desc_parse(json_array_get(arr, i), field, what, a,
                       &out->descs[out->n_descs++], err) != 0)
      return err->code;
  }
  json_t *s = json_object_get(out->j, "subject");
  if (s && !json_is_null(s)) {
    if (wo__desc_parse(s, "subject", what, a, &out->subject, err) != 0)
      return err->code;
    out->has_subject = true;
  }
  return 0;
}

/* ------------------------------------------------------------------ push */

typedef struct pusher {
  wo_registry *r;
  wo_layout *l;
  const char *origin; /* registry/repository */
  uint64_t max_blob;
  wa_arena a;
} pusher;

/* Blob bytes from the layout, verified, to the registry's upload session. */
static int upload(pusher *p, const wo_desc *d, int fd, wa_err *err) {
  char doing[600], url[2100];
  snprintf(doing, sizeof doing, "pushing blob %s to %s", d->digest, p->origin);
  wo_http q = {.method = "POST", .url = "blobs/uploads/"};
  wo_http_resp resp;
  if (wo__registry_request(p->r, &q, &resp, doing, err) != 0)
    return err->code;
  int rc = 0;
  if (resp.status != 202 || !resp.location[0])
    rc = resp.status == 202
             ? wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                       "%s: the upload was started without a Location", doing)
             : wo__registry_status_error(&resp, doing, err);
  snprintf(url, sizeof url, "%s", resp.location);
  wo__http_resp_free(&resp);
  /* Chunks: PATCH with Content-Range; each answer names the next URL. */
  uint64_t off = 0;
  while (rc == 0 && d->size > wo__push_chunk && off < d->size) {
    uint64_t n =
        d->size - off < wo__push_chunk ? d->size - off : wo__push_chunk;
    char range[64];
    snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)off,
             (unsigned long long)(off + n - 1));
    wo_http pq = {.method = "PATCH",
                  .url = url,
                  .content_type = "application/octet-stream",
                  .content_range = range,
                  .body_fd = fd,
                  .body_off = off,
                  .body_len = n};
    if ((rc = wo__registry_request(p->r, &pq, &resp, doing, err)) != 0)
      break;
    if (resp.status != 202 || !resp.location[0])
      rc = wo__registry_status_error(&resp, doing, err);
    else
      snprintf(url, sizeof url, "%s", resp.location);
    wo__http_resp_free(&resp);
    off += n;
  }
  if (rc != 0)
    return rc;
  /* The closing PUT carries the digest, and the bytes unless chunked. */
  char dq[100], put[2300];
  digest_query(d->digest, dq, sizeof dq);
  snprintf(put, sizeof put, "%s%sdigest=%s", url, strchr(url, '?') ? "&" : "?",
           dq);
  bool mono = d->size <= wo__push_chunk;
  wo_http uq = {.method = "PUT",
                .url = put,
                .content_type = "application/octet-stream",
                .body_fd = fd,
                .body_len = mono ? d->size : 0};
  if ((rc = wo__registry_request(p->r, &uq, &resp, doing, err)) != 0)
    return rc;
  if (resp.status < 200 || resp.status > 299) /* 201 by the spec */
    rc = wo__registry_status_error(&resp, doing, err);
  else if (resp.digest[0] && strcmp(resp.digest, d->digest) != 0)
    rc = wa_fail(err, WA_EDIGEST, WA_NOOFF,
                 "%s: the registry stored it as %.80s", doing, resp.digest);
  wo__http_resp_free(&resp);
  return rc;
}

static int push_blob(pusher *p, const wo_desc *d, wa_err *err) {
  char doing[600], url[200];
  snprintf(doing, sizeof doing, "checking blob %s in %s", d->digest, p->origin);
  if (d->size > p->max_blob)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "blob %s is %llu bytes, more than the %llu allowed",
                   d->digest, (unsigned long long)d->size,
                   (unsigned long long)p->max_blob);
  snprintf(url, sizeof url, "blobs/%s", d->digest);
  wo_http q = {.method = "HEAD", .url = url};
  wo_http_resp resp;
  if (wo__registry_request(p->r, &q, &resp, doing, err) != 0)
    return err->code;
  long status = resp.status;
  int rc = 0;
  if (status != 200 && status != 404)
    rc = wo__registry_status_error(&resp, doing, err);
  wo__http_resp_free(&resp);
  if (rc != 0 || status == 200) /* the registry has it */
    return rc;
  int fd;
  if (wo_blob_open(wo_layout_blobs(p->l), d, wo_layout_dir(p->l), &fd, err) !=
      0)
    return err->code;
  rc = upload(p, d, fd, err);
  close(fd);
  return rc;
}

/* The referrers fallback: add 'entry' to the index tagged sha256-<hex of
 * subject>, replacing an entry with the same digest, keeping the others. */
static int update_fallback(pusher *p, const wo_desc *subject, json_t *entry,
                           const char *entry_digest, wa_err *err) {
  char tag[100], url[200], doing[600];
  snprintf(tag, sizeof tag, WO_REFERRERS_TAG_PREFIX "%s",
           wo_digest_hex(subject->digest));
  snprintf(url, sizeof url, "manifests/%s", tag);
  snprintf(doing, sizeof doing, "updating the referrers tag %s of %s", tag,
           p->origin);
  wo_http q = {.method = "GET",
               .url = url,
               .accept = ACCEPT_INDEX,
               .max_resp = WO_MANIFEST_MAX};
  wo_http_resp resp;
  if (wo__registry_request(p->r, &q, &resp, doing, err) != 0)
    return err->code;
  json_t *j = NULL;
  int rc = 0;
  if (resp.status == 200) {
    wo_index idx;
    wa_arena a;
    wa_arena_init(&a, 0);
    /* Must be an index; a tag of that name holding anything else is not
     * ours to overwrite. */
    rc = wo_index_parse(resp.body, resp.len, NULL, doing, &a, &idx, err);
    wa_arena_free(&a);
    if (rc == 0)
      rc = wo__json_load(resp.body, resp.len, WO_MANIFEST_MAX, doing, &j, err);
  } else if (resp.status == 404) {
    j = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                  wo__media_types[WO_MT_OCI_INDEX], "manifests");
    if (!j)
      rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  } else {
    rc = wo__registry_status_error(&resp, doing, err);
  }
  wo__http_resp_free(&resp);
  json_t *arr = j ? json_object_get(j, "manifests") : NULL;
  for (size_t i = json_array_size(arr); rc == 0 && i-- > 0;) {
    json_t *dg = json_object_get(json_array_get(arr, i), "digest");
    if (json_is_string(dg) && strcmp(json_string_value(dg), entry_digest) == 0)
      json_array_remove(arr, i);
  }
  if (rc == 0 && json_array_append(arr, entry) != 0)
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  uint8_t *body = NULL;
  size_t len = 0;
  if (rc == 0)
    rc = wo__json_dump(j, &body, &len, err);
  json_decref(j);
  if (rc != 0) {
    wa_free(body);
    return rc;
  }
  wo_http put = {.method = "PUT",
                 .url = url,
                 .content_type = wo__media_types[WO_MT_OCI_INDEX],
                 .body = body,
                 .body_len = len};
  rc = wo__registry_request(p->r, &put, &resp, doing, err);
  wa_free(body);
  if (rc != 0)
    return rc;
  if (resp.status < 200 || resp.status > 299)
    rc = wo__registry_status_error(&resp, doing, err);
  wo__http_resp_free(&resp);
  return rc;
}

/* The descriptor a referrers index lists for a referrer (image-spec 1.1):
 * its artifactType, else its config's media type, and its annotations. */
static json_t *referrer_entry(const doc *dc, const wo_desc *d) {
  json_t *e = json_pack("{s:s, s:s, s:I}", "mediaType", dc->media_type,
                        "digest", d->digest, "size", (json_int_t)d->size);
  if (!e)
    return NULL;
  json_t *at = json_object_get(dc->j, "artifactType");
  int bad = 0;
  if (json_is_string(at))
    bad |= json_object_set(e, "artifactType", at);
  else if (dc->role == WO_ROLE_MANIFEST && dc->n_descs)
    bad |= json_object_set_new(e, "artifactType",
                               json_string(dc->descs[0].media_type));
  json_t *ann = json_object_get(dc->j, "annotations");
  if (json_is_object(ann) && json_object_size(ann))
    bad |= json_object_set(e, "annotations", ann);
  if (bad) {
    json_decref(e);
    return NULL;
  }
  return e;
}

static int push_doc(pusher *p, const wo_desc *d, const char *tag, int depth,
                    wa_err *err) {
  if (depth > MAX_NESTING)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "indexes nested more than %d deep",
                   MAX_NESTING);
  uint8_t *data;
  size_t len;
  if (wo_blob_read(wo_layout_blobs(p->l), d, WO_MANIFEST_MAX,
                   wo_layout_dir(p->l), &data, &len, err) != 0)
    return err->code;
  char what[200];
  snprintf(what, sizeof what, "manifest %.19s", d->digest);
  doc dc;
  int rc = doc_parse(data, len, d->media_type, what, &p->a, &dc, err);
  for (size_t i = 0; rc == 0 && i < dc.n_descs; i++)
    rc = dc.role == WO_ROLE_INDEX
             ? push_doc(p, &dc.descs[i], NULL, depth + 1, err)
             : push_blob(p, &dc.descs[i], err);
  char url[400], doing[800];
  snprintf(url, sizeof url, "manifests/%s", tag ? tag : d->digest);
  snprintf(doing, sizeof doing, "pushing manifest %s%s%s to %s", d->digest,
           tag ? " as " : "", tag ? tag : "", p->origin);
  wo_http_resp resp;
  memset(&resp, 0, sizeof resp);
  if (rc == 0) {
    wo_http q = {.method = "PUT",
                 .url = url,
                 .content_type = dc.media_type,
                 .body = data,
                 .body_len = len};
    rc = wo__registry_request(p->r, &q, &resp, doing, err);
  }
  if (rc == 0 && (resp.status < 200 || resp.status > 299))
    rc = wo__registry_status_error(&resp, doing, err);
  else if (rc == 0 && resp.digest[0] && strcmp(resp.digest, d->digest) != 0)
    rc = wa_fail(err, WA_EDIGEST, WA_NOOFF,
                 "%s: the registry stored it as %.80s", doing, resp.digest);
  /* A registry with the referrers API says so by answering OCI-Subject;
   * for the others, the client maintains the fallback tag. */
  if (rc == 0 && dc.has_subject && !resp.oci_subject) {
    json_t *e = referrer_entry(&dc, d);
    rc = e ? update_fallback(p, &dc.subject, e, d->digest, err)
           : wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    json_decref(e);
  }
  wo__http_resp_free(&resp);
  doc_free(&dc);
  wa_free(data);
  return rc;
}

int wo_registry_push(const wo_ref *ref, wo_layout *l, const wo_desc *manifest,
                     const char *tag, const wo_pull_opts *o, wa_err *err) {
  pusher p;
  memset(&p, 0, sizeof p);
  p.l = l;
  p.max_blob = o && o->max_blob ? o->max_blob : 4ull << 30;
  wa_arena_init(&p.a, 0);
  int rc = open_registry(ref, o, &p.r, err);
  if (rc == 0) {
    p.origin = wo__registry_origin(p.r);
    if (tag && tag[0] == 0)
      tag = NULL;
    rc = push_doc(&p, manifest, tag, 0, err);
  }
  wo__registry_free(p.r);
  wa_arena_free(&p.a);
  return rc;
}

/* ------------------------------------------------------------ referrers */

/* GET of an index (referrers answer or fallback tag); 404 gives status 404
 * and no error. */
static int get_index(wo_registry *r, const char *url, const char *doing,
                     wa_arena *a, wo_index *out, long *status, wa_err *err) {
  wo_http q = {.method = "GET",
               .url = url,
               .accept = ACCEPT_INDEX,
               .max_resp = WO_MANIFEST_MAX};
  wo_http_resp resp;
  if (wo__registry_request(r, &q, &resp, doing, err) != 0)
    return err->code;
  *status = resp.status;
  int rc = 0;
  if (resp.status == 200)
    rc = wo_index_parse(resp.body, resp.len, NULL, doing, a, out, err);
  else if (resp.status != 404)
    rc = wo__registry_status_error(&resp, doing, err);
  wo__http_resp_free(&resp);
  return rc;
}

int wo_registry_referrers(const wo_ref *ref, const char *subject_digest,
                          const char *artifact_type, const wo_pull_opts *o,
                          wa_arena *a, wo_index *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  uint8_t sha[32];
  if (wo_digest_parse(subject_digest, "subject digest", sha, err) != 0)
    return err->code;
  char digest[WO_DIGEST_MAX];
  wo_digest_format(sha, digest);
  wo_registry *r;
  if (open_registry(ref, o, &r, err) != 0)
    return err->code;
  char url[1200], doing[800], at[600];
  snprintf(doing, sizeof doing, "listing the referrers of %s in %s", digest,
           wo__registry_origin(r));
  at[0] = 0;
  if (artifact_type && artifact_type[0])
    query_escape(artifact_type, at, sizeof at);
  snprintf(url, sizeof url, "referrers/%s%s%s", digest,
           at[0] ? "?artifactType=" : "", at);
  long status;
  int rc = get_index(r, url, doing, a, out, &status, err);
  if (rc == 0 && status == 404) { /* no referrers API: the fallback tag */
    snprintf(url, sizeof url, "manifests/" WO_REFERRERS_TAG_PREFIX "%s",
             wo_digest_hex(digest));
    rc = get_index(r, url, doing, a, out, &status, err);
    if (rc == 0 && status == 404) {
      out->media_type = wo__media_types[WO_MT_OCI_INDEX];
      out->manifests = NULL;
      out->n_manifests = 0;
    }
  }
  /* Filtering again is harmless where the server filtered, and needed where
   * it did not (the fallback, servers without OCI-Filters-Applied). */
  if (rc == 0 && at[0]) {
    size_t k = 0;
    for (size_t i = 0; i < out->n_manifests; i++)
      if (out->manifests[i].artifact_type &&
          strcmp(out->manifests[i].artifact_type, artifact_type) == 0)
        out->manifests[k++] = out->manifests[i];
    out->n_manifests = k;
  }
  wo__registry_free(r);
  return rc;
}

/* ----------------------------------------------------------------- fetch */

typedef struct fetcher {
  wo_registry *r;
  wo_layout *l;
  int stage_fd;
  uint64_t max_blob;
  wa_arena a;
} fetcher;

static bool layout_has(fetcher *f, const wo_desc *d) {
  struct stat st;
  return fstatat(wo_layout_blobs(f->l)->fd[0], wo_digest_hex(d->digest), &st,
                 AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG(st.st_mode) && (uint64_t)st.st_size == d->size;
}

static int fetch_blobs(fetcher *f, const doc *dc, wa_err *err) {
  const wo_desc *need[1025];
  size_t k = 0;
  for (size_t i = 0; i < dc->n_descs; i++) {
    const wo_desc *d = &dc->descs[i];
    if (d->size > f->max_blob)
      return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                     "blob %s is %llu bytes, more than the %llu allowed",
                     d->digest, (unsigned long long)d->size,
                     (unsigned long long)f->max_blob);
    bool dup = layout_has(f, d);
    for (size_t j = 0; j < k && !dup; j++)
      dup = strcmp(need[j]->digest, d->digest) == 0;
    if (!dup)
      need[k++] = d;
  }
  if (wo__registry_blobs(f->r, need, k, f->stage_fd, err) != 0)
    return err->code;
  int bfd = wo_layout_blobs(f->l)->fd[0];
  for (size_t i = 0; i < k; i++) {
    const char *hex = wo_digest_hex(need[i]->digest);
    if (renameat(f->stage_fd, hex, bfd, hex) != 0)
      return wa_fail_errno(err, WA_EIO, "cannot move blob %s into %s",
                           need[i]->digest, wo_layout_dir(f->l));
  }
  return 0;
}

static int fetch_doc(fetcher *f, const char *digest, int depth, wa_err *err) {
  if (depth > MAX_NESTING)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "indexes nested more than %d deep",
                   MAX_NESTING);
  uint8_t *data;
  size_t len;
  char mt[128], got[WO_DIGEST_MAX];
  if (wo__registry_manifest(f->r, digest, &data, &len, mt, got, err) != 0)
    return err->code;
  /* By digest, so the body must hash to it, whatever the server says. */
  int rc = 0;
  if (strcmp(got, digest) != 0)
    rc = wa_fail(err, WA_EDIGEST, WA_NOOFF,
                 "manifest %s from %s: content hashes to %s", digest,
                 wo__registry_origin(f->r), got);
  char what[200];
  snprintf(what, sizeof what, "manifest %.19s", digest);
  doc dc;
  memset(&dc, 0, sizeof dc);
  if (rc == 0)
    rc = doc_parse(data, len, mt[0] ? mt : NULL, what, &f->a, &dc, err);
  if (rc == 0 && dc.role == WO_ROLE_INDEX) {
    for (size_t i = 0; rc == 0 && i < dc.n_descs; i++)
      rc = fetch_doc(f, dc.descs[i].digest, depth + 1, err);
  } else if (rc == 0) {
    rc = fetch_blobs(f, &dc, err);
  }
  wo_desc d;
  if (rc == 0)
    rc = wo_layout_put_blob(f->l, data, len, dc.media_type, &d, err);
  doc_free(&dc);
  wa_free(data);
  return rc;
}

int wo_registry_fetch(const wo_ref *ref, const char *digest, wo_layout *l,
                      const wo_pull_opts *o, wa_err *err) {
  uint8_t sha[32];
  if (wo_digest_parse(digest, "manifest digest", sha, err) != 0)
    return err->code;
  fetcher f;
  memset(&f, 0, sizeof f);
  f.l = l;
  f.stage_fd = -1;
  f.max_blob = o && o->max_blob ? o->max_blob : 4ull << 30;
  wa_arena_init(&f.a, 0);
  char canon[WO_DIGEST_MAX], stage[PATH_MAX];
  wo_digest_format(sha, canon);
  /* Staging beside blobs/ (same file system, so moves are renames); not a
   * name an OCI layout reader looks at. */
  stage[0] = 0;
  int rc = open_registry(ref, o, &f.r, err);
  if (rc == 0 && (snprintf(stage, sizeof stage, "%s/.wasmaot-fetch.XXXXXX",
                           wo_layout_dir(l)) >= (int)sizeof stage ||
                  !mkdtemp(stage))) {
    rc = wa_fail_errno(err, WA_EIO, "cannot create a staging dir in %s",
                       wo_layout_dir(l));
    stage[0] = 0;
  }
  if (rc == 0 &&
      (f.stage_fd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    rc = wa_fail_errno(err, WA_EIO, "cannot open %s", stage);
  if (rc == 0)
    rc = fetch_doc(&f, canon, 0, err);
  if (rc != 0)
    wa_err_wrap(err, "fetching %s from %s: ", canon,
                f.r ? wo__registry_origin(f.r) : ref->domain);
  if (f.stage_fd >= 0)
    close(f.stage_fd);
  if (stage[0])
    wo__rmtree_quiet(stage);
  wo__registry_free(f.r);
  wa_arena_free(&f.a);
  return rc;
}
