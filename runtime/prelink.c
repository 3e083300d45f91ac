/*
 * prelink.c: links an artifact's relocatable object at address 0. Lays
 * out every allocated section in three page-aligned groups (code and call
 * stubs; read-only data and the GOT; writable data), applies every
 * relocation whose result does not depend on the load address, and
 * records the rest as 64-bit fixups: the image base for absolute
 * addresses of the object's own symbols, a libc/libm address for GOT
 * slots of external symbols. Calls to externals go through stubs that
 * jump through their GOT slot, so the code group has no fixups at all and
 * the loader maps it straight from the file. The object is read with
 * bounds checks on plain ELF structures: no libelf, because the compiler,
 * a shared library, links this too.
 */
#include "reloc.h"
#include "wr_abi.h"
#include "wr_prelink.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#define UNPLACED UINT64_MAX

typedef struct psym {
  uint64_t off; /* image offset, or UNPLACED */
  uint64_t size, value;
  const char *name;
  uint32_t shndx;    /* placed section, or 0 */
  int32_t got, stub; /* slot index or -1 */
  int32_t ext;       /* index in the externs list, or -1 */
  bool external, func, absolute;
} psym;

typedef struct prelinker {
  const wr__arch *arch;
  const uint8_t *obj;
  size_t len, n_secs, shstrndx, symtab, n_syms;
  Elf64_Shdr *shdrs;
  uint8_t *group; /* per section: WR_GROUP_* or WR_GROUP_COUNT */
  uint64_t *offs; /* per section: image offset */
  uint64_t gstart[WR_GROUP_COUNT], gsize[WR_GROUP_COUNT];
  psym *syms;
  uint32_t n_got, n_stubs, n_externs;
  uint64_t got_off, stubs_off, page;
  uint8_t *img; /* the image being built (in *image) */
  uint64_t img_size;
  wa_buf fixups, externs;
  wa_err *err;
} prelinker;

uint32_t wr_prelink_page_align(uint16_t machine) {
  return machine == EM_X86_64 ? 4096u : machine == EM_AARCH64 ? 65536u : 0u;
}

/* The NUL-terminated string at 'off' of string table section 'tab'. */
static const char *str_at(prelinker *l, size_t tab, uint64_t off) {
  const Elf64_Shdr *t = &l->shdrs[tab];
  if (t->sh_type != SHT_STRTAB || off >= t->sh_size)
    return NULL;
  const char *p = (const char *)l->obj + t->sh_offset + off;
  return memchr(p, 0, t->sh_size - off) ? p : NULL;
}

static const char *sec_name(prelinker *l, size_t i) {
  const char *s = str_at(l, l->shstrndx, l->shdrs[i].sh_name);
  return s ? s : "?";
}

static void *palloc(prelinker *l, size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p)
    wa_fail(l->err, WA_ENOMEM, WA_NOOFF, "out of memory pre-linking");
  return p;
}

static int read_sections(prelinker *l) {
  Elf64_Ehdr eh;
  memcpy(&eh, l->obj, sizeof eh);
  l->n_secs = eh.e_shnum;
  l->shstrndx = eh.e_shstrndx;
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || l->n_secs == 0 ||
      eh.e_shoff > l->len ||
      l->n_secs * sizeof(Elf64_Shdr) > l->len - eh.e_shoff ||
      l->shstrndx >= l->n_secs)
    return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF, "bad section table");
  l->shdrs = palloc(l, l->n_secs, sizeof *l->shdrs);
  l->group = palloc(l, l->n_secs, 1);
  l->offs = palloc(l, l->n_secs, sizeof *l->offs);
  if (!l->shdrs || !l->group || !l->offs)
    return l->err->code;
  memcpy(l->shdrs, l->obj + eh.e_shoff, l->n_secs * sizeof *l->shdrs);
  for (size_t i = 1; i < l->n_secs; i++) {
    Elf64_Shdr *sh = &l->shdrs[i];
    if (sh->sh_type != SHT_NOBITS &&
        (sh->sh_offset > l->len || sh->sh_size > l->len - sh->sh_offset))
      return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset,
                     "section %zu runs past the end of the file", i);
  }
  for (size_t i = 0; i < l->n_secs; i++) {
    Elf64_Shdr *sh = &l->shdrs[i];
    l->group[i] = WR_GROUP_COUNT;
    if (sh->sh_type == SHT_SYMTAB) {
      if (l->symtab)
        return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset,
                       "more than one symbol table");
      l->symtab = i;
    }
    if (i == 0 || !(sh->sh_flags & SHF_ALLOC) || sh->sh_size == 0)
      continue;
    if (sh->sh_flags & SHF_TLS)
      return wa_fail(l->err, WA_EUNSUPPORTED, sh->sh_offset,
                     "thread-local section %s", sec_name(l, i));
    if (sh->sh_addralign > l->page ||
        (sh->sh_addralign & (sh->sh_addralign - 1)))
      return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset,
                     "section %s has alignment %llu", sec_name(l, i),
                     (unsigned long long)sh->sh_addralign);
    if (sh->sh_size > (1ull << 32))
      return wa_fail(l->err, WA_ELIMIT, sh->sh_offset,
                     "section %s is too large", sec_name(l, i));
    /* .data.rel.ro is only written by fixups: read-only after. */
    if (sh->sh_flags & SHF_EXECINSTR)
      l->group[i] = WR_GROUP_EXEC;
    else if ((sh->sh_flags & SHF_WRITE) &&
             strncmp(sec_name(l, i), ".data.rel.ro", 12) != 0)
      l->group[i] = WR_GROUP_RW;
    else
      l->group[i] = WR_GROUP_RO;
  }
  return 0;
}

