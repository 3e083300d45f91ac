/*
 * clock.c: clock_res_get and clock_time_get for the four preview1 clocks,
 * straight from clock_getres/clock_gettime; poll.c uses wi__clock_now for
 * its deadlines. The precision argument is a hint and is ignored.
 */
#include "internal.h"

#include <errno.h>
#include <time.h>

/* The host clock of a WASI clock id, or -1. */
int wi__clock_host(uint32_t id) {
  switch (id) {
  case WI_CLOCK_REALTIME:
    return CLOCK_REALTIME;
  case WI_CLOCK_MONOTONIC:
    return CLOCK_MONOTONIC;
  case WI_CLOCK_PROCESS_CPUTIME:
    return CLOCK_PROCESS_CPUTIME_ID;
  case WI_CLOCK_THREAD_CPUTIME:
    return CLOCK_THREAD_CPUTIME_ID;
  default:
    return -1;
  }
}

static uint64_t ns(const struct timespec *ts) {
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

uint32_t wi__clock_now(uint32_t id, uint64_t *out) {
  int c = wi__clock_host(id);
  if (c < 0)
    return WI_EINVAL;
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0)
    return wi__errno(errno);
  *out = ns(&ts);
  return WI_ESUCCESS;
}

uint32_t wi__clock_res_get(wi_ctx *ctx, const wi_mem *m, uint32_t id,
                           uint32_t out) {
  int c = wi__clock_host(id);
  if (c < 0)
    return WI_EINVAL;
  if (!wi__mem_ok(m, out, 8))
    return WI_EFAULT;
  struct timespec ts;
  if (clock_getres(c, &ts) != 0)
    return wi__errno(errno);
  wi__st64(wi__mem_at(m, out), ns(&ts));
  return WI_ESUCCESS;
}

uint32_t wi__clock_time_get(wi_ctx *ctx, const wi_mem *m, uint32_t id,
                            uint64_t precision, uint32_t out) {
  uint64_t now;
  if (wi__clock_host(id) < 0)
    return WI_EINVAL;
  if (!wi__mem_ok(m, out, 8))
    return WI_EFAULT;
  uint32_t rc = wi__clock_now(id, &now);
  if (rc)
    return rc;
  wi__st64(wi__mem_at(m, out), now);
  return WI_ESUCCESS;
}
