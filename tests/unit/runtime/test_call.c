/* test_call.c: calls into compiled code (runtime/call.c, helpers.c,
 * trap.c, signal_linux.c): results, traps and their backtraces, guard
 * faults, stack exhaustion, host calls and re-entrancy, crashes that must
 * stay crashes. */
#include "rt_test.h"

#include <signal.h>

RT_MODES_TEST(runtime_call, calls_return_results_and_start_ran) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  cr_assert_eq(rt_call_ok(b.inst, "add", 40, 2), 42);
  cr_assert_eq(rt_call_ok(b.inst, "add", 0xffffffffu, 1), 0);
  cr_assert_eq(rt_call_ok(b.inst, "load", 100, 0), 42, "start function ran");
  uint32_t hell = 'h' | 'e' << 8 | 'l' << 16 | (uint32_t)'l' << 24;
  cr_assert_eq(rt_call_ok(b.inst, "load", 16, 0), hell, "data segment");
  cr_assert_eq(rt_call_ok(b.inst, "store", 8, 77), 0);
  cr_assert_eq(rt_call_ok(b.inst, "load", 8, 0), 77);
  cr_assert_eq(rt_call_ok(b.inst, "get_in", 0, 0), 1000);
  cr_assert_eq(rt_call_ok(b.inst, "counter", 5, 0), 1005);
  wr_extern g;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_instance_export(b.inst, "g", 1, &g, &err), 0);
  cr_assert_eq(g.kind, 3);
  cr_assert_eq(wr_global_get(g.u.global).i32, 1005);
  wr_global_set(g.u.global, (wr_val){.i32 = 1});
  cr_assert_eq(rt_call_ok(b.inst, "counter", 1, 0), 2);
  rt_basic_free(&b);
}

RT_MODES_TEST(runtime_call, unreachable_traps_with_a_backtrace) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_trap t;
  cr_assert_eq(rt_call_trap(b.inst, "unreachable", 0, 0, &t),
               WR_TRAP_UNREACHABLE);
  cr_assert_geq(t.n_frames, 1);
  cr_assert_eq(t.frames[0].func_index, 4);
  cr_assert_eq(t.frames[0].func_name.len, 11);
  cr_assert_eq(memcmp(t.frames[0].func_name.ptr, "unreachable", 11), 0);
  cr_assert_eq(memcmp(t.frames[0].module_name.ptr, "basic", 5), 0);
  cr_assert_str_eq(wr_trap_message(t.kind), "unreachable");
  cr_assert_str_eq(wr_trap_name(WR_TRAP_OOB_MEMORY), "OOB_MEMORY");
  rt_basic_free(&b);
}

/* In guard mode this is a fault in the guard region turned into a trap by
 * the signal handler; in explicit mode the inline check traps. */
RT_MODES_TEST(runtime_call, out_of_bounds_load_traps_oob_memory) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_trap t;
  cr_assert_eq(rt_call_trap(b.inst, "load", 65536, 0, &t),
               WR_TRAP_OOB_MEMORY);
  cr_assert_eq(rt_call_trap(b.inst, "load", 65533, 0, &t),
               WR_TRAP_OOB_MEMORY);
  cr_assert_eq(rt_call_trap(b.inst, "load", 0xffffffffu, 0, &t),
               WR_TRAP_OOB_MEMORY);
  cr_assert_geq(t.n_frames, 1);
  cr_assert_eq(t.frames[0].func_index, 2, "innermost frame is load");
  cr_assert_eq(rt_call_ok(b.inst, "load", 65532, 0), 0, "last word is fine");
  rt_basic_free(&b);
}

/* Through call_indirect: frames of the callee and of the caller. */
RT_MODES_TEST(runtime_call, backtrace_lists_nested_wasm_frames) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_trap t;
  cr_assert_eq(rt_call_trap(b.inst, "call_indirect", 1, 70000, &t),
               WR_TRAP_OOB_MEMORY);
  cr_assert_geq(t.n_frames, 2);
  cr_assert_eq(t.frames[0].func_index, 2, "load");
  cr_assert_eq(t.frames[1].func_index, 8, "call_indirect");
  rt_basic_free(&b);
}

