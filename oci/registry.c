/*
 * registry.c: the distribution API over HTTP(S) with libcurl: manifests by
 * tag or digest, blobs in parallel (curl multi) with Range resumes, Basic
 * and Bearer auth driven by WWW-Authenticate. Credentials go only to the
 * registry host (curl drops them on cross-host redirects to a CDN). Blob
 * bytes go through a wo_sink, so they are verified like every other blob.
 */
#include "internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ACCEPT_MANIFESTS                                                       \
  "Accept: application/vnd.oci.image.index.v1+json, "                          \
  "application/vnd.oci.image.manifest.v1+json, "                               \
  "application/vnd.docker.distribution.manifest.list.v2+json, "                \
  "application/vnd.docker.distribution.manifest.v2+json"
#define ERROR_BODY_MAX (64 * 1024)
#define TOKEN_BODY_MAX (1u << 20)

struct wo_registry {
  wo_ref ref;
  char base[700]; /* scheme://endpoint/v2/repo */
  char origin[520];
  bool plain_http, tls_no_verify;
  wo_creds creds;
  int auth; /* WO_AUTH_* in use */
  char *token;
  int max_parallel;
  wo_progress_fn progress;
  void *progress_ud;
  uint64_t done, total;
  bool writing; /* a push request: a token without a scope asks for push */
};

/* One HTTP exchange. Bodies of 200/206 go to 'sink' when set, others to
 * 'body' (bounded by body_max). */
typedef struct xfer {
  wo_registry *r;
  CURL *h;
  struct curl_slist *headers;
  long status;
  char content_type[128];
  char digest[WO_DIGEST_MAX + 8];
  char content_range[128];
  char www[2048];
  bool www_bearer;
  char location[2048];
  char range[128];  /* "Range" of an upload status */
  bool oci_subject; /* "OCI-Subject" seen */
  /* request body (wo__registry_request): memory or a file range */
  const uint8_t *up_mem;
  int up_fd;
  uint64_t up_off, up_len, up_pos;
  wa_buf body;
  size_t body_max;
  bool overflow;
  wo_sink *sink;
  bool sink_checked; /* status and Range answer looked at */
  wa_err err;        /* failures inside callbacks */
  char curl_msg[CURL_ERROR_SIZE];
} xfer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) {
  curl_init_rc = curl_global_init(CURL_GLOBAL_ALL);
}

static void trim(char *s) {
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  char line[2048];
  size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
  memcpy(line, p, l);
  line[l] = 0;
  trim(line);
  if (strncmp(line, "HTTP/", 5) == 0) { /* a new response (redirects) */
    const char *sp = strchr(line, ' ');
    x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    x->content_type[0] = x->digest[0] = x->content_range[0] = x->www[0] = 0;
    x->location[0] = x->range[0] = 0;
    x->www_bearer = false;
    x->oci_subject = false;
    return len;
  }
  char *colon = strchr(line, ':');
  if (!colon)
    return len;
  *colon = 0;
  const char *v = colon + 1;
  while (*v == ' ' || *v == '\t')
    v++;
  if (strcasecmp(line, "Content-Type") == 0) {
    snprintf(x->content_type, sizeof x->content_type, "%.*s",
             (int)strcspn(v, "; "), v);
  } else if (strcasecmp(line, "Docker-Content-Digest") == 0) {
    snprintf(x->digest, sizeof x->digest, "%s", v);
  } else if (strcasecmp(line, "Content-Range") == 0) {
    snprintf(x->content_range, sizeof x->content_range, "%s", v);
  } else if (strcasecmp(line, "Location") == 0) {
    snprintf(x->location, sizeof x->location, "%s", v);
  } else if (strcasecmp(line, "Range") == 0) {
    snprintf(x->range, sizeof x->range, "%s", v);
  } else if (strcasecmp(line, "OCI-Subject") == 0) {
    x->oci_subject = true;
  } else if (strcasecmp(line, "WWW-Authenticate") == 0) {
    /* Prefer a Bearer challenge when a server offers several. */
    bool bearer = strncasecmp(v, "Bearer", 6) == 0;
    if (!x->www[0] || (bearer && !x->www_bearer)) {
      snprintf(x->www, sizeof x->www, "%s", v);
      x->www_bearer = bearer;
    }
  }
  return len;
}

