/* test_artifact.c: loading artifacts (runtime/artifact.c, link.c,
 * prelink.c): the host checks and their messages, unknown symbols, damaged
 * files (every truncation, random corruption, a damaged link section)
 * giving clean errors, W^X mappings, code mapped from the file, objects
 * without a pre-linked image linked in memory. */
#include "rt_test.h"

#include "wr_prelink.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uint8_t *read_fixture(const char *name, const char *bounds,
                             size_t *len) {
  uint8_t *p;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wa_file_read(rt_fixture(name, bounds), &p, len, &err), 0, "%s",
               err.msg);
  return p;
}

/* Loads a heap copy of exactly n bytes (so ASan sees any overread). */
static int load_copy(const uint8_t *p, size_t n, wa_err *err) {
  uint8_t *q = malloc(n ? n : 1);
  memcpy(q, p, n);
  wa_err_init(err);
  wr_artifact *a = NULL;
  int rc = wr_artifact_load(q, n, "copy", &a, err);
  if (rc == 0)
    wr_artifact_free(a);
  free(q);
  return rc;
}

Test(runtime_artifact, open_reads_metadata_and_links) {
  wr_artifact *a = rt_open("basic", "guard");
  const wr_meta *m = wr_artifact_meta(a);
  cr_assert_eq(m->n_funcs, 15);
  cr_assert_eq(m->n_func_imports, 1);
  cr_assert_eq(m->bounds, WR_BOUNDS_GUARD);
  cr_assert_eq(memcmp(m->module_name.ptr, "basic", 5), 0);
  wr_artifact_free(a);
  cr_assert_str_eq(wr_host_arch(),
#if defined(__x86_64__)
                   "x86_64"
#else
                   "aarch64"
#endif
  );
  cr_assert(strstr(wr_host_triple(), "-linux-"));
}

Test(runtime_artifact, load_from_memory_and_read_meta_only) {
  size_t n;
  uint8_t *p = read_fixture("basic", "explicit", &n);
  wa_err err;
  wa_err_init(&err);
  wa_arena arena;
  wa_arena_init(&arena, 4096);
  wr_meta m;
  cr_assert_eq(wr_artifact_read_meta(p, n, "x", &arena, &m, &err), 0, "%s",
               err.msg);
  cr_assert_eq(m.bounds, WR_BOUNDS_EXPLICIT);
  cr_assert_eq(m.n_exports, 17);
  wa_arena_free(&arena);
  wr_artifact *a;
  cr_assert_eq(wr_artifact_load(p, n, "x", &a, &err), 0, "%s", err.msg);
  wr_artifact_free(a);
  free(p);
}

static void expect_mismatch(const char *fixture, const char *needle) {
  wr_artifact *a;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_artifact_open(rt_fixture(fixture, "guard"), &a, &err),
               WA_EMISMATCH, "%s: %s", fixture, err.msg);
  cr_assert(strstr(err.msg, needle), "%s: %s", fixture, err.msg);
  cr_assert(strstr(err.what, fixture), "what names the file: %s", err.what);
}

Test(runtime_artifact, host_mismatches_name_the_field_and_both_values) {
  char want[64];
  snprintf(want, sizeof want,
           "abi version: artifact has %u, this runtime has %u",
           WR_ABI_VERSION + 1, WR_ABI_VERSION);
  expect_mismatch("basic_abi", want);
  expect_mismatch("basic_triple", "target triple: artifact has");
  expect_mismatch("basic_triple", wr_host_triple());
  expect_mismatch("basic_compiler", "compiler version: artifact has "
                                    "'wasmaot 99.1.0'");
  expect_mismatch("basic_feat", "+frobnicate");
  wr_artifact_free(rt_open("basic_feat_ok", "guard"));
}

Test(runtime_artifact, wrong_machine_is_refused_by_name) {
  size_t n;
  uint8_t *p = read_fixture("basic", "guard", &n);
  wa_err err;
#if defined(__x86_64__)
  uint16_t other = EM_AARCH64;
  const char *want = "artifact is for aarch64, this host is x86_64";
#else
  uint16_t other = EM_X86_64;
  const char *want = "artifact is for x86_64, this host is aarch64";
#endif
  memcpy(p + 18, &other, 2);
  cr_assert_eq(load_copy(p, n, &err), WA_EMISMATCH);
  cr_assert(strstr(err.msg, want), "%s", err.msg);
  other = 3; /* EM_386 */
  memcpy(p + 18, &other, 2);
  cr_assert_eq(load_copy(p, n, &err), WA_EMISMATCH);
  cr_assert(strstr(err.msg, "i386"), "%s", err.msg);
  p[EI_CLASS] = ELFCLASS32;
  cr_assert_eq(load_copy(p, n, &err), WA_EMISMATCH);
  cr_assert(strstr(err.msg, "32-bit"), "%s", err.msg);
  free(p);
  cr_assert_eq(load_copy((const uint8_t *)"hello", 5, &err), WA_ECORRUPT);
}

