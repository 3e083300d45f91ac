/*
 * cpu_x86_64.c: which LLVM x86 target features this CPU has, from CPUID
 * and XCR0 (the OS must also save the vector state a feature needs). The
 * names and the bit each maps to follow LLVM's host feature detection, so
 * an artifact compiled with -mcpu=native on this host is accepted here.
 */
#include "internal.h"

#include <cpuid.h>
#include <string.h>

/* CPUID registers of the leaves we read, filled once. */
enum {
  L1_ECX,
  L1_EDX,
  L7_EBX,
  L7_ECX,
  L7_EDX,
  L7S1_EAX,
  L7S1_EDX,
  LD1_EAX,
  LX1_ECX,
  LX1_EDX,
  LX8_EBX,
  L14_EBX,
  L19_EBX,
  L24_EBX,
  XCR0,
  N_REGS
};

/* Pseudo-register bits for "the OS saves this state" conditions. */
enum { OS_AVX = 1, OS_AVX512 = 2, OS_AMX = 4, OS_APX = 8, OS_ANY = 0 };

/* Names inline, not pointers: a table of pointers is relocated at every
 * start of the static-pie front, each of its pages copied. */
#define FEAT_NAME_MAX 20
typedef struct feat {
  char name[FEAT_NAME_MAX];
  uint8_t reg, bit;
  uint8_t os; /* OS_* requirements */
} feat;

