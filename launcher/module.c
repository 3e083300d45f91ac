/*
 * module.c: what `run` executes, from a file or an image, as a loaded
 * artifact. A .wasm goes through the artifact cache: the key needs the
 * compiler's resolution of the configuration ("native" CPU name and
 * features, compiler version), which is remembered in the cache under an
 * id of the host CPU and the compiler library's identity, so a hit loads
 * the artifact straight from its mapping and never maps libLLVM. A miss
 * (or a stale resolution) dlopen()s the compiler. Images are pulled into
 * the local store (every digest checked) and their module runs the same
 * way; a rootfs image is unpacked into a temp dir for the run.
 */
#include "internal.h"
#include "wc.h"
#include "wk.h"
#include "wo.h"
#include "wr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

/* ------------------------------------------------------------- logging */

/* $WASMAOT_DEBUG_CACHE makes hits and compiles visible on stderr (tests
 * count compiles with it). */
static void cache_log(const char *fmt, ...) WA_PRINTF(1, 2);
static void cache_log(const char *fmt, ...) {
  const char *v = getenv("WASMAOT_DEBUG_CACHE");
  if (!v || !*v)
    return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "wasmaot: cache: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void warn(const char *context, const wa_err *e) {
  char buf[sizeof e->msg + sizeof e->what + 64];
  wa_err_format(e, buf, sizeof buf);
  fprintf(stderr, "wasmaot: warning: %s%s%s\n", context ? context : "",
          context ? ": " : "", buf);
}

/* ------------------------------------------------- resolution identity */

/*
 * Hashes what the compiler's resolution of "native" depends on: the CPU
 * as the kernel and the CPU itself report it (cpuid on x86, hwcaps and
 * MIDR on arm64; not /proc/cpuinfo, whose MHz field makes reading it slow
 * on large machines) and the exact compiler library file.
 */
static void host_cpu_hash(wa_sha256 *h) {
#if defined(__x86_64__)
  unsigned r[4], max = __get_cpuid_max(0, NULL);
  __cpuid(0, r[0], r[1], r[2], r[3]);
  wa_sha256_update(h, r, sizeof r);
  if (max >= 1) {
    __cpuid(1, r[0], r[1], r[2], r[3]);
    r[1] &= 0xffffu; /* drop the APIC id and CPU count: they vary by core */
    wa_sha256_update(h, r, sizeof r);
    if (r[2] & bit_OSXSAVE) {
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      wa_sha256_update(h, &lo, sizeof lo);
    }
  }
  if (max >= 7) {
    __cpuid_count(7, 0, r[0], r[1], r[2], r[3]);
    wa_sha256_update(h, r, sizeof r);
    __cpuid_count(7, 1, r[0], r[1], r[2], r[3]);
    wa_sha256_update(h, r, sizeof r);
  }
  if (max >= 0xd) {
    __cpuid_count(0xd, 1, r[0], r[1], r[2], r[3]);
    wa_sha256_update(h, r, sizeof r[0]);
  }
  if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000001u) {
    __cpuid(0x80000001u, r[0], r[1], r[2], r[3]);
    wa_sha256_update(h, r, sizeof r);
  }
#elif defined(__aarch64__)
  unsigned long caps[2] = {getauxval(AT_HWCAP), getauxval(AT_HWCAP2)};
  wa_sha256_update(h, caps, sizeof caps);
  uint8_t *midr = NULL;
  size_t n = 0;
  wa_err e;
  wa_err_init(&e);
  if (wa_file_read("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1",
                   &midr, &n, &e) == 0) {
    wa_sha256_update(h, midr, n);
    wa_free(midr);
  }
#endif
}

