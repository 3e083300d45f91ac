/*
 * wr_prelink.h: linking an artifact's relocatable object ahead of time.
 * The compiler calls wr_prelink once per artifact and stores the result
 * in two sections; the loader then only maps the image and applies a few
 * 64-bit fixups (the image base, libc addresses), never an instruction
 * relocation. The runtime pre-links in memory only objects that lack the
 * sections (hand-made ones). Layout of both sections:
 * docs/artifact-format.md, "Pre-linked image".
 */
#ifndef WR_PRELINK_H
#define WR_PRELINK_H

#include "wa.h"

#include <stdint.h>

#define WR_SECTION_IMAGE ".wasmaot.image"
#define WR_SECTION_LINK ".wasmaot.link"

#define WR_LINK_MAGIC 0x4b4e4c57u /* "WLNK" */
#define WR_LINK_VERSION 1u

/* The image's three page-aligned groups, in this order. */
enum { WR_GROUP_EXEC, WR_GROUP_RO, WR_GROUP_RW, WR_GROUP_COUNT };

/* .wasmaot.link, little endian: the header, n_fixups fixups, n_ranges
 * ranges, then n_externs NUL-terminated names (externs_size bytes). */
typedef struct wr_link_hdr {
  uint32_t magic, version;
  uint16_t machine; /* EM_* the code is for */
  uint16_t reserved;
  uint32_t page_align; /* of the groups; the loader's page size divides it */
  uint64_t image_size; /* a multiple of page_align */
  uint64_t group_off[WR_GROUP_COUNT], group_size[WR_GROUP_COUNT];
  uint64_t funcs_off, tramps_off, adapters_off; /* UINT64_MAX: absent */
  uint32_t n_funcs, n_tramps, n_adapters;       /* entries of each table */
  uint32_t n_fixups, n_ranges, n_externs, externs_size, reserved2;
} wr_link_hdr;

/* Add the image base (WR_FIXUP_BASE) or the address of external 'ext'
 * (WR_FIXUP_EXTERN) to the 8 bytes at image offset 'off'. Never in the
 * executable group: code pages are mapped as they are in the file. */
enum { WR_FIXUP_BASE, WR_FIXUP_EXTERN };
typedef struct wr_link_fixup {
  uint64_t off;
  uint32_t kind, ext;
} wr_link_fixup;

/* A defined function's code, as image offsets, sorted by start; 'end' 0
 * when its symbol gave no size. 'func' counts defined functions only. */
typedef struct wr_link_range {
  uint64_t start, end;
  uint32_t func, reserved;
} wr_link_range;

/* The page alignment of the groups for a target (EM_*): its largest page
 * size (4 KiB on x86-64, 64 KiB on AArch64). 0 for an unknown machine. */
uint32_t wr_prelink_page_align(uint16_t machine);

/* Lays out the allocated sections of the ELF relocatable in obj, applies
 * every relocation that does not depend on where the image is loaded,
 * and appends the image (page_align-aligned groups, stubs and GOT
 * included) to *image and the link section to *link. An absolute
 * reference that a fixup cannot express, an unknown symbol or an
 * unsupported relocation is an error naming it; nothing is appended then
 * beyond what the caller discards. */
int wr_prelink(const uint8_t *obj, size_t len, uint32_t page_align,
               wa_buf *image, wa_buf *link, wa_err *err) WA_MUST_CHECK;

/* Pre-links the ELF relocatable in *elf for its machine's page alignment
 * and appends WR_SECTION_IMAGE and WR_SECTION_LINK to it. Its section
 * header table must be its last bytes (as the compiler and objcopy write
 * it); *elf may have grown even on failure. */
int wr_prelink_append(wa_buf *elf, wa_err *err) WA_MUST_CHECK;

#endif
