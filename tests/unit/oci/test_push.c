/*
 * test_push.c: push, referrers and fetch against httpd.c acting as an
 * in-memory registry that can offer the OCI 1.1 referrers API (which
 * Debian's docker-registry 2.8 lacks: tests/integration/oci covers the
 * fallback tag against it), plus the descriptor fields referrers use.
 */
#include "httpd.h"
#include "internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 64

typedef struct item {
  char key[300]; /* digest, or tag for manifests */
  char type[128];
  char subject[WO_DIGEST_MAX];
  unsigned char *data;
  size_t len;
} item;

typedef struct upload {
  unsigned char *data;
  size_t len;
} upload;

static struct {
  int port;
  item blobs[MAX_ITEMS], mans[MAX_ITEMS];
  int n_blobs, n_mans;
  upload ups[MAX_ITEMS];
  int n_ups;
  /* behaviour */
  int referrers_api, absolute_location, fail_post, wrong_blob_digest,
      tamper_get;
  const char *basic;       /* required "Basic .." on the registry host */
  int upload_on_localhost; /* Locations name http://localhost:PORT */
  int auth_to_localhost;   /* requests to localhost with Authorization */
  int bearer; /* Bearer challenges without a scope; tokens by asked scope */
  int n_token_push;
  /* observations */
  int n_post, n_patch, n_put, n_head, n_fallback_put, range_errors;
  char referrers_query[512];
} R;

static t_httpd *srv;
static char *work;
static char laydir[600];
static wo_layout *lay;
static wa_err err;

static void setb(t_resp *r, const char *s) {
  r->owned = strdup(s);
  r->body = r->owned;
  r->len = strlen(s);
}

static item *find(item *v, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(v[i].key, key) == 0)
      return &v[i];
  return NULL;
}

static item *put_item(item *v, int *n, const char *key, const void *data,
                      size_t len, const char *type) {
  item *it = find(v, *n, key);
  if (!it) {
    cr_assert_lt(*n, MAX_ITEMS);
    it = &v[(*n)++];
  } else {
    free(it->data);
  }
  memset(it, 0, sizeof *it);
  snprintf(it->key, sizeof it->key, "%s", key);
  snprintf(it->type, sizeof it->type, "%s", type ? type : "");
  it->data = malloc(len + 1);
  memcpy(it->data, data, len);
  it->len = len;
  return it;
}

static void digest_of(const void *p, size_t n, char out[WO_DIGEST_MAX]) {
  uint8_t sha[32];
  wa_sha256_once(p, n, sha);
  wo_digest_format(sha, out);
}

static void serve_item(const item *it, const t_req *q, t_resp *r) {
  r->status = 200;
  snprintf(r->headers, sizeof r->headers,
           "Content-Type: %s\r\nDocker-Content-Digest: %s\r\n",
           it->type[0] ? it->type : "application/octet-stream", it->key);
  unsigned char *copy = malloc(it->len + 1);
  memcpy(copy, it->data, it->len);
  if (R.tamper_get && it->len > 50 && strcmp(q->method, "GET") == 0)
    copy[it->len - 1] ^= 1;
  r->owned = copy;
  r->body = copy;
  r->len = it->len;
}

/* The referrers API answer: every stored manifest whose subject matches. */
static void referrers(const char *digest, const char *query, t_resp *r) {
  snprintf(R.referrers_query, sizeof R.referrers_query, "%s", query);
  json_t *idx =
      json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                "application/vnd.oci.image.index.v1+json", "manifests");
  json_t *arr = json_object_get(idx, "manifests");
  for (int i = 0; i < R.n_mans; i++) {
    item *m = &R.mans[i];
    if (strcmp(m->subject, digest) != 0 || strncmp(m->key, "sha256:", 7) != 0)
      continue;
    json_t *j = json_loadb((const char *)m->data, m->len, 0, NULL);
    json_t *e = json_pack("{s:s, s:s, s:I}", "mediaType", m->type, "digest",
                          m->key, "size", (json_int_t)m->len);
    json_t *at = json_object_get(j, "artifactType");
    if (at)
      json_object_set(e, "artifactType", at);
    json_array_append_new(arr, e);
    json_decref(j);
  }
  r->status = 200;
  snprintf(r->headers, sizeof r->headers,
           "Content-Type: application/vnd.oci.image.index.v1+json\r\n");
  r->owned = json_dumps(idx, JSON_COMPACT);
  r->body = r->owned;
  r->len = strlen(r->owned);
  json_decref(idx);
}

