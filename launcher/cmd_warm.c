/*
 * cmd_warm.c: `wasmaot warm REF... [--target TRIPLE...]`: pulls each image
 * into the local store and fills the artifact cache with its module's
 * compiled artifact for each target, so that a later `wasmaot run REF`
 * (for the host) is a cache hit. Meant for CI and node provisioning: one
 * failing reference is reported and the others are still warmed.
 */
#include "internal.h"
#include "wr.h"

#include <getopt.h>
#include <stdio.h>
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
      "  --push               not implemented yet\n",
      wl_cmd_usage("warm"));
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {
      {"target", required_argument, NULL, 't'},
      {"bounds", required_argument, NULL, 'b'},
      {"platform", required_argument, NULL, 'p'},
      {"plain-http", no_argument, NULL, 'H'},
      {"tls-no-verify", no_argument, NULL, 'k'},
      {"push", no_argument, NULL, 'P'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *targets[WL_WARM_MAX_TARGETS];
  size_t n_targets = 0;
  wl_module_opts mo;
  memset(&mo, 0, sizeof mo);
  uint8_t bounds = WR_BOUNDS_GUARD, opt_level = 2;
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
    case 'P':
      return wl_usage_error("warm", "--push is not implemented yet");
    case 'h':
      help();
      return WL_EXIT_OK;
    default:
      return wl_usage_error("warm", "unknown option");
    }
  }
  if (optind >= argc)
    return wl_usage_error("warm", "expected at least one image reference");
  if (n_targets == 0)
    targets[n_targets++] = NULL;
  mo.bounds = bounds;
  int status = WL_EXIT_OK;
  for (int i = optind; i < argc; i++) {
    const char *ref = argv[i];
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
             res.compiled ? "compiled" : "already cached", res.key);
      fflush(stdout);
    }
  }
  return status;
}

const wl_cmd wl_cmd_warm = {
    "warm", run,
    "warm REF... [--target TRIPLE]... [--bounds guard|explicit] [-O0..3] "
    "[--platform OS/ARCH] [--plain-http] [--tls-no-verify]",
    "pull images and fill the artifact cache for later runs"};
