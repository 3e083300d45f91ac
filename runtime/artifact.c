/*
 * artifact.c: opening an artifact: the ELF header, the section table, the
 * metadata, and the checks that it was compiled for this runtime and this
 * host (format, ABI and compiler versions, triple, CPU features). Linking
 * the code is link.c's job.
 */
#include "internal.h"
#include "wr_prelink.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#define HOST_ARCH "x86_64"
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_ARCH "aarch64"
#define HOST_MACHINE EM_AARCH64
#else
#error "wasmaot runtime: unsupported host architecture"
#endif

const char *wr_host_triple(void) {
  return HOST_ARCH "-unknown-linux-gnu";
}
const char *wr_host_arch(void) {
  return HOST_ARCH;
}

static const char *machine_name(unsigned m, char *buf, size_t n) {
  switch (m) {
  case EM_X86_64:
    return "x86_64";
  case EM_AARCH64:
    return "aarch64";
  case EM_386:
    return "i386";
  case EM_ARM:
    return "arm";
  case EM_RISCV:
    return "riscv";
  case EM_PPC64:
    return "ppc64";
  case EM_S390:
    return "s390x";
  default:
    snprintf(buf, n, "ELF machine %u", m);
    return buf;
  }
}

/* The header fields that decide whether this host can run the artifact,
 * read before libelf so the answer does not depend on its error paths. */
static int check_ident(const uint8_t *b, size_t len, bool any_machine,
                       wa_err *err) {
  if (len < sizeof(Elf64_Ehdr) || memcmp(b, ELFMAG, SELFMAG) != 0)
    return wa_fail(err, WA_ECORRUPT, 0, "not an ELF file");
  if (b[EI_CLASS] != ELFCLASS64)
    return wa_fail(err, WA_EMISMATCH, EI_CLASS,
                   "artifact is a %s ELF file, this host needs 64-bit",
                   b[EI_CLASS] == ELFCLASS32 ? "32-bit" : "bad-class");
  if (b[EI_DATA] != ELFDATA2LSB)
    return wa_fail(err, WA_EMISMATCH, EI_DATA,
                   "artifact is not little-endian, this host is");
  unsigned type = (unsigned)b[16] | (unsigned)b[17] << 8;
  unsigned machine = (unsigned)b[18] | (unsigned)b[19] << 8;
  if (machine != HOST_MACHINE && !any_machine) {
    char buf[32];
    return wa_fail(err, WA_EMISMATCH, 18, "artifact is for %s, this host is %s",
                   machine_name(machine, buf, sizeof buf), HOST_ARCH);
  }
  if (type != ET_REL)
    return wa_fail(err, WA_ECORRUPT, 16,
                   "ELF type %u is not a relocatable object", type);
  return 0;
}

static int elf_error(wa_err *err, const char *doing) {
  return wa_fail(err, WA_ECORRUPT, WA_NOOFF, "%s: %s", doing, elf_errmsg(-1));
}

/* Every section's bytes must lie inside the file, so later code can take
 * pointers into 'bytes' without libelf's conversions. */
static int check_sections(Elf *elf, size_t len, size_t *shstrndx, wa_err *err) {
  size_t n;
  if (elf_getshdrnum(elf, &n) != 0)
    return elf_error(err, "reading the section count");
  if (elf_getshdrstrndx(elf, shstrndx) != 0 || *shstrndx >= n)
    return elf_error(err, "reading the section name table");
  for (size_t i = 1; i < n; i++) {
    Elf_Scn *scn = elf_getscn(elf, i);
    GElf_Shdr sh;
    if (!scn || !gelf_getshdr(scn, &sh))
      return elf_error(err, "reading a section header");
    if (sh.sh_type != SHT_NOBITS &&
        (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset))
      return wa_fail(err, WA_ECORRUPT, sh.sh_offset,
                     "section %zu (offset %llu size %llu) runs past the end "
                     "of the file",
                     i, (unsigned long long)sh.sh_offset,
                     (unsigned long long)sh.sh_size);
  }
  return 0;
}

