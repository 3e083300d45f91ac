/* The WASI preview1 host for wasm2c-translated benchmark modules: the
 * instance state that wasm2c passes to every import. Only what the
 * benchmarks need: args, environ (empty), clocks, stdio, exit, random. */
#ifndef BENCH_WASM2C_WASI_H
#define BENCH_WASM2C_WASI_H

#include "wasm-rt.h"

/* wasm2c names the import module's instance type after the module name. */
struct Z_wasi_snapshot_preview1_instance_t {
  wasm_rt_memory_t *mem; /* the module's exported "memory" */
  int argc;
  char **argv;
};

#endif
