/*
 * elf.c: the artifact writer. Merges the per-chunk ELF relocatables LLVM
 * emitted into one relocatable: same-named content sections are
 * concatenated, symbols renumbered (chunk-crossing function symbols
 * resolved and made local; only wasmaot_funcs/tramps/adapters and the
 * undefined libc/libm references stay global), relocations rebased. Then
 * .wasmaot.meta and .wasmaot.data are appended, the latter aligned in the
 * file so the runtime can map it; wr_prelink_append then adds the linked
 * image and its fixups, which is all the loader reads of the code. Inputs come
 * from LLVM but are still bounds-checked: a surprise becomes WA_EINTERNAL,
 * never a crash.
 */
#include "internal.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the artifact writer assumes a little-endian host");

#ifndef SHT_LLVM_ADDRSIG
#define SHT_LLVM_ADDRSIG 0x6fff4c03
#endif

typedef struct in_obj {
  const uint8_t *p;
  size_t len;
  Elf64_Ehdr eh;
  const Elf64_Shdr *sh; /* may be unaligned: read through get_sh */
  uint32_t n_sh;
  uint32_t symtab; /* section index */
  uint32_t n_syms;
  const uint8_t *syms;
  const char *strtab;
  size_t strtab_len;
  const char *shstr;
  size_t shstr_len;
  uint32_t *sec_out; /* input section -> output section (0: none) */
  uint64_t *sec_off; /* input section -> offset in its output section */
  uint32_t *sym_out; /* input symbol -> output symbol */
  uint64_t *sym_adj; /* addend adjustment (section symbols) */
} in_obj;

typedef struct out_sec {
  const char *name;
  Elf64_Word type;
  Elf64_Xword flags, entsize, align, size;
  uint32_t first_piece, n_pieces; /* in the piece list */
  uint32_t index;                 /* output section index */
  uint32_t n_relas;
  uint64_t file_off;
} out_sec;

typedef struct piece {
  uint32_t obj, sec;
  uint64_t off;
} piece;

typedef struct merger {
  in_obj *in;
  uint32_t n_in;
  uint16_t machine;
  out_sec *secs;
  uint32_t n_secs;
  piece *pieces;
  uint32_t n_pieces;
  wa_buf strtab;
  /* name -> output symbol, open addressing */
  struct {
    const char *name;
    uint32_t obj, sym; /* defining input symbol, or obj == UINT32_MAX */
    uint32_t out;
  } * map;
  uint32_t map_cap;
  wa_arena arena;
  wa_err *err;
} merger;

static int bad(merger *mg, uint32_t k, const char *what) {
  return wa_fail(mg->err, WA_EINTERNAL, WA_NOOFF, "chunk object %u: %s", k,
                 what);
}

static Elf64_Shdr get_sh(const in_obj *o, uint32_t i) {
  Elf64_Shdr s;
  memcpy(&s, (const uint8_t *)o->sh + (size_t)i * sizeof s, sizeof s);
  return s;
}

static Elf64_Sym get_sym(const in_obj *o, uint32_t i) {
  Elf64_Sym s;
  memcpy(&s, o->syms + (size_t)i * sizeof s, sizeof s);
  return s;
}

static const char *str_at(const char *tab, size_t len, uint32_t off) {
  if (off >= len || !memchr(tab + off, 0, len - off))
    return NULL;
  return tab + off;
}

static bool in_file(const in_obj *o, uint64_t off, uint64_t size) {
  return off <= o->len && size <= o->len - off;
}

