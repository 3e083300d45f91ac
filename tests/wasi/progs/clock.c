// One concern: the four clocks (clock_time_get, clock_res_get). Values
// differ per run; the program prints properties only.
// wasi-test: node-differs=uvwasi: thread CPU clock resolution is ~0.15 s
#include "common.h"

#include <time.h>

static long long ns(struct timespec t) {
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                     CLOCK_THREAD_CPUTIME_ID};
  const char *names[] = {"realtime", "monotonic", "process", "thread"};
  for (int i = 0; i < 4; i++) {
    struct timespec r, t;
    int a = clock_getres(ids[i], &r), b = clock_gettime(ids[i], &t);
    printf("%s: getres %s res<=1ms %d gettime %s\n", names[i],
           a == 0 ? "OK" : errname(errno),
           a == 0 && ns(r) > 0 && ns(r) <= 1000000,
           b == 0 ? "OK" : errname(errno));
  }
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  time_t now = time(NULL);
  printf("realtime is after 2024: %d\n", t.tv_sec > 1704067200);
  printf("time() agrees: %d\n", now - t.tv_sec >= 0 && now - t.tv_sec <= 2);
  struct timespec m0, m1;
  clock_gettime(CLOCK_MONOTONIC, &m0);
  long long last = ns(m0), backwards = 0;
  for (int i = 0; i < 100000; i++) {
    clock_gettime(CLOCK_MONOTONIC, &m1);
    if (ns(m1) < last)
      backwards++;
    last = ns(m1);
  }
  printf("monotonic never goes back: %d\n", backwards == 0);
  struct timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < 50000000; i++)
    x += i;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  printf("cpu time advances with work: %d\n", ns(c1) > ns(c0));
  SHOW("bad clock id", clock_gettime((clockid_t)1234, &t));
  return 0;
}