RT_MODES_TEST(runtime_call, store_stays_usable_after_many_traps) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  for (int i = 0; i < 2000; i++) {
    wr_trap t;
    const char *f = i % 2 ? "unreachable" : "load";
    cr_assert_eq(rt_call_trap(b.inst, f, 1u << 20, 0, &t),
                 i % 2 ? WR_TRAP_UNREACHABLE : WR_TRAP_OOB_MEMORY);
    cr_assert_eq(rt_call_ok(b.inst, "add", (uint32_t)i, 1), (uint32_t)i + 1);
  }
  rt_basic_free(&b);
}

RT_MODES_TEST(runtime_call, deep_recursion_is_call_stack_exhausted) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  cr_assert_eq(rt_call_ok(b.inst, "recurse", 1000, 0), 1000);
  wr_trap t;
  cr_assert_eq(rt_call_trap(b.inst, "recurse", 100000000, 0, &t),
               WR_TRAP_STACK_EXHAUSTED);
  cr_assert_eq(t.n_frames, WR_TRAP_MAX_FRAMES);
  for (uint32_t i = 0; i < t.n_frames; i++)
    cr_assert_eq(t.frames[i].func_index, 5, "frame %u is recurse", i);
  /* and again: the limit is restored, the depth is deterministic */
  cr_assert_eq(rt_call_trap(b.inst, "recurse", 100000000, 0, &t),
               WR_TRAP_STACK_EXHAUSTED);
  cr_assert_eq(rt_call_ok(b.inst, "recurse", 2000, 0), 2000);
  rt_basic_free(&b);
}

Test(runtime_call, stack_budget_bounds_recursion_depth) {
  rt_basic b;
  rt_basic_new(&b, "guard", NULL, NULL);
  wr_set_stack_budget(64u << 10);
  wr_trap t;
  /* each frame is > 200 bytes: 1000 of them do not fit in 64 KiB */
  cr_assert_eq(rt_call_trap(b.inst, "recurse", 1000, 0, &t),
               WR_TRAP_STACK_EXHAUSTED);
  cr_assert_eq(rt_call_ok(b.inst, "recurse", 50, 0), 50);
  wr_set_stack_budget(4u << 20);
  cr_assert_eq(rt_call_ok(b.inst, "recurse", 1000, 0), 1000);
  rt_basic_free(&b);
}

RT_MODES_TEST(runtime_call, host_imports_are_called_through_adapters) {
  rt_basic b;
  rt_host_calls = 0;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  cr_assert_eq(rt_call_ok(b.inst, "call_host", 5, 0), 7);
  cr_assert_eq(rt_host_calls, 1);
  cr_assert_eq(rt_call_ok(b.inst, "host", 5, 0), 6, "re-exported import");
  cr_assert_eq(rt_call_ok(b.inst, "call_indirect", 2, 9), 10,
               "host function through a table");
  cr_assert_eq(rt_host_calls, 3);
  /* the raw host function, called directly */
  wr_val v[1] = {{.i32 = 1}};
  wa_err err;
  wa_err_init(&err);
  wr_trap t;
  cr_assert_eq(wr_call(b.host, v, &t, &err), 0, "%s", err.msg);
  cr_assert_eq(v[0].i32, 2);
  rt_basic_free(&b);
}

static uint32_t host_exit(void *env, wr_caller *c, wr_val *v) {
  (void)env;
  (void)v;
  uint8_t *base;
  uint64_t size;
  wr_caller_memory(c, &base, &size);
  cr_assert_eq(size, 65536, "the caller's memory is visible");
  cr_assert_eq(base[100], 42);
  wr_caller_exit(c, 7);
  wr_caller_set_message(c, "bye");
  return WR_TRAP_EXIT;
}

