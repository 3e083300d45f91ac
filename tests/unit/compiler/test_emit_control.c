/*
 * test_emit_control.c: structured control flow of compiled code (compiler/
 * emit_control.c and emit_variable.c): loops with parameters, ifs with and
 * without else, multi-value blocks and calls, br_table to every kind of
 * label, dead code after branches, select and v128 values flowing.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

static wct *T;

static void open_control(int opt) {
  char msg[1024];
  wct_opts o = {.bounds = WR_BOUNDS_GUARD, .opt_level = (uint8_t)opt};
  cr_assert_eq(wct_open("control", &o, &T, msg, sizeof msg), 0, "%s", msg);
}

#define OPT_TEST(name)                                                         \
  ParameterizedTestParameters(compiler_emit_control, name) {                   \
    static int opts[] = {0, 2};                                                \
    return cr_make_param_array(int, opts, 2);                                  \
  }                                                                            \
  ParameterizedTest(int *opt, compiler_emit_control, name)

static void call(const char *name, wr_val *v) {
  uint32_t k = wct_call(T, name, v);
  cr_assert_eq(k, WR_TRAP_NONE, "%s trapped (%u)", name, k);
}

static uint32_t call_i32(const char *name, uint32_t a) {
  wr_val v[1] = {wct_i32(a)};
  call(name, v);
  return v[0].i32;
}

OPT_TEST(loops_iterate_and_carry_parameters) {
  open_control(*opt);
  wr_val v[1] = {wct_i64(20)};
  call("fac_loop", v);
  cr_assert_eq(v[0].i64, 2432902008176640000ull);
  cr_assert_eq(call_i32("sum_params", 100), 5050u);
  cr_assert_eq(call_i32("sum_params", 1), 1u);
  cr_assert_eq(call_i32("nested", 10), 0u + 2 + 4 + 6 + 8);
  wct_close(T);
}

OPT_TEST(ifs_pass_parameters_to_both_arms) {
  open_control(*opt);
  wr_val v[3] = {wct_i32(7), wct_i32(3), wct_i32(1)};
  call("if_params", v);
  cr_assert_eq(v[0].i32, 10u);
  wr_val w[3] = {wct_i32(7), wct_i32(3), wct_i32(0)};
  call("if_params", w);
  cr_assert_eq(w[0].i32, 4u);
  cr_assert_eq(call_i32("if_no_else", 1), 15u);
  cr_assert_eq(call_i32("if_no_else", 0), 10u);
  cr_assert_eq(call_i32("return_mid", 1), 1u);
  cr_assert_eq(call_i32("return_mid", 0), 2u);
  wct_close(T);
}

OPT_TEST(multi_value_results_flow_through_blocks_and_calls) {
  open_control(*opt);
  wr_val v[2] = {wct_i32(5), wct_i64(9)};
  call("multi_swap", v);
  cr_assert_eq(v[0].i64, 9u);
  cr_assert_eq(v[1].i32, 5u);
  wr_val b[3] = {wct_i32(1)};
  call("multi_block", b);
  cr_assert_eq(b[0].i32, 1u);
  cr_assert_eq(b[1].i64, 2u);
  cr_assert_eq(wct_as_f64(b[2]), 3.5);
  wr_val c[3] = {wct_i32(0)};
  call("multi_block", c);
  cr_assert_eq(c[0].i32, (uint32_t)-1);
  cr_assert_eq(c[1].i64, (uint64_t)-2);
  cr_assert_eq(wct_as_f64(c[2]), -3.5);
  wr_val d[2] = {wct_i32(4), wct_i64(100)};
  call("call_multi", d);
  cr_assert_eq(d[0].i64, 104u);
  wct_close(T);
}

OPT_TEST(br_table_reaches_every_label_and_clamps_to_default) {
  open_control(*opt);
  uint32_t want[] = {100, 101, 102, 100, 103, 103, 103};
  for (uint32_t i = 0; i < 6; i++)
    cr_assert_eq(call_i32("br_table", i), want[i], "index %u", i);
  cr_assert_eq(call_i32("br_table", 0xffffffffu), 103u);
  cr_assert_eq(call_i32("br_table_value", 0), 1007u);
  cr_assert_eq(call_i32("br_table_value", 1), 7u);
  cr_assert_eq(call_i32("br_table_value", 99), 1007u);
  cr_assert_eq(call_i32("br_table_return", 0), 55u);
  cr_assert_eq(call_i32("br_table_return", 1), 66u);
  cr_assert_eq(call_i32("br_table_return", 7), 66u);
  wct_close(T);
}

OPT_TEST(unreachable_traps_and_dead_code_is_skipped) {
  open_control(*opt);
  wr_val v[1];
  cr_assert_eq(wct_call(T, "unreachable", v), WR_TRAP_UNREACHABLE);
  cr_assert_eq(call_i32("dead_code", 0), 3u);
  wct_close(T);
}

OPT_TEST(select_and_v128_values) {
  open_control(*opt);
  wr_val v[3] = {wct_i32(1), wct_i64(11), wct_i64(22)};
  call("select", v);
  cr_assert_eq(v[0].i64, 11u);
  wr_val w[3] = {wct_i32(0), wct_f64(1.0), wct_f64(2.0)};
  call("select_f64", w);
  cr_assert_eq(wct_as_f64(w[0]), 2.0);
  wr_val x[2] = {wct_i64(1), wct_i64(2)};
  call("v128_flow", x);
  cr_assert_eq(x[0].i64, 0x2222u);
  wct_close(T);
}