/* A token for what the client asked: "push" in the scope or not. */
static void token(const t_req *q, t_resp *r) {
  bool push = strstr(q->path, "push") != NULL;
  R.n_token_push += push;
  r->status = 200;
  setb(r, push ? "{\"token\":\"tok-push\"}" : "{\"token\":\"tok-pull\"}");
}

static bool bearer_ok(const t_req *q, t_resp *r) {
  bool read = strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0;
  if (strcmp(q->authorization, "Bearer tok-push") == 0 ||
      (read && strcmp(q->authorization, "Bearer tok-pull") == 0))
    return true;
  r->status = 401;
  snprintf(r->headers, sizeof r->headers,
           "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\","
           "service=\"fake\"\r\n",
           R.port);
  return false;
}

static void handler(void *ud, const t_req *q, t_resp *r) {
  (void)ud;
  char name[256], rest[1024];
  if (strncmp(q->path, "/token?", 7) == 0) {
    token(q, r);
    return;
  }
  if (R.bearer && !bearer_ok(q, r))
    return;
  if (sscanf(q->path, "/v2/%255[^/]/%1023s", name, rest) != 2)
    return;
  char *query = strchr(rest, '?');
  if (query)
    *query++ = 0;
  const char *m = q->method;
  int id;
  char ref[300];
  bool on_localhost = strncmp(q->host, "localhost:", 10) == 0;
  if (on_localhost && q->authorization[0])
    R.auth_to_localhost++;
  if (R.basic && !on_localhost && strcmp(q->authorization, R.basic) != 0) {
    r->status = 401;
    snprintf(r->headers, sizeof r->headers,
             "WWW-Authenticate: Basic realm=\"fake\"\r\n");
    return;
  }
  if (strcmp(rest, "blobs/uploads/") == 0 && strcmp(m, "POST") == 0) {
    R.n_post++;
    if (R.fail_post) {
      r->status = R.fail_post;
      setb(r, "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"disk on "
              "fire\"}]}");
      return;
    }
    id = R.n_ups++;
    r->status = 202;
    snprintf(r->headers, sizeof r->headers,
             "Location: %s%s/v2/%s/blobs/uploads/%d?_state=s%d\r\n",
             R.upload_on_localhost ? "http://localhost:"
             : R.absolute_location ? "http://127.0.0.1:"
                                   : "",
             R.absolute_location || R.upload_on_localhost ? "PORT" : "", name,
             id, id);
    if (R.absolute_location || R.upload_on_localhost) { /* the port */
      char tmp[4096];
      snprintf(tmp, sizeof tmp, "%s", r->headers);
      char *p = strstr(tmp, "PORT");
      snprintf(r->headers, sizeof r->headers, "%.*s%d%s", (int)(p - tmp), tmp,
               R.port, p + 4);
    }
    return;
  }
  if (sscanf(rest, "blobs/uploads/%d", &id) == 1 && id >= 0 && id < R.n_ups) {
    upload *u = &R.ups[id];
    if (strcmp(m, "PATCH") == 0) {
      R.n_patch++;
      unsigned long long a, b;
      if (sscanf(q->content_range, "%llu-%llu", &a, &b) != 2 || a != u->len ||
          b + 1 - a != q->body_len)
        R.range_errors++;
    } else if (strcmp(m, "PUT") == 0) {
      R.n_put++;
    } else {
      return;
    }
    u->data = realloc(u->data, u->len + q->body_len + 1);
    memcpy(u->data + u->len, q->body, q->body_len);
    u->len += q->body_len;
    if (strcmp(m, "PATCH") == 0) {
      r->status = 202;
      snprintf(r->headers, sizeof r->headers,
               "Location: %s%s/v2/%s/blobs/uploads/%d?_state=p%zu\r\n"
               "Range: 0-%zu\r\n",
               R.upload_on_localhost ? "http://" : "",
               R.upload_on_localhost ? q->host : "", name, id, u->len,
               u->len - 1);
      return;
    }
    const char *dq = query ? strstr(query, "digest=sha256%3A") : NULL;
    char want[WO_DIGEST_MAX], got[WO_DIGEST_MAX];
    digest_of(u->data, u->len, got);
    snprintf(want, sizeof want, "sha256:%.64s", dq ? dq + 16 : "");
    if (strcmp(want, got) != 0) {
      r->status = 400;
      setb(r, "{\"errors\":[{\"code\":\"DIGEST_INVALID\"}]}");
      return;
    }
    put_item(R.blobs, &R.n_blobs, got, u->data, u->len, NULL);
    r->status = 201;
    if (R.wrong_blob_digest)
      got[10] = got[10] == '0' ? '1' : '0';
    snprintf(r->headers, sizeof r->headers, "Docker-Content-Digest: %s\r\n",
             got);
    return;
  }
  if (sscanf(rest, "blobs/%299s", ref) == 1) {
    item *it = find(R.blobs, R.n_blobs, ref);
    if (strcmp(m, "HEAD") == 0)
      R.n_head++;
    if (!it) {
      r->status = 404;
      return;
    }
    serve_item(it, q, r);
    return;
  }
  if (sscanf(rest, "manifests/%299s", ref) == 1) {
    if (strcmp(m, "PUT") == 0) {
      R.n_put++;
      if (strncmp(ref, "sha256-", 7) == 0)
        R.n_fallback_put++;
      char d[WO_DIGEST_MAX];
      digest_of(q->body, q->body_len, d);
      json_t *j = json_loadb((const char *)q->body, q->body_len, 0, NULL);
      const char *sub = json_string_value(
          json_object_get(json_object_get(j, "subject"), "digest"));
      item *a = put_item(R.mans, &R.n_mans, ref, q->body, q->body_len,
                         q->content_type);
      item *b =
          put_item(R.mans, &R.n_mans, d, q->body, q->body_len, q->content_type);
      if (sub) {
        snprintf(a->subject, sizeof a->subject, "%s", sub);
        snprintf(b->subject, sizeof b->subject, "%s", sub);
      }
      r->status = 201;
      int k = snprintf(r->headers, sizeof r->headers,
                       "Docker-Content-Digest: %s\r\n", d);
      if (sub && R.referrers_api)
        snprintf(r->headers + k, sizeof r->headers - (size_t)k,
                 "OCI-Subject: %s\r\n", sub);
      json_decref(j);
      return;
    }
    item *it = find(R.mans, R.n_mans, ref);
    if (!it) {
      r->status = 404;
      setb(r, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}");
      return;
    }
    serve_item(it, q, r);
    return;
  }
  if (sscanf(rest, "referrers/%299s", ref) == 1 && R.referrers_api) {
    referrers(ref, query ? query : "", r);
    return;
  }
}

