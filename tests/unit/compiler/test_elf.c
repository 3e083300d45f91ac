/*
 * test_elf.c: the artifact object (compiler/elf.c, artifact.c, glue.c,
 * chunk.c): sections and their flags, which symbols stay global, what may
 * stay undefined, the metadata it carries, data-segment placement,
 * AArch64 cross-compilation, and chunked compilation (merged objects run
 * the same and do not depend on the thread count).
 */
#include "harness.h"
#include "internal.h"
#include "wr_prelink.h"

#include <criterion/criterion.h>
#include <elf.h>
#include <string.h>

typedef struct elf_view {
  const uint8_t *p;
  size_t n;
  const Elf64_Ehdr *eh;
  const Elf64_Shdr *sh;
  const char *shstr;
} elf_view;

static elf_view view(const uint8_t *p, size_t n) {
  elf_view v = {p, n, (const Elf64_Ehdr *)p, NULL, NULL};
  cr_assert_geq(n, sizeof(Elf64_Ehdr));
  cr_assert_eq(memcmp(p, ELFMAG, SELFMAG), 0);
  cr_assert_eq(v.eh->e_type, ET_REL);
  cr_assert_leq(v.eh->e_shoff + v.eh->e_shnum * sizeof(Elf64_Shdr), n);
  v.sh = (const Elf64_Shdr *)(p + v.eh->e_shoff);
  v.shstr = (const char *)p + v.sh[v.eh->e_shstrndx].sh_offset;
  return v;
}

static const Elf64_Shdr *find(const elf_view *v, const char *name) {
  for (unsigned i = 0; i < v->eh->e_shnum; i++)
    if (strcmp(v->shstr + v->sh[i].sh_name, name) == 0)
      return &v->sh[i];
  return NULL;
}

static uint8_t *compile_file(const char *name, const wc_config *c,
                             size_t *len) {
  uint8_t *w, *out = NULL;
  size_t n;
  cr_assert_eq(wct_wasm(name, &w, &n), 0, "reading %s", name);
  wa_err err;
  wa_err_init(&err);
  int rc = wc_compile(w, n, name, c, &out, len, &err);
  cr_assert_eq(rc, 0, "%s", err.msg);
  wa_free(w);
  return out;
}

