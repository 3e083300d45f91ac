/*
 * manifest.c: OCI index/manifest/config and Docker manifest list/schema 2
 * JSON. Input is untrusted: sizes and counts are bounded, duplicate keys
 * and wrong types are refused naming the field, media types are checked
 * against the table in internal.h. Unknown fields are ignored (the spec
 * requires it); unknown media types are not.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DESCS 1024   /* entries of an index, layers of a manifest */
#define MAX_STRINGS 4096 /* Env, Cmd, Entrypoint, diff_ids */

const char *const wo__media_types[WO_MT_COUNT] = {
#define WO__X(name, str, role) str,
    WO_MEDIA_MAP(WO__X)
#undef WO__X
};

static const wo_role media_roles[WO_MT_COUNT] = {
#define WO__X(name, str, role) WO_ROLE_##role,
    WO_MEDIA_MAP(WO__X)
#undef WO__X
};

wo_role wo_media_role(const char *mt) {
  if (!mt)
    return WO_ROLE_UNKNOWN;
  for (int i = 0; i < WO_MT_COUNT; i++)
    if (strcmp(mt, wo__media_types[i]) == 0)
      return media_roles[i];
  return WO_ROLE_UNKNOWN;
}

int wo__json_load(const uint8_t *data, size_t len, size_t max, const char *what,
                  json_t **out, wa_err *err) {
  *out = NULL;
  if (len > max)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s: %zu bytes, more than the %zu allowed", what, len, max);
  json_error_t je;
  json_t *j = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
  if (!j) {
    wa_fail(err, WA_EMALFORMED, (uint64_t)je.position, "%s: invalid JSON: %s",
            what, je.text);
    return err->code;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: the document is not a JSON object", what);
  }
  *out = j;
  return 0;
}

int wo__json_dump(json_t *j, uint8_t **out, size_t *out_len, wa_err *err) {
  size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
  uint8_t *buf = n ? wa_malloc(n) : NULL;
  if (!buf)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory writing JSON");
  json_dumpb(j, (char *)buf, n, JSON_COMPACT | JSON_SORT_KEYS);
  *out = buf;
  *out_len = n;
  return 0;
}

static int type_error(const char *what, const char *prefix, const char *key,
                      const char *expected, wa_err *err) {
  return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s%s%s: expected %s", what,
                 prefix ? prefix : "", prefix && prefix[0] ? "." : "", key,
                 expected);
}

int wo__json_str(json_t *obj, const char *key, const char *prefix,
                 const char *what, wa_arena *a, const char **out, wa_err *err) {
  *out = NULL;
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v))
    return 0;
  if (!json_is_string(v))
    return type_error(what, prefix, key, "a string", err);
  const char *s = json_string_value(v);
  char *copy = wa_arena_strndup(a, s, json_string_length(v));
  if (!copy)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory parsing %s", what);
  *out = copy;
  return 0;
}

static int req_str(json_t *obj, const char *key, const char *prefix,
                   const char *what, wa_arena *a, const char **out,
                   wa_err *err) {
  if (wo__json_str(obj, key, prefix, what, a, out, err) != 0)
    return err->code;
  if (!*out)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s%s%s: missing", what,
                   prefix ? prefix : "", prefix && prefix[0] ? "." : "", key);
  return 0;
}

/* Copies a short string field into a fixed buffer. */
static int short_str(json_t *obj, const char *key, const char *prefix,
                     const char *what, bool required, char *buf, size_t n,
                     wa_err *err) {
  json_t *v = json_object_get(obj, key);
  buf[0] = 0;
  if (!v || json_is_null(v)) {
    if (required)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s%s%s: missing", what,
                     prefix, prefix[0] ? "." : "", key);
    return 0;
  }
  if (!json_is_string(v))
    return type_error(what, prefix, key, "a string", err);
  if (json_string_length(v) >= n)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: %s%s%s: longer than %zu characters", what, prefix,
                   prefix[0] ? "." : "", key, n - 1);
  memcpy(buf, json_string_value(v), json_string_length(v) + 1);
  for (char *p = buf; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return 0;
}

/* type "/" subtype, RFC 6838 restricted-name characters. */
static bool media_type_syntax_ok(const char *s) {
  size_t n = strlen(s);
  const char *slash = strchr(s, '/');
  if (n == 0 || n > 255 || !slash || slash == s || slash[1] == 0 ||
      strchr(slash + 1, '/'))
    return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("!#$&-^_.+/", c);
    if (!ok)
      return false;
  }
  return true;
}