/* The id of the resolution of 'cfg' (triple, cpu, features as asked). */
static int resolution_id(const wc_config *cfg, uint8_t id[32], wa_err *err) {
  /* On the heap: every hit computes this, deep in the stack. */
  char *path = wa_malloc(PATH_MAX);
  if (!path)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  wa_sha256 h;
  wa_sha256_init(&h);
  wa_sha256_update(&h, "wasmaot-resolution 1", 20);
  wa_sha256_update(&h, WA_VERSION, sizeof WA_VERSION);
  host_cpu_hash(&h);
  struct stat st;
  bool found = wl_compiler_path(path, PATH_MAX, &st);
  wa_sha256_update(&h, path, strlen(path) + 1);
  wa_free(path);
  if (found) {
    /* A rebuilt or upgraded compiler gets a new id. */
    uint64_t v[5] = {(uint64_t)st.st_dev, (uint64_t)st.st_ino,
                     (uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec,
                     (uint64_t)st.st_mtim.tv_nsec};
    wa_sha256_update(&h, v, sizeof v);
  }
  const char *s[3] = {cfg->triple, cfg->cpu, cfg->features};
  for (int i = 0; i < 3; i++)
    wa_sha256_update(&h, s[i] ? s[i] : "", s[i] ? strlen(s[i]) + 1 : 1);
  wa_sha256_final(&h, id);
  return 0;
}

/* Asks the compiler (loading it) for the resolution of cfg. */
static int resolve_now(const wc_config *cfg, wk_resolved *out, wa_err *err) {
  const wc_api *api;
  wc_resolved r;
  int rc = wl_compiler_get(&api, err);
  if (rc == 0)
    rc = api->config_resolve(cfg, &r, err);
  if (rc)
    return rc;
  memset(out, 0, sizeof *out);
  snprintf(out->compiler_version, sizeof out->compiler_version, "%s",
           api->version_string());
  snprintf(out->triple, sizeof out->triple, "%s", r.triple);
  snprintf(out->cpu, sizeof out->cpu, "%s", r.cpu);
  snprintf(out->features, sizeof out->features, "%s", r.features);
  return 0;
}

static bool same_resolution(const wk_resolved *a, const wk_resolved *b) {
  return strcmp(a->compiler_version, b->compiler_version) == 0 &&
         strcmp(a->triple, b->triple) == 0 && strcmp(a->cpu, b->cpu) == 0 &&
         strcmp(a->features, b->features) == 0;
}

/* ------------------------------------------------------------ the owner */

/* What only an image needs (its paths alone are 12 KiB): allocated for
 * images, so that opening a file touches one small zeroed block. */
typedef struct wl_image_part {
  char run_dir[PATH_MAX]; /* temp dir holding the rootfs, removed at close */
  char rootfs[PATH_MAX + 16];
  char name[1024];
  wo_ref ref;
  char manifest_digest[WO_DIGEST_MAX];
  const wl_module_opts *opts;
  /* precompiled artifacts the image carries (docs/precompile.md), looked
   * up only on a miss */
  bool native_tried;
  wo_native_src *nsrc;
  wo_native_set nset;
  bool trusted_loaded;
  wk_trusted trusted;
  char native_dir[PATH_MAX]; /* referrers fetched from a registry */
  bool used_native;          /* the last fill took an image's artifact */
} wl_image_part;

struct wl_module {
  wr_artifact *artifact;
  /* what the artifact's bytes borrow from: one of these */
  wa_map map;
  int map_fd; /* the file behind map, for wk_file_digest; or -1 */
  wk_entry *entry;
  uint8_t *compiled;
  const wc_api *api;
  wk_cache *cache;
  /* images */
  bool is_image;
  wl_image_part *im; /* images only */
  wo_module img;
  wa_arena arena;
  /* wl_module_warm: fill the cache under this configuration instead of
   * loading (a cross target's artifact would not load here anyway) */
  const wc_config *warm;
};

/* -------------------------------------------------------- compiling */

typedef struct fill_job {
  wl_module *m; /* images: may carry a precompiled artifact */
  const uint8_t *wasm;
  size_t len;
  const char *what;
  const wc_config *cfg;
  const wk_resolved *expect; /* the resolution the key was computed from */
  bool stale;                /* the compiler resolves differently now */
  wk_resolved *fresh;        /* what it says now (caller's storage) */
} fill_job;

static void config_for(const wk_resolved *r, const wc_config *c,
                       wk_config *out);

/* --------------------------------------------- precompiled artifacts */

/* One line on stderr when an image's artifact is passed over. */
static void native_notice(const char *what, const char *target, const char *why,
                          const wa_err *e) {
  char buf[sizeof e->msg + sizeof e->what + 64];
  buf[0] = 0;
  if (e)
    wa_err_format(e, buf, sizeof buf);
  fprintf(stderr,
          "wasmaot: notice: %s: precompiled artifact for %s not used (%s%s%s); "
          "compiling locally\n",
          what, target, why, buf[0] ? ": " : "", buf);
}

static void trust_warn(void *ud, const char *msg) {
  (void)ud;
  fprintf(stderr, "wasmaot: warning: %s\n", msg);
}

void wl_module_pull_opts(const wl_module_opts *o, wo_pull_opts *out) {
  memset(out, 0, sizeof *out);
  if (!o)
    return;
  out->plain_http = o->plain_http;
  out->tls_no_verify = o->tls_no_verify;
  out->username = o->username;
  out->password = o->password;
}

/* A registry image's attachments: its OCI 1.1 referrers of our artifact
 * type (or the fallback tag), each fetched and verified into a temp layout.
 * *out stays NULL when there are none. */
static int native_registry(wl_module *m, wa_err *err) {
  wo_pull_opts po;
  wl_module_pull_opts(m->im->opts, &po);
  wo_index idx;
  int rc =
      wo_registry_referrers(&m->im->ref, m->im->manifest_digest,
                            WO_NATIVE_ARTIFACT_TYPE, &po, &m->arena, &idx, err);
  if (rc || idx.n_manifests == 0)
    return rc;
  const char *tmp = getenv("TMPDIR");
  snprintf(m->im->native_dir, sizeof m->im->native_dir,
           "%s/wasmaot-native.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(m->im->native_dir)) {
    m->im->native_dir[0] = 0;
    return wa_fail_errno(err, WA_EIO, "cannot create a temp dir");
  }
  wo_layout *l = NULL;
  if ((rc = wo_layout_create(m->im->native_dir, &l, err)))
    return rc;
  for (size_t i = 0; rc == 0 && i < idx.n_manifests; i++) {
    const wo_desc *d = &idx.manifests[i];
    if (d->artifact_type &&
        strcmp(d->artifact_type, WO_NATIVE_ARTIFACT_TYPE) == 0)
      rc = wo_registry_fetch(&m->im->ref, d->digest, l, &po, err);
  }
  wo_layout_free(l);
  if (rc == 0)
    rc = wo_native_src_open_layout(m->im->native_dir, &m->im->nsrc, err);
  for (size_t i = 0; rc == 0 && i < idx.n_manifests; i++) {
    const wo_desc *d = &idx.manifests[i];
    if (d->artifact_type &&
        strcmp(d->artifact_type, WO_NATIVE_ARTIFACT_TYPE) == 0)
      rc = wo_native_find_referrer(m->im->nsrc, d, m->im->manifest_digest,
                                   &m->arena, &m->im->nset, err);
  }
  return rc;
}

/* Finds the image's attachments once (a miss needs them, a hit never). */
static void native_load(wl_module *m, const char *what) {
  if (m->im->native_tried)
    return;
  m->im->native_tried = true;
  wa_err e;
  wa_err_init(&e);
  int rc;
  if (m->im->ref.kind == WO_REF_REGISTRY) {
    rc = native_registry(m, &e);
  } else {
    const char *tmp = getenv("TMPDIR");
    rc = wo_native_src_open(&m->im->ref, tmp && *tmp ? tmp : "/tmp", NULL,
                            &m->im->nsrc, &e);
    if (rc == 0)
      rc = wo_native_find(m->im->nsrc, &m->im->ref, m->im->manifest_digest,
                          &m->arena, &m->im->nset, &e);
  }
  if (rc) {
    native_notice(what, "this host", "cannot read the image's attachments", &e);
    memset(&m->im->nset, 0, sizeof m->im->nset);
  }
}

/*
 * Fills a miss from an artifact the image carries, if one is filed under
 * exactly 'key' and everything checks out: the claimed module, target and
 * format are this fill's, a trusted key signed the claim as computed here
 * (actual bytes, actual module, this key), and the artifact's own metadata
 * hashes to the key (as wk_get will check again). Anything less is a
 * notice and *used stays false: the caller compiles. Errors are for
 * failures that would stop compiling too (out of memory).
 */
static int native_fill(wl_module *m, const wk_key *key, const wc_config *cfg,
                       const wk_resolved *res, const char *what, wa_buf *out,
                       bool *used, wa_err *err) {
  char hex[65];
  wk_key_hex(key, hex);
  native_load(m, what);
  const wo_native_entry *e = NULL;
  for (size_t i = 0; i < m->im->nset.n; i++)
    if (strcmp(m->im->nset.v[i].meta.config_key, hex) == 0)
      e = &m->im->nset.v[i];
  if (!e) {
    if (m->im->nset.n)
      cache_log("no precompiled artifact for %.16s among the image's %zu", hex,
                m->im->nset.n);
    return 0;
  }
  const char *target = res->triple;
  wa_err why;
  wa_err_init(&why);
  char fmt[16];
  snprintf(fmt, sizeof fmt, "%u", (unsigned)WR_FORMAT_VERSION);
  if (strcmp(e->meta.module_digest, m->img.digest) != 0 ||
      strcmp(e->meta.target, target) != 0 ||
      e->meta.format_version != WR_FORMAT_VERSION) {
    wa_fail(&why, WA_EMISMATCH, WA_NOOFF,
            "it claims module %.19s..., target %s, format %u; this is "
            "module %.19s..., target %s, format %s",
            e->meta.module_digest, e->meta.target, e->meta.format_version,
            m->img.digest, target, fmt);
    native_notice(what, target, "metadata mismatch", &why);
    return 0;
  }
  if (!e->has_sig) {
    native_notice(what, target, "unsigned", NULL);
    return 0;
  }
  wo_native_sig ns;
  if (wo_native_read_sig(m->im->nsrc, e, &ns, &why) != 0) {
    native_notice(what, target, "corrupt signature", &why);
    return 0;
  }
  if (!m->im->trusted_loaded) {
    char dir[PATH_MAX];
    m->im->trusted_loaded = true;
    if (wk_trusted_default_dir(dir, sizeof dir, &why) != 0 ||
        wk_trusted_load(dir, trust_warn, NULL, &m->im->trusted, &why) != 0)
      warn("loading trusted keys", &why);
    wa_err_init(&why);
  }
  wk_signature sig;
  memcpy(sig.key_id, ns.key_id, 32);
  memcpy(sig.sig, ns.sig, 64);
  if (!wk_trusted_has(&m->im->trusted, sig.key_id)) {
    char id[65];
    wa_hex(sig.key_id, 32, id);
    wa_fail(&why, WA_EUNTRUSTED, WA_NOOFF,
            "signed by key %.16s..., which is not in the trusted-keys "
            "directory",
            id);
    native_notice(what, target, "untrusted key", &why);
    return 0;
  }
  uint8_t *art = NULL;
  size_t n = 0;
  if (wo_native_read_artifact(m->im->nsrc, e, &art, &n, &why) != 0) {
    if (why.code == WA_ENOMEM)
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    native_notice(what, target, "corrupt", &why);
    return 0;
  }
  wk_native_claim claim;
  memset(&claim, 0, sizeof claim);
  wa_sha256_once(art, n, claim.artifact_sha256);
  claim.target = target;
  claim.format_version = WR_FORMAT_VERSION;
  claim.key = *key;
  int rc = 0;
  wk_config kc;
  config_for(res, cfg, &kc);
  if (wo_digest_parse(m->img.digest, "module digest", claim.module_sha256,
                      &why) != 0)
    native_notice(what, target, "corrupt", &why);
  else if (wk_native_check(&m->im->trusted, &sig, &claim, &why) != 0)
    native_notice(what, target,
                  why.code == WA_EUNTRUSTED ? "bad signature"
                                            : "cannot verify the signature",
                  &why);
  else if (wk_check_artifact(m->cache, claim.module_sha256, &kc, art, n,
                             "precompiled artifact", &why) != 0)
    native_notice(what, target, "metadata mismatch", &why);
  else if ((rc = wa_buf_append(out, art, n, err)) == 0) {
    char id[65];
    wa_hex(sig.key_id, 32, id);
    cache_log("precompiled %.16s: %s: the image's artifact for %s, signed "
              "by trusted key %.16s",
              hex, what, target, id);
    *used = true;
    m->im->used_native = true;
  }
  wa_free(art);
  return rc;
}

static int fill(void *ud, const wk_key *key, wa_buf *out, wa_err *err) {
  fill_job *j = ud;
  const wc_api *api;
  int rc;
  /* An image's verified artifact first, before the compiler is loaded: the
   * key came from a resolution remembered under an id of this very CPU
   * (cpuid) and compiler file, so an artifact filed under it was made for
   * what this host resolves to, and a node that knows its resolution runs
   * it without ever mapping libLLVM. */
  bool used = false;
  if (j->m && j->m->is_image &&
      (rc =
           native_fill(j->m, key, j->cfg, j->expect, j->what, out, &used, err)))
    return rc;
  if (used)
    return 0;
  if ((rc = resolve_now(j->cfg, j->fresh, err)))
    return rc;
  /* Compiling under a key the artifact would not hash to is wasted work
   * (the cache refuses it): say so before compiling. */
  if (!same_resolution(j->fresh, j->expect)) {
    j->stale = true;
    return wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                   "the remembered configuration is stale");
  }
  if ((rc = wl_compiler_get(&api, err)))
    return rc;
  char hex[65];
  wk_key_hex(key, hex);
  cache_log("miss %.16s: compiling %s", hex, j->what);
  uint8_t *art;
  size_t n;
  if ((rc = api->compile(j->wasm, j->len, j->what, j->cfg, &art, &n, err)))
    return rc;
  rc = wa_buf_append(out, art, n, err);
  api->free(art);
  return rc;
}

