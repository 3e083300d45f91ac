/*
 * w2c_host.c: a test engine for runtime/wasi that needs no wasmaot
 * runtime. run.sh translates a program with wasm2c (module name "prog"),
 * compiles the C with this file and links the WASI core (wi_wasi_core), so
 * every WASI call of a real wasi-libc program goes through our
 * implementation. The imports are generated from wasi.def: each packs its
 * arguments into wr_val slots and runs the row's thunk, as link.c does for
 * the real runtime.
 *   w2c_host [--dir HOST::GUEST]... [--env K=V]... [--tcplisten A]... \
 *            -- FILE.wasm ARGS...
 */
#include "internal.h"
#include "prog.h"
#include "wasm-rt-impl.h"

#include <stdio.h>
#include <stdlib.h>

struct Z_wasi_snapshot_preview1_instance_t {
  wi_ctx *ctx;
  Z_prog_instance_t *inst;
};

static uint32_t call(struct Z_wasi_snapshot_preview1_instance_t *e,
                     const char *name, wr_val *v) {
  const wi__fn *f = wi__fn_find(name, strlen(name));
  wasm_rt_memory_t *mem = Z_progZ_memory(e->inst);
  wi_mem m = {mem->data, mem->size};
  if (f->thunk(e->ctx, &m, v) == WR_TRAP_EXIT) {
    int32_t code = 0;
    (void)wi_ctx_exited(e->ctx, &code);
    fflush(stdout);
    exit(code);
  }
  return v[0].i32;
}

#define W_CT_I32 u32
#define W_CT_I64 u64
#define W_P_0()
#define W_P_1(a) , W_CT_##a p0
#define W_P_2(a, b) W_P_1(a), W_CT_##b p1
#define W_P_3(a, b, c) W_P_2(a, b), W_CT_##c p2
#define W_P_4(a, b, c, d) W_P_3(a, b, c), W_CT_##d p3
#define W_P_5(a, b, c, d, e) W_P_4(a, b, c, d), W_CT_##e p4
#define W_P_6(a, b, c, d, e, f) W_P_5(a, b, c, d, e), W_CT_##f p5
#define W_P_7(a, b, c, d, e, f, g) W_P_6(a, b, c, d, e, f), W_CT_##g p6
#define W_P_8(a, b, c, d, e, f, g, h) W_P_7(a, b, c, d, e, f, g), W_CT_##h p7
#define W_P_9(a, b, c, d, e, f, g, h, i)                                       \
  W_P_8(a, b, c, d, e, f, g, h), W_CT_##i p8
#define W_S_I32(i) v[i].i32 = p##i;
#define W_S_I64(i) v[i].i64 = p##i;
#define W_S_0()
#define W_S_1(a) W_S_##a(0)
#define W_S_2(a, b) W_S_1(a) W_S_##b(1)
#define W_S_3(a, b, c) W_S_2(a, b) W_S_##c(2)
#define W_S_4(a, b, c, d) W_S_3(a, b, c) W_S_##d(3)
#define W_S_5(a, b, c, d, e) W_S_4(a, b, c, d) W_S_##e(4)
#define W_S_6(a, b, c, d, e, f) W_S_5(a, b, c, d, e) W_S_##f(5)
#define W_S_7(a, b, c, d, e, f, g) W_S_6(a, b, c, d, e, f) W_S_##g(6)
#define W_S_8(a, b, c, d, e, f, g, h) W_S_7(a, b, c, d, e, f, g) W_S_##h(7)
#define W_S_9(a, b, c, d, e, f, g, h, i)                                       \
  W_S_8(a, b, c, d, e, f, g, h) W_S_##i(8)
#define W_RT_ERRNO u32
#define W_RT_NONE void
#define W_RET_ERRNO return
#define W_RET_NONE (void)

#define X(name, impl, n, params, res)                                          \
  W_RT_##res Z_wasi_snapshot_preview1Z_##name(                                 \
      struct Z_wasi_snapshot_preview1_instance_t *e WI__CAT(W_P_, n) params);  \
  W_RT_##res Z_wasi_snapshot_preview1Z_##name(                                 \
      struct Z_wasi_snapshot_preview1_instance_t *e WI__CAT(W_P_, n) params) { \
    wr_val v[9];                                                               \
    memset(v, 0, sizeof v);                                                    \
    WI__CAT(W_S_, n) params W_RET_##res call(e, #name, v);                     \
  }
#include "wasi.def"
#undef X

int main(int argc, char **argv) {
  static wi_preopen pre[16];
  static const char *env[256], *listen[16];
  wi_config cfg;
  wi_config_init(&cfg);
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc)
      break;
    if (strcmp(argv[i], "--dir") == 0 && cfg.n_preopens < 16) {
      char *v = argv[++i], *sep = strstr(v, "::");
      if (sep)
        *sep = 0;
      pre[cfg.n_preopens++] = (wi_preopen){v, sep ? sep + 2 : v, false};
    } else if (strcmp(argv[i], "--env") == 0 && cfg.n_env < 256) {
      env[cfg.n_env++] = argv[++i];
    } else if (strcmp(argv[i], "--tcplisten") == 0 && cfg.n_tcplisten < 16) {
      listen[cfg.n_tcplisten++] = argv[++i];
    } else {
      fprintf(stderr, "w2c_host: bad option %s\n", argv[i]);
      return 2;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: w2c_host [options] -- FILE.wasm ARGS...\n");
    return 2;
  }
  cfg.preopens = pre;
  cfg.env = env;
  cfg.tcplisten = listen;
  cfg.argc = (uint32_t)(argc - i);
  cfg.argv = (const char *const *)argv + i;
  wa_err err;
  wa_err_init(&err);
  struct Z_wasi_snapshot_preview1_instance_t host;
  if (wi_ctx_new(&cfg, &host.ctx, &err) != 0) {
    fprintf(stderr, "w2c_host: %s\n", err.msg);
    return 1;
  }
  wasm_rt_init();
  Z_prog_init_module();
  static Z_prog_instance_t inst;
  host.inst = &inst;
  Z_prog_instantiate(&inst, &host);
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) {
    fprintf(stderr, "w2c_host: trap: %s\n", wasm_rt_strerror(trap));
    return 134;
  }
  Z_progZ__start(&inst);
  Z_prog_free(&inst);
  wi_ctx_free(host.ctx);
  wasm_rt_free();
  return 0;
}
