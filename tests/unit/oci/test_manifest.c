#include "wo.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG "sha256:" D64
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define GZ_LAYER "application/vnd.oci.image.layer.v1.tar+gzip"

static wa_arena arena;
static wa_err err;

static void setup(void) {
  wa_arena_init(&arena, 0);
  wa_err_init(&err);
}
static void teardown(void) {
  wa_arena_free(&arena);
}
TestSuite(oci_manifest, .init = setup, .fini = teardown);

static int idx(const char *json, const char *mt, wo_index *out) {
  return wo_index_parse((const uint8_t *)json, strlen(json), mt, "idx", &arena,
                        out, &err);
}
static int man(const char *json, const char *mt, wo_manifest *out) {
  return wo_manifest_parse((const uint8_t *)json, strlen(json), mt, "man",
                           &arena, out, &err);
}
static int cfg(const char *json, const char *mt, wo_config *out) {
  return wo_config_parse((const uint8_t *)json, strlen(json), mt, "cfg", &arena,
                         out, &err);
}

#define DESC(mt, size)                                                         \
  "{\"mediaType\":\"" mt "\",\"digest\":\"" DG "\",\"size\":" #size

Test(oci_manifest, oci_index_with_platforms_and_annotations_parses) {
  wo_index x;
  const char *j =
      "{\"schemaVersion\":2,\"mediaType\":\"" OCI_INDEX
      "\",\"manifests\":[" DESC(
          OCI_MANIFEST,
          10) ",\"platform\":{\"os\":\"WASIP1\",\"architecture\":\"wasm\"},"
              "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}"
              "," DESC(OCI_MANIFEST,
                       20) ",\"platform\":{\"os\":\"linux\",\"architecture\":"
                           "\"arm64\",\"variant\":\"v8\"},\"unknown\":1}]}";
  cr_assert_eq(idx(j, OCI_INDEX, &x), 0, "%s", err.msg);
  cr_assert_eq(x.n_manifests, 2);
  cr_assert_str_eq(x.manifests[0].platform.os, "wasip1");
  cr_assert_str_eq(x.manifests[0].ref_name, "v1");
  cr_assert_str_eq(x.manifests[1].platform.variant, "v8");
  cr_assert_eq(x.manifests[1].size, 20);
  cr_assert_str_eq(x.manifests[1].digest, DG);
}

Test(oci_manifest, docker_manifest_list_parses_and_needs_its_media_type) {
  wo_index x;
  const char *list =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  char j[1024];
  snprintf(
      j, sizeof j,
      "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[" DESC(
          "application/vnd.docker.distribution.manifest.v2+json",
          5) ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
      list);
  cr_assert_eq(idx(j, list, &x), 0, "%s", err.msg);
  cr_assert_str_eq(x.media_type, list);
  wa_err_init(&err);
  const char *nofield = "{\"schemaVersion\":2,\"manifests\":[]}";
  cr_assert_eq(idx(nofield, list, &x), WA_EMALFORMED);
  cr_assert(strstr(err.msg, "required by Docker"), "%s", err.msg);
}

Test(oci_manifest, oci_manifest_with_layers_parses) {
  wo_manifest m;
  const char *j = "{\"schemaVersion\":2,\"config\":" DESC(
      OCI_CONFIG, 3) "},"
                     "\"layers\":[" DESC(GZ_LAYER, 7) "}," DESC(
                         "application/wasm", 9) "}]}";
  cr_assert_eq(man(j, NULL, &m), 0, "%s", err.msg);
  cr_assert_str_eq(m.media_type, OCI_MANIFEST);
  cr_assert_eq(m.n_layers, 2);
  cr_assert_str_eq(m.layers[1].media_type, "application/wasm");
  cr_assert_eq(wo_media_role(m.config.media_type), WO_ROLE_CONFIG);
}