static void config_for(const wk_resolved *r, const wc_config *c,
                       wk_config *out) {
  memset(out, 0, sizeof *out);
  out->compiler_version = r->compiler_version;
  out->format_version = WR_FORMAT_VERSION;
  out->abi_version = WR_ABI_VERSION;
  out->triple = r->triple;
  out->cpu = r->cpu;
  out->features = r->features;
  out->bounds = c->bounds;
  out->opt_level = c->opt_level;
}

/* The cache path: resolution (remembered, else from the compiler), key,
 * then wk_get, which fills a miss once across processes. Leaves the entry
 * in m->entry. */
static int cache_entry(wl_module *m, const uint8_t *wasm, size_t len,
                       const char *what, const wc_config *cfg, wa_err *err) {
  uint8_t digest[32], id[32];
  wa_err e2;
  int rc;
  /* The remembered resolution and a fresh one (a stale fill's), 2.7 KiB:
   * on the heap, as this frame is under every later step of a hit. */
  wk_resolved *rs = wa_malloc(2 * sizeof *rs);
  if (!rs)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  wk_resolved *res = &rs[0], *fresh = &rs[1];
  /* An image's module digest was checked when its bytes were read; a
   * file's may be remembered (wk_file_digest). */
  wa_err_init(&e2);
  if (m->is_image) {
    if ((rc = wo_digest_parse(m->img.digest, "module digest", digest, err)))
      goto out;
  } else if (m->map_fd >= 0 && wasm == m->map.data) {
    wk_file_digest(m->cache, m->map_fd, wasm, len, digest);
  } else {
    wa_sha256_once(wasm, len, digest);
  }
  if ((rc = resolution_id(cfg, id, err)))
    goto out;
  wa_err_init(&e2);
  rc = wk_resolved_get(m->cache, id, res, &e2);
  if (rc == WA_EPERM)
    warn(NULL, &e2);
  if (rc) {
    if ((rc = resolve_now(cfg, res, err)))
      goto out;
    wa_err_init(&e2);
    if (wk_resolved_put(m->cache, id, res, &e2) != 0)
      warn("remembering the compile configuration", &e2);
  }
  for (int attempt = 0;; attempt++) {
    wk_config kc;
    config_for(res, cfg, &kc);
    fill_job job = {m, wasm, len, what, cfg, res, false, fresh};
    wa_err warning;
    wa_err_init(err);
    rc = wk_get(m->cache, digest, &kc, fill, &job, &m->entry, &warning, err);
    if (warning.code)
      warn(what, &warning);
    if (rc && job.stale && attempt == 0) {
      /* The CPU or compiler changed under the same id: adopt what the
       * compiler says now and try once more. */
      *res = *fresh;
      wa_err_init(&e2);
      if (wk_resolved_put(m->cache, id, res, &e2) != 0)
        warn("remembering the compile configuration", &e2);
      continue;
    }
    if (rc)
      goto out;
    break;
  }
  char hex[65];
  wk_key_hex(wk_entry_key(m->entry), hex);
  if (!wk_entry_filled(m->entry))
    cache_log("hit %.16s: %s", hex, what);
out:
  wa_free(rs);
  return rc;
}