static void setup(void) {
  memset(&R, 0, sizeof R);
  work = t_tempdir("push");
  snprintf(laydir, sizeof laydir, "%s/lay", work);
  wa_err_init(&err);
  cr_assert_eq(wo_layout_create(laydir, &lay, &err), 0, "%s", err.msg);
  srv = t_httpd_start(handler, NULL, &R.port);
  cr_assert_not_null(srv);
}

static void teardown(void) {
  t_httpd_stop(srv);
  for (int i = 0; i < R.n_blobs; i++)
    free(R.blobs[i].data);
  for (int i = 0; i < R.n_mans; i++)
    free(R.mans[i].data);
  for (int i = 0; i < R.n_ups; i++)
    free(R.ups[i].data);
  wo_layout_free(lay);
  t_rmrf(work);
  free(work);
}

TestSuite(oci_push, .init = setup, .fini = teardown);

static wo_ref the_ref(void) {
  char s[200];
  snprintf(s, sizeof s, "127.0.0.1:%d/app", R.port);
  wo_ref ref;
  cr_assert_eq(wo_ref_parse(s, &ref, &err), 0, "%s", err.msg);
  return ref;
}

static wo_pull_opts opts(void) {
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  o.plain_http = true;
  o.docker_config = "/nonexistent/config.json";
  return o;
}