RT_MODES_TEST(runtime_call, host_trap_unwinds_with_exit_code) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, host_exit, NULL);
  wr_trap t;
  cr_assert_eq(rt_call_trap(b.inst, "call_host", 1, 0, &t), WR_TRAP_EXIT);
  cr_assert_eq(t.exit_code, 7);
  cr_assert_str_eq(t.msg, "bye");
  cr_assert_geq(t.n_frames, 1);
  cr_assert_eq(t.frames[0].func_index, 6, "call_host");
  cr_assert_eq(rt_call_ok(b.inst, "add", 1, 1), 2);
  rt_basic_free(&b);
}

/* A host function that calls back into Wasm: a call that returns, then
 * one that traps (the inner trap must not unwind the outer call). */
static uint32_t host_reenter(void *env, wr_caller *c, wr_val *v) {
  wr_instance *inst = wr_caller_instance(c);
  cr_assert_not_null(inst);
  (void)env;
  wr_trap t;
  uint32_t r = rt_call_ok(inst, "add", v[0].i32, 10);
  cr_assert_eq(rt_call_trap(inst, "unreachable", 0, 0, &t),
               WR_TRAP_UNREACHABLE);
  cr_assert_eq(rt_call_trap(inst, "recurse", 100000000, 0, &t),
               WR_TRAP_STACK_EXHAUSTED);
  if (v[0].i32 > 0 && v[0].i32 < 4) {
    /* nested deeper: Wasm -> host -> Wasm -> host ... */
    r = rt_call_ok(inst, "call_host", v[0].i32 + 1, 0);
  }
  v[0].i32 = r;
  return 0;
}

RT_MODES_TEST(runtime_call, host_functions_may_call_back_in) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, host_reenter, NULL);
  /* call_host(1) = host(1)+1; host(1) = call_host(2) = host(2)+1 ... 
   * host(4) = 4 + 10 = 14; so 14 + 4 = 18 */
  cr_assert_eq(rt_call_ok(b.inst, "call_host", 1, 0), 18);
  cr_assert_eq(rt_call_ok(b.inst, "call_host", 9, 0), 20);
  rt_basic_free(&b);
}

RT_MODES_TEST(runtime_call, call_indirect_checks_bounds_null_and_type) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_trap t;
  cr_assert_eq(rt_call_ok(b.inst, "call_indirect", 1, 100), 42, "load");
  cr_assert_eq(rt_call_trap(b.inst, "call_indirect", 0, 1, &t),
               WR_TRAP_INDIRECT_TYPE_MISMATCH);
  cr_assert_eq(rt_call_trap(b.inst, "call_indirect", 3, 1, &t),
               WR_TRAP_UNINITIALIZED_ELEMENT);
  cr_assert_eq(rt_call_trap(b.inst, "call_indirect", 4, 1, &t),
               WR_TRAP_UNDEFINED_ELEMENT);
  rt_basic_free(&b);
}

RT_MODES_TEST(runtime_call, relocated_calls_into_libc_and_libm_work) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  /* floor(5 / 2) + squares[5] */
  cr_assert_eq(rt_call_ok(b.inst, "externs", 5, 0), 2 + 25);
  cr_assert_eq(rt_call_ok(b.inst, "externs", (uint32_t)-3, 0),
               (uint32_t)(-2 + 25));
  uint64_t size;
  uint8_t *m = wr_memory_data(wr_instance_memory(b.inst), &size);
  cr_assert_eq(memcmp(m + 32, "hello", 5), 0, "memmove");
  cr_assert_eq(m[48], 0x11, "memset through the GOT");
  rt_basic_free(&b);
}

