/*
 * link.c: turns an artifact's relocatable object into runnable code. Lays
 * out every allocated section in one mapping (text and call stubs, then
 * read-only data and the GOT, then writable data), resolves symbols
 * against the object and a short list of libc/libm functions, applies the
 * relocations (reloc_<arch>.c), then maps code read+execute and read-only
 * data read-only. Never writable and executable at once.
 */
#include "internal.h"
#include "reloc.h"

#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The only undefined symbols an artifact may reference: what LLVM lowers
 * memory intrinsics and float rounding to when no instruction does it. */
#define WR__EXTERN_MAP(X)                                                      \
  X(memcpy) X(memmove) X(memset) X(ceil) X(ceilf) X(floor) X(floorf)          \
  X(trunc) X(truncf) X(nearbyint) X(nearbyintf) X(rint) X(rintf)              \
  X(roundeven) X(roundevenf) X(round) X(roundf) X(sqrt) X(sqrtf) X(fmin)      \
  X(fminf) X(fmax) X(fmaxf) X(copysign) X(copysignf) X(fabs) X(fabsf) X(fma)  \
  X(fmaf)

static const struct {
  const char *name;
  void (*fn)(void);
} externs[] = {
#define X(f) {#f, (void (*)(void))f},
    WR__EXTERN_MAP(X)
#undef X
};

enum { G_EXEC, G_RO, G_RW, G_COUNT };

#define UNLOADED UINT64_MAX

typedef struct lsym {
  uint64_t addr; /* absolute, or UNLOADED */
  uint64_t size;
  const char *name;
  uint64_t value; /* st_value */
  uint32_t shndx;  /* loaded section, or 0 */
  int32_t got, stub; /* slot index or -1 */
  bool external;
} lsym;

typedef struct linker {
  wr_artifact *a;
  Elf *elf;
  const uint8_t *bytes;
  size_t len, n_secs, shstrndx;
  GElf_Shdr *shdrs;
  uint8_t *group;   /* per section: G_* or G_COUNT if not loaded */
  uint64_t *offs;   /* per section: offset in the image */
  uint64_t gstart[G_COUNT], gsize[G_COUNT];
  size_t symtab;    /* section index, 0 if none */
  lsym *syms;
  size_t n_syms;
  uint32_t n_got, n_stubs;
  uint64_t got_off, stubs_off;
  size_t pagesz;
  wa_err *err;
} linker;

static void *lalloc(linker *l, size_t n, size_t size) {
  void *p = n ? wa_arena_alloc(&l->a->arena, n * size) : NULL;
  if (n && !p)
    wa_fail(l->err, WA_ENOMEM, WA_NOOFF, "out of memory linking");
  return p;
}

static const char *sec_name(linker *l, size_t i) {
  const char *s = elf_strptr(l->elf, l->shstrndx, l->shdrs[i].sh_name);
  return s ? s : "?";
}

static int read_sections(linker *l) {
  if (elf_getshdrnum(l->elf, &l->n_secs) || elf_getshdrstrndx(l->elf, &l->shstrndx))
    return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF, "section table: %s",
                   elf_errmsg(-1));
  l->shdrs = lalloc(l, l->n_secs, sizeof *l->shdrs);
  l->group = lalloc(l, l->n_secs, 1);
  l->offs = lalloc(l, l->n_secs, sizeof *l->offs);
  if (!l->shdrs || !l->group || !l->offs)
    return l->err->code;
  for (size_t i = 0; i < l->n_secs; i++) {
    Elf_Scn *scn = elf_getscn(l->elf, i);
    if (!scn || !gelf_getshdr(scn, &l->shdrs[i]))
      return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF, "section %zu: %s", i,
                     elf_errmsg(-1));
    GElf_Shdr *sh = &l->shdrs[i];
    l->group[i] = G_COUNT;
    if (sh->sh_type == SHT_SYMTAB) {
      if (l->symtab)
        return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset,
                       "more than one symbol table");
      l->symtab = i;
    }
    if (i == 0 || !(sh->sh_flags & SHF_ALLOC) || sh->sh_size == 0)
      continue;
    if (sh->sh_addralign > l->pagesz ||
        (sh->sh_addralign & (sh->sh_addralign - 1)))
      return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset,
                     "section %s has alignment %llu", sec_name(l, i),
                     (unsigned long long)sh->sh_addralign);
    if (sh->sh_size > (1ull << 32))
      return wa_fail(l->err, WA_ELIMIT, sh->sh_offset,
                     "section %s is too large", sec_name(l, i));
    /* .data.rel.ro is only written by relocation: read-only after. */
    if (sh->sh_flags & SHF_EXECINSTR)
      l->group[i] = G_EXEC;
    else if ((sh->sh_flags & SHF_WRITE) &&
             strncmp(sec_name(l, i), ".data.rel.ro", 12) != 0)
      l->group[i] = G_RW;
    else
      l->group[i] = G_RO;
  }
  return 0;
}

