/*
 * reloc.h: the architecture half of the linker. link.c decides where
 * every section and symbol lives; reloc_<arch>.c (only the host's is
 * built) knows how each relocation type patches the instruction stream,
 * which types need a GOT slot or a call stub, and what a stub looks like.
 */
#ifndef WR_RELOC_H
#define WR_RELOC_H

#include "wa.h"

#include <stdbool.h>
#include <stdint.h>

enum {
  WR__RELOC_SKIP,  /* R_*_NONE: nothing to do */
  WR__RELOC_PLAIN, /* uses the symbol's address */
  WR__RELOC_CALL,  /* a branch: an external target goes through a stub */
  WR__RELOC_GOT,   /* uses the address of the symbol's GOT slot */
};

/* What the relocation of 'type' needs (WR__RELOC_*) and how many bytes it
 * patches; -1 if the type is not supported. */
int wr__reloc_class(uint32_t type, uint32_t *out_size);

/* The values of the ELF formula: P the place, S the symbol (or its stub
 * for CALL), A the addend, G the address of the symbol's GOT slot, GOT
 * the GOT's base, Z the symbol's size. */
typedef struct wr__reloc_vals {
  uint64_t P, S, G, GOT, Z;
  int64_t A;
} wr__reloc_vals;

/* Patches 'where' (P's bytes in the writable image). An overflow is
 * WA_ELINK naming the type and the value. */
int wr__reloc_apply(uint32_t type, uint8_t *where, const wr__reloc_vals *v,
                    wa_err *err) WA_MUST_CHECK;

/* A call stub that jumps to an absolute address (for calls into libc and
 * libm, which lie beyond a branch's reach). */
#define WR__STUB_SIZE 16u
void wr__stub_write(uint8_t *at, uint64_t target);

const char *wr__reloc_name(uint32_t type);

/* Makes freshly written code visible to instruction fetch. */
void wr__icache_flush(void *start, size_t len);

#endif