Test(oci_manifest, wrong_types_are_refused_naming_the_field) {
  wo_manifest m;
  struct {
    const char *json, *field;
    int code;
  } cases[] = {
      {"{\"schemaVersion\":2,\"config\":" DESC(
           OCI_CONFIG,
           3) "},\"layers\":[" DESC(GZ_LAYER, 7) "}," DESC(GZ_LAYER, "7") "}]}",
       "layers[1].size", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG,
                                               -3) "},\"layers\":[]}",
       "config.size: negative", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_CONFIG
       "\",\"digest\":\"sha256:abc\",\"size\":1},\"layers\":[]}",
       "config.digest", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_CONFIG
       "\",\"digest\":\"md5:abc\",\"size\":1},\"layers\":[]}",
       "not supported", WA_EUNSUPPORTED},
      {"{\"schemaVersion\":2,\"config\":" DESC(
           OCI_CONFIG, 3) "},\"layers\":[" DESC("application/x-evil", 1) "}]}",
       "layers[0].mediaType", WA_EUNSUPPORTED},
      {"{\"schemaVersion\":2,\"config\":" DESC(
           OCI_CONFIG, 3) "},\"layers\":[{\"digest\":\"" DG "\",\"size\":1}]}",
       "layers[0].mediaType: missing", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, 3) "}}",
       "layers: missing", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG,
                                               3) "},\"layers\":{}}",
       "layers: expected an array", WA_EMALFORMED},
      {"{\"schemaVersion\":1,\"config\":" DESC(OCI_CONFIG,
                                               3) "},\"layers\":[]}",
       "schemaVersion", WA_EUNSUPPORTED},
      {"{\"config\":" DESC(OCI_CONFIG, 3) "},\"layers\":[]}",
       "schemaVersion: missing", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"config\":" DESC("text/plain",
                                               3) "},\"layers\":[]}",
       "config.mediaType", WA_EUNSUPPORTED},
      {"{\"schemaVersion\":2,\"config\":" DESC("not a type",
                                               3) "},\"layers\":[]}",
       "config.mediaType", WA_EMALFORMED},
      {"[1,2]", "not a JSON object", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"schemaVersion\":2}", "duplicate", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"config\":", "invalid JSON", WA_EMALFORMED},
      {"{\"schemaVersion\":2,\"mediaType\":\"" OCI_INDEX
       "\",\"config\":" DESC(OCI_CONFIG, 3) "},\"layers\":[]}",
       "is not a manifest", WA_EUNSUPPORTED},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    wa_err_init(&err);
    int rc = man(cases[i].json, NULL, &m);
    cr_assert_eq(rc, cases[i].code, "case %zu: rc %d (%s)", i, rc, err.msg);
    cr_assert(strstr(err.msg, cases[i].field), "case %zu: '%s' lacks '%s'", i,
              err.msg, cases[i].field);
  }
}

Test(oci_manifest, media_type_disagreeing_with_descriptor_is_refused) {
  wo_manifest m;
  const char *j = "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MANIFEST
                  "\",\"config\":" DESC(OCI_CONFIG, 3) "},\"layers\":[]}";
  cr_assert_eq(
      man(j, "application/vnd.docker.distribution.manifest.v2+json", &m),
      WA_EMALFORMED);
  cr_assert(strstr(err.msg, "disagrees"), "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(man(j, OCI_INDEX, &m), WA_EUNSUPPORTED);
}

Test(oci_manifest, invalid_json_reports_the_byte_offset) {
  wo_index x;
  cr_assert_eq(idx("{\"schemaVersion\":2,,}", NULL, &x), WA_EMALFORMED);
  cr_assert_neq(err.off, WA_NOOFF);
}

Test(oci_manifest, nul_bytes_in_strings_are_refused) {
  wo_config c;
  cr_assert_eq(
      cfg("{\"os\":\"wasip1\\u0000x\",\"architecture\":\"wasm\"}", NULL, &c),
      WA_EMALFORMED);
}

Test(oci_manifest, oversized_documents_and_counts_hit_limits) {
  size_t n = WO_MANIFEST_MAX + 10;
  char *big = malloc(n + 1);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  big[n] = 0;
  wo_index x;
  cr_assert_eq(idx(big, NULL, &x), WA_ELIMIT);
  free(big);
  /* 1025 layers */
  size_t cap = 1025 * 200 + 200, len = 0;
  char *j = malloc(cap);
  len += (size_t)snprintf(
      j, cap,
      "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, 1) "},\"layers\":[");
  for (int i = 0; i < 1025; i++)
    len += (size_t)snprintf(j + len, cap - len, "%s" DESC(GZ_LAYER, 1) "}",
                            i ? "," : "");
  snprintf(j + len, cap - len, "]}");
  wo_manifest m;
  wa_err_init(&err);
  cr_assert_eq(man(j, NULL, &m), WA_ELIMIT, "%s", err.msg);
  free(j);
}

