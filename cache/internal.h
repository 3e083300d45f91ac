/*
 * internal.h: shared by cache/'s files (prefix wk__): the cache object, the
 * entry trailer, paths, locks and the entry opener. Not for other modules.
 */
#ifndef WK_INTERNAL_H
#define WK_INTERNAL_H

#include "wk.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

/* An entry file is the artifact bytes followed by this trailer, so the
 * artifact starts at file offset 0 (page aligned in a mapping). The byte
 * table is in docs/cache.md. */
#define WK_TRAILER_SIZE 128u
#define WK_TRAILER_MAGIC "WAOCACHE" /* 8 bytes, no NUL */
#define WK_TRAILER_VERSION 1u
#define WK_ENTRY_MODE 0400u
#define WK_DIR_MODE 0700u
#define WK_ENTRY_SUFFIX ".wao"
#define WK_LOCK_SUFFIX ".lock"
#define WK_TEMP_INFIX ".tmp."
#define WK_STAMP_SUFFIX ".ok"
#define WK_STAMP_MIN                                                           \
  (1u << 20) /* smaller entries hash faster than a stamp is read */

struct wk_cache {
  char *root;
  uint64_t max_size;
  wk_read_meta_fn read_meta;
  uid_t uid;
};

typedef struct wk__trailer {
  uint32_t version, flags;
  uint64_t artifact_size;
  wk_key key;
  uint8_t artifact_sha256[32];
  uint8_t module_sha256[32];
} wk__trailer;

/* Last use is recorded at most once per this many seconds (a hit within
 * it writes nothing; docs/cache.md, Eviction). */
#define WK_USE_GRANULARITY 60

struct wk_entry {
  int fd;       /* holds LOCK_SH until release */
  int stamp_fd; /* its verified stamp, when it matched; or -1 */
  bool stamped; /* a stamp exists: its mtime is the last use */
  wa_map map;   /* the whole file */
  wk__trailer trailer;
  bool filled;
  struct timespec used; /* the recorded last use when it was opened */
  char path[];          /* sized by wk__key_path_size */
};

/* store.c */
void wk__trailer_encode(const wk__trailer *t, uint8_t out[WK_TRAILER_SIZE]);
/* Checks magic, version, self-checksum and that the sizes add up to
 * file_size; WA_ECORRUPT naming 'what' otherwise. */
int wk__trailer_decode(const uint8_t *p, uint64_t file_size, const char *what,
                       wk__trailer *out, wa_err *err) WA_MUST_CHECK;
/* root/objects/<first 2 hex>, and a key's file in it with 'suffix'. */
int wk__shard_path(const wk_cache *c, const wk_key *k, char *out, size_t n,
                   wa_err *err) WA_MUST_CHECK;
int wk__key_path(const wk_cache *c, const wk_key *k, const char *suffix,
                 char *out, size_t n, wa_err *err) WA_MUST_CHECK;
/* The buffer size a key's path with 'suffix' needs, NUL included. */
size_t wk__key_path_size(const wk_cache *c, const char *suffix);
/* Writes artifact || trailer to a temp file beside the entry, fsyncs,
 * renames it into place and fsyncs the directory. Caller holds the key
 * lock. */
int wk__publish(const wk_cache *c, const wk_key *k,
                const uint8_t module_sha256[32], const uint8_t *art, size_t len,
                uint32_t flags, wa_err *err) WA_MUST_CHECK;
/* Removes the key's leftover temp files (caller holds the key lock). */
int wk__remove_temps(const wk_cache *c, const wk_key *k,
                     wa_err *err) WA_MUST_CHECK;
/* Test hook: called at each publication step ("temp-created",
 * "temp-written", "temp-synced", "renamed"); NULL in production. */
extern void (*wk__publish_hook)(const char *step);

/* Walks root/objects: calls fn for each file whose name is
 * <64 hex><suffix...>, giving the key, the full path and the file name. */
typedef int (*wk__walk_fn)(void *ud, const wk_key *k, const char *path,
                           const char *name, wa_err *err);
