/*
 * inspect_wao.c: `wasmaot inspect FILE.wao`: prints an artifact's
 * metadata (versions, target, bounds mode, the module's imports, exports,
 * memories, tables, globals and segments) and whether this host can run
 * it. Reads the metadata without mapping code; then loads the artifact
 * once to report the host checks' verdict.
 */
#include "internal.h"
#include "wr.h"

#include <stdio.h>
#include <string.h>

static void put_name(wr_name n) {
  wl_put_quoted(n.ptr, n.len);
}

static void put_type(const wr_meta_type *t) {
  printf("[");
  for (uint32_t i = 0; i < t->n_params; i++)
    printf("%s%s", i ? " " : "", wr_meta_valtype_name(t->params[i]));
  printf("] -> [");
  for (uint32_t i = 0; i < t->n_results; i++)
    printf("%s%s", i ? " " : "", wr_meta_valtype_name(t->results[i]));
  printf("]");
}

static void put_limits(uint32_t min, bool has_max, uint32_t max) {
  if (has_max)
    printf("%u..%u", min, max);
  else
    printf("%u..", min);
}

static void put_const(const wr_meta_const *c) {
  uint32_t u32;
  uint64_t u64;
  memcpy(&u32, c->bytes, 4);
  memcpy(&u64, c->bytes, 8);
  switch (c->kind) {
  case WR_CONST_I32:
    printf("i32.const %d", (int32_t)u32);
    break;
  case WR_CONST_I64:
    printf("i64.const %lld", (long long)(int64_t)u64);
    break;
  case WR_CONST_F32:
    printf("f32.const bits 0x%08x", u32);
    break;
  case WR_CONST_F64:
    printf("f64.const bits 0x%016llx", (unsigned long long)u64);
    break;
  case WR_CONST_V128:
    printf("v128.const 0x");
    for (int i = 15; i >= 0; i--)
      printf("%02x", c->bytes[i]);
    break;
  case WR_CONST_REF_NULL:
    printf("ref.null %s", c->index == 0x70 ? "func" : "extern");
    break;
  case WR_CONST_REF_FUNC:
    printf("ref.func %u", c->index);
    break;
  default:
    printf("global.get %u", c->index);
  }
}

static const char *const kinds[] = {"func", "table", "memory", "global"};
static const char *const seg_modes[] = {"active", "passive", "declarative"};

static void put_imports_exports(const wr_meta *m) {
  printf("imports: %u\n", m->n_imports);
  for (uint32_t i = 0; i < m->n_imports; i++) {
    const wr_meta_import *im = &m->imports[i];
    printf("  %s %u ", kinds[im->kind], im->index);
    put_name(im->module);
    putchar('.');
    put_name(im->field);
    printf(" : ");
    if (im->kind == 0)
      put_type(&m->types[m->func_types[im->index]]);
    else if (im->kind == 1)
      printf("%s ", wr_meta_valtype_name(m->tables[im->index].elemtype)),
          put_limits(m->tables[im->index].min, m->tables[im->index].has_max,
                     m->tables[im->index].max);
    else if (im->kind == 2)
      put_limits(m->memories[im->index].min, m->memories[im->index].has_max,
                 m->memories[im->index].max);
    else
      printf("%s%s", m->globals[im->index].mut ? "mut " : "",
             wr_meta_valtype_name(m->globals[im->index].type));
    putchar('\n');
  }
  printf("exports: %u\n", m->n_exports);
  for (uint32_t i = 0; i < m->n_exports; i++) {
    const wr_meta_export *e = &m->exports[i];
    printf("  %s %u ", kinds[e->kind], e->index);
    put_name(e->name);
    if (e->kind == 0) {
      printf(" : ");
      put_type(&m->types[m->func_types[e->index]]);
    }
    putchar('\n');
  }
}