static void report_progress(wo_registry *r) {
  if (r->progress)
    r->progress(r->progress_ud, r->done, r->total);
}

/* The first body bytes of a blob response: 206 must continue where the
 * partial file ends; 200 means the server ignored Range, so start over. */
static int check_sink_start(xfer *x) {
  x->sink_checked = true;
  wo_sink *s = x->sink;
  if (x->status == 206) {
    unsigned long long start = 0;
    if (sscanf(x->content_range, "bytes %llu-", &start) != 1 ||
        start != s->have)
      return wa_fail(&x->err, WA_ENETWORK, WA_NOOFF,
                     "blob %s: the server resumed at '%s', expected byte %llu",
                     s->desc->digest, x->content_range,
                     (unsigned long long)s->have);
    return 0;
  }
  if (s->have) {
    x->r->done -= s->have;
    return wo__sink_restart(s, &x->err);
  }
  return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  if (x->sink && (x->status == 200 || x->status == 206)) {
    if (!x->sink_checked && check_sink_start(x) != 0)
      return 0;
    if (wo__sink_write(x->sink, p, len, &x->err) != 0)
      return 0; /* aborts the transfer; the sink has removed the file */
    x->r->done += len;
    report_progress(x->r);
    return len;
  }
  if (x->body.len + len > x->body_max) {
    x->overflow = true;
    return 0;
  }
  if (wa_buf_append(&x->body, p, len, &x->err) != 0)
    return 0;
  return len;
}

static int xfer_setup(wo_registry *r, xfer *x, const char *url,
                      const char *accept, uint64_t range_from, wa_err *err) {
  memset(x, 0, sizeof *x);
  x->r = r;
  wa_err_init(&x->err);
  wa_buf_init(&x->body);
  x->body_max = ERROR_BODY_MAX;
  x->h = curl_easy_init();
  if (!x->h)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "cannot create a curl handle");
  CURL *h = x->h;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
                   r->plain_http ? "http,https" : "https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "wasmaot/" WA_VERSION);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_msg);
  if (r->tls_no_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (r->auth == WO_AUTH_BASIC) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, r->creds.user);
    curl_easy_setopt(h, CURLOPT_PASSWORD, r->creds.pass);
  } else if (r->auth == WO_AUTH_BEARER && r->token) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
    curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, r->token);
  }
  if (accept)
    x->headers = curl_slist_append(x->headers, accept);
  if (range_from) {
    char range[64];
    snprintf(range, sizeof range, "Range: bytes=%llu-",
             (unsigned long long)range_from);
    x->headers = curl_slist_append(x->headers, range);
  }
  if (x->headers)
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
  return 0;
}

static void xfer_free(xfer *x) {
  if (x->h)
    curl_easy_cleanup(x->h);
  curl_slist_free_all(x->headers);
  wa_buf_free(&x->body);
  x->h = NULL;
  x->headers = NULL;
}

/* " (CODE: message)" from a distribution error body, or "". */
static void error_detail_of(const uint8_t *body, size_t len, char *buf,
                            size_t n) {
  buf[0] = 0;
  json_t *j = len ? json_loadb((const char *)body, len, 0, NULL) : NULL;
  json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
  const char *code = json_string_value(json_object_get(e0, "code"));
  const char *msg = json_string_value(json_object_get(e0, "message"));
  if (code || msg)
    snprintf(buf, n, " (%.40s%s%.160s)", code ? code : "",
             code && msg ? ": " : "", msg ? msg : "");
  json_decref(j);
}

