/*
 * wk.h: the content-addressed artifact cache (prefix wk_). Maps a module
 * digest plus a compile configuration to a verified artifact on disk. A miss
 * is filled through a callback the caller supplies, so the cache never links
 * the compiler; metadata is read through a callback too (the runtime's
 * wr_artifact_read_meta). Layout, key derivation and rules: docs/cache.md.
 */
#ifndef WK_H
#define WK_H

#include "meta.h"
#include "wa.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define WK_SYSTEM_DIR "/var/lib/wasmaot/cache" /* the shim's cache */
#define WK_DEFAULT_MAX_SIZE (2ull << 30)       /* 2 GiB */
#define WK_LIMIT_CONFIGURED UINT64_MAX         /* wk_gc: use the limit */

/* ------------------------------------------------------------------ key */

/*
 * The compile configuration a key covers: tag, field, kind. The order is
 * the serialization order and tags are never reused: a field that changes
 * generated code gets a new row and a new tag (docs/cache.md). The struct
 * below is generated from this table:
 *   const char *compiler_version; uint32_t format_version, abi_version;
 *   const char *triple, *cpu, *features; uint8_t bounds, opt_level;
 * Strings are resolved values ("native" is not a CPU); NULL reads as "".
 */
#define WK_CONFIG_FIELDS(X)                                                    \
  X(1, compiler_version, STR) /* wc_version(), e.g. "0.1.0" */                 \
  X(2, format_version, U32)   /* WR_FORMAT_VERSION */                          \
  X(3, abi_version, U32)      /* WR_ABI_VERSION */                             \
  X(4, triple, STR)           /* "x86_64-unknown-linux-gnu" */                 \
  X(5, cpu, STR)              /* "skylake", "x86-64-v2", "generic" */          \
  X(6, features, FEATURES)    /* LLVM features, canonicalized */               \
  X(7, bounds, U8)            /* WR_BOUNDS_GUARD / WR_BOUNDS_EXPLICIT */       \
  X(8, opt_level, U8)         /* 0..3 */

#define WK__CTYPE_STR const char *
#define WK__CTYPE_FEATURES const char *
#define WK__CTYPE_U32 uint32_t
#define WK__CTYPE_U8 uint8_t

typedef struct wk_config {
#define WK__X(tag, name, kind) WK__CTYPE_##kind name;
  WK_CONFIG_FIELDS(WK__X)
#undef WK__X
} wk_config;

typedef struct wk_key {
  uint8_t b[32];
} wk_key;

/*
 * Appends the canonical serialization of cfg (docs/cache.md, "Key") to out.
 * WA_EUSAGE if the triple or compiler version is empty or the CPU is the
 * unresolved "native".
 */
int wk_config_serialize(const wk_config *cfg, wa_buf *out,
                        wa_err *err) WA_MUST_CHECK;

/* key = SHA-256(module_sha256 || wk_config_serialize(cfg)). */
int wk_key_compute(const uint8_t module_sha256[32], const wk_config *cfg,
                   wk_key *out, wa_err *err) WA_MUST_CHECK;

void wk_key_hex(const wk_key *k, char out[65]);
int wk_key_parse(const char *hex, wk_key *out); /* 0 or -1 */

/* The configuration an artifact records. Strings are copied into 'arena';
 * a name holding a NUL byte is WA_ECORRUPT. */
int wk_config_from_meta(const wr_meta *m, wa_arena *arena, wk_config *out,
                        wa_err *err) WA_MUST_CHECK;

/* ---------------------------------------------------------------- cache */

typedef struct wk_cache wk_cache;

/* Exactly wr_artifact_read_meta's signature, so the launcher passes it. */
typedef int (*wk_read_meta_fn)(const uint8_t *bytes, size_t len,
                               const char *what, wa_arena *arena, wr_meta *out,
                               wa_err *err);