static int read_symbols(linker *l) {
  if (!l->symtab)
    return 0;
  GElf_Shdr *sh = &l->shdrs[l->symtab];
  if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_link >= l->n_secs)
    return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset, "bad symbol table");
  Elf_Data *data = elf_getdata(elf_getscn(l->elf, l->symtab), NULL);
  if (!data)
    return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset, "symbol table: %s",
                   elf_errmsg(-1));
  l->n_syms = sh->sh_size / sizeof(Elf64_Sym);
  l->syms = lalloc(l, l->n_syms, sizeof *l->syms);
  if (l->n_syms && !l->syms)
    return l->err->code;
  for (size_t i = 0; i < l->n_syms; i++) {
    GElf_Sym s;
    lsym *ls = &l->syms[i];
    ls->got = ls->stub = -1;
    ls->addr = UNLOADED;
    if (!gelf_getsym(data, (int)i, &s))
      return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset, "symbol %zu: %s", i,
                     elf_errmsg(-1));
    ls->name = elf_strptr(l->elf, sh->sh_link, s.st_name);
    if (!ls->name)
      ls->name = "";
    ls->size = s.st_size;
    if (i == 0)
      continue;
    if (s.st_shndx == SHN_UNDEF) {
      ls->external = true;
    } else if (s.st_shndx == SHN_ABS) {
      ls->addr = s.st_value;
    } else if (s.st_shndx == SHN_COMMON || s.st_shndx >= SHN_LORESERVE) {
      return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                     "symbol '%s' has unsupported section index 0x%x",
                     ls->name, s.st_shndx);
    } else if (s.st_shndx < l->n_secs && l->group[s.st_shndx] != G_COUNT) {
      if (s.st_value > l->shdrs[s.st_shndx].sh_size)
        return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                       "symbol '%s' lies outside its section", ls->name);
      /* made absolute once the image exists */
      ls->shndx = s.st_shndx;
      ls->value = s.st_value;
    }
  }
  return 0;
}

static int resolve_external(linker *l, lsym *s) {
  if (strcmp(s->name, "_GLOBAL_OFFSET_TABLE_") == 0) {
    s->addr = (uint64_t)(uintptr_t)l->a->image + l->got_off;
    return 0;
  }
  for (size_t k = 0; k < sizeof externs / sizeof externs[0]; k++)
    if (strcmp(externs[k].name, s->name) == 0) {
      s->addr = (uint64_t)(uintptr_t)externs[k].fn;
      return 0;
    }
  return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                 "undefined symbol '%.100s' is not one the runtime provides",
                 s->name);
}

/* Is rela section i one we apply? (Relocations of debug info and other
 * unloaded sections are ignored.) Fills *target. */
static int rela_target(linker *l, size_t i, size_t *target) {
  GElf_Shdr *sh = &l->shdrs[i];
  if (sh->sh_type != SHT_RELA && sh->sh_type != SHT_REL)
    return 0;
  if (sh->sh_info >= l->n_secs || l->group[sh->sh_info] == G_COUNT)
    return 0;
  if (l->shdrs[sh->sh_info].sh_type == SHT_NOBITS)
    return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset,
                   "relocations against a section without contents");
  if (sh->sh_type == SHT_REL)
    return wa_fail(l->err, WA_EUNSUPPORTED, sh->sh_offset,
                   "SHT_REL relocations (%s) are not used on this target",
                   sec_name(l, i));
  if (sh->sh_link != l->symtab || !l->symtab ||
      sh->sh_entsize != sizeof(Elf64_Rela))
    return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset,
                   "relocation section %s is malformed", sec_name(l, i));
  *target = sh->sh_info;
  return 1;
}

