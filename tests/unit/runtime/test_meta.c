/* test_meta.c: the metadata codec (runtime/meta.c): round trip, every
 * truncation rejected, corruption never crashes and never yields an
 * inconsistent wr_meta. */
#include "meta.h"

#include <criterion/criterion.h>
#include <string.h>

static const uint8_t p_ii[] = {0x7f, 0x7f};
static const uint8_t r_i[] = {0x7f};
static const uint8_t p_f[] = {0x7c, 0x7d, 0x7e, 0x7b, 0x70, 0x6f};

#define NAME(s) ((wr_name){s, (uint32_t)(sizeof s - 1)})

static wr_meta_type types[] = {
    {2, 1, p_ii, r_i}, {0, 0, NULL, NULL}, {6, 0, p_f, NULL}};
static wr_meta_import imports[] = {
    {NAME("env"), NAME("f"), 0, 0},
    {NAME("env"), NAME("t"), 1, 0},
    {NAME("env"), NAME("m"), 2, 0},
    {NAME("env"), NAME("g\0x"), 3, 0}, /* names may hold NUL */
};
static uint32_t func_types[] = {0, 1, 0, 2};
static wr_meta_table tables[] = {{0x70, true, false, 1, 0},
                                 {0x6f, false, true, 0, 10}};
static wr_meta_memory memories[] = {{true, true, 1, 65536}};
static wr_meta_global globals[] = {
    {0x7f, false, true, {WR_CONST_I32, 0, {0}}},
    {0x7e, true, false, {WR_CONST_I64, 0, {1, 2, 3, 4, 5, 6, 7, 8}}},
    {0x7f, false, false, {WR_CONST_GLOBAL_GET, 0, {0}}},
    {0x70, false, false, {WR_CONST_REF_FUNC, 3, {0}}},
    {0x6f, true, false, {WR_CONST_REF_NULL, 0x6f, {0}}},
    {0x7b, false, false, {WR_CONST_V128, 0, {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                             9, 9, 9, 9, 9}}},
};
static wr_meta_export exports[] = {{NAME("add"), 0, 2},
                                   {NAME("mem"), 2, 0},
                                   {NAME(""), 3, 5}};
static wr_meta_const items[] = {{WR_CONST_REF_FUNC, 0, {0}},
                                {WR_CONST_REF_NULL, 0x70, {0}},
                                {WR_CONST_REF_FUNC, 2, {0}}};
static wr_meta_elem elems[] = {
    {WR_SEG_ACTIVE, 0x70, 0, {WR_CONST_I32, 0, {4, 0, 0, 0}}, 3, items},
    {WR_SEG_PASSIVE, 0x70, 0, {WR_CONST_I32, 0, {0}}, 1, items},
    {WR_SEG_DECLARATIVE, 0x70, 0, {WR_CONST_I32, 0, {0}}, 0, NULL},
    {WR_SEG_ACTIVE, 0x70, 0, {WR_CONST_GLOBAL_GET, 0, {0}}, 0, NULL},
};
static wr_meta_data datas[] = {
    {WR_SEG_ACTIVE, {WR_CONST_I32, 0, {0x10, 0, 0, 0}}, 0, 5},
    {WR_SEG_PASSIVE, {WR_CONST_I32, 0, {0}}, 5, 0},
};
static wr_name func_names[] = {NAME("f"), NAME(""), NAME("add"), NAME("z")};

