/*
 * log.c: the shim's log lines. Once the shim serves, they go to the
 * BUNDLE/log FIFO that containerd copies into its own log; a full FIFO
 * drops lines instead of blocking the shim.
 */
#include "shim_internal.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static bool log_debug;

void wl__log_set_fd(int fd, bool debug) {
  log_fd = fd;
  log_debug = debug;
}

void wl__log(int level, const char *fmt, ...) {
  static const char *const names[] = {"debug", "info", "warning", "error"};
  if (level == WL_LOG_DEBUG && !log_debug)
    return;
  if (log_fd < 0)
    return;
  char line[1024];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, sizeof line,
                   "time=\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\" level=%s "
                   "msg=\"wasmaot-shim[%d]: ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, names[level],
                   (int)getpid());
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof line)
    n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof line - 3)
    n = (int)sizeof line - 3;
  line[n++] = '"';
  line[n++] = '\n';
  int saved = errno;
  /* One write per line: FIFO writes up to PIPE_BUF are atomic. */
  ssize_t w = write(log_fd, line, (size_t)n);
  (void)w;
  errno = saved;
}