static const feat feats[] = {
    {"x87", L1_EDX, 0, OS_ANY},
    {"cx8", L1_EDX, 8, OS_ANY},
    {"cmov", L1_EDX, 15, OS_ANY},
    {"mmx", L1_EDX, 23, OS_ANY},
    {"fxsr", L1_EDX, 24, OS_ANY},
    {"sse", L1_EDX, 25, OS_ANY},
    {"sse2", L1_EDX, 26, OS_ANY},
    {"sse3", L1_ECX, 0, OS_ANY},
    {"pclmul", L1_ECX, 1, OS_ANY},
    {"ssse3", L1_ECX, 9, OS_ANY},
    {"fma", L1_ECX, 12, OS_AVX},
    {"cx16", L1_ECX, 13, OS_ANY},
    {"sse4.1", L1_ECX, 19, OS_ANY},
    {"sse4.2", L1_ECX, 20, OS_ANY},
    {"crc32", L1_ECX, 20, OS_ANY},
    {"movbe", L1_ECX, 22, OS_ANY},
    {"popcnt", L1_ECX, 23, OS_ANY},
    {"aes", L1_ECX, 25, OS_ANY},
    {"xsave", L1_ECX, 26, OS_ANY},
    {"avx", L1_ECX, 28, OS_AVX},
    {"f16c", L1_ECX, 29, OS_AVX},
    {"rdrnd", L1_ECX, 30, OS_ANY},
    {"fsgsbase", L7_EBX, 0, OS_ANY},
    {"sgx", L7_EBX, 2, OS_ANY},
    {"bmi", L7_EBX, 3, OS_ANY},
    {"avx2", L7_EBX, 5, OS_AVX},
    {"bmi2", L7_EBX, 8, OS_ANY},
    {"ermsb", L7_EBX, 9, OS_ANY},
    {"invpcid", L7_EBX, 10, OS_ANY},
    {"rtm", L7_EBX, 11, OS_ANY},
    {"avx512f", L7_EBX, 16, OS_AVX512},
    {"avx512dq", L7_EBX, 17, OS_AVX512},
    {"rdseed", L7_EBX, 18, OS_ANY},
    {"adx", L7_EBX, 19, OS_ANY},
    {"avx512ifma", L7_EBX, 21, OS_AVX512},
    {"clflushopt", L7_EBX, 23, OS_ANY},
    {"clwb", L7_EBX, 24, OS_ANY},
    {"avx512cd", L7_EBX, 28, OS_AVX512},
    {"sha", L7_EBX, 29, OS_ANY},
    {"avx512bw", L7_EBX, 30, OS_AVX512},
    {"avx512vl", L7_EBX, 31, OS_AVX512},
    {"prefetchwt1", L7_ECX, 0, OS_ANY},
    {"avx512vbmi", L7_ECX, 1, OS_AVX512},
    {"pku", L7_ECX, 4, OS_ANY},
    {"waitpkg", L7_ECX, 5, OS_ANY},
    {"avx512vbmi2", L7_ECX, 6, OS_AVX512},
    {"shstk", L7_ECX, 7, OS_ANY},
    {"gfni", L7_ECX, 8, OS_ANY},
    {"vaes", L7_ECX, 9, OS_AVX},
    {"vpclmulqdq", L7_ECX, 10, OS_AVX},
    {"avx512vnni", L7_ECX, 11, OS_AVX512},
    {"avx512bitalg", L7_ECX, 12, OS_AVX512},
    {"avx512vpopcntdq", L7_ECX, 14, OS_AVX512},
    {"rdpid", L7_ECX, 22, OS_ANY},
    {"kl", L7_ECX, 23, OS_ANY},
    {"cldemote", L7_ECX, 25, OS_ANY},
    {"movdiri", L7_ECX, 27, OS_ANY},
    {"movdir64b", L7_ECX, 28, OS_ANY},
    {"enqcmd", L7_ECX, 29, OS_ANY},
    {"uintr", L7_EDX, 5, OS_ANY},
    {"avx512vp2intersect", L7_EDX, 8, OS_AVX512},
    {"serialize", L7_EDX, 14, OS_ANY},
    {"tsxldtrk", L7_EDX, 16, OS_ANY},
    {"pconfig", L7_EDX, 18, OS_ANY},
    {"amx-bf16", L7_EDX, 22, OS_AMX},
    {"avx512fp16", L7_EDX, 23, OS_AVX512},
    {"amx-tile", L7_EDX, 24, OS_AMX},
    {"amx-int8", L7_EDX, 25, OS_AMX},
    {"sha512", L7S1_EAX, 0, OS_AVX},
    {"sm3", L7S1_EAX, 1, OS_AVX},
    {"sm4", L7S1_EAX, 2, OS_AVX},
    {"raoint", L7S1_EAX, 3, OS_ANY},
    {"avxvnni", L7S1_EAX, 4, OS_AVX},
    {"avx512bf16", L7S1_EAX, 5, OS_AVX512},
    {"cmpccxadd", L7S1_EAX, 7, OS_ANY},
    {"amx-fp16", L7S1_EAX, 21, OS_AMX},
    {"hreset", L7S1_EAX, 22, OS_ANY},
    {"avxifma", L7S1_EAX, 23, OS_AVX},
    {"avxvnniint8", L7S1_EDX, 4, OS_AVX},
    {"avxneconvert", L7S1_EDX, 5, OS_AVX},
    {"amx-complex", L7S1_EDX, 8, OS_AMX},
    {"avxvnniint16", L7S1_EDX, 10, OS_AVX},
    {"prefetchi", L7S1_EDX, 14, OS_ANY},
    {"usermsr", L7S1_EDX, 15, OS_ANY},
    {"avx10.1-256", L7S1_EDX, 19, OS_AVX512},
    /* APX: one CPUID bit, several LLVM features. */
    {"egpr", L7S1_EDX, 21, OS_APX},
    {"push2pop2", L7S1_EDX, 21, OS_APX},
    {"ppx", L7S1_EDX, 21, OS_APX},
    {"ndd", L7S1_EDX, 21, OS_APX},
    {"ccmp", L7S1_EDX, 21, OS_APX},
    {"cf", L7S1_EDX, 21, OS_APX},
    {"xsaveopt", LD1_EAX, 0, OS_ANY},
    {"xsavec", LD1_EAX, 1, OS_ANY},
    {"xsaves", LD1_EAX, 3, OS_ANY},
    {"sahf", LX1_ECX, 0, OS_ANY},
    {"lzcnt", LX1_ECX, 5, OS_ANY},
    {"sse4a", LX1_ECX, 6, OS_ANY},
    {"prfchw", LX1_ECX, 8, OS_ANY},
    {"xop", LX1_ECX, 11, OS_AVX},
    {"lwp", LX1_ECX, 15, OS_ANY},
    {"fma4", LX1_ECX, 16, OS_AVX},
    {"tbm", LX1_ECX, 21, OS_ANY},
    {"mwaitx", LX1_ECX, 29, OS_ANY},
    {"64bit", LX1_EDX, 29, OS_ANY},
    {"clzero", LX8_EBX, 0, OS_ANY},
    {"rdpru", LX8_EBX, 4, OS_ANY},
    {"wbnoinvd", LX8_EBX, 9, OS_ANY},
    {"ptwrite", L14_EBX, 4, OS_ANY},
    {"widekl", L19_EBX, 2, OS_ANY},
    {"avx10.1-512", L24_EBX, 18, OS_AVX512},
};

/* Codegen preferences, not instructions: never a reason to refuse. */
static const char *const tuning_prefixes[] = {
    "fast-",       "slow-",        "prefer-",
    "tuning-",     "false-deps-",  "idivl-",
    "idivq-",      "lea-",         "pad-",
    "macrofusion", "branchfusion", "retpoline",
    "lvi-",        "harden-",      "sse-unaligned-mem",
    "vzeroupper",  "allow-light-", "use-",
    "branch-hint", "evex512",      "inline-asm-use-gpr32"};