int wk__walk(const wk_cache *c, wk__walk_fn fn, void *ud,
             wa_err *err) WA_MUST_CHECK;

/* cache.c: ownership and mode checks. 'kind' is "cache directory",
 * "cache entry", ... */
int wk__check_private(const struct stat *st, uid_t uid, const char *path,
                      const char *kind, wa_err *err) WA_MUST_CHECK;
int wk__check_dir(const wk_cache *c, const char *path,
                  wa_err *err) WA_MUST_CHECK;

/* lock.c */
typedef struct wk__lock {
  int fd;
  char path[PATH_MAX];
} wk__lock;
/* Takes the key's exclusive fill lock (a file beside the entry). With
 * 'nonblock', WA_EBUSY if another process holds it. */
int wk__key_lock(const wk_cache *c, const wk_key *k, bool nonblock,
                 wk__lock *out, wa_err *err) WA_MUST_CHECK;
/* Deletes the lock file and releases the lock (waiters retry on a new
 * file, so lock files do not accumulate). */
void wk__key_unlock(wk__lock *l);
/* flock() retrying on EINTR; WA_EBUSY when nonblocking and held. */
int wk__flock(int fd, int op, const char *what, wa_err *err) WA_MUST_CHECK;
/* Removes the entry at path if nobody uses it: exclusive non-blocking lock
 * on the entry, then unlink if the path still names that file. WA_EBUSY
 * when in use; WA_ENOTFOUND when already gone. Caller holds the key lock. */
int wk__entry_remove(const char *path, wa_err *err) WA_MUST_CHECK;

/* verify.c */
/* What to check when opening an entry. */
typedef struct wk__want {
  const uint8_t *module_sha256; /* NULL: any */
  const wk_config *cfg;         /* NULL: compare keys only; else the
                                   configuration the key was computed from
                                   (with module_sha256) */
  bool check_meta;              /* requires c->read_meta */
  bool use_stamp;               /* trust and write verified stamps */
} wk__want;
/*
 * Opens, locks shared, checks ownership and mode, maps and verifies the
 * entry for k. WA_ENOTFOUND if absent, WA_EPERM, or a repairable code
 * (wk__repairable) with the reason.
 */
int wk__entry_open(const wk_cache *c, const wk_key *k, const wk__want *want,
                   wk_entry **out, wa_err *err) WA_MUST_CHECK;
/* Checks that an artifact's metadata hashes to k (and matches want). */
int wk__check_meta(const wk_cache *c, const wk_key *k, const uint8_t *art,
                   size_t len, const char *what, const wk__want *want,
                   wa_err *err) WA_MUST_CHECK;
bool wk__repairable(int code);

/* stamp.c */
/* The stamp of k as a read-only fd when it describes the entry file with
 * status st (same device, inode, size and ctime), else -1; *mtime is then
 * the stamp's (the entry's last use). */
int wk__stamp_open(const wk_cache *c, const wk_key *k, const struct stat *st,
                   struct timespec *mtime);
/* Records that the entry with status st (its open fd's) has just been
 * verified in full (entries of WK_STAMP_MIN bytes or more). Best effort. */
bool wk__stamp_write(const wk_cache *c, const wk_key *k, const struct stat *st);
/* Removes the stamp beside the entry file entry_path, if any. */
void wk__stamp_remove(const char *entry_path);
/* Sets st->st_mtim (the entry's) to its last use: the later of it and the
 * stamp's mtime. */
void wk__last_use(const char *entry_path, struct stat *st);
/* Marks e used now: its stamp's mtime, or the entry's own when it has
 * none. */
void wk__mark_used(wk_entry *e);

/* digest.c: removes remembered module digests not renewed for a week. */
void wk__digests_sweep(const wk_cache *c);

/* key.c */
/* Names the first field where a and b differ into buf ("" if none). */
void wk__config_diff(const wk_config *a, const wk_config *b, char *buf,
                     size_t n);

/* evict.c */

#endif
