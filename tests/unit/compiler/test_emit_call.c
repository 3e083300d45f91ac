/*
 * test_emit_call.c: calls of compiled code (compiler/emit_call.c, glue.c):
 * host imports through the adapters, multi-value host results,
 * call_indirect's three traps in the spec's order, several tables, deep
 * and runaway recursion (stack check), defined and imported globals.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

static wct *T;

static uint32_t host(wct *t, uint32_t func, wr_val *vals) {
  (void)t;
  if (func == 0) { /* add3(i32, i64, f64) -> f64 */
    double r = (double)(int32_t)vals[0].i32 + (double)(int64_t)vals[1].i64 +
               wct_as_f64(vals[2]);
    vals[0] = wct_f64(r);
    return 0;
  }
  if (func == 1) { /* pair(i32) -> (i32, i32) */
    if (vals[0].i32 == 666)
      return WR_TRAP_HOST;
    uint32_t x = vals[0].i32;
    vals[0] = wct_i32(x * 10);
    vals[1] = wct_i32(x);
    return 0;
  }
  return WR_TRAP_UNLINKED_IMPORT;
}

static void open_call(int opt) {
  char msg[1024];
  static wr_val globals[2];
  globals[0] = wct_i64(1000);
  globals[1] = wct_i32(7);
  wct_opts o = {.bounds = WR_BOUNDS_GUARD,
                .opt_level = (uint8_t)opt,
                .host = host,
                .globals = globals};
  cr_assert_eq(wct_open("call", &o, &T, msg, sizeof msg), 0, "%s", msg);
}

#define OPT_TEST(name)                                                         \
  ParameterizedTestParameters(compiler_emit_call, name) {                      \
    static int opts[] = {0, 2};                                                \
    return cr_make_param_array(int, opts, 2);                                  \
  }                                                                            \
  ParameterizedTest(int *opt, compiler_emit_call, name)

static uint32_t call2(const char *name, uint32_t a, uint32_t b, wr_val *out) {
  wr_val v[2] = {wct_i32(a), wct_i32(b)};
  uint32_t k = wct_call(T, name, v);
  *out = v[0];
  return k;
}

OPT_TEST(host_imports_go_through_the_adapters) {
  open_call(*opt);
  wr_val v[1] = {wct_i32(-3)};
  cr_assert_eq(wct_call(T, "call_host", v), 0);
  cr_assert_eq(wct_as_f64(v[0]), 7.5);
  wr_val p[2] = {wct_i32(4)};
  cr_assert_eq(wct_call(T, "call_pair", p), 0);
  cr_assert_eq(p[0].i32, 36u);
  wr_val q[2] = {wct_i32(666)};
  cr_assert_eq(wct_call(T, "call_pair", q), WR_TRAP_HOST);
  cr_assert_eq(wct_host_calls(T), 3u);
  wct_close(T);
}

OPT_TEST(call_indirect_checks_bounds_null_and_type_in_order) {
  open_call(*opt);
  wr_val r;
  cr_assert_eq(call2("indirect", 0, 21, &r), 0);
  cr_assert_eq(r.i32, 42u);
  /* $triple has a different type index but the same signature */
  cr_assert_eq(call2("indirect", 1, 5, &r), 0);
  cr_assert_eq(r.i32, 15u);
  cr_assert_eq(call2("indirect", 2, 0, &r), WR_TRAP_INDIRECT_TYPE_MISMATCH);
  cr_assert_eq(call2("indirect", 3, 0, &r), WR_TRAP_UNINITIALIZED_ELEMENT);
  cr_assert_eq(call2("indirect", 5, 0, &r), WR_TRAP_UNDEFINED_ELEMENT);
  cr_assert_eq(call2("indirect", 0xffffffffu, 0, &r),
               WR_TRAP_UNDEFINED_ELEMENT);
  cr_assert_eq(call2("indirect2", 1, 3, &r), 0);
  cr_assert_eq(r.i32, 9u);
  cr_assert_eq(call2("indirect2", 0, 3, &r), WR_TRAP_UNINITIALIZED_ELEMENT);
  wct_close(T);
}

OPT_TEST(recursion_works_and_runaway_recursion_exhausts_the_stack) {
  open_call(*opt);
  wr_val v[1] = {wct_i32(20)};
  cr_assert_eq(wct_call(T, "fib", v), 0);
  cr_assert_eq(v[0].i32, 6765u);
  cr_assert_eq(wct_call(T, "runaway", v), WR_TRAP_STACK_EXHAUSTED);
  cr_assert_eq(wct_call(T, "mutual", v), WR_TRAP_STACK_EXHAUSTED);
  wct_close(T);
}

OPT_TEST(globals_defined_and_imported) {
  open_call(*opt);
  wr_val v[1];
  cr_assert_eq(wct_call(T, "global_inc", v), 0);
  cr_assert_eq(v[0].i32, 42u);
  cr_assert_eq(wct_call(T, "global_inc", v), 0);
  cr_assert_eq(v[0].i32, 44u);
  v[0] = wct_f64(2.0);
  cr_assert_eq(wct_call(T, "global_f", v), 0);
  cr_assert_eq(wct_as_f64(v[0]), 3.0);
  cr_assert_eq(wct_call(T, "global_imported", v), 0);
  cr_assert_eq(v[0].i64, 2000u);
  v[0] = wct_i32(99);
  cr_assert_eq(wct_call(T, "global_imported_set", v), 0);
  cr_assert_eq(v[0].i32, 99u);
  wct_close(T);
}
