/*
 * export.c: `wasmaot cache export FILE` / `import FILE --trust`. The archive
 * is a zstd-compressed tar (libarchive) whose first member is a manifest;
 * docs/cache.md has the format. Import is the one way native code from
 * elsewhere enters the cache, so it demands explicit trust and checks every
 * entry against the manifest and its own metadata before publishing it.
 */
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DIR_NAME "wasmaot-cache/"
#define MANIFEST_NAME DIR_NAME "MANIFEST"
#define MANIFEST_HEAD "wasmaot-cache-export 1\n"
#define SIGS_NAME DIR_NAME "SIGNATURES"
#define SIGS_HEAD "wasmaot-cache-signatures 1\n"
#define MANIFEST_MAX (64u << 20)
#define ENTRY_MAX (4ull << 30) /* one artifact, held in memory on import */
#define LINE_LEN (64 + 1 + 20 + 1 + 64 + 1 + 64 + 1)

static int ar_fail(struct archive *a, wa_err *err, int code, const char *what,
                   const char *doing) {
  const char *msg = archive_error_string(a);
  return wa_fail(err, code, WA_NOOFF, "%s: %s: %s", what, doing,
                 msg ? msg : "libarchive error");
}

/* --------------------------------------------------------------- export */

typedef struct export_ctx {
  wk_cache *c;
  wk_entry **v;
  size_t n, cap;
  wk_xfer_report *rep;
  const wk_signer *signer; /* NULL: no SIGNATURES member */
} export_ctx;

/* Keeps a verified mapping of every entry: the archive then holds one
 * consistent set even if entries are evicted while it is written. */
static int export_collect(void *ud, const wk_key *k, const char *path,
                          const char *name, wa_err *err) {
  export_ctx *x = ud;
  if (strcmp(name + 64, WK_ENTRY_SUFFIX) != 0)
    return 0;
  wk__want want = {.check_meta = x->c->read_meta != NULL};
  wk_entry *e = NULL;
  wa_err why;
  wa_err_init(&why);
  int rc = wk__entry_open(x->c, k, &want, &e, &why);
  if (rc == WA_ENOTFOUND)
    return 0;
  if (rc) {
    if (rc != WA_EPERM && !wk__repairable(rc)) {
      *err = why;
      return rc;
    }
    x->rep->n_refused++;
    return 0;
  }
  close(e->fd); /* the mapping outlives it; no need to block eviction */
  e->fd = -1;
  if (x->n == x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 64;
    wk_entry **v = wa_realloc(x->v, cap * sizeof *v);
    if (!v) {
      wk_entry_release(e);
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    }
    x->v = v;
    x->cap = cap;
  }
  x->v[x->n++] = e;
  return 0;
}

static int add_member(struct archive *a, const char *name, const void *data,
                      size_t len, const char *what, wa_err *err) {
  struct archive_entry *ae = archive_entry_new();
  if (!ae)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  int rc = 0;
  archive_entry_set_pathname(ae, name);
  archive_entry_set_filetype(ae, AE_IFREG);
  archive_entry_set_perm(ae, 0400);
  archive_entry_set_size(ae, (la_int64_t)len);
  archive_entry_set_mtime(ae, time(NULL), 0);
  if (archive_write_header(a, ae) != ARCHIVE_OK) {
    rc = ar_fail(a, err, WA_EIO, what, "writing a header");
    goto out;
  }
  const uint8_t *p = data;
  while (len) {
    size_t chunk = len < (1u << 20) ? len : (1u << 20);
    la_ssize_t w = archive_write_data(a, p, chunk);
    if (w <= 0) {
      rc = ar_fail(a, err, WA_EIO, what, "writing data");
      goto out;
    }
    p += w;
    len -= (size_t)w;
  }
out:
  archive_entry_free(ae);
  return rc;
}

