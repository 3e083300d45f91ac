// One concern: sched_yield, in a loop.
#include "common.h"

#include <sched.h>

int main(void) {
  int ok = 0;
  for (int i = 0; i < 1000; i++)
    ok += sched_yield() == 0;
  printf("sched_yield ok %d times\n", ok);
  return 0;
}
