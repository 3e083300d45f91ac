/*
 * internal.h: shared by the launcher's files (prefix wl_). Only main.c and
 * shim_main.c call exit(); commands return their exit status.
 */
#ifndef WL_INTERNAL_H
#define WL_INTERNAL_H

#include "wa.h"

#include <stdbool.h>

/* Exit statuses of the CLI. */
enum {
  WL_EXIT_OK = 0,
  WL_EXIT_FAIL = 1,  /* the operation failed (invalid module, bad image) */
  WL_EXIT_USAGE = 2, /* bad command line */
  WL_EXIT_TRAP = 134 /* the module trapped */
};

/*
 * A subcommand. Each lives in launcher/cmd_<name>.c, which defines
 *   const wl_cmd wl_cmd_<name> = {"<name>", run, "usage", "summary"};
 * CMake finds the cmd_*.c files and generates the table main.c expands, so
 * adding a command touches no shared file. run() returns the exit status.
 */
typedef struct wl_cmd {
  const char *name;
  int (*run)(int argc, char **argv); /* argv[0] is the command name */
  const char *usage;                 /* "validate FILE.wasm" */
  const char *summary;               /* one line for --help */
} wl_cmd;

/* The usage line of a command, for wl_usage_error. */
const char *wl_cmd_usage(const char *cmd);

/* compiler_dl.c: loads libwasmaot_compiler.so on first use (a cache miss
 * or `compile`); $WASMAOT_COMPILER overrides its path. */
struct wc_api;
int wl_compiler_get(const struct wc_api **out, wa_err *err) WA_MUST_CHECK;

/* inspect_wao.c: `wasmaot inspect` of a .wao artifact. */
int wl_inspect_artifact(const char *path);

/* Prints "wasmaot: error: <context>: <formatted err>" on stderr. */
void wl_report_err(const char *context, const wa_err *err);
/* Prints "wasmaot: <cmd>: <msg>" plus the usage line; returns WL_EXIT_USAGE. */
int wl_usage_error(const char *cmd, const char *fmt, ...) WA_PRINTF(2, 3);

/* Progress output on long work: a bar on a TTY, nothing otherwise. */
typedef struct wl_progress {
  const char *label;
  bool tty;
  int last_pct;
} wl_progress;
void wl_progress_init(wl_progress *p, const char *label);
void wl_progress_update(wl_progress *p, uint64_t done, uint64_t total);
void wl_progress_done(wl_progress *p);

#endif
