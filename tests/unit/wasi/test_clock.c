#include "fixture.h"

#include <criterion/criterion.h>
#include <time.h>

TestSuite(wasi_clock, .init = fx_setup, .fini = fx_teardown);

Test(wasi_clock, every_clock_has_a_resolution_and_a_time) {
  for (uint32_t id = 0; id <= 3; id++) {
    cr_assert_eq(wi__clock_res_get(F.ctx, &F.m, id, G_OUT), 0, "clock %u", id);
    uint64_t res = fx_ld64(G_OUT);
    cr_assert(res > 0 && res <= 1000000000u, "clock %u res %lu", id,
              (unsigned long)res);
    cr_assert_eq(wi__clock_time_get(F.ctx, &F.m, id, 0, G_OUT), 0);
  }
}

Test(wasi_clock, realtime_is_the_wall_clock_in_nanoseconds) {
  time_t before = time(NULL);
  cr_assert_eq(wi__clock_time_get(F.ctx, &F.m, WI_CLOCK_REALTIME, 1, G_OUT), 0);
  uint64_t ns = fx_ld64(G_OUT);
  cr_assert_geq(ns / 1000000000u, (uint64_t)before);
  cr_assert_leq(ns / 1000000000u, (uint64_t)before + 2);
}

Test(wasi_clock, monotonic_does_not_go_back) {
  uint64_t last = 0;
  for (int i = 0; i < 1000; i++) {
    cr_assert_eq(wi__clock_time_get(F.ctx, &F.m, WI_CLOCK_MONOTONIC, 0, G_OUT),
                 0);
    cr_assert_geq(fx_ld64(G_OUT), last);
    last = fx_ld64(G_OUT);
  }
}

Test(wasi_clock, cputime_advances_with_work) {
  cr_assert_eq(
      wi__clock_time_get(F.ctx, &F.m, WI_CLOCK_PROCESS_CPUTIME, 0, G_OUT), 0);
  uint64_t a = fx_ld64(G_OUT);
  volatile uint64_t x = 0;
  for (uint64_t i = 0; i < 20000000; i++)
    x += i;
  cr_assert_eq(
      wi__clock_time_get(F.ctx, &F.m, WI_CLOCK_THREAD_CPUTIME, 0, G_OUT), 0);
  cr_assert_eq(
      wi__clock_time_get(F.ctx, &F.m, WI_CLOCK_PROCESS_CPUTIME, 0, G_OUT), 0);
  cr_assert_gt(fx_ld64(G_OUT), a);
}

Test(wasi_clock, bad_id_is_inval_and_bad_pointer_is_fault) {
  cr_assert_eq(wi__clock_res_get(F.ctx, &F.m, 4, G_OUT), WI_EINVAL);
  cr_assert_eq(wi__clock_time_get(F.ctx, &F.m, 99, 0, G_OUT), WI_EINVAL);
  cr_assert_eq(wi__clock_res_get(F.ctx, &F.m, 0, FX_MEM - 7), WI_EFAULT);
  cr_assert_eq(wi__clock_time_get(F.ctx, &F.m, 1, 0, UINT32_MAX), WI_EFAULT);
}