static int load_cached(wl_module *m, const uint8_t *wasm, size_t len,
                       const char *what, const wc_config *cfg, wa_err *err) {
  int rc = cache_entry(m, wasm, len, what, cfg, err);
  if (rc)
    return rc;
  /* Cache entries never change in place: code and data segments can map
   * from them. */
  return wr_artifact_load_file(wk_entry_data(m->entry), wk_entry_size(m->entry),
                               wk_entry_fd(m->entry), 0,
                               wk_entry_path(m->entry), &m->artifact, err);
}

static int load_uncached(wl_module *m, const uint8_t *wasm, size_t len,
                         const char *what, const wc_config *cfg, wa_err *err) {
  size_t n;
  int rc = wl_compiler_get(&m->api, err);
  if (rc)
    return rc;
  cache_log("disabled: compiling %s", what);
  if ((rc = m->api->compile(wasm, len, what, cfg, &m->compiled, &n, err)))
    return rc;
  return wr_artifact_load(m->compiled, n, what, &m->artifact, err);
}

/* Module bytes to a loaded artifact, through the cache unless told not to
 * or it cannot be opened (then with a warning: running still works). */
static int load_wasm(wl_module *m, const uint8_t *wasm, size_t len,
                     const char *what, const wl_module_opts *o, wa_err *err) {
  wc_config cfg;
  /* The defaults wc_config_default sets, without loading the compiler. */
  memset(&cfg, 0, sizeof cfg);
  cfg.bounds = o->bounds;
  cfg.opt_level = 2;
  if (o->no_cache)
    return load_uncached(m, wasm, len, what, &cfg, err);
  /* On the heap: a PATH_MAX buffer here sits above the whole hit path. */
  char *dir = wa_malloc(PATH_MAX);
  if (!dir)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  wa_err e2;
  wa_err_init(&e2);
  wk_options ko = {.read_meta = wr_artifact_read_meta};
  bool opened = wk_default_dir(dir, PATH_MAX, &e2) == 0 &&
                wk_open(dir, &ko, &m->cache, &e2) == 0;
  wa_free(dir);
  if (!opened) {
    warn("cannot use the artifact cache, compiling in memory", &e2);
    return load_uncached(m, wasm, len, what, &cfg, err);
  }
  return load_cached(m, wasm, len, what, &cfg, err);
}

