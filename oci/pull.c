/*
 * pull.c: copying an image into the store from a registry, an oci: layout
 * or an oci-archive: file. Documents are fetched and verified, the platform
 * chosen, blobs land in incoming/ (verified by their sinks), the module is
 * found, and only then are blobs published and the ref written.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define MAX_NESTING 4 /* index -> index -> ... -> manifest */
#define MAX_IMAGE_BLOBS (MAX_NESTING + 2 + 1024 + 1)

typedef struct puller {
  wo_store *s;
  const wo_pull_opts *opts;
  wo_ref ref;
  char name[1024];
  char origin[PATH_MAX];
  wo_registry *reg;
  wo_layout *layout;
  char archive_dir[PATH_MAX]; /* unpacked oci-archive, removed after */
  wa_arena a;
  const char *blobs[MAX_IMAGE_BLOBS]; /* digests to publish, in arena */
  size_t n_blobs;
  uint64_t size;
  uint64_t max_blob;
  bool downloading; /* blob transfers from a registry were started */
} puller;

static int remember(puller *p, const char *digest, wa_err *err) {
  for (size_t i = 0; i < p->n_blobs; i++)
    if (strcmp(p->blobs[i], digest) == 0)
      return 0;
  if (p->n_blobs == MAX_IMAGE_BLOBS)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "too many blobs in one image");
  char *d = wa_arena_strndup(&p->a, digest, strlen(digest));
  if (!d)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  p->blobs[p->n_blobs++] = d;
  return 0;
}

/* Puts verified bytes of a document into incoming/ (the sink re-checks). */
static int stage_bytes(puller *p, const wo_desc *d, const uint8_t *data,
                       size_t len, wa_err *err) {
  wo_sink sink;
  if (remember(p, d->digest, err) != 0)
    return err->code;
  if (wo__store_has(p->s, d))
    return 0;
  if (wo__sink_open(&sink, p->s->incoming_fd, d, p->origin, err) != 0)
    return err->code;
  if (sink.have != d->size && (wo__sink_restart(&sink, err) != 0 ||
                               wo__sink_write(&sink, data, len, err) != 0))
    return err->code;
  return wo__sink_finish(&sink, err);
}

static int check_size(puller *p, const wo_desc *d, const char *field,
                      wa_err *err) {
  if (d->size > p->max_blob)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s %s is %llu bytes, more than the %llu allowed", field,
                   d->digest, (unsigned long long)d->size,
                   (unsigned long long)p->max_blob);
  return 0;
}

/*
 * Fetches a document: the one the reference names (d == NULL), or the
 * descriptor d. out_desc gets its digest, size and media type. Bytes are
 * verified against d, against a digest in the reference, and (registry)
 * against Docker-Content-Digest.
 */
static int fetch_doc(puller *p, const wo_desc *d, uint8_t **out, size_t *len,
                     wo_desc *out_desc, wa_err *err) {
  *out = NULL;
  if (d && d->size > WO_MANIFEST_MAX)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "manifest %s is %llu bytes, more than the %u allowed",
                   d->digest, (unsigned long long)d->size, WO_MANIFEST_MAX);
  if (p->reg) {
    char mt[128], digest[WO_DIGEST_MAX];
    const char *want = d                  ? d->digest
                       : p->ref.digest[0] ? p->ref.digest
                                          : p->ref.tag;
    if (wo__registry_manifest(p->reg, want, out, len, mt, digest, err) != 0)
      return err->code;
    uint8_t sha[32];
    wa_sha256_once(*out, *len, sha);
    if (d) {
      *out_desc = *d;
    } else {
      memset(out_desc, 0, sizeof *out_desc);
      const char *own = mt[0] ? mt : NULL;
      out_desc->media_type =
          own ? wa_arena_strndup(&p->a, own, strlen(own)) : NULL;
      snprintf(out_desc->digest, sizeof out_desc->digest, "%s",
               p->ref.digest[0] ? p->ref.digest : digest);
      out_desc->size = *len;
    }
    return wo__blob_check(out_desc, sha, *len, p->origin, err);
  }
  if (!d) {
    if (wo_layout_resolve(p->layout, p->ref.tag, p->ref.digest, &p->a, out_desc,
                          err) != 0)
      return err->code;
    d = out_desc;
    if (d->size > WO_MANIFEST_MAX)
      return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                     "manifest %s is %llu bytes, more than the %u allowed",
                     d->digest, (unsigned long long)d->size, WO_MANIFEST_MAX);
  } else {
    *out_desc = *d;
  }
  return wo_blob_read(wo_layout_blobs(p->layout), d, WO_MANIFEST_MAX, p->origin,
                      out, len, err);
}

