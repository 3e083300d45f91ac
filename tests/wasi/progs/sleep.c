// One concern: sleeping (poll_oneoff with one relative or absolute clock
// subscription, through nanosleep, usleep and clock_nanosleep).
// wasi-test: node-skip=uvwasi never wakes for an absolute monotonic deadline
#include "common.h"

#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

int main(void) {
  long long t0 = now_ms();
  struct timespec d = {0, 120000000};
  CHECK(nanosleep(&d, NULL) == 0);
  long long dt = now_ms() - t0;
  printf("nanosleep 120ms: >=120 %d <2000 %d\n", dt >= 120, dt < 2000);
  t0 = now_ms();
  CHECK(usleep(50000) == 0);
  dt = now_ms() - t0;
  printf("usleep 50ms: >=50 %d\n", dt >= 50);
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 80000000;
  if (abs.tv_nsec >= 1000000000) {
    abs.tv_sec++;
    abs.tv_nsec -= 1000000000;
  }
  t0 = now_ms();
  int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
  dt = now_ms() - t0;
  printf("clock_nanosleep abs 80ms: %s >=79 %d\n", errname(r), dt >= 79);
  struct timespec rt;
  clock_gettime(CLOCK_REALTIME, &rt);
  rt.tv_sec -= 10;
  t0 = now_ms();
  r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &rt, NULL);
  printf("deadline in the past returns at once: %s %d\n", errname(r),
         now_ms() - t0 < 50);
  d.tv_sec = 0;
  d.tv_nsec = 0;
  printf("zero sleep: %d\n", nanosleep(&d, NULL));
  return 0;
}