static void error_detail(const xfer *x, char *buf, size_t n) {
  error_detail_of(x->body.data, x->body.len, buf, n);
}

/* Maps a finished exchange to an error, or 0 for a 2xx status. */
static int xfer_result(xfer *x, CURLcode cc, const char *doing, wa_err *err) {
  if (x->err.code) {
    wa_fail(err, x->err.code, WA_NOOFF, "%s: %s", doing, x->err.msg);
    return err->code;
  }
  if (cc != CURLE_OK)
    return wa_fail(err, WA_ENETWORK, WA_NOOFF, "%s: %s%s", doing,
                   x->curl_msg[0] ? x->curl_msg : curl_easy_strerror(cc),
                   cc == CURLE_SSL_CONNECT_ERROR && !x->r->plain_http
                       ? " (a plain http registry? try --plain-http)"
                       : "");
  if (x->overflow)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s: the response is larger than the %zu bytes allowed",
                   doing, x->body_max);
  if (x->status >= 200 && x->status < 300)
    return 0;
  char detail[256];
  error_detail(x, detail, sizeof detail);
  int code = x->status == 404   ? WA_ENOTFOUND
             : x->status == 401 ? WA_EPERM
             : x->status == 403 ? WA_EPERM
                                : WA_ENETWORK;
  return wa_fail(err, code, WA_NOOFF, "%s: HTTP %ld%s", doing, x->status,
                 detail);
}

static bool is_loopback(const char *url) {
  const char *h = strstr(url, "://");
  h = h ? h + 3 : url;
  return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
         strncmp(h, "[::1]", 5) == 0;
}

/* GET realm?service=..&scope=.. with the credentials, keep the token. */
static int fetch_token(wo_registry *r, const wo_challenge *c, wa_err *err) {
  if (strncmp(c->realm, "https://", 8) != 0 &&
      !(strncmp(c->realm, "http://", 7) == 0 &&
        (r->plain_http || is_loopback(c->realm))))
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "%s: refusing token realm '%.200s' (not https)", r->origin,
                   c->realm);
  CURL *esc = curl_easy_init();
  if (!esc)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "cannot create a curl handle");
  char scope[600];
  if (c->scope[0])
    snprintf(scope, sizeof scope, "%s", c->scope);
  else
    snprintf(scope, sizeof scope, "repository:%s:%s", r->ref.repo,
             r->writing ? "pull,push" : "pull");
  char *s1 = curl_easy_escape(esc, c->service, 0);
  char *s2 = curl_easy_escape(esc, scope, 0);
  char url[2200];
  snprintf(url, sizeof url, "%s%sservice=%s&scope=%s", c->realm,
           strchr(c->realm, '?') ? "&" : "?", s1 ? s1 : "", s2 ? s2 : "");
  curl_free(s1);
  curl_free(s2);
  curl_easy_cleanup(esc);

  xfer x;
  int saved = r->auth;
  r->auth = r->creds.set ? WO_AUTH_BASIC : WO_AUTH_NONE;
  int rc = xfer_setup(r, &x, url, NULL, 0, err);
  r->auth = saved;
  if (rc != 0)
    return rc;
  x.body_max = TOKEN_BODY_MAX;
  CURLcode cc = curl_easy_perform(x.h);
  char doing[700];
  snprintf(doing, sizeof doing, "getting a token for %s from %.120s", r->origin,
           c->realm);
  if ((rc = xfer_result(&x, cc, doing, err)) != 0) {
    if (x.status == 401 || x.status == 403)
      wa_err_wrap(err, "%s: ",
                  r->creds.set ? "credentials refused"
                               : "anonymous access refused");
    xfer_free(&x);
    return rc;
  }
  json_t *j = json_loadb((const char *)x.body.data, x.body.len, 0, NULL);
  const char *tok = json_string_value(json_object_get(j, "token"));
  if (!tok || !tok[0])
    tok = json_string_value(json_object_get(j, "access_token"));
  if (!tok || !tok[0]) {
    rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                 "%s: the token server's answer has no token", doing);
  } else {
    wa_free(r->token);
    r->token = wa_strndup(tok, strlen(tok));
    if (!r->token)
      rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    r->auth = WO_AUTH_BEARER;
  }
  json_decref(j);
  xfer_free(&x);
  return rc;
}

