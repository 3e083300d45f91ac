/*
 * test_registry.c: the registry client against httpd.c acting as a
 * distribution registry over an OCI layout, with Basic and Bearer auth,
 * broken transfers, ignored ranges, wrong digests and CDN redirects.
 * The real docker-registry is exercised in tests/integration/oci.
 */
#include "httpd.h"
#include "internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fake {
  wo_layout *lay;
  char laydir[600];
  int port;
  enum { AUTH_NONE, AUTH_BASIC, AUTH_BEARER } auth;
  const char *basic;   /* expected "Basic <b64>" */
  long cut_blob_after; /* cut the next blob response after n bytes (once) */
  int ignore_range;
  int tamper_blob; /* serve blobs with one byte flipped */
  int wrong_digest_header;
  int redirect_blobs; /* 307 to http://localhost:port/cdn/... */
  /* observations */
  int n_requests, n_token, n_range, cdn_with_auth, n_cdn;
  long last_range_from;
} fake;

static fake F;
static t_httpd *srv;
static char *work;
static char storedir[600];
static wo_store *st;
static wa_err err;

static const uint8_t mod[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 'R'};

static void setb(t_resp *r, const char *s) {
  r->owned = strdup(s);
  r->body = r->owned;
  r->len = strlen(s);
}

static int authorized(const t_req *q, t_resp *r) {
  if (F.auth == AUTH_NONE)
    return 1;
  if (F.auth == AUTH_BASIC) {
    if (strcmp(q->authorization, F.basic) == 0)
      return 1;
    r->status = 401;
    snprintf(r->headers, sizeof r->headers,
             "WWW-Authenticate: Basic realm=\"fake\"\r\n");
  } else {
    if (strcmp(q->authorization, "Bearer tok-123") == 0)
      return 1;
    r->status = 401;
    snprintf(r->headers, sizeof r->headers,
             "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\","
             "service=\"fake-registry\",scope=\"repository:app:pull\"\r\n",
             F.port);
  }
  setb(r, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":"
          "\"authentication required\"}]}");
  return 0;
}

static void serve_blob(const char *digest, const t_req *q, t_resp *r) {
  char path[900];
  snprintf(path, sizeof path, "%s/blobs/sha256/%s", F.laydir,
           wo_digest_hex(digest));
  size_t n;
  char *b = t_read(path, &n);
  if (!b) {
    r->status = 404;
    setb(r, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob "
            "unknown\"}]}");
    return;
  }
  if (F.tamper_blob && n > 100000) /* the big layer only */
    b[n - 1] ^= 1;
  r->owned = b;
  r->body = b;
  r->len = n;
  r->status = 200;
  long from;
  if (q->range[0] && sscanf(q->range, "bytes=%ld-", &from) == 1) {
    F.n_range++;
    F.last_range_from = from;
    if (!F.ignore_range) {
      if ((size_t)from >= n) {
        r->status = 416;
        r->len = 0;
        return;
      }
      r->status = 206;
      r->body = b + from;
      r->len = n - (size_t)from;
      snprintf(r->headers, sizeof r->headers,
               "Content-Range: bytes %ld-%zu/%zu\r\n", from, n - 1, n);
    }
  }
  if (F.cut_blob_after >= 0 && r->len > (size_t)F.cut_blob_after) {
    r->cut_after = F.cut_blob_after;
    F.cut_blob_after = -1;
  }
}