static int push(const wo_desc *d, const char *tag) {
  wo_ref ref = the_ref();
  wo_pull_opts o = opts();
  wa_err_init(&err);
  return wo_registry_push(&ref, lay, d, tag, &o, &err);
}

static wo_desc image(void) {
  wo_desc d;
  cr_assert_eq(
      wo_layout_put_artifact(lay, t_wasm, sizeof t_wasm, NULL, &d, &err), 0,
      "%s", err.msg);
  return d;
}

static wo_desc referrer(const wo_desc *subject, const char *type,
                        const char *note) {
  wo_desc cfg, m;
  cr_assert_eq(wo_layout_put_blob(lay, "{}", 2,
                                  "application/vnd.oci.empty.v1+json", &cfg,
                                  &err),
               0);
  char json[1500];
  snprintf(json, sizeof json,
           "{\"schemaVersion\":2,\"mediaType\":"
           "\"application/vnd.oci.image.manifest.v1+json\","
           "\"artifactType\":\"%s\",\"config\":{\"mediaType\":"
           "\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\","
           "\"size\":2},\"layers\":[],\"subject\":{\"mediaType\":\"%s\","
           "\"digest\":\"%s\",\"size\":%llu},"
           "\"annotations\":{\"note\":\"%s\"}}",
           type, cfg.digest, subject->media_type, subject->digest,
           (unsigned long long)subject->size, note);
  cr_assert_eq(wo_layout_put_blob(lay, json, strlen(json),
                                  "application/vnd.oci.image.manifest.v1+json",
                                  &m, &err),
               0);
  return m;
}

Test(oci_push, referrers_api_is_used_when_the_registry_has_it) {
  R.referrers_api = 1;
  wo_desc img = image();
  cr_assert_eq(push(&img, "v1"), 0, "%s", err.msg);
  wo_desc r1 = referrer(&img, "application/vnd.example.sig+json", "a");
  wo_desc r2 = referrer(&img, "application/vnd.example.sbom", "b");
  cr_assert_eq(push(&r1, NULL), 0, "%s", err.msg);
  cr_assert_eq(push(&r2, NULL), 0, "%s", err.msg);
  cr_assert_eq(R.n_fallback_put, 0,
               "a fallback tag was written although OCI-Subject came back");
  wo_ref ref = the_ref();
  wo_pull_opts o = opts();
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_index idx;
  cr_assert_eq(wo_registry_referrers(&ref, img.digest,
                                     "application/vnd.example.sig+json", &o, &a,
                                     &idx, &err),
               0, "%s", err.msg);
  cr_assert_str_eq(R.referrers_query,
                   "artifactType=application%2Fvnd.example.sig%2Bjson");
  cr_assert_eq(idx.n_manifests, 1, "the filter was not applied");
  cr_assert_str_eq(idx.manifests[0].digest, r1.digest);
  cr_assert_str_eq(idx.manifests[0].artifact_type,
                   "application/vnd.example.sig+json");
  cr_assert_eq(
      wo_registry_referrers(&ref, img.digest, NULL, &o, &a, &idx, &err), 0,
      "%s", err.msg);
  cr_assert_eq(idx.n_manifests, 2);
  wa_arena_free(&a);
}

