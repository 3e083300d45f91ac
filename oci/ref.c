/*
 * ref.c: image references. Registry names follow the distribution
 * reference grammar (domain, lower-case path components, tag, digest);
 * oci: and oci-archive: name a local layout or its tar. Nothing here does
 * I/O except making layout paths absolute with getcwd().
 */
#include "internal.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DOCKER_DOMAIN "docker.io"
#define DOCKER_ENDPOINT "registry-1.docker.io"

static bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* component := alnum+ (sep alnum+)*, sep := "." | "_" | "__" | "-"+ */
static int check_component(const char *s, size_t n, const char *ref,
                           wa_err *err) {
  if (n == 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "reference '%s': empty path component", ref);
  for (size_t i = 0; i < n; i++)
    if (s[i] >= 'A' && s[i] <= 'Z')
      return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                     "reference '%s': repository name must be lower case", ref);
  if (!is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
    goto bad;
  for (size_t i = 0; i < n;) {
    if (is_lower_alnum(s[i])) {
      i++;
      continue;
    }
    size_t j = i;
    if (s[i] == '.')
      j++;
    else if (s[i] == '_')
      j += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
    else if (s[i] == '-')
      while (j < n && s[j] == '-')
        j++;
    else
      goto bad;
    if (j >= n || !is_lower_alnum(s[j]))
      goto bad;
    i = j;
  }
  return 0;
bad:
  return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                 "reference '%s': invalid repository component '%.*s' (allowed:"
                 " a-z 0-9 separated by '.', '_', '__' or '-')",
                 ref, (int)n, s);
}

/* host := ([A-Za-z0-9-]+ ('.' ...)*) | '[' ipv6 ']', then optional :port */
static int check_domain(const char *s, const char *ref, wa_err *err) {
  const char *colon = NULL;
  size_t n = strlen(s);
  if (n == 0 || n >= 256)
    goto bad;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close == s + 1)
      goto bad;
    for (const char *p = s + 1; p < close; p++)
      if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
        goto bad;
    if (close[1] == ':')
      colon = close + 1;
    else if (close[1] != 0)
      goto bad;
  } else {
    colon = strchr(s, ':');
    size_t hn = colon ? (size_t)(colon - s) : n;
    if (hn == 0 || s[0] == '-' || s[0] == '.' || s[hn - 1] == '.')
      goto bad;
    for (size_t i = 0; i < hn; i++)
      if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
        goto bad;
  }
  if (colon) {
    const char *p = colon + 1;
    unsigned long port = 0;
    if (!*p)
      goto bad;
    for (; *p; p++) {
      if (!isdigit((unsigned char)*p))
        goto bad;
      port = port * 10 + (unsigned long)(*p - '0');
      if (port > 65535)
        goto bad;
    }
    if (port == 0)
      goto bad;
  }
  return 0;
bad:
  return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                 "reference '%s': invalid registry host '%s'", ref, s);
}

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static int check_tag(const char *t, const char *ref, wa_err *err) {
  size_t n = strlen(t);
  bool ok = n > 0 && n <= 128 && (isalnum((unsigned char)t[0]) || t[0] == '_');
  for (size_t i = 1; ok && i < n; i++)
    ok = isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' ||
         t[i] == '-';
  if (!ok)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "reference '%s': invalid tag '%s' (allowed: up to 128 of "
                   "A-Z a-z 0-9 _ . -, not starting with '.' or '-')",
                   ref, t);
  return 0;
}

/* Layout ref names (org.opencontainers.image.ref.name) are looser. */
static int check_layout_tag(const char *t, const char *ref, wa_err *err) {
  size_t n = strlen(t);
  bool ok = n > 0 && n < 256;
  for (size_t i = 0; ok && i < n; i++)
    ok = isalnum((unsigned char)t[i]) || strchr("._-:@+/", t[i]) != NULL;
  if (!ok)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "reference '%s': invalid layout tag '%s'", ref, t);
  return 0;
}

static int check_digest(const char *d, const char *ref, wa_err *err) {
  uint8_t sha[32];
  wa_err e2;
  wa_err_init(&e2);
  int rc = wo_digest_parse(d, "digest", sha, &e2);
  if (rc != 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "reference '%s': %s", ref, e2.msg);
  return 0;
}