/* Finds a section by name; *out_shdr filled. Returns its index or 0. */
static size_t find_section(Elf *elf, size_t shstrndx, const char *name,
                           GElf_Shdr *out_shdr) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(elf, scn)) != NULL) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh))
      continue;
    const char *s = elf_strptr(elf, shstrndx, sh.sh_name);
    if (s && strcmp(s, name) == 0) {
      *out_shdr = sh;
      return elf_ndxscn(scn);
    }
  }
  return 0;
}

int wr__artifact_parse(const uint8_t *bytes, size_t len, const char *what,
                       wa_arena *arena, unsigned flags, wr_meta *meta,
                       Elf **out_elf, wa_err *err) {
  *out_elf = NULL;
  bool copy_meta = flags & WR__PARSE_COPY;
  int rc = check_ident(bytes, len, flags & WR__PARSE_ANY_MACHINE, err);
  if (rc)
    goto out;
  if (elf_version(EV_CURRENT) == EV_NONE) {
    rc = wa_fail(err, WA_EINTERNAL, WA_NOOFF, "libelf: %s", elf_errmsg(-1));
    goto out;
  }
  /* libelf only reads the image (ELF_C_READ_MMAP on native byte order);
   * the cast is its API's. */
  Elf *elf = elf_memory((char *)(uintptr_t)bytes, len);
  if (!elf) {
    rc = elf_error(err, "opening the ELF image");
    goto out;
  }
  *out_elf = elf;
  size_t shstrndx;
  if ((rc = check_sections(elf, len, &shstrndx, err)))
    goto out;
  GElf_Shdr sh;
  if (!find_section(elf, shstrndx, WR_SECTION_META, &sh) ||
      sh.sh_type == SHT_NOBITS) {
    rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                 "no %s section: not a wasmaot artifact", WR_SECTION_META);
    goto out;
  }
  const uint8_t *blob = bytes + sh.sh_offset;
  if (copy_meta) {
    uint8_t *copy = wa_arena_alloc(arena, sh.sh_size);
    if (!copy) {
      rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory copying metadata");
      goto out;
    }
    blob = memcpy(copy, blob, sh.sh_size);
  }
  rc = wr_meta_decode(blob, sh.sh_size, arena, meta, err);
  if (rc && err->off != WA_NOOFF)
    wa_err_wrap(err, "%s at file offset %llu", WR_SECTION_META,
                (unsigned long long)sh.sh_offset);
out:
  if (rc) {
    if (*out_elf)
      elf_end(*out_elf);
    *out_elf = NULL;
    wa_err_where(err, what ? what : "artifact");
  }
  return rc;
}

/* The wasmaot release ("wasmaot X.Y.Z ...") must share X.Y with ours: the
 * format and ABI versions catch layout changes, this catches semantic ones
 * (a fixed miscompilation) that a minor release may bring. */
static int check_compiler(const wr_meta *m, wa_err *err) {
  static const char prefix[] = "wasmaot ";
  const char *v = WA_VERSION;
  const char *dot = strchr(v, '.');
  dot = dot ? strchr(dot + 1, '.') : NULL;
  size_t mm = dot ? (size_t)(dot - v) : strlen(v); /* "X.Y" */
  const char *cv = m->compiler_version.ptr;
  size_t cl = m->compiler_version.len;
  size_t pl = sizeof prefix - 1;
  if (cl < pl + mm || memcmp(cv, prefix, pl) != 0 ||
      memcmp(cv + pl, v, mm) != 0 ||
      (cl > pl + mm && cv[pl + mm] != '.' && cv[pl + mm] != ' '))
    return wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                   "compiler version: artifact has '%.*s', this runtime "
                   "needs wasmaot %.*s.x",
                   (int)(cl > 100 ? 100 : cl), cv, (int)mm, v);
  return 0;
}

