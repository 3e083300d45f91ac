/*
 * store.c: the on-disk layout (objects/<2 hex>/<key hex>.wao), the entry
 * trailer, atomic publication and the directory walk. Publication is done
 * here rather than with wa_file_publish because the artifact and trailer
 * are written from two buffers and the crash tests stop it at each step.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void (*wk__publish_hook)(const char *step);

static void hook(const char *step) {
  if (wk__publish_hook)
    wk__publish_hook(step);
}

/* -------------------------------------------------------------- trailer */

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p) {
  return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static void trailer_check(const uint8_t *p, uint8_t out[8]) {
  uint8_t h[32];
  wa_sha256_once(p, 120, h);
  memcpy(out, h, 8);
}

void wk__trailer_encode(const wk__trailer *t, uint8_t out[WK_TRAILER_SIZE]) {
  memcpy(out, WK_TRAILER_MAGIC, 8);
  put_u32(out + 8, t->version);
  put_u32(out + 12, t->flags);
  put_u64(out + 16, t->artifact_size);
  memcpy(out + 24, t->key.b, 32);
  memcpy(out + 56, t->artifact_sha256, 32);
  memcpy(out + 88, t->module_sha256, 32);
  trailer_check(out, out + 120);
}

static int corrupt(wa_err *err, const char *what, uint64_t off, const char *fmt,
                   ...) WA_PRINTF(4, 5);
static int corrupt(wa_err *err, const char *what, uint64_t off, const char *fmt,
                   ...) {
  if (err->code)
    return err->code;
  va_list ap;
  va_start(ap, fmt);
  wa_vfail(err, WA_ECORRUPT, off, fmt, ap);
  va_end(ap);
  wa_err_where(err, what);
  return WA_ECORRUPT;
}

int wk__trailer_decode(const uint8_t *p, uint64_t file_size, const char *what,
                       wk__trailer *out, wa_err *err) {
  uint64_t off = file_size - WK_TRAILER_SIZE;
  uint8_t check[8];
  if (file_size < WK_TRAILER_SIZE)
    return corrupt(err, what, WA_NOOFF,
                   "truncated: %llu bytes is less than the %u-byte trailer",
                   (unsigned long long)file_size, WK_TRAILER_SIZE);
  if (memcmp(p, WK_TRAILER_MAGIC, 8) != 0)
    return corrupt(err, what, off,
                   "no cache trailer at the end (truncated or overwritten)");
  trailer_check(p, check);
  if (memcmp(check, p + 120, 8) != 0)
    return corrupt(err, what, off + 120, "trailer checksum mismatch");
  out->version = get_u32(p + 8);
  out->flags = get_u32(p + 12);
  out->artifact_size = get_u64(p + 16);
  memcpy(out->key.b, p + 24, 32);
  memcpy(out->artifact_sha256, p + 56, 32);
  memcpy(out->module_sha256, p + 88, 32);
  if (out->version != WK_TRAILER_VERSION)
    return corrupt(err, what, off + 8,
                   "trailer version %u, this build reads version %u",
                   out->version, WK_TRAILER_VERSION);
  if (out->flags & ~(uint32_t)WK_ENTRY_IMPORTED)
    return corrupt(err, what, off + 12, "unknown trailer flags 0x%x",
                   out->flags);
  if (out->artifact_size != off)
    return corrupt(err, what, off + 16,
                   "the trailer records %llu artifact bytes, the file holds "
                   "%llu (truncated or extended)",
                   (unsigned long long)out->artifact_size,
                   (unsigned long long)off);
  return 0;
}

/* ---------------------------------------------------------------- paths */

int wk__shard_path(const wk_cache *c, const wk_key *k, char *out, size_t n,
                   wa_err *err) {
  char hex[65];
  wk_key_hex(k, hex);
  if (snprintf(out, n, "%s/objects/%.2s", c->root, hex) >= (int)n)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "path too long: %s", c->root);
  return 0;
}

size_t wk__key_path_size(const wk_cache *c, const char *suffix) {
  /* root "/objects/" 2 hex "/" 64 hex suffix NUL */
  return strlen(c->root) + 9 + 2 + 1 + 64 + strlen(suffix) + 1;
}

int wk__key_path(const wk_cache *c, const wk_key *k, const char *suffix,
                 char *out, size_t n, wa_err *err) {
  char hex[65];
  wk_key_hex(k, hex);
  if (snprintf(out, n, "%s/objects/%.2s/%s%s", c->root, hex, hex, suffix) >=
      (int)n)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "path too long: %s", c->root);
  return 0;
}

/* ---------------------------------------------------------- publication */

static int write_all(int fd, const uint8_t *p, size_t n, const char *what,
                     wa_err *err) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return wa_fail_errno(err, WA_EIO, "cannot write %s", what);
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int fsync_dir(const char *dir, wa_err *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "cannot open directory %s", dir);
  int rc = 0;
  if (fsync(fd) != 0 && errno != EINVAL)
    rc = wa_fail_errno(err, WA_EIO, "cannot fsync directory %s", dir);
  close(fd);
  return rc;
}