/* Answers a 401: picks up credentials or a token for the next attempt. */
static int authenticate(wo_registry *r, const xfer *x, wa_err *err) {
  wo_challenge c;
  if (!x->www[0])
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "%s: HTTP 401 without a WWW-Authenticate challenge",
                   r->origin);
  if (wo__challenge_parse(x->www, &c, err) != 0) {
    wa_err_wrap(err, "%s: ", r->origin);
    return err->code;
  }
  if (c.scheme == WO_AUTH_BEARER)
    return fetch_token(r, &c, err);
  if (!r->creds.set)
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "%s requires a login: pass --creds USER:PASS or add it to "
                   "the docker config.json",
                   r->origin);
  if (r->auth == WO_AUTH_BASIC)
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "%s refused the credentials for user '%s'", r->origin,
                   r->creds.user);
  r->auth = WO_AUTH_BASIC;
  return 0;
}

int wo__registry_open(const wo_ref *ref, const wo_pull_opts *opts,
                      wo_registry **out, wa_err *err) {
  *out = NULL;
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "curl_global_init failed");
  wo_registry *r = wa_calloc(1, sizeof *r);
  if (!r)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  r->ref = *ref;
  r->plain_http = opts && opts->plain_http;
  r->tls_no_verify = opts && opts->tls_no_verify;
  r->max_parallel = opts && opts->max_parallel > 0 ? opts->max_parallel : 4;
  r->progress = opts ? opts->progress : NULL;
  r->progress_ud = opts ? opts->progress_ud : NULL;
  snprintf(r->base, sizeof r->base, "%s://%s/v2/%s",
           r->plain_http ? "http" : "https", ref->endpoint, ref->repo);
  snprintf(r->origin, sizeof r->origin, "%s/%s", ref->domain, ref->repo);
  int rc = 0;
  if (opts && opts->username) {
    if (wa_strlcpy(r->creds.user, opts->username, sizeof r->creds.user) != 0 ||
        wa_strlcpy(r->creds.pass, opts->password ? opts->password : "",
                   sizeof r->creds.pass) != 0)
      rc = wa_fail(err, WA_EUSAGE, WA_NOOFF, "credentials too long");
    r->creds.set = true;
  } else {
    char path[4096];
    wo__docker_config_path(opts, path, sizeof path);
    rc = wo__creds_from_docker_config(path, ref->domain, &r->creds, err);
  }
  if (rc != 0) {
    wo__registry_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

void wo__registry_free(wo_registry *r) {
  if (!r)
    return;
  wa_free(r->token);
  /* Credentials do not outlive the client in freed memory. */
  memset(&r->creds, 0, sizeof r->creds);
  wa_free(r);
}

int wo__registry_manifest(wo_registry *r, const char *reference, uint8_t **out,
                          size_t *out_len, char out_media_type[128],
                          char out_digest[WO_DIGEST_MAX], wa_err *err) {
  *out = NULL;
  *out_len = 0;
  char url[1000], doing[600];
  snprintf(url, sizeof url, "%s/manifests/%s", r->base, reference);
  snprintf(doing, sizeof doing, "fetching manifest %s from %s", reference,
           r->origin);
  xfer x;
  int rc = 0;
  for (int attempt = 0;; attempt++) {
    if ((rc = xfer_setup(r, &x, url, ACCEPT_MANIFESTS, 0, err)) != 0)
      return rc;
    x.body_max = WO_MANIFEST_MAX;
    CURLcode cc = curl_easy_perform(x.h);
    if (cc == CURLE_OK && x.status == 401 && attempt < 2 && !x.err.code) {
      rc = authenticate(r, &x, err);
      xfer_free(&x);
      if (rc != 0)
        return rc;
      continue;
    }
    rc = xfer_result(&x, cc, doing, err);
    break;
  }
  if (rc == 0) {
    uint8_t sha[32];
    wa_sha256_once(x.body.data, x.body.len, sha);
    wo_digest_format(sha, out_digest);
    snprintf(out_media_type, 128, "%s", x.content_type);
    /* The server's Docker-Content-Digest, when it sends one, is checked
     * like any descriptor. */
    if (x.digest[0]) {
      wo_desc d = {.size = x.body.len};
      uint8_t hs[32];
      wa_err e2;
      wa_err_init(&e2);
      if (wo_digest_parse(x.digest, "Docker-Content-Digest", hs, &e2) == 0) {
        wo_digest_format(hs, d.digest);
        rc = wo__blob_check(&d, sha, x.body.len, r->origin, err);
      } else if (e2.code != WA_EUNSUPPORTED) {
        /* (another algorithm is fine: our own sha256 still holds) */
        rc = wa_fail(err, e2.code, WA_NOOFF, "%s: %s", doing, e2.msg);
      }
    }
  }
  if (rc == 0) {
    *out_len = x.body.len;
    *out = wa_buf_take(&x.body, out_len);
  }
  xfer_free(&x);
  return rc;
}

/* --------------------------------------------- requests (push, referrers) */

static size_t on_read(char *buf, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  uint64_t left = x->up_len - x->up_pos;
  size_t want = size * n < left ? size * n : (size_t)left;
  if (want == 0)
    return 0;
  if (x->up_mem) {
    memcpy(buf, x->up_mem + x->up_pos, want);
  } else {
    ssize_t got = pread(x->up_fd, buf, want, (off_t)(x->up_off + x->up_pos));
    if (got <= 0) {
      wa_fail(&x->err, WA_EIO, WA_NOOFF,
              "cannot read the upload at byte %llu: %s",
              (unsigned long long)(x->up_off + x->up_pos),
              got < 0 ? strerror(errno) : "end of file");
      return CURL_READFUNC_ABORT;
    }
    want = (size_t)got;
  }
  x->up_pos += want;
  return want;
}

/* curl rewinds the body when it must send it again (a redirect). */
static int on_seek(void *ud, curl_off_t off, int origin) {
  xfer *x = ud;
  if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->up_len)
    return CURL_SEEKFUNC_CANTSEEK;
  x->up_pos = (uint64_t)off;
  return CURL_SEEKFUNC_OK;
}