RT_MODES_TEST(runtime_call, memory_fill_checks_before_writing) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_trap t;
  cr_assert_eq(rt_call_ok(b.inst, "fill", 1000, 16), 0);
  uint8_t *m = wr_memory_data(wr_instance_memory(b.inst), NULL);
  cr_assert_eq(m[1000], 0xab);
  cr_assert_eq(m[1015], 0xab);
  cr_assert_eq(m[1016], 0);
  cr_assert_eq(rt_call_trap(b.inst, "fill", 65530, 7, &t),
               WR_TRAP_OOB_MEMORY);
  cr_assert_eq(m[65530], 0, "nothing written");
  cr_assert_eq(rt_call_ok(b.inst, "fill", 65536, 0), 0, "empty at the end");
  rt_basic_free(&b);
}

/* A fault in compiled code that is not in a guard region is a bug: the
 * process must die of it. */
Test(runtime_call, fault_in_code_outside_memory_crashes, .signal = SIGSEGV) {
  rt_basic b;
  rt_basic_new(&b, "guard", NULL, NULL);
  wr_trap t;
  rt_call(b.inst, "crash", 0, 0, 0, NULL, &t);
  cr_assert_fail("not reached");
}

static uint32_t host_segv(void *env, wr_caller *c, wr_val *v) {
  (void)env;
  (void)c;
  (void)v;
  /* a host bug, touching a guard region from outside compiled code */
  uint8_t *base;
  uint64_t size;
  wr_caller_memory(c, &base, &size);
  *(volatile uint8_t *)(base + size + 4096) = 1;
  return 0;
}

Test(runtime_call, fault_in_host_code_crashes_even_in_a_guard_region,
     .signal = SIGSEGV) {
  rt_basic b;
  rt_basic_new(&b, "guard", host_segv, NULL);
  wr_trap t;
  rt_call(b.inst, "call_host", 0, 0, 0, NULL, &t);
  cr_assert_fail("not reached");
}

Test(runtime_call, fault_outside_any_call_crashes, .signal = SIGSEGV) {
  rt_basic b;
  rt_basic_new(&b, "guard", NULL, NULL);
  cr_assert_eq(rt_call_ok(b.inst, "add", 1, 2), 3);
  volatile uintptr_t bad = 8;
  *(volatile int *)bad = 1;
}

/* A module without imports; i64 and float signatures through their
 * trampolines, NaN payloads untouched. */
RT_MODES_TEST(runtime_call, float_and_i64_values_pass_bit_exact) {
  wr_store *s;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_store_new(&s, &err), 0);
  wr_artifact *a = rt_open("calc", *mode_p);
  wr_instance *inst;
  wr_trap t;
  cr_assert_eq(wr_instance_new(s, a, NULL, 0, &inst, &t, &err), 0, "%s",
               err.msg);
  wr_val v[2];
  v[0].i64 = 0xfffffffffffffffeull, v[1].i64 = 3;
  cr_assert_eq(wr_call(rt_export_func(inst, "add64"), v, &t, &err), 0);
  cr_assert_eq(v[0].i64, 1);
  uint32_t nan32 = 0x7fa00001u; /* signalling, with payload */
  memset(v, 0, sizeof v);
  v[0].f32 = nan32;
  cr_assert_eq(wr_call(rt_export_func(inst, "id32"), v, &t, &err), 0);
  cr_assert_eq(v[0].f32, nan32);
  uint64_t nan64 = 0xfff4000000000001ull;
  v[0].f64 = nan64;
  cr_assert_eq(wr_call(rt_export_func(inst, "id64"), v, &t, &err), 0);
  cr_assert_eq(v[0].f64, nan64);
  cr_assert_eq(rt_call_trap(inst, "div", 1, 0, &t), WR_TRAP_INT_DIV_ZERO);
  cr_assert_eq(rt_call_trap(inst, "div_caller", 0x80000000u, 0xffffffffu, &t),
               WR_TRAP_INT_OVERFLOW);
  cr_assert_eq(t.n_frames, 2);
  cr_assert_eq(memcmp(t.frames[1].func_name.ptr, "div_caller", 10), 0);
  cr_assert_eq(rt_call_ok(inst, "div", (uint32_t)-7, 2), (uint32_t)-3);
  wr_artifact_free(a);
  wr_store_free(s);
}
