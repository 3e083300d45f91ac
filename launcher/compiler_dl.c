/*
 * compiler_dl.c: loads libwasmaot_compiler.so on first use, so that only a
 * cache miss or `wasmaot compile` maps libLLVM. Looks at $WASMAOT_COMPILER,
 * then next to the executable (the build tree's ../compiler/, an install's
 * ../lib/...), then the dynamic linker's search path; checks the wc_api
 * table's version and size before handing it out.
 */
#include "internal.h"
#include "wc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WL_COMPILER_SO "libwasmaot_compiler.so"

#if defined(__x86_64__)
#define WL_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define WL_MULTIARCH "aarch64-linux-gnu"
#else
#define WL_MULTIARCH "."
#endif

static const wc_api *loaded;

static const char *dl_why(void) {
  const char *why = wa_dl_error();
  return why ? why : "not available to this program";
}

/* Opens one candidate; 1 if it was loaded, 0 if it does not exist, or an
 * error if it exists but is unusable. */
static int try_open(const char *path, bool must_exist, wa_err *err) {
  if (strchr(path, '/') && access(path, F_OK) != 0) {
    if (must_exist)
      return wa_fail_errno(err, WA_ENOTFOUND, "compiler library %s", path);
    return 0;
  }
  void *h = wa_dl_open(path);
  if (!h) {
    if (!strchr(path, '/') && !must_exist)
      return 0; /* not on the search path */
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "cannot load the compiler: %s",
                   dl_why());
  }
  const wc_api *api = wa_dl_sym(h, WC_API_SYMBOL);
  if (!api) {
    wa_dl_close(h);
    return wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                   "%s has no %s table: not a wasmaot compiler", path,
                   WC_API_SYMBOL);
  }
  if (api->version != WC_API_VERSION || api->size < sizeof(wc_api)) {
    int rc =
        wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                "%s has compiler API version %u (size %u); this wasmaot "
                "needs version %u (size %zu)",
                path, api->version, api->size, WC_API_VERSION, sizeof(wc_api));
    wa_dl_close(h);
    return rc;
  }
  loaded = api; /* the handle stays open for the process's lifetime */
  return 1;
}

static const char *const rel_paths[] = {
    "../compiler/" WL_COMPILER_SO,
    "../lib/" WL_COMPILER_SO,
    "../lib/" WL_MULTIARCH "/" WL_COMPILER_SO,
    "../lib64/" WL_COMPILER_SO,
};

/* The directory of the running executable; false if unknown. */
static bool exe_dir(char *buf, size_t n) {
  ssize_t len = readlink("/proc/self/exe", buf, n - 1);
  if (len <= 0)
    return false;
  buf[len] = 0;
  char *slash = strrchr(buf, '/');
  if (slash)
    *slash = 0;
  return true;
}

/* Runs on every cache hit (the resolution id names the compiler file), so
 * the candidates are built in 'out' itself and one stat() both finds a
 * candidate and describes it: no access() and no PATH_MAX copies. */
bool wl_compiler_path(char *out, size_t n, struct stat *st) {
  const char *env = getenv("WASMAOT_COMPILER");
  if (env && *env) {
    snprintf(out, n, "%s", env);
    return stat(out, st) == 0;
  }
  if (exe_dir(out, n)) {
    size_t len = strlen(out);
    for (size_t i = 0; i < sizeof rel_paths / sizeof rel_paths[0]; i++) {
      int w = snprintf(out + len, n - len, "/%s", rel_paths[i]);
      if (w > 0 && (size_t)w < n - len && stat(out, st) == 0)
        return true;
    }
  }
  snprintf(out, n, "%s", WL_COMPILER_SO);
  return stat(out, st) == 0;
}

int wl_compiler_get(const wc_api **out, wa_err *err) {
  if (loaded) {
    *out = loaded;
    return 0;
  }
  int rc;
  const char *env = getenv("WASMAOT_COMPILER");
  if (env && *env) {
    if ((rc = try_open(env, true, err)) < 0) {
      wa_err_wrap(err, "$WASMAOT_COMPILER");
      return rc;
    }
    *out = loaded;
    return 0;
  }
  char exe[PATH_MAX];
  bool have_exe = exe_dir(exe, sizeof exe);
  if (have_exe) {
    for (size_t i = 0; i < sizeof rel_paths / sizeof rel_paths[0]; i++) {
      char path[PATH_MAX + 64];
      snprintf(path, sizeof path, "%s/%s", exe, rel_paths[i]);
      if ((rc = try_open(path, false, err)) != 0) {
        if (rc < 0)
          return rc;
        *out = loaded;
        return 0;
      }
    }
  }
  if ((rc = try_open(WL_COMPILER_SO, false, err)) != 0) {
    if (rc < 0)
      return rc;
    *out = loaded;
    return 0;
  }
  return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                 "the compiler (%s) is not installed: looked next to %s and "
                 "on the library path; set WASMAOT_COMPILER to its path",
                 WL_COMPILER_SO, have_exe ? exe : "the executable");
}
