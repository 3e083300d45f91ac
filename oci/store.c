/*
 * store.c: the local image store. It is an OCI image layout whose
 * index.json entries carry wasmaot annotations (selected manifest,
 * platform, module digest, every referenced blob), plus incoming/ for
 * downloads and two lock files so the CLI and the shim can share it.
 * Blobs appear only after verification; the ref entry is written last.
 * Pulling itself is pull.c.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ANN_MANIFEST "io.wasmaot.manifest"
#define ANN_MANIFEST_SIZE "io.wasmaot.manifest.size"
#define ANN_MANIFEST_TYPE "io.wasmaot.manifest.type"
#define ANN_PLATFORM "io.wasmaot.platform"
#define ANN_KIND "io.wasmaot.kind"
#define ANN_MODULE "io.wasmaot.module"
#define ANN_MODULE_SIZE "io.wasmaot.module.size"
#define ANN_MODULE_PATH "io.wasmaot.module.path"
#define ANN_SIZE "io.wasmaot.size"
#define ANN_PULLED "io.wasmaot.pulled"
#define ANN_BLOBS "io.wasmaot.blobs"

#define INDEX_MAX (64u << 20)
#define STALE_INCOMING (24 * 3600) /* seconds before gc drops a partial */

int wo_store_default_root(char *buf, size_t n, wa_err *err) {
  const char *d = getenv("WASMAOT_STORE_DIR");
  const char *xdg = getenv("XDG_DATA_HOME");
  char hbuf[PATH_MAX];
  const char *home = wa_home_dir(hbuf, sizeof hbuf);
  int w;
  if (d && d[0])
    w = snprintf(buf, n, "%s", d);
  else if (xdg && xdg[0] == '/') /* the XDG spec ignores relative values */
    w = snprintf(buf, n, "%s/wasmaot/images", xdg);
  else if (home && home[0])
    w = snprintf(buf, n, "%s/.local/share/wasmaot/images", home);
  else
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "no image store location: set WASMAOT_STORE_DIR or HOME");
  if (w < 0 || (size_t)w >= n)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "image store path too long");
  return 0;
}

void wo_store_free(wo_store *s) {
  if (!s)
    return;
  if (s->root_fd >= 0)
    close(s->root_fd);
  if (s->blobs_fd >= 0)
    close(s->blobs_fd);
  if (s->incoming_fd >= 0)
    close(s->incoming_fd);
  wa_free(s);
}

const char *wo_store_root(const wo_store *s) {
  return s->root;
}

static int open_sub(wo_store *s, const char *name, int *out, wa_err *err) {
  *out =
      openat(s->root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (*out < 0)
    return wa_fail_errno(err, WA_EIO, "cannot open %s/%s", s->root, name);
  return 0;
}

int wo_store_open(const char *root, wo_store **out, wa_err *err) {
  *out = NULL;
  wo_store *s = wa_calloc(1, sizeof *s);
  if (!s)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  s->root_fd = s->blobs_fd = s->incoming_fd = -1;
  int rc = 0;
  char path[PATH_MAX + 32];
  wo_layout *l = NULL;
  if (wa_strlcpy(s->root, root, sizeof s->root) != 0) {
    rc = wa_fail(err, WA_EUSAGE, WA_NOOFF, "store path too long");
    goto out;
  }
  /* The layout part (oci-layout, index.json, blobs/sha256). */
  if ((rc = wo_layout_create(root, &l, err)) != 0)
    goto out;
  const char *subs[] = {"incoming", "tmp"};
  for (size_t i = 0; i < 2 && rc == 0; i++) {
    snprintf(path, sizeof path, "%s/%s", root, subs[i]);
    rc = wa_mkdirs(path, 0755, err);
  }
  if (rc != 0)
    goto out;
  s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->root_fd < 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot open %s", root);
    goto out;
  }
  if ((rc = open_sub(s, "blobs/sha256", &s->blobs_fd, err)) != 0 ||
      (rc = open_sub(s, "incoming", &s->incoming_fd, err)) != 0)
    goto out;
  *out = s;
  s = NULL;
out:
  if (rc != 0)
    wa_err_wrap(err, "opening image store %s: ", root);
  wo_layout_free(l);
  wo_store_free(s);
  return rc;
}

