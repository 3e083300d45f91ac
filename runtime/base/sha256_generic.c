/*
 * sha256_generic.c: hosts without an accelerated SHA-256 use the portable
 * compression in sha256.c.
 */
#include "internal.h"

wa__sha256_blocks_fn wa__sha256_accel(void) { return 0; }
