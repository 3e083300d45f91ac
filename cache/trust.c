/*
 * trust.c: Ed25519 signatures over cache artifacts (docs/cache.md, "Signing
 * and trust"). Native code from elsewhere runs only when a key the operator
 * trusts signed it, so this is the one place that decides "trusted".
 * libcrypto is dlopen()ed on first use, like libarchive in lazy.c: a cached
 * `wasmaot run` never verifies anything and must not pay for loading it.
 * Key files are PEM (PKCS#8 / SubjectPublicKeyInfo, readable by `openssl
 * pkey`), encoded here so `wasmaot key id` needs no libcrypto either.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef WK_CRYPTO_SONAME
#define WK_CRYPTO_SONAME "libcrypto.so.3"
#endif

/* The message signed: a context no other wasmaot signature uses, then what
 * the entry is filed under, so a signature cannot be moved to another key
 * or module. */
#define SIG_CONTEXT "wasmaot cache artifact signature v1"

/* DER prefixes of an Ed25519 PKCS#8 private key and SubjectPublicKeyInfo;
 * the 32 key bytes follow. */
static const uint8_t der_priv[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30,
                                     0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
                                     0x04, 0x22, 0x04, 0x20};
static const uint8_t der_pub[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                    0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

/* ------------------------------------------------------------ libcrypto */

#define WK_CRYPTO_FUNCS(X)                                                     \
  X(RAND_bytes)                                                                \
  X(EVP_PKEY_new_raw_private_key)                                              \
  X(EVP_PKEY_new_raw_public_key)                                               \
  X(EVP_PKEY_get_raw_public_key)                                               \
  X(EVP_PKEY_free)                                                             \
  X(EVP_MD_CTX_new)                                                            \
  X(EVP_MD_CTX_free)                                                           \
  X(EVP_DigestSignInit)                                                        \
  X(EVP_DigestSign)                                                            \
  X(EVP_DigestVerifyInit)                                                      \
  X(EVP_DigestVerify)

static struct {
#define WK__X(name) __typeof__(name) *name;
  WK_CRYPTO_FUNCS(WK__X)
#undef WK__X
  bool ok;
  char why[256];
} cr;
static pthread_once_t cr_once = PTHREAD_ONCE_INIT;

static void cr_load(void) {
  void *h = wa_dl_open(WK_CRYPTO_SONAME);
  if (!h) {
    const char *why = wa_dl_error();
    snprintf(cr.why, sizeof cr.why, "%s",
             why ? why : "not available to this program");
    return;
  }
#define WK__X(name)                                                            \
  if (!(*(void **)&cr.name = wa_dl_sym(h, #name))) {                           \
    snprintf(cr.why, sizeof cr.why, "%s lacks %s", WK_CRYPTO_SONAME, #name);   \
    return;                                                                    \
  }
  WK_CRYPTO_FUNCS(WK__X)
#undef WK__X
  cr.ok = true;
}

static int crypto(wa_err *err) {
  pthread_once(&cr_once, cr_load);
  if (!cr.ok)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF,
                   "cannot load " WK_CRYPTO_SONAME " (needed for signatures): "
                   "%s",
                   cr.why);
  return 0;
}

/* --------------------------------------------------------------- base64 */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const uint8_t *in, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
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
  out[o] = 0;
}

/* Decodes exactly n bytes from s (whitespace skipped); -1 otherwise. */
static int b64_decode(const char *s, uint8_t *out, size_t n) {
  uint32_t v = 0;
  size_t bits = 0, o = 0, pad = 0;
  for (; *s; s++) {
    if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
      continue;
    if (*s == '=') {
      pad++;
      continue;
    }
    const char *p = strchr(b64, *s);
    if (!p || pad)
      return -1;
    v = v << 6 | (uint32_t)(p - b64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o == n)
        return -1;
      out[o++] = (uint8_t)(v >> bits);
    }
  }
  return o == n && pad <= 2 ? 0 : -1;
}

/* ------------------------------------------------------------ key files */

static int read_small(const char *path, char *buf, size_t n, struct stat *st,
                      wa_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                         "cannot open %s", path);
  ssize_t r = -1;
  if (fstat(fd, st) == 0)
    r = read(fd, buf, n - 1);
  int e = errno;
  close(fd);
  if (r < 0) {
    errno = e;
    return wa_fail_errno(err, WA_EIO, "cannot read %s", path);
  }
  buf[r] = 0;
  return 0;
}

