/*
 * test_emit_table.c: tables and references in compiled code (compiler/
 * emit_table.c): inline get/set/size with bounds traps, the helper-backed
 * grow/fill/copy/init/elem.drop, ref.func/ref.null/ref.is_null, externref
 * tables.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

static wct *T;

static void open_table(int opt) {
  char msg[1024];
  wct_opts o = {.bounds = WR_BOUNDS_GUARD, .opt_level = (uint8_t)opt};
  cr_assert_eq(wct_open("table", &o, &T, msg, sizeof msg), 0, "%s", msg);
}

#define OPT_TEST(name)                                                         \
  ParameterizedTestParameters(compiler_emit_table, name) {                     \
    static int opts[] = {0, 2};                                                \
    return cr_make_param_array(int, opts, 2);                                  \
  }                                                                            \
  ParameterizedTest(int *opt, compiler_emit_table, name)

static uint32_t call1(const char *name, uint32_t a, uint32_t *out) {
  wr_val v[1] = {wct_i32(a)};
  uint32_t k = wct_call(T, name, v);
  if (out)
    *out = v[0].i32;
  return k;
}

static uint32_t call3(const char *name, uint32_t a, uint32_t b, uint32_t c) {
  wr_val v[3] = {wct_i32(a), wct_i32(b), wct_i32(c)};
  return wct_call(T, name, v);
}

OPT_TEST(get_set_and_size_check_bounds) {
  open_table(*opt);
  uint32_t r;
  cr_assert_eq(call1("get_is_null", 1, &r), 0);
  cr_assert_eq(r, 0u);
  cr_assert_eq(call1("get_is_null", 2, &r), 0);
  cr_assert_eq(r, 1u);
  cr_assert_eq(call1("get_is_null", 3, &r), WR_TRAP_OOB_TABLE);
  cr_assert_eq(call1("set_three", 2, NULL), 0);
  cr_assert_eq(call1("call_at", 2, &r), 0);
  cr_assert_eq(r, 3u);
  cr_assert_eq(call1("set_three", 3, NULL), WR_TRAP_OOB_TABLE);
  cr_assert_eq(call1("set_null", 0, NULL), 0);
  cr_assert_eq(call1("call_at", 0, &r), WR_TRAP_UNINITIALIZED_ELEMENT);
  cr_assert_eq(call1("size", 0, &r), 0);
  cr_assert_eq(r, 3u);
  wct_close(T);
}

OPT_TEST(grow_fill_copy_init_and_drop) {
  open_table(*opt);
  uint32_t r;
  cr_assert_eq(call1("grow", 2, &r), 0);
  cr_assert_eq(r, 3u);
  cr_assert_eq(call1("size", 0, &r), 0);
  cr_assert_eq(r, 5u);
  cr_assert_eq(call1("call_at", 4, &r), 0);
  cr_assert_eq(r, 3u);
  cr_assert_eq(call1("grow", 6, &r), 0);
  cr_assert_eq(r, 0xffffffffu); /* max 10 */
  wr_val f[2] = {wct_i32(3), wct_i32(2)};
  cr_assert_eq(wct_call(T, "fill", f), 0);
  cr_assert_eq(call1("call_at", 4, &r), 0);
  cr_assert_eq(r, 1u);
  wr_val g[2] = {wct_i32(4), wct_i32(2)};
  cr_assert_eq(wct_call(T, "fill", g), WR_TRAP_OOB_TABLE);
  cr_assert_eq(call3("copy", 2, 1, 1), 0);
  cr_assert_eq(call1("call_at", 2, &r), 0);
  cr_assert_eq(r, 2u);
  cr_assert_eq(call3("init", 0, 0, 2), 0);
  cr_assert_eq(call1("call_at", 0, &r), 0);
  cr_assert_eq(r, 2u);
  cr_assert_eq(call3("init", 0, 1, 2), WR_TRAP_OOB_TABLE);
  cr_assert_eq(call1("drop", 0, NULL), 0);
  cr_assert_eq(call3("init", 0, 0, 1), WR_TRAP_OOB_TABLE);
  cr_assert_eq(call3("init", 0, 0, 0), 0);
  wct_close(T);
}

OPT_TEST(null_references_and_externref_tables) {
  open_table(*opt);
  uint32_t r;
  cr_assert_eq(call1("null_is_null", 0, &r), 0);
  cr_assert_eq(r, 1u);
  cr_assert_eq(call1("extern_roundtrip", 1, &r), 0);
  cr_assert_eq(r, 1u);
  cr_assert_eq(call1("extern_roundtrip", 2, &r), WR_TRAP_OOB_TABLE);
  wct_close(T);
}