/* Calls fn for every relocation of every loaded section. */
typedef int (*rela_fn)(linker *l, size_t target, const GElf_Rela *r);

static int each_rela(linker *l, rela_fn fn) {
  for (size_t i = 1; i < l->n_secs; i++) {
    size_t target = 0;
    int k = rela_target(l, i, &target);
    if (k < 0)
      return k;
    if (k == 0)
      continue;
    Elf_Data *data = elf_getdata(elf_getscn(l->elf, i), NULL);
    if (!data)
      return wa_fail(l->err, WA_ECORRUPT, l->shdrs[i].sh_offset,
                     "relocations: %s", elf_errmsg(-1));
    size_t n = l->shdrs[i].sh_size / sizeof(Elf64_Rela);
    for (size_t j = 0; j < n; j++) {
      GElf_Rela r;
      if (!gelf_getrela(data, (int)j, &r))
        return wa_fail(l->err, WA_ECORRUPT, l->shdrs[i].sh_offset,
                       "relocation %zu: %s", j, elf_errmsg(-1));
      int rc = fn(l, target, &r);
      if (rc) {
        wa_err_wrap(l->err, "%s entry %zu", sec_name(l, i), j);
        return rc;
      }
    }
  }
  return 0;
}

/* First pass: check types and symbols, count GOT slots and stubs. */
static int plan_one(linker *l, size_t target, const GElf_Rela *r) {
  uint32_t type = (uint32_t)GELF_R_TYPE(r->r_info);
  uint64_t symi = GELF_R_SYM(r->r_info);
  uint32_t size = 0;
  int cls = wr__reloc_class(type, &size);
  if (cls < 0)
    return wa_fail(l->err, WA_EUNSUPPORTED, WA_NOOFF,
                   "relocation type %u is not supported", type);
  if (symi >= l->n_syms)
    return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                   "relocation names symbol %llu of %zu",
                   (unsigned long long)symi, l->n_syms);
  uint64_t tsize = l->shdrs[target].sh_size;
  if (r->r_offset > tsize || size > tsize - r->r_offset)
    return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                   "relocation at %llu runs past its section",
                   (unsigned long long)r->r_offset);
  lsym *s = &l->syms[symi];
  if (cls == WR__RELOC_GOT && s->got < 0)
    s->got = (int32_t)l->n_got++;
  if (cls == WR__RELOC_CALL && s->external && s->stub < 0)
    s->stub = (int32_t)l->n_stubs++;
  return 0;
}

static uint64_t align_up(uint64_t x, uint64_t a) {
  return a ? (x + a - 1) & ~(a - 1) : x;
}

static int layout(linker *l) {
  uint64_t at = 0;
  for (int g = 0; g < G_COUNT; g++) {
    at = align_up(at, l->pagesz);
    l->gstart[g] = at;
    for (size_t i = 1; i < l->n_secs; i++) {
      if (l->group[i] != g)
        continue;
      at = align_up(at, l->shdrs[i].sh_addralign);
      l->offs[i] = at;
      at += l->shdrs[i].sh_size;
    }
    if (g == G_EXEC) {
      at = align_up(at, 16);
      l->stubs_off = at;
      at += (uint64_t)l->n_stubs * WR__STUB_SIZE;
    } else if (g == G_RO) {
      at = align_up(at, 8);
      l->got_off = at;
      at += (uint64_t)l->n_got * 8;
    }
    l->gsize[g] = at - l->gstart[g];
  }
  size_t total = align_up(at, l->pagesz);
  if (total == 0)
    total = l->pagesz;
  void *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return wa_fail_errno(l->err, WA_ENOMEM, "mapping %zu bytes of code",
                         total);
  l->a->image = p;
  l->a->image_size = total;
  for (size_t i = 1; i < l->n_secs; i++)
    if (l->group[i] != G_COUNT && l->shdrs[i].sh_type != SHT_NOBITS)
      memcpy(l->a->image + l->offs[i], l->bytes + l->shdrs[i].sh_offset,
             l->shdrs[i].sh_size);
  return 0;
}

