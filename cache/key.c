/*
 * key.c: cache keys. Owns the canonical serialization of a compile
 * configuration (byte layout in docs/cache.md), the feature-string
 * canonical form, and the configuration an artifact's metadata records.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_DOMAIN "wasmaot-cache-key" /* 17 bytes, no NUL */
#define KEY_SCHEMA 1u

typedef struct feature {
  const char *name;
  size_t len, index;
  char sign;
} feature;

static int feature_cmp(const void *pa, const void *pb) {
  const feature *a = pa, *b = pb;
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->name, b->name, n);
  if (c == 0 && a->len != b->len)
    c = a->len < b->len ? -1 : 1;
  if (c == 0) /* keeps input order among equal names: the last one wins */
    c = a->index < b->index ? -1 : 1;
  return c;
}

/* Heapsort: in place, where glibc's qsort allocates a temporary copy of
 * arrays over 1 KiB (a resolved "native" has a hundred features) and asks
 * the kernel for the amount of physical memory first, on every hit. */
static void sift(feature *v, size_t root, size_t n) {
  for (size_t child; (child = 2 * root + 1) < n; root = child) {
    if (child + 1 < n && feature_cmp(&v[child], &v[child + 1]) < 0)
      child++;
    if (feature_cmp(&v[root], &v[child]) >= 0)
      return;
    feature t = v[root];
    v[root] = v[child];
    v[child] = t;
  }
}

static void sort_features(feature *v, size_t n) {
  for (size_t i = n / 2; i-- > 0;)
    sift(v, i, n);
  for (size_t end = n; end > 1;) {
    end--;
    feature t = v[0];
    v[0] = v[end];
    v[end] = t;
    sift(v, 0, end);
  }
}

static bool is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/*
 * "+b, +a,-c,+c" and "+a,+b,+c" compile the same code, so they must give
 * the same key: items are trimmed, an unsigned item means '+', the last
 * occurrence of a name wins, and the result is sorted by name.
 */
static int canon_features(const char *s, wa_buf *out, wa_err *err) {
  int rc = 0;
  size_t n_items = 0, cap = 1;
  for (const char *p = s; *p; p++)
    cap += *p == ',';
  feature *items = wa_calloc(cap, sizeof *items);
  if (!items)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  for (const char *p = s; *p;) {
    const char *end = strchr(p, ',');
    if (!end)
      end = p + strlen(p);
    const char *a = p, *b = end;
    while (a < b && is_space(*a))
      a++;
    while (b > a && is_space(b[-1]))
      b--;
    p = *end ? end + 1 : end;
    if (a == b)
      continue;
    char sign = '+';
    if (*a == '+' || *a == '-')
      sign = *a++;
    if (a == b) {
      rc = wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "cpu features '%s': a '%c' without a feature name", s, sign);
      goto out;
    }
    items[n_items] = (feature){a, (size_t)(b - a), n_items, sign};
    n_items++;
  }
  sort_features(items, n_items);
  bool first = true;
  for (size_t i = 0; i < n_items; i++) {
    if (i + 1 < n_items && items[i + 1].len == items[i].len &&
        memcmp(items[i + 1].name, items[i].name, items[i].len) == 0)
      continue; /* a later occurrence overrides this one */
    if (!first && (rc = wa_buf_u8(out, ',', err)) != 0)
      goto out;
    if ((rc = wa_buf_u8(out, (uint8_t)items[i].sign, err)) != 0 ||
        (rc = wa_buf_append(out, items[i].name, items[i].len, err)) != 0)
      goto out;
    first = false;
  }
out:
  wa_free(items);
  return rc;
}

static int put_field(wa_buf *out, uint8_t tag, const void *p, size_t n,
                     wa_err *err) {
  int rc;
  if (n > UINT32_MAX)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "configuration field too long");
  if ((rc = wa_buf_u8(out, tag, err)) != 0 ||
      (rc = wa_buf_u32le(out, (uint32_t)n, err)) != 0 ||
      (rc = wa_buf_append(out, p, n, err)) != 0)
    return rc;
  return 0;
}

static int put_STR(wa_buf *out, uint8_t tag, const char *s, wa_err *err) {
  s = s ? s : "";
  return put_field(out, tag, s, strlen(s), err);
}

static int put_FEATURES(wa_buf *out, uint8_t tag, const char *s, wa_err *err) {
  wa_buf canon;
  wa_buf_init(&canon);
  int rc = canon_features(s ? s : "", &canon, err);
  if (rc == 0)
    rc = put_field(out, tag, canon.data ? (const void *)canon.data : "",
                   canon.len, err);
  wa_buf_free(&canon);
  return rc;
}

static int put_U32(wa_buf *out, uint8_t tag, uint32_t v, wa_err *err) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                  (uint8_t)(v >> 24)};
  return put_field(out, tag, b, 4, err);
}