static int write_archive(export_ctx *x, int fd, const char *what, wa_err *err) {
  int rc = 0;
  wa_buf man;
  wa_buf_init(&man);
  struct archive *a = archive_write_new();
  if (!a)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
      archive_write_open_fd(a, fd) != ARCHIVE_OK) {
    rc = ar_fail(a, err, WA_EIO, what, "starting a tar.zst archive");
    goto out;
  }
  if ((rc = wa_buf_append(&man, MANIFEST_HEAD, strlen(MANIFEST_HEAD), err)))
    goto out;
  for (size_t i = 0; i < x->n; i++) {
    const wk__trailer *t = &x->v[i]->trailer;
    char k[65], s[65], m[65];
    wk_key_hex(&t->key, k);
    wa_hex(t->artifact_sha256, 32, s);
    wa_hex(t->module_sha256, 32, m);
    if ((rc = wa_buf_printf(&man, err, "%s %llu %s %s\n", k,
                            (unsigned long long)t->artifact_size, s, m)))
      goto out;
  }
  if ((rc = add_member(a, MANIFEST_NAME, man.data, man.len, what, err)))
    goto out;
  if (x->signer) {
    man.len = 0;
    if ((rc = wa_buf_append(&man, SIGS_HEAD, strlen(SIGS_HEAD), err)))
      goto out;
    for (size_t i = 0; i < x->n; i++) {
      const wk__trailer *t = &x->v[i]->trailer;
      wk_signature sig;
      char k[65], id[65], sh[129];
      if ((rc = wk_sign(x->signer, &t->key, t->module_sha256,
                        t->artifact_sha256, &sig, err)))
        goto out;
      wk_key_hex(&t->key, k);
      wa_hex(sig.key_id, 32, id);
      wa_hex(sig.sig, 64, sh);
      if ((rc = wa_buf_printf(&man, err, "%s ed25519 %s %s\n", k, id, sh)))
        goto out;
    }
    if ((rc = add_member(a, SIGS_NAME, man.data, man.len, what, err)))
      goto out;
  }
  for (size_t i = 0; i < x->n; i++) {
    char name[128], hex[65];
    wk_key_hex(&x->v[i]->trailer.key, hex);
    snprintf(name, sizeof name, DIR_NAME "%s" WK_ENTRY_SUFFIX, hex);
    if ((rc = add_member(a, name, wk_entry_data(x->v[i]),
                         wk_entry_size(x->v[i]), what, err)))
      goto out;
    x->rep->n_entries++;
    x->rep->bytes += wk_entry_size(x->v[i]);
  }
  if (archive_write_close(a) != ARCHIVE_OK)
    rc = ar_fail(a, err, WA_EIO, what, "finishing the archive");
out:
  archive_write_free(a);
  wa_buf_free(&man);
  return rc;
}

int wk_export(wk_cache *c, const char *path, wk_xfer_report *out, wa_err *err) {
  return wk_export_signed(c, path, NULL, out, err);
}

int wk_export_signed(wk_cache *c, const char *path, const wk_signer *s,
                     wk_xfer_report *out, wa_err *err) {
  export_ctx x = {.c = c, .rep = out, .signer = s};
  char tmp[PATH_MAX];
  int fd = -1, rc;
  memset(out, 0, sizeof *out);
  tmp[0] = 0;
  if ((rc = wk__walk(c, export_collect, &x, err)))
    goto out;
  if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp) {
    tmp[0] = 0;
    rc = wa_fail(err, WA_EUSAGE, WA_NOOFF, "path too long: %s", path);
    goto out;
  }
  if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
    tmp[0] = 0;
    rc =
        wa_fail_errno(err, WA_EIO, "cannot create a temp file beside %s", path);
    goto out;
  }
  if ((rc = write_archive(&x, fd, path, err)))
    goto out;
  if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot finish %s", tmp);
    goto out;
  }
  if (rename(tmp, path) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot rename %s to %s", tmp, path);
    goto out;
  }
  tmp[0] = 0;