static int parse_platform(json_t *p, const char *field, const char *what,
                          wo_platform *out, wa_err *err) {
  char prefix[96];
  snprintf(prefix, sizeof prefix, "%s.platform", field);
  if (!json_is_object(p))
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s: expected an object",
                   what, prefix);
  if (short_str(p, "os", prefix, what, true, out->os, sizeof out->os, err) ||
      short_str(p, "architecture", prefix, what, true, out->arch,
                sizeof out->arch, err) ||
      short_str(p, "variant", prefix, what, false, out->variant,
                sizeof out->variant, err))
    return err->code;
  return 0;
}

int wo__desc_parse(json_t *obj, const char *field, const char *what,
                   wa_arena *a, wo_desc *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(obj))
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s: expected an object",
                   what, field);
  if (req_str(obj, "mediaType", field, what, a, &out->media_type, err) != 0)
    return err->code;
  if (!media_type_syntax_ok(out->media_type))
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: %s.mediaType: '%.80s' is not a media type", what, field,
                   out->media_type);
  json_t *d = json_object_get(obj, "digest");
  if (!d)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s.digest: missing", what,
                   field);
  if (!json_is_string(d))
    return type_error(what, field, "digest", "a string", err);
  char f[96];
  snprintf(f, sizeof f, "%s: %s.digest", what, field);
  uint8_t sha[32];
  if (wo_digest_parse(json_string_value(d), f, sha, err) != 0)
    return err->code;
  wo_digest_format(sha, out->digest);
  json_t *sz = json_object_get(obj, "size");
  if (!sz)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s.size: missing", what,
                   field);
  if (!json_is_integer(sz))
    return type_error(what, field, "size", "an integer", err);
  json_int_t size = json_integer_value(sz);
  if (size < 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s.size: negative (%lld)",
                   what, field, (long long)size);
  out->size = (uint64_t)size;
  json_t *p = json_object_get(obj, "platform");
  if (p && !json_is_null(p)) {
    if (parse_platform(p, field, what, &out->platform, err) != 0)
      return err->code;
    out->has_platform = true;
  }
  json_t *ann = json_object_get(obj, "annotations");
  if (ann && !json_is_null(ann)) {
    char pfx[96];
    snprintf(pfx, sizeof pfx, "%s.annotations", field);
    if (!json_is_object(ann))
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s: expected an object",
                     what, pfx);
    const char *key;
    json_t *val;
    json_object_foreach(ann, key, val) {
      if (!json_is_string(val))
        return type_error(what, pfx, key, "a string", err);
    }
    size_t n = json_object_size(ann);
    if (n > MAX_STRINGS)
      return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                     "%s: %s: %zu entries, more than the %d allowed", what, pfx,
                     n, MAX_STRINGS);
    const char **kv = wa_arena_alloc(a, (2 * n + 1) * sizeof *kv);
    if (!kv)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory parsing %s",
                     what);
    size_t i = 0;
    json_object_foreach(ann, key, val) {
      kv[2 * i] = wa_arena_strndup(a, key, strlen(key));
      kv[2 * i + 1] =
          wa_arena_strndup(a, json_string_value(val), json_string_length(val));
      if (!kv[2 * i] || !kv[2 * i + 1])
        return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory parsing %s",
                       what);
      i++;
    }
    kv[2 * n] = NULL;
    out->annotations = kv;
    out->n_annotations = n;
    if (wo__json_str(ann, WO_ANN_REF_NAME, pfx, what, a, &out->ref_name, err) ||
        wo__json_str(ann, WO_ANN_IMAGE_NAME, pfx, what, a, &out->image_name,
                     err))
      return err->code;
  }
  if (wo__json_str(obj, "artifactType", field, what, a, &out->artifact_type,
                   err) != 0)
    return err->code;
  if (out->artifact_type && !media_type_syntax_ok(out->artifact_type))
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: %s.artifactType: '%.80s' is not a media type", what,
                   field, out->artifact_type);
  return 0;
}

