/*
 * link.c: turns a pre-linked image (wr_prelink's output) into runnable
 * code. Maps the image's groups from the artifact's file when it has one
 * (code read+execute, never written, so its pages stay shared with the
 * page cache), else copies them; applies the 64-bit fixups (image base,
 * libc/libm addresses) to the read-only and writable groups only; then
 * protects read-only data. Never writable and executable at once.
 */
#include "internal.h"
#include "wr_prelink.h"

#include <elf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#endif

/* The only undefined symbols an artifact may reference: what LLVM lowers
 * memory intrinsics and float rounding to when no instruction does it. */
#define WR__EXTERN_MAP(X)                                                      \
  X(memcpy)                                                                    \
  X(memmove)                                                                   \
  X(memset)                                                                    \
  X(ceil) X(ceilf) X(floor) X(floorf) X(trunc) X(truncf) X(nearbyint)          \
      X(nearbyintf) X(rint) X(rintf) X(roundeven) X(roundevenf) X(round)       \
          X(roundf) X(sqrt) X(sqrtf) X(fmin) X(fminf) X(fmax) X(fmaxf)         \
              X(copysign) X(copysignf) X(fabs) X(fabsf) X(fma) X(fmaf)

static const struct {
  const char *name;
  void (*fn)(void);
} externs[] = {
#define X(f) {#f, (void (*)(void))f},
    WR__EXTERN_MAP(X)
#undef X
};

static uint64_t align_up(uint64_t x, uint64_t a) {
  return (x + a - 1) & ~(a - 1);
}

typedef struct loader {
  wr_artifact *a;
  wr_link_hdr h;
  const uint8_t *fixups, *ranges; /* unaligned arrays in the link section */
  uint64_t *ext_addr;
  bool fix_in[WR_GROUP_COUNT];
  size_t pagesz;
  wa_err *err;
} loader;

static int corrupt(loader *l, const char *what) {
  return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF, "%s: %s", WR_SECTION_LINK,
                 what);
}

static int group_of(const wr_link_hdr *h, uint64_t off) {
  for (int g = 0; g < WR_GROUP_COUNT; g++)
    if (off >= h->group_off[g] && off - h->group_off[g] < h->group_size[g])
      return g;
  return -1;
}

/* The header, the bounds of everything it describes, and the externs. */
static int read_link(loader *l, const uint8_t *link, size_t link_len,
                     size_t image_len) {
  wr_link_hdr *h = &l->h;
  if (link_len < sizeof *h)
    return corrupt(l, "too short");
  memcpy(h, link, sizeof *h);
  if (h->magic != WR_LINK_MAGIC || h->version != WR_LINK_VERSION)
    return corrupt(l, "unknown magic or version");
  if (h->machine != HOST_MACHINE)
    return wa_fail(l->err, WA_EMISMATCH, WA_NOOFF,
                   "%s: code for ELF machine %u", WR_SECTION_LINK, h->machine);
  if (h->page_align == 0 || h->page_align % l->pagesz)
    return wa_fail(l->err, WA_EMISMATCH, WA_NOOFF,
                   "image laid out for %u-byte pages, this host uses %zu",
                   h->page_align, l->pagesz);
  if (h->image_size == 0 || h->image_size % h->page_align ||
      h->image_size > image_len)
    return corrupt(l, "image size");
  uint64_t prev = 0;
  for (int g = 0; g < WR_GROUP_COUNT; g++) {
    uint64_t o = h->group_off[g], n = h->group_size[g];
    if (o % h->page_align || o < prev || n > h->image_size ||
        o > h->image_size - n)
      return corrupt(l, "group bounds");
    prev = o + n;
  }
  uint64_t need = sizeof *h + (uint64_t)h->n_fixups * sizeof(wr_link_fixup) +
                  (uint64_t)h->n_ranges * sizeof(wr_link_range) +
                  h->externs_size;
  if (need > link_len)
    return corrupt(l, "counts run past its end");
  l->fixups = link + sizeof *h;
  l->ranges = l->fixups + (size_t)h->n_fixups * sizeof(wr_link_fixup);
  const char *names =
      (const char *)l->ranges + (size_t)h->n_ranges * sizeof(wr_link_range);
  l->ext_addr =
      wa_arena_alloc(&l->a->arena, (h->n_externs + 1) * sizeof *l->ext_addr);
  if (!l->ext_addr)
    return wa_fail(l->err, WA_ENOMEM, WA_NOOFF, "out of memory linking");
  size_t at = 0;
  for (uint32_t k = 0; k < h->n_externs; k++) {
    const char *name = names + at;
    const char *nul =
        at < h->externs_size ? memchr(name, 0, h->externs_size - at) : NULL;
    if (!nul)
      return corrupt(l, "extern names");
    size_t j = 0, n = sizeof externs / sizeof externs[0];
    while (j < n && strcmp(externs[j].name, name) != 0)
      j++;
    if (j == n)
      return wa_fail(l->err, WA_ELINK, WA_NOOFF,
                     "undefined symbol '%.100s' is not one the runtime "
                     "provides",
                     name);
    l->ext_addr[k] = (uint64_t)(uintptr_t)externs[j].fn;
    at += (size_t)(nul - name) + 1;
  }
  for (uint32_t i = 0; i < h->n_fixups; i++) {
    wr_link_fixup f;
    memcpy(&f, l->fixups + (size_t)i * sizeof f, sizeof f);
    int g = f.off <= h->image_size - 8 ? group_of(h, f.off) : -1;
    if (g < 0 || g == WR_GROUP_EXEC || group_of(h, f.off + 7) != g)
      return corrupt(l, "a fixup outside the data groups");
    if (f.kind > WR_FIXUP_EXTERN ||
        (f.kind == WR_FIXUP_EXTERN && f.ext >= h->n_externs))
      return corrupt(l, "a fixup of unknown kind");
    l->fix_in[g] = true;
  }
  return 0;
}