/* ------------------------------------------------------------- images */

static bool image_prefix(const char *src) {
  return strncmp(src, "oci:", 4) == 0 ||
         strncmp(src, "oci-archive:", 12) == 0 ||
         strncmp(src, "docker://", 9) == 0;
}

bool wl_module_is_image(const char *src) {
  if (image_prefix(src))
    return true;
  struct stat st;
  if (stat(src, &st) == 0)
    return false; /* an existing file wins over a look-alike reference */
  /* A mistyped file name must not turn into a Docker Hub pull. */
  size_t len = strlen(src);
  if ((len > 5 && strcmp(src + len - 5, ".wasm") == 0) ||
      (len > 4 && strcmp(src + len - 4, ".wao") == 0))
    return false;
  wo_ref r;
  wa_err e;
  wa_err_init(&e);
  /* A bare word would read as docker.io/library/WORD: only names with a
   * registry host, a tag or a digest count as images. */
  return wo_ref_parse(src, &r, &e) == 0 &&
         (strchr(src, '/') || strchr(src, ':') || strchr(src, '@'));
}

static int open_image(wl_module *m, const char *src, const wl_module_opts *o,
                      wa_err *err) {
  char root[PATH_MAX];
  wo_store *s = NULL;
  wo_ref ref;
  wo_image_info info;
  int rc;
  if ((rc = wo_ref_parse(src, &ref, err)))
    return rc;
  wo_ref_name(&ref, m->im->name, sizeof m->im->name);
  m->im->ref = ref;
  m->im->opts = o;
  if (o->store && *o->store) {
    if (snprintf(root, sizeof root, "%s", o->store) >= (int)sizeof root)
      return wa_fail(err, WA_EUSAGE, WA_NOOFF, "store path too long");
  } else if ((rc = wo_store_default_root(root, sizeof root, err))) {
    return rc;
  }
  if ((rc = wo_store_open(root, &s, err)))
    return rc;
  if (m->warm) {
    /* Warming is for later runs: always refresh from the source, and
     * leave the rootfs packed (runs unpack their own copy). */
    wo_pull_opts po;
    wl_module_pull_opts(o, &po);
    po.platform = o->platform;
    if ((rc = wo_store_pull(s, src, &po, &info, err)) ||
        (rc =
             wo_store_image_open(s, info.name, &m->arena, &info, &m->img, err)))
      goto out;
    snprintf(m->im->manifest_digest, sizeof m->im->manifest_digest, "%s",
             info.manifest_digest);
    char what[2100];
    snprintf(what, sizeof what, "%s%s%s", m->im->name,
             m->img.path[0] ? ":" : "", m->img.path);
    rc = cache_entry(m, m->img.bytes, m->img.len, what, m->warm, err);
    goto out;
  }
  const char *tmp = getenv("TMPDIR");
  snprintf(m->im->run_dir, sizeof m->im->run_dir, "%s/wasmaot-run.XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(m->im->run_dir)) {
    rc = wa_fail_errno(err, WA_EIO, "cannot create %s", m->im->run_dir);
    m->im->run_dir[0] = 0;
    goto out;
  }
  snprintf(m->im->rootfs, sizeof m->im->rootfs, "%s/rootfs", m->im->run_dir);
  /* A registry image already stored runs without the network (as `docker
   * run` does); layouts and archives are local, so they are pulled again
   * each time, which re-verifies them and copies only new blobs. */
  bool pull = ref.kind != WO_REF_REGISTRY;
  if (!pull) {
    rc = wo_store_image_open_rootfs(s, m->im->name, &m->arena, m->im->rootfs,
                                    &info, &m->img, err);
    if (rc == WA_ENOTFOUND) {
      wa_err_init(err);
      pull = true;
    } else if (rc) {
      goto out;
    }
  }
  if (pull) {
    wo_pull_opts po;
    wl_module_pull_opts(o, &po);
    po.platform = o->platform;
    if ((rc = wo_store_pull(s, src, &po, &info, err)) ||
        (rc = wo_store_image_open_rootfs(s, info.name, &m->arena, m->im->rootfs,
                                         &info, &m->img, err)))
      goto out;
  }
  if (m->img.kind != WO_IMAGE_ROOTFS)
    m->im->rootfs[0] = 0;
  snprintf(m->im->manifest_digest, sizeof m->im->manifest_digest, "%s",
           info.manifest_digest);
  char what[2100];
  snprintf(what, sizeof what, "%s%s%s", m->im->name, m->img.path[0] ? ":" : "",
           m->img.path);
  rc = load_wasm(m, m->img.bytes, m->img.len, what, o, err);
out:
  wo_store_free(s);
  return rc;
}