static int open_source(puller *p, wa_err *err) {
  switch (p->ref.kind) {
  case WO_REF_REGISTRY:
    return wo__registry_open(&p->ref, p->opts, &p->reg, err);
  case WO_REF_LAYOUT:
    return wo_layout_open(p->ref.path, &p->layout, err);
  case WO_REF_ARCHIVE:
    break;
  }
  if (snprintf(p->archive_dir, sizeof p->archive_dir, "%s/tmp/archive.XXXXXX",
               p->s->root) >= (int)sizeof p->archive_dir ||
      !mkdtemp(p->archive_dir)) {
    p->archive_dir[0] = 0;
    return wa_fail_errno(err, WA_EIO, "cannot create a temp dir in %s/tmp",
                         p->s->root);
  }
  int rc = 0, root = open(p->archive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = open(p->ref.path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    rc = wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                       "cannot open %s", p->ref.path);
  else if (root < 0)
    rc = wa_fail_errno(err, WA_EIO, "cannot open %s", p->archive_dir);
  uint64_t used[2] = {0, 0};
  if (rc == 0)
    rc = wo_tar_apply(root, fd, p->ref.path, WO_TAR_LAYOUT, &p->opts->limits,
                      used, NULL, err);
  if (fd >= 0)
    close(fd);
  if (root >= 0)
    close(root);
  if (rc == 0)
    rc = wo_layout_open(p->archive_dir, &p->layout, err);
  return rc;
}

/* Config and layers into incoming/ (skipping blobs the store has). */
static int fetch_blobs(puller *p, const wo_desc *const *descs, size_t n,
                       wa_err *err) {
  const wo_desc *need[1025];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (remember(p, descs[i]->digest, err) != 0)
      return err->code;
    /* A layer may be listed twice; two sinks on one file would wait for
     * each other's lock. */
    bool dup = wo__store_has(p->s, descs[i]);
    for (size_t j = 0; j < k && !dup; j++)
      dup = strcmp(need[j]->digest, descs[i]->digest) == 0;
    if (!dup && k < sizeof need / sizeof *need)
      need[k++] = descs[i];
  }
  if (p->reg) {
    p->downloading |= k > 0;
    return wo__registry_blobs(p->reg, need, k, p->s->incoming_fd, err);
  }
  uint64_t done = 0, total = 0;
  for (size_t i = 0; i < k; i++)
    total += need[i]->size;
  for (size_t i = 0; i < k; i++) {
    if (wo__blob_copy(wo_layout_blobs(p->layout), need[i], p->origin,
                      p->s->incoming_fd, err) != 0)
      return err->code;
    done += need[i]->size;
    if (p->opts->progress)
      p->opts->progress(p->opts->progress_ud, done, total);
  }
  return 0;
}

/* Resolves indexes down to one manifest; returns it parsed. */
static int resolve_manifest(puller *p, const wo_platform *want, wo_desc *top,
                            wo_desc *man_desc, wo_manifest *m, bool *from_index,
                            wa_err *err) {
  uint8_t *data = NULL;
  size_t len;
  wo_desc cur;
  const wo_desc *next = NULL;
  *from_index = false;
  for (int depth = 0;; depth++) {
    if (depth > MAX_NESTING)
      return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                     "indexes nested more than %d deep", MAX_NESTING);
    if (fetch_doc(p, next, &data, &len, &cur, err) != 0)
      return err->code;
    p->size += len;
    wo_role role;
    char what[200];
    snprintf(what, sizeof what, "%s %.19s", depth ? "manifest" : "image",
             cur.digest);
    int rc = wo_doc_role(data, len, cur.media_type, what, &role, err);
    /* A server may label a manifest application/json: then the document's
     * own mediaType decides. */
    const char *given =
        wo_media_role(cur.media_type) == role ? cur.media_type : NULL;
    if (rc == 0 && role == WO_ROLE_INDEX) {
      wo_index idx;
      if ((rc = wo_index_parse(data, len, given, what, &p->a, &idx, err)) == 0)
        cur.media_type = idx.media_type;
      if (rc == 0)
        rc = wo_platform_select(&idx, want, what, &next, err);
      if (rc == 0)
        rc = stage_bytes(p, &cur, data, len, err);
      *from_index = true;
    } else if (rc == 0) {
      if ((rc = wo_manifest_parse(data, len, given, what, &p->a, m, err)) == 0)
        cur.media_type = m->media_type;
      if (rc == 0)
        rc = stage_bytes(p, &cur, data, len, err);
      if (depth == 0)
        *top = cur;
      *man_desc = cur;
      wa_free(data);
      return rc;
    }
    if (depth == 0)
      *top = cur;
    wa_free(data);
    data = NULL;
    if (rc != 0)
      return rc;
  }
}