Test(runtime_artifact, unknown_undefined_symbol_is_a_link_error) {
  wr_artifact *a;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_artifact_open(rt_fixture("badsym", "guard"), &a, &err),
               WA_ELINK);
  cr_assert(strstr(err.msg, "'puts'"), "%s", err.msg);
}

/* Code for a fixed address cannot be pre-linked: the error names the
 * relocation type and the symbol. */
Test(runtime_artifact, position_dependent_code_is_refused_by_name) {
#if defined(__x86_64__)
  wr_artifact *a;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_artifact_open(WR_FIX_DIR "/nopic_guard.raw.wao", &a, &err),
               WA_ELINK);
  cr_assert(strstr(err.msg, "R_X86_64_32S against 'nopic_counter' needs a "
                            "fixed load address"),
            "%s", err.msg);
#endif
}

Test(runtime_artifact, damaged_metadata_is_corrupt_with_offset) {
  size_t n;
  uint8_t *p = read_fixture("basic", "guard", &n);
  uint8_t *meta = memmem(p, n, "WAOMETA", 8);
  cr_assert_not_null(meta);
  meta[16] ^= 1; /* the recorded length */
  wa_err err;
  cr_assert_eq(load_copy(p, n, &err), WA_ECORRUPT);
  cr_assert_eq(err.off, 16);
  cr_assert(strstr(err.msg, ".wasmaot.meta"), "%s", err.msg);
  meta[16] ^= 1;
  meta[0] = 'X';
  cr_assert_eq(load_copy(p, n, &err), WA_ECORRUPT);
  free(p);
}

/* The raw object (linked in memory) and the pre-linked artifact. */
static const char *const forms[] = {"basic", "basic_guard.raw"};

static uint8_t *read_form(int form, size_t *len) {
  if (form == 0)
    return read_fixture("basic", "guard", len);
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wao", WR_FIX_DIR, forms[1]);
  uint8_t *p;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wa_file_read(path, &p, len, &err), 0, "%s", err.msg);
  return p;
}

Test(runtime_artifact, every_truncation_fails_cleanly) {
  for (int form = 0; form < 2; form++) {
    size_t n;
    uint8_t *p = read_form(form, &n);
    for (size_t k = 0; k < n; k++) {
      wa_err err;
      int rc = load_copy(p, k, &err);
      cr_assert_lt(rc, 0, "%s: length %zu of %zu loaded", forms[form], k, n);
      cr_assert_neq(rc, WA_EINTERNAL, "%s: length %zu: %s", forms[form], k,
                    err.msg);
    }
    free(p);
  }
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 32);
}

/* Byte flips anywhere (headers, section table, symbols, relocations,
 * metadata). A flip may leave a loadable artifact (say, in code bytes),
 * but loading never crashes. The result is never run. */
Test(runtime_artifact, random_corruption_never_crashes) {
  for (int form = 0; form < 2; form++) {
    size_t n;
    uint8_t *p = read_form(form, &n);
    int failed = 0;
    for (int iter = 0; iter < 5000; iter++) {
      uint8_t *q = malloc(n);
      memcpy(q, p, n);
      int flips = 1 + (int)(next() % 3);
      for (int f = 0; f < flips; f++) {
        size_t at = next() % n;
        if (iter % 2) /* half the time aim at the ELF and section headers */
          at = next() % 2 ? next() % 64 : n - 1 - next() % (64 * 20);
        q[at] ^= (uint8_t)(1 + next() % 255);
      }
      wa_err err;
      int rc = load_copy(q, n, &err);
      if (rc)
        failed++;
      cr_assert(rc == 0 || rc == WA_ECORRUPT || rc == WA_EMISMATCH ||
                    rc == WA_ELINK || rc == WA_EUNSUPPORTED ||
                    rc == WA_ELIMIT || rc == WA_ENOMEM,
                "rc %d: %s", rc, err.msg);
      free(q);
    }
    cr_assert_gt(failed, 500);
    free(p);
  }
}

/* The section named 'name' of the ELF in p: its offset and size. */
static void find_section(const uint8_t *p, const char *name, size_t *off,
                         size_t *size) {
  Elf64_Ehdr eh;
  memcpy(&eh, p, sizeof eh);
  Elf64_Shdr names;
  memcpy(&names, p + eh.e_shoff + eh.e_shstrndx * sizeof names, sizeof names);
  for (size_t i = 1; i < eh.e_shnum; i++) {
    Elf64_Shdr sh;
    memcpy(&sh, p + eh.e_shoff + i * sizeof sh, sizeof sh);
    if (strcmp((const char *)p + names.sh_offset + sh.sh_name, name) == 0) {
      *off = sh.sh_offset;
      *size = sh.sh_size;
      return;
    }
  }
  cr_assert_fail("no section %s", name);
}

/* A damaged link section is refused naming it, before any fixup: bad
 * magic, a fixup aimed at the code, pages the host cannot honour. */