/* ---------------------------------------------------------------- API */

int wl_module_open(const char *src, const wl_module_opts *o, wl_module **out,
                   wa_err *err) {
  int rc;
  wl_module *m = wa_calloc(1, sizeof *m);
  if (!m)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  m->map_fd = -1;
  wa_arena_init(&m->arena, 0);
  /* A file that opens is a file (wl_module_is_image's rule: an existing
   * file wins over a look-alike reference), so the common case opens it
   * first and needs no stat of the name. */
  int open_errno = 0;
  if (!image_prefix(src) && (m->map_fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
    open_errno = errno;
  if (m->map_fd < 0 && wl_module_is_image(src)) {
    m->is_image = true;
    if (!(m->im = wa_calloc(1, sizeof *m->im)))
      rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    else
      rc = open_image(m, src, o, err);
  } else if (m->map_fd < 0) {
    errno = open_errno;
    rc = wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                       "cannot open %s", src);
  } else if ((rc = wa_file_map_fd(m->map_fd, src, &m->map, err)) == 0) {
    if (m->map.len >= 4 && memcmp(m->map.data, "\0asm", 4) == 0)
      rc = load_wasm(m, m->map.data, m->map.len, src, o, err);
    else /* an artifact file: loaded from our mapping as it is */
      rc = wr_artifact_load(m->map.data, m->map.len, src, &m->artifact, err);
  }
  if (rc) {
    wl_module_close(m);
    return rc;
  }
  *out = m;
  return 0;
}

int wl_module_warm(const char *src, const wl_module_opts *o,
                   const wl_warm_target *t, wl_warm_result *res, wa_err *err) {
  int rc;
  memset(res, 0, sizeof *res);
  if (!wl_module_is_image(src))
    return wa_fail(err, WA_EINVALID, WA_NOOFF,
                   "not an image reference (oci:DIR, oci-archive:FILE, "
                   "or REGISTRY/NAME:TAG)");
  wc_config cfg;
  /* What load_wasm sets for the host, so a later `run` hits the entry. */
  memset(&cfg, 0, sizeof cfg);
  cfg.triple = t->triple;
  cfg.bounds = t->bounds;
  cfg.opt_level = t->opt_level;
  wl_module *m = wa_calloc(1, sizeof *m);
  if (!m)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  m->map_fd = -1;
  wa_arena_init(&m->arena, 0);
  m->is_image = true;
  m->warm = &cfg;
  if (!(m->im = wa_calloc(1, sizeof *m->im))) {
    wl_module_close(m);
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  }
  char dir[PATH_MAX];
  wk_options ko = {.read_meta = wr_artifact_read_meta};
  /* The cache checks a new entry's metadata against its key; the host
   * reader refuses another architecture outright, so a cross target's
   * entry is checked by the reader `inspect` uses for foreign artifacts.
   * Its key names the triple, so no run here ever looks it up. */
  if (t->triple && strcmp(t->triple, wr_host_triple()) != 0)
    ko.read_meta = wr_artifact_describe;
  if ((rc = wk_default_dir(dir, sizeof dir, err)) == 0 &&
      (rc = wk_open(dir, &ko, &m->cache, err)) == 0)
    rc = open_image(m, src, o, err);
  if (rc == 0) {
    res->compiled = wk_entry_filled(m->entry);
    res->precompiled = res->compiled && m->im->used_native;
    wk_key_hex(wk_entry_key(m->entry), res->key);
    snprintf(res->module_digest, sizeof res->module_digest, "%s",
             m->img.digest);
    snprintf(res->manifest_digest, sizeof res->manifest_digest, "%s",
             m->im->manifest_digest);
  }
  wl_module_close(m);
  return rc;
}

wr_artifact *wl_module_artifact(const wl_module *m) {
  return m->artifact;
}

const wo_module *wl_module_image(const wl_module *m) {
  return m->is_image ? &m->img : NULL;
}

const char *wl_module_rootfs(const wl_module *m) {
  return m->im && m->im->rootfs[0] ? m->im->rootfs : NULL;
}

const char *wl_module_name(const wl_module *m) {
  return m->im ? m->im->name : "";
}

void wl_module_close(wl_module *m) {
  if (!m)
    return;
  wr_artifact_free(m->artifact); /* before the bytes it borrows */
  wk_entry_release(m->entry);
  if (m->compiled)
    m->api->free(m->compiled);
  if (m->map.data)
    wa_file_unmap(&m->map);
  if (m->map_fd >= 0)
    close(m->map_fd);
  wk_close(m->cache);
  wo_module_clear(&m->img);
  if (m->im) {
    wo_native_src_close(m->im->nsrc);
    wk_trusted_free(&m->im->trusted);
    if (m->im->native_dir[0]) {
      wa_err e;
      wa_err_init(&e);
      if (wo_rmtree(m->im->native_dir, &e) != 0)
        warn("removing fetched native artifacts", &e);
    }
    if (m->im->run_dir[0]) {
      wa_err e;
      wa_err_init(&e);
      if (wo_rmtree(m->im->run_dir, &e) != 0)
        warn("removing the run's rootfs", &e);
    }
    wa_free(m->im);
  }
  wa_arena_free(&m->arena);
  wa_free(m);
}