static wr_meta sample(void) {
  wr_meta m;
  memset(&m, 0, sizeof m);
  m.format_version = WR_FORMAT_VERSION;
  m.abi_version = WR_ABI_VERSION;
  m.compiler_version = NAME("wasmaot 0.1.0 llvm 19");
  m.triple = NAME("x86_64-unknown-linux-gnu");
  m.cpu = NAME("x86-64-v2");
  m.features = NAME("+sse4.1,+popcnt");
  m.bounds = WR_BOUNDS_EXPLICIT;
  m.opt_level = 2;
  for (int i = 0; i < 32; i++)
    m.module_sha256[i] = (uint8_t)(i * 7);
  m.n_types = 3, m.types = types;
  m.n_imports = 4, m.imports = imports;
  m.n_funcs = 4, m.n_func_imports = 1, m.func_types = func_types;
  m.n_tables = 2, m.tables = tables;
  m.n_memories = 1, m.memories = memories;
  m.n_globals = 6, m.n_global_imports = 1, m.globals = globals;
  m.n_exports = 3, m.exports = exports;
  m.has_start = true, m.start = 1;
  m.n_elems = 4, m.elems = elems;
  m.n_datas = 2, m.datas = datas;
  m.module_name = NAME("mod");
  m.func_names = func_names;
  return m;
}

static void encode(const wr_meta *m, wa_buf *b) {
  wa_err err;
  wa_err_init(&err);
  wa_buf_init(b);
  cr_assert_eq(wr_meta_encode(m, b, &err), 0, "%s", err.msg);
}

static bool name_eq(wr_name a, wr_name b) {
  return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0 &&
         a.ptr[a.len] == 0;
}

static bool const_eq(const wr_meta_const *a, const wr_meta_const *b) {
  return a->kind == b->kind && a->index == b->index &&
         memcmp(a->bytes, b->bytes, 16) == 0;
}

Test(runtime_meta, round_trip_keeps_every_field) {
  wr_meta m = sample(), d;
  wa_buf b;
  encode(&m, &b);
  wa_arena arena;
  wa_arena_init(&arena, 4096);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_meta_decode(b.data, b.len, &arena, &d, &err), 0, "%s",
               err.msg);
  cr_assert_eq(d.format_version, WR_FORMAT_VERSION);
  cr_assert_eq(d.abi_version, WR_ABI_VERSION);
  cr_assert(name_eq(d.compiler_version, m.compiler_version));
  cr_assert(name_eq(d.triple, m.triple));
  cr_assert(name_eq(d.cpu, m.cpu));
  cr_assert(name_eq(d.features, m.features));
  cr_assert_eq(d.bounds, m.bounds);
  cr_assert_eq(d.opt_level, 2);
  cr_assert_arr_eq(d.module_sha256, m.module_sha256, 32);
  cr_assert_eq(d.n_types, 3);
  for (uint32_t i = 0; i < 3; i++) {
    cr_assert_eq(d.types[i].n_params, m.types[i].n_params);
    cr_assert_eq(d.types[i].n_results, m.types[i].n_results);
    if (m.types[i].n_params)
      cr_assert_arr_eq(d.types[i].params, m.types[i].params,
                       m.types[i].n_params);
    if (m.types[i].n_results)
      cr_assert_arr_eq(d.types[i].results, m.types[i].results,
                       m.types[i].n_results);
  }
  cr_assert_eq(d.n_imports, 4);
  for (uint32_t i = 0; i < 4; i++) {
    cr_assert(name_eq(d.imports[i].module, m.imports[i].module));
    cr_assert(name_eq(d.imports[i].field, m.imports[i].field));
    cr_assert_eq(d.imports[i].kind, m.imports[i].kind);
    cr_assert_eq(d.imports[i].index, m.imports[i].index);
  }
  cr_assert_eq(d.imports[3].field.len, 3, "NUL inside a name survives");
  cr_assert_eq(d.n_funcs, 4);
  cr_assert_eq(d.n_func_imports, 1);
  cr_assert_arr_eq(d.func_types, func_types, sizeof func_types);
  cr_assert_eq(d.n_tables, 2);
  cr_assert_arr_eq(d.tables, tables, sizeof tables);
  cr_assert_eq(d.n_memories, 1);
  cr_assert_arr_eq(d.memories, memories, sizeof memories);
  cr_assert_eq(d.n_globals, 6);
  cr_assert_eq(d.n_global_imports, 1);
  for (uint32_t i = 0; i < 6; i++) {
    cr_assert_eq(d.globals[i].type, globals[i].type);
    cr_assert_eq(d.globals[i].mut, globals[i].mut);
    cr_assert_eq(d.globals[i].imported, globals[i].imported);
    cr_assert(const_eq(&d.globals[i].init, &globals[i].init), "global %u", i);
  }
  cr_assert_eq(d.n_exports, 3);
  for (uint32_t i = 0; i < 3; i++) {
    cr_assert(name_eq(d.exports[i].name, exports[i].name));
    cr_assert_eq(d.exports[i].kind, exports[i].kind);
    cr_assert_eq(d.exports[i].index, exports[i].index);
  }
  cr_assert(d.has_start);
  cr_assert_eq(d.start, 1);
  cr_assert_eq(d.n_elems, 4);
  for (uint32_t i = 0; i < 4; i++) {
    cr_assert_eq(d.elems[i].mode, elems[i].mode);
    cr_assert_eq(d.elems[i].elemtype, elems[i].elemtype);
    cr_assert_eq(d.elems[i].table, elems[i].table);
    cr_assert(const_eq(&d.elems[i].offset, &elems[i].offset));
    cr_assert_eq(d.elems[i].n_items, elems[i].n_items);
    for (uint32_t j = 0; j < elems[i].n_items; j++)
      cr_assert(const_eq(&d.elems[i].items[j], &elems[i].items[j]));
  }
  cr_assert_eq(d.n_datas, 2);
  for (uint32_t i = 0; i < 2; i++) {
    cr_assert_eq(d.datas[i].mode, datas[i].mode);
    cr_assert(const_eq(&d.datas[i].offset, &datas[i].offset));
    cr_assert_eq(d.datas[i].data_off, datas[i].data_off);
    cr_assert_eq(d.datas[i].len, datas[i].len);
  }
  cr_assert(name_eq(d.module_name, m.module_name));
  cr_assert_not_null(d.func_names);
  for (uint32_t i = 0; i < 4; i++)
    cr_assert(name_eq(d.func_names[i], func_names[i]));
  wa_arena_free(&arena);
  wa_buf_free(&b);
}