static void handler(void *ud, const t_req *q, t_resp *r) {
  (void)ud;
  F.n_requests++;
  char name[256], ref[256];
  if (strncmp(q->path, "/token?", 7) == 0) {
    F.n_token++;
    if (strcmp(q->authorization, F.basic) != 0) {
      r->status = 401;
      return;
    }
    r->status = 200;
    snprintf(r->headers, sizeof r->headers,
             "Content-Type: application/json\r\n");
    setb(r, "{\"token\":\"tok-123\",\"expires_in\":300}");
    return;
  }
  if (sscanf(q->path, "/cdn/%255s", ref) == 1) {
    F.n_cdn++;
    F.cdn_with_auth += q->authorization[0] != 0;
    serve_blob(ref, q, r);
    return;
  }
  if (!authorized(q, r))
    return;
  if (sscanf(q->path, "/v2/%255[^/]/manifests/%255s", name, ref) == 2) {
    if (!strstr(q->accept, "application/vnd.oci.image.manifest.v1+json")) {
      r->status = 404; /* what distribution 2.8 does */
      return;
    }
    wa_arena a;
    wa_arena_init(&a, 0);
    wo_desc d;
    wa_err e;
    wa_err_init(&e);
    int rc = strncmp(ref, "sha256:", 7) == 0
                 ? wo_layout_resolve(F.lay, NULL, ref, &a, &d, &e)
                 : wo_layout_resolve(F.lay, ref, NULL, &a, &d, &e);
    if (rc != 0) {
      r->status = 404;
      setb(r, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":"
              "\"manifest unknown\"}]}");
    } else {
      serve_blob(d.digest, q, r);
      int k = snprintf(r->headers, sizeof r->headers,
                       "Content-Type: %s\r\n"
                       "Docker-Content-Digest: %s\r\n",
                       d.media_type, d.digest);
      if (F.wrong_digest_header)
        r->headers[k - 4] = r->headers[k - 4] == '0' ? '1' : '0';
    }
    wa_arena_free(&a);
    return;
  }
  if (sscanf(q->path, "/v2/%255[^/]/blobs/%255s", name, ref) == 2) {
    if (F.redirect_blobs) {
      r->status = 307;
      snprintf(r->headers, sizeof r->headers,
               "Location: http://localhost:%d/cdn/%s\r\n", F.port, ref);
      return;
    }
    serve_blob(ref, q, r);
    return;
  }
}

static void setup(void) {
  memset(&F, 0, sizeof F);
  F.cut_blob_after = -1;
  work = t_tempdir("registry");
  snprintf(F.laydir, sizeof F.laydir, "%s/lay", work);
  snprintf(storedir, sizeof storedir, "%s/store", work);
  wa_err_init(&err);
  cr_assert_eq(wo_layout_create(F.laydir, &F.lay, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_store_open(storedir, &st, &err), 0, "%s", err.msg);
  /* a rootfs image with a 300 KiB second layer, for interrupted downloads */
  static uint8_t big[300 * 1024];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 2654435761u >> 13);
  wo_entry l0[] = {{WO_ENTRY_FILE, "app.wasm", mod, sizeof mod, 0755, NULL}};
  wo_entry l1[] = {{WO_ENTRY_FILE, "data/blob", big, sizeof big, 0, NULL}};
  wo_desc ld[2], md;
  char ids[2][WO_DIGEST_MAX];
  const char *idp[] = {ids[0], ids[1]};
  cr_assert_eq(
      wo_layout_put_layer(F.lay, l0, 1, WO_COMPRESS_GZIP, &ld[0], ids[0], &err),
      0);
  cr_assert_eq(
      wo_layout_put_layer(F.lay, l1, 1, WO_COMPRESS_NONE, &ld[1], ids[1], &err),
      0);
  const char *ep[] = {"/app.wasm", NULL};
  wo_image_spec spec = {{"wasip1", "wasm", ""}, ep, NULL, NULL, NULL};
  cr_assert_eq(wo_layout_put_image(F.lay, &spec, ld, idp, 2, &md, &err), 0);
  cr_assert_eq(wo_layout_tag(F.lay, &md, "v1", &err), 0);
  srv = t_httpd_start(handler, NULL, &F.port);
  cr_assert_not_null(srv);
}
static void teardown(void) {
  t_httpd_stop(srv);
  wo_layout_free(F.lay);
  wo_store_free(st);
  t_rmrf(work);
  free(work);
}
TestSuite(oci_registry, .init = setup, .fini = teardown);

static uint64_t last_done, last_total;
static void progress(void *ud, uint64_t done, uint64_t total) {
  (void)ud;
  last_done = done;
  last_total = total;
}