Test(oci_push, fallback_tag_keeps_other_entries_and_replaces_its_own) {
  wo_desc img = image();
  cr_assert_eq(push(&img, "v1"), 0, "%s", err.msg);
  wo_desc r1 = referrer(&img, "application/vnd.example.sig", "new");
  /* Someone else's referrer, and a stale copy of ours, already listed. */
  char tag[100], idx_json[1500];
  snprintf(tag, sizeof tag, "sha256-%s", wo_digest_hex(img.digest));
  snprintf(idx_json, sizeof idx_json,
           "{\"schemaVersion\":2,\"mediaType\":"
           "\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
           "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
           "\"digest\":\"sha256:%064d\",\"size\":7,\"artifactType\":"
           "\"application/vnd.other\"},"
           "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
           "\"digest\":\"%s\",\"size\":%llu,\"annotations\":{\"note\":"
           "\"stale\"}}]}",
           1, r1.digest, (unsigned long long)r1.size);
  put_item(R.mans, &R.n_mans, tag, idx_json, strlen(idx_json),
           "application/vnd.oci.image.index.v1+json");
  cr_assert_eq(push(&r1, NULL), 0, "%s", err.msg);
  cr_assert_eq(R.n_fallback_put, 1);
  wo_ref ref = the_ref();
  wo_pull_opts o = opts();
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_index idx;
  cr_assert_eq(
      wo_registry_referrers(&ref, img.digest, NULL, &o, &a, &idx, &err), 0,
      "%s", err.msg);
  cr_assert_eq(idx.n_manifests, 2);
  cr_assert_str_eq(idx.manifests[0].artifact_type, "application/vnd.other");
  cr_assert_str_eq(idx.manifests[1].digest, r1.digest);
  cr_assert_str_eq(idx.manifests[1].artifact_type,
                   "application/vnd.example.sig");
  cr_assert_eq(idx.manifests[1].n_annotations, 1);
  cr_assert_str_eq(idx.manifests[1].annotations[1], "new");
  /* filtered on the client, as the fallback cannot filter */
  cr_assert_eq(wo_registry_referrers(&ref, img.digest, "application/vnd.other",
                                     &o, &a, &idx, &err),
               0, "%s", err.msg);
  cr_assert_eq(idx.n_manifests, 1);
  wa_arena_free(&a);
}

Test(oci_push, a_fallback_tag_that_is_not_an_index_is_left_alone) {
  wo_desc img = image();
  cr_assert_eq(push(&img, "v1"), 0, "%s", err.msg);
  char tag[100];
  snprintf(tag, sizeof tag, "sha256-%s", wo_digest_hex(img.digest));
  item *it = find(R.mans, R.n_mans, "v1");
  cr_assert_not_null(it);
  put_item(R.mans, &R.n_mans, tag, it->data, it->len, it->type);
  wo_desc r1 = referrer(&img, "application/vnd.example.sig", "x");
  cr_assert_neq(push(&r1, NULL), 0);
  cr_assert(strstr(err.msg, tag), "the tag is not named: %s", err.msg);
  cr_assert_eq(R.n_fallback_put, 0);
}

Test(oci_push, chunked_upload_with_absolute_locations) {
  R.absolute_location = 1;
  static uint8_t data[3500];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7);
  wo_desc d;
  cr_assert_eq(wo_layout_put_artifact(lay, data, sizeof data, NULL, &d, &err),
               0);
  uint64_t saved = wo__push_chunk;
  wo__push_chunk = 1000;
  int rc = push(&d, "big");
  wo__push_chunk = saved;
  cr_assert_eq(rc, 0, "%s", err.msg);
  cr_assert_eq(R.n_patch, 4, "3500 bytes in chunks of 1000");
  cr_assert_eq(R.range_errors, 0);
  char dg[WO_DIGEST_MAX];
  digest_of(data, sizeof data, dg);
  item *b = find(R.blobs, R.n_blobs, dg);
  cr_assert_not_null(b, "the layer did not arrive whole");
}

