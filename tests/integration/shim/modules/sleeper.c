/* sleeper.c: prints "sleeping" and sleeps until it is killed. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("sleeping\n");
  fflush(stdout);
  for (;;)
    sleep(1000);
}
