/*
 * dl.c: the dynamic loader behind wa_dl_*. Alone in its file so that a
 * static program replaces all of it (see wa.h).
 */
#include "wa.h"

#include <dlfcn.h>

void *wa_dl_open(const char *path) {
  return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

void *wa_dl_sym(void *handle, const char *name) {
  return dlsym(handle, name);
}

void wa_dl_close(void *handle) {
  dlclose(handle);
}

const char *wa_dl_error(void) {
  const char *e = dlerror();
  return e ? e : "unknown error";
}
