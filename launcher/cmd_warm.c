/*
 * cmd_warm.c: `wasmaot warm REF... [--target TRIPLE...]`: pulls each image
 * into the local store and fills the artifact cache with its module's
 * compiled artifact for each target, so that a later `wasmaot run REF`
 * (for the host) is a cache hit. Meant for CI and node provisioning: one
 * failing reference is reported and the others are still warmed. With
 * --push the artifacts are signed and attached to the image in its
 * registry as an OCI 1.1 referrer (docs/precompile.md), so cold nodes
 * fetch them instead of compiling.
 */
#include "internal.h"
#include "wk.h"
#include "wo.h"
#include "wr.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WL_WARM_MAX_TARGETS 16

static void help(void) {
  printf(
      "usage: wasmaot %s\n\n"
      "  --target TRIPLE      also fill the cache for TRIPLE (repeatable;\n"
      "                       \"host\" is the host). Default: the host only,\n"
      "                       configured as `run` is, so its runs hit;\n"
      "                       other targets get their portable baseline\n"
      "  --bounds guard|explicit\n"
      "                       memory bounds checks (default guard)\n"
      "  -O0..-O3             optimization level (default -O2, as `run`)\n"
      "  --platform OS/ARCH   manifest to take from an index\n"
      "  --plain-http         talk http:// to the registry\n"
      "  --tls-no-verify      accept any TLS certificate\n"
      "  --creds USER:PASS    registry credentials for pulls and --push\n"
      "                       (else from the docker config)\n"
      "  --push               sign the artifacts and attach them to the\n"
      "                       image in its registry (OCI 1.1 referrer, else\n"
      "                       the sha256-<digest> fallback tag)\n"
      "  --sign-key FILE      Ed25519 key for --push (`wasmaot key "
      "generate`)\n",
      wl_cmd_usage("warm"));
}

/* The cache entry of one warmed target, signed, as a referrer item. */
static int push_item(wk_cache *c, const wl_warm_result *r,
                     const wk_signer *signer, wa_arena *a, wk_entry **entry,
                     wo_native_sig *nsig, wo_native_item *it, wa_err *err) {
  wk_key key;
  wr_meta meta;
  wk_config kc;
  wk_native_claim claim;
  memset(&claim, 0, sizeof claim);
  if (wk_key_parse(r->key, &key) != 0)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "bad cache key %s", r->key);
  int rc = wk_open_key(c, &key, entry, err);
  const uint8_t *art = rc ? NULL : wk_entry_data(*entry);
  size_t len = rc ? 0 : wk_entry_size(*entry);
  if (rc == 0)
    rc = wr_artifact_describe(art, len, wk_entry_path(*entry), a, &meta, err);
  if (rc == 0)
    rc = wk_config_from_meta(&meta, a, &kc, err);
  if (rc == 0)
    rc = wo_digest_parse(r->module_digest, "module digest", claim.module_sha256,
                         err);
  if (rc)
    return rc;
  wa_sha256_once(art, len, claim.artifact_sha256);
  claim.target = kc.triple;
  claim.format_version = kc.format_version;
  claim.key = key;
  wk_signature sig;
  if ((rc = wk_sign_native(signer, &claim, &sig, err)))
    return rc;
  memcpy(nsig->key_id, sig.key_id, 32);
  memcpy(nsig->sig, sig.sig, 64);
  memset(it, 0, sizeof *it);
  snprintf(it->meta.target, sizeof it->meta.target, "%s", kc.triple);
  snprintf(it->meta.module_digest, sizeof it->meta.module_digest, "%s",
           r->module_digest);
  it->meta.format_version = kc.format_version;
  snprintf(it->meta.config_key, sizeof it->meta.config_key, "%s", r->key);
  wo_digest_format(claim.artifact_sha256, it->meta.artifact_digest);
  snprintf(it->meta.cpu, sizeof it->meta.cpu, "%s", kc.cpu ? kc.cpu : "");
  it->artifact = art;
  it->len = len;
  it->sig = nsig;
  return 0;
}

/*
 * Signs the artifacts just warmed for 'src' (one per distinct key in res)
 * and pushes them as one referrer manifest whose subject is the image
 * manifest they were compiled from. out gets the referrer's digest.
 */