int wo__store_lock(wo_store *s, const char *name, int op, int *out_fd,
                   wa_err *err) {
  int fd = openat(s->root_fd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && (errno == EACCES || errno == EROFS))
    fd = openat(s->root_fd, name, O_RDONLY | O_CLOEXEC); /* read-only user */
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "cannot open lock %s/%s", s->root, name);
  while (flock(fd, op) != 0) {
    if (errno == EINTR)
      continue;
    wa_fail_errno(err, errno == EWOULDBLOCK ? WA_EBUSY : WA_EIO,
                  "cannot lock %s/%s", s->root, name);
    close(fd);
    return err->code;
  }
  *out_fd = fd;
  return 0;
}

void wo__store_unlock(int fd) {
  if (fd >= 0)
    close(fd); /* releases the flock */
}

bool wo__store_has(wo_store *s, const wo_desc *d) {
  struct stat st;
  return fstatat(s->blobs_fd, wo_digest_hex(d->digest), &st,
                 AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG(st.st_mode) && (uint64_t)st.st_size == d->size;
}

/* ------------------------------------------------------------ index.json */

static int load_index(wo_store *s, json_t **out, wa_err *err) {
  char path[PATH_MAX + 32];
  uint8_t *data;
  size_t len;
  snprintf(path, sizeof path, "%s/index.json", s->root);
  if (wa_file_read(path, &data, &len, err) != 0)
    return err->code;
  int rc = wo__json_load(data, len, INDEX_MAX, path, out, err);
  wa_free(data);
  if (rc == 0 && !json_is_array(json_object_get(*out, "manifests"))) {
    json_decref(*out);
    *out = NULL;
    rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                 "%s: manifests: expected an "
                 "array",
                 path);
  }
  return rc;
}

static int save_index(wo_store *s, json_t *j, wa_err *err) {
  char path[PATH_MAX + 32];
  uint8_t *data;
  size_t len;
  snprintf(path, sizeof path, "%s/index.json", s->root);
  if (wo__json_dump(j, &data, &len, err) != 0)
    return err->code;
  int rc = wa_file_publish(path, data, len, 0644, err);
  wa_free(data);
  return rc;
}

static const char *ann(json_t *entry, const char *key) {
  return json_string_value(
      json_object_get(json_object_get(entry, "annotations"), key));
}

static uint64_t ann_u64(json_t *entry, const char *key) {
  const char *v = ann(entry, key);
  return v ? strtoull(v, NULL, 10) : 0;
}

/* Fills info from an entry; false for entries wasmaot did not write. */
static bool entry_info(json_t *e, wo_image_info *info) {
  memset(info, 0, sizeof *info);
  const char *name = ann(e, WO_ANN_REF_NAME), *man = ann(e, ANN_MANIFEST);
  const char *digest = json_string_value(json_object_get(e, "digest"));
  if (!name || !man || !digest)
    return false;
  wa_err e2;
  wa_err_init(&e2);
  snprintf(info->name, sizeof info->name, "%s", name);
  snprintf(info->digest, sizeof info->digest, "%s", digest);
  snprintf(info->manifest_digest, sizeof info->manifest_digest, "%s", man);
  snprintf(info->module_digest, sizeof info->module_digest, "%s",
           ann(e, ANN_MODULE) ? ann(e, ANN_MODULE) : "");
  const char *plat = ann(e, ANN_PLATFORM);
  if (plat && wo_platform_parse(plat, &info->platform, &e2) != 0)
    memset(&info->platform, 0, sizeof info->platform);
  const char *kind = ann(e, ANN_KIND);
  info->kind =
      kind && strcmp(kind, "rootfs") == 0 ? WO_IMAGE_ROOTFS : WO_IMAGE_ARTIFACT;
  info->module_size = ann_u64(e, ANN_MODULE_SIZE);
  info->size = ann_u64(e, ANN_SIZE);
  info->pulled_at = (int64_t)ann_u64(e, ANN_PULLED);
  return true;
}

static int set_ann(json_t *a, const char *k, const char *v) {
  return json_object_set_new(a, k, json_string(v));
}

