/*
 * harness.h: runs compiled artifacts without the runtime. Compiles a test
 * module (wat2wasm'd at build time) with wc_compile, links the artifact's
 * ELF object into a shared object with the system C compiler, dlopen()s
 * it and instantiates it on a vmctx laid out per wr_abi.h, with helpers
 * written here (traps unwind with siglongjmp). A deliberately small
 * stand-in for the runtime: one instance, no memory or table imports.
 */
#ifndef WCT_HARNESS_H
#define WCT_HARNESS_H

#include "meta.h"
#include "wc.h"
#include "wr_abi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wct wct;

/* A host import: reads params from vals, writes results; returns a trap
 * kind or 0. */
typedef uint32_t (*wct_host_fn)(wct *t, uint32_t func, wr_val *vals);

typedef struct wct_opts {
  uint8_t bounds;      /* WR_BOUNDS_* */
  uint8_t opt_level;   /* 0..3 */
  wct_host_fn host;    /* for imported functions */
  const wr_val *globals; /* initial values of imported globals */
} wct_opts;

/* Reads build/.../wasm/<name>.wasm. */
int wct_wasm(const char *name, uint8_t **out, size_t *len);

/* Compiles <name>.wasm with the options and instantiates it (data and
 * element segments, globals, start function). On failure returns -1 with
 * a message in msg. */
int wct_open(const char *name, const wct_opts *o, wct **out, char *msg,
             size_t n);
/* The same from module bytes ('what' names them in messages). */
int wct_open_bytes(const uint8_t *wasm, size_t len, const char *what,
                   const wct_opts *o, wct **out, char *msg, size_t n);
void wct_close(wct *t);

/* Calls an exported function: args in vals[0..], results back in vals.
 * Returns WR_TRAP_NONE or the trap kind. */
uint32_t wct_call(wct *t, const char *export_name, wr_val *vals);
uint32_t wct_call_n(wct *t, const char *export_name, size_t len,
                    wr_val *vals);

/* Reads an exported global; -1 if there is no such export. */
int wct_global_get(wct *t, const char *export_name, size_t len,
                   wr_val *out);
/* The type of an exported function, or NULL. */
const wr_meta_type *wct_export_type(wct *t, const char *export_name,
                                    size_t len);

/* Memory 0 of the instance. */
uint8_t *wct_memory(wct *t, uint64_t *size);
const wr_meta *wct_meta(wct *t);
uint32_t wct_host_calls(wct *t);

/* Scalars in and out of wr_val. */
static inline wr_val wct_i32(uint32_t v) {
  wr_val x = {.i64 = 0};
  x.i32 = v;
  return x;
}
static inline wr_val wct_i64(uint64_t v) {
  wr_val x = {.i64 = v};
  return x;
}
wr_val wct_f32(float f);
wr_val wct_f64(double d);
float wct_as_f32(wr_val v);
double wct_as_f64(wr_val v);

#endif
