/*
 * support.h: fixtures shared by the oci unit tests: temp directories,
 * hand-built (and hostile) tar streams, small files, Wasm bytes.
 */
#ifndef WO_TEST_SUPPORT_H
#define WO_TEST_SUPPORT_H

#include "wo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A minimal valid module: magic + version. */
extern const uint8_t t_wasm[8];

/* mkdtemp under /tmp; the path lives in a static buffer per call site. */
char *t_tempdir(const char *tag);
void t_rmrf(const char *path);
void t_write(const char *path, const void *data, size_t len);
/* Reads a file into a NUL-terminated malloc'd buffer (NULL if missing). */
char *t_read(const char *path, size_t *len);
bool t_exists(const char *path);
/* Number of entries (not . and ..) of a directory; -1 if missing. */
int t_count(const char *dir);

/* A raw tar entry for hostile archives. */
typedef struct t_ent {
  char type; /* 'f' file, 'd' dir, 'l' symlink, 'h' hardlink, 'c' char dev,
                'p' fifo */
  const char *path;
  const char *data; /* file content or link target */
  long size;        /* -1: strlen(data) */
  unsigned mode;
} t_ent;

/* Writes a tar of ents to path, compressed: 'n' none, 'g' gzip, 'z' zstd. */
void t_tar(const char *path, const t_ent *ents, size_t n, char comp);
/* Applies a tar file beneath dir (layer mode unless layout). */
int t_apply(const char *dir, const char *tar, wo_tar_mode mode,
            const wo_limits *lim, wa_err *err);

#endif