Test(oci_push, push_errors_name_registry_repository_digest_and_status) {
  R.fail_post = 500;
  wo_desc img = image();
  cr_assert_eq(push(&img, "v1"), WA_ENETWORK);
  char where[100];
  snprintf(where, sizeof where, "127.0.0.1:%d/app", R.port);
  cr_assert(strstr(err.msg, where), "%s", err.msg);
  cr_assert(strstr(err.msg, "HTTP 500"), "%s", err.msg);
  cr_assert(strstr(err.msg, "disk on fire"), "%s", err.msg);
  cr_assert(strstr(err.msg, "sha256:"), "%s", err.msg);
  cr_assert_eq(R.n_put, 0, "a manifest went up without its blobs");
}

Test(oci_push, a_registry_storing_another_digest_is_an_error) {
  R.wrong_blob_digest = 1;
  wo_desc img = image();
  cr_assert_eq(push(&img, "v1"), WA_EDIGEST);
  cr_assert(strstr(err.msg, "stored it as"), "%s", err.msg);
}

Test(oci_push, fetch_verifies_and_stores_nothing_bad) {
  wo_desc img = image();
  cr_assert_eq(push(&img, "v1"), 0, "%s", err.msg);
  char lay2[700];
  snprintf(lay2, sizeof lay2, "%s/fetched", work);
  wo_layout *l2;
  cr_assert_eq(wo_layout_create(lay2, &l2, &err), 0, "%s", err.msg);
  wo_ref ref = the_ref();
  wo_pull_opts o = opts();
  R.tamper_get = 1; /* the manifest and the config are over 50 bytes */
  cr_assert_eq(wo_registry_fetch(&ref, img.digest, l2, &o, &err), WA_EDIGEST);
  char blobs[800];
  snprintf(blobs, sizeof blobs, "%s/blobs/sha256", lay2);
  cr_assert_eq(t_count(blobs), 0, "an unverified blob was stored");
  cr_assert_eq(t_count(lay2), 3, "staging left behind");
  R.tamper_get = 0;
  wa_err_init(&err);
  cr_assert_eq(wo_registry_fetch(&ref, img.digest, l2, &o, &err), 0, "%s",
               err.msg);
  cr_assert_eq(t_count(blobs), 3, "manifest, config, layer");
  uint8_t *bytes;
  size_t len;
  cr_assert_eq(wo_blob_read(wo_layout_blobs(l2), &img, 1 << 20, lay2, &bytes,
                            &len, &err),
               0, "%s", err.msg);
  wa_free(bytes);
  wo_layout_free(l2);
}

Test(oci_push, referrers_of_a_bad_digest_and_a_non_registry_ref_fail) {
  wo_ref ref = the_ref();
  wo_pull_opts o = opts();
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_index idx;
  cr_assert_eq(
      wo_registry_referrers(&ref, "sha256:abc", NULL, &o, &a, &idx, &err),
      WA_EMALFORMED);
  wo_ref lref;
  char s[700];
  snprintf(s, sizeof s, "oci:%s", laydir);
  cr_assert_eq(wo_ref_parse(s, &lref, &err), 0);
  wo_desc img = image();
  wa_err_init(&err);
  cr_assert_eq(wo_registry_push(&lref, lay, &img, NULL, &o, &err), WA_EUSAGE);
  wa_arena_free(&a);
}

/* ------------------------------------------- descriptor fields for referrers
 */

