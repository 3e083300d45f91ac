/* test_mem.c: linear memories (runtime/mem.c) in both bounds modes, from
 * the host API and from compiled code (memory.grow through the helper). */
#include "rt_test.h"

static uint8_t mode_of(const char *m) {
  return strcmp(m, "explicit") == 0 ? WR_BOUNDS_EXPLICIT : WR_BOUNDS_GUARD;
}

RT_MODES_TEST(runtime_mem, grow_keeps_contents_and_respects_max) {
  wr_store *s;
  wr_memory *m;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_store_new(&s, &err), 0);
  cr_assert_eq(wr_memory_new(s, 1, 3, true, mode_of(*mode_p), &m, &err), 0,
               "%s", err.msg);
  uint64_t size;
  uint8_t *base = wr_memory_data(m, &size);
  cr_assert_eq(size, 65536);
  cr_assert_eq(wr_memory_pages(m), 1);
  base[0] = 1, base[65535] = 2;
  cr_assert_eq(wr_memory_grow(m, 0), 1, "grow by 0 returns the size");
  cr_assert_eq(wr_memory_grow(m, 3), UINT32_MAX, "past max");
  cr_assert_eq(wr_memory_pages(m), 1, "failed grow changes nothing");
  cr_assert_eq(wr_memory_grow(m, 2), 1);
  uint8_t *nbase = wr_memory_data(m, &size);
  cr_assert_eq(size, 3 * 65536);
  if (mode_of(*mode_p) == WR_BOUNDS_GUARD)
    cr_assert_eq(nbase, base, "guard-mode memories never move");
  cr_assert_eq(nbase[0], 1);
  cr_assert_eq(nbase[65535], 2);
  for (uint64_t i = 65536; i < size; i += 4093)
    cr_assert_eq(nbase[i], 0, "new pages are zero");
  nbase[size - 1] = 3;
  cr_assert_eq(wr_memory_grow(m, 1), UINT32_MAX);
  cr_assert_eq(wr_memory_grow(m, UINT32_MAX), UINT32_MAX, "no overflow");
  wr_store_free(s);
}

RT_MODES_TEST(runtime_mem, zero_size_memory_can_grow) {
  wr_store *s;
  wr_memory *m;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_store_new(&s, &err), 0);
  cr_assert_eq(wr_memory_new(s, 0, 0, false, mode_of(*mode_p), &m, &err), 0,
               "%s", err.msg);
  uint64_t size;
  wr_memory_data(m, &size);
  cr_assert_eq(size, 0);
  cr_assert_eq(wr_memory_pages(m), 0);
  cr_assert_eq(wr_memory_grow(m, 2), 0);
  uint8_t *base = wr_memory_data(m, &size);
  cr_assert_eq(size, 2 * 65536);
  base[size - 1] = 9;
  /* unbounded: up to 65536 pages; beyond is refused */
  cr_assert_eq(wr_memory_grow(m, 65535), UINT32_MAX);
  wr_store_free(s);
}

Test(runtime_mem, limits_beyond_4gib_are_refused) {
  wr_store *s;
  wr_memory *m;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_store_new(&s, &err), 0);
  cr_assert_eq(wr_memory_new(s, 65537, 0, false, WR_BOUNDS_GUARD, &m, &err),
               WA_ELIMIT);
  wa_err_init(&err);
  cr_assert_eq(wr_memory_new(s, 2, 1, true, WR_BOUNDS_GUARD, &m, &err),
               WA_ELIMIT);
  wr_store_free(s);
}

Test(runtime_mem, many_guard_memories_can_be_created_and_freed) {
  /* 8 GiB of address space each: freeing must give it back */
  for (int i = 0; i < 200; i++) {
    wr_store *s;
    wr_memory *m;
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(wr_store_new(&s, &err), 0);
    cr_assert_eq(wr_memory_new(s, 1, 0, false, WR_BOUNDS_GUARD, &m, &err), 0,
                 "iteration %d: %s", i, err.msg);
    wr_memory_data(m, NULL)[0] = 1;
    wr_store_free(s);
  }
}

RT_MODES_TEST(runtime_mem, memory_grow_from_wasm_moves_the_bound) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_trap t;
  cr_assert_eq(rt_call_trap(b.inst, "load", 65536, 0, &t), WR_TRAP_OOB_MEMORY);
  cr_assert_eq(rt_call_ok(b.inst, "grow", 1, 0), 1);
  cr_assert_eq(rt_call_ok(b.inst, "store", 65536, 5), 0);
  cr_assert_eq(rt_call_ok(b.inst, "load", 65536, 0), 5);
  cr_assert_eq(rt_call_ok(b.inst, "grow", 3, 0), UINT32_MAX, "max is 4");
  cr_assert_eq(rt_call_ok(b.inst, "grow", 2, 0), 2);
  cr_assert_eq(rt_call_ok(b.inst, "grow", 0, 0), 4);
  cr_assert_eq(rt_call_ok(b.inst, "load", 4 * 65536 - 4, 0), 0);
  cr_assert_eq(rt_call_trap(b.inst, "load", 4 * 65536 - 3, 0, &t),
               WR_TRAP_OOB_MEMORY);
  cr_assert_eq(rt_call_ok(b.inst, "load", 100, 0), 42, "contents kept");
  cr_assert_eq(wr_memory_pages(wr_instance_memory(b.inst)), 4);
  rt_basic_free(&b);
}
