/*
 * reloc_aarch64.c: AArch64 relocations (ELF for the Arm 64-bit
 * Architecture, "Relocation operations") for what LLVM emits in the small
 * code model. Instructions are little endian. Only ABS64 may hold an
 * absolute address (the loader adds the base); the narrow absolute forms
 * (ABS32/16, MOVW_UABS) would pin the image and are refused. The *_LO12
 * forms keep their value under any 4 KiB-aligned base.
 */
#include "reloc.h"

#include <elf.h>
#include <string.h>

/* type, class, bytes patched */
#define RELOC_MAP(X)                                                           \
  X(NONE, WR__RELOC_SKIP, 0)                                                   \
  X(ABS64, WR__RELOC_ABS64, 8)                                                 \
  X(ABS32, WR__RELOC_FIXED, 4)                                                 \
  X(ABS16, WR__RELOC_FIXED, 2)                                                 \
  X(PREL64, WR__RELOC_PLAIN, 8)                                                \
  X(PREL32, WR__RELOC_PLAIN, 4)                                                \
  X(PREL16, WR__RELOC_PLAIN, 2)                                                \
  X(MOVW_UABS_G0, WR__RELOC_FIXED, 4)                                          \
  X(MOVW_UABS_G0_NC, WR__RELOC_FIXED, 4)                                       \
  X(MOVW_UABS_G1, WR__RELOC_FIXED, 4)                                          \
  X(MOVW_UABS_G1_NC, WR__RELOC_FIXED, 4)                                       \
  X(MOVW_UABS_G2, WR__RELOC_FIXED, 4)                                          \
  X(MOVW_UABS_G2_NC, WR__RELOC_FIXED, 4)                                       \
  X(MOVW_UABS_G3, WR__RELOC_FIXED, 4)                                          \
  X(LD_PREL_LO19, WR__RELOC_PLAIN, 4)                                          \
  X(ADR_PREL_LO21, WR__RELOC_PLAIN, 4)                                         \
  X(ADR_PREL_PG_HI21, WR__RELOC_PLAIN, 4)                                      \
  X(ADR_PREL_PG_HI21_NC, WR__RELOC_PLAIN, 4)                                   \
  X(ADD_ABS_LO12_NC, WR__RELOC_PLAIN, 4)                                       \
  X(LDST8_ABS_LO12_NC, WR__RELOC_PLAIN, 4)                                     \
  X(LDST16_ABS_LO12_NC, WR__RELOC_PLAIN, 4)                                    \
  X(LDST32_ABS_LO12_NC, WR__RELOC_PLAIN, 4)                                    \
  X(LDST64_ABS_LO12_NC, WR__RELOC_PLAIN, 4)                                    \
  X(LDST128_ABS_LO12_NC, WR__RELOC_PLAIN, 4)                                   \
  X(TSTBR14, WR__RELOC_PLAIN, 4)                                               \
  X(CONDBR19, WR__RELOC_PLAIN, 4)                                              \
  X(JUMP26, WR__RELOC_CALL, 4)                                                 \
  X(CALL26, WR__RELOC_CALL, 4)                                                 \
  X(ADR_GOT_PAGE, WR__RELOC_GOT, 4)                                            \
  X(LD64_GOT_LO12_NC, WR__RELOC_GOT, 4)                                        \
  X(GOT_LD_PREL19, WR__RELOC_GOT, 4)

static int a64_class(uint32_t type, uint32_t *out_size) {
  switch (type) {
#define X(name, cls, size)                                                     \
  case R_AARCH64_##name:                                                       \
    *out_size = size;                                                          \
    return cls;
    RELOC_MAP(X)
#undef X
  default:
    return -1;
  }
}

static const char *a64_name(uint32_t type) {
  switch (type) {
#define X(name, cls, size)                                                     \
  case R_AARCH64_##name:                                                       \
    return "R_AARCH64_" #name;
    RELOC_MAP(X)
#undef X
  default:
    return "unknown aarch64 relocation";
  }
}

