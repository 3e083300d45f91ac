/*
 * find.c: which bytes of an image are the module. A Wasm artifact carries
 * it as its one Wasm layer; a rootfs image ("compat" image) carries it as
 * the file its config's Entrypoint (or Cmd) names, found by unpacking the
 * layers into a scratch directory and resolving the name inside it.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH                                                           \
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const uint8_t wasm_magic[4] = {0, 'a', 's', 'm'};

void wo_module_clear(wo_module *m) {
  wa_free(m->bytes);
  memset(m, 0, sizeof *m);
}

static int copy_strv(wa_arena *a, const char **in, size_t n, const char ***out,
                     wa_err *err) {
  *out = NULL;
  if (!in)
    return 0;
  const char **v = wa_arena_alloc(a, (n + 1) * sizeof *v);
  if (!v)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  for (size_t i = 0; i < n; i++)
    if (!(v[i] = wa_arena_strndup(a, in[i], strlen(in[i]))))
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  *out = v;
  return 0;
}

static int copy_config(wa_arena *a, const wo_config *c, wo_config *out,
                       wa_err *err) {
  memset(out, 0, sizeof *out);
  if (!c)
    return 0;
  out->platform = c->platform;
  out->n_entrypoint = c->n_entrypoint;
  out->n_cmd = c->n_cmd;
  out->n_env = c->n_env;
  out->n_diff_ids = c->n_diff_ids;
  if (copy_strv(a, c->entrypoint, c->n_entrypoint, &out->entrypoint, err) ||
      copy_strv(a, c->cmd, c->n_cmd, &out->cmd, err) ||
      copy_strv(a, c->env, c->n_env, &out->env, err) ||
      copy_strv(a, c->diff_ids, c->n_diff_ids, &out->diff_ids, err))
    return err->code;
  if (c->working_dir && !(out->working_dir = wa_arena_strndup(
                              a, c->working_dir, strlen(c->working_dir))))
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  return 0;
}

static int find_artifact(const wo_blobs *blobs, const wo_manifest *m,
                         bool wasm_config, const wo_limits *lim, wo_module *out,
                         wa_err *err) {
  const wo_desc *layer = NULL;
  size_t n_wasm = 0;
  for (size_t i = 0; i < m->n_layers; i++)
    if (wo_media_role(m->layers[i].media_type) == WO_ROLE_WASM_LAYER) {
      layer = &m->layers[i];
      n_wasm++;
    }
  /* The CNCF artifact layout: "a consumer that sees more than a single
   * layer ... should reject it". */
  if (wasm_config && m->n_layers != 1)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "the Wasm artifact has %zu layers; exactly one is "
                   "supported",
                   m->n_layers);
  if (n_wasm != 1)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "the image has %zu Wasm layers; exactly one is supported",
                   n_wasm);
  if (wo_blob_read(blobs, layer, (size_t)lim->max_entry, "the Wasm layer",
                   &out->bytes, &out->len, err) != 0)
    return err->code;
  if (out->len < 4 || memcmp(out->bytes, wasm_magic, 4) != 0)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "the Wasm layer %s does not start with \\0asm",
                   layer->digest);
  snprintf(out->digest, sizeof out->digest, "%s", layer->digest);
  out->kind = WO_IMAGE_ARTIFACT;
  return 0;
}

static const char *env_path(const wo_config *c) {
  for (size_t i = 0; i < c->n_env; i++)
    if (strncmp(c->env[i], "PATH=", 5) == 0)
      return c->env[i] + 5;
  return DEFAULT_PATH;
}

static bool is_file_in_root(int root, const char *path) {
  char clean[PATH_MAX];
  wa_err e;
  wa_err_init(&e);
  int fd;
  if (wo__path_clean(path, true, clean, sizeof clean, &e) != 0 ||
      wo__open_in_root(root, clean, O_RDONLY, &fd, &e) != 0)
    return false;
  struct stat st;
  bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  close(fd);
  return ok;
}

/* argv[0] as a container runtime would resolve it, but inside the root. */
static int resolve_argv0(int root, const wo_config *c, const char *argv0,
                         char *out, size_t n, wa_err *err) {
  const char *wd = c->working_dir && c->working_dir[0] ? c->working_dir : "/";
  if (argv0[0] == '/') {
    snprintf(out, n, "%s", argv0);
    return 0;
  }
  if (!strchr(argv0, '/')) {
    const char *p = env_path(c);
    while (*p) {
      size_t len = strcspn(p, ":");
      snprintf(out, n, "%.*s/%s", (int)len, len ? p : ".", argv0);
      if (out[0] == '/' && is_file_in_root(root, out))
        return 0;
      p += len + (p[len] == ':');
    }
  }
  if (snprintf(out, n, "%s/%s", wd, argv0) >= (int)n)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "entrypoint '%.200s' too long",
                   argv0);
  return 0;
}

