/* test_instance.c: instantiation (runtime/instance.c): import matching and
 * its messages, linking two instances (calls, shared memory, table and
 * global, canonical type ids), segment traps that keep earlier effects. */
#include "rt_test.h"

static int instantiate(wr_store *s, wr_artifact *a, const wr_extern *im,
                       uint32_t n, wr_instance **out, wr_trap *t,
                       wa_err *err) {
  wa_err_init(err);
  return wr_instance_new(s, a, im, n, out, t, err);
}

/* basic's imports with one of them replaced */
static int basic_with(rt_basic *b, uint32_t which, wr_extern e, wa_err *err) {
  wr_extern im[2] = {{.kind = 0, .u.func = b->host},
                     {.kind = 3, .u.global = b->g_in}};
  im[which] = e;
  wr_instance *inst;
  wr_trap t;
  return instantiate(b->store, b->art, im, 2, &inst, &t, err);
}

Test(runtime_instance, import_mismatches_name_the_import_and_both_types) {
  rt_basic b;
  rt_basic_new(&b, "guard", NULL, NULL);
  wa_err err;
  wr_func *f2;
  static const uint8_t ii[] = {0x7f, 0x7f};
  wr_meta_type t2 = {2, 1, ii, ii};
  cr_assert_eq(wr_func_new_host(b.store, &t2, rt_host_add1, NULL, &f2, &err),
               0);
  cr_assert_eq(basic_with(&b, 0, (wr_extern){.kind = 0, .u.func = f2}, &err),
               WA_ELINK);
  cr_assert(strstr(err.msg, "incompatible import type"), "%s", err.msg);
  cr_assert(strstr(err.msg, "env.host_add1"), "%s", err.msg);
  cr_assert(strstr(err.msg, "expected func [i32] -> [i32]"), "%s", err.msg);
  cr_assert(strstr(err.msg, "got func [i32 i32] -> [i32]"), "%s", err.msg);

  wr_extern mem = {.kind = 2, .u.memory = wr_instance_memory(b.inst)};
  cr_assert_eq(basic_with(&b, 0, mem, &err), WA_ELINK);
  cr_assert(strstr(err.msg, "got memory 1..4"), "%s", err.msg);

  wr_global *gm;
  cr_assert_eq(wr_global_new(b.store, 0x7f, true, (wr_val){.i32 = 0}, &gm,
                             &err), 0);
  cr_assert_eq(basic_with(&b, 1, (wr_extern){.kind = 3, .u.global = gm},
                          &err), WA_ELINK);
  cr_assert(strstr(err.msg, "env.g_in: expected global i32, got global mut "
                            "i32"), "%s", err.msg);
  wr_global *g64;
  cr_assert_eq(wr_global_new(b.store, 0x7e, false, (wr_val){.i64 = 0}, &g64,
                             &err), 0);
  cr_assert_eq(basic_with(&b, 1, (wr_extern){.kind = 3, .u.global = g64},
                          &err), WA_ELINK);

  wr_instance *inst;
  wr_trap t;
  cr_assert_eq(instantiate(b.store, b.art, NULL, 0, &inst, &t, &err),
               WA_ELINK);
  cr_assert(strstr(err.msg, "2 imports"), "%s", err.msg);
  rt_basic_free(&b);
}

static void import_basic(rt_basic *b, wr_extern im[4]) {
  const char *names[4] = {"add", "table", "memory", "g"};
  for (int i = 0; i < 4; i++) {
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(wr_instance_export(b->inst, names[i], strlen(names[i]),
                                    &im[i], &err), 0, "%s", err.msg);
  }
}

RT_MODES_TEST(runtime_instance, instances_link_functions_memory_table_globals) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_extern im[4];
  import_basic(&b, im);
  wr_artifact *a = rt_open("importer", *mode_p);
  wr_instance *imp;
  wr_trap t;
  wa_err err;
  cr_assert_eq(instantiate(b.store, a, im, 4, &imp, &t, &err), 0, "%s",
               err.msg);
  wr_artifact_free(a); /* instances keep their artifact alive */
  cr_assert_eq(rt_call_ok(imp, "call_add", 2, 3), 5, "cross-instance call");
  uint32_t hell = 'h' | 'e' << 8 | 'l' << 16 | (uint32_t)'l' << 24;
  cr_assert_eq(rt_call_ok(imp, "load", 16, 0), hell, "shared memory");
  uint32_t imp3 = 'i' | 'm' << 8 | 'p' << 16;
  cr_assert_eq(rt_call_ok(b.inst, "load", 200, 0), imp3,
               "importer's data segment wrote into basic's memory");
  /* importer's elem segment put its 'double' in basic's table[3]; basic
   * calls it with its own type index for [i32] -> [i32] */
  cr_assert_eq(rt_call_ok(b.inst, "call_indirect", 3, 21), 42);
  cr_assert_eq(rt_call_ok(imp, "call_indirect", 1, 100), 42, "basic's load");
  cr_assert_eq(rt_call_ok(imp, "call_indirect", 2, 5), 6, "host via table");
  rt_call_ok(b.inst, "counter", 7, 0); /* g = 1007 */
  cr_assert_eq(rt_call_ok(imp, "get_g", 1, 0), 1008, "shared global");
  rt_basic_free(&b);
}