static int put_U8(wa_buf *out, uint8_t tag, uint8_t v, wa_err *err) {
  return put_field(out, tag, &v, 1, err);
}

int wk_config_serialize(const wk_config *cfg, wa_buf *out, wa_err *err) {
  int rc;
  if (!cfg->compiler_version || !cfg->compiler_version[0])
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "cache key: the compiler version is empty");
  if (!cfg->triple || !cfg->triple[0])
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "cache key: the target triple is empty");
  if (cfg->cpu && strcmp(cfg->cpu, "native") == 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "cache key: cpu 'native' must be resolved to the host's "
                   "cpu name first (it does not say which code was made)");
  if ((rc = wa_buf_append(out, KEY_DOMAIN, strlen(KEY_DOMAIN), err)) != 0 ||
      (rc = wa_buf_u32le(out, KEY_SCHEMA, err)) != 0)
    return rc;
#define WK__X(tag, name, kind)                                                 \
  if ((rc = put_##kind(out, tag, cfg->name, err)) != 0)                        \
    return rc;
  WK_CONFIG_FIELDS(WK__X)
#undef WK__X
  return 0;
}

int wk_key_compute(const uint8_t module_sha256[32], const wk_config *cfg,
                   wk_key *out, wa_err *err) {
  wa_buf ser;
  wa_buf_init(&ser);
  int rc = wk_config_serialize(cfg, &ser, err);
  if (rc == 0) {
    wa_sha256 s;
    wa_sha256_init(&s);
    wa_sha256_update(&s, module_sha256, 32);
    wa_sha256_update(&s, ser.data, ser.len);
    wa_sha256_final(&s, out->b);
  }
  wa_buf_free(&ser);
  return rc;
}

void wk_key_hex(const wk_key *k, char out[65]) {
  wa_hex(k->b, 32, out);
}

int wk_key_parse(const char *hex, wk_key *out) {
  if (strlen(hex) != 64)
    return -1;
  for (const char *p = hex; *p; p++) /* file names are lower case only */
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return -1;
  return wa_unhex(hex, out->b, 32);
}

static int copy_name(wr_name n, wa_arena *a, const char *field,
                     const char **out, wa_err *err) {
  if (n.len && memchr(n.ptr, 0, n.len))
    return wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                   "artifact metadata: %s holds a NUL byte", field);
  char *s = wa_arena_strndup(a, n.len ? n.ptr : "", n.len);
  if (!s)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  *out = s;
  return 0;
}

int wk_config_from_meta(const wr_meta *m, wa_arena *arena, wk_config *out,
                        wa_err *err) {
  int rc;
  memset(out, 0, sizeof *out);
  if ((rc = copy_name(m->compiler_version, arena, "compiler version",
                      &out->compiler_version, err)) != 0 ||
      (rc = copy_name(m->triple, arena, "triple", &out->triple, err)) != 0 ||
      (rc = copy_name(m->cpu, arena, "cpu", &out->cpu, err)) != 0 ||
      (rc = copy_name(m->features, arena, "features", &out->features, err)) !=
          0)
    return rc;
  out->format_version = m->format_version;
  out->abi_version = m->abi_version;
  out->bounds = m->bounds;
  out->opt_level = m->opt_level;
  return 0;
}

/* The canonical text of a field, for comparisons and messages. */
static void text_STR(const char *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", s ? s : "");
}

static void text_FEATURES(const char *s, char *buf, size_t n) {
  wa_buf canon;
  wa_err e;
  wa_buf_init(&canon);
  wa_err_init(&e);
  if (canon_features(s ? s : "", &canon, &e) == 0)
    snprintf(buf, n, "%.*s", (int)canon.len,
             canon.data ? (const char *)canon.data : "");
  else
    text_STR(s, buf, n);
  wa_buf_free(&canon);
}

static void text_U32(uint32_t v, char *buf, size_t n) {
  snprintf(buf, n, "%u", v);
}

static void text_U8(uint8_t v, char *buf, size_t n) {
  snprintf(buf, n, "%u", v);
}

void wk__config_diff(const wk_config *a, const wk_config *b, char *buf,
                     size_t n) {
  char ta[1100], tb[1100]; /* whole values: wc_resolved.features is 1024 */
  buf[0] = 0;
#define WK__X(tag, name, kind)                                                 \
  text_##kind(a->name, ta, sizeof ta);                                         \
  text_##kind(b->name, tb, sizeof tb);                                         \
  if (strcmp(ta, tb) != 0) {                                                   \
    snprintf(buf, n, "%s is '%s', expected '%s'", #name, ta, tb);              \
    return;                                                                    \
  }
  WK_CONFIG_FIELDS(WK__X)
#undef WK__X
}