static void put_state(const wr_meta *m) {
  printf("functions: %u (%u imported), types: %u\n", m->n_funcs,
         m->n_func_imports, m->n_types);
  for (uint32_t i = 0; i < m->n_memories; i++) {
    printf("memory %u: ", i);
    put_limits(m->memories[i].min, m->memories[i].has_max, m->memories[i].max);
    printf(" pages%s\n", m->memories[i].imported ? " (imported)" : "");
  }
  for (uint32_t i = 0; i < m->n_tables; i++) {
    printf("table %u: %s ", i, wr_meta_valtype_name(m->tables[i].elemtype));
    put_limits(m->tables[i].min, m->tables[i].has_max, m->tables[i].max);
    printf("%s\n", m->tables[i].imported ? " (imported)" : "");
  }
  for (uint32_t i = 0; i < m->n_globals; i++) {
    const wr_meta_global *g = &m->globals[i];
    printf("global %u: %s%s", i, g->mut ? "mut " : "",
           wr_meta_valtype_name(g->type));
    if (g->imported) {
      printf(" (imported)\n");
    } else {
      printf(" = ");
      put_const(&g->init);
      putchar('\n');
    }
  }
  if (m->has_start)
    printf("start: func %u\n", m->start);
}

static void put_segments(const wr_meta *m) {
  printf("element segments: %u\n", m->n_elems);
  for (uint32_t i = 0; i < m->n_elems; i++) {
    const wr_meta_elem *e = &m->elems[i];
    printf("  %u: %s %s", i, seg_modes[e->mode],
           wr_meta_valtype_name(e->elemtype));
    if (e->mode == WR_SEG_ACTIVE) {
      printf(" table %u offset ", e->table);
      put_const(&e->offset);
    }
    printf(", %u items\n", e->n_items);
  }
  printf("data segments: %u\n", m->n_datas);
  for (uint32_t i = 0; i < m->n_datas; i++) {
    const wr_meta_data *d = &m->datas[i];
    printf("  %u: %s", i, seg_modes[d->mode]);
    if (d->mode == WR_SEG_ACTIVE) {
      printf(" offset ");
      put_const(&d->offset);
    }
    printf(", %u bytes at %s+%llu\n", d->len, WR_SECTION_DATA,
           (unsigned long long)d->data_off);
  }
}

static void put_header(const char *path, const wr_meta *m) {
  char sha[65];
  wa_hex(m->module_sha256, 32, sha);
  printf("artifact: %s\n", path);
  printf("format version: %u, abi version: %u\n", m->format_version,
         m->abi_version);
  printf("compiler: %.*s\n", (int)m->compiler_version.len,
         m->compiler_version.ptr);
  printf("target: %.*s, cpu: %.*s\n", (int)m->triple.len, m->triple.ptr,
         (int)m->cpu.len, m->cpu.ptr);
  printf("features: %.*s\n", (int)m->features.len, m->features.ptr);
  printf("bounds: %s, opt level: %u\n",
         m->bounds == WR_BOUNDS_GUARD ? "guard" : "explicit", m->opt_level);
  printf("module sha256: %s\n", sha);
  if (m->module_name.len) {
    printf("module name: ");
    put_name(m->module_name);
    putchar('\n');
  }
}

int wl_inspect_artifact(const char *path) {
  wa_err err;
  wa_err_init(&err);
  wa_map map = {0};
  wa_arena arena;
  wa_arena_init(&arena, 16384);
  wr_meta m;
  int status = WL_EXIT_FAIL;
  if (wa_file_map(path, &map, &err) != 0 ||
      wr_artifact_describe(map.data, map.len, path, &arena, &m, &err) != 0) {
    wl_report_err("inspect", &err);
    goto out;
  }
  put_header(path, &m);
  put_state(&m);
  put_imports_exports(&m);
  put_segments(&m);
  wr_artifact *a;
  wa_err_init(&err);
  if (wr_artifact_load(map.data, map.len, path, &a, &err) == 0) {
    const wr_artifact_image *im = wr_artifact_image_info(a);
    printf("code: %llu bytes in a %llu-byte image, %s; %u fixups, %u "
           "externals at load\n",
           (unsigned long long)im->code_size,
           (unsigned long long)im->image_size,
           im->prelinked ? "pre-linked by the compiler"
                         : "linked at load (no pre-linked image)",
           im->n_fixups, im->n_externs);
    printf("runs on this host: yes\n");
    wr_artifact_free(a);
  } else {
    printf("runs on this host: no: %s\n", err.msg);
  }
  status = WL_EXIT_OK;
out:
  wa_arena_free(&arena);
  if (map.data)
    wa_file_unmap(&map);
  return status;
}