static int parse(merger *mg, uint32_t k, const wc_obj *src) {
  in_obj *o = &mg->in[k];
  o->p = src->p;
  o->len = src->len;
  if (o->len < sizeof o->eh)
    return bad(mg, k, "too short for an ELF header");
  memcpy(&o->eh, o->p, sizeof o->eh);
  if (memcmp(o->eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      o->eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      o->eh.e_ident[EI_DATA] != ELFDATA2LSB || o->eh.e_type != ET_REL ||
      o->eh.e_machine != mg->machine || o->eh.e_shentsize != sizeof(Elf64_Shdr))
    return bad(mg, k, "not a 64-bit little-endian relocatable of the target");
  o->n_sh = o->eh.e_shnum;
  if (!in_file(o, o->eh.e_shoff, (uint64_t)o->n_sh * sizeof(Elf64_Shdr)) ||
      o->eh.e_shstrndx >= o->n_sh)
    return bad(mg, k, "section headers out of bounds");
  o->sh = (const Elf64_Shdr *)(o->p + o->eh.e_shoff);
  Elf64_Shdr ss = get_sh(o, o->eh.e_shstrndx);
  if (!in_file(o, ss.sh_offset, ss.sh_size))
    return bad(mg, k, "section names out of bounds");
  o->shstr = (const char *)o->p + ss.sh_offset;
  o->shstr_len = ss.sh_size;
  for (uint32_t i = 1; i < o->n_sh; i++) {
    Elf64_Shdr s = get_sh(o, i);
    if (s.sh_type != SHT_NOBITS && !in_file(o, s.sh_offset, s.sh_size))
      return bad(mg, k, "section contents out of bounds");
    if (!str_at(o->shstr, o->shstr_len, s.sh_name))
      return bad(mg, k, "bad section name");
    if (s.sh_type == SHT_SYMTAB) {
      if (o->symtab || s.sh_entsize != sizeof(Elf64_Sym) ||
          s.sh_link >= o->n_sh)
        return bad(mg, k, "unexpected symbol table");
      o->symtab = i;
    }
  }
  if (!o->symtab)
    return bad(mg, k, "no symbol table");
  Elf64_Shdr st = get_sh(o, o->symtab), sl = get_sh(o, st.sh_link);
  o->syms = o->p + st.sh_offset;
  o->n_syms = (uint32_t)(st.sh_size / sizeof(Elf64_Sym));
  o->strtab = (const char *)o->p + sl.sh_offset;
  o->strtab_len = sl.sh_size;
  size_t ns = o->n_sh + 1, ny = o->n_syms + 1;
  o->sec_out = wa_arena_alloc(&mg->arena, ns * sizeof *o->sec_out);
  o->sec_off = wa_arena_alloc(&mg->arena, ns * sizeof *o->sec_off);
  o->sym_out = wa_arena_alloc(&mg->arena, ny * sizeof *o->sym_out);
  o->sym_adj = wa_arena_alloc(&mg->arena, ny * sizeof *o->sym_adj);
  if (!o->sec_out || !o->sec_off || !o->sym_out || !o->sym_adj)
    return wa_fail(mg->err, WA_ENOMEM, WA_NOOFF, "out of memory");
  return 0;
}

static bool is_content(Elf64_Word type) {
  return type == SHT_PROGBITS || type == SHT_NOBITS || type == SHT_NOTE ||
         type == SHT_INIT_ARRAY || type == SHT_FINI_ARRAY ||
         type == SHT_X86_64_UNWIND;
}

/* Groups content sections by (name, type, flags, entsize), in first-seen
 * order, and gives every input section its offset in its group. */
static int plan_sections(merger *mg) {
  uint32_t total = 0;
  for (uint32_t k = 0; k < mg->n_in; k++)
    total += mg->in[k].n_sh;
  mg->secs = wa_arena_alloc(&mg->arena, (total + 1) * sizeof *mg->secs);
  mg->pieces = wa_arena_alloc(&mg->arena, (total + 1) * sizeof *mg->pieces);
  if (!mg->secs || !mg->pieces)
    return wa_fail(mg->err, WA_ENOMEM, WA_NOOFF, "out of memory");
  /* Pass 1: output sections. */
  for (uint32_t k = 0; k < mg->n_in; k++) {
    in_obj *o = &mg->in[k];
    for (uint32_t i = 1; i < o->n_sh; i++) {
      Elf64_Shdr s = get_sh(o, i);
      if (s.sh_type == SHT_SYMTAB || s.sh_type == SHT_STRTAB ||
          s.sh_type == SHT_RELA || s.sh_type == SHT_LLVM_ADDRSIG)
        continue;
      if (!is_content(s.sh_type))
        return bad(mg, k, "unexpected section type");
      if (s.sh_flags & (SHF_GROUP | SHF_LINK_ORDER))
        return bad(mg, k, "unexpected section group or link order");
      const char *name = o->shstr + s.sh_name;
      uint32_t j;
      for (j = 0; j < mg->n_secs; j++) {
        out_sec *q = &mg->secs[j];
        if (q->type == s.sh_type && q->flags == s.sh_flags &&
            q->entsize == s.sh_entsize && strcmp(q->name, name) == 0)
          break;
      }
      if (j == mg->n_secs)
        mg->secs[mg->n_secs++] = (out_sec){.name = name,
                                           .type = s.sh_type,
                                           .flags = s.sh_flags,
                                           .entsize = s.sh_entsize,
                                           .align = 1};
      o->sec_out[i] = j + 1; /* the output index; 0 means none */
    }
  }
  /* Pass 2: pieces, grouped per output section. */
  for (uint32_t j = 0; j < mg->n_secs; j++) {
    out_sec *q = &mg->secs[j];
    q->first_piece = mg->n_pieces;
    for (uint32_t k = 0; k < mg->n_in; k++) {
      in_obj *o = &mg->in[k];
      for (uint32_t i = 1; i < o->n_sh; i++) {
        if (o->sec_out[i] != j + 1)
          continue;
        Elf64_Shdr s = get_sh(o, i);
        uint64_t a = s.sh_addralign ? s.sh_addralign : 1;
        if (a & (a - 1))
          return bad(mg, k, "section alignment is not a power of two");
        if (a > q->align)
          q->align = a;
        q->size = (q->size + a - 1) & ~(a - 1);
        o->sec_off[i] = q->size;
        q->size += s.sh_size;
        mg->pieces[mg->n_pieces++] = (piece){k, i, o->sec_off[i]};
        q->n_pieces++;
      }
    }
  }
  /* Output indices: [0] null, then the content sections in order. */
  for (uint32_t j = 0; j < mg->n_secs; j++)
    mg->secs[j].index = j + 1;
  return 0;
}

static uint64_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

/* The map slot for a name (an empty slot if absent). */
static uint32_t map_slot(merger *mg, const char *name) {
  uint32_t i = (uint32_t)name_hash(name) & (mg->map_cap - 1);
  while (mg->map[i].name && strcmp(mg->map[i].name, name) != 0)
    i = (i + 1) & (mg->map_cap - 1);
  return i;
}

static bool keep_global(const char *name) {
  return strcmp(name, WR_SYM_FUNCS) == 0 || strcmp(name, WR_SYM_TRAMPS) == 0 ||
         strcmp(name, WR_SYM_ADAPTERS) == 0;
}

static int add_str(merger *mg, const char *s, Elf64_Word *off) {
  *off = (Elf64_Word)mg->strtab.len;
  return wa_buf_append(&mg->strtab, s, strlen(s) + 1, mg->err);
}

static int put_sym(merger *mg, wa_buf *syms, const Elf64_Sym *s) {
  return wa_buf_append(syms, s, sizeof *s, mg->err);
}

/* Builds the output symbol table; fills sym_out/sym_adj of every input. */
static int plan_symbols(merger *mg, wa_buf *syms, uint32_t *first_global) {
  int rc;
  uint32_t total = 0;
  for (uint32_t k = 0; k < mg->n_in; k++)
    total += mg->in[k].n_syms;
  mg->map_cap = 16;
  while (mg->map_cap < 2 * total + 16)
    mg->map_cap *= 2;
  mg->map = wa_arena_alloc(&mg->arena, mg->map_cap * sizeof *mg->map);
  if (!mg->map)
    return wa_fail(mg->err, WA_ENOMEM, WA_NOOFF, "out of memory");

  /* Definitions of global symbols, by name. */
  for (uint32_t k = 0; k < mg->n_in; k++) {
    in_obj *o = &mg->in[k];
    for (uint32_t i = 1; i < o->n_syms; i++) {
      Elf64_Sym s = get_sym(o, i);
      if (ELF64_ST_BIND(s.st_info) == STB_LOCAL || s.st_shndx == SHN_UNDEF)
        continue;
      if (s.st_shndx == SHN_COMMON || s.st_shndx >= o->n_sh ||
          !o->sec_out[s.st_shndx])
        return bad(mg, k, "global symbol in an unexpected section");
      const char *name = str_at(o->strtab, o->strtab_len, s.st_name);
      if (!name)
        return bad(mg, k, "bad symbol name");
      uint32_t slot = map_slot(mg, name);
      if (mg->map[slot].name)
        return wa_fail(mg->err, WA_EINTERNAL, WA_NOOFF,
                       "symbol %s defined by two chunks", name);
      mg->map[slot].name = name;
      mg->map[slot].obj = k;
      mg->map[slot].sym = i;
    }
  }

  Elf64_Sym z;
  memset(&z, 0, sizeof z);
  uint32_t n_out = 0;
  if ((rc = put_sym(mg, syms, &z)) < 0)
    return rc;
  n_out++;
  /* Section symbols: output symbol j + 1 is section j + 1's. */
  for (uint32_t j = 0; j < mg->n_secs; j++) {
    Elf64_Sym s = z;
    s.st_info = ELF64_ST_INFO(STB_LOCAL, STT_SECTION);
    s.st_shndx = (Elf64_Section)mg->secs[j].index;
    if ((rc = put_sym(mg, syms, &s)) < 0)
      return rc;
    n_out++;
  }
  /* Locals, including defined globals that only the chunks shared. */
  for (uint32_t k = 0; k < mg->n_in; k++) {
    in_obj *o = &mg->in[k];
    for (uint32_t i = 1; i < o->n_syms; i++) {
      Elf64_Sym s = get_sym(o, i);
      unsigned bind = ELF64_ST_BIND(s.st_info), type = ELF64_ST_TYPE(s.st_info);
      const char *name = str_at(o->strtab, o->strtab_len, s.st_name);
      if (!name)
        return bad(mg, k, "bad symbol name");
      if (type == STT_FILE)
        continue;
      if (s.st_shndx == SHN_UNDEF)
        continue; /* resolved below */
      if (s.st_shndx == SHN_ABS || s.st_shndx >= o->n_sh ||
          !o->sec_out[s.st_shndx])
        return bad(mg, k, "symbol in an unexpected section");
      uint32_t sec = o->sec_out[s.st_shndx];
      if (type == STT_SECTION) {
        o->sym_out[i] = sec; /* section j's symbol is output symbol j */
        o->sym_adj[i] = o->sec_off[s.st_shndx];
        continue;
      }
      if (bind != STB_LOCAL && keep_global(name))
        continue;
      Elf64_Sym t = s;
      t.st_info = ELF64_ST_INFO(STB_LOCAL, type);
      t.st_other = STV_DEFAULT;
      t.st_shndx = (Elf64_Section)sec;
      t.st_value += o->sec_off[s.st_shndx];
      if ((rc = add_str(mg, name, &t.st_name)) < 0 ||
          (rc = put_sym(mg, syms, &t)) < 0)
        return rc;
      o->sym_out[i] = n_out;
      if (bind != STB_LOCAL)
        mg->map[map_slot(mg, name)].out = n_out;
      n_out++;
    }
  }
  *first_global = n_out;
  /* Globals: the runtime's three arrays, then undefined references. */
  for (uint32_t k = 0; k < mg->n_in; k++) {
    in_obj *o = &mg->in[k];
    for (uint32_t i = 1; i < o->n_syms; i++) {
      Elf64_Sym s = get_sym(o, i);
      const char *name = o->strtab + s.st_name;
      if (ELF64_ST_BIND(s.st_info) == STB_LOCAL || s.st_shndx == SHN_UNDEF ||
          !keep_global(name))
        continue;
      Elf64_Sym t = s;
      t.st_info = ELF64_ST_INFO(STB_GLOBAL, ELF64_ST_TYPE(s.st_info));
      t.st_shndx = (Elf64_Section)o->sec_out[s.st_shndx];
      t.st_value += o->sec_off[s.st_shndx];
      if ((rc = add_str(mg, name, &t.st_name)) < 0 ||
          (rc = put_sym(mg, syms, &t)) < 0)
        return rc;
      o->sym_out[i] = n_out;
      mg->map[map_slot(mg, name)].out = n_out;
      n_out++;
    }
  }
  for (uint32_t k = 0; k < mg->n_in; k++) {
    in_obj *o = &mg->in[k];
    for (uint32_t i = 1; i < o->n_syms; i++) {
      Elf64_Sym s = get_sym(o, i);
      if (s.st_shndx != SHN_UNDEF || ELF64_ST_TYPE(s.st_info) == STT_FILE)
        continue;
      const char *name = o->strtab + s.st_name;
      uint32_t slot = map_slot(mg, name);
      if (!mg->map[slot].name) { /* first reference to an external */
        Elf64_Sym t = z;
        t.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
        if ((rc = add_str(mg, name, &t.st_name)) < 0 ||
            (rc = put_sym(mg, syms, &t)) < 0)
          return rc;
        mg->map[slot].name = name;
        mg->map[slot].obj = UINT32_MAX;
        mg->map[slot].out = n_out++;
      }
      o->sym_out[i] = mg->map[slot].out;
    }
  }
  return 0;
}

/* Rebased relocations of output section q, appended to out. */
static int copy_relas(merger *mg, out_sec *q, wa_buf *out) {
  for (uint32_t p = q->first_piece; p < q->first_piece + q->n_pieces; p++) {
    const piece *pc = &mg->pieces[p];
    in_obj *o = &mg->in[pc->obj];
    for (uint32_t i = 1; i < o->n_sh; i++) {
      Elf64_Shdr s = get_sh(o, i);
      if (s.sh_type != SHT_RELA || s.sh_info != pc->sec)
        continue;
      if (s.sh_link != o->symtab || s.sh_entsize != sizeof(Elf64_Rela))
        return bad(mg, pc->obj, "relocations against another symbol table");
      uint64_t n = s.sh_size / sizeof(Elf64_Rela);
      for (uint64_t r = 0; r < n; r++) {
        Elf64_Rela rel;
        memcpy(&rel, o->p + s.sh_offset + r * sizeof rel, sizeof rel);
        uint32_t sym = (uint32_t)ELF64_R_SYM(rel.r_info);
        if (sym >= o->n_syms || (sym && !o->sym_out[sym]))
          return bad(mg, pc->obj, "relocation against a dropped symbol");
        rel.r_offset += pc->off;
        rel.r_addend += (Elf64_Sxword)o->sym_adj[sym];
        rel.r_info = ELF64_R_INFO(o->sym_out[sym], ELF64_R_TYPE(rel.r_info));
        int rc = wa_buf_append(out, &rel, sizeof rel, mg->err);
        if (rc)
          return rc;
        q->n_relas++;
      }
    }
  }
  return 0;
}

static int add_shdr(wa_buf *shdrs, wa_buf *shstr, const char *name,
                    Elf64_Shdr sh, wa_err *err) {
  sh.sh_name = (Elf64_Word)shstr->len;
  int rc = wa_buf_append(shstr, name, strlen(name) + 1, err);
  return rc ? rc : wa_buf_append(shdrs, &sh, sizeof sh, err);
}

static int write_out(merger *mg, const wc_blobs *blobs, uint32_t data_align,
                     wa_buf *syms, uint32_t first_global, wa_buf *out) {
  wa_err *err = mg->err;
  wa_buf shdrs, shstr, relas;
  wa_buf_init(&shdrs);
  wa_buf_init(&shstr);
  wa_buf_init(&relas);
  int rc;
  Elf64_Ehdr eh = mg->in[0].eh;
  Elf64_Shdr sh;
  memset(&sh, 0, sizeof sh);
#define TRY(x)                                                                 \
  do {                                                                         \
    if ((rc = (x)) != 0)                                                       \
      goto out;                                                                \
  } while (0)
  TRY(wa_buf_append(out, &eh, sizeof eh, err)); /* patched at the end */
  TRY(wa_buf_u8(&shstr, 0, err));
  TRY(wa_buf_append(&shdrs, &sh, sizeof sh, err));

  /* Content sections. */
  for (uint32_t j = 0; j < mg->n_secs; j++) {
    out_sec *q = &mg->secs[j];
    TRY(wa_buf_align(out, q->align, err));
    q->file_off = out->len;
    if (q->type != SHT_NOBITS) {
      for (uint32_t p = q->first_piece; p < q->first_piece + q->n_pieces; p++) {
        const piece *pc = &mg->pieces[p];
        const in_obj *o = &mg->in[pc->obj];
        Elf64_Shdr s = get_sh(o, pc->sec);
        TRY(wa_buf_align(out, s.sh_addralign ? s.sh_addralign : 1, err));
        TRY(wa_buf_append(out, o->p + s.sh_offset, s.sh_size, err));
      }
    }
    Elf64_Shdr s = sh;
    s.sh_type = q->type;
    s.sh_flags = q->flags;
    s.sh_offset = q->file_off;
    s.sh_size = q->size;
    s.sh_addralign = q->align;
    s.sh_entsize = q->entsize;
    TRY(add_shdr(&shdrs, &shstr, q->name, s, err));
  }
  uint32_t n_index = mg->n_secs + 1;

  /* The metadata and the data segments: not part of the loaded image
   * (no SHF_ALLOC); the runtime reads them by file offset. */
  TRY(wa_buf_align(out, 8, err));
  Elf64_Shdr ms = sh;
  ms.sh_type = SHT_PROGBITS;
  ms.sh_offset = out->len;
  ms.sh_size = blobs->meta.len;
  ms.sh_addralign = 8;
  TRY(wa_buf_append(out, blobs->meta.data, blobs->meta.len, err));
  TRY(add_shdr(&shdrs, &shstr, WR_SECTION_META, ms, err));
  n_index++;
  if (blobs->data.len) {
    TRY(wa_buf_align(out, data_align, err));
    Elf64_Shdr ds = sh;
    ds.sh_type = SHT_PROGBITS;
    ds.sh_offset = out->len;
    ds.sh_size = blobs->data.len;
    ds.sh_addralign = data_align;
    TRY(wa_buf_append(out, blobs->data.data, blobs->data.len, err));
    TRY(add_shdr(&shdrs, &shstr, WR_SECTION_DATA, ds, err));
    n_index++;
  }

  /* Relocation sections; the symbol table follows them. */
  uint32_t n_rela_secs = 0;
  for (uint32_t j = 0; j < mg->n_secs; j++) {
    out_sec *q = &mg->secs[j];
    TRY(copy_relas(mg, q, &relas));
    if (q->n_relas)
      n_rela_secs++;
  }
  uint32_t symtab_index = n_index + n_rela_secs;
  size_t rela_at = 0;
  TRY(wa_buf_align(out, 8, err));
  size_t rela_base = out->len;
  TRY(wa_buf_append(out, relas.data, relas.len, err));
  for (uint32_t j = 0; j < mg->n_secs; j++) {
    out_sec *q = &mg->secs[j];
    if (!q->n_relas)
      continue;
    char name[256];
    snprintf(name, sizeof name, ".rela%s", q->name);
    Elf64_Shdr rs = sh;
    rs.sh_type = SHT_RELA;
    rs.sh_flags = SHF_INFO_LINK;
    rs.sh_offset = rela_base + rela_at;
    rs.sh_size = (uint64_t)q->n_relas * sizeof(Elf64_Rela);
    rs.sh_link = symtab_index;
    rs.sh_info = q->index;
    rs.sh_addralign = 8;
    rs.sh_entsize = sizeof(Elf64_Rela);
    rela_at += rs.sh_size;
    TRY(add_shdr(&shdrs, &shstr, name, rs, err));
  }

  TRY(wa_buf_align(out, 8, err));
  Elf64_Shdr ys = sh;
  ys.sh_type = SHT_SYMTAB;
  ys.sh_offset = out->len;
  ys.sh_size = syms->len;
  ys.sh_link = symtab_index + 1;
  ys.sh_info = first_global;
  ys.sh_addralign = 8;
  ys.sh_entsize = sizeof(Elf64_Sym);
  TRY(wa_buf_append(out, syms->data, syms->len, err));
  TRY(add_shdr(&shdrs, &shstr, ".symtab", ys, err));

  Elf64_Shdr ss = sh;
  ss.sh_type = SHT_STRTAB;
  ss.sh_offset = out->len;
  ss.sh_size = mg->strtab.len;
  ss.sh_addralign = 1;
  TRY(wa_buf_append(out, mg->strtab.data, mg->strtab.len, err));
  TRY(add_shdr(&shdrs, &shstr, ".strtab", ss, err));

  Elf64_Shdr hs = sh;
  hs.sh_type = SHT_STRTAB;
  hs.sh_addralign = 1;
  TRY(add_shdr(&shdrs, &shstr, ".shstrtab", hs, err));
  /* The .shstrtab header was appended last; patch its offset and size now
   * that the name table is complete. */
  Elf64_Shdr *last = (Elf64_Shdr *)(shdrs.data + shdrs.len - sizeof sh);
  last->sh_offset = out->len;
  last->sh_size = shstr.len;
  TRY(wa_buf_append(out, shstr.data, shstr.len, err));

  TRY(wa_buf_align(out, 8, err));
  eh.e_shoff = out->len;
  eh.e_shnum = (Elf64_Half)(shdrs.len / sizeof sh);
  eh.e_shstrndx = (Elf64_Half)(eh.e_shnum - 1);
  eh.e_shentsize = sizeof sh;
  TRY(wa_buf_append(out, shdrs.data, shdrs.len, err));
  if (shdrs.len / sizeof sh >= SHN_LORESERVE) {
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "too many sections");
    goto out;
  }
  memcpy(out->data, &eh, sizeof eh);
#undef TRY
out:
  wa_buf_free(&shdrs);
  wa_buf_free(&shstr);
  wa_buf_free(&relas);
  return rc;
}