static int push_native(const char *src, const wl_module_opts *mo,
                       const wk_signer *signer, const wl_warm_result *res,
                       size_t n, char out[WO_DIGEST_MAX], wa_err *err) {
  wo_ref ref;
  int rc = wo_ref_parse(src, &ref, err);
  if (rc)
    return rc;
  if (ref.kind != WO_REF_REGISTRY)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "--push needs a registry reference (use `wasmaot "
                   "precompile` for oci: and oci-archive:)");
  char dir[PATH_MAX], root[PATH_MAX], tmp[PATH_MAX];
  wk_cache *c = NULL;
  wo_layout *store = NULL, *l = NULL;
  wk_entry *entries[WL_WARM_MAX_TARGETS] = {NULL};
  wo_native_sig sigs[WL_WARM_MAX_TARGETS];
  wo_native_item items[WL_WARM_MAX_TARGETS];
  size_t k = 0;
  wa_arena a;
  wa_arena_init(&a, 0);
  tmp[0] = 0;
  /* Any architecture: cross targets' entries are pushed too. */
  wk_options ko = {.read_meta = wr_artifact_describe};
  if ((rc = wk_default_dir(dir, sizeof dir, err)) ||
      (rc = wk_open(dir, &ko, &c, err)))
    goto out;
  for (size_t i = 0; i < n && rc == 0; i++) {
    bool dup = false;
    for (size_t j = 0; j < i; j++)
      dup |= strcmp(res[j].key, res[i].key) == 0;
    if (!dup && (rc = push_item(c, &res[i], signer, &a, &entries[k], &sigs[k],
                                &items[k], err)) == 0)
      k++;
  }
  wo_desc subject, rd;
  if (rc == 0 && ((rc = wo_store_default_root(root, sizeof root, err)) ||
                  (rc = wo_layout_open(root, &store, err)) ||
                  (rc = wo_layout_resolve(store, NULL, res[0].manifest_digest,
                                          &a, &subject, err))))
    goto out;
  const char *t = getenv("TMPDIR");
  snprintf(tmp, sizeof tmp, "%s/wasmaot-push.XXXXXX", t && *t ? t : "/tmp");
  if (rc == 0 && !mkdtemp(tmp)) {
    tmp[0] = 0;
    rc = wa_fail_errno(err, WA_EIO, "cannot create a temp dir");
  }
  wo_pull_opts po;
  wl_module_pull_opts(mo, &po);
  if (rc == 0 && (rc = wo_layout_create(tmp, &l, err)) == 0 &&
      (rc = wo_native_put_referrer(l, &subject, items, k, &rd, err)) == 0) {
    fprintf(stderr, "warm: %s: pushing %zu signed artifact%s\n", src, k,
            k == 1 ? "" : "s");
    rc = wo_registry_push(&ref, l, &rd, NULL, &po, err);
  }
  if (rc == 0)
    snprintf(out, WO_DIGEST_MAX, "%s", rd.digest);