out:
  if (fd >= 0)
    close(fd);
  if (tmp[0])
    unlink(tmp);
  for (size_t i = 0; i < x.n; i++)
    wk_entry_release(x.v[i]);
  wa_free(x.v);
  return rc;
}

/* --------------------------------------------------------------- import */

typedef struct man_entry {
  wk_key key;
  uint64_t size;
  uint8_t sha256[32], module_sha256[32];
  bool seen, signed_;
  wk_signature sig;
} man_entry;

typedef struct manifest {
  man_entry *v;
  size_t n;
} manifest;

static int parse_manifest(char *text, const char *what, manifest *m,
                          wa_err *err) {
  size_t cap = 0, line = 1;
  if (strncmp(text, MANIFEST_HEAD, strlen(MANIFEST_HEAD)) != 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: the manifest does not start with '%.*s'", what,
                   (int)strlen(MANIFEST_HEAD) - 1, MANIFEST_HEAD);
  for (char *p = text + strlen(MANIFEST_HEAD), *next; *p; p = next) {
    line++;
    next = strchr(p, '\n');
    if (!next)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: manifest line %zu is not terminated", what, line);
    *next++ = 0;
    char k[65], s[65], mod[65];
    unsigned long long size;
    int used = 0;
    man_entry e = {0};
    if (strlen(p) >= LINE_LEN ||
        sscanf(p, "%64[0-9a-f] %llu %64[0-9a-f] %64[0-9a-f]%n", k, &size, s,
               mod, &used) != 4 ||
        p[used] != 0 || wk_key_parse(k, &e.key) != 0 ||
        wa_unhex(s, e.sha256, 32) != 0 || strlen(s) != 64 ||
        wa_unhex(mod, e.module_sha256, 32) != 0 || strlen(mod) != 64)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: manifest line %zu is not 'KEY SIZE SHA256 MODULE'",
                     what, line);
    e.size = size;
    for (size_t i = 0; i < m->n; i++)
      if (memcmp(m->v[i].key.b, e.key.b, 32) == 0)
        return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                       "%s: manifest line %zu repeats key %s", what, line, k);
    if (m->n == cap) {
      cap = cap ? cap * 2 : 64;
      man_entry *v = wa_realloc(m->v, cap * sizeof *v);
      if (!v)
        return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
      m->v = v;
    }
    m->v[m->n++] = e;
  }
  return 0;
}

/* Reads the current member whole (size from its header, at most 'max'). */
static int read_member(struct archive *a, struct archive_entry *ae,
                       uint64_t max, const char *what, wa_buf *out,
                       wa_err *err) {
  const char *name = archive_entry_pathname(ae);
  if (archive_entry_filetype(ae) != AE_IFREG || !archive_entry_size_is_set(ae))
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: member %s is not a regular file", what, name);
  la_int64_t size = archive_entry_size(ae);
  if (size < 0 || (uint64_t)size > max)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s: member %s is too large (%lld bytes)", what, name,
                   (long long)size);
  int rc = wa_buf_reserve(out, (size_t)size + 1, err);
  if (rc)
    return rc;
  for (;;) {
    la_ssize_t r =
        archive_read_data(a, out->data + out->len, out->cap - out->len);
    if (r < 0)
      return ar_fail(a, err, WA_EMALFORMED, what, "reading a member");
    if (r == 0)
      break;
    out->len += (size_t)r;
    if (out->len > (size_t)size)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: member %s is longer than its header says", what,
                     name);
  }
  if (out->len != (size_t)size)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: member %s is truncated",
                   what, name);
  return 0;
}

static man_entry *find_key(manifest *m, const wk_key *k) {
  for (size_t i = 0; i < m->n; i++)
    if (memcmp(m->v[i].key.b, k->b, 32) == 0)
      return &m->v[i];
  return NULL;
}