typedef struct wk_options {
  /* 0: $WASMAOT_CACHE_MAX_SIZE, else max-size in DIR/config, else
   * WK_DEFAULT_MAX_SIZE. */
  uint64_t max_size;
  /* Reads an artifact's metadata. Required by wk_get and wk_import; without
   * it wk_verify and wk_export check integrity but not metadata. */
  wk_read_meta_fn read_meta;
} wk_options;

/*
 * The per-user cache directory: $WASMAOT_CACHE_DIR, else
 * $XDG_CACHE_HOME/wasmaot (when absolute), else $HOME/.cache/wasmaot (HOME
 * from the password database when unset). The shim passes WK_SYSTEM_DIR.
 */
int wk_default_dir(char *out, size_t n, wa_err *err) WA_MUST_CHECK;

/*
 * Opens (creating with mode 0700) the cache in 'dir'. WA_EPERM, naming the
 * path and the reason, when the directory is owned by another user or is
 * group- or world-writable. 'opt' may be NULL. The handle holds no open
 * files or locks; threads may share it (all locking is per open file).
 */
int wk_open(const char *dir, const wk_options *opt, wk_cache **out,
            wa_err *err) WA_MUST_CHECK;
void wk_close(wk_cache *c); /* accepts NULL */

const char *wk_dir(const wk_cache *c);
uint64_t wk_max_size(const wk_cache *c);
/* Stores max-size in DIR/config (used by later wk_open calls too). */
int wk_set_max_size(wk_cache *c, uint64_t max_size, wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------- resolutions */

/*
 * A configuration as the compiler resolved it: "native" becomes the host
 * CPU's name and features, and the compiler names its version. Only the
 * compiler (libLLVM) computes these, so the launcher remembers them under an
 * id of what they depend on (host CPU, compiler build, requested options)
 * and a hit computes its key without loading the compiler. A stale
 * resolution is harmless: what a fill makes is checked against the key.
 */
typedef struct wk_resolved {
  char compiler_version[128];
  char triple[64];
  char cpu[64];
  char features[1100];
} wk_resolved;

/* Reads DIR/resolved/<id hex>. WA_ENOTFOUND when absent or damaged,
 * WA_EPERM when not private to this user. */
int wk_resolved_get(wk_cache *c, const uint8_t id[32], wk_resolved *out,
                    wa_err *err) WA_MUST_CHECK;
/* Writes it atomically (mode 0600). */
int wk_resolved_put(wk_cache *c, const uint8_t id[32], const wk_resolved *r,
                    wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------ get / fill */

/*
 * Fills a miss: appends the artifact for 'key' to 'out' (empty on entry,
 * owned by the cache). The callback holds the module bytes and compiler in
 * 'ud'; it runs with the key's fill lock held, so it is called once per
 * key even when many processes miss together.
 */
typedef int (*wk_fill_fn)(void *ud, const wk_key *key, wa_buf *out,
                          wa_err *err);

/* A verified entry, mapped read-only and locked shared (so eviction skips
 * it) until wk_entry_release. */
typedef struct wk_entry wk_entry;

/*
 * Returns the artifact for (module_sha256, cfg). A hit is checked before
 * it is returned: trailer, SHA-256 of the bytes, and metadata (module
 * digest, configuration) against the key. A miss takes the key's lock,
 * looks again, calls fill, checks what fill made the same way, publishes
 * it atomically and returns it; afterwards the cache is trimmed to its size
 * limit. A corrupt, truncated or mismatching entry is removed and filled
 * again, and *warning (if not NULL; initialized here) says so: the caller
 * prints it. fill == NULL makes a lookup: a miss is WA_ENOTFOUND.
 * Errors: WA_EPERM (entry or directory not private to this user, named in
 * the message), WA_EMISMATCH (fill made an artifact for another key), the
 * fill callback's own error, WA_EIO.
 */
int wk_get(wk_cache *c, const uint8_t module_sha256[32], const wk_config *cfg,
           wk_fill_fn fill, void *ud, wk_entry **out, wa_err *warning,
           wa_err *err) WA_MUST_CHECK;

/*
 * Opens the entry stored under 'key' (from wk_list), checked like a hit
 * (metadata too when a reader is set) but not marked used: for `inspect`
 * and `wasmaot cache ls --long`. WA_ENOTFOUND, WA_EPERM, WA_ECORRUPT, ...
 */
int wk_open_key(wk_cache *c, const wk_key *key, wk_entry **out,
                wa_err *err) WA_MUST_CHECK;

/* The SHA-256 of a module file's bytes (data, len), the file being open as
 * fd. For files of 1 MiB or more the digest is remembered under DIR/digests
 * by device and inode and reused while the file's size, mtime and ctime
 * are unchanged (docs/cache.md, "Remembered module digests"); c may be NULL
 * (then it just hashes). */
void wk_file_digest(const wk_cache *c, int fd, const uint8_t *data, size_t len,
                    uint8_t out[32]);

/* The artifact bytes: the start of a read-only mapping, page aligned. */
const uint8_t *wk_entry_data(const wk_entry *e);
size_t wk_entry_size(const wk_entry *e);
/* The entry's open file (read-only; the artifact starts at offset 0). */
int wk_entry_fd(const wk_entry *e);
const wk_key *wk_entry_key(const wk_entry *e);
const char *wk_entry_path(const wk_entry *e);
bool wk_entry_filled(const wk_entry *e); /* this call compiled it */
bool wk_entry_imported(const wk_entry *e);
void wk_entry_release(wk_entry *e); /* unmaps and unlocks; accepts NULL */

/* -------------------------------------------------- listing, maintenance */

enum { WK_ENTRY_IMPORTED = 1u }; /* trailer flags */

typedef struct wk_info {
  wk_key key;
  uint8_t module_sha256[32];
  uint64_t file_size;     /* bytes on disk, counted against the limit */
  uint64_t artifact_size; /* file_size minus the trailer */
  struct timespec last_used;
  uint32_t flags;   /* WK_ENTRY_* */
  bool damaged;     /* trailer unreadable: wk_verify removes it */
  const char *path; /* valid during the callback */
} wk_info;

/* Calls fn for each entry, most recently used first. Reads trailers only.
 * A nonzero return from fn stops the walk and is returned. */
typedef int (*wk_list_fn)(void *ud, const wk_info *info, wa_err *err);
int wk_list(wk_cache *c, wk_list_fn fn, void *ud, wa_err *err) WA_MUST_CHECK;

typedef struct wk_stats {
  uint64_t n_entries, bytes, max_size;
  uint64_t n_imported, n_damaged;
  uint64_t n_temp, temp_bytes; /* leftovers of interrupted fills */
  struct timespec oldest_use, newest_use;
} wk_stats;
int wk_stats_get(wk_cache *c, wk_stats *out, wa_err *err) WA_MUST_CHECK;

typedef struct wk_gc_report {
  uint64_t n_removed, bytes_removed;
  uint64_t n_busy; /* over the limit but in use: kept */
  uint64_t n_left, bytes_left;
  uint64_t n_temp_removed, n_locks_removed;
} wk_gc_report;

/*
 * Evicts least recently used entries until the total is at most max_size
 * (WK_LIMIT_CONFIGURED: the cache's limit). An entry being loaded or used
 * (shared lock) or filled (key lock) is skipped and counted busy. Also
 * removes temp and lock files of interrupted fills.
 */
int wk_gc(wk_cache *c, uint64_t max_size, wk_gc_report *out,
          wa_err *err) WA_MUST_CHECK;
/* wk_gc with a limit of 0: everything not in use. */
int wk_clear(wk_cache *c, wk_gc_report *out, wa_err *err) WA_MUST_CHECK;

typedef struct wk_verify_report {
  uint64_t n_ok, n_bad, n_removed, n_busy;
  bool meta_checked; /* false without a read_meta callback */
} wk_verify_report;

/* Called for each bad entry with what is wrong; 'removed' says whether it
 * was deleted (false when busy or remove == false). */
typedef void (*wk_problem_fn)(void *ud, const char *path, const wa_err *why,
                              bool removed);

/* Rehashes every entry and checks its trailer and metadata; bad entries are
 * reported and, if 'remove', deleted. */
int wk_verify(wk_cache *c, bool remove, wk_problem_fn fn, void *ud,
              wk_verify_report *out, wa_err *err) WA_MUST_CHECK;

/* ---------------------------------------------------------------- trust */

/*
 * Ed25519 signatures over artifacts (docs/cache.md, "Signing and trust").
 * A signature covers a fixed context string, the cache key, the module
 * digest and the artifact's SHA-256, so it cannot be replayed for another
 * key. libcrypto is dlopen()ed on first use (never by a cached run).
 */
typedef struct wk_pubkey {
  uint8_t raw[32];
  uint8_t id[32]; /* SHA-256 of raw: the key id */
} wk_pubkey;

typedef struct wk_signer {
  uint8_t seed[32]; /* the private key */
  wk_pubkey pub;
} wk_signer;

typedef struct wk_signature {
  uint8_t key_id[32];
  uint8_t sig[64];
} wk_signature;

/* The keys an operator trusts: every *.pub file of a directory. */
typedef struct wk_trusted {
  wk_pubkey *v;
  size_t n;
} wk_trusted;

typedef void (*wk_warn_fn)(void *ud, const char *msg);

/* Writes PREFIX.key (PKCS#8 PEM, mode 0600, atomically) and PREFIX.pub
 * (SubjectPublicKeyInfo PEM). WA_EEXISTS if PREFIX.key exists. 'out' may
 * be NULL. */
int wk_keypair_generate(const char *prefix, wk_pubkey *out,
                        wa_err *err) WA_MUST_CHECK;
int wk_pubkey_read(const char *path, wk_pubkey *out, wa_err *err) WA_MUST_CHECK;
int wk_pubkey_parse(const char *pem, const char *what, wk_pubkey *out,
                    wa_err *err) WA_MUST_CHECK;
void wk_pubkey_id_hex(const wk_pubkey *k, char out[65]);
int wk_signer_read(const char *path, wk_signer *out, wa_err *err) WA_MUST_CHECK;
void wk_signer_wipe(wk_signer *s);

int wk_sign(const wk_signer *s, const wk_key *key,
            const uint8_t module_sha256[32], const uint8_t artifact_sha256[32],
            wk_signature *out, wa_err *err) WA_MUST_CHECK;
/* 0 if a key in t made sig over exactly these values; WA_EUNTRUSTED with
 * the reason (unknown key, bad signature) in 'why' otherwise. */
int wk_signature_check(const wk_trusted *t, const wk_signature *sig,
                       const wk_key *key, const uint8_t module_sha256[32],
                       const uint8_t artifact_sha256[32],
                       wa_err *why) WA_MUST_CHECK;

/*
 * Native artifacts attached to images (`wasmaot precompile`, docs/
 * precompile.md). The claim is everything a consumer relies on: the
 * artifact's bytes, the module it was compiled from, the target, the
 * artifact format and the cache key of the configuration. The signature
 * covers all of it under its own context string, so neither the bytes nor
 * any of the metadata can be swapped, and it never verifies as a cache
 * archive signature (or the reverse).
 */
typedef struct wk_native_claim {
  uint8_t artifact_sha256[32];
  uint8_t module_sha256[32];
  const char *target;      /* resolved triple, "x86_64-unknown-linux-gnu" */
  uint32_t format_version; /* WR_FORMAT_VERSION of the artifact */
  wk_key key;              /* cache key of the compile configuration */
} wk_native_claim;

int wk_sign_native(const wk_signer *s, const wk_native_claim *c,
                   wk_signature *out, wa_err *err) WA_MUST_CHECK;
/* 0 if a key in t signed exactly this claim; WA_EUNTRUSTED otherwise, with
 * "not trusted" or "bad signature" in 'why' (the caller tells them apart
 * with wk_trusted_has). */
int wk_native_check(const wk_trusted *t, const wk_signature *sig,
                    const wk_native_claim *c, wa_err *why) WA_MUST_CHECK;
/* Checks an artifact from elsewhere as wk_get checks what a fill made:
 * its metadata names module_sha256 and hashes, with it, to the key of cfg.
 * WA_EMISMATCH (or the reader's error) says what differs. */
int wk_check_artifact(const wk_cache *c, const uint8_t module_sha256[32],
                      const wk_config *cfg, const uint8_t *art, size_t len,
                      const char *what, wa_err *err) WA_MUST_CHECK;
/* Whether t holds the key with this id. */
bool wk_trusted_has(const wk_trusted *t, const uint8_t key_id[32]);

/* $WASMAOT_TRUSTED_KEYS, else $XDG_CONFIG_HOME/wasmaot/trusted-keys (when
 * absolute), else $HOME/.config/wasmaot/trusted-keys. */
int wk_trusted_default_dir(char *out, size_t n, wa_err *err) WA_MUST_CHECK;
/* Loads every *.pub in dir (a missing dir is an empty set). Files, or the
 * directory, owned by another user (not root) or group/world-writable are
 * skipped and reported through warn, as are unreadable keys. */
int wk_trusted_load(const char *dir, wk_warn_fn warn, void *ud, wk_trusted *out,
                    wa_err *err) WA_MUST_CHECK;
void wk_trusted_free(wk_trusted *t);

/* ------------------------------------------------------- export / import */

typedef struct wk_xfer_report {
  uint64_t n_entries, bytes; /* exported, or imported */
  uint64_t n_skipped;        /* import: already present and valid */
  uint64_t n_refused;        /* import: metadata/digest mismatch */
} wk_xfer_report;

/* Writes every valid entry to 'path' as a zstd-compressed tar with a
 * manifest (atomically: temp file + rename). Bad entries are skipped and
 * counted in n_refused. */
int wk_export(wk_cache *c, const char *path, wk_xfer_report *out,
              wa_err *err) WA_MUST_CHECK;

/*
 * Imports an archive made by wk_export. Native code from another machine is
 * arbitrary code and entries are not signed yet, so without 'trust' this is
 * WA_EUNTRUSTED and reads nothing. Each entry must match the manifest (size,
 * SHA-256) and its metadata must hash to its key; others are refused, and
 * if any is, the call fails after importing the rest, with the first
 * refusal's code: WA_EMISMATCH (metadata does not match the key or module),
 * WA_EDIGEST (bytes differ from the manifest), WA_EMALFORMED (missing).
 * A malformed archive (no manifest first, members not in it) is
 * WA_EMALFORMED and stops the import.
 */
int wk_import(wk_cache *c, const char *path, bool trust, wk_xfer_report *out,
              wa_err *err) WA_MUST_CHECK;

/* wk_export that also writes a signature by 's' for every entry (s may be
 * NULL: the archive is then exactly wk_export's). */
int wk_export_signed(wk_cache *c, const char *path, const wk_signer *s,
                     wk_xfer_report *out, wa_err *err) WA_MUST_CHECK;
/*
 * wk_import that accepts, without 'trust', each entry whose signature
 * verifies against 'keys'; other entries are refused (WA_EUNTRUSTED:
 * unsigned, unknown key, bad signature) like mismatching ones. An archive
 * without signatures still needs 'trust' and then reads nothing. With
 * 'trust', signatures are not required.
 */
/* Called for each refused entry with the reason (naming the member). */
typedef void (*wk_refusal_fn)(void *ud, const wa_err *why);
int wk_import_signed(wk_cache *c, const char *path, bool trust,
                     const wk_trusted *keys, wk_refusal_fn on_refusal, void *ud,
                     wk_xfer_report *out, wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------------ sizes */

/* "2G", "512MiB", "1.5g", "100000" (bytes); binary units. WA_EUSAGE. */
int wk_size_parse(const char *s, uint64_t *out, wa_err *err) WA_MUST_CHECK;
/* "1.5 GiB", "312 KiB", "17 B". */
const char *wk_size_format(uint64_t n, char *buf, size_t len);

#endif
