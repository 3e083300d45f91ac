/*
 * cmd_package.c: `wasmaot package MODULE.wasm -o DEST`: builds an OCI image
 * of one module with the project's own image writer (oci/build.c), so that
 * examples, tests and users need no other tool. Two shapes (docs/oci.md):
 * a Wasm OCI artifact (config application/vnd.wasm.config.v0+json, one
 * application/wasm layer), the default; or with --kind rootfs a "compat"
 * image, a tar+gzip layer holding the module plus a config whose
 * Entrypoint names it, which containerd 1.6.20 can unpack.
 */
#include "internal.h"
#include "wm.h"
#include "wo.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LIST 64

typedef struct pkg_opts {
  const char *module;
  const char *dest;
  bool rootfs;
  const char *path; /* rootfs: where the module goes */
  const char *workdir;
  const char *platform;
  const char *env[MAX_LIST + 1];
  size_t n_env;
  const char *args[MAX_LIST + 1];
  size_t n_args;
} pkg_opts;

static int help(void) {
  printf("usage: wasmaot %s\n\n"
         "Builds an OCI image of one module.\n"
         "  -o, --output DEST     oci:DIR[:TAG] (an image layout, created or "
         "added to)\n"
         "                        or oci-archive:FILE[:TAG] (written "
         "atomically)\n"
         "  --kind artifact       a Wasm OCI artifact: one application/wasm "
         "layer (default)\n"
         "  --kind rootfs         a tar+gzip layer with the module and an "
         "Entrypoint naming it;\n"
         "                        the shape containerd 1.6.20 can unpack\n"
         "  --path /NAME.wasm     rootfs: the module's path in the image "
         "(default /app.wasm)\n"
         "  --env KEY=VALUE       rootfs: config Env (repeatable)\n"
         "  --workdir DIR         rootfs: config WorkingDir\n"
         "  --arg ARG             rootfs: config Cmd, after the Entrypoint "
         "(repeatable)\n"
         "  --platform OS/ARCH    (default wasip1/wasm32)\n",
         wl_cmd_usage("package"));
  return WL_EXIT_OK;
}

static int parse(int argc, char **argv, pkg_opts *o) {
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'},
      {"kind", required_argument, NULL, 'k'},
      {"path", required_argument, NULL, 'p'},
      {"env", required_argument, NULL, 'e'},
      {"workdir", required_argument, NULL, 'w'},
      {"arg", required_argument, NULL, 'a'},
      {"platform", required_argument, NULL, 'P'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->path = "/app.wasm";
  o->platform = "wasip1/wasm32";
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      o->dest = optarg;
      break;
    case 'k':
      if (strcmp(optarg, "rootfs") == 0)
        o->rootfs = true;
      else if (strcmp(optarg, "artifact") != 0)
        return wl_usage_error("package",
                              "--kind is artifact or rootfs, not "
                              "'%s'",
                              optarg);
      break;
    case 'p':
      if (optarg[0] != '/' || strstr(optarg, "..") || optarg[1] == 0)
        return wl_usage_error("package",
                              "--path must be an absolute file path without "
                              "'..', not '%s'",
                              optarg);
      o->path = optarg;
      break;
    case 'e':
      if (!strchr(optarg, '=') || optarg[0] == '=')
        return wl_usage_error("package", "--env wants KEY=VALUE, not '%s'",
                              optarg);
      if (o->n_env == MAX_LIST)
        return wl_usage_error("package", "more than %d --env", MAX_LIST);
      o->env[o->n_env++] = optarg;
      break;
    case 'w':
      o->workdir = optarg;
      break;
    case 'a':
      if (o->n_args == MAX_LIST)
        return wl_usage_error("package", "more than %d --arg", MAX_LIST);
      o->args[o->n_args++] = optarg;
      break;
    case 'P':
      o->platform = optarg;
      break;
    case 'h':
      return -1;
    default:
      return wl_usage_error("package", "unknown option");
    }
  }
  if (optind != argc - 1)
    return wl_usage_error("package", "expected one MODULE.wasm");
  if (!o->dest)
    return wl_usage_error("package", "-o DEST is required");
  if (!o->rootfs && (o->n_env || o->n_args || o->workdir))
    return wl_usage_error("package",
                          "--env, --arg and --workdir need --kind rootfs "
                          "(an artifact has no config for them)");
  o->module = argv[optind];
  return 0;
}

