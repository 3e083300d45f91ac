#include "fixture.h"

#include <criterion/criterion.h>
#include <signal.h>

TestSuite(wasi_proc, .init = fx_setup, .fini = fx_teardown);

Test(wasi_proc, args_sizes_and_layout) {
  cr_assert_eq(wi__args_sizes_get(F.ctx, &F.m, G_OUT, G_OUT2), 0);
  cr_assert_eq(fx_ld32(G_OUT), 3);
  cr_assert_eq(fx_ld32(G_OUT2), 5 + 8 + 1);
  cr_assert_eq(wi__args_get(F.ctx, &F.m, G_OUT, G_BUF), 0);
  cr_assert_eq(fx_ld32(G_OUT), G_BUF);
  cr_assert_eq(fx_ld32(G_OUT + 4), G_BUF + 5);
  cr_assert_eq(fx_ld32(G_OUT + 8), G_BUF + 13);
  cr_assert_str_eq((char *)F.m.base + G_BUF, "prog");
  cr_assert_str_eq((char *)F.m.base + G_BUF + 5, "arg one");
  cr_assert_str_eq((char *)F.m.base + G_BUF + 13, "");
}

Test(wasi_proc, environ_sizes_and_layout) {
  cr_assert_eq(wi__environ_sizes_get(F.ctx, &F.m, G_OUT, G_OUT2), 0);
  cr_assert_eq(fx_ld32(G_OUT), 2);
  cr_assert_eq(fx_ld32(G_OUT2), 4 + 10);
  cr_assert_eq(wi__environ_get(F.ctx, &F.m, G_OUT, G_BUF), 0);
  cr_assert_str_eq((char *)F.m.base + fx_ld32(G_OUT), "A=1");
  cr_assert_str_eq((char *)F.m.base + fx_ld32(G_OUT + 4), "PATH=/bin");
}

Test(wasi_proc, out_of_bounds_pointers_fault_without_writing) {
  cr_assert_eq(wi__args_sizes_get(F.ctx, &F.m, FX_MEM - 2, G_OUT), WI_EFAULT);
  cr_assert_eq(wi__args_sizes_get(F.ctx, &F.m, G_OUT, UINT32_MAX - 1),
               WI_EFAULT);
  /* The strings would run past the end: nothing is written at all. */
  memset(F.m.base + G_OUT, 0xaa, 16);
  cr_assert_eq(wi__args_get(F.ctx, &F.m, G_OUT, FX_MEM - 10), WI_EFAULT);
  cr_assert_eq(fx_ld32(G_OUT), 0xaaaaaaaa);
  cr_assert_eq(wi__environ_get(F.ctx, &F.m, UINT32_MAX - 3, G_BUF), WI_EFAULT);
}

Test(wasi_proc, random_get_fills_and_checks_bounds) {
  memset(F.m.base + G_BUF, 0, 4096);
  cr_assert_eq(wi__random_get(F.ctx, &F.m, G_BUF, 4096), 0);
  int zeros = 0;
  for (int i = 0; i < 4096; i++)
    zeros += F.m.base[G_BUF + i] == 0;
  cr_assert_lt(zeros, 100, "4096 random bytes with %d zeros", zeros);
  cr_assert_eq(wi__random_get(F.ctx, &F.m, FX_MEM, 0), 0, "empty at the end");
  cr_assert_eq(wi__random_get(F.ctx, &F.m, FX_MEM - 4, 5), WI_EFAULT);
  cr_assert_eq(wi__random_get(F.ctx, &F.m, 16, UINT32_MAX), WI_EFAULT);
}

Test(wasi_proc, proc_exit_records_the_full_code) {
  cr_assert_eq(wi__proc_exit(F.ctx, &F.m, 300), WI__EXIT);
  int32_t code;
  cr_assert(wi_ctx_exited(F.ctx, &code));
  cr_assert_eq(code, 300);
}

Test(wasi_proc, proc_raise_terminates_ignores_or_rejects) {
  cr_assert_eq(wi__proc_raise(F.ctx, &F.m, 0), WI_ESUCCESS);
  cr_assert_eq(wi__proc_raise(F.ctx, &F.m, 16), WI_ESUCCESS, "SIGCHLD");
  cr_assert_eq(wi__proc_raise(F.ctx, &F.m, 27), WI_ESUCCESS, "SIGWINCH");
  cr_assert_eq(wi__proc_raise(F.ctx, &F.m, 18), WI_ESUCCESS, "SIGSTOP");
  cr_assert_eq(wi__proc_raise(F.ctx, &F.m, 31), WI_EINVAL);
  cr_assert_not(wi_ctx_exited(F.ctx, NULL));
  cr_assert_eq(wi__proc_raise(F.ctx, &F.m, 15), WI__EXIT, "SIGTERM");
  int32_t code;
  cr_assert(wi_ctx_exited(F.ctx, &code));
  cr_assert_eq(code, 128 + SIGTERM);
  cr_assert_eq(wi__proc_raise(F.ctx, &F.m, 6), WI__EXIT, "SIGABRT");
  cr_assert(wi_ctx_exited(F.ctx, &code));
  cr_assert_eq(code, 128 + SIGABRT);
}

Test(wasi_proc, sched_yield_succeeds) {
  cr_assert_eq(wi__sched_yield(F.ctx, &F.m), 0);
}
