/*
 * wa_lazy.h: libraries loaded on first use. A module that calls a heavy
 * library only on some paths (libcurl for pulls, libarchive for layers and
 * cache archives) defines each function it calls as a weak stub that
 * dlopen()s the library once and jumps to the real function, so a cached
 * `wasmaot run` never pays for the library's dependency chain. The stubs
 * are weak: two modules may stub the same function (one wins), and a
 * program that links the real library still works.
 */
#ifndef WA_LAZY_H
#define WA_LAZY_H

#include <pthread.h>

typedef struct wa_lazy_lib {
  const char *soname;
  pthread_mutex_t mu;
  int tried; /* dlopen() was attempted; handle is final */
  void *handle;
} wa_lazy_lib;

#define WA_LAZY_LIB(soname)                                                    \
  { (soname), PTHREAD_MUTEX_INITIALIZER, 0, NULL }

/* The address of 'name' in the library, loading it on the first call. NULL
 * if it cannot be loaded: said once per library on stderr (the library is
 * part of the installation, so this is a broken install); the stub then
 * returns the function's failure value and the caller reports that. */
void *wa_lazy_sym(wa_lazy_lib *lib, const char *name);

/* The real function's address, cached in the stub; threads may race. */
#define WA__LAZY_REAL(lib, name)                                               \
  static void *real;                                                           \
  void *f = __atomic_load_n(&real, __ATOMIC_ACQUIRE);                          \
  if (!f) {                                                                    \
    f = wa_lazy_sym(&(lib), #name);                                            \
    __atomic_store_n(&real, f, __ATOMIC_RELEASE);                              \
  }

/* A stub returning 'ret' ('fail' when the library is missing), and one
 * returning nothing. params and args are parenthesised lists. */
#define WA_LAZY_STUB(lib, ret, name, params, args, fail)                       \
  __attribute__((weak)) ret name params {                                      \
    WA__LAZY_REAL(lib, name)                                                   \
    return f ? ((ret(*) params)f)args : fail;                                  \
  }
#define WA_LAZY_VSTUB(lib, name, params, args)                                 \
  __attribute__((weak)) void name params {                                     \
    WA__LAZY_REAL(lib, name)                                                   \
    if (f)                                                                     \
      ((void(*) params)f) args;                                                \
  }

/* For hand-written stubs (variadic functions): declares and fills `f`. */
#define WA_LAZY_REAL(lib, name) WA__LAZY_REAL(lib, name)

#endif
