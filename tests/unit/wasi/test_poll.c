#include "fixture.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <unistd.h>

TestSuite(wasi_poll, .init = fx_setup, .fini = fx_teardown);

#define G_SUBS 0x3000
#define G_EVS 0x5000

static uint8_t *sub_at(uint32_t i) {
  return F.m.base + G_SUBS + i * WI_SIZEOF_SUBSCRIPTION;
}
static uint8_t *ev_at(uint32_t i) {
  return F.m.base + G_EVS + i * WI_SIZEOF_EVENT;
}

static void clock_sub(uint32_t i, uint64_t ud, uint32_t id, uint64_t timeout,
                      uint16_t flags) {
  uint8_t *s = sub_at(i);
  memset(s, 0xcc, WI_SIZEOF_SUBSCRIPTION); /* padding must not matter */
  wi__st64(s, ud);
  s[8] = WI_EVENT_CLOCK;
  wi__st32(s + 16, id);
  wi__st64(s + 24, timeout);
  wi__st64(s + 32, 0);
  wi__st16(s + 40, flags);
}

static void fd_sub(uint32_t i, uint64_t ud, uint8_t type, uint32_t fd) {
  uint8_t *s = sub_at(i);
  memset(s, 0xcc, WI_SIZEOF_SUBSCRIPTION);
  wi__st64(s, ud);
  s[8] = type;
  wi__st32(s + 16, fd);
}

static uint32_t poll_n(uint32_t n) {
  memset(F.m.base + G_EVS, 0xaa, n * WI_SIZEOF_EVENT + 32);
  cr_assert_eq(wi__poll_oneoff(F.ctx, &F.m, G_SUBS, G_EVS, n, G_OUT), 0);
  return fx_ld32(G_OUT);
}

static uint64_t now_ns(uint32_t id) {
  cr_assert_eq(wi__clock_time_get(F.ctx, &F.m, id, 0, G_OUT2), 0);
  return fx_ld64(G_OUT2);
}

/* A pipe installed as a guest fd; returns the guest fd of 'end'. */
static uint32_t pipe_fd(int p[2], int end) {
  cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
  uint32_t fd;
  int h = dup(p[end]);
  cr_assert_eq(wi__fd_install(F.ctx, h, WI_KIND_FILE, WI_FILETYPE_UNKNOWN,
                              WI_RIGHTS_FILE, 0, &fd),
               0);
  return fd;
}

Test(wasi_poll, relative_clock_sleeps_and_reports_its_userdata) {
  clock_sub(0, 0x1122334455667788ull, WI_CLOCK_MONOTONIC, 50000000, 0);
  uint64_t t0 = now_ns(WI_CLOCK_MONOTONIC);
  cr_assert_eq(poll_n(1), 1);
  uint64_t dt = now_ns(WI_CLOCK_MONOTONIC) - t0;
  cr_assert_geq(dt, 50000000u, "slept %lu ns", (unsigned long)dt);
  cr_assert_lt(dt, 2000000000u);
  const uint8_t *e = ev_at(0);
  cr_assert_eq(wi__ld64(e), 0x1122334455667788ull);
  cr_assert_eq(wi__ld16(e + 8), 0);
  cr_assert_eq(e[10], WI_EVENT_CLOCK);
  for (int i = 11; i < 32; i++)
    cr_assert_eq(e[i], 0, "event byte %d", i);
  cr_assert_eq(ev_at(1)[0], 0xaa, "one event only");
}

Test(wasi_poll, absolute_deadlines_on_both_clocks) {
  uint64_t t0 = now_ns(WI_CLOCK_MONOTONIC);
  clock_sub(0, 1, WI_CLOCK_MONOTONIC, t0 + 30000000, WI_SUBCLOCK_ABSTIME);
  cr_assert_eq(poll_n(1), 1);
  cr_assert_geq(now_ns(WI_CLOCK_MONOTONIC), t0 + 30000000);
  uint64_t r0 = now_ns(WI_CLOCK_REALTIME);
  clock_sub(0, 2, WI_CLOCK_REALTIME, r0 + 30000000, WI_SUBCLOCK_ABSTIME);
  cr_assert_eq(poll_n(1), 1);
  cr_assert_geq(now_ns(WI_CLOCK_REALTIME), r0 + 30000000);
  /* A deadline in the past fires at once. */
  clock_sub(0, 3, WI_CLOCK_REALTIME, 1, WI_SUBCLOCK_ABSTIME);
  uint64_t m0 = now_ns(WI_CLOCK_MONOTONIC);
  cr_assert_eq(poll_n(1), 1);
  cr_assert_lt(now_ns(WI_CLOCK_MONOTONIC) - m0, 20000000u);
  cr_assert_eq(wi__ld64(ev_at(0)), 3);
}

Test(wasi_poll, only_due_clocks_fire) {
  clock_sub(0, 1, WI_CLOCK_MONOTONIC, 5000000000ull, 0);
  clock_sub(1, 2, WI_CLOCK_MONOTONIC, 10000000, 0);
  cr_assert_eq(poll_n(2), 1);
  cr_assert_eq(wi__ld64(ev_at(0)), 2);
}