static json_t *entry_json(const wo_desc *top, const wo_image_info *info,
                          const char *module_path, const char *const *blobs,
                          size_t n_blobs, const char *manifest_type,
                          uint64_t manifest_size) {
  wo_desc d = *top;
  d.has_platform = false;
  d.ref_name = info->name;
  d.image_name = info->name;
  json_t *e = wo__desc_json(&d);
  json_t *a = e ? json_object_get(e, "annotations") : NULL;
  if (!a)
    return e;
  char num[32], plat[100];
  wa_buf list;
  wa_buf_init(&list);
  wa_err e2;
  wa_err_init(&e2);
  for (size_t i = 0; i < n_blobs; i++)
    if (wa_buf_printf(&list, &e2, "%s%s", i ? "," : "", blobs[i]) != 0)
      break;
  int bad = wa_buf_u8(&list, 0, &e2) != 0;
  bad |= set_ann(a, ANN_MANIFEST, info->manifest_digest);
  bad |= set_ann(a, ANN_MANIFEST_TYPE, manifest_type);
  snprintf(num, sizeof num, "%llu", (unsigned long long)manifest_size);
  bad |= set_ann(a, ANN_MANIFEST_SIZE, num);
  bad |= set_ann(a, ANN_PLATFORM,
                 wo_platform_str(&info->platform, plat, sizeof plat));
  bad |= set_ann(a, ANN_KIND,
                 info->kind == WO_IMAGE_ROOTFS ? "rootfs" : "artifact");
  bad |= set_ann(a, ANN_MODULE, info->module_digest);
  snprintf(num, sizeof num, "%llu", (unsigned long long)info->module_size);
  bad |= set_ann(a, ANN_MODULE_SIZE, num);
  if (module_path && module_path[0])
    bad |= set_ann(a, ANN_MODULE_PATH, module_path);
  snprintf(num, sizeof num, "%llu", (unsigned long long)info->size);
  bad |= set_ann(a, ANN_SIZE, num);
  snprintf(num, sizeof num, "%lld", (long long)info->pulled_at);
  bad |= set_ann(a, ANN_PULLED, num);
  if (!bad)
    bad |= set_ann(a, ANN_BLOBS, (const char *)list.data);
  wa_buf_free(&list);
  if (bad) {
    json_decref(e);
    return NULL;
  }
  return e;
}

/* Moves incoming/<hex> to blobs/sha256/<hex>; a blob already there stays
 * (same digest, same bytes) and the incoming copy is dropped. */
