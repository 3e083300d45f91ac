/*
 * auth.c: registry credentials and challenges. Reads auths.<host> from a
 * docker config.json (the base64 "auth" field or username/password),
 * parses WWW-Authenticate (Basic, Bearer with realm/service/scope). The
 * HTTP side lives in registry.c. Credential helpers are not run.
 */
#include "internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void wo__base64_encode(const uint8_t *in, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 5 <= cap; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    out[o++] = b64[v >> 18 & 63];
    out[o++] = b64[v >> 12 & 63];
    out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? b64[v & 63] : '=';
  }
  if (cap)
    out[o < cap ? o : cap - 1] = 0;
}

static int b64_value(char c) {
  const char *p = c ? strchr(b64, c) : NULL;
  return p ? (int)(p - b64) : -1;
}

/* Standard alphabet; padding optional; whitespace refused. Returns 0 or -1
 * (bad character, or more than cap bytes). */
int wo__base64_decode(const char *in, uint8_t *out, size_t cap,
                      size_t *out_len) {
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0, n = strlen(in);
  while (n && in[n - 1] == '=')
    n--;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value(in[i]);
    if (v < 0)
      return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= cap)
        return -1;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  *out_len = o;
  return 0;
}

void wo__docker_config_path(const wo_pull_opts *opts, char *buf, size_t n) {
  const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
  if (opts && opts->docker_config)
    snprintf(buf, n, "%s", opts->docker_config);
  else if (dc && dc[0])
    snprintf(buf, n, "%s/config.json", dc);
  else if (home && home[0])
    snprintf(buf, n, "%s/.docker/config.json", home);
  else
    buf[0] = 0;
}

/* "https://index.docker.io/v1/" -> "docker.io"; "host:5000" stays. */
static void normalize_host(const char *key, char *out, size_t n) {
  if (strncmp(key, "https://", 8) == 0)
    key += 8;
  else if (strncmp(key, "http://", 7) == 0)
    key += 7;
  size_t len = strcspn(key, "/");
  snprintf(out, n, "%.*s", (int)len, key);
  if (strcmp(out, "index.docker.io") == 0 ||
      strcmp(out, "registry-1.docker.io") == 0)
    snprintf(out, n, "docker.io");
}

static int entry_creds(json_t *e, const char *key, const char *path,
                       wo_creds *out, wa_err *err) {
  json_t *auth = json_object_get(e, "auth");
  if (json_is_string(auth) && json_string_length(auth) > 0) {
    uint8_t dec[800];
    size_t n;
    if (json_string_length(auth) > 1000 ||
        wo__base64_decode(json_string_value(auth), dec, sizeof dec - 1, &n) !=
            0)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: auths.%s.auth: not base64", path, key);
    dec[n] = 0;
    char *colon = memchr(dec, ':', n);
    if (!colon || memchr(dec, 0, n))
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: auths.%s.auth: expected base64 of user:password",
                     path, key);
    *colon = 0;
    if (wa_strlcpy(out->user, (char *)dec, sizeof out->user) != 0 ||
        wa_strlcpy(out->pass, colon + 1, sizeof out->pass) != 0)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: auths.%s.auth: too long", path, key);
    out->set = true;
    return 0;
  }
  json_t *u = json_object_get(e, "username"),
         *p = json_object_get(e, "password");
  if (json_is_string(u) && json_is_string(p)) {
    if (wa_strlcpy(out->user, json_string_value(u), sizeof out->user) != 0 ||
        wa_strlcpy(out->pass, json_string_value(p), sizeof out->pass) != 0)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: auths.%s: credentials too long", path, key);
    out->set = true;
  }
  return 0;
}

int wo__creds_from_docker_config(const char *path, const char *domain,
                                 wo_creds *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  if (!path || !path[0])
    return 0;
  uint8_t *data;
  size_t len;
  wa_err e2;
  wa_err_init(&e2);
  if (wa_file_read(path, &data, &len, &e2) != 0) {
    if (e2.code == WA_ENOTFOUND)
      return 0; /* no config: anonymous */
    return wa_fail(err, e2.code, WA_NOOFF, "%s", e2.msg);
  }
  json_t *j;
  int rc = wo__json_load(data, len, 1u << 20, path, &j, err);
  wa_free(data);
  if (rc != 0)
    return rc;
  json_t *auths = json_object_get(j, "auths");
  if (auths && !json_is_object(auths))
    rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: auths: expected an object",
                 path);
  const char *key;
  json_t *e;
  char want[256], host[256];
  normalize_host(domain, want, sizeof want);
  if (rc == 0 && auths)
    json_object_foreach(auths, key, e) {
      normalize_host(key, host, sizeof host);
      if (strcasecmp(host, want) != 0 || !json_is_object(e))
        continue;
      if ((rc = entry_creds(e, key, path, out, err)) != 0 || out->set)
        break;
    }
  json_decref(j);
  return rc;
}

/* token := 1*tchar (RFC 9110) */
static size_t token_len(const char *p) {
  size_t n = 0;
  while (p[n] &&
         (isalnum((unsigned char)p[n]) || strchr("!#$%&'*+-.^_`|~", p[n])))
    n++;
  return n;
}

int wo__challenge_parse(const char *v, wo_challenge *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  while (*v == ' ' || *v == '\t')
    v++;
  size_t n = token_len(v);
  if (n == 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "WWW-Authenticate: no auth scheme in '%.100s'", v);
  if (n == 5 && strncasecmp(v, "Basic", 5) == 0)
    out->scheme = WO_AUTH_BASIC;
  else if (n == 6 && strncasecmp(v, "Bearer", 6) == 0)
    out->scheme = WO_AUTH_BEARER;
  else
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "WWW-Authenticate: auth scheme '%.*s' is not supported "
                   "(only Basic and Bearer)",
                   (int)(n > 40 ? 40 : n), v);
  const char *p = v + n;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    if (!*p)
      break;
    size_t kn = token_len(p);
    const char *key = p;
    p += kn;
    while (*p == ' ' || *p == '\t')
      p++;
    if (kn == 0 || *p != '=') {
      if (kn && (*p == 0 || *p == ',' || isalpha((unsigned char)*p)))
        break; /* the next challenge starts here */
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "WWW-Authenticate: expected name=value at '%.60s'", key);
    }
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    char val[1024];
    size_t vn = 0;
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
          p++;
        if (vn + 1 >= sizeof val)
          return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                         "WWW-Authenticate: parameter too long");
        val[vn++] = *p;
      }
      if (*p != '"')
        return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                       "WWW-Authenticate: unterminated quoted string");
      p++;
    } else {
      size_t tn = token_len(p);
      if (tn == 0 || tn >= sizeof val)
        return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                       "WWW-Authenticate: bad value at '%.60s'", p);
      memcpy(val, p, tn);
      vn = tn;
      p += tn;
    }
    val[vn] = 0;
    char *dst = NULL;
    size_t cap = 0;
    if (kn == 5 && strncasecmp(key, "realm", 5) == 0)
      dst = out->realm, cap = sizeof out->realm;
    else if (kn == 7 && strncasecmp(key, "service", 7) == 0)
      dst = out->service, cap = sizeof out->service;
    else if (kn == 5 && strncasecmp(key, "scope", 5) == 0)
      dst = out->scope, cap = sizeof out->scope;
    if (dst && wa_strlcpy(dst, val, cap) != 0)
      return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                     "WWW-Authenticate: %.*s too long", (int)kn, key);
  }
  if (out->scheme == WO_AUTH_BEARER && !out->realm[0])
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "WWW-Authenticate: Bearer challenge without a realm");
  return 0;
}