/* SIGNATURES: a head line, then 'KEY ed25519 KEYID SIG' per signed entry. */
static int parse_sigs(char *text, const char *what, manifest *m, wa_err *err) {
  size_t line = 1;
  if (strncmp(text, SIGS_HEAD, strlen(SIGS_HEAD)) != 0)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: SIGNATURES does not start with '%.*s'", what,
                   (int)strlen(SIGS_HEAD) - 1, SIGS_HEAD);
  for (char *p = text + strlen(SIGS_HEAD), *next; *p; p = next) {
    line++;
    next = strchr(p, '\n');
    if (!next)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: SIGNATURES line %zu is not terminated", what, line);
    *next++ = 0;
    char k[65], id[65], sig[129];
    int used = 0;
    wk_key key;
    wk_signature s;
    if (strlen(p) != 64 + 9 + 64 + 1 + 128 ||
        sscanf(p, "%64[0-9a-f] ed25519 %64[0-9a-f] %128[0-9a-f]%n", k, id, sig,
               &used) != 3 ||
        p[used] != 0 || wk_key_parse(k, &key) != 0 ||
        wa_unhex(id, s.key_id, 32) != 0 || wa_unhex(sig, s.sig, 64) != 0)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: SIGNATURES line %zu is not 'KEY ed25519 KEYID SIG'",
                     what, line);
    man_entry *me = find_key(m, &key);
    if (!me || me->signed_)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "%s: SIGNATURES line %zu: key %.16s... is %s", what, line,
                     k, me ? "repeated" : "not in the manifest");
    me->signed_ = true;
    me->sig = s;
  }
  return 0;
}

static man_entry *find_member(manifest *m, const char *name) {
  wk_key k;
  char hex[65];
  size_t dl = strlen(DIR_NAME), sl = strlen(WK_ENTRY_SUFFIX);
  if (strncmp(name, DIR_NAME, dl) != 0 || strlen(name) != dl + 64 + sl ||
      strcmp(name + dl + 64, WK_ENTRY_SUFFIX) != 0)
    return NULL;
  memcpy(hex, name + dl, 64);
  hex[64] = 0;
  if (wk_key_parse(hex, &k) != 0)
    return NULL;
  for (size_t i = 0; i < m->n; i++)
    if (memcmp(m->v[i].key.b, k.b, 32) == 0)
      return &m->v[i];
  return NULL;
}

/* Checks one member against its manifest line and metadata; 0, or a
 * refusal (WA_EDIGEST / WA_EMISMATCH / ...) explained in 'why'. */
static int check_member(wk_cache *c, const man_entry *me, const wa_buf *b,
                        const char *name, wa_err *why) {
  uint8_t sum[32];
  if (b->len != me->size)
    return wa_fail(why, WA_EDIGEST, WA_NOOFF,
                   "%s: %zu bytes, the manifest says %llu", name, b->len,
                   (unsigned long long)me->size);
  wa_sha256_once(b->data, b->len, sum);
  if (memcmp(sum, me->sha256, 32) != 0)
    return wa_fail(why, WA_EDIGEST, WA_NOOFF,
                   "%s: sha256 differs from the manifest", name);
  wk__want want = {.module_sha256 = me->module_sha256, .check_meta = true};
  int rc = wk__check_meta(c, &me->key, b->data, b->len, name, &want, why);
  if (rc && wk__repairable(rc))
    why->code = rc = WA_EMISMATCH;
  return rc;
}

