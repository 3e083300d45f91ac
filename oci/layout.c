/*
 * layout.c: OCI image layout directories (oci-layout, index.json,
 * blobs/sha256/<hex>) for reading and writing, and oci-archive writing (a
 * tar of a layout). Reading an archive is unpacking it (archive.c) in
 * layout mode and opening the result. Image building is in build.c.
 */
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct wo_layout {
  char dir[PATH_MAX];
  int dir_fd;
  wo_blobs blobs;
};

#define LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"
#define EMPTY_INDEX                                                            \
  "{\"schemaVersion\":2,\"mediaType\":"                                        \
  "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}"

void wo_layout_free(wo_layout *l) {
  if (!l)
    return;
  if (l->dir_fd >= 0)
    close(l->dir_fd);
  if (l->blobs.n)
    close(l->blobs.fd[0]);
  wa_free(l);
}

const wo_blobs *wo_layout_blobs(const wo_layout *l) {
  return &l->blobs;
}
const char *wo_layout_dir(const wo_layout *l) {
  return l->dir;
}

static int read_small(int dir_fd, const char *name, const char *dir, size_t max,
                      uint8_t **out, size_t *out_len, wa_err *err) {
  *out = NULL;
  int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                         "cannot open %s/%s", dir, name);
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s/%s is not a regular file",
                 dir, name);
  else if ((uint64_t)st.st_size > max)
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF,
                 "%s/%s: %lld bytes, more than the %zu allowed", dir, name,
                 (long long)st.st_size, max);
  size_t len = rc == 0 ? (size_t)st.st_size : 0, got = 0;
  uint8_t *buf = rc == 0 ? wa_malloc(len + 1) : NULL;
  if (rc == 0 && !buf)
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory reading %s", name);
  while (rc == 0 && got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      rc = wa_fail(err, WA_EIO, WA_NOOFF, "cannot read %s/%s", dir, name);
    else
      got += (size_t)r;
  }
  close(fd);
  if (rc != 0) {
    wa_free(buf);
    return rc;
  }
  *out = buf;
  *out_len = len;
  return 0;
}

int wo_layout_open(const char *dir, wo_layout **out, wa_err *err) {
  *out = NULL;
  wo_layout *l = wa_calloc(1, sizeof *l);
  if (!l)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  l->dir_fd = -1;
  uint8_t *data = NULL;
  size_t len;
  json_t *j = NULL;
  int rc = 0;
  if (wa_strlcpy(l->dir, dir, sizeof l->dir) != 0) {
    rc = wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", dir);
    goto out;
  }
  l->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (l->dir_fd < 0) {
    rc = wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EIO,
                       "cannot open image layout %s", dir);
    goto out;
  }
  if ((rc = read_small(l->dir_fd, "oci-layout", dir, 4096, &data, &len, err)) !=
      0) {
    wa_err_wrap(err, "not an OCI image layout: ");
    goto out;
  }
  char what[PATH_MAX + 16];
  snprintf(what, sizeof what, "%s/oci-layout", dir);
  if ((rc = wo__json_load(data, len, 4096, what, &j, err)) != 0)
    goto out;
  json_t *v = json_object_get(j, "imageLayoutVersion");
  if (!json_is_string(v) || strncmp(json_string_value(v), "1.", 2) != 0) {
    rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                 "%s: imageLayoutVersion must be a 1.x version string", what);
    goto out;
  }
  int bfd = openat(l->dir_fd, "blobs/sha256",
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (bfd < 0) {
    rc = wa_fail_errno(err, WA_EMALFORMED, "%s/blobs/sha256", dir);
    goto out;
  }
  l->blobs.fd[0] = bfd;
  l->blobs.n = 1;
  *out = l;
  l = NULL;
out:
  json_decref(j);
  wa_free(data);
  wo_layout_free(l);
  return rc;
}

int wo_layout_create(const char *dir, wo_layout **out, wa_err *err) {
  char path[PATH_MAX];
  struct stat st;
  if (snprintf(path, sizeof path, "%s/blobs/sha256", dir) >= (int)sizeof path)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", dir);
  if (wa_mkdirs(path, 0755, err) != 0)
    return err->code;
  snprintf(path, sizeof path, "%s/oci-layout", dir);
  if (stat(path, &st) != 0 &&
      wa_file_publish(path, LAYOUT_FILE, strlen(LAYOUT_FILE), 0644, err) != 0)
    return err->code;
  snprintf(path, sizeof path, "%s/index.json", dir);
  if (stat(path, &st) != 0 &&
      wa_file_publish(path, EMPTY_INDEX, strlen(EMPTY_INDEX), 0644, err) != 0)
    return err->code;
  return wo_layout_open(dir, out, err);
}