static int pull(puller *p, wo_image_info *info, wa_err *err) {
  wo_platform want_p, *want = NULL;
  const wo_pull_opts *o = p->opts;
  if (o->platform && o->platform[0]) {
    if (wo_platform_parse(o->platform, &want_p, err) != 0)
      return err->code;
    want = &want_p;
  }
  if (open_source(p, err) != 0)
    return err->code;
  wo_desc top, man_desc;
  wo_manifest m;
  bool from_index;
  if (resolve_manifest(p, want, &top, &man_desc, &m, &from_index, err) != 0)
    return err->code;

  /* Config first: it is small and decides what the layers are for. */
  const wo_desc *cfg = &m.config;
  if (check_size(p, cfg, "config", err) != 0 ||
      fetch_blobs(p, &cfg, 1, err) != 0)
    return err->code;
  wo_blobs blobs = {.fd = {p->s->blobs_fd, p->s->incoming_fd}, .n = 2};
  uint8_t *cbytes;
  size_t clen;
  wo_config c;
  if (wo_blob_read(&blobs, cfg, WO_CONFIG_MAX, p->origin, &cbytes, &clen,
                   err) != 0)
    return err->code;
  int rc = wo_config_parse(cbytes, clen, cfg->media_type, cfg->digest, &p->a,
                           &c, err);
  wa_free(cbytes);
  if (rc != 0)
    return rc;
  /* A single manifest is taken whatever its platform (as containerd does),
   * unless a platform was asked for explicitly. */
  char have[100], asked[100];
  if (want && !from_index &&
      (strcmp(c.platform.os, want->os) != 0 ||
       strcmp(c.platform.arch, want->arch) != 0))
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                   "%s is a single image for %s, not %s", p->name,
                   wo_platform_str(&c.platform, have, sizeof have),
                   wo_platform_str(want, asked, sizeof asked));

  const wo_desc *layers[1024];
  for (size_t i = 0; i < m.n_layers; i++) {
    char field[32];
    snprintf(field, sizeof field, "layers[%zu]", i);
    if (check_size(p, &m.layers[i], field, err) != 0)
      return err->code;
    layers[i] = &m.layers[i];
    p->size += m.layers[i].size;
  }
  p->size += cfg->size;
  if (fetch_blobs(p, layers, m.n_layers, err) != 0)
    return err->code;

  char scratch[PATH_MAX + 8];
  snprintf(scratch, sizeof scratch, "%s/tmp", p->s->root);
  wo_module mod;
  if (wo_find_module(&blobs, &m, &c, scratch, &o->limits, &p->a, &mod, err) !=
      0)
    return err->code;
  /* A rootfs image's module is stored as a blob of its own, so opening the
   * image later needs no unpacking. */
  wo_desc mod_desc = {.size = mod.len};
  snprintf(mod_desc.digest, sizeof mod_desc.digest, "%s", mod.digest);
  rc = stage_bytes(p, &mod_desc, mod.bytes, mod.len, err);
  memset(info, 0, sizeof *info);
  snprintf(info->name, sizeof info->name, "%s", p->name);
  snprintf(info->digest, sizeof info->digest, "%s", top.digest);
  snprintf(info->manifest_digest, sizeof info->manifest_digest, "%s",
           man_desc.digest);
  snprintf(info->module_digest, sizeof info->module_digest, "%s", mod.digest);
  info->platform = c.platform;
  info->kind = mod.kind;
  info->module_size = mod.len;
  info->size = p->size;
  info->pulled_at = (int64_t)time(NULL);
  if (rc == 0)
    rc = wo__store_commit(p->s, &top, &man_desc, info, mod.path, p->blobs,
                          p->n_blobs, err);
  wo_module_clear(&mod);
  return rc;
}

int wo_store_pull(wo_store *s, const char *refstr, const wo_pull_opts *opts,
                  wo_image_info *out, wa_err *err) {
  static const wo_pull_opts no_opts;
  puller *p = wa_calloc(1, sizeof *p);
  if (!p)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  wo_pull_opts o = opts ? *opts : no_opts;
  if (!o.limits.max_total)
    wo_limits_default(&o.limits);
  p->s = s;
  p->opts = &o;
  p->max_blob = o.max_blob ? o.max_blob : 4ull << 30;
  wa_arena_init(&p->a, 0);
  int lk = -1, rc = wo_ref_parse(refstr, &p->ref, err);
  if (rc == 0) {
    if (strlen(wo_ref_name(&p->ref, p->name, sizeof p->name)) + 1 >=
        sizeof p->name)
      rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "reference too long");
    if (p->ref.kind == WO_REF_REGISTRY)
      snprintf(p->origin, sizeof p->origin, "%s/%s", p->ref.domain,
               p->ref.repo);
    else
      snprintf(p->origin, sizeof p->origin, "%s", p->ref.path);
  }
  /* Shared: gc waits until this pull has published its blobs. */
  if (rc == 0)
    rc = wo__store_lock(s, "lock", LOCK_SH, &lk, err);
  if (rc == 0)
    rc = pull(p, out, err);
  if (rc != 0)
    wa_err_wrap(err, "pulling %s: ", p->name[0] ? p->name : refstr);
  /* Say what happens to the bytes that did arrive. */
  if (rc == WA_ENETWORK && p->downloading) {
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n,
             " (what arrived is kept; pulling again resumes it)");
  }
  /* A broken connection keeps what arrived for a resume; any other failure
   * means a bad image, whose verified pieces are of no further use. */
  if (rc != 0 && rc != WA_ENETWORK)
    for (size_t i = 0; i < p->n_blobs; i++)
      unlinkat(s->incoming_fd, wo_digest_hex(p->blobs[i]), 0);
  wo__store_unlock(lk);
  wo__registry_free(p->reg);
  wo_layout_free(p->layout);
  if (p->archive_dir[0]) {
    wo__rmtree_quiet(p->archive_dir);
  }
  wa_arena_free(&p->a);
  wa_free(p);
  return rc;
}