static int read_symbols(prelinker *l) {
  if (!l->symtab)
    return 0;
  Elf64_Shdr *sh = &l->shdrs[l->symtab];
  if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_link >= l->n_secs)
    return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset, "bad symbol table");
  l->n_syms = sh->sh_size / sizeof(Elf64_Sym);
  l->syms = palloc(l, l->n_syms, sizeof *l->syms);
  if (!l->syms)
    return l->err->code;
  for (size_t i = 0; i < l->n_syms; i++) {
    Elf64_Sym s;
    psym *ps = &l->syms[i];
    ps->got = ps->stub = ps->ext = -1;
    ps->off = UNPLACED;
    memcpy(&s, l->obj + sh->sh_offset + i * sizeof s, sizeof s);
    ps->name = i ? str_at(l, sh->sh_link, s.st_name) : "";
    if (!ps->name)
      return wa_fail(l->err, WA_ECORRUPT, sh->sh_offset,
                     "symbol %zu has a bad name", i);
    ps->size = s.st_size;
    ps->func = ELF64_ST_TYPE(s.st_info) == STT_FUNC;
    if (i == 0)
      continue;
    if (s.st_shndx == SHN_UNDEF) {
      /* The GOT is ours: references to it are image-relative. */
      ps->external = strcmp(ps->name, "_GLOBAL_OFFSET_TABLE_") != 0;
    } else if (s.st_shndx == SHN_ABS) {
      ps->absolute = true; /* file names; an error only if relocated to */
    } else if (s.st_shndx == SHN_COMMON || s.st_shndx >= SHN_LORESERVE) {
      return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                     "symbol '%.100s' has unsupported section index 0x%x",
                     ps->name, s.st_shndx);
    } else if (s.st_shndx < l->n_secs &&
               l->group[s.st_shndx] != WR_GROUP_COUNT) {
      if (s.st_value > l->shdrs[s.st_shndx].sh_size)
        return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                       "symbol '%.100s' lies outside its section", ps->name);
      ps->shndx = s.st_shndx;
      ps->value = s.st_value;
    }
  }
  return 0;
}

/* Is rela section i one we apply? (Relocations of debug info and other
 * unloaded sections are ignored.) Fills *target. */