static uint32_t regs[N_REGS];
static uint8_t os_ok;
static atomic_int ready;

static void probe(void) {
  unsigned a, b, c, d, max, xmax = 0;
  max = __get_cpuid_max(0, NULL);
  if (__get_cpuid(1, &a, &b, &c, &d))
    regs[L1_ECX] = c, regs[L1_EDX] = d;
  if (max >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    regs[L7_EBX] = b, regs[L7_ECX] = c, regs[L7_EDX] = d;
    __cpuid_count(7, 1, a, b, c, d);
    regs[L7S1_EAX] = a, regs[L7S1_EDX] = d;
  }
  if (max >= 0xd) {
    __cpuid_count(0xd, 1, a, b, c, d);
    regs[LD1_EAX] = a;
  }
  if (max >= 0x14) {
    __cpuid_count(0x14, 0, a, b, c, d);
    regs[L14_EBX] = b;
  }
  if (max >= 0x19) {
    __cpuid_count(0x19, 0, a, b, c, d);
    regs[L19_EBX] = b;
  }
  /* AVX10: the version lives in EBX[7:0] of leaf 0x24. */
  if (max >= 0x24 && (regs[L7S1_EDX] >> 19 & 1)) {
    __cpuid_count(0x24, 0, a, b, c, d);
    regs[L24_EBX] = (b & 0xff) >= 1 ? b : 0;
    if ((b & 0xff) < 1)
      regs[L7S1_EDX] &= ~(1u << 19);
  }
  xmax = __get_cpuid_max(0x80000000u, NULL);
  if (xmax >= 0x80000001u) {
    __cpuid(0x80000001u, a, b, c, d);
    regs[LX1_ECX] = c, regs[LX1_EDX] = d;
  }
  if (xmax >= 0x80000008u) {
    __cpuid(0x80000008u, a, b, c, d);
    regs[LX8_EBX] = b;
  }
  /* XGETBV only if the OS enabled it (OSXSAVE). */
  uint64_t xcr0 = 0;
  if (regs[L1_ECX] >> 27 & 1) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (uint64_t)hi << 32 | lo;
  }
  os_ok = 0;
  if ((xcr0 & 6) == 6) {
    os_ok |= OS_AVX;
    if ((xcr0 & 0xe0) == 0xe0)
      os_ok |= OS_AVX512;
    if ((xcr0 & 0x60000) == 0x60000)
      os_ok |= OS_AMX;
    if (xcr0 >> 19 & 1)
      os_ok |= OS_APX;
  }
}

static void ensure_probed(void) {
  if (atomic_load_explicit(&ready, memory_order_acquire))
    return;
  probe();
  atomic_store_explicit(&ready, 1, memory_order_release);
}

int wr__cpu_has(const char *name, size_t len) {
  ensure_probed();
  for (size_t i = 0; i < sizeof feats / sizeof feats[0]; i++) {
    /* strnlen: a name that fills its array has no NUL */
    if (strnlen(feats[i].name, FEAT_NAME_MAX) != len ||
        memcmp(feats[i].name, name, len))
      continue;
    if ((os_ok & feats[i].os) != feats[i].os)
      return 0;
    return (int)(regs[feats[i].reg] >> feats[i].bit & 1);
  }
  for (size_t i = 0; i < sizeof tuning_prefixes / sizeof tuning_prefixes[0];
       i++) {
    size_t k = strlen(tuning_prefixes[i]);
    if (len >= k && memcmp(name, tuning_prefixes[i], k) == 0)
      return 1;
  }
  return -1;
}

/* The x86-64 psABI micro-architecture levels. */
const char *wr__cpu_baseline(const char *cpu, size_t len) {
#define V1 "+64bit,+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87"
#define V2 V1 ",+cx16,+popcnt,+sahf,+sse3,+sse4.1,+sse4.2,+ssse3"
#define V3 V2 ",+avx,+avx2,+bmi,+bmi2,+f16c,+fma,+lzcnt,+movbe,+xsave"
#define V4 V3 ",+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl"
  static const struct {
    const char *name, *features;
  } levels[] = {{"generic", V1},
                {"x86-64", V1},
                {"x86-64-v2", V2},
                {"x86-64-v3", V3},
                {"x86-64-v4", V4}};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
    if (strlen(levels[i].name) == len && memcmp(levels[i].name, cpu, len) == 0)
      return levels[i].features;
  return NULL;
}

/* x86 keeps instruction fetch coherent with stores. */
void wr__icache_flush(void *start, size_t len) {
  (void)start;
  (void)len;
}
