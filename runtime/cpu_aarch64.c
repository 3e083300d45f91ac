/*
 * cpu_aarch64.c: which LLVM AArch64 target features this CPU has, from
 * the kernel's HWCAP/HWCAP2 bits (getauxval), which also say that the
 * kernel enabled them for user space.
 */
#include "internal.h"

#include <string.h>
#include <sys/auxv.h>

/* Bits of AT_HWCAP / AT_HWCAP2 (Linux arch/arm64/include/uapi/asm/hwcap.h),
 * spelled out so the table does not depend on the libc's header age. */
#define H(n) (1ull << (n))
enum { CAP1, CAP2 };

typedef struct feat {
  const char *name;
  uint8_t which;
  uint64_t bits; /* all of them needed */
} feat;

static const feat feats[] = {
    {"fp-armv8", CAP1, H(0)},
    {"neon", CAP1, H(1)},
    {"aes", CAP1, H(3) | H(4)},
    {"sha2", CAP1, H(5) | H(6)},
    {"crc", CAP1, H(7)},
    {"lse", CAP1, H(8)},
    {"fullfp16", CAP1, H(9) | H(10)},
    {"rdm", CAP1, H(12)},
    {"jsconv", CAP1, H(13)},
    {"complxnum", CAP1, H(14)},
    {"rcpc", CAP1, H(15)},
    {"ccpp", CAP1, H(16)},
    {"sha3", CAP1, H(17) | H(21)},
    {"sm4", CAP1, H(18) | H(19)},
    {"dotprod", CAP1, H(20)},
    {"sve", CAP1, H(22)},
    {"fp16fml", CAP1, H(23)},
    {"dit", CAP1, H(24)},
    {"rcpc-immo", CAP1, H(26)},
    {"flagm", CAP1, H(27)},
    {"ssbs", CAP1, H(28)},
    {"sb", CAP1, H(29)},
    {"crypto", CAP1, H(3) | H(4) | H(5) | H(6)},
    {"pauth", CAP1, H(30) | H(31)},
    {"ccdp", CAP2, H(0)},
    {"sve2", CAP2, H(1)},
    {"sve2-aes", CAP2, H(2)},
    {"sve2-bitperm", CAP2, H(4)},
    {"sve2-sha3", CAP2, H(5)},
    {"sve2-sm4", CAP2, H(6)},
    {"altnzcv", CAP2, H(7)},
    {"frintts", CAP2, H(8)},
    {"i8mm", CAP2, H(13)},
    {"bf16", CAP2, H(14)},
    {"rand", CAP2, H(16)},
    {"bti", CAP2, H(17)},
    {"mte", CAP2, H(18)},
    {"ecv", CAP2, H(19)},
    {"f32mm", CAP2, H(10)},
    {"f64mm", CAP2, H(11)},
    {"sme", CAP2, H(23)},
    {"wfxt", CAP2, H(31)},
    {"mops", CAP2, H(43)},
    {"hbc", CAP2, H(44)},
    {"cssc", CAP2, H(34)},
};

/* Architecture versions and codegen preferences: every Linux AArch64 CPU
 * runs v8.0 code, and later versions are checked through the features
 * they imply, which LLVM lists alongside them. */
static const char *const implied_prefixes[] = {"v8",
                                               "v9",
                                               "outline-atomics",
                                               "fuse-",
                                               "slow-",
                                               "use-",
                                               "predictable-",
                                               "balance-",
                                               "custom-",
                                               "zcm",
                                               "zcz",
                                               "disable-",
                                               "addr-lsl",
                                               "alu-lsl",
                                               "ascend-",
                                               "avoid-",
                                               "cmp-",
                                               "harden-",
                                               "lsl-",
                                               "store-pair-suppress",
                                               "strict-align",
                                               "tagged-globals",
                                               "no-",
                                               "arith-",
                                               "el2vmsa",
                                               "el3",
                                               "pmu",
                                               "ras",
                                               "spe",
                                               "perfmon",
                                               "lor",
                                               "pan",
                                               "vh",
                                               "uaops",
                                               "ccidx",
                                               "trbe",
                                               "amvs",
                                               "fgt",
                                               "nv",
                                               "sel2",
                                               "tlb-rmi",
                                               "tracev8.4",
                                               "am",
                                               "mpam",
                                               "specrestrict",
                                               "predres",
                                               "ete",
                                               "brbe",
                                               "fmv"};

int wr__cpu_has(const char *name, size_t len) {
  uint64_t caps[2] = {getauxval(AT_HWCAP), getauxval(AT_HWCAP2)};
  for (size_t i = 0; i < sizeof feats / sizeof feats[0]; i++)
    if (strlen(feats[i].name) == len && memcmp(feats[i].name, name, len) == 0)
      return (caps[feats[i].which] & feats[i].bits) == feats[i].bits;
  for (size_t i = 0; i < sizeof implied_prefixes / sizeof implied_prefixes[0];
       i++) {
    size_t k = strlen(implied_prefixes[i]);
    if (len >= k && memcmp(name, implied_prefixes[i], k) == 0)
      return 1;
  }
  return -1;
}

const char *wr__cpu_baseline(const char *cpu, size_t len) {
  static const char v8[] = "+fp-armv8,+neon";
  if (len == 0 || (len == 7 && memcmp(cpu, "generic", 7) == 0))
    return v8;
  return NULL;
}

void wr__icache_flush(void *start, size_t len) {
  __builtin___clear_cache((char *)start, (char *)start + len);
}