static int rela_target(prelinker *l, size_t i, size_t *target) {
  Elf64_Shdr *sh = &l->shdrs[i];
  if (sh->sh_type != SHT_RELA && sh->sh_type != SHT_REL)
    return 0;
  if (sh->sh_info >= l->n_secs || l->group[sh->sh_info] == WR_GROUP_COUNT)
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

typedef int (*rela_fn)(prelinker *l, size_t target, const Elf64_Rela *r);

/* Calls fn for every relocation of every placed section. */
static int each_rela(prelinker *l, rela_fn fn) {
  for (size_t i = 1; i < l->n_secs; i++) {
    size_t target = 0;
    int k = rela_target(l, i, &target);
    if (k < 0)
      return k;
    if (k == 0)
      continue;
    size_t n = l->shdrs[i].sh_size / sizeof(Elf64_Rela);
    for (size_t j = 0; j < n; j++) {
      Elf64_Rela r;
      memcpy(&r, l->obj + l->shdrs[i].sh_offset + j * sizeof r, sizeof r);
      int rc = fn(l, target, &r);
      if (rc) {
        wa_err_wrap(l->err, "%s entry %zu: ", sec_name(l, i), j);
        return rc;
      }
    }
  }
  return 0;
}

static int add_extern(prelinker *l, psym *s) {
  if (s->ext >= 0)
    return 0;
  s->ext = (int32_t)l->n_externs++;
  return wa_buf_append(&l->externs, s->name, strlen(s->name) + 1, l->err);
}

/* First pass: check types and symbols, count GOT slots and stubs. */
static int plan_one(prelinker *l, size_t target, const Elf64_Rela *r) {
  uint32_t type = (uint32_t)ELF64_R_TYPE(r->r_info);
  uint64_t symi = ELF64_R_SYM(r->r_info);
  uint32_t size = 0;
  int cls = l->arch->reloc_class(type, &size);
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
  psym *s = &l->syms[symi];
  bool call_out = cls == WR__RELOC_CALL && s->external;
  if ((cls == WR__RELOC_GOT || call_out) && s->got < 0)
    s->got = (int32_t)l->n_got++;
  if (call_out && s->stub < 0)
    s->stub = (int32_t)l->n_stubs++;
  if (s->external &&
      (cls == WR__RELOC_GOT || call_out || cls == WR__RELOC_ABS64))
    return add_extern(l, s);
  return 0;
}

static uint64_t align_up(uint64_t x, uint64_t a) {
  return a ? (x + a - 1) & ~(a - 1) : x;
}

static int layout(prelinker *l, wa_buf *image) {
  uint64_t at = 0;
  for (int g = 0; g < WR_GROUP_COUNT; g++) {
    at = align_up(at, l->page);
    l->gstart[g] = at;
    for (size_t i = 1; i < l->n_secs; i++) {
      if (l->group[i] != g)
        continue;
      at = align_up(at, l->shdrs[i].sh_addralign);
      l->offs[i] = at;
      at += l->shdrs[i].sh_size;
    }
    if (g == WR_GROUP_EXEC) {
      at = align_up(at, 16);
      l->stubs_off = at;
      at += (uint64_t)l->n_stubs * WR__STUB_SIZE;
    } else if (g == WR_GROUP_RO) {
      at = align_up(at, 8);
      l->got_off = at;
      at += (uint64_t)l->n_got * 8;
    }
    l->gsize[g] = at - l->gstart[g];
  }
  uint64_t total = align_up(at, l->page);
  if (total == 0)
    total = l->page;
  if (total > (1ull << 33))
    return wa_fail(l->err, WA_ELIMIT, WA_NOOFF, "image of %llu bytes",
                   (unsigned long long)total);
  int rc = wa_buf_reserve(image, total, l->err);
  if (rc)
    return rc;
  l->img = image->data + image->len;
  l->img_size = total;
  memset(l->img, 0, total);
  image->len += total;
  for (size_t i = 1; i < l->n_secs; i++) {
    if (l->group[i] == WR_GROUP_COUNT || l->shdrs[i].sh_type == SHT_NOBITS)
      continue;
    memcpy(l->img + l->offs[i], l->obj + l->shdrs[i].sh_offset,
           l->shdrs[i].sh_size);
  }
  return 0;
}

static int add_fixup(prelinker *l, uint64_t off, uint32_t kind, int32_t ext) {
  if (off >= l->gstart[WR_GROUP_EXEC] &&
      off < l->gstart[WR_GROUP_EXEC] + l->gsize[WR_GROUP_EXEC])
    return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                   "an absolute address inside the code (offset 0x%llx): "
                   "code must be position-independent",
                   (unsigned long long)off);
  wr_link_fixup f = {off, kind, ext < 0 ? 0 : (uint32_t)ext};
  return wa_buf_append(&l->fixups, &f, sizeof f, l->err);
}