json_t *wo__desc_json(const wo_desc *d) {
  json_t *o = json_object();
  if (!o)
    return NULL;
  int bad = json_object_set_new(o, "mediaType", json_string(d->media_type));
  bad |= json_object_set_new(o, "digest", json_string(d->digest));
  bad |= json_object_set_new(o, "size", json_integer((json_int_t)d->size));
  if (d->has_platform) {
    json_t *p = json_pack("{s:s, s:s}", "os", d->platform.os, "architecture",
                          d->platform.arch);
    if (p && d->platform.variant[0])
      bad |=
          json_object_set_new(p, "variant", json_string(d->platform.variant));
    bad |= json_object_set_new(o, "platform", p);
  }
  if (d->artifact_type)
    bad |=
        json_object_set_new(o, "artifactType", json_string(d->artifact_type));
  if (d->ref_name || d->image_name || d->n_annotations) {
    json_t *ann = json_object();
    for (size_t i = 0; i < d->n_annotations; i++) {
      const char *k = d->annotations[2 * i], *v = d->annotations[2 * i + 1];
      /* The fields decide these two (a caller may have cleared one). */
      if (strcmp(k, WO_ANN_REF_NAME) == 0 || strcmp(k, WO_ANN_IMAGE_NAME) == 0)
        continue;
      bad |= json_object_set_new(ann, k, json_string(v));
    }
    if (d->ref_name)
      bad |=
          json_object_set_new(ann, WO_ANN_REF_NAME, json_string(d->ref_name));
    if (d->image_name)
      bad |= json_object_set_new(ann, WO_ANN_IMAGE_NAME,
                                 json_string(d->image_name));
    bad |= json_object_set_new(o, "annotations", ann);
  }
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static int schema_version(json_t *j, const char *what, wa_err *err) {
  json_t *v = json_object_get(j, "schemaVersion");
  if (!v)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: schemaVersion: missing",
                   what);
  if (!json_is_integer(v))
    return type_error(what, NULL, "schemaVersion", "an integer", err);
  if (json_integer_value(v) != 2)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: schemaVersion: %lld is not supported (only 2)", what,
                   (long long)json_integer_value(v));
  return 0;
}

/*
 * The document's own mediaType must have the expected role, and agree with
 * what the descriptor or server said. Docker schema 2 requires the field;
 * OCI documents may omit it.
 */
static int check_doc_type(json_t *j, const char *given, wo_role role,
                          const char *what, wa_arena *a, const char **out,
                          wa_err *err) {
  const char *own;
  if (wo__json_str(j, "mediaType", NULL, what, a, &own, err) != 0)
    return err->code;
  const char *kind = role == WO_ROLE_INDEX ? "an index" : "a manifest";
  if (given && wo_media_role(given) != role)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: media type '%.100s' is not %s", what, given, kind);
  if (own && wo_media_role(own) != role)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: mediaType: '%.100s' is not %s", what, own, kind);
  if (own && given && strcmp(own, given) != 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: mediaType: '%.100s' disagrees with the descriptor's "
                   "'%.100s'",
                   what, own, given);
  const char *mt = own ? own : given;
  if (!mt)
    mt = role == WO_ROLE_INDEX ? wo__media_types[WO_MT_OCI_INDEX]
                               : wo__media_types[WO_MT_OCI_MANIFEST];
  if (!own && (strcmp(mt, wo__media_types[WO_MT_DOCKER_LIST]) == 0 ||
               strcmp(mt, wo__media_types[WO_MT_DOCKER_MANIFEST]) == 0))
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: mediaType: missing (required by Docker schema 2)",
                   what);
  *out = mt;
  return 0;
}

static int desc_array(json_t *j, const char *key, bool required,
                      const char *what, wa_arena *a, wo_desc **out,
                      size_t *out_n, wa_err *err) {
  json_t *arr = json_object_get(j, key);
  *out = NULL;
  *out_n = 0;
  if (!arr || json_is_null(arr)) {
    if (required)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s: missing", what,
                     key);
    return 0;
  }
  if (!json_is_array(arr))
    return type_error(what, NULL, key, "an array", err);
  size_t n = json_array_size(arr);
  if (n > MAX_DESCS)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s: %s: %zu entries, more than the %d allowed", what, key,
                   n, MAX_DESCS);
  wo_desc *d = wa_arena_alloc(a, (n ? n : 1) * sizeof *d);
  if (!d)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory parsing %s", what);
  for (size_t i = 0; i < n; i++) {
    char field[64];
    snprintf(field, sizeof field, "%s[%zu]", key, i);
    if (wo__desc_parse(json_array_get(arr, i), field, what, a, &d[i], err))
      return err->code;
  }
  *out = d;
  *out_n = n;
  return 0;
}

/* The optional OCI 1.1 "subject" descriptor. */
static int subject(json_t *j, const char *what, wa_arena *a,
                   const wo_desc **out, wa_err *err) {
  *out = NULL;
  json_t *s = json_object_get(j, "subject");
  if (!s || json_is_null(s))
    return 0;
  wo_desc *d = wa_arena_alloc(a, sizeof *d);
  if (!d)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory parsing %s", what);
  if (wo__desc_parse(s, "subject", what, a, d, err) != 0)
    return err->code;
  *out = d;
  return 0;
}

