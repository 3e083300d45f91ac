/*
 * exec.h: the spec runner's execution back end. runner.c decodes and
 * validates every module itself and hands anything that needs running
 * (instantiation, invocations, traps, linking) to these functions.
 * exec_none.c, the default, runs nothing and reports SPEC_NOT_RUN; an
 * execution back end (compile + instantiate + invoke) replaces that file
 * in tests/spec/CMakeLists.txt and implements the same functions.
 */
#ifndef SPEC_EXEC_H
#define SPEC_EXEC_H

#include "values.h"
#include "wm.h"

#include <stddef.h>

typedef enum spec_result {
  SPEC_PASS,
  SPEC_FAIL,
  SPEC_NOT_RUN, /* this back end cannot run the command */
} spec_result;

/* Commands that need execution. */
typedef enum spec_cmd_kind {
  SPEC_CMD_ACTION,               /* run it, ignore the results */
  SPEC_CMD_ASSERT_RETURN,        /* results must match 'expected' */
  SPEC_CMD_ASSERT_TRAP,          /* must trap with 'text' */
  SPEC_CMD_ASSERT_EXHAUSTION,    /* must exhaust the call stack */
  SPEC_CMD_ASSERT_UNLINKABLE,    /* the valid module must fail to link */
  SPEC_CMD_ASSERT_UNINSTANTIABLE /* ... or trap while instantiating */
} spec_cmd_kind;

typedef struct spec_cmd {
  spec_cmd_kind kind;
  const char *file; /* the .json file, for messages */
  unsigned line;    /* line in the .wast */
  const char *text; /* expected message, or NULL */
  /* ACTION, ASSERT_RETURN, ASSERT_TRAP, ASSERT_EXHAUSTION */
  spec_action action;
  const spec_value *expected; /* ASSERT_RETURN (and type-only for others) */
  size_t n_expected;
  /* ASSERT_UNLINKABLE, ASSERT_UNINSTANTIABLE and spec_exec_module: the
   * decoded and validated module, valid only during the call. */
  const char *path;
  const uint8_t *bytes;
  size_t len;
  const wm_module *module;
} spec_cmd;

/* How the back end gets and runs artifacts, set once by the runner before
 * the first spec_exec_new. The split modes serve cross testing: compile
 * the suite on one machine for another's target, run it there. Artifacts
 * are keyed by the module's file name: NAME.wasm -> DIR/NAME.wao. */
typedef struct spec_exec_opts {
  const char *compile_only; /* write every module's artifact here, run none */
  const char *target;       /* compile_only: target triple (NULL: host) */
  const char *artifacts;    /* load artifacts from here, compile none */
} spec_exec_opts;

/* 0, or -1 with a message when this back end cannot work that way. */
int spec_exec_setup(const spec_exec_opts *o, char *msg, size_t n);

/* One store per .json file; the back end provides the "spectest" host
 * module itself. Returns NULL when out of memory. */
typedef struct spec_exec spec_exec;
spec_exec *spec_exec_new(const char *json_file);
void spec_exec_free(spec_exec *x);

/* A "module" command whose module decoded and validated: instantiate it as
 * the current module, under 'name' ("$id") when not NULL. cmd->path,
 * bytes, len and module are set. */
spec_result spec_exec_module(spec_exec *x, const spec_cmd *cmd,
                             const char *name, char *msg, size_t n);

/* "register": make module 'name' (NULL: the current one) importable as
 * 'as'. */
spec_result spec_exec_register(spec_exec *x, const char *name,
                               const char *as, char *msg, size_t n);

/* Every other command in spec_cmd_kind. */
spec_result spec_exec_command(spec_exec *x, const spec_cmd *cmd, char *msg,
                              size_t n);

/* One line naming the back end, printed in the runner's header. */
const char *spec_exec_describe(void);

#endif