out:
  for (size_t i = 0; i < k + 1 && i < WL_WARM_MAX_TARGETS; i++)
    wk_entry_release(entries[i]);
  wo_layout_free(l);
  wo_layout_free(store);
  if (tmp[0]) {
    wa_err e;
    wa_err_init(&e);
    if (wo_rmtree(tmp, &e) != 0)
      wl_report_err("removing the temp layout", &e);
  }
  wk_close(c);
  wa_arena_free(&a);
  return rc;
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {
      {"target", required_argument, NULL, 't'},
      {"bounds", required_argument, NULL, 'b'},
      {"platform", required_argument, NULL, 'p'},
      {"plain-http", no_argument, NULL, 'H'},
      {"tls-no-verify", no_argument, NULL, 'k'},
      {"creds", required_argument, NULL, 'c'},
      {"push", no_argument, NULL, 'P'},
      {"sign-key", required_argument, NULL, 's'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *targets[WL_WARM_MAX_TARGETS];
  size_t n_targets = 0;
  wl_module_opts mo;
  memset(&mo, 0, sizeof mo);
  uint8_t bounds = WR_BOUNDS_GUARD, opt_level = 2;
  bool push = false;
  const char *key_path = NULL;
  char user[WL_USER_MAX];
  int c;
  optind = 1;
  /* Options may follow the references: no module arguments to protect. */
  while ((c = getopt_long(argc, argv, "O:h", opts, NULL)) != -1) {
    switch (c) {
    case 't':
      if (n_targets == WL_WARM_MAX_TARGETS)
        return wl_usage_error("warm", "at most %d --target options",
                              WL_WARM_MAX_TARGETS);
      if (!*optarg)
        return wl_usage_error("warm", "--target needs a triple");
      targets[n_targets++] = strcmp(optarg, "host") == 0 ? NULL : optarg;
      break;
    case 'b':
      if (strcmp(optarg, "guard") == 0)
        bounds = WR_BOUNDS_GUARD;
      else if (strcmp(optarg, "explicit") == 0)
        bounds = WR_BOUNDS_EXPLICIT;
      else
        return wl_usage_error("warm", "--bounds is guard or explicit, not '%s'",
                              optarg);
      break;
    case 'O':
      if (optarg[0] < '0' || optarg[0] > '3' || optarg[1])
        return wl_usage_error("warm", "-O takes 0..3, not '%s'", optarg);
      opt_level = (uint8_t)(optarg[0] - '0');
      break;
    case 'p':
      mo.platform = optarg;
      break;
    case 'H':
      mo.plain_http = true;
      break;
    case 'k':
      mo.tls_no_verify = true;
      break;
    case 'c': {
      int rc = wl_creds_split("warm", optarg, user, &mo.password);
      if (rc)
        return rc;
      mo.username = user;
      break;
    }
    case 'P':
      push = true;
      break;
    case 's':
      key_path = optarg;
      break;
    case 'h':
      help();
      return WL_EXIT_OK;
    default:
      return wl_usage_error("warm", "unknown option");
    }
  }
  if (optind >= argc)
    return wl_usage_error("warm", "expected at least one image reference");
  if (push != (key_path != NULL))
    return wl_usage_error("warm", "--push and --sign-key go together: "
                                  "unsigned artifacts are never used");
  if (n_targets == 0)
    targets[n_targets++] = NULL;
  mo.bounds = bounds;
  wk_signer signer;
  if (key_path) {
    wa_err err;
    wa_err_init(&err);
    if (wk_signer_read(key_path, &signer, &err) != 0) {
      wl_report_err("warm: reading the signing key", &err);
      return WL_EXIT_FAIL;
    }
  }
  int status = WL_EXIT_OK;
  for (int i = optind; i < argc; i++) {
    const char *ref = argv[i];
    wl_warm_result done[WL_WARM_MAX_TARGETS];
    size_t n_done = 0;
    for (size_t k = 0; k < n_targets; k++) {
      wl_warm_target t = {targets[k], bounds, opt_level};
      wl_warm_result res;
      wa_err err;
      wa_err_init(&err);
      const char *tname = targets[k] ? targets[k] : "host";
      if (wl_module_warm(ref, &mo, &t, &res, &err) != 0) {
        char ctx[1200];
        snprintf(ctx, sizeof ctx, "warm: %s: target %s", ref, tname);
        wl_report_err(ctx, &err);
        status = WL_EXIT_FAIL;
        /* A reference that cannot be pulled fails every target alike. */
        if (!wl_module_is_image(ref))
          break;
        continue;
      }
      printf("warm: %s: target %s: %s (%s)\n", ref, tname,
             res.precompiled ? "verified precompiled artifact"
             : res.compiled  ? "compiled"
                             : "already cached",
             res.key);
      fflush(stdout);
      done[n_done++] = res;
    }
    if (push && n_done == n_targets) {
      char digest[WO_DIGEST_MAX];
      wa_err err;
      wa_err_init(&err);
      if (push_native(ref, &mo, &signer, done, n_done, digest, &err) != 0) {
        char ctx[1200];
        snprintf(ctx, sizeof ctx, "warm: %s: pushing native artifacts", ref);
        wl_report_err(ctx, &err);
        status = WL_EXIT_FAIL;
      } else {
        printf("warm: %s: pushed native artifacts as referrer %s\n", ref,
               digest);
        fflush(stdout);
      }
    }
  }
  if (key_path)
    wk_signer_wipe(&signer);
  return status;
}

const wl_cmd wl_cmd_warm = {
    "warm", run,
    "warm REF... [--target TRIPLE]... [--bounds guard|explicit] [-O0..3] "
    "[--platform OS/ARCH] [--plain-http] [--tls-no-verify] [--creds USER:PASS] "
    "[--push --sign-key FILE]",
    "pull images and fill the artifact cache for later runs"};