int wo_index_parse(const uint8_t *data, size_t len, const char *media_type,
                   const char *what, wa_arena *a, wo_index *out, wa_err *err) {
  json_t *j = NULL;
  memset(out, 0, sizeof *out);
  int rc = wo__json_load(data, len, WO_MANIFEST_MAX, what, &j, err);
  if (rc == 0)
    rc = schema_version(j, what, err);
  if (rc == 0)
    rc = check_doc_type(j, media_type, WO_ROLE_INDEX, what, a, &out->media_type,
                        err);
  if (rc == 0)
    rc = desc_array(j, "manifests", true, what, a, &out->manifests,
                    &out->n_manifests, err);
  if (rc == 0)
    rc = wo__json_str(j, "artifactType", NULL, what, a, &out->artifact_type,
                      err);
  if (rc == 0)
    rc = subject(j, what, a, &out->subject, err);
  json_decref(j);
  return rc;
}

static int check_role(const wo_desc *d, const char *field, wo_role r1,
                      wo_role r2, const char *what, wa_err *err) {
  wo_role r = wo_media_role(d->media_type);
  if (r == r1 || r == r2)
    return 0;
  return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                 "%s: %s.mediaType: unsupported media type '%.100s'", what,
                 field, d->media_type);
}

int wo_manifest_parse(const uint8_t *data, size_t len, const char *media_type,
                      const char *what, wa_arena *a, wo_manifest *out,
                      wa_err *err) {
  json_t *j = NULL;
  memset(out, 0, sizeof *out);
  int rc = wo__json_load(data, len, WO_MANIFEST_MAX, what, &j, err);
  if (rc == 0)
    rc = schema_version(j, what, err);
  if (rc == 0)
    rc = check_doc_type(j, media_type, WO_ROLE_MANIFEST, what, a,
                        &out->media_type, err);
  if (rc == 0)
    rc = wo__json_str(j, "artifactType", NULL, what, a, &out->artifact_type,
                      err);
  if (rc == 0) {
    json_t *c = json_object_get(j, "config");
    if (!c)
      rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: config: missing", what);
    else
      rc = wo__desc_parse(c, "config", what, a, &out->config, err);
  }
  if (rc == 0)
    rc = check_role(&out->config, "config", WO_ROLE_CONFIG, WO_ROLE_WASM_CONFIG,
                    what, err);
  if (rc == 0)
    rc = desc_array(j, "layers", true, what, a, &out->layers, &out->n_layers,
                    err);
  for (size_t i = 0; rc == 0 && i < out->n_layers; i++) {
    char field[64];
    snprintf(field, sizeof field, "layers[%zu]", i);
    rc = check_role(&out->layers[i], field, WO_ROLE_LAYER, WO_ROLE_WASM_LAYER,
                    what, err);
  }
  if (rc == 0)
    rc = subject(j, what, a, &out->subject, err);
  json_decref(j);
  return rc;
}

/* An optional array of strings (null allowed), NULL-terminated copy. */
static int str_array(json_t *obj, const char *key, const char *prefix,
                     const char *what, wa_arena *a, const char ***out,
                     size_t *out_n, wa_err *err) {
  *out = NULL;
  *out_n = 0;
  json_t *arr = obj ? json_object_get(obj, key) : NULL;
  if (!arr || json_is_null(arr))
    return 0;
  if (!json_is_array(arr))
    return type_error(what, prefix, key, "an array of strings", err);
  size_t n = json_array_size(arr);
  if (n > MAX_STRINGS)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s: %s.%s: %zu entries, more than the %d allowed", what,
                   prefix, key, n, MAX_STRINGS);
  const char **v = wa_arena_alloc(a, (n + 1) * sizeof *v);
  if (!v)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory parsing %s", what);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(arr, i);
    if (!json_is_string(s))
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: %s.%s[%zu]: expected a string", what, prefix, key, i);
    v[i] = wa_arena_strndup(a, json_string_value(s), json_string_length(s));
    if (!v[i])
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory parsing %s",
                     what);
    if (strlen(v[i]) != json_string_length(s))
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: %s.%s[%zu]: contains a NUL byte", what, prefix, key,
                     i);
  }
  *out = v;
  *out_n = n;
  return 0;
}