static int publish_blob(wo_store *s, const char *digest, wa_err *err) {
  const char *hex = wo_digest_hex(digest);
  struct stat st;
  if (fstatat(s->blobs_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    unlinkat(s->incoming_fd, hex, 0);
    return 0;
  }
  if (renameat(s->incoming_fd, hex, s->blobs_fd, hex) != 0) {
    /* A concurrent pull of the same blob may have published it first. */
    if (errno == ENOENT &&
        fstatat(s->blobs_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0)
      return 0;
    return wa_fail_errno(err, WA_EIO, "cannot publish blob %s into %s", digest,
                         s->root);
  }
  return 0;
}

int wo__store_commit(wo_store *s, const wo_desc *top, const wo_desc *manifest,
                     const wo_image_info *info, const char *module_path,
                     const char *const *blobs, size_t n_blobs, wa_err *err) {
  int lk, rc;
  json_t *j = NULL;
  if ((rc = wo__store_lock(s, "index.lock", LOCK_EX, &lk, err)) != 0)
    return rc;
  for (size_t i = 0; rc == 0 && i < n_blobs; i++)
    rc = publish_blob(s, blobs[i], err);
  if (rc == 0)
    rc = wo__fsync_dir(s->blobs_fd, s->root, err);
  if (rc == 0)
    rc = load_index(s, &j, err);
  if (rc == 0) {
    json_t *arr = json_object_get(j, "manifests");
    for (size_t i = json_array_size(arr); i-- > 0;) {
      const char *n = ann(json_array_get(arr, i), WO_ANN_REF_NAME);
      if (n && strcmp(n, info->name) == 0)
        json_array_remove(arr, i);
    }
    json_t *e = entry_json(top, info, module_path, blobs, n_blobs,
                           manifest->media_type, manifest->size);
    if (!e || json_array_append_new(arr, e) != 0)
      rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  }
  if (rc == 0)
    rc = save_index(s, j, err);
  json_decref(j);
  wo__store_unlock(lk);
  return rc;
}

/* ----------------------------------------------------------- listing */

static int cmp_info(const void *a, const void *b) {
  return strcmp(((const wo_image_info *)a)->name,
                ((const wo_image_info *)b)->name);
}

int wo_store_list(wo_store *s, wo_image_info **out, size_t *out_n,
                  wa_err *err) {
  *out = NULL;
  *out_n = 0;
  json_t *j;
  if (load_index(s, &j, err) != 0)
    return err->code;
  json_t *arr = json_object_get(j, "manifests");
  size_t n = json_array_size(arr), k = 0;
  wo_image_info *v = wa_calloc(n ? n : 1, sizeof *v);
  if (!v) {
    json_decref(j);
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  }
  for (size_t i = 0; i < n; i++)
    if (entry_info(json_array_get(arr, i), &v[k]))
      k++;
  json_decref(j);
  qsort(v, k, sizeof *v, cmp_info);
  *out = v;
  *out_n = k;
  return 0;
}

/* ------------------------------------------------------------ matching */

static bool all_hex(const char *s) {
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

/*
 * Marks the entries 'query' names: by canonical reference first, else by
 * full digest, else by a hex prefix (>= 12 digits) of an image or manifest
 * digest, which must then be unambiguous.
 */
static int match_entries(json_t *arr, const char *query, bool *hit,
                         size_t *out_n, wa_err *err) {
  size_t n = json_array_size(arr), count = 0;
  wo_ref ref;
  char canon[600] = "";
  wa_err e2;
  wa_err_init(&e2);
  if (wo_ref_parse(query, &ref, &e2) == 0)
    wo_ref_name(&ref, canon, sizeof canon);
  for (size_t i = 0; i < n; i++) {
    const char *name = ann(json_array_get(arr, i), WO_ANN_REF_NAME);
    hit[i] = name && (strcmp(name, canon) == 0 || strcmp(name, query) == 0);
    count += hit[i];
  }
  const char *hex = strncmp(query, "sha256:", 7) == 0 ? query + 7 : query;
  size_t hl = strlen(hex);
  bool full = hex != query;
  if (count == 0 && all_hex(hex) && (full ? hl == 64 : hl >= 12 && hl <= 64)) {
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
      json_t *e = json_array_get(arr, i);
      wo_image_info info;
      if (!entry_info(e, &info))
        continue;
      const char *d[2] = {wo_digest_hex(info.digest),
                          wo_digest_hex(info.manifest_digest)};
      for (int k = 0; k < 2 && !hit[i]; k++)
        if (strncmp(d[k], hex, hl) == 0) {
          hit[i] = true;
          if (!first)
            first = json_string_value(json_object_get(e, "digest"));
          else if (strcmp(first, info.digest) != 0)
            return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                           "'%s' matches more than one image; give more "
                           "digits",
                           query);
        }
      count += hit[i];
    }
  }
  if (count == 0)
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                   "no image '%s' in the store (see 'wasmaot images')", query);
  *out_n = count;
  return 0;
}

int wo_store_remove(wo_store *s, const char *query, size_t *out_removed,
                    uint64_t *out_blobs, uint64_t *out_bytes, wa_err *err) {
  int lk, rc;
  json_t *j = NULL;
  bool *hit = NULL;
  size_t n_hit = 0;
  if ((rc = wo__store_lock(s, "index.lock", LOCK_EX, &lk, err)) != 0)
    return rc;
  if ((rc = load_index(s, &j, err)) != 0)
    goto out;
  json_t *arr = json_object_get(j, "manifests");
  size_t n = json_array_size(arr);
  if (!(hit = wa_calloc(n ? n : 1, sizeof *hit))) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  if ((rc = match_entries(arr, query, hit, &n_hit, err)) != 0)
    goto out;
  for (size_t i = n; i-- > 0;)
    if (hit[i])
      json_array_remove(arr, i);
  rc = save_index(s, j, err);
out:
  wa_free(hit);
  json_decref(j);
  wo__store_unlock(lk);
  if (rc == 0 && out_removed)
    *out_removed = n_hit;
  if (rc == 0)
    rc = wo_store_gc(s, out_blobs, out_bytes, err);
  return rc;
}

