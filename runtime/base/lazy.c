/*
 * lazy.c: the loader behind wa_lazy.h's stubs.
 */
#include "wa_lazy.h"

#include "wa.h"

#include <stdio.h>

void *wa_lazy_sym(wa_lazy_lib *lib, const char *name) {
  if (!__atomic_load_n(&lib->tried, __ATOMIC_ACQUIRE)) {
    pthread_mutex_lock(&lib->mu);
    if (!lib->tried) {
      lib->handle = wa_dl_open(lib->soname);
      const char *why = lib->handle ? NULL : wa_dl_error();
      if (why)
        fprintf(stderr, "wasmaot: cannot load %s: %s\n", lib->soname, why);
      __atomic_store_n(&lib->tried, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lib->mu);
  }
  if (!lib->handle)
    return NULL;
  void *f = wa_dl_sym(lib->handle, name);
  if (!f)
    fprintf(stderr, "wasmaot: %s has no %s: %s\n", lib->soname, name,
            wa_dl_error());
  return f;
}