const char *wo__registry_url(const wo_registry *r) {
  return r->base;
}
const char *wo__registry_origin(const wo_registry *r) {
  return r->origin;
}

void wo__http_resp_free(wo_http_resp *resp) {
  wa_free(resp->body);
  resp->body = NULL;
  resp->len = 0;
}

int wo__registry_status_error(const wo_http_resp *resp, const char *doing,
                              wa_err *err) {
  char detail[256];
  error_detail_of(resp->body, resp->len, detail, sizeof detail);
  int code = resp->status == 404   ? WA_ENOTFOUND
             : resp->status == 401 ? WA_EPERM
             : resp->status == 403 ? WA_EPERM
                                   : WA_ENETWORK;
  return wa_fail(err, code, WA_NOOFF, "%s: HTTP %ld%s", doing, resp->status,
                 detail);
}

static void full_url(const wo_registry *r, const char *url, char *out,
                     size_t n) {
  if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
    snprintf(out, n, "%s", url);
  else if (url[0] == '/') /* host-relative, as a Location may be */
    snprintf(out, n, "%s://%s%s", r->plain_http ? "http" : "https",
             r->ref.endpoint, url);
  else
    snprintf(out, n, "%s/%s", r->base, url);
}

int wo__registry_request(wo_registry *r, const wo_http *q, wo_http_resp *resp,
                         const char *doing, wa_err *err) {
  memset(resp, 0, sizeof *resp);
  char url[3000];
  full_url(r, q->url, url, sizeof url);
  if (strlen(url) + 1 >= sizeof url)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "%s: URL too long", doing);
  bool has_body = q->body || q->body_len;
  /* Credentials go to the registry host only, not to another host an
   * upload Location may name (a storage backend). */
  const char *host = strstr(url, "://") + 3;
  size_t hl = strcspn(host, "/?#");
  bool foreign = hl != strlen(r->ref.endpoint) ||
                 strncasecmp(host, r->ref.endpoint, hl) != 0;
  xfer x;
  int rc = 0;
  for (int attempt = 0;; attempt++) {
    int saved = r->auth;
    if (foreign)
      r->auth = WO_AUTH_NONE;
    rc = xfer_setup(r, &x, url, q->accept, 0, err);
    r->auth = saved;
    if (rc != 0)
      return rc;
    x.body_max = q->max_resp ? q->max_resp : ERROR_BODY_MAX;
    CURL *h = x.h;
    char line[300];
    if (q->content_type) {
      snprintf(line, sizeof line, "Content-Type: %s", q->content_type);
      x.headers = curl_slist_append(x.headers, line);
    }
    if (q->content_range) {
      snprintf(line, sizeof line, "Content-Range: %s", q->content_range);
      x.headers = curl_slist_append(x.headers, line);
    }
    /* No "Expect: 100-continue" round trip before bodies. */
    x.headers = curl_slist_append(x.headers, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, x.headers);
    if (strcmp(q->method, "HEAD") == 0) {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "GET") != 0) {
      /* Every other method sends a body (maybe empty) through the read
       * callback; CUSTOMREQUEST names the method. */
      x.up_mem = q->body;
      x.up_fd = q->body_fd;
      x.up_off = q->body_off;
      x.up_len = has_body ? q->body_len : 0;
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &x);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x.up_len);
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    }
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK && x.status == 401 && attempt < 2 && !x.err.code &&
        !foreign) {
      r->writing =
          strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0;
      rc = authenticate(r, &x, err);
      r->writing = false;
      xfer_free(&x);
      if (rc != 0) {
        wa_err_wrap(err, "%s: ", doing);
        return rc;
      }
      continue;
    }
    if (x.err.code) {
      rc = wa_fail(err, x.err.code, WA_NOOFF, "%s: %s", doing, x.err.msg);
    } else if (cc != CURLE_OK && !x.overflow) {
      rc = xfer_result(&x, cc, doing, err);
    } else if (x.overflow) {
      rc = wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s: the response is larger than the %zu bytes allowed",
                   doing, x.body_max);
    }
    break;
  }
  if (rc == 0) {
    resp->status = x.status;
    snprintf(resp->content_type, sizeof resp->content_type, "%s",
             x.content_type);
    snprintf(resp->digest, sizeof resp->digest, "%s", x.digest);
    snprintf(resp->location, sizeof resp->location, "%s", x.location);
    snprintf(resp->range, sizeof resp->range, "%s", x.range);
    resp->oci_subject = x.oci_subject;
    resp->len = x.body.len;
    resp->body = wa_buf_take(&x.body, &resp->len);
  }
  xfer_free(&x);
  return rc;
}