/* The base64 body of a PEM block labelled 'label', decoded to 'der'. */
static int pem_decode(const char *text, const char *label, uint8_t *der,
                      size_t n, const char *path, wa_err *err) {
  char begin[64], end[64], body[256];
  snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
  snprintf(end, sizeof end, "-----END %s-----", label);
  const char *b = strstr(text, begin), *e = b ? strstr(b, end) : NULL;
  if (!b || !e || (size_t)(e - b) - strlen(begin) >= sizeof body)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: not a PEM %s", path,
                   label);
  b += strlen(begin);
  memcpy(body, b, (size_t)(e - b));
  body[e - b] = 0;
  if (b64_decode(body, der, n) != 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: not an Ed25519 %s (wrong length or encoding)", path,
                   label);
  return 0;
}

static void pem_encode(const char *label, const uint8_t *prefix, size_t pn,
                       const uint8_t key[32], char *out, size_t n) {
  uint8_t der[64];
  char body[96];
  memcpy(der, prefix, pn);
  memcpy(der + pn, key, 32);
  b64_encode(der, pn + 32, body);
  snprintf(out, n, "-----BEGIN %s-----\n%s\n-----END %s-----\n", label, body,
           label);
}

void wk_pubkey_id_hex(const wk_pubkey *k, char out[65]) {
  wa_hex(k->id, 32, out);
}

static void set_id(wk_pubkey *k) {
  wa_sha256_once(k->raw, 32, k->id);
}

int wk_pubkey_parse(const char *text, const char *what, wk_pubkey *out,
                    wa_err *err) {
  uint8_t der[44];
  int rc = pem_decode(text, "PUBLIC KEY", der, sizeof der, what, err);
  if (rc)
    return rc;
  if (memcmp(der, der_pub, sizeof der_pub) != 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: not an Ed25519 public key", what);
  memcpy(out->raw, der + sizeof der_pub, 32);
  set_id(out);
  return 0;
}

int wk_pubkey_read(const char *path, wk_pubkey *out, wa_err *err) {
  char text[1024];
  struct stat st;
  int rc = read_small(path, text, sizeof text, &st, err);
  return rc ? rc : wk_pubkey_parse(text, path, out, err);
}

int wk_signer_read(const char *path, wk_signer *out, wa_err *err) {
  char text[1024];
  uint8_t der[48];
  struct stat st;
  int rc = read_small(path, text, sizeof text, &st, err);
  if (!rc)
    rc = pem_decode(text, "PRIVATE KEY", der, sizeof der, path, err);
  memset(text, 0, sizeof text);
  if (rc)
    goto out;
  if (memcmp(der, der_priv, sizeof der_priv) != 0) {
    rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: not an Ed25519 private key",
                 path);
    goto out;
  }
  memcpy(out->seed, der + sizeof der_priv, 32);
  if ((rc = crypto(err)))
    goto out;
  EVP_PKEY *pk =
      cr.EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, out->seed, 32);
  size_t len = 32;
  if (!pk || cr.EVP_PKEY_get_raw_public_key(pk, out->pub.raw, &len) != 1 ||
      len != 32)
    rc =
        wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: unusable Ed25519 key", path);
  cr.EVP_PKEY_free(pk);
  set_id(&out->pub);
out:
  memset(der, 0, sizeof der);
  if (rc)
    wk_signer_wipe(out);
  return rc;
}

void wk_signer_wipe(wk_signer *s) {
  volatile uint8_t *p = (volatile uint8_t *)s;
  for (size_t i = 0; i < sizeof *s; i++)
    p[i] = 0;
}