static const int group_prot[WR_GROUP_COUNT] = {PROT_READ | PROT_EXEC, PROT_READ,
                                               PROT_READ | PROT_WRITE};

/* Maps the groups from the file: code pages are the page cache's own;
 * a data page becomes private only when a fixup writes it. */
static int map_file(loader *l, int fd, uint64_t foff) {
  uint8_t *base = l->a->image;
  for (int g = 0; g < WR_GROUP_COUNT; g++) {
    uint64_t n = align_up(l->h.group_size[g], l->pagesz);
    if (!n)
      continue;
    int prot = group_prot[g] | (l->fix_in[g] ? PROT_WRITE : 0);
    if (mmap(base + l->h.group_off[g], n, prot, MAP_PRIVATE | MAP_FIXED, fd,
             (off_t)(foff + l->h.group_off[g])) == MAP_FAILED)
      return wa_fail_errno(l->err, WA_EIO, "mapping the code from the file");
  }
  return 0;
}

static int copy_image(loader *l, const uint8_t *image) {
  uint8_t *base = l->a->image;
  for (int g = 0; g < WR_GROUP_COUNT; g++) {
    uint64_t n = align_up(l->h.group_size[g], l->pagesz);
    if (!n)
      continue;
    if (mprotect(base + l->h.group_off[g], n, PROT_READ | PROT_WRITE) != 0)
      return wa_fail_errno(l->err, WA_ENOMEM, "mapping %llu bytes of code",
                           (unsigned long long)n);
    memcpy(base + l->h.group_off[g], image + l->h.group_off[g],
           l->h.group_size[g]);
  }
  return 0;
}

/* Reads each value from the source image, not the mapping: a first read
 * of a private file page maps it, and the write would then fault again to
 * copy it; a first write copies it in one fault. */
static int apply_fixups(loader *l, const uint8_t *image) {
  uint8_t *base = l->a->image;
  for (uint32_t i = 0; i < l->h.n_fixups; i++) {
    wr_link_fixup f;
    memcpy(&f, l->fixups + (size_t)i * sizeof f, sizeof f);
    uint64_t v;
    memcpy(&v, image + f.off, 8);
    if (f.kind == WR_FIXUP_BASE) {
      if (v >= l->h.image_size)
        return corrupt(l, "a fixup points outside the image");
      v += (uint64_t)(uintptr_t)base;
    } else {
      v += l->ext_addr[f.ext];
    }
    memcpy(base + f.off, &v, 8);
  }
  return 0;
}

static int protect(loader *l, bool copied) {
  for (int g = 0; g < WR_GROUP_COUNT; g++) {
    uint64_t n = align_up(l->h.group_size[g], l->pagesz);
    if (n && (copied || l->fix_in[g]) &&
        mprotect(l->a->image + l->h.group_off[g], n, group_prot[g]) != 0)
      return wa_fail_errno(l->err, WA_EINTERNAL, "mprotect of the code");
  }
  return 0;
}

/* One of the wasmaot_* tables: at least n offsets (wr_abi.h), each 0 or
 * leading into the code. */
static int find_table(loader *l, const char *name, uint64_t off, uint32_t have,
                      uint32_t n, const int64_t **out) {
  *out = NULL;
  if (n == 0)
    return 0;
  if (off == UINT64_MAX)
    return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF, "symbol %s is missing", name);
  if (have < n || off % 8 || off > l->h.image_size ||
      8ull * n > l->h.image_size - off)
    return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                   "%s (%u entries) does not lie in loaded data", name, n);
  const int64_t *t = (const int64_t *)(uintptr_t)(l->a->image + off);
  uint64_t lo = l->h.group_off[WR_GROUP_EXEC] - off;
  uint64_t size = l->h.group_size[WR_GROUP_EXEC];
  for (uint32_t k = 0; k < n; k++)
    if (t[k] && (uint64_t)t[k] - lo >= size) /* wraps when below the code */
      return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                     "%s[%u] does not lead into the code", name, k);
  *out = t;
  return 0;
}

