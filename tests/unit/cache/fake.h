/*
 * fake.h: fixtures for the cache tests: fake artifacts (a text header
 * naming the module digest and configuration, then payload bytes), a
 * metadata reader for them in wr_artifact_read_meta's shape, a fill
 * callback that counts its calls in a file, and a temp directory.
 */
#ifndef WK_TEST_FAKE_H
#define WK_TEST_FAKE_H

#include "internal.h"
#include "wk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern char fk_dir[];       /* the test's temp dir */
extern char fk_cache_dir[]; /* fk_dir/cache */

void fk_setup(void);    /* makes the temp dir */
void fk_teardown(void); /* removes it */

/* A base configuration every test starts from. */
wk_config fk_config(void);
/* A module digest derived from a seed. */
void fk_digest(int seed, uint8_t out[32]);

/* Appends a fake artifact for (digest, cfg) with 'payload' bytes. */
void fk_artifact(const uint8_t digest[32], const wk_config *cfg, size_t payload,
                 wa_buf *out);

/* Parses a fake artifact's header (wr_artifact_read_meta's signature). */
int fk_read_meta(const uint8_t *bytes, size_t len, const char *what,
                 wa_arena *arena, wr_meta *out, wa_err *err);

/* wk_fill_fn's user data. */
typedef struct fk_fill {
  uint8_t digest[32];
  wk_config cfg;       /* what the artifact records (normally the key's) */
  size_t payload;      /* bytes after the header */
  unsigned delay_ms;   /* sleep inside the fill (widens races) */
  bool kill_mid_fill;  /* SIGKILL itself halfway through */
  const char *counter; /* a line is appended per call, if set */
  int calls;           /* calls in this process */
} fk_fill;

int fk_fill_fn(void *ud, const wk_key *key, wa_buf *out, wa_err *err);
void fk_fill_init(fk_fill *f, int seed);

/* Lines in a counter file (0 if it does not exist). */
int fk_count(const char *path);

/* Opens fk_cache_dir with fk_read_meta and the given limit (0: default). */
wk_cache *fk_open(uint64_t max_size);

/* Flips one bit of the (read-only) entry file at off through write(2), as
 * damage on disk would, and makes it read-only again. */
void fk_flip_byte(const char *path, long off);

/* The number of files in the cache's shard dirs whose names contain s. */
int fk_files_with(const char *s);

/* The entry path for (seed digest, cfg). */
void fk_entry_path(wk_cache *c, const uint8_t digest[32], const wk_config *cfg,
                   char *out, size_t n);

#endif
