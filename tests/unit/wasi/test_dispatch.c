#include "internal.h"

#include <criterion/criterion.h>
#include <stdlib.h>

/* The 46 functions of wasi_snapshot_preview1 (witx), in witx order. */
static const char *const preview1[] = {"args_get",
                                       "args_sizes_get",
                                       "environ_get",
                                       "environ_sizes_get",
                                       "clock_res_get",
                                       "clock_time_get",
                                       "fd_advise",
                                       "fd_allocate",
                                       "fd_close",
                                       "fd_datasync",
                                       "fd_fdstat_get",
                                       "fd_fdstat_set_flags",
                                       "fd_fdstat_set_rights",
                                       "fd_filestat_get",
                                       "fd_filestat_set_size",
                                       "fd_filestat_set_times",
                                       "fd_pread",
                                       "fd_prestat_get",
                                       "fd_prestat_dir_name",
                                       "fd_pwrite",
                                       "fd_read",
                                       "fd_readdir",
                                       "fd_renumber",
                                       "fd_seek",
                                       "fd_sync",
                                       "fd_tell",
                                       "fd_write",
                                       "path_create_directory",
                                       "path_filestat_get",
                                       "path_filestat_set_times",
                                       "path_link",
                                       "path_open",
                                       "path_readlink",
                                       "path_remove_directory",
                                       "path_rename",
                                       "path_symlink",
                                       "path_unlink_file",
                                       "poll_oneoff",
                                       "proc_exit",
                                       "proc_raise",
                                       "sched_yield",
                                       "random_get",
                                       "sock_accept",
                                       "sock_recv",
                                       "sock_send",
                                       "sock_shutdown"};

Test(wasi_dispatch, table_has_every_preview1_function_once) {
  size_t n = sizeof preview1 / sizeof preview1[0];
  cr_assert_eq(wi__n_fns, n);
  for (size_t i = 0; i < n; i++) {
    const wi__fn *f = wi__fn_find(preview1[i], strlen(preview1[i]));
    cr_assert_not_null(f, "%s missing", preview1[i]);
    cr_assert_str_eq(f->name, preview1[i]);
    cr_assert_not_null(wi_func_type(preview1[i], strlen(preview1[i])));
  }
  cr_assert_null(wi__fn_find("fd_wri", 6));
  cr_assert_null(wi__fn_find("fd_writes", 9));
}

static void assert_sig(const char *name, const char *params, int results) {
  const wr_meta_type *t = wi_func_type(name, strlen(name));
  cr_assert_not_null(t);
  cr_assert_eq(t->n_params, strlen(params), "%s", name);
  for (uint32_t i = 0; i < t->n_params; i++)
    cr_assert_eq(t->params[i], params[i] == 'I' ? 0x7e : 0x7f, "%s param %u",
                 name, i);
  cr_assert_eq(t->n_results, (uint32_t)results, "%s", name);
  if (results)
    cr_assert_eq(t->results[0], 0x7f);
}

/* i = i32, I = i64, as the witx lowering gives them. */
Test(wasi_dispatch, signatures_match_the_witx_lowering) {
  assert_sig("fd_write", "iiii", 1);
  assert_sig("clock_time_get", "iIi", 1);
  assert_sig("fd_seek", "iIii", 1);
  assert_sig("fd_pread", "iiiIi", 1);
  assert_sig("fd_readdir", "iiiIi", 1);
  assert_sig("fd_advise", "iIIi", 1);
  assert_sig("fd_fdstat_set_rights", "iII", 1);
  assert_sig("fd_filestat_set_times", "iIIi", 1);
  assert_sig("path_open", "iiiiiIIii", 1);
  assert_sig("path_filestat_set_times", "iiiiIIi", 1);
  assert_sig("path_link", "iiiiiii", 1);
  assert_sig("sock_recv", "iiiiii", 1);
  assert_sig("proc_exit", "i", 0);
  assert_sig("sched_yield", "", 1);
}

Test(wasi_dispatch, unknown_field_is_a_link_error_naming_it) {
  wa_err e;
  wa_err_init(&e);
  uint8_t p[] = {0x7f};
  wr_meta_type t = {1, 1, p, p};
  cr_assert_eq(wi_check_import("fd_wrte", 7, &t, &e), WA_ELINK);
  cr_assert(strstr(e.msg, "wasi_snapshot_preview1.fd_wrte"), "%s", e.msg);
}

