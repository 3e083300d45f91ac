/*
 * front.c: main() of `wasmaot` as a static-pie executable, the fast path
 * of a cached start. A dynamically linked wasmaot spends most of a cache
 * hit in the dynamic loader and in page faults on its libraries; this
 * binary links no shared library at all and handles the commands whose
 * common case needs none: `run` (a cache hit; images already in the store),
 * `validate` and `version`. Everything else, and any of those the moment
 * it needs what only a dynamic program can load (the compiler on a miss,
 * libcurl to pull, libarchive to unpack layers, libcrypto to check a
 * signature, NSS without $HOME), is handed to wasmaot-full, the same
 * command line linked dynamically, by execv() with the same arguments.
 *
 * A hand-over happens before the module runs: the failed load makes the
 * operation fail through its normal error path (temp files and locks are
 * cleaned up as on any error), nothing is reported (wl_need_full), and the
 * full binary starts the command again from the beginning.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The seams of runtime/base (wa.h): defining them here keeps dl.c and
 * home.c, and with them glibc's dlopen and NSS, out of this binary. */
void *wa_dl_open(const char *path) {
  (void)path;
  wl_need_full = true;
  return NULL;
}
void *wa_dl_sym(void *handle, const char *name) {
  (void)handle;
  (void)name;
  return NULL;
}
void wa_dl_close(void *handle) {
  (void)handle;
}
const char *wa_dl_error(void) {
  return NULL;
}

const char *wa_home_dir(char *buf, size_t n) {
  (void)buf;
  (void)n;
  const char *home = getenv("HOME");
  if (home && home[0])
    return home;
  wl_need_full = true; /* the password database needs NSS */
  return NULL;
}

static bool handled_here(const char *cmd) {
  static const char *const cmds[] = {"run", "validate", "version"};
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (strcmp(cmd, cmds[i]) == 0)
      return true;
  return false;
}

/* $WASMAOT_FULL, else wasmaot-full beside this executable. */
static int full_path(char *out, size_t n) {
  const char *env = getenv("WASMAOT_FULL");
  if (env && env[0])
    return snprintf(out, n, "%s", env) < (int)n ? 0 : -1;
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0)
    return -1;
  exe[len] = 0;
  char *slash = strrchr(exe, '/');
  if (!slash)
    return -1;
  *slash = 0;
  return snprintf(out, n, "%s/wasmaot-full", exe) < (int)n ? 0 : -1;
}

static int exec_full(char **argv) {
  char path[PATH_MAX];
  fflush(NULL);
  if (full_path(path, sizeof path) != 0) {
    fprintf(stderr, "wasmaot: error: cannot locate wasmaot-full (set "
                    "WASMAOT_FULL to its path)\n");
    return WL_EXIT_FAIL;
  }
  execv(path, argv);
  fprintf(stderr,
          "wasmaot: error: cannot run %s, which '%s' needs: %s (set "
          "WASMAOT_FULL to its path)\n",
          path, argv[1] ? argv[1] : "wasmaot", strerror(errno));
  return WL_EXIT_FAIL;
}

int main(int argc, char **argv) {
  if (argc < 2 || !handled_here(argv[1]))
    exit(exec_full(argv));
  int rc = wl_main(argc, argv);
  if (wl_need_full)
    rc = exec_full(argv);
  exit(rc);
}
