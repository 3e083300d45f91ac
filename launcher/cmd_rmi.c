/*
 * cmd_rmi.c: `wasmaot rmi REF|DIGEST...`: removes images from the local
 * image store and deletes the blobs no other image uses.
 */
#include "internal.h"
#include "wo.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"store", required_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *store_dir = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 's')
      store_dir = optarg;
    else if (c == 'h') {
      printf("usage: wasmaot %s\n\n"
             "Removes images named by reference, by digest, or by a unique "
             "prefix of 12 or more hex digits of a digest.\n"
             "  --store DIR  image store (default $WASMAOT_STORE_DIR, "
             "~/.local/share/wasmaot/images)\n",
             wl_cmd_usage("rmi"));
      return WL_EXIT_OK;
    } else
      return wl_usage_error("rmi", "unknown option");
  }
  if (optind >= argc)
    return wl_usage_error("rmi", "expected an image reference or digest");
  wa_err err;
  wa_err_init(&err);
  char root[PATH_MAX];
  wo_store *s = NULL;
  if ((!store_dir && wo_store_default_root(root, sizeof root, &err) != 0) ||
      wo_store_open(store_dir ? store_dir : root, &s, &err) != 0) {
    wl_report_err("rmi", &err);
    return WL_EXIT_FAIL;
  }
  int status = WL_EXIT_OK;
  for (int i = optind; i < argc; i++) {
    size_t removed = 0;
    uint64_t blobs = 0, bytes = 0;
    wa_err_init(&err);
    if (wo_store_remove(s, argv[i], &removed, &blobs, &bytes, &err) != 0) {
      wl_report_err("rmi", &err);
      status = WL_EXIT_FAIL;
      continue;
    }
    printf("removed %s (%zu name%s; deleted %llu blob%s, %llu bytes)\n",
           argv[i], removed, removed == 1 ? "" : "s", (unsigned long long)blobs,
           blobs == 1 ? "" : "s", (unsigned long long)bytes);
  }
  wo_store_free(s);
  return status;
}

const wl_cmd wl_cmd_rmi = {"rmi", run, "rmi [--store DIR] REF|DIGEST...",
                           "remove images from the local image store"};
