/*
 * reloc_x86_64.c: x86-64 relocations (System V psABI, chapter 4.4) for
 * what LLVM emits in the small and medium code models. Only R_X86_64_64
 * may hold an absolute address (the loader adds the base); the 32-bit
 * absolute forms would pin the image below 4 GiB and are refused.
 */
#include "reloc.h"

#include <elf.h>
#include <string.h>

/* type, class, bytes patched */
#define RELOC_MAP(X)                                                           \
  X(NONE, WR__RELOC_SKIP, 0)                                                   \
  X(64, WR__RELOC_ABS64, 8)                                                    \
  X(PC32, WR__RELOC_CALL, 4)                                                   \
  X(PLT32, WR__RELOC_CALL, 4)                                                  \
  X(GOTPCREL, WR__RELOC_GOT, 4)                                                \
  X(32, WR__RELOC_FIXED, 4)                                                    \
  X(32S, WR__RELOC_FIXED, 4)                                                   \
  X(PC64, WR__RELOC_PLAIN, 8)                                                  \
  X(GOTOFF64, WR__RELOC_PLAIN, 8)                                              \
  X(GOTPC32, WR__RELOC_PLAIN, 4)                                               \
  X(GOTPCREL64, WR__RELOC_GOT, 8)                                              \
  X(GOTPC64, WR__RELOC_PLAIN, 8)                                               \
  X(SIZE32, WR__RELOC_PLAIN, 4)                                                \
  X(SIZE64, WR__RELOC_PLAIN, 8)                                                \
  X(GOTPCRELX, WR__RELOC_GOT, 4)                                               \
  X(REX_GOTPCRELX, WR__RELOC_GOT, 4)

static int x86_class(uint32_t type, uint32_t *out_size) {
  switch (type) {
#define X(name, cls, size)                                                     \
  case R_X86_64_##name:                                                        \
    *out_size = size;                                                          \
    return cls;
    RELOC_MAP(X)
#undef X
  default:
    return -1;
  }
}

static const char *x86_name(uint32_t type) {
  switch (type) {
#define X(name, cls, size)                                                     \
  case R_X86_64_##name:                                                        \
    return "R_X86_64_" #name;
    RELOC_MAP(X)
#undef X
  default:
    return "unknown x86_64 relocation";
  }
}

static int put32(uint8_t *w, uint64_t v, bool is_signed, uint32_t type,
                 wa_err *err) {
  bool ok =
      is_signed ? (int64_t)v == (int64_t)(int32_t)(uint32_t)v : v <= UINT32_MAX;
  if (!ok)
    return wa_fail(err, WA_ELINK, WA_NOOFF,
                   "%s: value 0x%llx does not fit in 32 bits", x86_name(type),
                   (unsigned long long)v);
  uint32_t x = (uint32_t)v;
  memcpy(w, &x, 4);
  return 0;
}

static void put64(uint8_t *w, uint64_t v) {
  memcpy(w, &v, 8);
}

static int x86_apply(uint32_t type, uint8_t *w, const wr__reloc_vals *v,
                     wa_err *err) {
  uint64_t A = (uint64_t)v->A;
  switch (type) {
  case R_X86_64_NONE:
    return 0;
  case R_X86_64_64:
    put64(w, v->S + A);
    return 0;
  case R_X86_64_PC32:
  case R_X86_64_PLT32:
    return put32(w, v->S + A - v->P, true, type, err);
  case R_X86_64_GOTPCREL:
  case R_X86_64_GOTPCRELX:
  case R_X86_64_REX_GOTPCRELX:
    return put32(w, v->G + A - v->P, true, type, err);
  case R_X86_64_32:
    return put32(w, v->S + A, false, type, err);
  case R_X86_64_32S:
    return put32(w, v->S + A, true, type, err);
  case R_X86_64_PC64:
    put64(w, v->S + A - v->P);
    return 0;
  case R_X86_64_GOTOFF64:
    put64(w, v->S + A - v->GOT);
    return 0;
  case R_X86_64_GOTPC32:
    return put32(w, v->GOT + A - v->P, true, type, err);
  case R_X86_64_GOTPCREL64:
    put64(w, v->G + A - v->P);
    return 0;
  case R_X86_64_GOTPC64:
    put64(w, v->GOT + A - v->P);
    return 0;
  case R_X86_64_SIZE32:
    return put32(w, v->Z + A, false, type, err);
  case R_X86_64_SIZE64:
    put64(w, v->Z + A);
    return 0;
  default:
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "unsupported x86_64 relocation type %u", type);
  }
}

/* jmp *slot(%rip), then int3 padding. */
static void x86_stub(uint8_t *p, uint64_t at, uint64_t slot) {
  static const uint8_t jmp[2] = {0xff, 0x25};
  memcpy(p, jmp, 2);
  uint32_t d = (uint32_t)(slot - (at + 6));
  memcpy(p + 2, &d, 4);
  memset(p + 6, 0xcc, WR__STUB_SIZE - 6);
}

const wr__arch wr__arch_x86_64 = {EM_X86_64, x86_class, x86_apply, x86_name,
                                  x86_stub};