static int resolve(linker *l) {
  uint64_t base = (uint64_t)(uintptr_t)l->a->image;
  uint8_t *got = l->a->image + l->got_off;
  uint8_t *stubs = l->a->image + l->stubs_off;
  for (size_t i = 1; i < l->n_syms; i++) {
    lsym *s = &l->syms[i];
    int rc = 0;
    if (s->external)
      rc = resolve_external(l, s);
    else if (s->shndx)
      s->addr = base + l->offs[s->shndx] + s->value;
    if (rc)
      return rc;
    if (s->got >= 0) {
      if (s->addr == UNLOADED)
        return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                       "GOT entry for '%s', which is not loaded", s->name);
      memcpy(got + 8 * (size_t)s->got, &s->addr, 8);
    }
    if (s->stub >= 0)
      wr__stub_write(stubs + WR__STUB_SIZE * (size_t)s->stub, s->addr);
  }
  return 0;
}

static int apply_one(linker *l, size_t target, const GElf_Rela *r) {
  uint32_t type = (uint32_t)GELF_R_TYPE(r->r_info);
  lsym *s = &l->syms[GELF_R_SYM(r->r_info)];
  uint32_t size;
  int cls = wr__reloc_class(type, &size);
  if (cls == WR__RELOC_SKIP)
    return 0;
  uint64_t base = (uint64_t)(uintptr_t)l->a->image;
  wr__reloc_vals v;
  v.P = base + l->offs[target] + r->r_offset;
  v.A = r->r_addend;
  v.S = s->addr;
  v.Z = s->size;
  v.GOT = base + l->got_off;
  v.G = s->got >= 0 ? v.GOT + 8 * (uint64_t)s->got : 0;
  if (GELF_R_SYM(r->r_info) == 0)
    v.S = 0;
  else if (s->addr == UNLOADED)
    return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                   "relocation against '%s', which is not loaded", s->name);
  if (cls == WR__RELOC_CALL && s->stub >= 0)
    v.S = base + l->stubs_off + WR__STUB_SIZE * (uint64_t)s->stub;
  return wr__reloc_apply(type, l->a->image + l->offs[target] + r->r_offset,
                         &v, l->err);
}

/* Finds one of the wasmaot_* tables: n pointers, inside a loaded section,
 * each (if not NULL) pointing into the code. */
static int find_table(linker *l, const char *name, uint32_t n, void ***out) {
  *out = NULL;
  if (n == 0) /* may be an empty array in an empty (unloaded) section */
    return 0;
  uint64_t base = (uint64_t)(uintptr_t)l->a->image;
  for (size_t i = 1; i < l->n_syms; i++) {
    lsym *s = &l->syms[i];
    if (s->external || strcmp(s->name, name) != 0)
      continue;
    if (s->addr == UNLOADED || s->addr < base ||
        s->addr + 8ull * n > base + l->a->image_size || (s->addr & 7))
      return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                     "%s (%u entries) does not lie in loaded data", name, n);
    void **t = (void **)(uintptr_t)s->addr;
    for (uint32_t k = 0; k < n; k++)
      if (t[k] && ((uintptr_t)t[k] < l->a->code_start ||
                   (uintptr_t)t[k] >= l->a->code_end))
        return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                       "%s[%u] does not point into the code", name, k);
    *out = t;
    return 0;
  }
  return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF, "symbol %s is missing", name);
}

static int cmp_range(const void *x, const void *y) {
  const wr__fn_range *a = x, *b = y;
  return a->start < b->start ? -1 : a->start > b->start;
}

/* Backtrace ranges: each defined function from its entry to the end its
 * symbol gives (else the next function or the end of the code). */
