/*
 * reloc.h: the architecture half of the pre-linker. prelink.c decides
 * where every section and symbol lives; reloc_<arch>.c knows how each
 * relocation type patches the instruction stream, which types need a GOT
 * slot or a call stub, and what a stub looks like. Both architectures are
 * always built: the compiler pre-links for either target on any host.
 */
#ifndef WR_RELOC_H
#define WR_RELOC_H

#include "wa.h"

#include <stdbool.h>
#include <stdint.h>

enum {
  WR__RELOC_SKIP,  /* R_*_NONE: nothing to do */
  WR__RELOC_PLAIN, /* same bytes wherever the image is loaded */
  WR__RELOC_ABS64, /* a 64-bit address: the loader adds the image base */
  WR__RELOC_FIXED, /* a narrow absolute address: needs a fixed base */
  WR__RELOC_CALL,  /* a branch: an external target goes through a stub */
  WR__RELOC_GOT,   /* uses the address of the symbol's GOT slot */
};

/* The values of the ELF formula, as offsets from the image base (the
 * pre-linker lays the image out at address 0): P the place, S the symbol
 * (or its stub for CALL), A the addend, G the symbol's GOT slot, GOT the
 * GOT's base, Z the symbol's size. */
typedef struct wr__reloc_vals {
  uint64_t P, S, G, GOT, Z;
  int64_t A;
} wr__reloc_vals;

/* A stub is 16 bytes: an indirect jump through a GOT slot, written
 * relative to its own place so that code pages never need patching. */
#define WR__STUB_SIZE 16u

typedef struct wr__arch {
  uint16_t machine; /* EM_* */
  /* What the relocation of 'type' needs (WR__RELOC_*) and how many bytes
   * it patches; -1 if the type is not supported. */
  int (*reloc_class)(uint32_t type, uint32_t *out_size);
  /* Patches 'where'. An overflow is WA_ELINK naming the type and value. */
  int (*reloc_apply)(uint32_t type, uint8_t *where, const wr__reloc_vals *v,
                     wa_err *err);
  const char *(*reloc_name)(uint32_t type);
  /* The stub at image offset 'at' (bytes 'p') jumps through the GOT slot
   * at image offset 'slot'. */
  void (*stub_write)(uint8_t *p, uint64_t at, uint64_t slot);
} wr__arch;

extern const wr__arch wr__arch_x86_64, wr__arch_aarch64;

#endif