static int parse_local(const char *s, const char *rest, wo_ref *out,
                       wa_err *err) {
  char path[4096];
  const char *at = strrchr(rest, '@');
  const char *colon;
  size_t plen;
  if (at && strchr(at, ':')) {
    if (check_digest(at + 1, s, err) != 0)
      return err->code;
    snprintf(out->digest, sizeof out->digest, "%s", at + 1);
    plen = (size_t)(at - rest);
  } else if ((colon = strchr(rest, ':')) != NULL) {
    if (check_layout_tag(colon + 1, s, err) != 0)
      return err->code;
    snprintf(out->tag, sizeof out->tag, "%s", colon + 1);
    plen = (size_t)(colon - rest);
  } else {
    plen = strlen(rest);
  }
  if (plen == 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "reference '%s': empty path", s);
  if (plen >= sizeof path)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "reference '%s': path too long",
                   s);
  memcpy(path, rest, plen);
  path[plen] = 0;
  if (path[0] == '/') {
    snprintf(out->path, sizeof out->path, "%s", path);
  } else {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
      return wa_fail_errno(err, WA_EIO, "cannot get the current directory");
    int w = snprintf(out->path, sizeof out->path, "%s/%s",
                     strcmp(cwd, "/") == 0 ? "" : cwd, path);
    if (w < 0 || (size_t)w >= sizeof out->path)
      return wa_fail(err, WA_EUSAGE, WA_NOOFF, "reference '%s': path too long",
                     s);
  }
  /* Drop trailing slashes so the canonical name is stable. */
  for (size_t n = strlen(out->path); n > 1 && out->path[n - 1] == '/'; n--)
    out->path[n - 1] = 0;
  return 0;
}

static int parse_registry(const char *s, wo_ref *out, wa_err *err) {
  char buf[1024];
  if (wa_strlcpy(buf, s, sizeof buf) != 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "reference too long");
  if (buf[0] == 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "empty image reference");
  for (const char *p = buf; *p; p++)
    if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
      return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                     "reference '%s': contains a space or control character",
                     s);
  char *at = strrchr(buf, '@');
  if (at) {
    *at = 0;
    if (check_digest(at + 1, s, err) != 0)
      return err->code;
    snprintf(out->digest, sizeof out->digest, "%s", at + 1);
  }
  char *slash = strrchr(buf, '/');
  char *colon = strrchr(buf, ':');
  if (colon && (!slash || colon > slash)) {
    *colon = 0;
    if (check_tag(colon + 1, s, err) != 0)
      return err->code;
    snprintf(out->tag, sizeof out->tag, "%s", colon + 1);
  }
  char *name = buf;
  char *first = strchr(buf, '/');
  if (first) {
    *first = 0;
    if (strchr(buf, '.') || strchr(buf, ':') || strcmp(buf, "localhost") == 0 ||
        buf[0] == '[') {
      if (check_domain(buf, s, err) != 0)
        return err->code;
      /* check_domain bounded it; the precision tells GCC so. */
      snprintf(out->domain, sizeof out->domain, "%.255s", buf);
      name = first + 1;
    } else {
      *first = '/';
    }
  }
  if (!out->domain[0] || strcmp(out->domain, "index.docker.io") == 0)
    snprintf(out->domain, sizeof out->domain, "%s", DOCKER_DOMAIN);
  for (char *c = name;;) {
    char *e = strchr(c, '/');
    size_t n = e ? (size_t)(e - c) : strlen(c);
    if (check_component(c, n, s, err) != 0)
      return err->code;
    if (!e)
      break;
    c = e + 1;
  }
  bool docker = strcmp(out->domain, DOCKER_DOMAIN) == 0;
  int w = snprintf(out->repo, sizeof out->repo, "%s%s",
                   docker && !strchr(name, '/') ? "library/" : "", name);
  if (w < 0 || (size_t)w >= sizeof out->repo ||
      strlen(out->domain) + 1 + strlen(out->repo) > 255)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "reference '%s': name longer than 255 characters", s);
  snprintf(out->endpoint, sizeof out->endpoint, "%s",
           docker ? DOCKER_ENDPOINT : out->domain);
  if (!out->tag[0] && !out->digest[0])
    snprintf(out->tag, sizeof out->tag, "latest");
  return 0;
}

int wo_ref_parse(const char *s, wo_ref *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  if (!s)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "empty image reference");
  if (strncmp(s, "oci:", 4) == 0) {
    out->kind = WO_REF_LAYOUT;
    return parse_local(s, s + 4, out, err);
  }
  if (strncmp(s, "oci-archive:", 12) == 0) {
    out->kind = WO_REF_ARCHIVE;
    return parse_local(s, s + 12, out, err);
  }
  if (strncmp(s, "docker://", 9) == 0) /* skopeo's transport prefix */
    s += 9;
  else if (strstr(s, "://"))
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "reference '%s': a URL is not a reference (write "
                   "HOST[:PORT]/NAME[:TAG])",
                   s);
  out->kind = WO_REF_REGISTRY;
  return parse_registry(s, out, err);
}

const char *wo_ref_name(const wo_ref *r, char *buf, size_t n) {
  const char *sep_t = r->tag[0] ? ":" : "";
  const char *sep_d = r->digest[0] ? "@" : "";
  switch (r->kind) {
  case WO_REF_LAYOUT:
  case WO_REF_ARCHIVE:
    snprintf(buf, n, "%s:%s%s%s%s%s",
             r->kind == WO_REF_LAYOUT ? "oci" : "oci-archive", r->path, sep_t,
             r->tag, sep_d, r->digest);
    break;
  case WO_REF_REGISTRY:
    snprintf(buf, n, "%s/%s%s%s%s%s", r->domain, r->repo, sep_t, r->tag, sep_d,
             r->digest);
    break;
  }
  return buf;
}
