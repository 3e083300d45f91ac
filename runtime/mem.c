/*
 * mem.c: linear memories. Guard mode reserves WR_GUARD_RESERVATION +
 * WR_GUARD_SLACK of address space with PROT_NONE and opens [0, size)
 * read-write, so compiled code needs no bounds checks and the base never
 * moves; the reservation is registered for the signal handler. Explicit
 * mode maps just the pages in use and grows with mremap, which may move
 * the base (compiled code re-reads it).
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t os_page(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* Explicit mode never maps 0 bytes, so base is never NULL (memcpy and
 * friends may then be given base + 0 safely). */
static size_t explicit_map_size(uint64_t bytes) {
  size_t p = os_page();
  return bytes ? (size_t)bytes : p;
}

int wr__memory_create(uint32_t min, uint32_t max, bool has_max,
                      uint8_t bounds, wr_memory **out, wa_err *err) {
  *out = NULL;
  if (min > WR_MAX_PAGES || (has_max && (max < min || max > WR_MAX_PAGES)))
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "memory limits min %u max %u exceed %u pages", min, max,
                   WR_MAX_PAGES);
  if (bounds > WR_BOUNDS_EXPLICIT)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "bounds mode %u", bounds);
  wr_memory *m = wa_calloc(1, sizeof *m);
  if (!m)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  m->bounds = bounds;
  m->has_max = has_max;
  m->max = max;
  m->max_pages = has_max ? max : WR_MAX_PAGES;
  m->slot = -1;
  uint64_t size = (uint64_t)min * WR_PAGE_SIZE;
  int rc = 0;
  if (bounds == WR_BOUNDS_GUARD) {
    m->mapped = (size_t)(WR_GUARD_RESERVATION + WR_GUARD_SLACK);
    void *p = mmap(NULL, m->mapped, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      rc = wa_fail_errno(err, WA_ENOMEM, "reserving %zu bytes for a memory",
                         m->mapped);
      goto out;
    }
    m->abi.base = p;
    if (size && mprotect(p, (size_t)size, PROT_READ | PROT_WRITE) != 0) {
      rc = wa_fail_errno(err, WA_ENOMEM, "committing %u pages", min);
      goto out;
    }
    rc = wr__registry_add(WR__REG_MEMORY, (uintptr_t)p,
                          (uintptr_t)p + m->mapped, m, err);
    if (rc < 0)
      goto out;
    m->slot = rc;
    rc = 0;
  } else {
    m->mapped = explicit_map_size(size);
    void *p = mmap(NULL, m->mapped, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      rc = wa_fail_errno(err, WA_ENOMEM, "mapping %u pages", min);
      goto out;
    }
    m->abi.base = p;
  }
  m->abi.size = size;
out:
  if (rc) {
    wr__memory_free(m);
    return rc;
  }
  *out = m;
  return 0;
}

/* Fewer whole pages than this are copied: a mapping costs a syscall and a
 * VMA, and the compiler aligns only segments of 16 KiB or more. */
#define MAP_MIN_PAGES 4

int wr__memory_map_file(wr_memory *m, uint64_t d, const uint8_t *src,
                        uint64_t n, int fd, uint64_t foff) {
  uint64_t pg = os_page();
  if (m->bounds != WR_BOUNDS_GUARD || fd < 0 || d % pg != foff % pg)
    return 0;
  uint64_t head = (pg - d % pg) % pg;
  if (head >= n || (n - head) / pg < MAP_MIN_PAGES)
    return 0;
  uint64_t whole = (n - head) / pg * pg;
  void *at = m->abi.base + d + head;
  if (mmap(at, (size_t)whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
           fd, (off_t)(foff + head)) == MAP_FAILED) {
    /* A failed MAP_FIXED may have unmapped the range: make it plain
     * memory again, or report the hole. */
    if (mmap(at, (size_t)whole, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
             0) == MAP_FAILED)
      return -1;
    return 0;
  }
  memcpy(m->abi.base + d, src, (size_t)head);
  memcpy(m->abi.base + d + head + whole, src + head + whole,
         (size_t)(n - head - whole));
  return 1;
}

void wr__memory_free(wr_memory *m) {
  if (!m)
    return;
  if (m->slot >= 0)
    wr__registry_remove(WR__REG_MEMORY, m->slot);
  if (m->abi.base)
    munmap(m->abi.base, m->mapped);
  wa_free(m);
}

/* spec 4.4.7 memory.grow: the old size in pages, or -1 (UINT32_MAX) past
 * the maximum or when the system refuses. */
uint32_t wr_memory_grow(wr_memory *m, uint32_t delta) {
  uint32_t old = (uint32_t)(m->abi.size / WR_PAGE_SIZE);
  if (delta == 0)
    return old;
  if (delta > m->max_pages - old)
    return UINT32_MAX;
  uint64_t nsize = (uint64_t)(old + delta) * WR_PAGE_SIZE;
  if (m->bounds == WR_BOUNDS_GUARD) {
    if (mprotect(m->abi.base + m->abi.size, (size_t)(nsize - m->abi.size),
                 PROT_READ | PROT_WRITE) != 0)
      return UINT32_MAX;
  } else if (nsize > m->mapped) {
    void *p = mremap(m->abi.base, m->mapped, (size_t)nsize, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
      return UINT32_MAX;
    m->abi.base = p;
    m->mapped = (size_t)nsize;
  }
  m->abi.size = nsize;
  return old;
}

uint8_t *wr_memory_data(wr_memory *m, uint64_t *size) {
  if (size)
    *size = m->abi.size;
  return m->abi.base;
}

uint32_t wr_memory_pages(wr_memory *m) {
  return (uint32_t)(m->abi.size / WR_PAGE_SIZE);
}