Test(wasi_poll, readable_pipe_wins_over_a_clock_with_nbytes) {
  int p[2];
  uint32_t fd = pipe_fd(p, 0);
  cr_assert_eq(write(p[1], "hello", 5), 5);
  fd_sub(0, 7, WI_EVENT_FD_READ, fd);
  clock_sub(1, 8, WI_CLOCK_MONOTONIC, 5000000000ull, 0);
  cr_assert_eq(poll_n(2), 1);
  cr_assert_eq(wi__ld64(ev_at(0)), 7);
  cr_assert_eq(ev_at(0)[10], WI_EVENT_FD_READ);
  cr_assert_eq(wi__ld64(ev_at(0) + 16), 5, "nbytes");
  cr_assert_eq(wi__ld16(ev_at(0) + 24), 0);
  close(p[0]);
  close(p[1]);
}

Test(wasi_poll, empty_pipe_times_out_and_hangup_is_flagged) {
  int p[2];
  uint32_t fd = pipe_fd(p, 0);
  fd_sub(0, 7, WI_EVENT_FD_READ, fd);
  clock_sub(1, 8, WI_CLOCK_MONOTONIC, 20000000, 0);
  cr_assert_eq(poll_n(2), 1);
  cr_assert_eq(wi__ld64(ev_at(0)), 8);
  close(p[1]);
  cr_assert_eq(poll_n(2), 1);
  cr_assert_eq(wi__ld64(ev_at(0)), 7);
  cr_assert_eq(wi__ld16(ev_at(0) + 24), WI_EVENT_HANGUP);
  close(p[0]);
}

Test(wasi_poll, writable_fd_and_regular_files_are_ready) {
  int p[2];
  uint32_t wfd = pipe_fd(p, 1);
  uint32_t ffd;
  cr_assert_eq(fx_open("f", WI_O_CREAT, R_RW, &ffd), 0);
  cr_assert_eq(fx_fd_write(ffd, "abcdef"), 0);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, ffd, 2, WI_WHENCE_SET, G_OUT2), 0);
  fd_sub(0, 1, WI_EVENT_FD_WRITE, wfd);
  fd_sub(1, 2, WI_EVENT_FD_READ, ffd);
  cr_assert_eq(poll_n(2), 2);
  cr_assert_eq(ev_at(0)[10], WI_EVENT_FD_WRITE);
  cr_assert_eq(wi__ld64(ev_at(1) + 16), 4, "bytes left after the offset");
  close(p[0]);
  close(p[1]);
}

Test(wasi_poll, bad_fds_and_clocks_complete_at_once_with_their_error) {
  fd_sub(0, 1, WI_EVENT_FD_READ, 77);
  clock_sub(1, 2, WI_CLOCK_MONOTONIC, 5000000000ull, 0);
  clock_sub(2, 3, 9, 1, 0);
  clock_sub(3, 4, WI_CLOCK_PROCESS_CPUTIME, 1, 0);
  uint64_t t0 = now_ns(WI_CLOCK_MONOTONIC);
  cr_assert_eq(poll_n(4), 3);
  cr_assert_lt(now_ns(WI_CLOCK_MONOTONIC) - t0, 1000000000u);
  cr_assert_eq(wi__ld16(ev_at(0) + 8), WI_EBADF);
  cr_assert_eq(ev_at(0)[10], WI_EVENT_FD_READ);
  cr_assert_eq(wi__ld16(ev_at(1) + 8), WI_EINVAL);
  cr_assert_eq(wi__ld16(ev_at(2) + 8), WI_ENOTSUP);
  /* A directory has the poll right; a file whose right was dropped not. */
  uint32_t fd;
  cr_assert_eq(fx_open("f", WI_O_CREAT, R_RW, &fd), 0);
  cr_assert_eq(
      wi__fd_fdstat_set_rights(F.ctx, &F.m, fd,
                               R_RW & ~(uint64_t)WI_R_POLL_FD_READWRITE, 0),
      0);
  fd_sub(0, 1, WI_EVENT_FD_READ, fd);
  cr_assert_eq(poll_n(1), 1);
  cr_assert_eq(wi__ld16(ev_at(0) + 8), WI_ENOTCAPABLE);
}

Test(wasi_poll, argument_errors) {
  cr_assert_eq(wi__poll_oneoff(F.ctx, &F.m, G_SUBS, G_EVS, 0, G_OUT),
               WI_EINVAL);
  clock_sub(0, 1, WI_CLOCK_MONOTONIC, 0, 0);
  cr_assert_eq(wi__poll_oneoff(F.ctx, &F.m, FX_MEM - 47, G_EVS, 1, G_OUT),
               WI_EFAULT);
  cr_assert_eq(wi__poll_oneoff(F.ctx, &F.m, G_SUBS, FX_MEM - 31, 1, G_OUT),
               WI_EFAULT);
  cr_assert_eq(wi__poll_oneoff(F.ctx, &F.m, G_SUBS, G_EVS, 1, FX_MEM - 3),
               WI_EFAULT);
  cr_assert_eq(wi__poll_oneoff(F.ctx, &F.m, G_SUBS, G_EVS, 0x10000000, G_OUT),
               WI_EFAULT);
  sub_at(0)[8] = 3;
  cr_assert_eq(wi__poll_oneoff(F.ctx, &F.m, G_SUBS, G_EVS, 1, G_OUT),
               WI_EINVAL);
  clock_sub(0, 1, WI_CLOCK_MONOTONIC, 0, 2);
  cr_assert_eq(poll_n(1), 1);
  cr_assert_eq(wi__ld16(ev_at(0) + 8), WI_EINVAL, "unknown subclockflags");
}