/* ------------------------------------------------------------------ blobs */

typedef struct job {
  const wo_desc *desc;
  wo_sink sink;
  xfer x;
  bool open, active, done;
  int auth_tries, range_tries;
} job;

static int job_start(wo_registry *r, CURLM *m, job *j, int dir_fd,
                     wa_err *err) {
  if (!j->open) {
    if (wo__sink_open(&j->sink, dir_fd, j->desc, r->origin, err) != 0)
      return err->code;
    j->open = true;
    r->done += j->sink.have;
    report_progress(r);
  }
  if (j->sink.have == j->desc->size) { /* complete from an earlier run */
    j->done = true;
    return wo__sink_finish(&j->sink, err);
  }
  char url[1000];
  snprintf(url, sizeof url, "%s/blobs/%s", r->base, j->desc->digest);
  if (xfer_setup(r, &j->x, url, NULL, j->sink.have, err) != 0)
    return err->code;
  j->x.sink = &j->sink;
  curl_easy_setopt(j->x.h, CURLOPT_PRIVATE, j);
  if (curl_multi_add_handle(m, j->x.h) != CURLM_OK)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "curl_multi_add_handle failed");
  j->active = true;
  return 0;
}

/* A transfer ended: finish the blob, or decide to retry it. */
static int job_end(wo_registry *r, CURLM *m, job *j, CURLcode cc, bool *retry,
                   wa_err *err) {
  *retry = false;
  curl_multi_remove_handle(m, j->x.h);
  j->active = false;
  char doing[700];
  snprintf(doing, sizeof doing, "downloading blob %s from %s", j->desc->digest,
           r->origin);
  int rc = 0;
  if (cc == CURLE_OK && !j->x.err.code && j->x.status == 401 &&
      j->auth_tries++ < 2) {
    rc = authenticate(r, &j->x, err);
    *retry = rc == 0;
  } else if (cc == CURLE_OK && j->x.status == 416 && j->range_tries++ < 1) {
    r->done -= j->sink.have; /* the partial file is not a prefix: restart */
    rc = wo__sink_restart(&j->sink, err);
    *retry = rc == 0;
  } else if ((rc = xfer_result(&j->x, cc, doing, err)) == 0) {
    rc = wo__sink_finish(&j->sink, err);
    j->done = true;
  }
  xfer_free(&j->x);
  return rc;
}

