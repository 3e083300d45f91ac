/*
 * cmd_pull.c: `wasmaot pull REF`: copies an image from a registry, an oci:
 * layout or an oci-archive: file into the local image store (oci/store.c),
 * with a progress bar on a TTY.
 */
#include "internal.h"
#include "wo.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_progress(void *ud, uint64_t done, uint64_t total) {
  wl_progress_update(ud, done, total);
}

static void print_size(uint64_t n, char *buf, size_t cap) {
  if (n < 10 * 1024)
    snprintf(buf, cap, "%llu B", (unsigned long long)n);
  else if (n < 10 * 1024 * 1024)
    snprintf(buf, cap, "%.1f KiB", (double)n / 1024);
  else
    snprintf(buf, cap, "%.1f MiB", (double)n / (1024 * 1024));
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {
      {"platform", required_argument, NULL, 'p'},
      {"plain-http", no_argument, NULL, 'H'},
      {"tls-no-verify", no_argument, NULL, 'k'},
      {"creds", required_argument, NULL, 'c'},
      {"user", required_argument, NULL, 'u'},
      {"password", required_argument, NULL, 'P'},
      {"store", required_argument, NULL, 's'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  wo_pull_opts po;
  memset(&po, 0, sizeof po);
  const char *store_dir = NULL;
  const char *creds = NULL;
  bool quiet = false;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (c) {
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
    case 'u':
      po.username = optarg;
      break;
    case 'P':
      po.password = optarg;
      break;
    case 's':
      store_dir = optarg;
      break;
    case 'q':
      quiet = true;
      break;
    case 'h':
      printf("usage: wasmaot %s\n\n"
             "  --platform OS/ARCH[/VARIANT]  manifest to take from an index "
             "(default: wasip1/wasm, wasi/wasm, ...32)\n"
             "  --plain-http                  talk http:// to the registry\n"
             "  --tls-no-verify               accept any TLS certificate\n"
             "  --creds USER:PASS             registry credentials (else "
             "~/.docker/config.json)\n"
             "  --user USER --password PASS   the same, separately\n"
             "  --store DIR                   image store (default "
             "$WASMAOT_STORE_DIR, ~/.local/share/wasmaot/images)\n"
             "  -q, --quiet                   print only the image digest\n",
             wl_cmd_usage("pull"));
      return WL_EXIT_OK;
    default:
      return wl_usage_error("pull", "unknown option");
    }
  }
  if (optind != argc - 1)
    return wl_usage_error("pull", "expected one image reference");
  char user[WL_USER_MAX];
  if (creds) {
    int rc = wl_creds_split("pull", creds, user, &po.password);
    if (rc)
      return rc;
    po.username = user;
  }
  if (po.password && !po.username)
    return wl_usage_error("pull", "--password needs --user");
  const char *ref = argv[optind];
  wa_err err;
  wa_err_init(&err);
  char root[PATH_MAX];
  wo_store *s = NULL;
  if (!store_dir) {
    if (wo_store_default_root(root, sizeof root, &err) != 0) {
      wl_report_err("pull", &err);
      return WL_EXIT_FAIL;
    }
    store_dir = root;
  }
  if (wo_store_open(store_dir, &s, &err) != 0) {
    wl_report_err("pull", &err);
    return WL_EXIT_FAIL;
  }
  wl_progress bar;
  wl_progress_init(&bar, "pulling");
  po.progress = on_progress;
  po.progress_ud = &bar;
  wo_image_info info;
  int rc = wo_store_pull(s, ref, &po, &info, &err);
  wl_progress_done(&bar);
  wo_store_free(s);
  if (rc != 0) {
    wl_report_err(NULL, &err);
    return WL_EXIT_FAIL;
  }
  if (quiet) {
    printf("%s\n", info.digest);
    return WL_EXIT_OK;
  }
  char plat[100], msize[32], isize[32];
  print_size(info.module_size, msize, sizeof msize);
  print_size(info.size, isize, sizeof isize);
  printf("pulled %s\n  digest:   %s\n  platform: %s\n  module:   %s (%s, %s)\n"
         "  size:     %s\n",
         info.name, info.digest,
         wo_platform_str(&info.platform, plat, sizeof plat), info.module_digest,
         msize,
         info.kind == WO_IMAGE_ARTIFACT ? "wasm artifact" : "rootfs image",
         isize);
  return WL_EXIT_OK;
}

const wl_cmd wl_cmd_pull = {"pull", run,
                            "pull [--platform OS/ARCH] [--plain-http] [--creds "
                            "USER:PASS] [--store DIR] "
                            "REF",
                            "pull an image into the local image store"};
