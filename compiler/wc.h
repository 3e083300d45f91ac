/*
 * wc.h: the AOT compiler (prefix wc_): a validated Wasm module in, an
 * artifact (.wao: ELF relocatable object + .wasmaot.meta) out, through the
 * LLVM C API. Built as libwasmaot_compiler.so; the launcher dlopen()s it
 * only on a cache miss, through the versioned wc_api table below, so a
 * cached start never maps libLLVM.
 */
#ifndef WC_H
#define WC_H

#include "wa.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wc_config {
  const char *triple;   /* NULL: the host's, e.g. "x86_64-unknown-linux-gnu" */
  const char *cpu;      /* NULL: "native" for the host triple, else the
                           target's portable baseline (docs/cli.md);
                           "portable": that baseline on the host too */
  const char *features; /* extra LLVM features "+avx2,-bmi2" or NULL */
  uint8_t bounds;       /* WR_BOUNDS_GUARD or WR_BOUNDS_EXPLICIT */
  uint8_t opt_level;    /* 0..3; default 2 */
  uint32_t threads;     /* 0: all cores; chunked compilation */
  /* optional progress callback: done/total functions */
  void (*progress)(void *ud, uint32_t done, uint32_t total);
  void *progress_ud;
} wc_config;

void wc_config_default(wc_config *c);

/* The compile configuration as the artifact and cache key record it, with
 * NULLs resolved ("native" becomes the host CPU name and its features). */
typedef struct wc_resolved {
  char triple[64];
  char cpu[64];
  char features[1024];
  uint8_t bounds, opt_level;
} wc_resolved;
int wc_config_resolve(const wc_config *c, wc_resolved *out,
                      wa_err *err) WA_MUST_CHECK;

/*
 * Compiles a .wasm module (decoded and validated here) to an artifact in a
 * wa_malloc'd buffer owned by the caller. 'what' names the input in errors.
 */
int wc_compile(const uint8_t *wasm, size_t len, const char *what,
               const wc_config *cfg, uint8_t **out, size_t *out_len,
               wa_err *err) WA_MUST_CHECK;

const char *wc_version(void); /* compiler version recorded in artifacts */

/*
 * The table libwasmaot_compiler.so exports as the symbol "wc_api_v1".
 * Fields are only ever appended; check 'size' before using later fields
 * (the sqlite3ext.h pattern).
 */
typedef struct wc_api {
  uint32_t version; /* WC_API_VERSION */
  uint32_t size;    /* sizeof(wc_api) of the library */
  const char *(*version_string)(void);
  void (*config_default)(wc_config *c);
  int (*config_resolve)(const wc_config *c, wc_resolved *out, wa_err *err);
  int (*compile)(const uint8_t *wasm, size_t len, const char *what,
                 const wc_config *cfg, uint8_t **out, size_t *out_len,
                 wa_err *err);
  void (*free)(void *p); /* frees buffers returned by compile */
} wc_api;

#define WC_API_VERSION 1u
#define WC_API_SYMBOL "wc_api_v1"

#endif
