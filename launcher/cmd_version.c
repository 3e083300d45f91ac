/*
 * cmd_version.c: `wasmaot version`, with the artifact format and ABI
 * versions that decide which artifacts this build can run.
 */
#include "internal.h"
#include "meta.h"

#include <stdio.h>

static int run(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("wasmaot %s (artifact format %u, abi %u)\n", WA_VERSION,
         WR_FORMAT_VERSION, WR_ABI_VERSION);
  return WL_EXIT_OK;
}

const wl_cmd wl_cmd_version = {"version", run, "version",
                               "print the version"};