/* Places symbols, fills the GOT and writes the stubs. */
static int resolve(prelinker *l) {
  for (size_t i = 1; i < l->n_syms; i++) {
    psym *s = &l->syms[i];
    if (!s->external && s->shndx)
      s->off = l->offs[s->shndx] + s->value;
    else if (!s->external && strcmp(s->name, "_GLOBAL_OFFSET_TABLE_") == 0)
      s->off = l->got_off;
    if (s->got < 0)
      continue;
    uint64_t slot = l->got_off + 8 * (uint64_t)s->got;
    int rc;
    if (s->external) {
      rc = add_fixup(l, slot, WR_FIXUP_EXTERN, s->ext);
    } else {
      if (s->off == UNPLACED)
        return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                       "GOT entry for '%.100s', which is not loaded", s->name);
      memcpy(l->img + slot, &s->off, 8);
      rc = add_fixup(l, slot, WR_FIXUP_BASE, -1);
    }
    if (rc)
      return rc;
    if (s->stub >= 0) {
      uint64_t at = l->stubs_off + WR__STUB_SIZE * (uint64_t)s->stub;
      l->arch->stub_write(l->img + at, at, slot);
    }
  }
  return 0;
}

static int apply_one(prelinker *l, size_t target, const Elf64_Rela *r) {
  uint32_t type = (uint32_t)ELF64_R_TYPE(r->r_info);
  uint64_t symi = ELF64_R_SYM(r->r_info);
  psym *s = &l->syms[symi];
  uint32_t size;
  int cls = l->arch->reloc_class(type, &size);
  if (cls == WR__RELOC_SKIP)
    return 0;
  wr__reloc_vals v;
  v.P = l->offs[target] + r->r_offset;
  v.A = r->r_addend;
  v.S = symi ? s->off : 0;
  v.Z = s->size;
  v.GOT = l->got_off;
  v.G = s->got >= 0 ? v.GOT + 8 * (uint64_t)s->got : 0;
  uint8_t *where = l->img + v.P;
  if (symi && s->absolute)
    return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                   "relocation against absolute symbol '%.100s'", s->name);
  if (symi && s->external) {
    if (cls == WR__RELOC_ABS64) {
      /* Only the addend now; the loader adds the address. */
      memcpy(where, &v.A, 8);
      return add_fixup(l, v.P, WR_FIXUP_EXTERN, s->ext);
    }
    if (cls == WR__RELOC_CALL)
      v.S = l->stubs_off + WR__STUB_SIZE * (uint64_t)s->stub;
    else if (cls != WR__RELOC_GOT)
      return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                     "%s against external '%.100s' needs its address at a "
                     "fixed distance",
                     l->arch->reloc_name(type), s->name);
  } else if (symi && s->off == UNPLACED) {
    return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                   "relocation against '%.100s', which is not loaded", s->name);
  }
  if (cls == WR__RELOC_FIXED && symi)
    return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                   "%s against '%.100s' needs a fixed load address",
                   l->arch->reloc_name(type), s->name);
  int rc = l->arch->reloc_apply(type, where, &v, l->err);
  if (!rc && cls == WR__RELOC_ABS64 && symi)
    rc = add_fixup(l, v.P, WR_FIXUP_BASE, -1);
  return rc;
}

/* One of the wasmaot_* tables: its image offset and entry count. */
static int find_table(prelinker *l, const char *name, uint64_t *off,
                      uint32_t *n) {
  *off = UINT64_MAX;
  *n = 0;
  for (size_t i = 1; i < l->n_syms; i++) {
    psym *s = &l->syms[i];
    if (s->external || strcmp(s->name, name) != 0)
      continue;
    if (s->size == 0) /* an empty array may sit in an unplaced section */
      return 0;
    if (s->off == UNPLACED || (s->off & 7) || s->size % 8 ||
        s->size > l->img_size || s->off > l->img_size - s->size)
      return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                     "%s is not a placed, aligned pointer array", name);
    *off = s->off;
    *n = (uint32_t)(s->size / 8);
    return 0;
  }
  return 0;
}

static int cmp_u64pair(const void *x, const void *y) {
  const uint64_t *a = x, *b = y;
  return a[0] < b[0] ? -1 : a[0] > b[0];
}

static int cmp_range(const void *x, const void *y) {
  const wr_link_range *a = x, *b = y;
  return a->start < b->start ? -1 : a->start > b->start;
}

/* Backtrace ranges: each entry of wasmaot_funcs with the size of the
 * function symbol at that offset. */