RT_MODES_TEST(runtime_instance, limits_are_matched_by_subtyping) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_extern im[4];
  import_basic(&b, im);
  wr_instance *imp;
  wr_trap t;
  wa_err err;
  wr_artifact *a = rt_open("importer_badmax", *mode_p);
  cr_assert_eq(instantiate(b.store, a, im, 4, &imp, &t, &err), WA_ELINK);
  cr_assert(strstr(err.msg, "m.memory: expected memory 1..2, got memory 1..4"),
            "%s", err.msg);
  wr_artifact_free(a);
  a = rt_open("importer_bigtable", *mode_p);
  cr_assert_eq(instantiate(b.store, a, im, 4, &imp, &t, &err), WA_ELINK);
  cr_assert(strstr(err.msg, "m.table"), "%s", err.msg);
  wr_artifact_free(a);
  rt_basic_free(&b);
}

Test(runtime_instance, guard_code_refuses_an_explicit_memory) {
  rt_basic b;
  rt_basic_new(&b, "guard", NULL, NULL);
  wr_extern im[4];
  import_basic(&b, im);
  wa_err err;
  wa_err_init(&err);
  wr_memory *m;
  cr_assert_eq(wr_memory_new(b.store, 1, 4, true, WR_BOUNDS_EXPLICIT, &m,
                             &err), 0);
  im[2].u.memory = m;
  wr_artifact *a = rt_open("importer", "guard");
  wr_instance *imp;
  wr_trap t;
  cr_assert_eq(instantiate(b.store, a, im, 4, &imp, &t, &err), WA_ELINK);
  cr_assert(strstr(err.msg, "guard-mode"), "%s", err.msg);
  wr_artifact_free(a);
  /* explicit code is happy with either */
  a = rt_open("importer", "explicit");
  cr_assert_eq(instantiate(b.store, a, im, 4, &imp, &t, &err), 0, "%s",
               err.msg);
  im[2].u.memory = wr_instance_memory(b.inst);
  cr_assert_eq(instantiate(b.store, a, im, 4, &imp, &t, &err), 0, "%s",
               err.msg);
  wr_artifact_free(a);
  rt_basic_free(&b);
}

/* spec linking.wast: a data segment out of bounds traps, but the element
 * segment and the data segment before it have taken effect, and the
 * function the failed instance put in the shared table stays callable. */
RT_MODES_TEST(runtime_instance, segment_trap_keeps_earlier_effects) {
  rt_basic b;
  rt_basic_new(&b, *mode_p, NULL, NULL);
  wr_extern im[4];
  import_basic(&b, im);
  wr_artifact *a = rt_open("importer_oob", *mode_p);
  wr_instance *imp = (wr_instance *)1;
  wr_trap t;
  wa_err err;
  cr_assert_eq(instantiate(b.store, a, im, 4, &imp, &t, &err), WA_ETRAP);
  cr_assert_null(imp);
  cr_assert_eq(t.kind, WR_TRAP_OOB_MEMORY);
  wr_artifact_free(a);
  cr_assert_eq(rt_call_ok(b.inst, "call_indirect", 3, 4), 8);
  cr_assert_eq(rt_call_ok(b.inst, "load", 200, 0), 'i' | 'm' << 8 | 'p' << 16);
  rt_basic_free(&b);
}

Test(runtime_instance, exports_are_found_by_name_only) {
  rt_basic b;
  rt_basic_new(&b, "guard", NULL, NULL);
  wr_extern e;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_instance_export(b.inst, "nope", 4, &e, &err), WA_ENOTFOUND);
  cr_assert_eq(wr_instance_export(b.inst, "ad", 2, &e, &err), WA_ENOTFOUND);
  wa_err_init(&err);
  cr_assert_eq(wr_instance_export(b.inst, "table", 5, &e, &err), 0);
  cr_assert_eq(e.kind, 1);
  cr_assert_eq(wr_table_size(e.u.table), 4);
  void *ref;
  cr_assert_eq(wr_table_get(e.u.table, 0, &ref), 0);
  cr_assert_eq(wr_func_type(ref)->n_params, 2, "table[0] is add");
  cr_assert_eq(wr_table_get(e.u.table, 4, &ref), -1);
  cr_assert_eq(wr_table_set(e.u.table, 3, b.host), -1,
               "a bare host function has no Wasm entry point");
  cr_assert_eq(wr_table_set(e.u.table, 3, rt_export_func(b.inst, "load")), 0);
  cr_assert_eq(rt_call_ok(b.inst, "call_indirect", 3, 100), 42);
  const wr_meta *m = wr_instance_meta(b.inst);
  cr_assert_eq(m->n_funcs, 15);
  rt_basic_free(&b);
}

Test(runtime_instance, host_tables_and_globals_work) {
  wr_store *s;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_store_new(&s, &err), 0);
  wr_table *t;
  cr_assert_eq(wr_table_new(s, 0x6f, 2, 3, true, (void *)0x1234, &t, &err), 0);
  void *r;
  cr_assert_eq(wr_table_get(t, 1, &r), 0);
  cr_assert_eq(r, (void *)0x1234);
  cr_assert_eq(wr_table_set(t, 1, (void *)0x99), 0, "externref: anything");
  cr_assert_eq(wr_table_new(s, 0x70, 5, 3, true, NULL, &t, &err), WA_EUSAGE);
  wr_global *g;
  cr_assert_eq(wr_global_new(s, 0x7c, true, (wr_val){.f64 = 7}, &g, &err), 0);
  cr_assert_eq(wr_global_type(g), 0x7c);
  cr_assert(wr_global_mutable(g));
  cr_assert_eq(wr_global_get(g).f64, 7);
  wr_store_free(s);
}
