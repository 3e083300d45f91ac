/*
 * test_native.c: the pieces under `wasmaot precompile` one by one. The
 * signature of a native artifact covers every field of its claim (bytes,
 * module, key, format, target) and nothing signed for a cache archive
 * verifies as one; a referrer written by oci/native.c reads back with its
 * metadata, pairs signatures by key, ignores other images' attachments and
 * refuses malformed annotations.
 */
#include "wk.h"
#include "wo.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static wa_err err;

static void setup(void) {
  const char *t = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/wasmaot-native-test.XXXXXX",
           t && *t ? t : "/tmp");
  cr_assert_not_null(mkdtemp(dir));
  wa_err_init(&err);
}

static void teardown(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(native, .init = setup, .fini = teardown);

/* A key pair NAME in dir, its signer, and (trusted) a set holding it. */
static void make_key(const char *name, wk_signer *s, wk_trusted *t) {
  char prefix[300], key[320], tdir[320], cmd[1024];
  snprintf(prefix, sizeof prefix, "%s/%s", dir, name);
  cr_assert_eq(wk_keypair_generate(prefix, NULL, &err), 0, "%s", err.msg);
  snprintf(key, sizeof key, "%s.key", prefix);
  cr_assert_eq(wk_signer_read(key, s, &err), 0, "%s", err.msg);
  if (!t)
    return;
  snprintf(tdir, sizeof tdir, "%s/trusted-%s", dir, name);
  snprintf(cmd, sizeof cmd, "mkdir -m 700 %s && cp %s.pub %s/", tdir, prefix,
           tdir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(wk_trusted_load(tdir, NULL, NULL, t, &err), 0, "%s", err.msg);
  cr_assert_eq(t->n, 1);
}

static wk_native_claim claim(void) {
  wk_native_claim c;
  memset(&c, 0, sizeof c);
  for (int i = 0; i < 32; i++) {
    c.artifact_sha256[i] = (uint8_t)i;
    c.module_sha256[i] = (uint8_t)(100 + i);
    c.key.b[i] = (uint8_t)(200 + i);
  }
  c.target = "x86_64-unknown-linux-gnu";
  c.format_version = 1;
  return c;
}

static void expect_bad(const wk_trusted *t, const wk_signature *sig,
                       const wk_native_claim *c, const char *field) {
  wa_err why;
  wa_err_init(&why);
  cr_assert_eq(wk_native_check(t, sig, c, &why), WA_EUNTRUSTED,
               "changing %s still verifies", field);
  cr_assert(strstr(why.msg, "bad signature"), "%s: %s", field, why.msg);
}

Test(native, signature_covers_every_field_of_the_claim) {
  wk_signer s;
  wk_trusted t;
  make_key("k", &s, &t);
  wk_native_claim c = claim();
  wk_signature sig;
  cr_assert_eq(wk_sign_native(&s, &c, &sig, &err), 0, "%s", err.msg);
  wa_err why;
  wa_err_init(&why);
  cr_assert_eq(wk_native_check(&t, &sig, &c, &why), 0, "%s", why.msg);

  wk_native_claim d = c;
  d.artifact_sha256[31] ^= 1;
  expect_bad(&t, &sig, &d, "the artifact digest");
  d = c;
  d.module_sha256[0] ^= 1;
  expect_bad(&t, &sig, &d, "the module digest");
  d = c;
  d.key.b[7] ^= 1;
  expect_bad(&t, &sig, &d, "the configuration key");
  d = c;
  d.format_version = 2;
  expect_bad(&t, &sig, &d, "the format version");
  d = c;
  d.target = "aarch64-unknown-linux-gnu";
  expect_bad(&t, &sig, &d, "the target");
  d = c;
  d.target = "x86_64-unknown-linux-gn"; /* a prefix: the NUL is signed */
  expect_bad(&t, &sig, &d, "the target's length");
  wk_signature bad = sig;
  bad.sig[5] ^= 1;
  expect_bad(&t, &bad, &c, "the signature bytes");
  wk_trusted_free(&t);
  wk_signer_wipe(&s);
}

Test(native, untrusted_key_and_cache_signatures_do_not_verify) {
  wk_signer s, other;
  wk_trusted t;
  make_key("k", &s, &t);
  make_key("other", &other, NULL);
  wk_native_claim c = claim();
  wk_signature sig;
  cr_assert_eq(wk_sign_native(&other, &c, &sig, &err), 0, "%s", err.msg);
  cr_assert_not(wk_trusted_has(&t, sig.key_id));
  wa_err why;
  wa_err_init(&why);
  cr_assert_eq(wk_native_check(&t, &sig, &c, &why), WA_EUNTRUSTED);
  cr_assert(strstr(why.msg, "not trusted"), "%s", why.msg);
  /* A cache-archive signature by the trusted key over the same key, module
   * and bytes: another context, so not a native artifact signature. */
  cr_assert_eq(
      wk_sign(&s, &c.key, c.module_sha256, c.artifact_sha256, &sig, &err), 0,
      "%s", err.msg);
  cr_assert(wk_trusted_has(&t, sig.key_id));
  expect_bad(&t, &sig, &c, "the signature's context");
  wk_trusted_free(&t);
  wk_signer_wipe(&s);
  wk_signer_wipe(&other);
}

static const uint8_t art_a[] = "artifact bytes for target A, any content";
static const uint8_t art_b[] = "artifact bytes for target B";

static wo_native_item item(const uint8_t *bytes, size_t len, char keych,
                           const char *target, const wo_native_sig *sig) {
  wo_native_item it;
  uint8_t sha[32];
  memset(&it, 0, sizeof it);
  snprintf(it.meta.target, sizeof it.meta.target, "%s", target);
  snprintf(it.meta.module_digest, sizeof it.meta.module_digest, "sha256:%064d",
           7);
  it.meta.format_version = 1;
  memset(it.meta.config_key, keych, 64);
  wa_sha256_once(bytes, len, sha);
  wo_digest_format(sha, it.meta.artifact_digest);
  it.artifact = bytes;
  it.len = len;
  it.sig = sig;
  return it;
}

/* A referrer of a made-up subject with two artifacts, the first signed. */
static void write_referrer(wo_layout **l, wo_desc *subject, wo_desc *ref,
                           wo_native_sig *sig) {
  char ldir[300];
  snprintf(ldir, sizeof ldir, "%s/layout", dir);
  cr_assert_eq(wo_layout_create(ldir, l, &err), 0, "%s", err.msg);
  static const char man[] = "{\"schemaVersion\":2}";
  cr_assert_eq(wo_layout_put_blob(*l, man, strlen(man),
                                  "application/vnd.oci.image.manifest.v1+json",
                                  subject, &err),
               0, "%s", err.msg);
  memset(sig, 0x5a, sizeof *sig);
  wo_native_item items[2] = {
      item(art_a, sizeof art_a, 'a', "x86_64-unknown-linux-gnu", sig),
      item(art_b, sizeof art_b, 'b', "aarch64-unknown-linux-gnu", NULL)};
  cr_assert_eq(wo_native_put_referrer(*l, subject, items, 2, ref, &err), 0,
               "%s", err.msg);
  cr_assert_str_eq(ref->artifact_type, WO_NATIVE_ARTIFACT_TYPE);
}

Test(native, referrer_reads_back) {
  wo_layout *l;
  wo_desc subject, ref;
  wo_native_sig sig, got;
  write_referrer(&l, &subject, &ref, &sig);
  wo_native_src *src;
  cr_assert_eq(wo_native_src_open_layout(wo_layout_dir(l), &src, &err), 0, "%s",
               err.msg);
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_native_set set;
  memset(&set, 0, sizeof set);
  cr_assert_eq(
      wo_native_find_referrer(src, &ref, subject.digest, &a, &set, &err), 0,
      "%s", err.msg);
  cr_assert_eq(set.n, 2);
  cr_assert_str_eq(set.v[0].meta.target, "x86_64-unknown-linux-gnu");
  cr_assert_eq(set.v[0].meta.config_key[0], 'a');
  cr_assert_eq(set.v[0].meta.format_version, 1);
  cr_assert(set.v[0].has_sig);
  cr_assert_not(set.v[1].has_sig, "the signature paired with the wrong key");
  cr_assert_eq(wo_native_read_sig(src, &set.v[0], &got, &err), 0, "%s",
               err.msg);
  cr_assert_eq(memcmp(&got, &sig, sizeof sig), 0);
  wa_err_init(&err);
  cr_assert_eq(wo_native_read_sig(src, &set.v[1], &got, &err), WA_ENOTFOUND);
  uint8_t *bytes;
  size_t n;
  wa_err_init(&err);
  cr_assert_eq(wo_native_read_artifact(src, &set.v[1], &bytes, &n, &err), 0,
               "%s", err.msg);
  cr_assert_eq(n, sizeof art_b);
  cr_assert_eq(memcmp(bytes, art_b, n), 0);
  wa_free(bytes);
  /* Another image's referrer adds nothing. */
  wo_native_set none;
  memset(&none, 0, sizeof none);
  cr_assert_eq(wo_native_find_referrer(src, &ref,
                                       "sha256:"
                                       "0000000000000000"
                                       "000000000000000000000000000000000000"
                                       "000000000000",
                                       &a, &none, &err),
               0, "%s", err.msg);
  cr_assert_eq(none.n, 0);
  wo_native_src_close(src);
  wo_layout_free(l);
  wa_arena_free(&a);
}

Test(native, malformed_annotations_are_refused) {
  static const char *bad[] = {
      /* config key not hex */
      "\"dev.wasmaot.native.config-key\":\"xyz\"",
      /* format not a number */
      "\"dev.wasmaot.native.format-version\":\"1a\"",
      /* module digest not a digest */
      "\"dev.wasmaot.native.module-digest\":\"md5:00\"",
  };
  static const char subj[] = "sha256:"
                             "1111111111111111111111111111111111111111111111111"
                             "111111111111111";
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char json[4096];
    snprintf(
        json, sizeof json,
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image."
        "manifest.v1+json\",\"artifactType\":\"%s\",\"config\":{\"mediaType\":"
        "\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":2},"
        "\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+"
        "json\",\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"%"
        "s\","
        "\"digest\":\"%s\",\"size\":5,\"annotations\":{"
        "\"dev.wasmaot.native.target\":\"x86_64-unknown-linux-gnu\","
        "\"dev.wasmaot.native.artifact-digest\":\"%s\",%s%s%s}}]}",
        WO_NATIVE_ARTIFACT_TYPE, subj, subj, WO_NATIVE_MT_ARTIFACT, subj, subj,
        bad[i],
        i == 0   ? ",\"dev.wasmaot.native.format-version\":\"1\","
                   "\"dev.wasmaot.native.module-digest\":\"sha256:"
                   "1111111111111111111111111111111111111111111111111111111111111"
                   "111\""
        : i == 1 ? ",\"dev.wasmaot.native.config-key\":\"aaaaaaaaaaaaaaaaaaaa"
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                   "\"dev.wasmaot.native.module-digest\":\"sha256:"
                   "11111111111111111111111111111111111111111111111111111111"
                   "11111111\""
                 : ",\"dev.wasmaot.native.config-key\":\"aaaaaaaaaaaaaaaaaaaa"
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                   "\"dev.wasmaot.native.format-version\":\"1\"",
        "");
    wa_arena a;
    wa_arena_init(&a, 0);
    wo_native_set set;
    memset(&set, 0, sizeof set);
    wa_err_init(&err);
    int rc = wo_native_parse((const uint8_t *)json, strlen(json), subj, "test",
                             &a, &set, &err);
    cr_assert_neq(rc, 0, "case %zu accepted: %s", i, json);
    /* refused for the annotation, not for broken JSON */
    cr_assert(strstr(err.msg, "layers[0]"), "case %zu: %s", i, err.msg);
    cr_assert_eq(set.n, 0);
    wa_arena_free(&a);
  }
}