/* ------------------------------------------------------------------ gc */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Hex digests every entry references (entries by other tools keep at
 * least their own digest). Strings point into j. */
static int marked_set(json_t *j, const char ***out, size_t *out_n,
                      char **out_pool, wa_err *err) {
  json_t *arr = json_object_get(j, "manifests");
  wa_buf pool;
  wa_buf_init(&pool);
  size_t count = 0;
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *e = json_array_get(arr, i);
    const char *d = json_string_value(json_object_get(e, "digest"));
    const char *list = ann(e, ANN_BLOBS);
    if (d && (wa_buf_printf(&pool, err, "%s,", d) != 0))
      goto fail;
    if (list && (wa_buf_printf(&pool, err, "%s,", list) != 0))
      goto fail;
  }
  if (wa_buf_u8(&pool, 0, err) != 0)
    goto fail;
  char *p = (char *)pool.data;
  for (char *c = p; *c; c++)
    count += *c == ',';
  const char **v = wa_calloc(count ? count : 1, sizeof *v);
  if (!v) {
    wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto fail;
  }
  size_t k = 0;
  char *save = NULL;
  for (char *t = strtok_r(p, ",", &save); t; t = strtok_r(NULL, ",", &save))
    v[k++] = wo_digest_hex(t);
  qsort(v, k, sizeof *v, cmp_str);
  *out = v;
  *out_n = k;
  *out_pool = p;
  return 0;
fail:
  wa_buf_free(&pool);
  return err->code;
}

static int sweep(int dir_fd, const char *what, const char **keep, size_t n_keep,
                 time_t older_than, uint64_t *n_out, uint64_t *bytes_out,
                 wa_err *err) {
  int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0)
      close(fd);
    return wa_fail_errno(err, WA_EIO, "cannot list %s", what);
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    const char *name = e->d_name;
    if (keep && bsearch(&name, keep, n_keep, sizeof *keep, cmp_str))
      continue;
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (older_than && st.st_mtime > older_than)
      continue;
    if ((rc = wo__rm_at(dir_fd, name, err)) == 0) {
      if (n_out)
        (*n_out)++;
      if (bytes_out && S_ISREG(st.st_mode))
        *bytes_out += (uint64_t)st.st_size;
    }
  }
  closedir(d);
  return rc;
}

int wo_store_gc(wo_store *s, uint64_t *out_blobs, uint64_t *out_bytes,
                wa_err *err) {
  int big = -1, lk = -1, rc, tmp_fd = -1;
  json_t *j = NULL;
  const char **keep = NULL;
  char *pool = NULL;
  size_t n_keep = 0;
  uint64_t nb = 0, bytes = 0;
  /* Exclusive on 'lock' waits for running pulls and opens. */
  if ((rc = wo__store_lock(s, "lock", LOCK_EX, &big, err)) != 0 ||
      (rc = wo__store_lock(s, "index.lock", LOCK_EX, &lk, err)) != 0 ||
      (rc = load_index(s, &j, err)) != 0 ||
      (rc = marked_set(j, &keep, &n_keep, &pool, err)) != 0)
    goto out;
  if ((rc = sweep(s->blobs_fd, "blobs/sha256", keep, n_keep, 0, &nb, &bytes,
                  err)) != 0)
    goto out;
  if ((rc = sweep(s->incoming_fd, "incoming", NULL, 0,
                  time(NULL) - STALE_INCOMING, NULL, NULL, err)) != 0)
    goto out;
  if ((rc = open_sub(s, "tmp", &tmp_fd, err)) == 0)
    rc = sweep(tmp_fd, "tmp", NULL, 0, 0, NULL, NULL, err);
out:
  if (tmp_fd >= 0)
    close(tmp_fd);
  wa_free(keep);
  wa_free(pool);
  json_decref(j);
  wo__store_unlock(lk);
  wo__store_unlock(big);
  if (rc == 0 && out_blobs)
    *out_blobs = nb;
  if (rc == 0 && out_bytes)
    *out_bytes = bytes;
  return rc;
}