static uint32_t get32(const uint8_t *w) {
  uint32_t x;
  memcpy(&x, w, 4);
  return x;
}

static void put32(uint8_t *w, uint32_t x) {
  memcpy(w, &x, 4);
}

static int overflow(uint32_t type, int64_t v, wa_err *err) {
  return wa_fail(err, WA_ELINK, WA_NOOFF, "%s: value 0x%llx out of range",
                 a64_name(type), (unsigned long long)v);
}

/* Does v fit in a signed field of 'bits' bits? */
static bool fits_signed(int64_t v, unsigned bits) {
  int64_t lim = (int64_t)1 << (bits - 1);
  return v >= -lim && v < lim;
}

/* Replaces bits [lo, lo+width) of the instruction at w. */
static void patch(uint8_t *w, unsigned lo, unsigned width, uint64_t val) {
  uint32_t mask = (width == 32 ? 0xffffffffu : ((1u << width) - 1)) << lo;
  uint32_t x = get32(w);
  x = (x & ~mask) | (((uint32_t)val << lo) & mask);
  put32(w, x);
}

/* ADR/ADRP: immlo in [30:29], immhi in [23:5]. */
static void patch_adr(uint8_t *w, uint64_t imm) {
  patch(w, 29, 2, imm & 3);
  patch(w, 5, 19, (imm >> 2) & 0x7ffff);
}

static uint64_t page(uint64_t x) {
  return x & ~(uint64_t)0xfff;
}

static int adrp(uint32_t type, uint8_t *w, uint64_t target, uint64_t P,
                bool check, wa_err *err) {
  int64_t d = (int64_t)(page(target) - page(P)) >> 12;
  if (check && !fits_signed(d, 21))
    return overflow(type, d, err);
  patch_adr(w, (uint64_t)d);
  return 0;
}

/* A PC-relative branch or literal field of 'bits' bits, in units of 4. */
static int branch(uint32_t type, uint8_t *w, int64_t d, unsigned lo,
                  unsigned bits, wa_err *err) {
  if ((d & 3) || !fits_signed(d >> 2, bits))
    return overflow(type, d, err);
  patch(w, lo, bits, (uint64_t)(d >> 2));
  return 0;
}

static int movw(uint32_t type, uint8_t *w, uint64_t x, unsigned shift,
                bool check, wa_err *err) {
  if (check && shift < 48 && (x >> (shift + 16)) != 0)
    return overflow(type, (int64_t)x, err);
  patch(w, 5, 16, (x >> shift) & 0xffff);
  return 0;
}

static int lo12(uint8_t *w, uint64_t x, unsigned scale_log2) {
  patch(w, 10, 12, (x & 0xfff) >> scale_log2);
  return 0;
}

