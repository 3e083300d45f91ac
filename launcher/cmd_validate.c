/*
 * cmd_validate.c: `wasmaot validate FILE.wasm`. Decodes and validates a
 * module; silent with status 0 when it is valid, one error line on stderr
 * and status 1 when it is not.
 */
#include "internal.h"
#include "wm.h"

#include <stdio.h>
#include <string.h>

static int run(int argc, char **argv) {
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                    strcmp(argv[1], "-h") == 0)) {
    printf("usage: wasmaot %s\n\nDecodes and validates a WebAssembly 2.0 "
           "binary module.\nPrints nothing and exits 0 when it is valid; "
           "prints the first error\n(with its byte offset) and exits 1 when "
           "it is not.\n",
           wl_cmd_usage("validate"));
    return WL_EXIT_OK;
  }
  if (argc != 2 || argv[1][0] == '-')
    return wl_usage_error("validate", "expected exactly one FILE.wasm");
  const char *path = argv[1];
  wa_err err;
  wa_err_init(&err);
  wa_map map = {0};
  wm_module *m = NULL;
  int rc = wa_file_map(path, &map, &err);
  if (rc == 0)
    rc = wm_load(map.data, map.len, path, &m, &err);
  if (rc)
    wl_report_err("", &err);
  wm_module_free(m);
  wa_file_unmap(&map);
  return rc ? WL_EXIT_FAIL : WL_EXIT_OK;
}

const wl_cmd wl_cmd_validate = {"validate", run, "validate FILE.wasm",
                                "check that a module is valid Wasm 2.0"};