/* Writes the image into layout l and tags it. */
static int build(const pkg_opts *o, const wa_map *wasm, wo_layout *l,
                 const char *tag, wo_desc *out, wa_err *err) {
  wo_platform p;
  int rc = wo_platform_parse(o->platform, &p, err);
  if (rc)
    return rc;
  if (!wo_platform_is_wasm(&p))
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "--platform %s is not a Wasm platform (wasip1/wasm32, "
                   "wasi/wasm, ...)",
                   o->platform);
  if (!o->rootfs) {
    rc = wo_layout_put_artifact(l, wasm->data, wasm->len, &p, out, err);
  } else {
    wo_entry file = {.type = WO_ENTRY_FILE,
                     .path = o->path + 1,
                     .data = wasm->data,
                     .len = wasm->len,
                     .mode = 0755};
    wo_desc layer;
    char diff_id[WO_DIGEST_MAX];
    const char *ids[1] = {diff_id};
    const char *entry[2] = {o->path, NULL};
    wo_image_spec spec = {.platform = p,
                          .entrypoint = entry,
                          .cmd = o->n_args ? o->args : NULL,
                          .env = o->n_env ? o->env : NULL,
                          .working_dir = o->workdir};
    if ((rc = wo_layout_put_layer(l, &file, 1, WO_COMPRESS_GZIP, &layer,
                                  diff_id, err)) == 0)
      rc = wo_layout_put_image(l, &spec, &layer, ids, 1, out, err);
  }
  if (rc == 0)
    rc = wo_layout_tag(l, out, tag && tag[0] ? tag : "latest", err);
  return rc;
}

static int package(const pkg_opts *o, const wa_map *wasm, char *name,
                   size_t name_len, wo_desc *out, wa_err *err) {
  wo_ref ref;
  int rc = wo_ref_parse(o->dest, &ref, err);
  if (rc)
    return rc;
  if (ref.kind == WO_REF_REGISTRY)
    return wa_fail(
        err, WA_EUSAGE, WA_NOOFF,
        "%s: package writes oci:DIR[:TAG] or oci-archive:FILE[:TAG]; "
        "push the result with skopeo copy",
        o->dest);
  if (ref.digest[0])
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "%s: an output is named by tag, not by digest", o->dest);
  wo_layout *l = NULL;
  char tmp[PATH_MAX];
  const char *dir = ref.path;
  if (ref.kind == WO_REF_ARCHIVE) {
    /* Beside the archive, so the final rename stays on one file system. */
    if (snprintf(tmp, sizeof tmp, "%s.layout.%ld", ref.path, (long)getpid()) >=
        (int)sizeof tmp)
      return wa_fail(err, WA_EUSAGE, WA_NOOFF, "path too long: %s", ref.path);
    dir = tmp;
  }
  if ((rc = wo_layout_create(dir, &l, err)) == 0) {
    rc = build(o, wasm, l, ref.tag, out, err);
    wo_layout_free(l);
  }
  if (ref.kind == WO_REF_ARCHIVE) {
    if (rc == 0)
      rc = wo_archive_write(dir, ref.path, err);
    wa_err scratch;
    wa_err_init(&scratch);
    if (wo_rmtree(dir, &scratch) != 0 && rc == 0) {
      *err = scratch;
      rc = scratch.code;
    }
  }
  wo_ref_name(&ref, name, name_len);
  return rc;
}

static int run(int argc, char **argv) {
  pkg_opts o;
  int rc = parse(argc, argv, &o);
  if (rc)
    return rc < 0 ? help() : rc;
  wa_err err;
  wa_err_init(&err);
  wa_map wasm = {0};
  wm_module *m = NULL;
  /* Only valid modules are packaged: a broken image fails where it is
   * made, not on every host that pulls it. */
  if ((rc = wa_file_map(o.module, &wasm, &err)) == 0 &&
      (rc = wm_load(wasm.data, wasm.len, o.module, &m, &err)) == 0) {
    char name[PATH_MAX + 300];
    wo_desc out;
    rc = package(&o, &wasm, name, sizeof name, &out, &err);
    if (rc == 0)
      printf("%s: %s %s (%llu-byte manifest)\n", name,
             o.rootfs ? "rootfs image" : "Wasm artifact", out.digest,
             (unsigned long long)out.size);
  }
  wm_module_free(m);
  wa_file_unmap(&wasm);
  if (rc) {
    wl_report_err("package", &err);
    return WL_EXIT_FAIL;
  }
  return WL_EXIT_OK;
}

const wl_cmd wl_cmd_package = {
    "package", run,
    "package MODULE.wasm -o oci:DIR[:TAG]|oci-archive:FILE[:TAG] [--kind "
    "artifact|rootfs] [--path /NAME.wasm] [--env KEY=VALUE]... [--workdir "
    "DIR] [--arg ARG]... [--platform OS/ARCH]",
    "build an OCI image (Wasm artifact or rootfs) of one module"};