int wo__registry_blobs(wo_registry *r, const wo_desc *const *descs, size_t n,
                       int dir_fd, wa_err *err) {
  CURLM *m = curl_multi_init();
  job *jobs = wa_calloc(n ? n : 1, sizeof *jobs);
  int rc = 0;
  if (!m || !jobs) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  r->done = 0;
  r->total = 0;
  for (size_t i = 0; i < n; i++) {
    jobs[i].desc = descs[i];
    r->total += descs[i]->size;
  }
  size_t next = 0, active = 0, finished = 0;
  while (rc == 0 && finished < n) {
    while (rc == 0 && next < n && active < (size_t)r->max_parallel) {
      job *j = &jobs[next++];
      if ((rc = job_start(r, m, j, dir_fd, err)) == 0 && j->active)
        active++;
      else if (rc == 0)
        finished++;
    }
    if (rc != 0 || active == 0)
      continue;
    int running;
    if (curl_multi_perform(m, &running) != CURLM_OK) {
      rc = wa_fail(err, WA_ENETWORK, WA_NOOFF, "curl_multi_perform failed");
      break;
    }
    CURLMsg *msg;
    int left;
    while (rc == 0 && (msg = curl_multi_info_read(m, &left)) != NULL) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      job *j;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
      bool retry;
      CURLcode cc = msg->data.result;
      active--;
      if ((rc = job_end(r, m, j, cc, &retry, err)) != 0)
        break;
      if (retry) {
        if ((rc = job_start(r, m, j, dir_fd, err)) == 0 && j->active)
          active++;
        else if (rc == 0)
          finished++;
      } else {
        finished++;
      }
    }
    if (rc == 0 && running > 0 &&
        curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
      rc = wa_fail(err, WA_ENETWORK, WA_NOOFF, "curl_multi_poll failed");
  }
out:
  /* On failure, partial files stay for the next attempt to resume. */
  for (size_t i = 0; jobs && i < n; i++) {
    if (jobs[i].active)
      curl_multi_remove_handle(m, jobs[i].x.h);
    xfer_free(&jobs[i].x);
    if (jobs[i].open && !jobs[i].done)
      wo__sink_abort(&jobs[i].sink, true);
  }
  wa_free(jobs);
  if (m)
    curl_multi_cleanup(m);
  return rc;
}