static int pull_opts(const char *tag, const char *user, const char *pass,
                     wo_image_info *info) {
  char ref[300];
  snprintf(ref, sizeof ref, "127.0.0.1:%d/app:%s", F.port, tag);
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  o.plain_http = true;
  o.username = user;
  o.password = pass;
  o.docker_config = "/nonexistent/config.json";
  o.progress = progress;
  wa_err_init(&err);
  return wo_store_pull(st, ref, &o, info, &err);
}

static void basic(const char *userpass) {
  static char b[200];
  char enc[128];
  wo__base64_encode((const uint8_t *)userpass, strlen(userpass), enc,
                    sizeof enc);
  snprintf(b, sizeof b, "Basic %s", enc);
  F.basic = b;
}

Test(oci_registry, anonymous_pull_by_tag_then_by_digest) {
  wo_image_info info;
  cr_assert_eq(pull_opts("v1", NULL, NULL, &info), 0, "%s", err.msg);
  cr_assert_eq(info.kind, WO_IMAGE_ROOTFS);
  cr_assert_eq(last_done, last_total);
  cr_assert_gt(last_total, 300 * 1024);
  char ref[300];
  snprintf(ref, sizeof ref, "127.0.0.1:%d/app@%s", F.port, info.digest);
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  o.plain_http = true;
  wo_image_info again;
  cr_assert_eq(wo_store_pull(st, ref, &o, &again, &err), 0, "%s", err.msg);
  cr_assert_str_eq(again.digest, info.digest);
  wo_image_info *v;
  size_t n;
  cr_assert_eq(wo_store_list(st, &v, &n, &err), 0);
  cr_assert_eq(n, 2, "a tag and a digest name");
  wa_free(v);
}

Test(oci_registry, unknown_tag_is_notfound_with_the_registry_code) {
  wo_image_info info;
  cr_assert_eq(pull_opts("nope", NULL, NULL, &info), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "MANIFEST_UNKNOWN"), "%s", err.msg);
}

Test(oci_registry, basic_auth_asks_for_credentials_and_uses_them) {
  F.auth = AUTH_BASIC;
  basic("alice:secret");
  wo_image_info info;
  cr_assert_eq(pull_opts("v1", NULL, NULL, &info), WA_EPERM);
  cr_assert(strstr(err.msg, "--creds"), "%s", err.msg);
  cr_assert_eq(pull_opts("v1", "alice", "wrong", &info), WA_EPERM);
  cr_assert(strstr(err.msg, "refused the credentials"), "%s", err.msg);
  cr_assert_eq(pull_opts("v1", "alice", "secret", &info), 0, "%s", err.msg);
}

Test(oci_registry, basic_auth_credentials_come_from_docker_config) {
  F.auth = AUTH_BASIC;
  basic("bob:pw");
  char cfg[700], j[300];
  snprintf(cfg, sizeof cfg, "%s/config.json", work);
  snprintf(j, sizeof j,
           "{\"auths\":{\"127.0.0.1:%d\":{\"auth\":\"Ym9iOnB3\"}}}", F.port);
  t_write(cfg, j, strlen(j));
  char ref[300];
  snprintf(ref, sizeof ref, "127.0.0.1:%d/app:v1", F.port);
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  o.plain_http = true;
  o.docker_config = cfg;
  wo_image_info info;
  cr_assert_eq(wo_store_pull(st, ref, &o, &info, &err), 0, "%s", err.msg);
}

Test(oci_registry, bearer_token_is_fetched_with_credentials_and_reused) {
  F.auth = AUTH_BEARER;
  basic("tok:user");
  wo_image_info info;
  cr_assert_eq(pull_opts("v1", NULL, NULL, &info), WA_EPERM);
  cr_assert(strstr(err.msg, "anonymous access refused"), "%s", err.msg);
  F.n_token = 0;
  cr_assert_eq(pull_opts("v1", "tok", "user", &info), 0, "%s", err.msg);
  cr_assert_eq(F.n_token, 1, "one token for manifests and blobs, got %d",
               F.n_token);
}

