/*
 * cache.c: where the cache lives, opening it (private directories only),
 * its config file (max-size), size strings, and the entry accessors.
 * Entries and their verification are store.c and verify.c.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_NAME "config"
#define CONFIG_MAX (64u << 10)

/* $HOME/.cache/wasmaot. Apart, and not inlined, so that the password
 * database's buffer is on the stack only when $HOME is what decides. */
__attribute__((noinline)) static int home_cache_dir(char *out, size_t n,
                                                    wa_err *err) {
  char buf[PATH_MAX];
  const char *home = wa_home_dir(buf, sizeof buf);
  if (!home)
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                   "no cache directory: set WASMAOT_CACHE_DIR or HOME");
  if (snprintf(out, n, "%s/.cache/wasmaot", home) >= (int)n)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "the home directory is too long");
  return 0;
}

int wk_default_dir(char *out, size_t n, wa_err *err) {
  const char *env = getenv("WASMAOT_CACHE_DIR");
  if (env && env[0]) {
    if (wa_strlcpy(out, env, n) != 0)
      return wa_fail(err, WA_EUSAGE, WA_NOOFF, "WASMAOT_CACHE_DIR is too long");
    return 0;
  }
  /* XDG: a relative XDG_CACHE_HOME is invalid and must be ignored. */
  const char *xdg = getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/') {
    if (snprintf(out, n, "%s/wasmaot", xdg) >= (int)n)
      return wa_fail(err, WA_EUSAGE, WA_NOOFF, "XDG_CACHE_HOME is too long");
    return 0;
  }
  return home_cache_dir(out, n, err);
}

int wk__check_private(const struct stat *st, uid_t uid, const char *path,
                      const char *kind, wa_err *err) {
  if (st->st_uid != uid)
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "%s %s is owned by uid %u, not by this user (uid %u); "
                   "it is never loaded",
                   kind, path, (unsigned)st->st_uid, (unsigned)uid);
  if (st->st_mode & (S_IWGRP | S_IWOTH))
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "%s %s is %s-writable (mode %04o); it is never loaded", kind,
                   path, (st->st_mode & S_IWOTH) ? "world" : "group",
                   (unsigned)(st->st_mode & 07777));
  return 0;
}

int wk__check_dir(const wk_cache *c, const char *path, wa_err *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                         "cannot stat %s", path);
  if (!S_ISDIR(st.st_mode))
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "cache directory %s is not a directory", path);
  return wk__check_private(&st, c->uid, path, "cache directory", err);
}

static int make_dir(const wk_cache *c, const char *path, wa_err *err) {
  if (mkdir(path, WK_DIR_MODE) != 0 && errno != EEXIST)
    return wa_fail_errno(err, WA_EIO, "cannot create directory %s", path);
  return wk__check_dir(c, path, err);
}

/* --------------------------------------------------------------- sizes */

static int size_unit(const char *u, uint64_t *mult) {
  static const char units[] = "kmgtpe";
  if (u[0] == 0 || ((u[0] == 'b' || u[0] == 'B') && u[1] == 0)) {
    *mult = 1;
    return 0;
  }
  const char *p = strchr(units, tolower((unsigned char)u[0]));
  if (!p)
    return -1;
  const char *rest = u + 1;
  if (strcmp(rest, "") && strcmp(rest, "b") && strcmp(rest, "B") &&
      strcmp(rest, "ib") && strcmp(rest, "iB") && strcmp(rest, "IB") &&
      strcmp(rest, "Ib"))
    return -1;
  *mult = 1ull << (10 * (p - units + 1));
  return 0;
}

int wk_size_parse(const char *s, uint64_t *out, wa_err *err) {
  const char *p = s;
  uint64_t ip = 0, frac = 0, scale = 1, mult;
  if (!isdigit((unsigned char)*p))
    goto bad;
  for (; isdigit((unsigned char)*p); p++)
    if (__builtin_mul_overflow(ip, 10, &ip) ||
        __builtin_add_overflow(ip, (uint64_t)(*p - '0'), &ip))
      goto bad;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      goto bad;
    for (; isdigit((unsigned char)*p); p++)
      if (scale < 1000000000ull) {
        frac = frac * 10 + (uint64_t)(*p - '0');
        scale *= 10;
      }
  }
  while (*p == ' ')
    p++;
  if (size_unit(p, &mult) != 0)
    goto bad;
  uint64_t v;
  if (__builtin_mul_overflow(ip, mult, &v))
    goto bad;
  /* frac < 1e9 and mult <= 2^60 would overflow; split mult instead. */
  uint64_t fpart = (mult / scale) * frac + (mult % scale) * frac / scale;
  if (__builtin_add_overflow(v, fpart, &v))
    goto bad;
  *out = v;
  return 0;
bad:
  return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                 "invalid size '%s' (examples: 2G, 512MiB, 1.5g, 100000)", s);
}

