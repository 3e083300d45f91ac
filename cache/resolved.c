/*
 * resolved.c: remembered configuration resolutions. A key covers the
 * resolved CPU name and features and the compiler's version string, which
 * only the compiler (LLVM) can compute; remembering them under an id of
 * what they depend on lets a hit compute its key without loading libLLVM.
 * Files: DIR/resolved/<64 hex id>, small "name=value" text.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RESOLVED_MAGIC "wasmaot-resolved 1\n"
#define RESOLVED_MAX 4096

static int resolved_path(const wk_cache *c, const uint8_t id[32], char *out,
                         size_t n, bool dir_only, wa_err *err) {
  char hex[65];
  wa_hex(id, 32, hex);
  int w = dir_only ? snprintf(out, n, "%s/resolved", c->root)
                   : snprintf(out, n, "%s/resolved/%s", c->root, hex);
  if (w < 0 || (size_t)w >= n)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "cache path too long: %s",
                   c->root);
  return 0;
}

/* One "name=value" line into a fixed field; false if absent or too long. */
static bool field(char *text, const char *name, char *out, size_t n) {
  size_t len = strlen(name);
  for (char *p = text; p && *p;) {
    char *nl = strchr(p, '\n');
    if (!nl)
      return false; /* every line ends with a newline, the last too */
    if ((size_t)(nl - p) > len && strncmp(p, name, len) == 0 && p[len] == '=') {
      size_t vlen = (size_t)(nl - p) - len - 1;
      if (vlen >= n)
        return false;
      memcpy(out, p + len + 1, vlen);
      out[vlen] = 0;
      return true;
    }
    p = nl + 1;
  }
  return false;
}

/* The file's text into out (RESOLVED_MAX + 1 bytes), NUL-terminated. */
static int read_text(wk_cache *c, const char *path, char *text, wa_err *err) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                         "cannot open %s", path);
  struct stat st;
  ssize_t n = -1;
  int rc;
  if (fstat(fd, &st) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot stat %s", path);
  } else if ((rc = wk__check_private(&st, c->uid, path, "resolved config",
                                     err)) == 0) {
    n = read(fd, text, RESOLVED_MAX);
    if (n < 0)
      rc = wa_fail_errno(err, WA_EIO, "cannot read %s", path);
  }
  close(fd);
  if (rc || n < 0)
    return rc ? rc : WA_EIO;
  text[n] = 0;
  return 0;
}

int wk_resolved_get(wk_cache *c, const uint8_t id[32], wk_resolved *out,
                    wa_err *err) {
  /* The path and the text on the heap: this runs on every hit, and a
   * PATH_MAX path and a 4 KiB text on the stack cost it page faults. */
  size_t path_n = strlen(c->root) + sizeof "/resolved/" + 64;
  char *path = wa_malloc(path_n + RESOLVED_MAX + 1);
  int rc;
  memset(out, 0, sizeof *out);
  if (!path)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  char *text = path + path_n;
  if ((rc = resolved_path(c, id, path, path_n, false, err)) != 0 ||
      (rc = read_text(c, path, text, err)) != 0)
    goto out;
  /* A damaged file only costs a compiler load: the caller resolves again
   * and overwrites it, so it reads as absent. */
  if (strncmp(text, RESOLVED_MAGIC, strlen(RESOLVED_MAGIC)) != 0 ||
      !field(text, "compiler-version", out->compiler_version,
             sizeof out->compiler_version) ||
      !field(text, "triple", out->triple, sizeof out->triple) ||
      !field(text, "cpu", out->cpu, sizeof out->cpu) ||
      !field(text, "features", out->features, sizeof out->features) ||
      !out->compiler_version[0] || !out->triple[0])
    rc = wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "%s is damaged", path);
out:
  wa_free(path);
  return rc;
}

int wk_resolved_put(wk_cache *c, const uint8_t id[32], const wk_resolved *r,
                    wa_err *err) {
  char path[PATH_MAX], text[RESOLVED_MAX];
  int rc;
  const char *vals[] = {r->compiler_version, r->triple, r->cpu, r->features};
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
    if (strchr(vals[i], '\n'))
      return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                     "resolved configuration value holds a newline");
  if ((rc = resolved_path(c, id, path, sizeof path, true, err)) != 0)
    return rc;
  if (mkdir(path, WK_DIR_MODE) != 0 && errno != EEXIST)
    return wa_fail_errno(err, WA_EIO, "cannot create directory %s", path);
  if ((rc = wk__check_dir(c, path, err)) != 0 ||
      (rc = resolved_path(c, id, path, sizeof path, false, err)) != 0)
    return rc;
  int n = snprintf(text, sizeof text,
                   RESOLVED_MAGIC "compiler-version=%s\ntriple=%s\ncpu=%s\n"
                                  "features=%s\n",
                   r->compiler_version, r->triple, r->cpu, r->features);
  if (n < 0 || n >= (int)sizeof text)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "resolved configuration too long");
  return wa_file_publish(path, text, (size_t)n, 0600, err);
}