static int a64_apply(uint32_t type, uint8_t *w, const wr__reloc_vals *v,
                     wa_err *err) {
  uint64_t SA = v->S + (uint64_t)v->A;
  int64_t rel = (int64_t)(SA - v->P);
  switch (type) {
  case R_AARCH64_NONE:
    return 0;
  case R_AARCH64_ABS64:
    memcpy(w, &SA, 8);
    return 0;
  case R_AARCH64_ABS32:
    if ((int64_t)SA < INT32_MIN || (int64_t)SA > (int64_t)UINT32_MAX)
      return overflow(type, (int64_t)SA, err);
    put32(w, (uint32_t)SA);
    return 0;
  case R_AARCH64_ABS16: {
    if ((int64_t)SA < INT16_MIN || (int64_t)SA > (int64_t)UINT16_MAX)
      return overflow(type, (int64_t)SA, err);
    uint16_t h = (uint16_t)SA;
    memcpy(w, &h, 2);
    return 0;
  }
  case R_AARCH64_PREL64:
    memcpy(w, &rel, 8);
    return 0;
  case R_AARCH64_PREL32:
    if (rel < INT32_MIN || rel > (int64_t)UINT32_MAX)
      return overflow(type, rel, err);
    put32(w, (uint32_t)rel);
    return 0;
  case R_AARCH64_PREL16: {
    if (rel < INT16_MIN || rel > (int64_t)UINT16_MAX)
      return overflow(type, rel, err);
    uint16_t h = (uint16_t)rel;
    memcpy(w, &h, 2);
    return 0;
  }
  case R_AARCH64_MOVW_UABS_G0:
  case R_AARCH64_MOVW_UABS_G0_NC:
    return movw(type, w, SA, 0, type == R_AARCH64_MOVW_UABS_G0, err);
  case R_AARCH64_MOVW_UABS_G1:
  case R_AARCH64_MOVW_UABS_G1_NC:
    return movw(type, w, SA, 16, type == R_AARCH64_MOVW_UABS_G1, err);
  case R_AARCH64_MOVW_UABS_G2:
  case R_AARCH64_MOVW_UABS_G2_NC:
    return movw(type, w, SA, 32, type == R_AARCH64_MOVW_UABS_G2, err);
  case R_AARCH64_MOVW_UABS_G3:
    return movw(type, w, SA, 48, false, err);
  case R_AARCH64_LD_PREL_LO19:
  case R_AARCH64_CONDBR19:
    return branch(type, w, rel, 5, 19, err);
  case R_AARCH64_TSTBR14:
    return branch(type, w, rel, 5, 14, err);
  case R_AARCH64_JUMP26:
  case R_AARCH64_CALL26:
    return branch(type, w, rel, 0, 26, err);
  case R_AARCH64_ADR_PREL_LO21:
    if (!fits_signed(rel, 21))
      return overflow(type, rel, err);
    patch_adr(w, (uint64_t)rel);
    return 0;
  case R_AARCH64_ADR_PREL_PG_HI21:
  case R_AARCH64_ADR_PREL_PG_HI21_NC:
    return adrp(type, w, SA, v->P, type == R_AARCH64_ADR_PREL_PG_HI21, err);
  case R_AARCH64_ADD_ABS_LO12_NC:
  case R_AARCH64_LDST8_ABS_LO12_NC:
    return lo12(w, SA, 0);
  case R_AARCH64_LDST16_ABS_LO12_NC:
    return lo12(w, SA, 1);
  case R_AARCH64_LDST32_ABS_LO12_NC:
    return lo12(w, SA, 2);
  case R_AARCH64_LDST64_ABS_LO12_NC:
    return lo12(w, SA, 3);
  case R_AARCH64_LDST128_ABS_LO12_NC:
    return lo12(w, SA, 4);
  case R_AARCH64_ADR_GOT_PAGE:
    return adrp(type, w, v->G, v->P, true, err);
  case R_AARCH64_LD64_GOT_LO12_NC:
    return lo12(w, v->G, 3);
  case R_AARCH64_GOT_LD_PREL19:
    return branch(type, w, (int64_t)(v->G - v->P), 5, 19, err);
  default:
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "unsupported aarch64 relocation type %u", type);
  }
}

/* adrp x16, slot; ldr x16, [x16, :lo12:slot]; br x16; udf #0 (x16 is the
 * intra-procedure-call scratch register). */
static void a64_stub(uint8_t *p, uint64_t at, uint64_t slot) {
  put32(p, 0x90000010u);
  patch_adr(p, (uint64_t)((int64_t)(page(slot) - page(at)) >> 12));
  put32(p + 4, 0xf9400210u | (uint32_t)((slot & 0xfff) >> 3) << 10);
  put32(p + 8, 0xd61f0200u);
  put32(p + 12, 0);
}

const wr__arch wr__arch_aarch64 = {EM_AARCH64, a64_class, a64_apply, a64_name,
                                   a64_stub};
