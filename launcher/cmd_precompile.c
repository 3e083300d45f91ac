/*
 * cmd_precompile.c: `wasmaot precompile IMAGE --target T... -o DEST
 * [--sign-key KEY]`: compiles an image's module for each target and writes
 * a new image (oci:DIR[:TAG] or oci-archive:FILE[:TAG]) holding the
 * original image unchanged plus a referrer manifest with the signed native
 * artifacts (docs/precompile.md). `run` and `warm` use such an artifact in
 * place of compiling only when a trusted key signed it for exactly this
 * module, target, format and configuration.
 */
#include "internal.h"
#include "wc.h"
#include "wk.h"
#include "wo.h"
#include "wr.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WL_PRE_MAX_TARGETS 16

static void help(void) {
  printf(
      "usage: wasmaot %s\n\n"
      "  -o, --output DEST    oci:DIR[:TAG] or oci-archive:FILE[:TAG] to "
      "write\n"
      "  --target TRIPLE      compile for TRIPLE (repeatable; \"host\" is the\n"
      "                       host configured as `run` is, so its runs on\n"
      "                       the same CPU use it). Default: host; other\n"
      "                       triples get their portable baseline CPU\n"
      "  --sign-key FILE      sign each artifact with this Ed25519 key\n"
      "                       (`wasmaot key generate`); unsigned artifacts\n"
      "                       are never used by `run`\n"
      "  --bounds guard|explicit\n"
      "                       memory bounds checks (default guard)\n"
      "  -O0..-O3             optimization level (default -O2, as `run`)\n"
      "  --platform OS/ARCH   manifest to take from an index\n"
      "  --plain-http         talk http:// to the registry\n"
      "  --tls-no-verify      accept any TLS certificate\n"
      "  --creds USER:PASS    registry credentials (else docker config)\n",
      wl_cmd_usage("precompile"));
}

static void on_progress(void *ud, uint32_t done, uint32_t total) {
  wl_progress_update(ud, done, total);
}

typedef struct pre_target {
  const char *name; /* as given, "host" for NULL */
  uint8_t *art;     /* from api->compile */
  size_t len;
  wk_signature sig;
  wo_native_sig nsig;
} pre_target;

/* Compiles for one target and fills the item (meta, bytes, signature). */
static int compile_one(const wc_api *api, const wo_module *mod,
                       const char *what, const char *triple, uint8_t bounds,
                       uint8_t opt_level, const wk_signer *signer,
                       pre_target *t, wo_native_item *it, wa_err *err) {
  wc_config cfg;
  wc_resolved r;
  /* Exactly what `run` (triple NULL) and `warm --target` ask for, so the
   * key below is the key a later run or warm computes. */
  memset(&cfg, 0, sizeof cfg);
  cfg.triple = triple;
  cfg.bounds = bounds;
  cfg.opt_level = opt_level;
  int rc = api->config_resolve(&cfg, &r, err);
  if (rc)
    return rc;
  wk_config kc;
  memset(&kc, 0, sizeof kc);
  kc.compiler_version = api->version_string();
  kc.format_version = WR_FORMAT_VERSION;
  kc.abi_version = WR_ABI_VERSION;
  kc.triple = r.triple;
  kc.cpu = r.cpu;
  kc.features = r.features;
  kc.bounds = bounds;
  kc.opt_level = opt_level;
  wk_native_claim claim;
  memset(&claim, 0, sizeof claim);
  if ((rc = wo_digest_parse(mod->digest, "module digest", claim.module_sha256,
                            err)) ||
      (rc = wk_key_compute(claim.module_sha256, &kc, &claim.key, err)))
    return rc;
  char hex[65];
  wk_key_hex(&claim.key, hex);
  fprintf(stderr, "precompile: compiling %s for %s (%s, key %.16s)\n", what,
          r.triple, r.cpu, hex);
  wl_progress prog;
  wl_progress_init(&prog, "compiling");
  cfg.progress = on_progress;
  cfg.progress_ud = &prog;
  rc = api->compile(mod->bytes, mod->len, what, &cfg, &t->art, &t->len, err);
  wl_progress_done(&prog);
  if (rc)
    return rc;
  wa_sha256_once(t->art, t->len, claim.artifact_sha256);
  claim.target = r.triple;
  claim.format_version = WR_FORMAT_VERSION;
  memset(it, 0, sizeof *it);
  snprintf(it->meta.target, sizeof it->meta.target, "%s", r.triple);
  snprintf(it->meta.module_digest, sizeof it->meta.module_digest, "%s",
           mod->digest);
  it->meta.format_version = WR_FORMAT_VERSION;
  memcpy(it->meta.config_key, hex, sizeof hex);
  wo_digest_format(claim.artifact_sha256, it->meta.artifact_digest);
  snprintf(it->meta.cpu, sizeof it->meta.cpu, "%s", r.cpu);
  it->artifact = t->art;
  it->len = t->len;
  if (signer) {
    if ((rc = wk_sign_native(signer, &claim, &t->sig, err)))
      return rc;
    memcpy(t->nsig.key_id, t->sig.key_id, 32);
    memcpy(t->nsig.sig, t->sig.sig, 64);
    it->sig = &t->nsig;
  }
  return 0;
}

