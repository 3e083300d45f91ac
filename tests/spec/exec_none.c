/*
 * exec_none.c: the execution back end for front-end-only builds. It runs
 * nothing: every command that needs execution is SPEC_NOT_RUN, so the
 * runner's table shows how much of the suite waits for the runtime.
 */
#include "exec.h"

#include <stdio.h>
#include <stdlib.h>

struct spec_exec {
  int unused;
};

int spec_exec_setup(const spec_exec_opts *o, char *msg, size_t n) {
  if (!o->compile_only && !o->artifacts && !o->target)
    return 0;
  snprintf(msg, n, "this runner was built without the compiler and runtime");
  return -1;
}

spec_exec *spec_exec_new(const char *json_file) {
  (void)json_file;
  return calloc(1, sizeof(spec_exec));
}

void spec_exec_free(spec_exec *x) { free(x); }

spec_result spec_exec_module(spec_exec *x, const spec_cmd *cmd,
                             const char *name, char *msg, size_t n) {
  (void)x, (void)cmd, (void)name, (void)msg, (void)n;
  return SPEC_NOT_RUN;
}

spec_result spec_exec_register(spec_exec *x, const char *name,
                               const char *as, char *msg, size_t n) {
  (void)x, (void)name, (void)as, (void)msg, (void)n;
  return SPEC_NOT_RUN;
}

spec_result spec_exec_command(spec_exec *x, const spec_cmd *cmd, char *msg,
                              size_t n) {
  (void)x, (void)cmd, (void)msg, (void)n;
  return SPEC_NOT_RUN;
}

const char *spec_exec_describe(void) {
  return "execution: none (decode + validate only)";
}