int wk__publish(const wk_cache *c, const wk_key *k,
                const uint8_t module_sha256[32], const uint8_t *art, size_t len,
                uint32_t flags, wa_err *err) {
  char shard[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
  uint8_t tr[WK_TRAILER_SIZE];
  int rc, fd = -1;
  tmp[0] = 0;
  if ((rc = wk__shard_path(c, k, shard, sizeof shard, err)) != 0 ||
      (rc = wk__key_path(c, k, WK_ENTRY_SUFFIX, path, sizeof path, err)) != 0 ||
      (rc = wk__key_path(c, k, WK_TEMP_INFIX "XXXXXX", tmp, sizeof tmp, err)) !=
          0)
    return rc;
  wk__trailer t = {.version = WK_TRAILER_VERSION,
                   .flags = flags,
                   .artifact_size = len,
                   .key = *k};
  wa_sha256_once(art, len, t.artifact_sha256);
  memcpy(t.module_sha256, module_sha256, 32);
  wk__trailer_encode(&t, tr);

  if (mkdir(shard, WK_DIR_MODE) != 0 && errno != EEXIST)
    return wa_fail_errno(err, WA_EIO, "cannot create directory %s", shard);
  if ((rc = wk__check_dir(c, shard, err)) != 0)
    return rc;
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot create a temp file in %s", shard);
    tmp[0] = 0;
    goto out;
  }
  hook("temp-created");
  if ((rc = write_all(fd, art, len, tmp, err)) != 0 ||
      (rc = write_all(fd, tr, sizeof tr, tmp, err)) != 0)
    goto out;
  hook("temp-written");
  if (fchmod(fd, WK_ENTRY_MODE) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot chmod %s", tmp);
    goto out;
  }
  if (fsync(fd) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot fsync %s", tmp);
    goto out;
  }
  hook("temp-synced");
  int closed = close(fd);
  fd = -1;
  if (closed != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot close %s", tmp);
    goto out;
  }
  if (rename(tmp, path) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot rename %s to %s", tmp, path);
    goto out;
  }
  tmp[0] = 0;
  hook("renamed");
  rc = fsync_dir(shard, err);
out:
  if (fd >= 0)
    close(fd);
  if (tmp[0])
    unlink(tmp);
  return rc;
}

int wk__remove_temps(const wk_cache *c, const wk_key *k, wa_err *err) {
  char shard[PATH_MAX], prefix[80], hex[65];
  int rc = wk__shard_path(c, k, shard, sizeof shard, err);
  if (rc)
    return rc;
  wk_key_hex(k, hex);
  snprintf(prefix, sizeof prefix, "%s" WK_TEMP_INFIX, hex);
  DIR *d = opendir(shard);
  if (!d)
    return errno == ENOENT
               ? 0
               : wa_fail_errno(err, WA_EIO, "cannot open %s", shard);
  struct dirent *ent;
  while ((ent = readdir(d)))
    if (strncmp(ent->d_name, prefix, strlen(prefix)) == 0 &&
        unlinkat(dirfd(d), ent->d_name, 0) != 0 && errno != ENOENT) {
      rc =
          wa_fail_errno(err, WA_EIO, "cannot remove %s/%s", shard, ent->d_name);
      break;
    }
  closedir(d);
  return rc;
}

/* ----------------------------------------------------------------- walk */

static bool is_hex2(const char *s) {
  for (int i = 0; i < 2; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return s[2] == 0;
}

/* Names are read before fn runs: fn creates and deletes lock files in
 * this directory, and a readdir that returned those would never end. */
static int walk_shard(const wk_cache *c, const char *shard, const char *sname,
                      wk__walk_fn fn, void *ud, wa_err *err) {
  int rc = 0;
  wa_buf names;
  wa_buf_init(&names);
  DIR *d = opendir(shard);
  if (!d)
    return errno == ENOENT
               ? 0
               : wa_fail_errno(err, WA_EIO, "cannot open %s", shard);
  struct dirent *ent;
  while ((ent = readdir(d))) {
    size_t len = strlen(ent->d_name);
    if (len >= 64 && memcmp(ent->d_name, sname, 2) == 0 &&
        (rc = wa_buf_append(&names, ent->d_name, len + 1, err)) != 0)
      break;
  }
  closedir(d);
  char path[PATH_MAX], hex[65];
  for (size_t off = 0; rc == 0 && off < names.len;) {
    const char *name = (const char *)names.data + off;
    off += strlen(name) + 1;
    wk_key k;
    memcpy(hex, name, 64);
    hex[64] = 0;
    if (wk_key_parse(hex, &k) != 0 ||
        snprintf(path, sizeof path, "%s/%s", shard, name) >= (int)sizeof path)
      continue;
    rc = fn(ud, &k, path, name, err);
  }
  wa_buf_free(&names);
  return rc;
}

int wk__walk(const wk_cache *c, wk__walk_fn fn, void *ud, wa_err *err) {
  char objects[PATH_MAX - 8], shard[PATH_MAX];
  int rc = 0;
  if (snprintf(objects, sizeof objects, "%s/objects", c->root) >=
      (int)sizeof objects)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "path too long: %s", c->root);
  DIR *d = opendir(objects);
  if (!d)
    return errno == ENOENT
               ? 0
               : wa_fail_errno(err, WA_EIO, "cannot open %s", objects);
  /* Collect the shard names first: fn may create or remove files. */
  char names[256][3];
  size_t n = 0;
  struct dirent *ent;
  while ((ent = readdir(d)) && n < 256)
    if (is_hex2(ent->d_name))
      memcpy(names[n++], ent->d_name, 3);
  closedir(d);
  for (size_t i = 0; i < n && rc == 0; i++) {
    snprintf(shard, sizeof shard, "%s/%s", objects, names[i]);
    if ((rc = wk__check_dir(c, shard, err)) != 0)
      break;
    rc = walk_shard(c, shard, names[i], fn, ud, err);
  }
  return rc;
}
