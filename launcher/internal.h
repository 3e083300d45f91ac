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

#define WL_CMD(name, fn, usage, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef WL_CMD

/* Prints "wasmaot: error: <context>: <formatted err>" on stderr. */
void wl_report_err(const char *context, const wa_err *err);
/* Prints "wasmaot: <cmd>: <msg>" plus the usage line; returns WL_EXIT_USAGE. */
int wl_usage_error(const char *cmd, const char *fmt, ...) WA_PRINTF(2, 3);
/* The usage line of a command from commands.def. */
const char *wl_cmd_usage(const char *cmd);

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