static int load_index(wo_layout *l, wa_arena *a, wo_index *out, wa_err *err) {
  uint8_t *data;
  size_t len;
  if (read_small(l->dir_fd, "index.json", l->dir, WO_MANIFEST_MAX, &data, &len,
                 err) != 0)
    return err->code;
  char what[PATH_MAX + 16];
  snprintf(what, sizeof what, "%s/index.json", l->dir);
  int rc = wo_index_parse(data, len, NULL, what, a, out, err);
  wa_free(data);
  return rc;
}

static void list_tags(const wo_index *idx, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; i < idx->n_manifests && used + 4 < n; i++) {
    const char *t = idx->manifests[i].ref_name;
    int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
                     t ? t : "(untagged)");
    if (w < 0 || (size_t)w >= n - used)
      break;
    used += (size_t)w;
  }
  if (!used)
    snprintf(buf, n, "none");
}

int wo_layout_resolve(wo_layout *l, const char *tag, const char *digest,
                      wa_arena *a, wo_desc *out, wa_err *err) {
  wo_index idx;
  memset(out, 0, sizeof *out);
  if (load_index(l, a, &idx, err) != 0)
    return err->code;
  char tags[256];
  list_tags(&idx, tags, sizeof tags);
  if (digest && digest[0]) {
    for (size_t i = 0; i < idx.n_manifests; i++)
      if (strcmp(idx.manifests[i].digest, digest) == 0) {
        *out = idx.manifests[i];
        return 0;
      }
    /* A digest index.json does not list (a platform manifest inside an
     * index): take its kind from its content, verified on use. */
    int fd = openat(l->blobs.fd[0], wo_digest_hex(digest),
                    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      if (fd >= 0)
        close(fd);
      return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                     "no blob %s in image layout %s", digest, l->dir);
    }
    close(fd);
    snprintf(out->digest, sizeof out->digest, "%s", digest);
    out->size = (uint64_t)st.st_size;
    uint8_t *data;
    size_t len;
    wo_role role;
    if (wo_blob_read(&l->blobs, out, WO_MANIFEST_MAX, l->dir, &data, &len,
                     err) != 0)
      return err->code;
    int rc = wo_doc_role(data, len, NULL, digest, &role, err);
    if (rc == 0) {
      json_t *j = json_loadb((const char *)data, len, 0, NULL);
      json_t *mt = j ? json_object_get(j, "mediaType") : NULL;
      const char *mts = json_is_string(mt) ? json_string_value(mt)
                        : role == WO_ROLE_INDEX
                            ? wo__media_types[WO_MT_OCI_INDEX]
                            : wo__media_types[WO_MT_OCI_MANIFEST];
      out->media_type = wa_arena_strndup(a, mts, strlen(mts));
      json_decref(j);
      if (!out->media_type)
        rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    }
    wa_free(data);
    return rc;
  }
  if (!tag || !tag[0]) {
    /* Entries with an artifactType are things attached to an image (the
     * referrers `precompile` adds), never the image to run. */
    size_t n_images = 0, pick = 0;
    for (size_t i = 0; i < idx.n_manifests; i++)
      if (!idx.manifests[i].artifact_type) {
        n_images++;
        pick = i;
      }
    if (n_images == 1) {
      *out = idx.manifests[pick];
      return 0;
    }
    return wa_fail(err, n_images ? WA_EUSAGE : WA_ENOTFOUND, WA_NOOFF,
                   "image layout %s holds %zu images; name one with "
                   "oci:DIR:TAG (tags: %s)",
                   l->dir, n_images, tags);
  }
  for (size_t i = 0; i < idx.n_manifests; i++)
    if (idx.manifests[i].ref_name &&
        strcmp(idx.manifests[i].ref_name, tag) == 0) {
      *out = idx.manifests[i];
      return 0;
    }
  return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                 "no image tagged '%s' in image layout %s (tags: %s)", tag,
                 l->dir, tags);
}

int wo_layout_put_blob(wo_layout *l, const void *data, size_t len,
                       const char *media_type, wo_desc *out, wa_err *err) {
  uint8_t sha[32];
  memset(out, 0, sizeof *out);
  wa_sha256_once(data, len, sha);
  wo_digest_format(sha, out->digest);
  out->size = len;
  out->media_type = media_type;
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/blobs/sha256/%s", l->dir,
               wo_digest_hex(out->digest)) >= (int)sizeof path)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", l->dir);
  struct stat st;
  if (stat(path, &st) == 0 && (uint64_t)st.st_size == len)
    return 0;
  return wa_file_publish(path, data, len, 0644, err);
}