int wk_keypair_generate(const char *prefix, wk_pubkey *out, wa_err *err) {
  char kpath[PATH_MAX], ppath[PATH_MAX], text[256];
  wk_signer s;
  int rc;
  if (snprintf(kpath, sizeof kpath, "%s.key", prefix) >= (int)sizeof kpath ||
      snprintf(ppath, sizeof ppath, "%s.pub", prefix) >= (int)sizeof ppath)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "path too long: %s", prefix);
  if (access(kpath, F_OK) == 0)
    return wa_fail(err, WA_EEXISTS, WA_NOOFF,
                   "%s exists; not overwriting a private key", kpath);
  if ((rc = crypto(err)))
    return rc;
  if (cr.RAND_bytes(s.seed, 32) != 1)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "no random bytes");
  EVP_PKEY *pk =
      cr.EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s.seed, 32);
  size_t len = 32;
  if (!pk || cr.EVP_PKEY_get_raw_public_key(pk, s.pub.raw, &len) != 1) {
    cr.EVP_PKEY_free(pk);
    wk_signer_wipe(&s);
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "Ed25519 key generation");
  }
  cr.EVP_PKEY_free(pk);
  set_id(&s.pub);
  pem_encode("PRIVATE KEY", der_priv, sizeof der_priv, s.seed, text,
             sizeof text);
  rc = wa_file_publish(kpath, text, strlen(text), 0600, err);
  memset(text, 0, sizeof text);
  if (!rc) {
    pem_encode("PUBLIC KEY", der_pub, sizeof der_pub, s.pub.raw, text,
               sizeof text);
    rc = wa_file_publish(ppath, text, strlen(text), 0644, err);
  }
  if (!rc && out)
    *out = s.pub;
  wk_signer_wipe(&s);
  return rc;
}

/* ---------------------------------------------------- sign and verify */

static void message(const wk_key *key, const uint8_t module_sha256[32],
                    const uint8_t artifact_sha256[32],
                    uint8_t out[sizeof SIG_CONTEXT + 96]) {
  memcpy(out, SIG_CONTEXT, sizeof SIG_CONTEXT); /* with its NUL */
  memcpy(out + sizeof SIG_CONTEXT, key->b, 32);
  memcpy(out + sizeof SIG_CONTEXT + 32, module_sha256, 32);
  memcpy(out + sizeof SIG_CONTEXT + 64, artifact_sha256, 32);
}

/* Ed25519 over msg with s's key; the key id goes with the signature. */
static int sign_message(const wk_signer *s, const uint8_t *msg, size_t n,
                        wk_signature *out, wa_err *err) {
  int rc = crypto(err);
  if (rc)
    return rc;
  EVP_PKEY *pk =
      cr.EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s->seed, 32);
  EVP_MD_CTX *ctx = cr.EVP_MD_CTX_new();
  size_t len = sizeof out->sig;
  if (!pk || !ctx || cr.EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk) != 1 ||
      cr.EVP_DigestSign(ctx, out->sig, &len, msg, n) != 1 ||
      len != sizeof out->sig)
    rc = wa_fail(err, WA_EINTERNAL, WA_NOOFF, "Ed25519 signing failed");
  memcpy(out->key_id, s->pub.id, 32);
  cr.EVP_MD_CTX_free(ctx);
  cr.EVP_PKEY_free(pk);
  return rc;
}

/* 0 if a key in t made sig over msg; else WA_EUNTRUSTED with "not trusted"
 * or "bad signature (...): <differs> differ from what was signed". */