/* Backtrace ranges from the link section: one per defined function,
 * sorted, each ending at its symbol's size or the next function. */
static int build_ranges(loader *l) {
  wr_artifact *a = l->a;
  uint32_t n = a->meta.n_funcs - a->meta.n_func_imports;
  if (l->h.n_ranges != n)
    return wa_fail(l->err, WA_ECORRUPT, WA_NOOFF,
                   "%s has %u function ranges for %u functions",
                   WR_SECTION_LINK, l->h.n_ranges, n);
  a->ranges = n ? wa_arena_alloc(&a->arena, n * sizeof *a->ranges) : NULL;
  if (n && !a->ranges)
    return wa_fail(l->err, WA_ENOMEM, WA_NOOFF, "out of memory linking");
  uintptr_t base = (uintptr_t)a->image;
  for (uint32_t k = 0; k < n; k++) {
    wr_link_range r;
    memcpy(&r, l->ranges + (size_t)k * sizeof r, sizeof r);
    uintptr_t start = base + (uintptr_t)r.start;
    if (r.start > l->h.image_size || start < a->code_start ||
        start >= a->code_end || r.func >= n ||
        (k && start < a->ranges[k - 1].start))
      return corrupt(l, "function ranges");
    a->ranges[k].start = start;
    a->ranges[k].end = r.end && r.end > r.start && r.end <= l->h.image_size
                           ? base + (uintptr_t)r.end
                           : 0;
    a->ranges[k].func_index = a->meta.n_func_imports + r.func;
  }
  for (uint32_t k = 0; k < n; k++) {
    uintptr_t next = k + 1 < n ? a->ranges[k + 1].start : a->code_end;
    if (!a->ranges[k].end || a->ranges[k].end > next)
      a->ranges[k].end = next;
  }
  a->n_ranges = n;
  return 0;
}

int wr__link(wr_artifact *a, const uint8_t *image, size_t image_len,
             int64_t image_pos, const uint8_t *link, size_t link_len,
             wa_err *err) {
  loader l;
  memset(&l, 0, sizeof l);
  l.a = a, l.err = err;
  l.pagesz = (size_t)sysconf(_SC_PAGESIZE);
  int rc = read_link(&l, link, link_len, image_len);
  if (rc)
    return rc;
  /* Reserve the whole image at once; groups are mapped into it. */
  void *p = mmap(NULL, l.h.image_size, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return wa_fail_errno(err, WA_ENOMEM, "reserving %llu bytes of code",
                         (unsigned long long)l.h.image_size);
  a->image = p;
  a->image_size = l.h.image_size;
  uint64_t foff = a->file_off + (uint64_t)image_pos;
  bool from_file = a->file_fd >= 0 && image_pos >= 0 && foff % l.pagesz == 0;
  rc = from_file ? map_file(&l, a->file_fd, foff) : copy_image(&l, image);
  if (!rc)
    rc = apply_fixups(&l, image);
  if (!rc)
    rc = protect(&l, !from_file);
  if (rc)
    return rc;
  a->info.image_size = l.h.image_size;
  a->info.code_size = l.h.group_size[WR_GROUP_EXEC];
  a->info.n_fixups = l.h.n_fixups;
  a->info.n_externs = l.h.n_externs;
  a->info.mapped = from_file;
  a->code_start = (uintptr_t)a->image + l.h.group_off[WR_GROUP_EXEC];
  a->code_end = a->code_start + l.h.group_size[WR_GROUP_EXEC];
  if (!from_file)
    wr__icache_flush((void *)a->code_start, l.h.group_size[WR_GROUP_EXEC]);
  const wr_meta *m = &a->meta;
  if ((rc = find_table(&l, WR_SYM_FUNCS, l.h.funcs_off, l.h.n_funcs,
                       m->n_funcs - m->n_func_imports, &a->funcs)))
    return rc;
  for (uint32_t k = 0; k < m->n_funcs - m->n_func_imports; k++)
    if (!a->funcs[k])
      return wa_fail(err, WA_ECORRUPT, WA_NOOFF, "%s[%u] is null", WR_SYM_FUNCS,
                     k);
  if ((rc = find_table(&l, WR_SYM_TRAMPS, l.h.tramps_off, l.h.n_tramps,
                       m->n_types, &a->tramps)) ||
      (rc = find_table(&l, WR_SYM_ADAPTERS, l.h.adapters_off, l.h.n_adapters,
                       m->n_func_imports, &a->adapters)))
    return rc;
  if ((rc = build_ranges(&l)))
    return rc;
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