static int read_module(int root, const char *path, const wo_limits *lim,
                       wo_module *out, wa_err *err) {
  char clean[PATH_MAX];
  int fd = -1, rc;
  if ((rc = wo__path_clean(path, true, clean, sizeof clean, err)) != 0)
    return rc;
  if (wo__open_in_root(root, clean, O_RDONLY, &fd, err) != 0) {
    wa_err_wrap(err, "the entrypoint %.200s: ", path);
    return err->code;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                 "the entrypoint %.200s is not a regular file", path);
    goto out;
  }
  if ((uint64_t)st.st_size > lim->max_entry) {
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF,
                 "the entrypoint %.200s is %lld bytes, more than the %llu "
                 "allowed",
                 path, (long long)st.st_size,
                 (unsigned long long)lim->max_entry);
    goto out;
  }
  size_t len = (size_t)st.st_size, got = 0;
  if (!(out->bytes = wa_malloc(len ? len : 1))) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory reading %s", path);
    goto out;
  }
  while (got < len) {
    ssize_t r = read(fd, out->bytes + got, len - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      rc = wa_fail(err, WA_EIO, WA_NOOFF, "cannot read %s", path);
      goto out;
    }
    got += (size_t)r;
  }
  out->len = len;
  if (len < 4 || memcmp(out->bytes, wasm_magic, 4) != 0) {
    rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                 "the entrypoint %.200s is not a Wasm module (it does not "
                 "start with \\0asm)",
                 path);
    goto out;
  }
  if (snprintf(out->path, sizeof out->path, "/%s", clean) >=
      (int)sizeof out->path)
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "module path too long");
out:
  close(fd);
  return rc;
}

static int find_rootfs(const wo_blobs *blobs, const wo_manifest *m,
                       const wo_config *c, const char *scratch_dir,
                       const wo_limits *lim, wo_module *out, wa_err *err) {
  const char *argv0 = c->n_entrypoint ? c->entrypoint[0]
                      : c->n_cmd      ? c->cmd[0]
                                      : NULL;
  if (!argv0 || !argv0[0])
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                   "the image config has neither Entrypoint nor Cmd, so no "
                   "module to run");
  char tmp[PATH_MAX], rootfs[PATH_MAX], path[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s/find.XXXXXX", scratch_dir) >=
      (int)sizeof tmp)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", scratch_dir);
  if (!mkdtemp(tmp))
    return wa_fail_errno(err, WA_EIO, "cannot create a scratch dir in %s",
                         scratch_dir);
  if (snprintf(rootfs, sizeof rootfs, "%s/rootfs", tmp) >= (int)sizeof rootfs) {
    wo__rmtree_quiet(tmp);
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", tmp);
  }
  int root = -1, rc = wo_rootfs_unpack(blobs, m, c, rootfs, lim, err);
  if (rc == 0 && (root = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    rc = wa_fail_errno(err, WA_EIO, "cannot open %s", rootfs);
  if (rc == 0)
    rc = resolve_argv0(root, c, argv0, path, sizeof path, err);
  if (rc == 0)
    rc = read_module(root, path, lim, out, err);
  if (rc == 0) {
    uint8_t sha[32];
    wa_sha256_once(out->bytes, out->len, sha);
    wo_digest_format(sha, out->digest);
    out->kind = WO_IMAGE_ROOTFS;
  }
  if (root >= 0)
    close(root);
  wo__rmtree_quiet(tmp);
  return rc;
}

int wo_find_module(const wo_blobs *blobs, const wo_manifest *m,
                   const wo_config *c, const char *scratch_dir,
                   const wo_limits *lim_in, wa_arena *a, wo_module *out,
                   wa_err *err) {
  memset(out, 0, sizeof *out);
  wo_limits lim;
  if (lim_in && lim_in->max_total)
    lim = *lim_in;
  else
    wo_limits_default(&lim);
  bool wasm_config = wo_media_role(m->config.media_type) == WO_ROLE_WASM_CONFIG;
  bool wasm_layers = false;
  for (size_t i = 0; i < m->n_layers; i++)
    wasm_layers |= wo_media_role(m->layers[i].media_type) == WO_ROLE_WASM_LAYER;
  int rc;
  if (wasm_config || wasm_layers)
    rc = find_artifact(blobs, m, wasm_config, &lim, out, err);
  else if (!c)
    rc =
        wa_fail(err, WA_EINTERNAL, WA_NOOFF, "a rootfs image needs its config");
  else if (m->n_layers == 0)
    rc = wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "the image has no layers");
  else
    rc = find_rootfs(blobs, m, c, scratch_dir, &lim, out, err);
  if (rc == 0)
    rc = copy_config(a, c, &out->config, err);
  if (rc != 0)
    wo_module_clear(out);
  return rc;
}
