/* test_key.c: cache/key.c — key derivation and its canonical form. */
#include "fake.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

TestSuite(cache_key);

static wk_key key_of(const uint8_t digest[32], const wk_config *cfg) {
  wk_key k;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wk_key_compute(digest, cfg, &k, &e), 0, "%s", e.msg);
  return k;
}

/* One row per configuration field, generated from the same table the
 * serializer uses, so a new field is covered the day it is added. */
typedef struct field_case {
  int tag;
  char name[32];
} field_case;

static void mutate(wk_config *c, int tag) {
  switch (tag) {
#define MUT_STR(f) c->f = "changed"
#define MUT_FEATURES(f) c->f = "+popcnt,+sse4.2,+avx2"
#define MUT_U32(f) c->f += 1
#define MUT_U8(f) c->f ^= 1
#define X(t, name, kind)                                                       \
  case t:                                                                      \
    MUT_##kind(name);                                                          \
    break;
    WK_CONFIG_FIELDS(X)
#undef X
  default:
    cr_assert_fail("no field with tag %d", tag);
  }
}

ParameterizedTestParameters(cache_key, every_field_changes_the_key) {
  static field_case cases[] = {
#define X(t, name, kind) {t, #name},
      WK_CONFIG_FIELDS(X)
#undef X
  };
  return cr_make_param_array(field_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(field_case *fc, cache_key, every_field_changes_the_key) {
  uint8_t d[32];
  fk_digest(1, d);
  wk_config base = fk_config(), changed = fk_config();
  mutate(&changed, fc->tag);
  wk_key a = key_of(d, &base), b = key_of(d, &changed);
  cr_assert_neq(memcmp(a.b, b.b, 32), 0, "changing %s kept the key", fc->name);
  char diff[256];
  wk__config_diff(&changed, &base, diff, sizeof diff);
  cr_assert(strncmp(diff, fc->name, strlen(fc->name)) == 0,
            "diff names '%s', not %s", diff, fc->name);
}

Test(cache_key, the_module_digest_changes_the_key) {
  uint8_t d1[32], d2[32];
  fk_digest(1, d1);
  fk_digest(2, d2);
  wk_config c = fk_config();
  wk_key a = key_of(d1, &c), b = key_of(d2, &c);
  cr_assert_neq(memcmp(a.b, b.b, 32), 0);
}

Test(cache_key, equal_inputs_give_equal_keys) {
  uint8_t d[32];
  fk_digest(7, d);
  wk_config a = fk_config(), b = fk_config();
  char triple[] = "x86_64-unknown-linux-gnu"; /* another pointer */
  b.triple = triple;
  wk_key ka = key_of(d, &a), kb = key_of(d, &b);
  cr_assert_eq(memcmp(ka.b, kb.b, 32), 0);
}

/* Pins the byte layout documented in docs/cache.md: built here by hand. */
Test(cache_key, serialization_matches_the_documented_layout) {
  wk_config c = fk_config();
  c.features = "+sse4.2,+popcnt";
  c.cpu = "skylake";
  c.bounds = 1;
  c.opt_level = 3;
  uint8_t want[256];
  size_t n = 0;
  memcpy(want, "wasmaot-cache-key", 17);
  n = 17;
  const uint8_t schema[4] = {1, 0, 0, 0};
  memcpy(want + n, schema, 4);
  n += 4;
#define STR(tag, s)                                                            \
  want[n++] = tag;                                                             \
  want[n++] = (uint8_t)strlen(s);                                              \
  want[n++] = 0;                                                               \
  want[n++] = 0;                                                               \
  want[n++] = 0;                                                               \
  memcpy(want + n, s, strlen(s));                                              \
  n += strlen(s);
  STR(1, "0.1.0");
  uint8_t fmt[] = {2, 4, 0, 0, 0, WR_FORMAT_VERSION, 0, 0, 0,
                   3, 4, 0, 0, 0, WR_ABI_VERSION,    0, 0, 0};
  memcpy(want + n, fmt, sizeof fmt);
  n += sizeof fmt;
  STR(4, "x86_64-unknown-linux-gnu");
  STR(5, "skylake");
  STR(6, "+popcnt,+sse4.2"); /* sorted */
  uint8_t tail[] = {7, 1, 0, 0, 0, 1, 8, 1, 0, 0, 0, 3};
  memcpy(want + n, tail, sizeof tail);
  n += sizeof tail;
#undef STR
  wa_buf got;
  wa_buf_init(&got);
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wk_config_serialize(&c, &got, &e), 0, "%s", e.msg);
  cr_assert_eq(got.len, n);
  cr_assert_eq(memcmp(got.data, want, n), 0);

  uint8_t d[32], manual[32];
  fk_digest(3, d);
  wa_sha256 s;
  wa_sha256_init(&s);
  wa_sha256_update(&s, d, 32);
  wa_sha256_update(&s, want, n);
  wa_sha256_final(&s, manual);
  wk_key k = key_of(d, &c);
  cr_assert_eq(memcmp(k.b, manual, 32), 0);
  wa_buf_free(&got);
}

static bool same_key_features(const char *a, const char *b) {
  uint8_t d[32];
  fk_digest(1, d);
  wk_config ca = fk_config(), cb = fk_config();
  ca.features = a;
  cb.features = b;
  wk_key ka = key_of(d, &ca), kb = key_of(d, &cb);
  return memcmp(ka.b, kb.b, 32) == 0;
}

Test(cache_key, feature_order_spacing_and_implicit_plus_do_not_matter) {
  cr_assert(same_key_features("+popcnt,+sse4.2", " +sse4.2 , popcnt"));
  cr_assert(same_key_features("+a,,+b,", "+b,+a"));
  cr_assert(same_key_features(NULL, ""));
}

Test(cache_key, the_last_occurrence_of_a_feature_wins) {
  cr_assert(same_key_features("+avx,-avx", "-avx"));
  cr_assert(!same_key_features("+avx,-avx", "+avx"));
  cr_assert(!same_key_features("+avx", "-avx"));
}

Test(cache_key, unresolved_or_empty_configurations_are_refused) {
  uint8_t d[32];
  fk_digest(1, d);
  wk_key k;
  wa_err e;
  wk_config c = fk_config();
  c.cpu = "native";
  wa_err_init(&e);
  cr_assert_eq(wk_key_compute(d, &c, &k, &e), WA_EUSAGE);
  cr_assert(strstr(e.msg, "native"), "%s", e.msg);
  c = fk_config();
  c.triple = "";
  wa_err_init(&e);
  cr_assert_eq(wk_key_compute(d, &c, &k, &e), WA_EUSAGE);
  c = fk_config();
  c.compiler_version = NULL;
  wa_err_init(&e);
  cr_assert_eq(wk_key_compute(d, &c, &k, &e), WA_EUSAGE);
  c = fk_config();
  c.features = "+";
  wa_err_init(&e);
  cr_assert_eq(wk_key_compute(d, &c, &k, &e), WA_EUSAGE);
}

Test(cache_key, metadata_configuration_gives_the_same_key) {
  uint8_t d[32];
  fk_digest(5, d);
  wk_config c = fk_config();
  wa_buf art;
  wa_buf_init(&art);
  fk_artifact(d, &c, 10, &art);
  wa_arena a;
  wa_arena_init(&a, 0);
  wr_meta m;
  wk_config back;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(fk_read_meta(art.data, art.len, "x", &a, &m, &e), 0, "%s",
               e.msg);
  cr_assert_eq(wk_config_from_meta(&m, &a, &back, &e), 0, "%s", e.msg);
  wk_key k1 = key_of(d, &c), k2 = key_of(m.module_sha256, &back);
  cr_assert_eq(memcmp(k1.b, k2.b, 32), 0);
  m.triple = (wr_name){"x86\0_64", 7};
  cr_assert_eq(wk_config_from_meta(&m, &a, &back, &e), WA_ECORRUPT);
  wa_arena_free(&a);
  wa_buf_free(&art);
}

Test(cache_key, hex_round_trip_and_bad_hex_refused) {
  uint8_t d[32];
  fk_digest(9, d);
  wk_config c = fk_config();
  wk_key k = key_of(d, &c), back;
  char hex[65];
  wk_key_hex(&k, hex);
  cr_assert_eq(wk_key_parse(hex, &back), 0);
  cr_assert_eq(memcmp(k.b, back.b, 32), 0);
  hex[3] = 'A';
  cr_assert_eq(wk_key_parse(hex, &back), -1);
  cr_assert_eq(wk_key_parse("abc", &back), -1);
}
