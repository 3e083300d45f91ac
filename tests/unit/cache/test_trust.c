/*
 * test_trust.c: cache/trust.c and signed export/import — a signature
 * verifies only for the exact bytes, key and module it was made for, only
 * against a trusted key, and an unsafe trusted-keys file is not trusted.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

TestSuite(cache_trust, .init = fk_setup, .fini = fk_teardown);

static wa_err err;

static void path_in(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", fk_dir, name);
}

/* A key pair PREFIX in fk_dir, its signer, and a trust directory holding
 * nothing (an untrusted signer) or its .pub file. */
static void make_key(const char *name, wk_signer *s) {
  char prefix[256], key[300];
  path_in(prefix, sizeof prefix, name);
  wa_err_init(&err);
  cr_assert_eq(wk_keypair_generate(prefix, NULL, &err), 0, "%s", err.msg);
  snprintf(key, sizeof key, "%s.key", prefix);
  struct stat st;
  cr_assert_eq(stat(key, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600);
  cr_assert_eq(wk_signer_read(key, s, &err), 0, "%s", err.msg);
}

static void trust_dir(const char *dir, const char *key_name, wk_trusted *t) {
  char d[256], cmd[1024];
  path_in(d, sizeof d, dir);
  snprintf(cmd, sizeof cmd, "mkdir -p %s && chmod 700 %s", d, d);
  cr_assert_eq(system(cmd), 0);
  if (key_name) {
    snprintf(cmd, sizeof cmd, "cp %s/%s.pub %s/ && chmod 644 %s/%s.pub", fk_dir,
             key_name, d, d, key_name);
    cr_assert_eq(system(cmd), 0);
  }
  wa_err_init(&err);
  cr_assert_eq(wk_trusted_load(d, NULL, NULL, t, &err), 0, "%s", err.msg);
}

typedef struct fixture {
  wk_key key;
  uint8_t module[32], art[32];
} fixture;

static fixture fix(int seed) {
  fixture f;
  wk_config cfg = fk_config();
  fk_digest(seed, f.module);
  wa_err_init(&err);
  cr_assert_eq(wk_key_compute(f.module, &cfg, &f.key, &err), 0);
  wa_sha256_once(&seed, sizeof seed, f.art);
  return f;
}

Test(cache_trust, sign_verify_round_trip) {
  wk_signer s;
  wk_trusted t;
  wk_signature sig;
  make_key("a", &s);
  trust_dir("tk", "a", &t);
  cr_assert_eq(t.n, 1);
  fixture f = fix(1);
  cr_assert_eq(wk_sign(&s, &f.key, f.module, f.art, &sig, &err), 0, "%s",
               err.msg);
  cr_assert_eq(memcmp(sig.key_id, s.pub.id, 32), 0);
  cr_assert_eq(wk_signature_check(&t, &sig, &f.key, f.module, f.art, &err), 0,
               "%s", err.msg);
  /* The .pub file reads back as the signer's key. */
  char pub[256];
  wk_pubkey k;
  path_in(pub, sizeof pub, "a.pub");
  cr_assert_eq(wk_pubkey_read(pub, &k, &err), 0, "%s", err.msg);
  cr_assert_eq(memcmp(k.id, s.pub.id, 32), 0);
  wk_trusted_free(&t);
}

Test(cache_trust, tampered_artifact_fails) {
  wk_signer s;
  wk_trusted t;
  wk_signature sig;
  make_key("a", &s);
  trust_dir("tk", "a", &t);
  fixture f = fix(1);
  cr_assert_eq(wk_sign(&s, &f.key, f.module, f.art, &sig, &err), 0);
  f.art[5] ^= 1;
  cr_assert_eq(wk_signature_check(&t, &sig, &f.key, f.module, f.art, &err),
               WA_EUNTRUSTED);
  cr_assert(strstr(err.msg, "bad signature"), "%s", err.msg);
  f.art[5] ^= 1;
  sig.sig[0] ^= 1;
  wa_err_init(&err);
  cr_assert_eq(wk_signature_check(&t, &sig, &f.key, f.module, f.art, &err),
               WA_EUNTRUSTED);
  wk_trusted_free(&t);
}

Test(cache_trust, untrusted_key_fails) {
  wk_signer s, other;
  wk_trusted t;
  wk_signature sig;
  make_key("a", &s);
  make_key("b", &other);
  trust_dir("tk", "b", &t);
  fixture f = fix(1);
  cr_assert_eq(wk_sign(&s, &f.key, f.module, f.art, &sig, &err), 0);
  cr_assert_eq(wk_signature_check(&t, &sig, &f.key, f.module, f.art, &err),
               WA_EUNTRUSTED);
  cr_assert(strstr(err.msg, "not trusted"), "%s", err.msg);
  /* Claiming the trusted key's id does not help. */
  memcpy(sig.key_id, other.pub.id, 32);
  wa_err_init(&err);
  cr_assert_eq(wk_signature_check(&t, &sig, &f.key, f.module, f.art, &err),
               WA_EUNTRUSTED);
  cr_assert(strstr(err.msg, "bad signature"), "%s", err.msg);
  wk_trusted_free(&t);
}

Test(cache_trust, signature_for_another_key_fails) {
  wk_signer s;
  wk_trusted t;
  wk_signature sig;
  make_key("a", &s);
  trust_dir("tk", "a", &t);
  fixture f = fix(1), g = fix(2);
  cr_assert_eq(wk_sign(&s, &f.key, f.module, f.art, &sig, &err), 0);
  /* Same bytes and module, filed under another key. */
  cr_assert_eq(wk_signature_check(&t, &sig, &g.key, f.module, f.art, &err),
               WA_EUNTRUSTED);
  /* Same key, another module digest. */
  wa_err_init(&err);
  cr_assert_eq(wk_signature_check(&t, &sig, &f.key, g.module, f.art, &err),
               WA_EUNTRUSTED);
  wk_trusted_free(&t);
}

static int n_warn;
static void count_warn(void *ud, const char *msg) {
  (void)ud;
  cr_assert(strstr(msg, "world-writable"), "%s", msg);
  n_warn++;
}

Test(cache_trust, world_writable_key_file_is_ignored) {
  wk_signer s;
  wk_trusted t;
  make_key("a", &s);
  trust_dir("tk", "a", &t);
  cr_assert_eq(t.n, 1);
  wk_trusted_free(&t);
  char pub[256];
  path_in(pub, sizeof pub, "tk/a.pub");
  cr_assert_eq(chmod(pub, 0666), 0);
  char d[256];
  path_in(d, sizeof d, "tk");
  n_warn = 0;
  cr_assert_eq(wk_trusted_load(d, count_warn, NULL, &t, &err), 0);
  cr_assert_eq(t.n, 0);
  cr_assert_eq(n_warn, 1);
  wk_trusted_free(&t);
}

Test(cache_trust, missing_trust_dir_is_empty) {
  wk_trusted t;
  char d[256];
  path_in(d, sizeof d, "none");
  wa_err_init(&err);
  cr_assert_eq(wk_trusted_load(d, NULL, NULL, &t, &err), 0);
  cr_assert_eq(t.n, 0);
}

/* Signed export, imported without --trust into an empty cache. */
Test(cache_trust, signed_export_imports_without_trust) {
  wk_signer s;
  wk_trusted t, none;
  make_key("a", &s);
  trust_dir("tk", "a", &t);
  trust_dir("empty", NULL, &none);
  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 3);
  wk_entry *e;
  wa_err_init(&err);
  cr_assert_eq(wk_get(c, f.digest, &f.cfg, fk_fill_fn, &f, &e, NULL, &err), 0,
               "%s", err.msg);
  wk_entry_release(e);
  char ar[256], other[256];
  path_in(ar, sizeof ar, "x.tar.zst");
  wk_xfer_report rep;
  cr_assert_eq(wk_export_signed(c, ar, &s, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_entries, 1);

  wk_options o = {.read_meta = fk_read_meta};
  wk_cache *d = NULL;
  path_in(other, sizeof other, "other");
  cr_assert_eq(wk_open(other, &o, &d, &err), 0, "%s", err.msg);
  /* Not trusted: refused, nothing imported. */
  cr_assert_eq(wk_import_signed(d, ar, false, &none, NULL, NULL, &rep, &err),
               WA_EUNTRUSTED);
  cr_assert_eq(rep.n_entries, 0);
  cr_assert_eq(rep.n_refused, 1);
  cr_assert(strstr(err.msg, "not trusted"), "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(wk_import_signed(d, ar, false, &t, NULL, NULL, &rep, &err), 0,
               "%s", err.msg);
  cr_assert_eq(rep.n_entries, 1);
  wk_close(d);
  /* An unsigned archive without --trust reads nothing. */
  cr_assert_eq(wk_export(c, ar, &rep, &err), 0);
  path_in(other, sizeof other, "third");
  cr_assert_eq(wk_open(other, &o, &d, &err), 0, "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(wk_import_signed(d, ar, false, &t, NULL, NULL, &rep, &err),
               WA_EUNTRUSTED);
  cr_assert(strstr(err.msg, "not signed"), "%s", err.msg);
  cr_assert_eq(rep.n_entries, 0);
  wk_close(d);
  wk_close(c);
  wk_trusted_free(&t);
}