int wo_layout_tag(wo_layout *l, const wo_desc *d, const char *tag,
                  wa_err *err) {
  uint8_t *data = NULL, *outb = NULL;
  size_t len, outn;
  json_t *j = NULL;
  int rc;
  char what[PATH_MAX + 16];
  snprintf(what, sizeof what, "%s/index.json", l->dir);
  if ((rc = read_small(l->dir_fd, "index.json", l->dir, WO_MANIFEST_MAX, &data,
                       &len, err)) != 0 ||
      (rc = wo__json_load(data, len, WO_MANIFEST_MAX, what, &j, err)) != 0)
    goto out;
  json_t *arr = json_object_get(j, "manifests");
  if (!json_is_array(arr)) {
    rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                 "%s: manifests: expected an "
                 "array",
                 what);
    goto out;
  }
  for (size_t i = json_array_size(arr); tag && i-- > 0;) {
    json_t *ann = json_object_get(json_array_get(arr, i), "annotations");
    json_t *name = json_object_get(ann, WO_ANN_REF_NAME);
    if (json_is_string(name) && strcmp(json_string_value(name), tag) == 0)
      json_array_remove(arr, i);
  }
  wo_desc copy = *d;
  copy.ref_name = tag;
  copy.image_name = NULL;
  json_t *dj = wo__desc_json(&copy);
  if (!dj || json_array_append_new(arr, dj) != 0) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory writing %s", what);
    goto out;
  }
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/index.json", l->dir);
  if ((rc = wo__json_dump(j, &outb, &outn, err)) == 0)
    rc = wa_file_publish(path, outb, outn, 0644, err);
out:
  json_decref(j);
  wa_free(data);
  wa_free(outb);
  return rc;
}

/* --------------------------------------------------------- oci-archive */

static int add_tree(struct archive *a, int dir_fd, const char *rel,
                    const char *top, int depth, wa_err *err) {
  if (depth > 8)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "%s: too deeply nested", top);
  int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0)
      close(fd);
    return wa_fail_errno(err, WA_EIO, "cannot list %s/%s", top, rel);
  }
  int rc = 0;
  struct dirent *de;
  uint8_t *buf = NULL;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' &&
        (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
      continue;
    /* Temp files of an interrupted wa_file_publish are not content. */
    if (strstr(de->d_name, ".tmp."))
      continue;
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
    struct stat st;
    if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      rc = wa_fail_errno(err, WA_EIO, "cannot stat %s/%s", top, name);
      break;
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
      continue;
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, S_ISDIR(st.st_mode) ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, S_ISDIR(st.st_mode) ? 0755 : 0644);
    archive_entry_set_size(e, S_ISDIR(st.st_mode) ? 0 : st.st_size);
    archive_entry_set_mtime(e, 0, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK)
      rc = wa_fail(err, WA_EIO, WA_NOOFF, "writing the archive: %s",
                   archive_error_string(a));
    archive_entry_free(e);
    if (rc != 0)
      break;
    if (S_ISDIR(st.st_mode)) {
      int sub = openat(dir_fd, de->d_name,
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        rc = wa_fail_errno(err, WA_EIO, "cannot open %s/%s", top, name);
        break;
      }
      rc = add_tree(a, sub, name, top, depth + 1, err);
      close(sub);
      continue;
    }
    int f = openat(dir_fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (f < 0) {
      rc = wa_fail_errno(err, WA_EIO, "cannot open %s/%s", top, name);
      break;
    }
    if (!buf && !(buf = wa_malloc(65536)))
      rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    for (ssize_t r; rc == 0 && (r = read(f, buf, 65536)) != 0;) {
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        rc = wa_fail_errno(err, WA_EIO, "cannot read %s/%s", top, name);
      else if (archive_write_data(a, buf, (size_t)r) != r)
        rc = wa_fail(err, WA_EIO, WA_NOOFF, "writing the archive: %s",
                     archive_error_string(a));
    }
    close(f);
  }
  wa_free(buf);
  closedir(d);
  return rc;
}

int wo_archive_write(const char *dir, const char *archive_path, wa_err *err) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", archive_path) >=
      (int)sizeof tmp)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", archive_path);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return wa_fail_errno(err, WA_EIO, "cannot open %s", dir);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    close(dfd);
    return wa_fail_errno(err, WA_EIO, "cannot create a temp file beside %s",
                         archive_path);
  }
  struct archive *a = archive_write_new();
  int rc = 0;
  if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_open_fd(a, fd) != ARCHIVE_OK)
    rc = wa_fail(err, WA_EIO, WA_NOOFF, "cannot start the archive %s",
                 archive_path);
  if (rc == 0)
    rc = add_tree(a, dfd, "", dir, 0, err);
  if (a && archive_write_close(a) != ARCHIVE_OK && rc == 0)
    rc = wa_fail(err, WA_EIO, WA_NOOFF, "writing %s: %s", archive_path,
                 archive_error_string(a));
  if (a)
    archive_write_free(a);
  if (rc == 0 && fsync(fd) != 0)
    rc = wa_fail_errno(err, WA_EIO, "cannot fsync %s", tmp);
  close(fd);
  close(dfd);
  if (rc == 0 && rename(tmp, archive_path) != 0)
    rc =
        wa_fail_errno(err, WA_EIO, "cannot rename %s to %s", tmp, archive_path);
  if (rc != 0)
    unlink(tmp);
  return rc;
}
