// One concern: returning a status from main (proc_exit after _start).
// wasi-test: exit=7
#include <stdio.h>

int main(void) {
  puts("returning 7");
  return 7;
}
