/*
 * test_emit_memory.c: linear memory of compiled code (compiler/
 * emit_memory.c) in both bounds modes and at -O0/-O2: every access width,
 * little-endian unaligned access, out-of-bounds traps at the exact edge
 * (including offset + address overflowing 32 bits and dropped loads),
 * memory.size/grow with a moving memory, and bulk memory.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

typedef struct mode {
  uint8_t bounds, opt;
} mode;

static wct *T;

static void open_memory(const mode *m) {
  char msg[1024];
  wct_opts o = {.bounds = m->bounds, .opt_level = m->opt};
  cr_assert_eq(wct_open("memory", &o, &T, msg, sizeof msg), 0, "%s", msg);
}

#define MODE_TEST(name)                                                        \
  ParameterizedTestParameters(compiler_emit_memory, name) {                    \
    static mode modes[] = {{WR_BOUNDS_GUARD, 0},                               \
                           {WR_BOUNDS_GUARD, 2},                               \
                           {WR_BOUNDS_EXPLICIT, 0},                            \
                           {WR_BOUNDS_EXPLICIT, 2}};                           \
    return cr_make_param_array(mode, modes, 4);                                \
  }                                                                            \
  ParameterizedTest(mode *m, compiler_emit_memory, name)

static uint32_t call(const char *name, wr_val *v) { return wct_call(T, name, v); }

static wr_val at(const char *name, uint32_t addr) {
  wr_val v[1] = {wct_i32(addr)};
  uint32_t k = call(name, v);
  cr_assert_eq(k, WR_TRAP_NONE, "%s(%u) trapped (%u)", name, addr, k);
  return v[0];
}

static uint32_t trap_at(const char *name, uint32_t addr) {
  wr_val v[1] = {wct_i32(addr)};
  return call(name, v);
}

MODE_TEST(loads_are_little_endian_and_extend_correctly) {
  open_memory(m);
  cr_assert_eq(at("i32.load", 0).i32, 0x04030201u);
  cr_assert_eq(at("i32.load", 1).i32, 0x05040302u); /* unaligned */
  cr_assert_eq(at("i64.load", 2).i64, 0xfeff080706050403ull);
  cr_assert_eq(at("i32.load8_s", 8).i32, 0xffffffffu);
  cr_assert_eq(at("i32.load8_u", 8).i32, 0xffu);
  cr_assert_eq(at("i32.load16_s", 8).i32, 0xfffffeffu);
  cr_assert_eq(at("i64.load32_s", 7).i64, 0xfeff08ull);
  cr_assert_eq(at("i64.load32_s", 8).i64, 0xfeffull);
  cr_assert_eq(at("i64.load32_u", 6).i64, 0xfeff0807ull);
  wct_close(T);
}

MODE_TEST(stores_truncate_to_their_width) {
  open_memory(m);
  wr_val v[2] = {wct_i32(200), wct_i32(0xabcd1234u)};
  cr_assert_eq(call("i32.store16", v), 0);
  uint64_t size;
  uint8_t *mem = wct_memory(T, &size);
  cr_assert_eq(mem[200], 0x34);
  cr_assert_eq(mem[201], 0x12);
  cr_assert_eq(mem[202], 0);
  wr_val w[2] = {wct_i32(300), wct_i64(0x1122334455667788ull)};
  cr_assert_eq(call("i64.store32", w), 0);
  cr_assert_eq(mem[302], 0x88);
  cr_assert_eq(mem[305], 0x55);
  cr_assert_eq(mem[306], 0);
  wr_val x[2] = {wct_i32(401), wct_i64(0x0102030405060708ull)};
  cr_assert_eq(call("i64.store", x), 0);
  cr_assert_eq(at("i64.load", 401).i64, 0x0102030405060708ull);
  wr_val s32[2] = {wct_i32(600), wct_i64(0x80000001ull)};
  cr_assert_eq(call("i64.store32", s32), 0);
  cr_assert_eq(at("i64.load32_s", 602).i64, 0xffffffff80000001ull);
  wr_val y[2] = {wct_i32(500), wct_f32(-2.0f)};
  cr_assert_eq(call("f32.store", y), 0);
  cr_assert_eq(at("i32.load", 500).i32, 0xc0000000u);
  wct_close(T);
}