Test(oci_registry, interrupted_blob_download_resumes_with_a_range_request) {
  F.cut_blob_after = 150000; /* only the 300 KiB layer is that long */
  wo_image_info info;
  int rc = pull_opts("v1", NULL, NULL, &info);
  cr_assert_eq(rc, WA_ENETWORK, "%s", err.msg);
  wo_image_info *v;
  size_t n;
  cr_assert_eq(wo_store_list(st, &v, &n, &err), 0);
  cr_assert_eq(n, 0, "an interrupted pull wrote a ref");
  wa_free(v);
  char inc[700];
  snprintf(inc, sizeof inc, "%s/incoming", storedir);
  cr_assert_geq(t_count(inc), 1, "the partial download was not kept");
  F.n_range = 0;
  cr_assert_eq(pull_opts("v1", NULL, NULL, &info), 0, "%s", err.msg);
  cr_assert_geq(F.n_range, 1, "no Range request on resume");
  cr_assert_gt(F.last_range_from, 0);
  cr_assert_eq(t_count(inc), 0);
}

Test(oci_registry, server_ignoring_range_restarts_the_blob) {
  F.cut_blob_after = 150000;
  wo_image_info info;
  cr_assert_eq(pull_opts("v1", NULL, NULL, &info), WA_ENETWORK);
  F.ignore_range = 1;
  cr_assert_eq(pull_opts("v1", NULL, NULL, &info), 0, "%s", err.msg);
  cr_assert_geq(F.n_range, 1);
}

Test(oci_registry, tampered_blob_fails_naming_it_and_stores_nothing) {
  F.tamper_blob = 1;
  wo_image_info info;
  cr_assert_eq(pull_opts("v1", NULL, NULL, &info), WA_EDIGEST);
  cr_assert(strstr(err.msg, "content hashes to"), "%s", err.msg);
  cr_assert(strstr(err.msg, "app"), "the origin is missing: %s", err.msg);
  char p[700];
  snprintf(p, sizeof p, "%s/blobs/sha256", storedir);
  cr_assert_eq(t_count(p), 0);
  snprintf(p, sizeof p, "%s/incoming", storedir);
  cr_assert_eq(t_count(p), 0);
}

Test(oci_registry, wrong_docker_content_digest_is_refused) {
  F.wrong_digest_header = 1;
  wo_image_info info;
  cr_assert_eq(pull_opts("v1", NULL, NULL, &info), WA_EDIGEST);
}

Test(oci_registry, credentials_are_not_sent_along_a_cross_host_redirect) {
  F.auth = AUTH_BASIC;
  basic("alice:secret");
  F.redirect_blobs = 1;
  wo_image_info info;
  cr_assert_eq(pull_opts("v1", "alice", "secret", &info), 0, "%s", err.msg);
  cr_assert_geq(F.n_cdn, 3);
  cr_assert_eq(F.cdn_with_auth, 0, "Authorization leaked to the CDN host");
}

Test(oci_registry, a_layer_listed_twice_is_downloaded_once) {
  wo_entry l0[] = {{WO_ENTRY_FILE, "app.wasm", mod, sizeof mod, 0755, NULL}};
  wo_desc ld[2], md;
  char ids[2][WO_DIGEST_MAX];
  const char *idp[] = {ids[0], ids[1]};
  cr_assert_eq(
      wo_layout_put_layer(F.lay, l0, 1, WO_COMPRESS_GZIP, &ld[0], ids[0], &err),
      0);
  ld[1] = ld[0];
  memcpy(ids[1], ids[0], sizeof ids[0]);
  const char *ep[] = {"/app.wasm", NULL};
  wo_image_spec spec = {{"wasip1", "wasm", ""}, ep, NULL, NULL, NULL};
  cr_assert_eq(wo_layout_put_image(F.lay, &spec, ld, idp, 2, &md, &err), 0);
  cr_assert_eq(wo_layout_tag(F.lay, &md, "twice", &err), 0);
  wo_image_info info;
  cr_assert_eq(pull_opts("twice", NULL, NULL, &info), 0, "%s", err.msg);
  cr_assert_str_eq(info.digest, md.digest);
}
