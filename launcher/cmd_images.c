/*
 * cmd_images.c: `wasmaot images`: lists the local image store.
 */
#include "internal.h"
#include "wo.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void human(uint64_t n, char *buf, size_t cap) {
  if (n < 1024)
    snprintf(buf, cap, "%llu B", (unsigned long long)n);
  else if (n < 1024 * 1024)
    snprintf(buf, cap, "%.1f KiB", (double)n / 1024);
  else
    snprintf(buf, cap, "%.1f MiB", (double)n / (1024 * 1024));
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"store", required_argument, NULL, 's'},
                                       {"digests", no_argument, NULL, 'd'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *store_dir = NULL;
  bool full = false, quiet = false;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    if (c == 's')
      store_dir = optarg;
    else if (c == 'd')
      full = true;
    else if (c == 'q')
      quiet = true;
    else if (c == 'h') {
      printf("usage: wasmaot %s\n\n"
             "  --store DIR  image store (default $WASMAOT_STORE_DIR, "
             "~/.local/share/wasmaot/images)\n"
             "  --digests    show whole digests\n"
             "  -q, --quiet  print only the references\n",
             wl_cmd_usage("images"));
      return WL_EXIT_OK;
    } else
      return wl_usage_error("images", "unknown option");
  }
  if (optind != argc)
    return wl_usage_error("images", "no arguments expected");
  wa_err err;
  wa_err_init(&err);
  char root[PATH_MAX];
  wo_store *s = NULL;
  wo_image_info *v = NULL;
  size_t n = 0;
  if ((!store_dir && wo_store_default_root(root, sizeof root, &err) != 0) ||
      wo_store_open(store_dir ? store_dir : root, &s, &err) != 0 ||
      wo_store_list(s, &v, &n, &err) != 0) {
    wl_report_err("images", &err);
    wo_store_free(s);
    return WL_EXIT_FAIL;
  }
  if (!quiet)
    printf("%-48s %-*s %-13s %-8s %10s %10s  %s\n", "REFERENCE", full ? 71 : 19,
           "DIGEST", "PLATFORM", "KIND", "MODULE", "SIZE", "PULLED");
  for (size_t i = 0; i < n; i++) {
    if (quiet) {
      printf("%s\n", v[i].name);
      continue;
    }
    char plat[100], ms[32], is[32], when[32] = "-";
    human(v[i].module_size, ms, sizeof ms);
    human(v[i].size, is, sizeof is);
    time_t t = (time_t)v[i].pulled_at;
    struct tm tm;
    if (t && localtime_r(&t, &tm))
      strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    printf("%-48s %-*.*s %-13s %-8s %10s %10s  %s\n", v[i].name, full ? 71 : 19,
           full ? 71 : 19, v[i].digest,
           wo_platform_str(&v[i].platform, plat, sizeof plat),
           v[i].kind == WO_IMAGE_ROOTFS ? "rootfs" : "artifact", ms, is, when);
  }
  wa_free(v);
  wo_store_free(s);
  return WL_EXIT_OK;
}

const wl_cmd wl_cmd_images = {"images", run,
                              "images [--store DIR] [--digests] [-q]",
                              "list the images in the local image store"};