MODE_TEST(out_of_bounds_accesses_trap_at_the_exact_edge) {
  open_memory(m);
  cr_assert_eq(at("i32.load", 65532).i32, 0u);
  cr_assert_eq(trap_at("i32.load", 65533), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(trap_at("i64.load", 65529), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(at("i32.load8_u", 65535).i32, 0u);
  cr_assert_eq(trap_at("i32.load8_u", 65536), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(at("i32.load_off", 0).i32, 0u);
  cr_assert_eq(trap_at("i32.load_off", 1), WR_TRAP_OOB_MEMORY);
  /* address + offset past 4 GiB must not wrap around */
  cr_assert_eq(trap_at("load_huge_offset", 1), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(trap_at("load_huge_offset", 0xffffffffu), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(trap_at("i32.load", 0xfffffffcu), WR_TRAP_OOB_MEMORY);
  /* the value of the load is dropped; the trap is not */
  cr_assert_eq(trap_at("load_dropped", 65536), WR_TRAP_OOB_MEMORY);
  wr_val v[2] = {wct_i32(65535), wct_i32(1)};
  cr_assert_eq(call("i32.store16", v), WR_TRAP_OOB_MEMORY);
  wct_close(T);
}

MODE_TEST(memory_grows_and_code_sees_the_moved_memory) {
  open_memory(m);
  wr_val v[1];
  cr_assert_eq(call("size", v), 0);
  cr_assert_eq(v[0].i32, 1u);
  cr_assert_eq(trap_at("i32.load", 70000), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(at("grow_then_load", 1).i32, 0x1234u);
  cr_assert_eq(call("size", v), 0);
  cr_assert_eq(v[0].i32, 2u);
  cr_assert_eq(at("i32.load", 70000).i32, 0u);
  cr_assert_eq(at("grow", 2).i32, 2u);
  cr_assert_eq(at("grow", 1).i32, 0xffffffffu); /* max is 4 pages */
  cr_assert_eq(at("i32.load", 4 * 65536 - 4).i32, 0u);
  cr_assert_eq(trap_at("i32.load", 4 * 65536 - 3), WR_TRAP_OOB_MEMORY);
  wct_close(T);
}

MODE_TEST(bulk_memory_checks_bounds_before_writing) {
  open_memory(m);
  uint64_t size;
  uint8_t *mem;
  wr_val f[3] = {wct_i32(1000), wct_i32(0x1ab), wct_i32(16)};
  cr_assert_eq(call("fill", f), 0);
  mem = wct_memory(T, &size);
  cr_assert_eq(mem[1000], 0xab);
  cr_assert_eq(mem[1015], 0xab);
  cr_assert_eq(mem[1016], 0);
  wr_val g[3] = {wct_i32(65530), wct_i32(1), wct_i32(7)};
  cr_assert_eq(call("fill", g), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(mem[65530], 0, "no partial fill");
  wr_val c[3] = {wct_i32(1), wct_i32(0), wct_i32(9)}; /* overlapping */
  cr_assert_eq(call("copy", c), 0);
  cr_assert_eq(memcmp(mem, "\x01\x01\x02\x03\x04\x05\x06\x07\x08\xff", 10),
               0);
  wr_val d[3] = {wct_i32(0), wct_i32(65535), wct_i32(2)};
  cr_assert_eq(call("copy", d), WR_TRAP_OOB_MEMORY);
  wr_val z[3] = {wct_i32(65536), wct_i32(0), wct_i32(0)};
  cr_assert_eq(call("copy", z), 0, "empty copy at the end is fine");
  wr_val i[3] = {wct_i32(2000), wct_i32(1), wct_i32(6)};
  cr_assert_eq(call("init", i), 0);
  cr_assert_eq(memcmp(mem + 2000, "assive", 6), 0);
  wr_val j[3] = {wct_i32(2000), wct_i32(4), wct_i32(5)};
  cr_assert_eq(call("init", j), WR_TRAP_OOB_MEMORY);
  wr_val none[1];
  cr_assert_eq(call("drop", none), 0);
  wr_val k[3] = {wct_i32(2000), wct_i32(0), wct_i32(1)};
  cr_assert_eq(call("init", k), WR_TRAP_OOB_MEMORY);
  wct_close(T);
}

MODE_TEST(v128_loads_and_stores_copy_sixteen_bytes) {
  open_memory(m);
  wr_val v[2] = {wct_i32(3000), wct_i32(0)};
  cr_assert_eq(call("v128_copy", v), 0);
  uint64_t size;
  uint8_t *mem = wct_memory(T, &size);
  cr_assert_eq(memcmp(mem + 3000, mem, 16), 0);
  wr_val w[2] = {wct_i32(65521), wct_i32(0)};
  cr_assert_eq(call("v128_copy", w), WR_TRAP_OOB_MEMORY);
  wct_close(T);
}