static int build_ranges(prelinker *l, uint64_t funcs_off, uint32_t n_funcs,
                        wa_buf *out) {
  if (!n_funcs)
    return 0;
  uint64_t(*sized)[2] = palloc(l, l->n_syms, sizeof *sized);
  wr_link_range *rg = palloc(l, n_funcs, sizeof *rg);
  int rc = 0;
  if (!sized || !rg) {
    rc = l->err->code;
    goto out;
  }
  size_t n_sized = 0;
  for (size_t i = 1; i < l->n_syms; i++)
    if (l->syms[i].func && l->syms[i].size && l->syms[i].off != UNPLACED) {
      sized[n_sized][0] = l->syms[i].off;
      sized[n_sized][1] = l->syms[i].size;
      n_sized++;
    }
  qsort(sized, n_sized, sizeof *sized, cmp_u64pair);
  for (uint32_t k = 0; k < n_funcs; k++) {
    int64_t rel; /* from the table's start (wr_abi.h) */
    memcpy(&rel, l->img + funcs_off + 8 * (uint64_t)k, 8);
    uint64_t start = funcs_off + (uint64_t)rel;
    uint64_t key[2] = {start, 0};
    const uint64_t *hit =
        bsearch(key, sized, n_sized, sizeof *sized, cmp_u64pair);
    rg[k] = (wr_link_range){start, hit ? start + hit[1] : 0, k, 0};
  }
  qsort(rg, n_funcs, sizeof *rg, cmp_range);
  rc = wa_buf_append(out, rg, n_funcs * sizeof *rg, l->err);
out:
  free(sized);
  free(rg);
  return rc;
}

static int write_link(prelinker *l, wa_buf *link) {
  wr_link_hdr h;
  memset(&h, 0, sizeof h);
  h.magic = WR_LINK_MAGIC;
  h.version = WR_LINK_VERSION;
  h.machine = l->arch->machine;
  h.page_align = (uint32_t)l->page;
  h.image_size = l->img_size;
  for (int g = 0; g < WR_GROUP_COUNT; g++) {
    h.group_off[g] = l->gstart[g];
    h.group_size[g] = l->gsize[g];
  }
  int rc;
  if ((rc = find_table(l, WR_SYM_FUNCS, &h.funcs_off, &h.n_funcs)) ||
      (rc = find_table(l, WR_SYM_TRAMPS, &h.tramps_off, &h.n_tramps)) ||
      (rc = find_table(l, WR_SYM_ADAPTERS, &h.adapters_off, &h.n_adapters)))
    return rc;
  wa_buf ranges;
  wa_buf_init(&ranges);
  if ((rc = build_ranges(l, h.funcs_off, h.n_funcs, &ranges)))
    goto out;
  h.n_fixups = (uint32_t)(l->fixups.len / sizeof(wr_link_fixup));
  h.n_ranges = (uint32_t)(ranges.len / sizeof(wr_link_range));
  h.n_externs = l->n_externs;
  h.externs_size = (uint32_t)l->externs.len;
  if ((rc = wa_buf_append(link, &h, sizeof h, l->err)) ||
      (rc = wa_buf_append(link, l->fixups.data, l->fixups.len, l->err)) ||
      (rc = wa_buf_append(link, ranges.data, ranges.len, l->err)) ||
      (rc = wa_buf_append(link, l->externs.data, l->externs.len, l->err)))
    goto out;
out:
  wa_buf_free(&ranges);
  return rc;
}

int wr_prelink(const uint8_t *obj, size_t len, uint32_t page_align,
               wa_buf *image, wa_buf *link, wa_err *err) {
  prelinker l;
  memset(&l, 0, sizeof l);
  l.err = err;
  l.page = page_align;
  wa_buf_init(&l.fixups);
  wa_buf_init(&l.externs);
  int rc = 0;
  if (len < sizeof(Elf64_Ehdr) || memcmp(obj, ELFMAG, SELFMAG) != 0)
    return wa_fail(err, WA_ECORRUPT, 0, "not an ELF file");
  uint16_t machine = (uint16_t)(obj[18] | obj[19] << 8);
  l.arch = machine == EM_X86_64    ? &wr__arch_x86_64
           : machine == EM_AARCH64 ? &wr__arch_aarch64
                                   : NULL;
  if (!l.arch)
    return wa_fail(err, WA_EUNSUPPORTED, 18,
                   "cannot pre-link code for ELF machine %u", machine);
  if (page_align < 4096 || (page_align & (page_align - 1)))
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "page alignment %u",
                   page_align);
  l.obj = obj;
  l.len = len;
  if (!(rc = read_sections(&l)) && !(rc = read_symbols(&l)) &&
      !(rc = each_rela(&l, plan_one)) && !(rc = layout(&l, image)) &&
      !(rc = resolve(&l)) && !(rc = each_rela(&l, apply_one)))
    rc = write_link(&l, link);
  free(l.shdrs);
  free(l.group);
  free(l.offs);
  free(l.syms);
  wa_buf_free(&l.fixups);
  wa_buf_free(&l.externs);
  if (rc)
    wa_err_wrap(err, "pre-linking: ");
  return rc;
}