static int verify_message(const wk_trusted *t, const wk_signature *sig,
                          const uint8_t *msg, size_t n, const char *differs,
                          wa_err *why) {
  char id[65];
  const wk_pubkey *k = NULL;
  wa_hex(sig->key_id, 32, id);
  for (size_t i = 0; t && i < t->n; i++)
    if (memcmp(t->v[i].id, sig->key_id, 32) == 0)
      k = &t->v[i];
  if (!k)
    return wa_fail(why, WA_EUNTRUSTED, WA_NOOFF,
                   "signed by key %.16s..., which is not trusted", id);
  int rc = crypto(why);
  if (rc)
    return rc;
  EVP_PKEY *pk =
      cr.EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k->raw, 32);
  EVP_MD_CTX *ctx = cr.EVP_MD_CTX_new();
  if (!pk || !ctx)
    rc = wa_fail(why, WA_ENOMEM, WA_NOOFF, "out of memory");
  else if (cr.EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) != 1 ||
           cr.EVP_DigestVerify(ctx, sig->sig, sizeof sig->sig, msg, n) != 1)
    rc = wa_fail(why, WA_EUNTRUSTED, WA_NOOFF,
                 "bad signature (key %.16s...): %s differ from what was "
                 "signed",
                 id, differs);
  cr.EVP_MD_CTX_free(ctx);
  cr.EVP_PKEY_free(pk);
  return rc;
}

int wk_sign(const wk_signer *s, const wk_key *key,
            const uint8_t module_sha256[32], const uint8_t artifact_sha256[32],
            wk_signature *out, wa_err *err) {
  uint8_t msg[sizeof SIG_CONTEXT + 96];
  message(key, module_sha256, artifact_sha256, msg);
  return sign_message(s, msg, sizeof msg, out, err);
}

int wk_signature_check(const wk_trusted *t, const wk_signature *sig,
                       const wk_key *key, const uint8_t module_sha256[32],
                       const uint8_t artifact_sha256[32], wa_err *why) {
  uint8_t msg[sizeof SIG_CONTEXT + 96];
  message(key, module_sha256, artifact_sha256, msg);
  return verify_message(t, sig, msg, sizeof msg, "the bytes, module or key",
                        why);
}

/* ------------------------------------------------- native artifacts */

#define NATIVE_CONTEXT "wasmaot native artifact signature v1"
#define NATIVE_TARGET_MAX 128

/* NATIVE_CONTEXT NUL || A (32) || M (32) || K (32) || format (u32 BE) ||
 * target NUL: every field fixed-size except the last, so no two claims
 * serialize alike. */
static int native_message(const wk_native_claim *c, uint8_t *out, size_t *n,
                          wa_err *err) {
  size_t tl = c->target ? strlen(c->target) : 0;
  if (tl == 0 || tl >= NATIVE_TARGET_MAX)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "native artifact claim: target triple is empty or longer "
                   "than %d bytes",
                   NATIVE_TARGET_MAX - 1);
  uint8_t *p = out;
  memcpy(p, NATIVE_CONTEXT, sizeof NATIVE_CONTEXT);
  p += sizeof NATIVE_CONTEXT;
  memcpy(p, c->artifact_sha256, 32);
  memcpy(p + 32, c->module_sha256, 32);
  memcpy(p + 64, c->key.b, 32);
  p += 96;
  for (int i = 3; i >= 0; i--)
    *p++ = (uint8_t)(c->format_version >> (8 * i));
  memcpy(p, c->target, tl + 1);
  *n = (size_t)(p - out) + tl + 1;
  return 0;
}

#define NATIVE_MSG_MAX (sizeof NATIVE_CONTEXT + 100 + NATIVE_TARGET_MAX)

int wk_sign_native(const wk_signer *s, const wk_native_claim *c,
                   wk_signature *out, wa_err *err) {
  uint8_t msg[NATIVE_MSG_MAX];
  size_t n;
  int rc = native_message(c, msg, &n, err);
  return rc ? rc : sign_message(s, msg, n, out, err);
}

bool wk_trusted_has(const wk_trusted *t, const uint8_t key_id[32]) {
  for (size_t i = 0; t && i < t->n; i++)
    if (memcmp(t->v[i].id, key_id, 32) == 0)
      return true;
  return false;
}

int wk_native_check(const wk_trusted *t, const wk_signature *sig,
                    const wk_native_claim *c, wa_err *why) {
  uint8_t msg[NATIVE_MSG_MAX];
  size_t n;
  int rc = native_message(c, msg, &n, why);
  return rc ? rc
            : verify_message(t, sig, msg, n,
                             "the artifact bytes, module, target, format or "
                             "configuration",
                             why);
}