Test(oci_push, descriptors_keep_artifact_type_annotations_and_subject) {
  const char *j =
      "{\"schemaVersion\":2,\"mediaType\":"
      "\"application/vnd.oci.image.index.v1+json\",\"artifactType\":\"a/b\","
      "\"manifests\":[{\"mediaType\":"
      "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
      "0000000000000000000000000000000000000000000000000000000000000001\","
      "\"size\":3,\"artifactType\":\"application/x.t\",\"annotations\":{"
      "\"k1\":\"v1\",\"org.opencontainers.image.ref.name\":\"t\"}}],"
      "\"subject\":{\"mediaType\":"
      "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
      "0000000000000000000000000000000000000000000000000000000000000002\","
      "\"size\":9}}";
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_index idx;
  cr_assert_eq(
      wo_index_parse((const uint8_t *)j, strlen(j), NULL, "t", &a, &idx, &err),
      0, "%s", err.msg);
  cr_assert_str_eq(idx.artifact_type, "a/b");
  cr_assert_not_null(idx.subject);
  cr_assert_eq(idx.subject->size, 9);
  const wo_desc *d = &idx.manifests[0];
  cr_assert_str_eq(d->artifact_type, "application/x.t");
  cr_assert_eq(d->n_annotations, 2);
  cr_assert_str_eq(d->ref_name, "t");
  /* Written back: the fields win over the pairs for the ref name. */
  wo_desc copy = *d;
  copy.ref_name = "other";
  json_t *out = wo__desc_json(&copy);
  json_t *ann = json_object_get(out, "annotations");
  cr_assert_str_eq(json_string_value(json_object_get(ann, "k1")), "v1");
  cr_assert_str_eq(json_string_value(json_object_get(ann, WO_ANN_REF_NAME)),
                   "other");
  cr_assert_str_eq(json_string_value(json_object_get(out, "artifactType")),
                   "application/x.t");
  json_decref(out);
  const char *bad = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                    "\"a/b\",\"digest\":\"sha256:"
                    "0000000000000000000000000000000000000000000000000000000000"
                    "000001\",\"size\":3,\"artifactType\":\"not a type\"}]}";
  cr_assert_eq(wo_index_parse((const uint8_t *)bad, strlen(bad), NULL, "t", &a,
                              &idx, &err),
               WA_EMALFORMED);
  cr_assert(strstr(err.msg, "manifests[0].artifactType"), "%s", err.msg);
  wa_arena_free(&a);
}

Test(oci_push, credentials_stay_with_the_registry_host) {
  char enc[100];
  wo__base64_encode((const uint8_t *)"alice:pw", 8, enc, sizeof enc);
  static char b[200];
  snprintf(b, sizeof b, "Basic %s", enc);
  R.basic = b;
  R.upload_on_localhost = 1;
  wo_desc img = image();
  wo_ref ref = the_ref();
  wo_pull_opts o = opts();
  wa_err_init(&err);
  cr_assert_eq(wo_registry_push(&ref, lay, &img, "v1", &o, &err), WA_EPERM);
  cr_assert(strstr(err.msg, "requires a login"), "%s", err.msg);
  o.username = "alice";
  o.password = "pw";
  uint64_t saved = wo__push_chunk;
  wo__push_chunk = 100; /* PATCHes to localhost too */
  wa_err_init(&err);
  int rc = wo_registry_push(&ref, lay, &img, "v1", &o, &err);
  wo__push_chunk = saved;
  cr_assert_eq(rc, 0, "%s", err.msg);
  cr_assert_gt(R.n_patch, 1);
  cr_assert_eq(R.auth_to_localhost, 0,
               "credentials went to the host an upload Location named");
}

Test(oci_push, a_token_for_a_push_asks_for_the_push_scope) {
  R.bearer = 1;
  wo_desc img = image();
  cr_assert_eq(push(&img, "v1"), 0, "%s", err.msg);
  cr_assert_geq(R.n_token_push, 1);
  item *it = find(R.mans, R.n_mans, "v1");
  cr_assert_not_null(it);
}