/* Publishes one checked member unless a valid entry is already there. */
static int import_member(wk_cache *c, const man_entry *me, const wa_buf *b,
                         wk_xfer_report *rep, wa_err *err) {
  wk__lock l;
  char path[PATH_MAX];
  int rc = wk__key_lock(c, &me->key, false, &l, err);
  if (rc)
    return rc;
  wk__want want = {.module_sha256 = me->module_sha256, .check_meta = true};
  wk_entry *e = NULL;
  wa_err why;
  wa_err_init(&why);
  rc = wk__entry_open(c, &me->key, &want, &e, &why);
  wk_entry_release(e);
  if (rc == 0) {
    rep->n_skipped++;
    goto out;
  }
  if (rc != WA_ENOTFOUND && !wk__repairable(rc)) {
    *err = why;
    goto out;
  }
  if ((rc = wk__key_path(c, &me->key, WK_ENTRY_SUFFIX, path, sizeof path, err)))
    goto out;
  if (unlink(path) != 0 && errno != ENOENT) {
    rc = wa_fail_errno(err, WA_EIO, "cannot remove damaged entry %s", path);
    goto out;
  }
  if ((rc = wk__remove_temps(c, &me->key, err)) ||
      (rc = wk__publish(c, &me->key, me->module_sha256, b->data, b->len,
                        WK_ENTRY_IMPORTED, err)))
    goto out;
  rep->n_entries++;
  rep->bytes += b->len;
out:
  wk__key_unlock(&l);
  return rc;
}

/* Without --trust an entry must carry a signature by a trusted key. */
static int check_signature(const man_entry *me, const wk_trusted *keys,
                           const char *name, wa_err *why) {
  if (!me->signed_)
    return wa_fail(why, WA_EUNTRUSTED, WA_NOOFF,
                   "%s: unsigned (import it with --trust only if you built "
                   "it)",
                   name);
  int rc = wk_signature_check(keys, &me->sig, &me->key, me->module_sha256,
                              me->sha256, why);
  if (rc) {
    char buf[400];
    wa_err_format(why, buf, sizeof buf);
    wa_err_init(why);
    wa_fail(why, rc, WA_NOOFF, "%s: %s", name, buf);
  }
  return rc;
}

static int import_archive(wk_cache *c, struct archive *a, const char *what,
                          bool trust, const wk_trusted *keys,
                          wk_refusal_fn on_refusal, void *ud,
                          wk_xfer_report *rep, wa_err *first_refusal,
                          wa_err *err) {
  manifest m = {0};
  wa_buf b;
  wa_buf_init(&b);
  struct archive_entry *ae;
  int rc = archive_read_next_header(a, &ae);
  if (rc != ARCHIVE_OK || strcmp(archive_entry_pathname(ae), MANIFEST_NAME)) {
    rc = rc == ARCHIVE_OK || rc == ARCHIVE_EOF
             ? wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                       "%s: the first member is not " MANIFEST_NAME, what)
             : ar_fail(a, err, WA_EMALFORMED, what, "reading the archive");
    goto out;
  }
  if ((rc = read_member(a, ae, MANIFEST_MAX, what, &b, err)))
    goto out;
  b.data[b.len] = 0;
  if (strlen((const char *)b.data) != b.len) {
    rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: NUL in the manifest", what);
    goto out;
  }
  if ((rc = parse_manifest((char *)b.data, what, &m, err)))
    goto out;
  /* SIGNATURES, if any, comes second, so entries are checked as they
   * stream by. */
  rc = archive_read_next_header(a, &ae);
  bool have_sigs = false;
  if (rc == ARCHIVE_OK && archive_entry_pathname(ae) &&
      strcmp(archive_entry_pathname(ae), SIGS_NAME) == 0) {
    b.len = 0;
    if ((rc = read_member(a, ae, MANIFEST_MAX, what, &b, err)))
      goto out;
    b.data[b.len] = 0;
    if (strlen((const char *)b.data) != b.len) {
      rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: NUL in SIGNATURES", what);
      goto out;
    }
    if ((rc = parse_sigs((char *)b.data, what, &m, err)))
      goto out;
    have_sigs = true;
    rc = archive_read_next_header(a, &ae);
  }
  if (!trust && !have_sigs) {
    rc = wa_fail(err, WA_EUNTRUSTED, WA_NOOFF,
                 "%s holds native code compiled elsewhere and is not "
                 "signed; it would run as this process's own code, so "
                 "importing it needs --trust (use it only for archives you "
                 "built yourself) or an export made with --sign-key by a "
                 "key you trust",
                 what);
    goto out;
  }
  for (bool first = true;; first = false) {
    if (!first)
      rc = archive_read_next_header(a, &ae);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc != ARCHIVE_OK) {
      rc = ar_fail(a, err, WA_EMALFORMED, what, "reading the archive");
      goto out;
    }
    const char *name = archive_entry_pathname(ae);
    man_entry *me = name ? find_member(&m, name) : NULL;
    if (!me || me->seen) {
      rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: member '%s' is %s", what,
                   name ? name : "", me ? "repeated" : "not in the manifest");
      goto out;
    }
    me->seen = true;
    b.len = 0;
    if ((rc = read_member(a, ae, ENTRY_MAX, what, &b, err)))
      goto out;
    wa_err why;
    wa_err_init(&why);
    if (check_member(c, me, &b, name, &why) != 0 ||
        (!trust && check_signature(me, keys, name, &why) != 0)) {
      rep->n_refused++;
      if (on_refusal)
        on_refusal(ud, &why);
      if (!first_refusal->code)
        *first_refusal = why;
      continue;
    }
    if ((rc = import_member(c, me, &b, rep, err)))
      goto out;
  }
  rc = 0;
  for (size_t i = 0; i < m.n; i++)
    if (!m.v[i].seen) {
      char hex[65];
      wk_key_hex(&m.v[i].key, hex);
      rep->n_refused++;
      if (!first_refusal->code)
        wa_fail(first_refusal, WA_EMALFORMED, WA_NOOFF,
                "%s: the manifest lists %.16s..., the archive lacks it", what,
                hex);
    }