/* Section header i of the ELF in b (bounds checked by the caller). */
static Elf64_Shdr shdr_at(const wa_buf *b, const Elf64_Ehdr *eh, size_t i) {
  Elf64_Shdr s;
  memcpy(&s, b->data + eh->e_shoff + i * sizeof s, sizeof s);
  return s;
}

int wr_prelink_append(wa_buf *elf, wa_err *err) {
  wa_buf image, link, shdrs;
  wa_buf_init(&image);
  wa_buf_init(&link);
  wa_buf_init(&shdrs);
  Elf64_Ehdr eh;
  int rc = 0;
  if (elf->len < sizeof eh) {
    rc = wa_fail(err, WA_ECORRUPT, 0, "not an ELF file");
    goto out;
  }
  memcpy(&eh, elf->data, sizeof eh);
  uint32_t page = wr_prelink_page_align(eh.e_machine);
  if ((rc = wr_prelink(elf->data, elf->len, page, &image, &link, err)))
    goto out;
  /* The section headers are last: keep them aside, append the two
   * sections and a grown name table, then the headers. */
  if (eh.e_shoff + (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) != elf->len ||
      eh.e_shstrndx >= eh.e_shnum) {
    rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                 "the section headers are not the object's last bytes");
    goto out;
  }
  Elf64_Shdr names = shdr_at(elf, &eh, eh.e_shstrndx);
  if (names.sh_offset > eh.e_shoff ||
      names.sh_size > eh.e_shoff - names.sh_offset) {
    rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF, "section name table bounds");
    goto out;
  }
  for (size_t i = 0; i < eh.e_shnum; i++) {
    Elf64_Shdr s = shdr_at(elf, &eh, i);
    if ((rc = wa_buf_append(&shdrs, &s, sizeof s, err)))
      goto out;
  }
  elf->len = eh.e_shoff;
  Elf64_Shdr is, ls;
  memset(&is, 0, sizeof is);
  is.sh_type = SHT_PROGBITS;
  ls = is;
  if ((rc = wa_buf_align(elf, page, err)))
    goto out;
  is.sh_offset = elf->len;
  is.sh_size = image.len;
  is.sh_addralign = page;
  if ((rc = wa_buf_append(elf, image.data, image.len, err)) ||
      (rc = wa_buf_align(elf, 8, err)))
    goto out;
  ls.sh_offset = elf->len;
  ls.sh_size = link.len;
  ls.sh_addralign = 8;
  if ((rc = wa_buf_append(elf, link.data, link.len, err)))
    goto out;
  /* The new name table: the old names (still in the buffer) plus two. */
  uint64_t names_at = elf->len;
  is.sh_name = (Elf64_Word)names.sh_size;
  ls.sh_name = (Elf64_Word)(names.sh_size + sizeof WR_SECTION_IMAGE);
  if ((rc = wa_buf_reserve(elf, names.sh_size, err)))
    goto out;
  memcpy(elf->data + elf->len, elf->data + names.sh_offset, names.sh_size);
  elf->len += names.sh_size;
  if ((rc = wa_buf_append(elf, WR_SECTION_IMAGE, sizeof WR_SECTION_IMAGE,
                          err)) ||
      (rc = wa_buf_append(elf, WR_SECTION_LINK, sizeof WR_SECTION_LINK, err)))
    goto out;
  names.sh_offset = names_at;
  names.sh_size = elf->len - names_at;
  memcpy(shdrs.data + (size_t)eh.e_shstrndx * sizeof names, &names,
         sizeof names);
  if ((rc = wa_buf_append(&shdrs, &is, sizeof is, err)) ||
      (rc = wa_buf_append(&shdrs, &ls, sizeof ls, err)) ||
      (rc = wa_buf_align(elf, 8, err)))
    goto out;
  eh.e_shoff = elf->len;
  eh.e_shnum = (Elf64_Half)(shdrs.len / sizeof(Elf64_Shdr));
  if ((rc = wa_buf_append(elf, shdrs.data, shdrs.len, err)))
    goto out;
  memcpy(elf->data, &eh, sizeof eh);
out:
  wa_buf_free(&image);
  wa_buf_free(&link);
  wa_buf_free(&shdrs);
  return rc;
}
