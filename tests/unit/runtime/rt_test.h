/* rt_test.h: shared helpers of the runtime tests: fixture artifacts, a
 * store with the "basic" module instantiated, calling exports. */
#ifndef RT_TEST_H
#define RT_TEST_H

#include "wr.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#define RT_UNUSED __attribute__((unused))

static const uint8_t rt_i32x2[] = {0x7f, 0x7f};
static const wr_meta_type rt_type_i_i RT_UNUSED = {1, 1, rt_i32x2, rt_i32x2};

static RT_UNUSED const char *rt_fixture(const char *name, const char *bounds) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s_%s.wao", WR_FIX_DIR, name, bounds);
  return path;
}

static RT_UNUSED wr_artifact *rt_open(const char *name, const char *bounds) {
  wr_artifact *a;
  wa_err err;
  wa_err_init(&err);
  int rc = wr_artifact_open(rt_fixture(name, bounds), &a, &err);
  cr_assert_eq(rc, 0, "%s: %s", name, err.msg);
  return a;
}

/* env.host_add1 for "basic": returns x + 1 (and counts its calls). */
static int rt_host_calls;
static RT_UNUSED uint32_t rt_host_add1(void *env, wr_caller *c, wr_val *v) {
  (void)env;
  (void)c;
  rt_host_calls++;
  v[0].i32 += 1;
  return 0;
}

typedef struct rt_basic {
  wr_store *store;
  wr_artifact *art;
  wr_instance *inst;
  wr_func *host;
  wr_global *g_in;
} rt_basic;

/* A store with artifact 'art' (a "basic") instantiated; 'host' may
 * replace env.host_add1. b owns art. */
static RT_UNUSED void rt_basic_init(rt_basic *b, wr_artifact *art,
                                    wr_host_fn host, void *env) {
  wa_err err;
  wa_err_init(&err);
  memset(b, 0, sizeof *b);
  cr_assert_eq(wr_store_new(&b->store, &err), 0, "%s", err.msg);
  b->art = art;
  cr_assert_eq(wr_func_new_host(b->store, &rt_type_i_i,
                                host ? host : rt_host_add1, env, &b->host,
                                &err),
               0, "%s", err.msg);
  wr_val init = {.i32 = 1000};
  cr_assert_eq(wr_global_new(b->store, 0x7f, false, init, &b->g_in, &err), 0);
  wr_extern imports[2] = {{.kind = 0, .u.func = b->host},
                          {.kind = 3, .u.global = b->g_in}};
  wr_trap trap;
  int rc = wr_instance_new(b->store, b->art, imports, 2, &b->inst, &trap, &err);
  cr_assert_eq(rc, 0, "%s", err.msg);
}

static RT_UNUSED void rt_basic_new(rt_basic *b, const char *bounds,
                                   wr_host_fn host, void *env) {
  rt_basic_init(b, rt_open("basic", bounds), host, env);
}

static RT_UNUSED void rt_basic_free(rt_basic *b) {
  wr_artifact_free(b->art);
  wr_store_free(b->store);
}

static RT_UNUSED wr_func *rt_export_func(wr_instance *inst, const char *name) {
  wr_extern e;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_instance_export(inst, name, strlen(name), &e, &err), 0, "%s",
               err.msg);
  cr_assert_eq(e.kind, 0, "%s is a function", name);
  return e.u.func;
}

/* Calls an i32 export with up to two i32 args; returns the wr_call code. */
static RT_UNUSED int rt_call(wr_instance *inst, const char *name, int n,
                             uint32_t a, uint32_t b, uint32_t *result,
                             wr_trap *trap) {
  wr_val v[2];
  memset(v, 0, sizeof v);
  v[0].i32 = a;
  v[1].i32 = b;
  (void)n;
  wa_err err;
  wa_err_init(&err);
  int rc = wr_call(rt_export_func(inst, name), v, trap, &err);
  if (rc == 0 && result)
    *result = v[0].i32;
  return rc;
}

static RT_UNUSED uint32_t rt_call_ok(wr_instance *inst, const char *name,
                                     uint32_t a, uint32_t b) {
  uint32_t r = 0;
  wr_trap trap;
  int rc = rt_call(inst, name, 2, a, b, &r, &trap);
  cr_assert_eq(rc, 0, "%s trapped: %s", name, wr_trap_message(trap.kind));
  return r;
}

static RT_UNUSED uint32_t rt_call_trap(wr_instance *inst, const char *name,
                                       uint32_t a, uint32_t b, wr_trap *trap) {
  int rc = rt_call(inst, name, 2, a, b, NULL, trap);
  cr_assert_eq(rc, WA_ETRAP, "%s should trap (rc %d)", name, rc);
  return trap->kind;
}

/* A test run once per bounds mode: RT_MODES_TEST(suite, name) { *mode_p }.
 * Criterion copies parameters into the test process, so they are plain
 * ints (indices into rt_modes), never pointers. */
static RT_UNUSED const char *const rt_modes[] = {"guard", "explicit"};
static RT_UNUSED int rt_mode_ids[] = {0, 1};
#define RT_MODES_TEST(suite, name, ...)                                        \
  static void suite##_##name##_body(const char *const *mode_p);                \
  ParameterizedTestParameters(suite, name) {                                   \
    return cr_make_param_array(int, rt_mode_ids, 2);                           \
  }                                                                            \
  ParameterizedTest(int *mode_i, suite, name, ##__VA_ARGS__) {                 \
    suite##_##name##_body(&rt_modes[*mode_i]);                                 \
  }                                                                            \
  static void suite##_##name##_body(const char *const *mode_p)

#endif