Test(runtime_meta, empty_module_round_trips_without_names) {
  wr_meta m, d;
  memset(&m, 0, sizeof m);
  m.format_version = WR_FORMAT_VERSION;
  m.abi_version = WR_ABI_VERSION;
  wa_buf b;
  encode(&m, &b);
  wa_arena arena;
  wa_arena_init(&arena, 1024);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_meta_decode(b.data, b.len, &arena, &d, &err), 0, "%s",
               err.msg);
  cr_assert_null(d.func_names);
  cr_assert_eq(d.n_funcs, 0);
  cr_assert_eq(d.triple.len, 0);
  cr_assert_str_eq(d.triple.ptr, "");
  wa_arena_free(&arena);
  wa_buf_free(&b);
}

Test(runtime_meta, encode_appends_after_existing_bytes) {
  wr_meta m = sample(), d;
  wa_buf b;
  wa_err err;
  wa_err_init(&err);
  wa_buf_init(&b);
  cr_assert_eq(wa_buf_append(&b, "xyz", 3, &err), 0);
  cr_assert_eq(wr_meta_encode(&m, &b, &err), 0, "%s", err.msg);
  wa_arena arena;
  wa_arena_init(&arena, 4096);
  cr_assert_eq(wr_meta_decode(b.data + 3, b.len - 3, &arena, &d, &err), 0,
               "%s", err.msg);
  cr_assert_eq(d.n_funcs, 4);
  wa_arena_free(&arena);
  wa_buf_free(&b);
}

