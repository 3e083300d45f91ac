/*
 * mem.c: checked access to guest memory for results and scatter/gather
 * arrays. Every guest (pointer, length) is checked with 64-bit arithmetic
 * before the host touches it; a range that does not fit is FAULT.
 */
#include "internal.h"

#include <sys/uio.h>

uint32_t wi__put32(const wi_mem *m, uint32_t ptr, uint32_t v) {
  if (!wi__mem_ok(m, ptr, 4))
    return WI_EFAULT;
  wi__st32(wi__mem_at(m, ptr), v);
  return WI_ESUCCESS;
}

uint32_t wi__put64(const wi_mem *m, uint32_t ptr, uint64_t v) {
  if (!wi__mem_ok(m, ptr, 8))
    return WI_EFAULT;
  wi__st64(wi__mem_at(m, ptr), v);
  return WI_ESUCCESS;
}

uint32_t wi__iovs(const wi_mem *m, uint32_t iovs, uint32_t n, struct iovec *out,
                  int *out_n) {
  /* The whole array is checked, even the entries past WI_IOV_MAX, so a
   * bad array faults the same whatever its length. */
  if (!wi__mem_ok(m, iovs, (uint64_t)n * WI_SIZEOF_IOVEC))
    return WI_EFAULT;
  uint64_t total = 0;
  int k = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *e = wi__mem_at(m, iovs + i * WI_SIZEOF_IOVEC);
    uint32_t buf = wi__ld32(e), len = wi__ld32(e + 4);
    if (!wi__mem_ok(m, buf, len))
      return WI_EFAULT;
    if (k == WI_IOV_MAX)
      continue;
    /* The result is a u32 byte count; overlapping buffers could sum past
     * it, so the transfer is cut short there. */
    if (total + len > UINT32_MAX)
      len = (uint32_t)(UINT32_MAX - total);
    total += len;
    out[k].iov_base = wi__mem_at(m, buf);
    out[k].iov_len = len;
    k++;
  }
  *out_n = k;
  return WI_ESUCCESS;
}