static int check_triple(const wr_meta *m, wa_err *err) {
  const char *t = m->triple.ptr;
  size_t n = m->triple.len, al = strlen(HOST_ARCH);
  bool arch_ok = n > al && memcmp(t, HOST_ARCH, al) == 0 && t[al] == '-';
  bool linux_ok = memmem(t, n, "-linux", 6) != NULL;
  if (!arch_ok || !linux_ok)
    return wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                   "target triple: artifact has %.*s, this host is %s",
                   (int)(n > 100 ? 100 : n), t, wr_host_triple());
  return 0;
}

/* Checks each "+feature" of a comma-separated list; "-feature" entries
 * only turn things off and need nothing. */
static int check_feature_list(const char *p, size_t n, const char *source,
                              wa_err *err) {
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && p[j] != ',')
      j++;
    if (j > i + 1 && p[i] == '+') {
      int has = wr__cpu_has(p + i + 1, j - i - 1);
      int len = (int)(j - i - 1 > 64 ? 64 : j - i - 1);
      if (has == 0)
        return wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                       "cpu features: artifact needs +%.*s (%s), this host "
                       "does not have it",
                       len, p + i + 1, source);
      if (has < 0)
        return wa_fail(err, WA_EMISMATCH, WA_NOOFF,
                       "cpu features: artifact needs +%.*s (%s), which this "
                       "runtime cannot detect on %s",
                       len, p + i + 1, source, HOST_ARCH);
    }
    i = j + 1;
  }
  return 0;
}

int wr__check_host(const wr_meta *m, wa_err *err) {
  if (m->abi_version != WR_ABI_VERSION)
    return wa_fail(err, WA_EMISMATCH, 12,
                   "abi version: artifact has %u, this runtime has %u",
                   m->abi_version, WR_ABI_VERSION);
  int rc = check_compiler(m, err);
  if (!rc)
    rc = check_triple(m, err);
  if (rc)
    return rc;
  const char *base = wr__cpu_baseline(m->cpu.ptr, m->cpu.len);
  if (base)
    rc = check_feature_list(base, strlen(base), "from its cpu", err);
  if (!rc)
    rc = check_feature_list(m->features.ptr, m->features.len,
                            "from its "
                            "feature list",
                            err);
  return rc;
}

int wr_artifact_read_meta(const uint8_t *bytes, size_t len, const char *what,
                          wa_arena *arena, wr_meta *out, wa_err *err) {
  Elf *elf;
  int rc = wr__artifact_parse(bytes, len, what, arena, 0, out, &elf, err);
  if (!rc)
    elf_end(elf);
  return rc;
}

int wr_artifact_describe(const uint8_t *bytes, size_t len, const char *what,
                         wa_arena *arena, wr_meta *out, wa_err *err) {
  Elf *elf;
  int rc = wr__artifact_parse(bytes, len, what, arena, WR__PARSE_ANY_MACHINE,
                              out, &elf, err);
  if (!rc)
    elf_end(elf);
  return rc;
}

/* The metadata is copied into the artifact's arena so that names stay
 * valid for as long as instances use them; only .wasmaot.data stays
 * borrowed from 'bytes'. */