static int decode_copy(const uint8_t *p, size_t n, wa_err *err) {
  /* A heap copy of exactly n bytes, so ASan sees any overread. */
  uint8_t *q = malloc(n ? n : 1);
  memcpy(q, p, n);
  wa_arena arena;
  wa_arena_init(&arena, 1024);
  wr_meta d;
  int rc = wr_meta_decode(q, n, &arena, &d, err);
  if (rc == 0) {
    /* Whatever decodes must encode and decode again: it is consistent. */
    wa_buf b;
    wa_err e2;
    wa_err_init(&e2);
    wa_buf_init(&b);
    cr_assert_eq(wr_meta_encode(&d, &b, &e2), 0, "%s", e2.msg);
    wa_arena a2;
    wa_arena_init(&a2, 1024);
    wr_meta d2;
    cr_assert_eq(wr_meta_decode(b.data, b.len, &a2, &d2, &e2), 0, "%s",
                 e2.msg);
    cr_assert_eq(b.len, n);
    wa_arena_free(&a2);
    wa_buf_free(&b);
  }
  wa_arena_free(&arena);
  free(q);
  return rc;
}

Test(runtime_meta, every_truncation_is_rejected) {
  wr_meta m = sample();
  wa_buf b;
  encode(&m, &b);
  for (size_t k = 0; k < b.len; k++) {
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(decode_copy(b.data, k, &err), WA_ECORRUPT, "length %zu", k);
    cr_assert_neq(err.off, WA_NOOFF);
    cr_assert_str_eq(err.what, WR_SECTION_META);
  }
  wa_buf_free(&b);
}

/* With the recorded length patched to match, truncation reaches the field
 * readers instead of the length check. */
Test(runtime_meta, every_truncation_with_matching_length_is_rejected) {
  wr_meta m = sample();
  wa_buf b;
  encode(&m, &b);
  for (size_t k = 20; k < b.len; k++) {
    uint8_t *q = malloc(k);
    memcpy(q, b.data, k);
    for (int i = 0; i < 4; i++)
      q[16 + i] = (uint8_t)(k >> (8 * i));
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(decode_copy(q, k, &err), WA_ECORRUPT, "length %zu", k);
    cr_assert_leq(err.off, k, "offset %llu within %zu",
                  (unsigned long long)err.off, k);
    free(q);
  }
  wa_buf_free(&b);
}

Test(runtime_meta, trailing_bytes_are_rejected) {
  wr_meta m = sample();
  wa_buf b;
  encode(&m, &b);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wa_buf_u8(&b, 0, &err), 0);
  size_t n = b.len;
  for (int i = 0; i < 4; i++)
    b.data[16 + i] = (uint8_t)(n >> (8 * i));
  cr_assert_eq(decode_copy(b.data, n, &err), WA_ECORRUPT);
  cr_assert_eq(err.off, n - 1);
  cr_assert(strstr(err.msg, "trailing"), "%s", err.msg);
  wa_buf_free(&b);
}

Test(runtime_meta, other_format_version_is_a_mismatch) {
  wr_meta m = sample();
  m.format_version = WR_FORMAT_VERSION + 1;
  wa_buf b;
  encode(&m, &b);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(decode_copy(b.data, b.len, &err), WA_EMISMATCH);
  cr_assert(strstr(err.msg, "format version"), "%s", err.msg);
  wa_buf_free(&b);
}

Test(runtime_meta, bad_magic_is_corrupt) {
  wr_meta m = sample();
  wa_buf b;
  encode(&m, &b);
  b.data[0] = 'X';
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(decode_copy(b.data, b.len, &err), WA_ECORRUPT);
  cr_assert_eq(err.off, 0);
  wa_buf_free(&b);
}