/* ------------------------------------------------------------- opening */

/* Opens a stored image; with 'rootfs' (a path that must not exist) a rootfs
 * image's layers are unpacked there too, under the same shared lock. */
static int image_open(wo_store *s, const char *query, wa_arena *a,
                      wo_image_info *info, wo_module *mod, const char *rootfs,
                      wa_err *err) {
  int big = -1, rc;
  json_t *j = NULL;
  bool *hit = NULL;
  uint8_t *mbytes = NULL, *cbytes = NULL;
  size_t mlen, clen, n_hit;
  memset(mod, 0, sizeof *mod);
  /* Shared on 'lock': gc cannot delete the blobs while we read them. */
  if ((rc = wo__store_lock(s, "lock", LOCK_SH, &big, err)) != 0 ||
      (rc = load_index(s, &j, err)) != 0)
    goto out;
  json_t *arr = json_object_get(j, "manifests");
  size_t n = json_array_size(arr);
  if (!(hit = wa_calloc(n ? n : 1, sizeof *hit))) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  if ((rc = match_entries(arr, query, hit, &n_hit, err)) != 0)
    goto out;
  json_t *e = NULL;
  for (size_t i = 0; i < n && !e; i++)
    if (hit[i])
      e = json_array_get(arr, i);
  if (!entry_info(e, info) || !ann(e, ANN_MANIFEST_TYPE)) {
    rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                 "store entry '%s' lacks wasmaot annotations", query);
    goto out;
  }
  wo_blobs blobs = {.fd = {s->blobs_fd}, .n = 1};
  wo_desc md = {.media_type = ann(e, ANN_MANIFEST_TYPE),
                .size = ann_u64(e, ANN_MANIFEST_SIZE)};
  snprintf(md.digest, sizeof md.digest, "%s", info->manifest_digest);
  wo_manifest m;
  wo_config c;
  if ((rc = wo_blob_read(&blobs, &md, WO_MANIFEST_MAX, "the store", &mbytes,
                         &mlen, err)) != 0 ||
      (rc = wo_manifest_parse(mbytes, mlen, md.media_type, md.digest, a, &m,
                              err)) != 0 ||
      (rc = wo_blob_read(&blobs, &m.config, WO_CONFIG_MAX, "the store", &cbytes,
                         &clen, err)) != 0 ||
      (rc = wo_config_parse(cbytes, clen, m.config.media_type, m.config.digest,
                            a, &c, err)) != 0)
    goto out;
  wo_desc mod_desc = {.size = info->module_size};
  snprintf(mod_desc.digest, sizeof mod_desc.digest, "%s", info->module_digest);
  wo_limits lim;
  wo_limits_default(&lim);
  if ((rc = wo_blob_read(&blobs, &mod_desc, (size_t)lim.max_entry, "the store",
                         &mod->bytes, &mod->len, err)) != 0)
    goto out;
  if (rootfs && info->kind == WO_IMAGE_ROOTFS &&
      (rc = wo_rootfs_unpack(&blobs, &m, &c, rootfs, &lim, err)) != 0)
    goto out;
  mod->kind = info->kind;
  mod->config = c;
  snprintf(mod->digest, sizeof mod->digest, "%s", info->module_digest);
  snprintf(mod->path, sizeof mod->path, "%s",
           ann(e, ANN_MODULE_PATH) ? ann(e, ANN_MODULE_PATH) : "");
out:
  if (rc != 0) {
    wa_err_wrap(err, "opening stored image %s: ", query);
    wo_module_clear(mod);
  }
  wa_free(mbytes);
  wa_free(cbytes);
  wa_free(hit);
  json_decref(j);
  wo__store_unlock(big);
  return rc;
}

int wo_store_image_open(wo_store *s, const char *query, wa_arena *a,
                        wo_image_info *info, wo_module *mod, wa_err *err) {
  return image_open(s, query, a, info, mod, NULL, err);
}

int wo_store_image_open_rootfs(wo_store *s, const char *query, wa_arena *a,
                               const char *rootfs, wo_image_info *info,
                               wo_module *mod, wa_err *err) {
  return image_open(s, query, a, info, mod, rootfs, err);
}