int wo_config_parse(const uint8_t *data, size_t len, const char *media_type,
                    const char *what, wa_arena *a, wo_config *out,
                    wa_err *err) {
  json_t *j = NULL;
  memset(out, 0, sizeof *out);
  wo_role role = wo_media_role(media_type);
  if (media_type && role != WO_ROLE_CONFIG && role != WO_ROLE_WASM_CONFIG)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: media type '%.100s' is not an image config", what,
                   media_type);
  int rc = wo__json_load(data, len, WO_CONFIG_MAX, what, &j, err);
  if (rc != 0)
    return rc;
  /* The OCI config requires os and architecture; the Wasm artifact config
   * only recommends them. */
  bool req = role != WO_ROLE_WASM_CONFIG;
  if (short_str(j, "os", "", what, req, out->platform.os,
                sizeof out->platform.os, err) ||
      short_str(j, "architecture", "", what, req, out->platform.arch,
                sizeof out->platform.arch, err) ||
      short_str(j, "variant", "", what, false, out->platform.variant,
                sizeof out->platform.variant, err)) {
    rc = err->code;
    goto out;
  }
  json_t *c = json_object_get(j, "config");
  if (c && !json_is_null(c)) {
    if (!json_is_object(c)) {
      rc = type_error(what, NULL, "config", "an object", err);
      goto out;
    }
    if (str_array(c, "Entrypoint", "config", what, a, &out->entrypoint,
                  &out->n_entrypoint, err) ||
        str_array(c, "Cmd", "config", what, a, &out->cmd, &out->n_cmd, err) ||
        str_array(c, "Env", "config", what, a, &out->env, &out->n_env, err) ||
        wo__json_str(c, "WorkingDir", "config", what, a, &out->working_dir,
                     err)) {
      rc = err->code;
      goto out;
    }
  }
  json_t *r = json_object_get(j, "rootfs");
  if (r && !json_is_null(r)) {
    if (!json_is_object(r)) {
      rc = type_error(what, NULL, "rootfs", "an object", err);
      goto out;
    }
    const char *type;
    if (wo__json_str(r, "type", "rootfs", what, a, &type, err) != 0) {
      rc = err->code;
      goto out;
    }
    if (type && strcmp(type, "layers") != 0) {
      rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: rootfs.type: '%.64s' is not 'layers'", what, type);
      goto out;
    }
    if (str_array(r, "diff_ids", "rootfs", what, a, &out->diff_ids,
                  &out->n_diff_ids, err) != 0) {
      rc = err->code;
      goto out;
    }
    for (size_t i = 0; i < out->n_diff_ids; i++) {
      char f[96];
      uint8_t sha[32];
      snprintf(f, sizeof f, "%s: rootfs.diff_ids[%zu]", what, i);
      if (wo_digest_parse(out->diff_ids[i], f, sha, err) != 0) {
        rc = err->code;
        goto out;
      }
    }
  }
out:
  json_decref(j);
  return rc;
}

int wo_doc_role(const uint8_t *data, size_t len, const char *media_type,
                const char *what, wo_role *out, wa_err *err) {
  wo_role r = wo_media_role(media_type);
  if (media_type && (r == WO_ROLE_INDEX || r == WO_ROLE_MANIFEST)) {
    *out = r;
    return 0;
  }
  if (media_type && strcmp(media_type, "application/json") != 0 &&
      strcmp(media_type, "application/octet-stream") != 0 &&
      strcmp(media_type, "text/plain") != 0)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: media type '%.100s' is neither an index nor a manifest",
                   what, media_type);
  json_t *j;
  if (wo__json_load(data, len, WO_MANIFEST_MAX, what, &j, err) != 0)
    return err->code;
  int rc = 0;
  json_t *mt = json_object_get(j, "mediaType");
  if (mt && json_is_string(mt)) {
    r = wo_media_role(json_string_value(mt));
    if (r != WO_ROLE_INDEX && r != WO_ROLE_MANIFEST)
      rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: mediaType: '%.100s' is neither an index nor a "
                   "manifest",
                   what, json_string_value(mt));
  } else if (json_object_get(j, "manifests")) {
    r = WO_ROLE_INDEX;
  } else if (json_object_get(j, "config") || json_object_get(j, "layers")) {
    r = WO_ROLE_MANIFEST;
  } else {
    rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                 "%s: neither an index (no 'manifests') nor a manifest (no "
                 "'config')",
                 what);
  }
  json_decref(j);
  if (rc == 0)
    *out = r;
  return rc;
}
