/*
 * cmd_inspect.c: `wasmaot inspect FILE`. For a .wasm module, a summary of
 * what the decoder and validator saw; for a .wao artifact, its metadata
 * (inspect_wao.c). The file's magic decides, not its name.
 */
#include "internal.h"
#include "wm.h"

#include <stdio.h>
#include <string.h>

static const char *const extern_kinds[] = {"func", "table", "memory", "global"};

static void put_name(wm_name n) {
  wl_put_quoted(n.ptr, n.len);
}

static void put_functype(const wm_functype *t) {
  printf("[");
  for (uint32_t i = 0; i < t->n_params; i++)
    printf("%s%s", i ? " " : "", wm_valtype_name(t->params[i]));
  printf("] -> [");
  for (uint32_t i = 0; i < t->n_results; i++)
    printf("%s%s", i ? " " : "", wm_valtype_name(t->results[i]));
  printf("]");
}

static void put_limits(const wm_limits *l) {
  if (l->has_max)
    printf("%u..%u", l->min, l->max);
  else
    printf("%u..", l->min);
}

static void put_sections(const wm_module *m) {
  printf("sections (%u):\n", m->n_sections);
  for (uint32_t i = 0; i < m->n_sections; i++) {
    const wm_section *s = &m->sections[i];
    printf("  %-10s at 0x%06x  %10u bytes", wm_section_name(s->id), s->off,
           s->size);
    if (s->id == 0) {
      printf("  ");
      put_name(s->name);
    }
    putchar('\n');
  }
}

static void put_import(const wm_module *m, const wm_import *im) {
  printf("  %-6s ", extern_kinds[im->kind & 3]);
  put_name(im->module);
  putchar('.');
  put_name(im->field);
  putchar(' ');
  switch (im->kind) {
  case WM_EXTERN_FUNC:
    put_functype(&m->types[im->u.func_type]);
    break;
  case WM_EXTERN_TABLE:
    printf("%s ", wm_valtype_name(im->u.table.elemtype));
    put_limits(&im->u.table.limits);
    break;
  case WM_EXTERN_MEMORY:
    put_limits(&im->u.memory);
    printf(" pages");
    break;
  default:
    printf("%s%s", im->u.global.mut ? "mut " : "",
           wm_valtype_name(im->u.global.type));
  }
  putchar('\n');
}

static void put_imports_exports(const wm_module *m) {
  printf("imports (%u):\n", m->n_imports);
  for (uint32_t i = 0; i < m->n_imports; i++)
    put_import(m, &m->imports[i]);
  printf("exports (%u):\n", m->n_exports);
  for (uint32_t i = 0; i < m->n_exports; i++) {
    const wm_export *e = &m->exports[i];
    printf("  %-6s ", extern_kinds[e->kind & 3]);
    put_name(e->name);
    printf(" = %s %u", extern_kinds[e->kind & 3], e->index);
    if (e->kind == WM_EXTERN_FUNC) {
      putchar(' ');
      put_functype(&m->types[m->func_types[e->index]]);
    }
    putchar('\n');
  }
}

static void put_counts(const wm_module *m) {
  uint64_t code = 0, data = 0;
  for (uint32_t i = 0; i < m->n_funcs - m->n_func_imports; i++)
    code += (uint64_t)(m->codes[i].end - m->codes[i].body);
  for (uint32_t i = 0; i < m->n_datas; i++)
    data += m->datas[i].len;
  printf("types: %u\n", m->n_types);
  printf("functions: %u defined (%llu bytes of code), %u imported\n",
         m->n_funcs - m->n_func_imports, (unsigned long long)code,
         m->n_func_imports);
  printf("tables: %u defined, %u imported\n", m->n_tables - m->n_table_imports,
         m->n_table_imports);
  printf("memories: %u defined, %u imported",
         m->n_memories - m->n_memory_imports, m->n_memory_imports);
  for (uint32_t i = 0; i < m->n_memories; i++) {
    printf(i ? ", " : " (");
    put_limits(&m->memories[i].limits);
    printf(" pages");
  }
  printf(m->n_memories ? ")\n" : "\n");
  printf("globals: %u defined, %u imported\n",
         m->n_globals - m->n_global_imports, m->n_global_imports);
  printf("element segments: %u\n", m->n_elems);
  printf("data segments: %u (%llu bytes)\n", m->n_datas,
         (unsigned long long)data);
  if (m->has_start)
    printf("start: func %u\n", m->start);
  printf("features:");
  if (!m->features)
    printf(" mvp only");
  for (uint32_t bit = 1; bit; bit <<= 1)
    if (m->features & bit)
      printf(" %s", wm_feature_name(bit));
  putchar('\n');
}

static int inspect_module(const char *path, const wa_map *map) {
  wa_err err;
  wa_err_init(&err);
  wm_module *m = NULL;
  if (wm_load(map->data, map->len, path, &m, &err) != 0) {
    wl_report_err("", &err);
    wm_module_free(m);
    return WL_EXIT_FAIL;
  }
  printf("module: %s (%zu bytes, valid)\nsha256: ", path, map->len);
  for (int i = 0; i < 32; i++)
    printf("%02x", m->sha256[i]);
  putchar('\n');
  if (m->module_name.len) {
    printf("name: ");
    put_name(m->module_name);
    putchar('\n');
  }
  put_sections(m);
  put_counts(m);
  put_imports_exports(m);
  wm_module_free(m);
  return WL_EXIT_OK;
}

static int run(int argc, char **argv) {
  if (argc == 2 &&
      (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: wasmaot %s\n\nFor a .wasm module: decodes and validates "
           "it, then prints its sections\nwith offsets and sizes, counts of "
           "functions, tables, memories, globals\nand segments, the features "
           "it uses, its imports and exports.\nFor a .wao artifact: prints "
           "its metadata (format and compiler version,\ntarget, CPU "
           "features, bounds mode, opt level, source digest, imports,\n"
           "exports, state, segments) and whether it runs on this host.\n",
           wl_cmd_usage("inspect"));
    return WL_EXIT_OK;
  }
  if (argc != 2 || argv[1][0] == '-')
    return wl_usage_error("inspect", "expected exactly one FILE");
  const char *path = argv[1];
  wa_err err;
  wa_err_init(&err);
  wa_map map = {0};
  if (wa_file_map(path, &map, &err) != 0) {
    wl_report_err("", &err);
    return WL_EXIT_FAIL;
  }
  bool elf = map.len >= 4 && memcmp(map.data,
                                    "\x7f"
                                    "ELF",
                                    4) == 0;
  int rc = elf ? WL_EXIT_OK : inspect_module(path, &map);
  wa_file_unmap(&map);
  return elf ? wl_inspect_artifact(path) : rc;
}

const wl_cmd wl_cmd_inspect = {"inspect", run, "inspect FILE.wasm|FILE.wao",
                               "summarize a module or an artifact"};