/* Semantic checks: each mutation encodes fine but must not decode. */
Test(runtime_meta, inconsistent_indices_are_rejected) {
  static wr_meta_type bad_types[] = {{1, 0, (const uint8_t *)"\x01", NULL}};
  static uint32_t bad_ft[] = {0, 1, 7, 2};
  static wr_meta_export bad_exp[] = {{NAME("x"), 0, 4}};
  static wr_meta_global bad_g[] = {
      {0x7f, false, true, {WR_CONST_I32, 0, {0}}},
      {0x7e, true, false, {WR_CONST_I32, 0, {0}}}, /* i32 const for i64 */
  };
  static wr_meta_global bad_g2[] = {
      {0x7f, false, true, {WR_CONST_I32, 0, {0}}},
      {0x7f, true, false, {WR_CONST_GLOBAL_GET, 1, {0}}}, /* not an import */
  };
  static wr_meta_import bad_imp[] = {
      {NAME("env"), NAME("f"), 0, 1}, /* must be 0 */
      {NAME("env"), NAME("t"), 1, 0},
      {NAME("env"), NAME("m"), 2, 0},
      {NAME("env"), NAME("g"), 3, 0},
  };
  static wr_meta_const bad_items[] = {{WR_CONST_REF_FUNC, 4, {0}}};
  static wr_meta_elem bad_elem[] = {
      {WR_SEG_ACTIVE, 0x70, 0, {WR_CONST_I32, 0, {0}}, 1, bad_items}};
  static wr_meta_elem bad_elem2[] = {
      {WR_SEG_ACTIVE, 0x70, 1, {WR_CONST_I32, 0, {0}}, 0, NULL}}; /* externref
                                                                    table */
  static wr_meta_memory bad_mem[] = {{true, true, 2, 1}};
  for (int c = 0; c < 10; c++) {
    wr_meta m = sample();
    switch (c) {
    case 0: m.types = bad_types, m.n_types = 1; break;
    case 1: m.func_types = bad_ft; break;
    case 2: m.exports = bad_exp, m.n_exports = 1; break;
    case 3: m.globals = bad_g, m.n_globals = 2, m.n_exports = 0; break;
    case 4: m.globals = bad_g2, m.n_globals = 2, m.n_exports = 0; break;
    case 5: m.imports = bad_imp; break;
    case 6: m.elems = bad_elem, m.n_elems = 1; break;
    case 7: m.elems = bad_elem2, m.n_elems = 1; break;
    case 8: m.memories = bad_mem; break;
    case 9: m.start = 0; break; /* type 0 is [i32 i32] -> [i32] */
    }
    wa_buf b;
    encode(&m, &b);
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(decode_copy(b.data, b.len, &err), WA_ECORRUPT, "case %d", c);
    cr_assert_neq(err.off, WA_NOOFF, "case %d", c);
    wa_buf_free(&b);
  }
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 32);
}

/* Random byte flips: decode must fail cleanly or produce a consistent
 * wr_meta (checked by re-encoding in decode_copy); never crash. */
Test(runtime_meta, random_corruption_never_crashes) {
  wr_meta m = sample();
  wa_buf b;
  encode(&m, &b);
  int ok = 0, bad = 0;
  for (int iter = 0; iter < 20000; iter++) {
    uint8_t *q = malloc(b.len);
    memcpy(q, b.data, b.len);
    int flips = 1 + (int)(next() % 4);
    for (int f = 0; f < flips; f++) {
      size_t at = 20 + next() % (b.len - 20);
      switch (next() % 3) {
      case 0: q[at] ^= (uint8_t)(1u << (next() % 8)); break;
      case 1: q[at] = (uint8_t)next(); break;
      default: q[at] = 0xff; break;
      }
    }
    wa_err err;
    wa_err_init(&err);
    int rc = decode_copy(q, b.len, &err);
    cr_assert(rc == 0 || rc == WA_ECORRUPT, "rc %d: %s", rc, err.msg);
    rc ? bad++ : ok++;
    free(q);
  }
  cr_assert_gt(bad, 1000, "most corruptions are detected (%d ok)", ok);
  wa_buf_free(&b);
}