int wc__elf_merge(const wc_obj *objs, uint32_t n, const wc_blobs *blobs,
                  uint32_t data_align, uint16_t machine, wa_buf *out,
                  wa_err *err) {
  merger mg;
  memset(&mg, 0, sizeof mg);
  mg.n_in = n;
  mg.machine = machine;
  mg.err = err;
  wa_arena_init(&mg.arena, 1 << 16);
  wa_buf_init(&mg.strtab);
  wa_buf syms;
  wa_buf_init(&syms);
  uint32_t first_global = 0;
  int rc = 0;
  if (n == 0) {
    rc = wa_fail(err, WA_EINTERNAL, WA_NOOFF, "no objects to merge");
    goto out;
  }
  mg.in = wa_arena_alloc(&mg.arena, n * sizeof *mg.in);
  if (!mg.in) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  if ((rc = wa_buf_u8(&mg.strtab, 0, err)) < 0)
    goto out;
  for (uint32_t k = 0; k < n; k++)
    if ((rc = parse(&mg, k, &objs[k])) < 0)
      goto out;
  if ((rc = plan_sections(&mg)) < 0 ||
      (rc = plan_symbols(&mg, &syms, &first_global)) < 0 ||
      (rc = write_out(&mg, blobs, data_align, &syms, first_global, out)) < 0)
    goto out;
out:
  if (rc < 0)
    wa_err_wrap(err, "writing the artifact object: ");
  wa_buf_free(&syms);
  wa_buf_free(&mg.strtab);
  wa_arena_free(&mg.arena);
  return rc;
}