static bool allowed_undefined(const char *s) {
  static const char *const ok[] = {"memcpy",  "memmove", "memset",
                                   "ceil",    "ceilf",   "floor",
                                   "floorf",  "trunc",   "truncf",
                                   "roundeven", "roundevenf", "nearbyint",
                                   "nearbyintf", "rint", "rintf"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (strcmp(s, ok[i]) == 0)
      return true;
  return false;
}

/* Checks the symbol table; returns the number of wasm_f* symbols. */
static unsigned check_symbols(const elf_view *v) {
  const Elf64_Shdr *st = find(v, ".symtab");
  cr_assert_not_null(st);
  const Elf64_Sym *syms = (const Elf64_Sym *)(v->p + st->sh_offset);
  const char *str = (const char *)v->p + v->sh[st->sh_link].sh_offset;
  unsigned n = (unsigned)(st->sh_size / sizeof *syms), funcs = 0, globals = 0;
  for (unsigned i = 1; i < n; i++) {
    const char *name = str + syms[i].st_name;
    unsigned bind = ELF64_ST_BIND(syms[i].st_info);
    if (i < st->sh_info)
      cr_assert_eq(bind, STB_LOCAL, "%s before sh_info", name);
    else
      cr_assert_eq(bind, STB_GLOBAL, "%s after sh_info", name);
    if (strncmp(name, "wasm_f", 6) == 0)
      funcs++;
    if (syms[i].st_shndx == SHN_UNDEF) {
      cr_assert(allowed_undefined(name), "undefined symbol %s", name);
      continue;
    }
    if (bind == STB_GLOBAL) {
      globals++;
      cr_assert(strcmp(name, WR_SYM_FUNCS) == 0 ||
                    strcmp(name, WR_SYM_TRAMPS) == 0 ||
                    strcmp(name, WR_SYM_ADAPTERS) == 0,
                "unexpected global %s", name);
    }
  }
  cr_assert_eq(globals, 3u);
  return funcs;
}

Test(compiler_elf, artifact_has_meta_data_sections_and_three_globals) {
  wc_config c;
  wc_config_default(&c);
  c.bounds = WR_BOUNDS_EXPLICIT;
  c.opt_level = 3;
  size_t len;
  uint8_t *o = compile_file("memory", &c, &len);
  elf_view v = view(o, len);
#if defined(__x86_64__)
  cr_assert_eq(v.eh->e_machine, EM_X86_64);
#endif
  const Elf64_Shdr *ms = find(&v, WR_SECTION_META);
  const Elf64_Shdr *ds = find(&v, WR_SECTION_DATA);
  cr_assert_not_null(ms);
  cr_assert_not_null(ds);
  cr_assert_eq(ms->sh_flags, 0u);
  cr_assert_eq(ds->sh_flags, 0u);
  cr_assert_eq(ds->sh_offset % 4096, 0u);
  cr_assert_eq(ds->sh_size, 10u + 8u);
  cr_assert_eq(check_symbols(&v), 23u, "one symbol per function");

  wa_arena a;
  wa_arena_init(&a, 4096);
  wr_meta m;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_meta_decode(o + ms->sh_offset, ms->sh_size, &a, &m, &err), 0,
               "%s", err.msg);
  cr_assert_eq(m.bounds, WR_BOUNDS_EXPLICIT);
  cr_assert_eq(m.opt_level, 3);
  cr_assert_eq(m.n_datas, 2u);
  cr_assert_eq(m.datas[1].mode, WR_SEG_PASSIVE);
  cr_assert_eq(memcmp(o + ds->sh_offset + m.datas[1].data_off, "passive!", 8),
               0);
  cr_assert_eq(m.n_memories, 1u);
  cr_assert_eq(m.memories[0].max, 4u);
  uint8_t *w;
  size_t n;
  uint8_t sum[32];
  cr_assert_eq(wct_wasm("memory", &w, &n), 0);
  wa_sha256_once(w, n, sum);
  cr_assert_eq(memcmp(m.module_sha256, sum, 32), 0);
  cr_assert_eq(m.triple.len, strlen(m.triple.ptr));
  wa_free(w);
  wa_arena_free(&a);
  wa_free(o);
}

Test(compiler_elf, large_segments_align_with_their_memory_offset) {
  /* (memory 1) (data (i32.const 0x1234) <20000 bytes>) */
  size_t n = 26 + 20000;
  uint8_t *w = wa_malloc(n), *p = w;
  static const uint8_t head[] = {0,    'a', 's', 'm', 1,    0,   0,    0,
                                 5,    3,   1,   0,   1,    0x0b, 0xa9, 0x9c,
                                 0x01, 1,   0,   0x41, 0xb4, 0x24, 0x0b, 0xa0,
                                 0x9c, 0x01};
  memcpy(p, head, sizeof head);
  p += sizeof head;
  for (int i = 0; i < 20000; i++)
    *p++ = (uint8_t)(i * 7);
  cr_assert_eq((size_t)(p - w), n);
  wc_config c;
  wc_config_default(&c);
  uint8_t *o = NULL;
  size_t len;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wc_compile(w, n, "big", &c, &o, &len, &err), 0, "%s", err.msg);
  elf_view v = view(o, len);
  const Elf64_Shdr *ms = find(&v, WR_SECTION_META);
  const Elf64_Shdr *ds = find(&v, WR_SECTION_DATA);
  wa_arena a;
  wa_arena_init(&a, 4096);
  wr_meta m;
  cr_assert_eq(wr_meta_decode(o + ms->sh_offset, ms->sh_size, &a, &m, &err), 0,
               "%s", err.msg);
  cr_assert_eq(m.datas[0].data_off % 4096, 0x234u);
  cr_assert_eq(memcmp(o + ds->sh_offset + m.datas[0].data_off, w + 26, 20000),
               0);
  wa_arena_free(&a);
  wa_free(o);
  wa_free(w);
}

