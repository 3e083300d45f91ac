/*
 * poll.c: poll_oneoff. Clock subscriptions (realtime or monotonic,
 * relative or absolute) become one deadline on the monotonic clock; fd
 * subscriptions become a ppoll(2) set. A subscription that cannot be
 * waited on (bad fd, missing right, unknown clock) completes at once with
 * its error in the event, as the witx `event.error` field allows.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct sub {
  uint64_t userdata;
  uint8_t type;
  uint16_t error;    /* set: completes at once with this error */
  int pfd;           /* index into the pollfd array, or -1 */
  uint64_t deadline; /* clock: monotonic ns */
} sub;

static uint64_t mono_now(void) {
  uint64_t t = 0;
  (void)wi__clock_now(WI_CLOCK_MONOTONIC, &t);
  return t;
}

static uint64_t sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Reads subscription i into s (and pfds). */
static void parse(wi_ctx *ctx, const uint8_t *p, sub *s, struct pollfd *pfds,
                  int *npfd, uint64_t now) {
  s->userdata = wi__ld64(p);
  s->type = p[8];
  s->error = 0;
  s->pfd = -1;
  s->deadline = 0;
  if (s->type == WI_EVENT_CLOCK) {
    uint32_t id = wi__ld32(p + 16);
    uint64_t timeout = wi__ld64(p + 24);
    uint16_t flags = wi__ld16(p + 40);
    uint64_t clock_now;
    if (flags & ~(uint16_t)WI_SUBCLOCK_ABSTIME) {
      s->error = WI_EINVAL;
    } else if (id == WI_CLOCK_PROCESS_CPUTIME ||
               id == WI_CLOCK_THREAD_CPUTIME) {
      s->error = WI_ENOTSUP; /* CPU time does not pass while we sleep */
    } else if (wi__clock_now(id, &clock_now) != WI_ESUCCESS) {
      s->error = WI_EINVAL;
    } else if (flags & WI_SUBCLOCK_ABSTIME) {
      /* Converted once: a realtime jump during the wait is not seen. */
      s->deadline =
          timeout > clock_now ? sat_add(now, timeout - clock_now) : now;
    } else {
      s->deadline = sat_add(now, timeout);
    }
    return;
  }
  uint32_t fd = wi__ld32(p + 16);
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_POLL_FD_READWRITE, &f);
  if (rc) {
    s->error = (uint16_t)rc;
    return;
  }
  s->pfd = *npfd;
  pfds[*npfd].fd = f->host;
  pfds[*npfd].events = s->type == WI_EVENT_FD_READ ? POLLIN : POLLOUT;
  pfds[*npfd].revents = 0;
  (*npfd)++;
}

/* Bytes that can be read now: the rest of a regular file, else FIONREAD. */
static uint64_t readable(int h) {
  struct stat st;
  if (fstat(h, &st) == 0 && S_ISREG(st.st_mode)) {
    off_t pos = lseek(h, 0, SEEK_CUR);
    return pos >= 0 && st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
  }
  int n = 0;
  return ioctl(h, FIONREAD, &n) == 0 && n > 0 ? (uint64_t)n : 0;
}

static void put_event(uint8_t *e, const sub *s, uint16_t error, uint64_t nbytes,
                      uint16_t flags) {
  memset(e, 0, WI_SIZEOF_EVENT);
  wi__st64(e, s->userdata);
  wi__st16(e + 8, error);
  e[10] = s->type;
  wi__st64(e + 16, nbytes);
  wi__st16(e + 24, flags);
}

uint32_t wi__poll_oneoff(wi_ctx *ctx, const wi_mem *m, uint32_t in,
                         uint32_t out, uint32_t n, uint32_t nevents) {
  if (n == 0)
    return WI_EINVAL;
  if (!wi__mem_ok(m, in, (uint64_t)n * WI_SIZEOF_SUBSCRIPTION) ||
      !wi__mem_ok(m, out, (uint64_t)n * WI_SIZEOF_EVENT) ||
      !wi__mem_ok(m, nevents, 4))
    return WI_EFAULT;
  for (uint32_t i = 0; i < n; i++) {
    uint8_t tag = wi__mem_at(m, in + i * WI_SIZEOF_SUBSCRIPTION)[8];
    if (tag > WI_EVENT_FD_WRITE)
      return WI_EINVAL;
  }
  sub *subs = wa_malloc(n * sizeof *subs);
  struct pollfd *pfds = wa_malloc(n * sizeof *pfds);
  uint32_t rc = WI_ESUCCESS;
  if (!subs || !pfds) {
    rc = WI_ENOMEM;
    goto out;
  }
  int npfd = 0;
  bool has_clock = false, immediate = false;
  uint64_t now = mono_now(), first = UINT64_MAX;
  for (uint32_t i = 0; i < n; i++) {
    parse(ctx, wi__mem_at(m, in + i * WI_SIZEOF_SUBSCRIPTION), &subs[i], pfds,
          &npfd, now);
    if (subs[i].error)
      immediate = true;
    else if (subs[i].type == WI_EVENT_CLOCK) {
      has_clock = true;
      if (subs[i].deadline < first)
        first = subs[i].deadline;
    }
  }
  /* Wait: until an fd is ready, the first deadline passes, or not at all
   * if something already completed. EINTR waits again for what is left. */
  for (;;) {
    struct timespec ts, *tp = NULL;
    if (immediate || has_clock) {
      uint64_t left = immediate || first <= now ? 0 : first - now;
      ts.tv_sec = (time_t)(left / 1000000000u);
      ts.tv_nsec = (long)(left % 1000000000u);
      tp = &ts;
    }
    int r = ppoll(pfds, (nfds_t)npfd, tp, NULL);
    if (r >= 0)
      break;
    if (errno != EINTR) {
      rc = wi__errno(errno);
      goto out;
    }
    now = mono_now();
  }
  now = mono_now();
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    const sub *s = &subs[i];
    uint8_t *e = wi__mem_at(m, out + k * WI_SIZEOF_EVENT);
    if (s->error) {
      put_event(e, s, s->error, 0, 0);
      k++;
    } else if (s->pfd >= 0 && pfds[s->pfd].revents) {
      short re = pfds[s->pfd].revents;
      uint16_t flags = (re & POLLHUP) ? WI_EVENT_HANGUP : 0;
      uint64_t nb = s->type == WI_EVENT_FD_READ && !(re & POLLNVAL)
                        ? readable(pfds[s->pfd].fd)
                        : 0;
      put_event(e, s, (re & POLLNVAL) ? WI_EBADF : 0, nb, flags);
      k++;
    }
  }
  /* Clocks fire when due. If nothing at all completed, the wait ended at
   * the first deadline: report that clock even if the host clock lags. */
  bool none = k == 0;
  for (uint32_t i = 0; i < n; i++) {
    const sub *s = &subs[i];
    if (s->type != WI_EVENT_CLOCK || s->error)
      continue;
    if (s->deadline <= now || (none && s->deadline == first)) {
      put_event(wi__mem_at(m, out + k * WI_SIZEOF_EVENT), s, 0, 0, 0);
      k++;
    }
  }
  wi__st32(wi__mem_at(m, nevents), k);
out:
  wa_free(subs);
  wa_free(pfds);
  return rc;
}