int wk_check_artifact(const wk_cache *c, const uint8_t module_sha256[32],
                      const wk_config *cfg, const uint8_t *art, size_t len,
                      const char *what, wa_err *err) {
  wk_key k;
  int rc = wk_key_compute(module_sha256, cfg, &k, err);
  if (rc)
    return rc;
  wk__want want = {
      .module_sha256 = module_sha256, .cfg = cfg, .check_meta = true};
  return wk__check_meta(c, &k, art, len, what, &want, err);
}

/* -------------------------------------------------------- trusted keys */

int wk_trusted_default_dir(char *out, size_t n, wa_err *err) {
  const char *e = getenv("WASMAOT_TRUSTED_KEYS"), *x, *h;
  int w;
  if (e && *e)
    w = snprintf(out, n, "%s", e);
  else if ((x = getenv("XDG_CONFIG_HOME")) && x[0] == '/')
    w = snprintf(out, n, "%s/wasmaot/trusted-keys", x);
  else if ((h = getenv("HOME")) && *h)
    w = snprintf(out, n, "%s/.config/wasmaot/trusted-keys", h);
  else
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                   "no trusted-keys directory: set HOME or "
                   "WASMAOT_TRUSTED_KEYS");
  if (w < 0 || (size_t)w >= n)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "trusted-keys path too long");
  return 0;
}

/* Someone else who can write a key file (or the directory) could make us
 * trust their code, so such files are skipped, loudly. */
static bool unsafe(const struct stat *st, const char *path, wk_warn_fn warn,
                   void *ud) {
  char msg[PATH_MAX + 128];
  const char *why = st->st_uid != geteuid() && st->st_uid != 0
                        ? "owned by another user"
                    : st->st_mode & S_IWOTH ? "world-writable"
                    : st->st_mode & S_IWGRP ? "group-writable"
                                            : NULL;
  if (!why)
    return false;
  snprintf(msg, sizeof msg, "ignoring trusted key %s: %s", path, why);
  if (warn)
    warn(ud, msg);
  return true;
}

int wk_trusted_load(const char *dir, wk_warn_fn warn, void *ud, wk_trusted *out,
                    wa_err *err) {
  char path[PATH_MAX];
  struct stat st;
  memset(out, 0, sizeof *out);
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0
                           : wa_fail_errno(err, WA_EIO, "cannot open %s", dir);
  if (fstat(dirfd(d), &st) != 0 || unsafe(&st, dir, warn, ud)) {
    closedir(d);
    return 0;
  }
  int rc = 0;
  size_t cap = 0;
  for (struct dirent *de; (de = readdir(d));) {
    size_t l = strlen(de->d_name);
    if (l < 5 || strcmp(de->d_name + l - 4, ".pub") != 0 ||
        de->d_name[0] == '.')
      continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >=
        (int)sizeof path)
      continue;
    char text[1024];
    wk_pubkey k;
    wa_err why;
    wa_err_init(&why);
    if (read_small(path, text, sizeof text, &st, &why) != 0 ||
        unsafe(&st, path, warn, ud))
      continue;
    if (!S_ISREG(st.st_mode))
      continue;
    if (wk_pubkey_parse(text, path, &k, &why) != 0) {
      char msg[700];
      wa_err_format(&why, msg, sizeof msg);
      if (warn)
        warn(ud, msg);
      continue;
    }
    if (out->n == cap) {
      cap = cap ? cap * 2 : 8;
      wk_pubkey *v = wa_realloc(out->v, cap * sizeof *v);
      if (!v) {
        rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
        break;
      }
      out->v = v;
    }
    out->v[out->n++] = k;
  }
  closedir(d);
  if (rc)
    wk_trusted_free(out);
  return rc;
}

void wk_trusted_free(wk_trusted *t) {
  wa_free(t->v);
  t->v = NULL;
  t->n = 0;
}
