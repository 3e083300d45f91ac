/*
 * internal.h: shared by runtime/base files only.
 */
#ifndef WA_INTERNAL_H
#define WA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 round constants (sha256.c). */
extern const uint32_t wa__sha256_k[64];

/* Compresses n 64-byte blocks into h. */
typedef void (*wa__sha256_blocks_fn)(uint32_t h[8], const uint8_t *p,
                                     size_t n);

/* The platform's accelerated block function if this CPU has one, else
 * NULL (sha256_<arch>.c). */
wa__sha256_blocks_fn wa__sha256_accel(void);

#endif