static int build_ranges(linker *l) {
  wr_artifact *a = l->a;
  uint32_t n = a->meta.n_funcs - a->meta.n_func_imports;
  a->ranges = lalloc(l, n, sizeof *a->ranges);
  if (n && !a->ranges)
    return l->err->code;
  for (uint32_t k = 0; k < n; k++) {
    if (!a->funcs[k])
      return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                     "wasmaot_funcs[%u] is null", k);
    a->ranges[k].start = (uintptr_t)a->funcs[k];
    a->ranges[k].end = 0;
    a->ranges[k].func_index = a->meta.n_func_imports + k;
    for (size_t i = 1; i < l->n_syms; i++) /* symbol sizes, when given */
      if (!l->syms[i].external && l->syms[i].addr == a->ranges[k].start &&
          l->syms[i].size) {
        a->ranges[k].end = a->ranges[k].start + l->syms[i].size;
        break;
      }
  }
  if (n > 1) /* ranges is NULL without functions */
    qsort(a->ranges, n, sizeof *a->ranges, cmp_range);
  for (uint32_t k = 0; k < n; k++) {
    uintptr_t next = k + 1 < n ? a->ranges[k + 1].start : a->code_end;
    if (!a->ranges[k].end || a->ranges[k].end > next)
      a->ranges[k].end = next;
  }
  a->n_ranges = n;
  return 0;
}

static int protect(linker *l) {
  static const int prot[G_COUNT] = {PROT_READ | PROT_EXEC, PROT_READ,
                                    PROT_READ | PROT_WRITE};
  for (int g = 0; g < G_COUNT; g++) {
    size_t size = align_up(l->gsize[g], l->pagesz);
    if (size && mprotect(l->a->image + l->gstart[g], size, prot[g]) != 0)
      return wa_fail_errno(l->err, WA_EINTERNAL, "mprotect of the code");
  }
  return 0;
}

int wr__link(wr_artifact *a, Elf *elf, const uint8_t *bytes, size_t len,
             wa_err *err) {
  linker l;
  memset(&l, 0, sizeof l);
  l.a = a, l.elf = elf, l.bytes = bytes, l.len = len, l.err = err;
  l.pagesz = (size_t)sysconf(_SC_PAGESIZE);
  const wr_meta *m = &a->meta;
  int rc = read_sections(&l);
  if (!rc)
    rc = read_symbols(&l);
  if (!rc)
    rc = each_rela(&l, plan_one);
  if (!rc)
    rc = layout(&l);
  if (!rc)
    rc = resolve(&l);
  if (!rc)
    rc = each_rela(&l, apply_one);
  if (rc)
    return rc;
  a->code_start = (uintptr_t)a->image + l.gstart[G_EXEC];
  a->code_end = a->code_start + l.gsize[G_EXEC];
  void **t;
  if ((rc = find_table(&l, WR_SYM_FUNCS, m->n_funcs - m->n_func_imports, &t)))
    return rc;
  a->funcs = t;
  if ((rc = find_table(&l, WR_SYM_TRAMPS, m->n_types, &t)))
    return rc;
  a->tramps = (const wr_tramp_fn *)t;
  if ((rc = find_table(&l, WR_SYM_ADAPTERS, m->n_func_imports, &t)))
    return rc;
  a->adapters = t;
  if ((rc = build_ranges(&l)) || (rc = protect(&l)))
    return rc;
  wr__icache_flush(a->image + l.gstart[G_EXEC], l.gsize[G_EXEC]);
  if (a->code_end > a->code_start) {
    rc = wr__registry_add(WR__REG_CODE, a->code_start, a->code_end, a, err);
    if (rc < 0)
      return rc;
    a->code_slot = rc;
  }
  return 0;
}

void wr__unlink(wr_artifact *a) {
  if (a->code_slot >= 0)
    wr__registry_remove(WR__REG_CODE, a->code_slot);
  a->code_slot = -1;
  if (a->image)
    munmap(a->image, a->image_size);
  a->image = NULL;
}

bool wr__code_lookup(uintptr_t pc, const wr_artifact **out_a,
                     const wr__fn_range **out_fn) {
  const wr_artifact *a = wr__registry_find(WR__REG_CODE, pc);
  if (!a)
    return false;
  *out_a = a;
  *out_fn = NULL;
  uint32_t lo = 0, hi = a->n_ranges;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (pc < a->ranges[mid].start)
      hi = mid;
    else if (pc >= a->ranges[mid].end)
      lo = mid + 1;
    else {
      *out_fn = &a->ranges[mid];
      break;
    }
  }
  return true;
}