out:
  wa_free(m.v);
  wa_buf_free(&b);
  return rc;
}

int wk_import(wk_cache *c, const char *path, bool trust, wk_xfer_report *out,
              wa_err *err) {
  memset(out, 0, sizeof *out);
  if (!trust)
    return wa_fail(err, WA_EUNTRUSTED, WA_NOOFF,
                   "%s holds native code compiled elsewhere; it would run as "
                   "this process's own code, so whoever built it decides "
                   "what it does; entries not signed by a trusted key need "
                   "--trust (use it only for archives you built yourself)",
                   path);
  return wk_import_signed(c, path, trust, NULL, NULL, NULL, out, err);
}

int wk_import_signed(wk_cache *c, const char *path, bool trust,
                     const wk_trusted *keys, wk_refusal_fn on_refusal, void *ud,
                     wk_xfer_report *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  if (!c->read_meta)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "the cache was opened without a metadata reader");
  struct archive *a = archive_read_new();
  if (!a)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  wa_err refusal;
  wa_err_init(&refusal);
  int rc;
  if (archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
      archive_read_support_format_tar(a) != ARCHIVE_OK) {
    rc = ar_fail(a, err, WA_EINTERNAL, path, "setting up libarchive");
    goto out;
  }
  if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
    rc = ar_fail(a, err, archive_errno(a) == ENOENT ? WA_ENOTFOUND : WA_EIO,
                 path, "opening");
    goto out;
  }
  if ((rc = import_archive(c, a, path, trust, keys, on_refusal, ud, out,
                           &refusal, err)))
    goto out;
  if (refusal.code) {
    char buf[600];
    wa_err_format(&refusal, buf, sizeof buf);
    rc = wa_fail(
        err, refusal.code, WA_NOOFF, "refused %llu entr%s (imported %llu): %s",
        (unsigned long long)out->n_refused, out->n_refused == 1 ? "y" : "ies",
        (unsigned long long)out->n_entries, buf);
    goto out;
  }
  wk_gc_report rep;
  rc = wk_gc(c, WK_LIMIT_CONFIGURED, &rep, err);
out:
  archive_read_free(a);
  return rc;
}