const char *wk_size_format(uint64_t n, char *buf, size_t len) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (n < 1024) {
    snprintf(buf, len, "%llu B", (unsigned long long)n);
    return buf;
  }
  double v = (double)n / 1024.0;
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
    v /= 1024.0;
    u++;
  }
  snprintf(buf, len, v < 100.0 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

/* -------------------------------------------------------------- config */

/* Reads max-size from DIR/config (path); *found stays false without the
 * file. */
static int read_config(const wk_cache *c, const char *path, uint64_t *max_size,
                       bool *found, wa_err *err) {
  uint8_t *data = NULL;
  char *text = NULL;
  size_t len;
  int rc = 0;
  *found = false;
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno == ENOENT)
      return 0;
    return wa_fail_errno(err, WA_EIO, "cannot stat %s", path);
  }
  if (!S_ISREG(st.st_mode))
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "cache config %s is not a regular file", path);
  if ((rc = wk__check_private(&st, c->uid, path, "cache config", err)) != 0)
    return rc;
  if (st.st_size > CONFIG_MAX)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s is too large", path);
  if ((rc = wa_file_read(path, &data, &len, err)) != 0)
    return rc;
  if (!(text = wa_malloc(len + 1))) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  memcpy(text, data, len);
  text[len] = 0;
  unsigned line = 0;
  for (char *p = text, *next; p && *p; p = next) {
    line++;
    next = strchr(p, '\n');
    if (next)
      *next++ = 0;
    char *hash = strchr(p, '#');
    if (hash)
      *hash = 0;
    char *eq = strchr(p, '=');
    char *k = p, *v = eq ? eq + 1 : NULL;
    if (eq)
      *eq = 0;
    while (isspace((unsigned char)*k))
      k++;
    for (char *e = k + strlen(k); e > k && isspace((unsigned char)e[-1]);)
      *--e = 0;
    if (!*k)
      continue;
    if (!v) {
      rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s line %u: expected 'key = value'", path, line);
      goto out;
    }
    while (isspace((unsigned char)*v))
      v++;
    for (char *e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);)
      *--e = 0;
    /* Unknown keys are left for newer versions. */
    if (strcmp(k, "max-size") == 0) {
      if (wk_size_parse(v, max_size, err) != 0) {
        rc = err->code = WA_EMALFORMED;
        wa_err_wrap(err, "%s line %u: ", path, line);
        goto out;
      }
      *found = true;
    }
  }
out:
  wa_free(text);
  wa_free(data);
  return rc;
}

int wk_set_max_size(wk_cache *c, uint64_t max_size, wa_err *err) {
  char path[PATH_MAX], text[128];
  if (snprintf(path, sizeof path, "%s/" CONFIG_NAME, c->root) >=
      (int)sizeof path)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "path too long: %s", c->root);
  int n = snprintf(text, sizeof text,
                   "# wasmaot cache settings (docs/cache.md)\n"
                   "max-size = %llu\n",
                   (unsigned long long)max_size);
  int rc = wa_file_publish(path, text, (size_t)n, 0600, err);
  if (rc == 0)
    c->max_size = max_size;
  return rc;
}

/* --------------------------------------------------------------- open */

/* An existing private directory: what wk_open finds on every run but the
 * first, with one stat instead of a mkdir per path component. Anything else
 * takes the creating path, whose checks report the problem. */
static bool dir_ready(const wk_cache *c, const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == c->uid &&
         (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

int wk_open(const char *dir, const wk_options *opt, wk_cache **out,
            wa_err *err) {
  int rc = 0;
  char *path = NULL; /* DIR/objects, DIR/config: on the heap, off the stack */
  wk_cache *c = wa_calloc(1, sizeof *c);
  if (!c)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  c->uid = geteuid();
  c->read_meta = opt ? opt->read_meta : NULL;
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/')
    len--;
  if (len == 0 || len > PATH_MAX - 128) {
    rc = wa_fail(err, WA_EUSAGE, WA_NOOFF, "invalid cache directory '%s'", dir);
    goto out;
  }
  size_t path_size = len + sizeof "/objects" + sizeof CONFIG_NAME;
  if (!(c->root = wa_strndup(dir, len)) || !(path = wa_malloc(path_size))) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  if (!dir_ready(c, c->root) &&
      ((rc = wa_mkdirs(c->root, WK_DIR_MODE, err)) != 0 ||
       (rc = wk__check_dir(c, c->root, err)) != 0))
    goto out;
  snprintf(path, path_size, "%s/objects", c->root);
  if (!dir_ready(c, path) && (rc = make_dir(c, path, err)) != 0)
    goto out;
  uint64_t size = WK_DEFAULT_MAX_SIZE;
  bool found;
  snprintf(path, path_size, "%s/" CONFIG_NAME, c->root);
  if ((rc = read_config(c, path, &size, &found, err)) != 0)
    goto out;
  const char *env = getenv("WASMAOT_CACHE_MAX_SIZE");
  if (env && env[0] && (rc = wk_size_parse(env, &size, err)) != 0) {
    wa_err_wrap(err, "WASMAOT_CACHE_MAX_SIZE: ");
    goto out;
  }
  if (opt && opt->max_size)
    size = opt->max_size;
  c->max_size = size;
  *out = c;
  c = NULL;
out:
  wa_free(path);
  wk_close(c);
  return rc;
}

void wk_close(wk_cache *c) {
  if (!c)
    return;
  wa_free(c->root);
  wa_free(c);
}

const char *wk_dir(const wk_cache *c) {
  return c->root;
}
uint64_t wk_max_size(const wk_cache *c) {
  return c->max_size;
}

/* ------------------------------------------------------------- entries */

const uint8_t *wk_entry_data(const wk_entry *e) {
  return e->map.data;
}
size_t wk_entry_size(const wk_entry *e) {
  return (size_t)e->trailer.artifact_size;
}
int wk_entry_fd(const wk_entry *e) {
  return e->fd;
}
const wk_key *wk_entry_key(const wk_entry *e) {
  return &e->trailer.key;
}
const char *wk_entry_path(const wk_entry *e) {
  return e->path;
}
bool wk_entry_filled(const wk_entry *e) {
  return e->filled;
}
bool wk_entry_imported(const wk_entry *e) {
  return (e->trailer.flags & WK_ENTRY_IMPORTED) != 0;
}

void wk_entry_release(wk_entry *e) {
  if (!e)
    return;
  wa_file_unmap(&e->map);
  if (e->stamp_fd >= 0)
    close(e->stamp_fd);
  if (e->fd >= 0)
    close(e->fd); /* drops the shared lock */
  wa_free(e);
}