static int load(wr_artifact *a, const uint8_t *bytes, size_t len,
                const char *what, wa_err *err) {
  Elf *elf = NULL;
  int rc = wr__artifact_parse(bytes, len, what, &a->arena, WR__PARSE_COPY,
                              &a->meta, &elf, err);
  if (rc)
    return rc;
  GElf_Shdr sh;
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
    rc = elf_error(err, "reading the section name table");
    goto out;
  }
  if ((rc = wr__check_host(&a->meta, err)))
    goto out;
  if (find_section(elf, shstrndx, WR_SECTION_DATA, &sh) &&
      sh.sh_type != SHT_NOBITS) {
    a->data = bytes + sh.sh_offset;
    a->data_len = sh.sh_size;
    a->data_pos = sh.sh_offset;
  }
  for (uint32_t i = 0; i < a->meta.n_datas; i++) {
    const wr_meta_data *d = &a->meta.datas[i];
    if (d->data_off > a->data_len || d->len > a->data_len - d->data_off) {
      rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                   "data segment %u (offset %llu, %u bytes) lies outside "
                   "%s (%llu bytes)",
                   i, (unsigned long long)d->data_off, d->len, WR_SECTION_DATA,
                   (unsigned long long)a->data_len);
      goto out;
    }
  }
  GElf_Shdr ish, lsh;
  if (find_section(elf, shstrndx, WR_SECTION_IMAGE, &ish) &&
      find_section(elf, shstrndx, WR_SECTION_LINK, &lsh) &&
      ish.sh_type != SHT_NOBITS && lsh.sh_type != SHT_NOBITS) {
    a->info.prelinked = true;
    rc = wr__link(a, bytes + ish.sh_offset, ish.sh_size, (int64_t)ish.sh_offset,
                  bytes + lsh.sh_offset, lsh.sh_size, err);
  } else {
    /* Not from wasmaot's compiler (a hand-made object): link it here. */
    wa_buf image, link;
    wa_buf_init(&image);
    wa_buf_init(&link);
    rc = wr_prelink(bytes, len, (uint32_t)sysconf(_SC_PAGESIZE), &image, &link,
                    err);
    if (!rc)
      rc = wr__link(a, image.data, image.len, -1, link.data, link.len, err);
    wa_buf_free(&image);
    wa_buf_free(&link);
  }
out:
  elf_end(elf);
  if (rc)
    wa_err_where(err, what ? what : "artifact");
  return rc;
}

static wr_artifact *artifact_alloc(void) {
  wr_artifact *a = wa_calloc(1, sizeof *a);
  if (!a)
    return NULL;
  atomic_init(&a->refs, 1);
  wa_arena_init(&a->arena, 16384);
  a->code_slot = -1;
  a->file_fd = -1;
  return a;
}

/* The artifact's own duplicate of fd: data segments and the pre-linked
 * image map from it (wr_artifact_load_file). */
static int set_file(wr_artifact *a, int fd, uint64_t off, wa_err *err) {
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0)
    return wa_fail_errno(err, WA_EIO, "cannot duplicate the artifact's fd");
  a->file_fd = dup;
  a->file_off = off;
  return 0;
}

int wr_artifact_load_file(const uint8_t *bytes, size_t len, int fd,
                          uint64_t off, const char *what, wr_artifact **out,
                          wa_err *err) {
  *out = NULL;
  wr_artifact *a = artifact_alloc();
  if (!a)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  int rc = fd >= 0 ? set_file(a, fd, off, err) : 0;
  if (!rc)
    rc = load(a, bytes, len, what, err);
  if (rc) {
    wr_artifact_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

int wr_artifact_load(const uint8_t *bytes, size_t len, const char *what,
                     wr_artifact **out, wa_err *err) {
  return wr_artifact_load_file(bytes, len, -1, 0, what, out, err);
}

int wr_artifact_open(const char *path, wr_artifact **out, wa_err *err) {
  *out = NULL;
  wr_artifact *a = artifact_alloc();
  if (!a)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  int rc = wa_file_map(path, &a->map, err);
  if (!rc)
    rc = load(a, a->map.data, a->map.len, path, err);
  if (rc) {
    wr_artifact_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

void wr__artifact_ref(wr_artifact *a) {
  atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
}

void wr_artifact_free(wr_artifact *a) {
  if (!a || atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
    return;
  wr__unlink(a);
  if (a->file_fd >= 0)
    close(a->file_fd);
  if (a->map.data)
    wa_file_unmap(&a->map);
  wa_arena_free(&a->arena);
  wa_free(a);
}

const wr_meta *wr_artifact_meta(const wr_artifact *a) {
  return &a->meta;
}

const wr_artifact_image *wr_artifact_image_info(const wr_artifact *a) {
  return &a->info;
}