/* Writes the new image to DEST: a layout directly, an archive through a
 * temp layout beside nothing else. */
static int write_dest(const wo_ref *dest, const char *store_root,
                      const wo_image_info *info, const wo_native_item *items,
                      size_t n, wo_desc *out, wa_err *err) {
  char tmp[PATH_MAX];
  const char *dir = dest->path;
  tmp[0] = 0;
  if (dest->kind == WO_REF_ARCHIVE) {
    const char *t = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/wasmaot-precompile.XXXXXX",
             t && *t ? t : "/tmp");
    if (!mkdtemp(tmp))
      return wa_fail_errno(err, WA_EIO, "cannot create a temp dir");
    dir = tmp;
  }
  wo_layout *l = NULL;
  const char *tag = dest->tag[0] ? dest->tag : "latest";
  int rc = wo_layout_create(dir, &l, err);
  if (rc == 0)
    rc = wo_native_write_image(store_root, info->manifest_digest,
                               &info->platform, items, n, l, tag, out, err);
  wo_layout_free(l);
  if (rc == 0 && dest->kind == WO_REF_ARCHIVE)
    rc = wo_archive_write(dir, dest->path, err);
  if (tmp[0]) {
    wa_err e;
    wa_err_init(&e);
    if (wo_rmtree(tmp, &e) != 0)
      wl_report_err("removing the temp layout", &e);
  }
  return rc;
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'},
      {"target", required_argument, NULL, 't'},
      {"sign-key", required_argument, NULL, 's'},
      {"bounds", required_argument, NULL, 'b'},
      {"platform", required_argument, NULL, 'p'},
      {"plain-http", no_argument, NULL, 'H'},
      {"tls-no-verify", no_argument, NULL, 'k'},
      {"creds", required_argument, NULL, 'c'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *targets[WL_PRE_MAX_TARGETS];
  size_t n_targets = 0;
  const char *output = NULL, *key_path = NULL;
  const char *creds = NULL;
  uint8_t bounds = WR_BOUNDS_GUARD, opt_level = 2;
  wo_pull_opts po;
  memset(&po, 0, sizeof po);
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:O:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      output = optarg;
      break;
    case 't':
      if (n_targets == WL_PRE_MAX_TARGETS)
        return wl_usage_error("precompile", "at most %d --target options",
                              WL_PRE_MAX_TARGETS);
      if (!*optarg)
        return wl_usage_error("precompile", "--target needs a triple");
      targets[n_targets++] = strcmp(optarg, "host") == 0 ? NULL : optarg;
      break;
    case 's':
      key_path = optarg;
      break;
    case 'b':
      if (strcmp(optarg, "guard") == 0)
        bounds = WR_BOUNDS_GUARD;
      else if (strcmp(optarg, "explicit") == 0)
        bounds = WR_BOUNDS_EXPLICIT;
      else
        return wl_usage_error(
            "precompile", "--bounds is guard or explicit, not '%s'", optarg);
      break;
    case 'O':
      if (optarg[0] < '0' || optarg[0] > '3' || optarg[1])
        return wl_usage_error("precompile", "-O takes 0..3, not '%s'", optarg);
      opt_level = (uint8_t)(optarg[0] - '0');
      break;
    case 'p':
      po.platform = optarg;
      break;
    case 'H':
      po.plain_http = true;
      break;
    case 'k':
      po.tls_no_verify = true;
      break;
    case 'c':
      creds = optarg;
      break;
    case 'h':
      help();
      return WL_EXIT_OK;
    default:
      return wl_usage_error("precompile", "unknown option");
    }
  }
  if (optind + 1 != argc)
    return wl_usage_error("precompile", "expected one image reference");
  if (!output)
    return wl_usage_error("precompile", "-o DEST is required");
  char user[WL_USER_MAX];
  if (creds) {
    int rc = wl_creds_split("precompile", creds, user, &po.password);
    if (rc)
      return rc;
    po.username = user;
  }
  if (n_targets == 0)
    targets[n_targets++] = NULL;
  const char *src = argv[optind];
  wa_err err;
  wa_err_init(&err);
  wo_ref dest;
  if (wo_ref_parse(output, &dest, &err) != 0 ||
      (dest.kind != WO_REF_LAYOUT && dest.kind != WO_REF_ARCHIVE) ||
      dest.digest[0])
    return wl_usage_error("precompile",
                          "-o takes oci:DIR[:TAG] or oci-archive:FILE[:TAG], "
                          "not '%s'",
                          output);

  int status = WL_EXIT_FAIL;
  char root[PATH_MAX];
  wo_store *store = NULL;
  wo_image_info info;
  wo_module mod;
  memset(&mod, 0, sizeof mod);
  wa_arena a;
  wa_arena_init(&a, 0);
  wk_signer signer;
  bool have_signer = false;
  const wc_api *api = NULL;
  pre_target t[WL_PRE_MAX_TARGETS];
  wo_native_item items[WL_PRE_MAX_TARGETS];
  memset(t, 0, sizeof t);
  const char *doing = "reading the signing key";
  if (key_path) {
    if (wk_signer_read(key_path, &signer, &err) != 0)
      goto out;
    have_signer = true;
  }
  fprintf(stderr, "precompile: pulling %s\n", src);
  doing = "pulling the image";
  if (wo_store_default_root(root, sizeof root, &err) != 0 ||
      wo_store_open(root, &store, &err) != 0 ||
      wo_store_pull(store, src, &po, &info, &err) != 0 ||
      wo_store_image_open(store, info.name, &a, &info, &mod, &err) != 0)
    goto out;
  doing = "loading the compiler";
  if (wl_compiler_get(&api, &err) != 0)
    goto out;
  char what[2100];
  snprintf(what, sizeof what, "%s%s%s", info.name, mod.path[0] ? ":" : "",
           mod.path);
  for (size_t k = 0; k < n_targets; k++) {
    t[k].name = targets[k] ? targets[k] : "host";
    doing = t[k].name;
    if (compile_one(api, &mod, what, targets[k], bounds, opt_level,
                    have_signer ? &signer : NULL, &t[k], &items[k], &err) != 0)
      goto out;
  }
  fprintf(stderr, "precompile: writing %s\n", output);
  doing = "writing the image";
  wo_desc idx;
  if (write_dest(&dest, wo_store_root(store), &info, items, n_targets, &idx,
                 &err) != 0)
    goto out;
  char kid[65] = "";
  if (have_signer)
    wk_pubkey_id_hex(&signer.pub, kid);
  printf(
      "precompile: %s: wrote %s (referrer %s): %zu artifact%s for module %s, "
      "%s%.16s\n",
      src, output, idx.digest, n_targets, n_targets == 1 ? "" : "s", mod.digest,
      have_signer ? "signed by key " : "unsigned", kid);
  status = WL_EXIT_OK;
out:
  if (status != WL_EXIT_OK) {
    char ctx[1200];
    snprintf(ctx, sizeof ctx, "precompile: %s: %s", src, doing);
    wl_report_err(ctx, &err);
  }
  for (size_t k = 0; k < n_targets; k++)
    if (t[k].art)
      api->free(t[k].art);
  if (have_signer)
    wk_signer_wipe(&signer);
  wo_module_clear(&mod);
  wo_store_free(store);
  wa_arena_free(&a);
  return status;
}

const wl_cmd wl_cmd_precompile = {
    "precompile", run,
    "precompile IMAGE -o DEST [--target TRIPLE]... [--sign-key FILE] "
    "[--bounds guard|explicit] [-O0..3] [--platform OS/ARCH] [--plain-http] "
    "[--tls-no-verify] [--creds USER:PASS]",
    "compile an image's module ahead of time and attach signed artifacts"};