Test(wasi_dispatch, type_mismatch_names_both_types) {
  wa_err e;
  wa_err_init(&e);
  uint8_t p[] = {0x7f, 0x7f};
  wr_meta_type t = {2, 1, p, p};
  cr_assert_eq(wi_check_import("fd_write", 8, &t, &e), WA_ELINK);
  cr_assert(strstr(e.msg, "wasi_snapshot_preview1.fd_write"), "%s", e.msg);
  cr_assert(strstr(e.msg, "(i32, i32) -> (i32)"), "%s", e.msg);
  cr_assert(strstr(e.msg, "(i32, i32, i32, i32) -> (i32)"), "%s", e.msg);
  /* A result where there is none. */
  wa_err_init(&e);
  wr_meta_type t2 = {1, 1, p, p};
  cr_assert_eq(wi_check_import("proc_exit", 9, &t2, &e), WA_ELINK);
  cr_assert(strstr(e.msg, "(i32) -> ()"), "%s", e.msg);
  wa_err_init(&e);
  wr_meta_type t3 = {1, 0, p, NULL};
  cr_assert_eq(wi_check_import("proc_exit", 9, &t3, &e), 0, "%s", e.msg);
}

Test(wasi_dispatch, module_name_is_exact) {
  cr_assert(wi_is_wasi_module("wasi_snapshot_preview1", 22));
  cr_assert_not(wi_is_wasi_module("wasi_unstable", 13));
  cr_assert_not(wi_is_wasi_module("wasi_snapshot_preview", 21));
}

static wi_ctx *mkctx(void) {
  wi_config c;
  wi_config_init(&c);
  const char *argv[] = {"a.wasm", "xy"};
  c.argc = 2;
  c.argv = argv;
  wi_ctx *ctx;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wi_ctx_new(&c, &ctx, &e), 0, "%s", e.msg);
  return ctx;
}

Test(wasi_dispatch, thunk_unpacks_values_and_stores_the_errno) {
  wi_ctx *ctx = mkctx();
  uint8_t *mem = calloc(1, 256);
  wi_mem m = {mem, 256};
  const wi__fn *f = wi__fn_find("args_sizes_get", 14);
  wr_val v[3];
  memset(v, 0xff, sizeof v);
  v[0].i32 = 16;
  v[1].i32 = 20;
  cr_assert_eq(f->thunk(ctx, &m, v), WR_TRAP_NONE);
  cr_assert_eq(v[0].i64, WI_ESUCCESS, "result slot fully written");
  cr_assert_eq(wi__ld32(mem + 16), 2);
  cr_assert_eq(wi__ld32(mem + 20), strlen("a.wasm") + 1 + 3);
  /* i64 arguments come from the whole slot. */
  const wi__fn *ct = wi__fn_find("clock_time_get", 14);
  v[0].i32 = WI_CLOCK_MONOTONIC;
  v[1].i64 = 0x100000000ull;
  v[2].i32 = 248;
  cr_assert_eq(ct->thunk(ctx, &m, v), WR_TRAP_NONE);
  cr_assert_eq(v[0].i32, WI_ESUCCESS);
  v[0].i32 = 0;
  v[2].i32 = 250; /* 8 bytes at 250 do not fit 256 */
  cr_assert_eq(ct->thunk(ctx, &m, v), WR_TRAP_NONE);
  cr_assert_eq(v[0].i32, WI_EFAULT);
  free(mem);
  wi_ctx_free(ctx);
}

Test(wasi_dispatch, proc_exit_thunk_traps_with_the_code) {
  wi_ctx *ctx = mkctx();
  wi_mem m = {NULL, 0};
  const wi__fn *f = wi__fn_find("proc_exit", 9);
  wr_val v[1];
  v[0].i32 = 42;
  int32_t code = -1;
  cr_assert_not(wi_ctx_exited(ctx, &code));
  cr_assert_eq(f->thunk(ctx, &m, v), WR_TRAP_EXIT);
  cr_assert(wi_ctx_exited(ctx, &code));
  cr_assert_eq(code, 42);
  wi_ctx_free(ctx);
}
