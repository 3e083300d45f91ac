/* Entry point of a wasm2c-translated benchmark: instantiate the module
 * (translated with `wasm2c -n kernel`, so its symbols are Z_kernel*), hook
 * up the WASI host and call _start. A trap exits with status 134 and a
 * message, like the other engines' abort. */
#include "kernel.h"
#include "wasi.h"
#include "wasm-rt-impl.h"

#include <stdio.h>

static Z_kernel_instance_t instance;

int main(int argc, char **argv) {
  struct Z_wasi_snapshot_preview1_instance_t wasi = {NULL, argc, argv};
  wasm_rt_init();
  Z_kernel_init_module();
  Z_kernel_instantiate(&instance, &wasi);
  wasi.mem = Z_kernelZ_memory(&instance);
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) {
    fprintf(stderr, "wasm2c: trap: %s\n", wasm_rt_strerror(trap));
    return 134;
  }
  Z_kernelZ__start(&instance);
  Z_kernel_free(&instance);
  wasm_rt_free();
  return 0;
}