Test(oci_manifest, deeply_nested_json_is_an_error_not_a_crash) {
  size_t n = 100000;
  char *j = malloc(n * 2 + 64);
  size_t k = (size_t)sprintf(j, "{\"a\":");
  for (size_t i = 0; i < n; i++)
    j[k++] = '[';
  for (size_t i = 0; i < n; i++)
    j[k++] = ']';
  j[k++] = '}';
  j[k] = 0;
  wo_index x;
  cr_assert_neq(idx(j, NULL, &x), 0);
  free(j);
}

Test(oci_manifest, config_fields_parse_with_nulls_allowed) {
  wo_config c;
  const char *j = "{\"os\":\"wasip1\",\"architecture\":\"wasm\",\"config\":{"
                  "\"Entrypoint\":[\"/app.wasm\",\"-v\"],"
                  "\"Cmd\":null,\"Env\":[\"PATH=/\",\"A=b\"],\"WorkingDir\":\"/"
                  "srv\",\"Labels\":{\"x\":\"y\"}},"
                  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DG "\"]}}";
  cr_assert_eq(cfg(j, OCI_CONFIG, &c), 0, "%s", err.msg);
  cr_assert_eq(c.n_entrypoint, 2);
  cr_assert_str_eq(c.entrypoint[0], "/app.wasm");
  cr_assert_null(c.entrypoint[2]);
  cr_assert_eq(c.n_cmd, 0);
  cr_assert_eq(c.n_env, 2);
  cr_assert_str_eq(c.working_dir, "/srv");
  cr_assert_eq(c.n_diff_ids, 1);
  cr_assert_str_eq(c.platform.arch, "wasm");
}

Test(oci_manifest, config_errors_name_the_field) {
  wo_config c;
  cr_assert_eq(cfg("{\"architecture\":\"wasm\"}", OCI_CONFIG, &c),
               WA_EMALFORMED);
  cr_assert(strstr(err.msg, "os: missing"), "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(cfg("{\"os\":\"a\",\"architecture\":\"b\",\"config\":{\"Env\":["
                   "\"A=1\",2]}}",
                   OCI_CONFIG, &c),
               WA_EMALFORMED);
  cr_assert(strstr(err.msg, "config.Env[1]"), "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(cfg("{\"os\":\"a\",\"architecture\":\"b\",\"rootfs\":{\"type\":"
                   "\"layers\",\"diff_ids\":[\"x\"]}}",
                   OCI_CONFIG, &c),
               WA_EMALFORMED);
  cr_assert(strstr(err.msg, "rootfs.diff_ids[0]"), "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(
      cfg("{\"os\":\"a\",\"architecture\":\"b\",\"config\":{\"WorkingDir\":7}}",
          OCI_CONFIG, &c),
      WA_EMALFORMED);
  cr_assert(strstr(err.msg, "config.WorkingDir"), "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(cfg("{}", GZ_LAYER, &c), WA_EUNSUPPORTED);
}

Test(oci_manifest, wasm_artifact_config_may_omit_the_platform) {
  wo_config c;
  cr_assert_eq(cfg("{\"layerDigests\":[\"" DG
                   "\"],\"author\":null,\"component\":null}",
                   "application/vnd.wasm.config.v0+json", &c),
               0, "%s", err.msg);
  cr_assert_str_eq(c.platform.os, "");
}

Test(oci_manifest, document_role_comes_from_type_field_or_shape) {
  wo_role r;
  const char *a = "{\"schemaVersion\":2,\"manifests\":[]}";
  cr_assert_eq(wo_doc_role((const uint8_t *)a, strlen(a), NULL, "x", &r, &err),
               0);
  cr_assert_eq(r, WO_ROLE_INDEX);
  const char *b = "{\"schemaVersion\":2,\"config\":{}}";
  cr_assert_eq(wo_doc_role((const uint8_t *)b, strlen(b), "application/json",
                           "x", &r, &err),
               0);
  cr_assert_eq(r, WO_ROLE_MANIFEST);
  cr_assert_eq(
      wo_doc_role((const uint8_t *)b, strlen(b), OCI_INDEX, "x", &r, &err), 0);
  cr_assert_eq(r, WO_ROLE_INDEX);
  cr_assert_eq(wo_doc_role((const uint8_t *)b, strlen(b),
                           "application/vnd.cncf.helm.config.v1+json", "x", &r,
                           &err),
               WA_EUNSUPPORTED);
  wa_err_init(&err);
  const char *c = "{\"schemaVersion\":2}";
  cr_assert_eq(wo_doc_role((const uint8_t *)c, strlen(c), NULL, "x", &r, &err),
               WA_EMALFORMED);
}
