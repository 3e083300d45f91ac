/* The start-up benchmark's module: print one line and exit. Its run time is
 * almost entirely engine start-up (load, instantiate, WASI set-up). */
#include <stdio.h>

int main(void) {
  puts("hello from wasm");
  return 0;
}