Test(runtime_artifact, damaged_link_section_is_refused) {
  size_t n, off, size;
  uint8_t *p = read_fixture("basic", "guard", &n);
  find_section(p, WR_SECTION_LINK, &off, &size);
  wr_link_hdr h;
  memcpy(&h, p + off, sizeof h);
  cr_assert_gt(h.n_fixups, 0);
  cr_assert_eq(h.n_ranges, 14, "one range per defined function");
  wa_err err;

  uint8_t *q = malloc(n);
  memcpy(q, p, n);
  q[off] ^= 1;
  cr_assert_eq(load_copy(q, n, &err), WA_ECORRUPT);
  cr_assert(strstr(err.msg, WR_SECTION_LINK), "%s", err.msg);

  memcpy(q, p, n);
  wr_link_fixup f;
  memcpy(&f, q + off + sizeof h, sizeof f);
  f.off = h.group_off[WR_GROUP_EXEC];
  memcpy(q + off + sizeof h, &f, sizeof f);
  cr_assert_eq(load_copy(q, n, &err), WA_ECORRUPT);
  cr_assert(strstr(err.msg, "fixup outside the data groups"), "%s", err.msg);

  memcpy(q, p, n);
  wr_link_hdr bad = h;
  bad.page_align = 2048;
  memcpy(q + off, &bad, sizeof bad);
  cr_assert_eq(load_copy(q, n, &err), WA_EMISMATCH);
  cr_assert(strstr(err.msg, "2048-byte pages"), "%s", err.msg);
  free(q);
  free(p);
}

/* The compiler's form maps its code from an unchanging file: the code
 * pages are the file's own (an r-xp mapping of its path), never copied
 * or written, and they run, with backtraces from the link section. */
Test(runtime_artifact, code_maps_from_the_file) {
  const char *path = rt_fixture("basic", "guard");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  cr_assert_geq(fd, 0);
  wa_map map;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wa_file_map_fd(fd, path, &map, &err), 0, "%s", err.msg);
  wr_artifact *a;
  cr_assert_eq(wr_artifact_load_file(map.data, map.len, fd, 0, path, &a, &err),
               0, "%s", err.msg);
  close(fd);
  FILE *f = fopen("/proc/self/maps", "r");
  cr_assert_not_null(f);
  char line[1024];
  int code = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, " r-xp ") && strstr(line, path))
      code++;
  fclose(f);
  cr_assert_eq(code, 1, "no r-xp mapping of %s", path);
  rt_basic b;
  rt_basic_init(&b, a, NULL, NULL);
  cr_assert_eq(rt_call_ok(b.inst, "add", 40, 2), 42);
  wr_trap t;
  cr_assert_eq(rt_call_trap(b.inst, "load", 1u << 30, 0, &t),
               WR_TRAP_OOB_MEMORY);
  cr_assert_eq(memcmp(t.frames[0].func_name.ptr, "load", 4), 0);
  rt_basic_free(&b);
  wa_file_unmap(&map);
}

/* An object without the pre-linked sections (not from wasmaot's
 * compiler) is linked in memory and runs the same. */
Test(runtime_artifact, raw_object_is_linked_in_memory) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wao", WR_FIX_DIR, forms[1]);
  wr_artifact *a;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wr_artifact_open(path, &a, &err), 0, "%s", err.msg);
  rt_basic b;
  rt_basic_init(&b, a, NULL, NULL);
  cr_assert_eq(rt_call_ok(b.inst, "add", 40, 2), 42);
  rt_basic_free(&b);
}

/* W^X: no mapping of this process is writable and executable. */
Test(runtime_artifact, code_is_never_writable_and_executable) {
  wr_artifact *a = rt_open("basic", "guard");
  FILE *f = fopen("/proc/self/maps", "r");
  cr_assert_not_null(f);
  char line[512];
  int rx = 0;
  while (fgets(line, sizeof line, f)) {
    char perms[5] = "";
    sscanf(line, "%*s %4s", perms);
    cr_assert_neq(strcmp(perms, "rwxp"), 0, "W+X mapping: %s", line);
    if (strcmp(perms, "r-xp") == 0)
      rx++;
  }
  fclose(f);
  cr_assert_gt(rx, 0);
  wr_artifact_free(a);
}

Test(runtime_artifact, artifact_outlives_the_callers_reference) {
  rt_basic b;
  rt_basic_new(&b, "guard", NULL, NULL);
  wr_artifact_free(b.art);
  b.art = NULL;
  cr_assert_eq(rt_call_ok(b.inst, "add", 1, 2), 3);
  wr_trap t;
  cr_assert_eq(rt_call_trap(b.inst, "load", 1u << 30, 0, &t),
               WR_TRAP_OOB_MEMORY);
  cr_assert_eq(memcmp(t.frames[0].func_name.ptr, "load", 4), 0);
  wr_store_free(b.store);
}