Test(compiler_elf, aarch64_cross_compilation_yields_an_aarch64_object) {
  wc_config c;
  wc_config_default(&c);
  c.triple = "aarch64-unknown-linux-gnu";
  size_t len;
  uint8_t *o = compile_file("call", &c, &len);
  elf_view v = view(o, len);
  cr_assert_eq(v.eh->e_machine, EM_AARCH64);
  check_symbols(&v);
  /* The tables are offsets (PC-relative), not addresses. */
  const Elf64_Shdr *ds = find(&v, ".rela.data.rel.ro");
  cr_assert_not_null(ds);
  const Elf64_Rela *r = (const Elf64_Rela *)(o + ds->sh_offset);
  cr_assert_eq(ELF64_R_TYPE(r[0].r_info), R_AARCH64_PREL64);
  /* Pre-linked for 64 KiB pages, with nothing left for the loader. */
  const Elf64_Shdr *is = find(&v, WR_SECTION_IMAGE);
  const Elf64_Shdr *ls = find(&v, WR_SECTION_LINK);
  cr_assert(is && ls);
  wr_link_hdr h;
  memcpy(&h, o + ls->sh_offset, sizeof h);
  cr_assert_eq(h.magic, WR_LINK_MAGIC);
  cr_assert_eq(h.machine, EM_AARCH64);
  cr_assert_eq(h.page_align, 65536u);
  cr_assert_eq(is->sh_offset % 65536, 0);
  cr_assert_eq(is->sh_size, h.image_size);
  cr_assert_eq(h.n_fixups, 0);
  cr_assert_eq(h.n_ranges, h.n_funcs);
  wa_free(o);
}

/* The host artifact: the code group needs no fixup, and neither do the
 * tables; the one function range per defined function is sorted. */
Test(compiler_elf, artifact_is_prelinked_with_no_fixups) {
  wc_config c;
  wc_config_default(&c);
  size_t len;
  uint8_t *o = compile_file("call", &c, &len);
  elf_view v = view(o, len);
  const Elf64_Shdr *is = find(&v, WR_SECTION_IMAGE);
  const Elf64_Shdr *ls = find(&v, WR_SECTION_LINK);
  cr_assert(is && ls);
  wr_link_hdr h;
  memcpy(&h, o + ls->sh_offset, sizeof h);
  cr_assert_eq(h.page_align, wr_prelink_page_align(v.eh->e_machine));
  cr_assert_eq(h.group_off[WR_GROUP_EXEC], 0);
  cr_assert_gt(h.group_size[WR_GROUP_EXEC], 0);
  cr_assert_eq(h.n_fixups, 0);
  cr_assert_gt(h.n_funcs, 1);
  cr_assert_eq(h.n_ranges, h.n_funcs);
  const uint8_t *rg = o + ls->sh_offset + sizeof h;
  uint64_t prev = 0;
  for (uint32_t k = 0; k < h.n_ranges; k++) {
    wr_link_range x;
    memcpy(&x, rg + k * sizeof x, sizeof x);
    cr_assert_geq(x.start, prev);
    cr_assert_lt(x.start, h.group_size[WR_GROUP_EXEC]);
    cr_assert_gt(x.end, x.start, "function %u has a size", x.func);
    prev = x.start;
  }
  wa_free(o);
}

Test(compiler_elf, chunked_compilation_merges_into_one_working_object) {
  wc__chunk_bytes = 1; /* one chunk per function */
  wc_config c;
  wc_config_default(&c);
  c.threads = 1;
  size_t len1, len2;
  uint8_t *one = compile_file("call", &c, &len1);
  c.threads = 2;
  uint8_t *two = compile_file("call", &c, &len2);
  cr_assert_eq(len1, len2);
  cr_assert_eq(memcmp(one, two, len1), 0, "output depends on threads");
  elf_view v = view(two, len2);
  cr_assert_eq(check_symbols(&v), 15u);
  wa_free(one);
  wa_free(two);

  /* and the merged code runs */
  char msg[1024];
  wct *t;
  wct_opts o = {.bounds = WR_BOUNDS_EXPLICIT, .opt_level = 2};
  cr_assert_eq(wct_open("control", &o, &t, msg, sizeof msg), 0, "%s", msg);
  wr_val r[2] = {wct_i32(4), wct_i64(100)};
  cr_assert_eq(wct_call(t, "call_multi", r), 0);
  cr_assert_eq(r[0].i64, 104u);
  wr_val f[1] = {wct_i64(10)};
  cr_assert_eq(wct_call(t, "fac_loop", f), 0);
  cr_assert_eq(f[0].i64, 3628800u);
  wct_close(t);
}
