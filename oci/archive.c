/*
 * archive.c: unpacking tar streams (plain, gzip, zstd) with libarchive
 * for reading only. Every entry is checked and created here, beneath a
 * root fd (path.c); libarchive's own disk writer is not used. Layers are
 * read in up to three passes: the uncompressed digest, whiteouts, entries.
 */
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"
#define READ_BLOCK (64 * 1024)

void wo_limits_default(wo_limits *l) {
  l->max_total = 8ull << 30;
  l->max_entry = 2ull << 30;
  l->max_entries = 1u << 20;
}

/* One pass over tar_fd from its start: 'raw' reads the decompressed
 * stream as one entry (for the diff_id), otherwise tar entries. */
static int reader_open(struct archive **out, int tar_fd, bool raw,
                       const char *what, wa_err *err) {
  *out = NULL;
  if (lseek(tar_fd, 0, SEEK_SET) < 0)
    return wa_fail_errno(err, WA_EIO, "cannot seek %s", what);
  struct archive *a = archive_read_new();
  if (!a)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory reading %s", what);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  if (raw)
    archive_read_support_format_raw(a);
  else
    archive_read_support_format_tar(a);
  if (archive_read_open_fd(a, tar_fd, READ_BLOCK) != ARCHIVE_OK) {
    wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s", what,
            archive_error_string(a) ? archive_error_string(a)
                                    : "cannot read the archive");
    archive_read_free(a);
    return err->code;
  }
  *out = a;
  return 0;
}

static int ar_fail(struct archive *a, const char *what, const char *path,
                   wa_err *err) {
  const char *m = archive_error_string(a);
  return wa_fail(err, WA_EMALFORMED, WA_NOOFF, "%s: %s%s%s", what,
                 path ? path : "", path ? ": " : "",
                 m ? m : "malformed archive");
}

/* next header; 1 at the end, 0 with an entry, <0 on error. ARCHIVE_WARN
 * (e.g. a name not convertible to the locale) keeps the raw name. */
static int next_entry(struct archive *a, struct archive_entry **e,
                      const char *what, wa_err *err) {
  int r = archive_read_next_header(a, e);
  if (r == ARCHIVE_EOF)
    return 1;
  if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
    return 0;
  return ar_fail(a, what, NULL, err);
}

static int diff_id_pass(int tar_fd, const char *what, const wo_limits *lim,
                        uint8_t out[32], wa_err *err) {
  struct archive *a;
  if (reader_open(&a, tar_fd, true, what, err) != 0)
    return err->code;
  struct archive_entry *e;
  int rc = next_entry(a, &e, what, err);
  wa_sha256 s;
  wa_sha256_init(&s);
  uint64_t total = 0;
  /* An empty input has no raw entry; its digest is that of no bytes. */
  if (rc == 1)
    rc = 0;
  else
    for (uint8_t buf[16384]; rc == 0;) {
      la_ssize_t r = archive_read_data(a, buf, sizeof buf);
      if (r < 0) {
        rc = ar_fail(a, what, NULL, err);
        break;
      }
      if (r == 0)
        break;
      total += (uint64_t)r;
      if (total > lim->max_total) /* a decompression bomb stops here */
        rc = wa_fail(err, WA_ELIMIT, WA_NOOFF,
                     "%s: uncompressed size exceeds the limit of %llu bytes",
                     what, (unsigned long long)lim->max_total);
      wa_sha256_update(&s, buf, (size_t)r);
    }
  archive_read_free(a);
  if (rc == 0)
    wa_sha256_final(&s, out);
  return rc;
}

/* Splits a clean path into its parent and last component. */
static void split(char *clean, const char **parent, const char **leaf) {
  char *slash = strrchr(clean, '/');
  if (slash) {
    *slash = 0;
    *parent = clean;
    *leaf = slash + 1;
  } else {
    *parent = "";
    *leaf = clean;
  }
}

static int whiteout_pass(int root_fd, int tar_fd, const char *what,
                         wa_err *err) {
  struct archive *a;
  if (reader_open(&a, tar_fd, false, what, err) != 0)
    return err->code;
  struct archive_entry *e;
  int rc;
  while ((rc = next_entry(a, &e, what, err)) == 0) {
    const char *name = archive_entry_pathname(e);
    char clean[PATH_MAX];
    const char *parent, *leaf;
    if (!name) {
      rc = ar_fail(a, what, "entry without a name", err);
      break;
    }
    if (wo__path_clean(name, false, clean, sizeof clean, err) != 0) {
      wa_err_wrap(err, "%s: ", what);
      rc = err->code;
      break;
    }
    split(clean, &parent, &leaf);
    if (strncmp(leaf, WHITEOUT, 4) != 0)
      continue;
    const char *target = leaf + 4;
    bool opaque = strcmp(leaf, OPAQUE) == 0;
    if (!opaque &&
        (!target[0] || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)) {
      rc = wa_fail(err, WA_EESCAPE, WA_NOOFF,
                   "%s: whiteout '%.200s' names no entry", what, name);
      break;
    }
    int dfd;
    wa_err e2;
    wa_err_init(&e2);
    /* Whiteouts refer to lower layers; a missing parent has nothing to
     * hide. */
    if (wo__open_dir_in_root(root_fd, parent, false, &dfd, &e2) != 0) {
      if (e2.code == WA_ENOTFOUND)
        continue;
      rc = wa_fail(err, e2.code, WA_NOOFF, "%s: whiteout %.200s: %s", what,
                   name, e2.msg);
      break;
    }
    if (opaque)
      rc = wo__empty_dir(dfd, parent[0] ? parent : "/", err);
    else
      rc = wo__rm_at(dfd, target, err);
    close(dfd);
    if (rc != 0)
      break;
  }
  archive_read_free(a);
  return rc == 1 ? 0 : rc;
}

/* A symlink target, resolved lexically from the link's directory (or the
 * root when absolute), must not climb above the root. */
static int check_symlink(const char *parent, const char *name,
                         const char *target, const char *what, wa_err *err) {
  if (!target || !target[0] || strlen(target) >= PATH_MAX)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s: symlink '%.200s' has an empty or overlong target", what,
                   name);
  long depth = 0;
  if (target[0] != '/')
    for (const char *p = parent; *p; p++)
      depth += (p == parent || p[-1] == '/');
  for (const char *p = target; *p;) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (len == 2 && p[0] == '.' && p[1] == '.') {
      if (--depth < 0)
        return wa_fail(err, WA_EESCAPE, WA_NOOFF,
                       "%s: symlink '%.200s' -> '%.200s' points outside the "
                       "root",
                       what, name, target);
    } else if (len && !(len == 1 && p[0] == '.')) {
      depth++;
    }
    p += len;
  }
  return 0;
}

/* Makes room for a new entry: an existing directory stays when the new
 * entry is a directory too; anything else is removed. */
static int clear_slot(int dfd, const char *leaf, bool want_dir,
                      bool *out_exists_dir, wa_err *err) {
  struct stat st;
  *out_exists_dir = false;
  if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT
               ? 0
               : wa_fail_errno(err, WA_EIO, "cannot stat '%.200s'", leaf);
  if (want_dir && S_ISDIR(st.st_mode)) {
    *out_exists_dir = true;
    return 0;
  }
  return wo__rm_at(dfd, leaf, err);
}

static int write_file(struct archive *a, int dfd, const char *leaf,
                      const char *name, mode_t mode, int64_t mtime,
                      const char *what, const wo_limits *lim, uint64_t *used,
                      wa_err *err) {
  int fd = openat(dfd, leaf,
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "%s: cannot create '%.200s'", what, name);
  int rc = 0;
  uint64_t n = 0;
  uint8_t *buf = wa_malloc(READ_BLOCK);
  if (!buf)
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory unpacking %s", what);
  while (rc == 0) {
    la_ssize_t r = archive_read_data(a, buf, READ_BLOCK);
    if (r < 0) {
      rc = ar_fail(a, what, name, err);
      break;
    }
    if (r == 0)
      break;
    n += (uint64_t)r;
    *used += (uint64_t)r;
    if (n > lim->max_entry || *used > lim->max_total) {
      rc = wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s: '%.200s' exceeds the size limit (%llu bytes per "
                   "file, %llu in all)",
                   what, name, (unsigned long long)lim->max_entry,
                   (unsigned long long)lim->max_total);
      break;
    }
    rc = wo__write_all(fd, buf, (size_t)r, name, err);
  }
  wa_free(buf);
  if (rc == 0 && fchmod(fd, mode) != 0)
    rc = wa_fail_errno(err, WA_EIO, "cannot chmod '%.200s'", name);
  if (rc == 0) {
    struct timespec ts[2] = {{.tv_sec = mtime, .tv_nsec = 0},
                             {.tv_sec = mtime, .tv_nsec = 0}};
    futimens(fd, ts);
  }
  close(fd);
  return rc;
}

static int extract_entry(struct archive *a, struct archive_entry *e,
                         int root_fd, wo_tar_mode mode, const char *what,
                         const wo_limits *lim, uint64_t used[2], wa_err *err) {
  const char *name = archive_entry_pathname(e);
  char clean[PATH_MAX];
  const char *parent, *leaf;
  if (!name)
    return ar_fail(a, what, "entry without a name", err);
  if (wo__path_clean(name, false, clean, sizeof clean, err) != 0) {
    wa_err_wrap(err, "%s: ", what);
    return err->code;
  }
  if (clean[0] == 0) /* "./": the root itself */
    return 0;
  split(clean, &parent, &leaf);
  if (mode == WO_TAR_LAYER && strncmp(leaf, WHITEOUT, 4) == 0)
    return 0; /* applied by whiteout_pass */
  if (++used[1] > lim->max_entries)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "%s: more than %llu entries", what,
                   (unsigned long long)lim->max_entries);
  const char *hardlink = archive_entry_hardlink(e);
  mode_t type = archive_entry_filetype(e);
  mode_t perm = archive_entry_perm(e) & 0777; /* no setuid, setgid, sticky */
  bool is_dir = !hardlink && type == AE_IFDIR;
  if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: '%.200s' is a %s; only files, directories and links "
                   "are allowed",
                   what, name,
                   type == AE_IFCHR || type == AE_IFBLK ? "device node"
                   : type == AE_IFIFO                   ? "fifo"
                   : type == AE_IFSOCK                  ? "socket"
                                                        : "special file");
  if (mode == WO_TAR_LAYOUT && (hardlink || type == AE_IFLNK))
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "%s: '%.200s' is a link; an image layout holds only files "
                   "and directories",
                   what, name);
  if (!hardlink && type == AE_IFREG && archive_entry_size_is_set(e) &&
      (uint64_t)archive_entry_size(e) > lim->max_entry)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "%s: '%.200s' is %lld bytes, more than the %llu allowed",
                   what, name, (long long)archive_entry_size(e),
                   (unsigned long long)lim->max_entry);
  const char *symlink = type == AE_IFLNK ? archive_entry_symlink(e) : NULL;
  if (type == AE_IFLNK && !hardlink &&
      check_symlink(parent, name, symlink, what, err) != 0)
    return err->code;
  char link_clean[PATH_MAX];
  if (hardlink && wo__path_clean(hardlink, false, link_clean, sizeof link_clean,
                                 err) != 0) {
    wa_err_wrap(err, "%s: hardlink '%.200s': ", what, name);
    return err->code;
  }

  int dfd = -1, sfd = -1, rc;
  bool exists_dir;
  if ((rc = wo__open_dir_in_root(root_fd, parent, true, &dfd, err)) != 0) {
    wa_err_wrap(err, "%s: '%.200s': ", what, name);
    return rc;
  }
  if ((rc = clear_slot(dfd, leaf, is_dir, &exists_dir, err)) != 0)
    goto out;
  if (hardlink) {
    const char *lparent, *lleaf;
    split(link_clean, &lparent, &lleaf);
    struct stat st;
    wa_err e2;
    wa_err_init(&e2);
    if (wo__open_dir_in_root(root_fd, lparent, false, &sfd, &e2) != 0 ||
        fstatat(sfd, lleaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      rc = wa_fail(err, WA_EESCAPE, WA_NOOFF,
                   "%s: hardlink '%.200s' -> '%.200s': the target is not a "
                   "regular file of this root",
                   what, name, hardlink);
      goto out;
    }
    if (linkat(sfd, lleaf, dfd, leaf, 0) != 0)
      rc = wa_fail_errno(err, WA_EIO, "%s: cannot link '%.200s'", what, name);
  } else if (type == AE_IFLNK) {
    if (symlinkat(symlink, dfd, leaf) != 0)
      rc = wa_fail_errno(err, WA_EIO, "%s: cannot create symlink '%.200s'",
                         what, name);
  } else if (is_dir) {
    if (!exists_dir && mkdirat(dfd, leaf, 0700) != 0)
      rc = wa_fail_errno(err, WA_EIO, "%s: cannot create directory '%.200s'",
                         what, name);
    /* Owner rwx stays so later entries can be created inside. */
    else if (fchmodat(dfd, leaf, perm | 0700, 0) != 0)
      rc = wa_fail_errno(err, WA_EIO, "%s: cannot chmod '%.200s'", what, name);
  } else {
    rc = write_file(a, dfd, leaf, name, perm, archive_entry_mtime(e), what, lim,
                    &used[0], err);
  }
out:
  if (sfd >= 0)
    close(sfd);
  close(dfd);
  return rc;
}

int wo_tar_apply(int root_fd, int tar_fd, const char *what, wo_tar_mode mode,
                 const wo_limits *lim_in, uint64_t used[2],
                 uint8_t out_diff_id[32], wa_err *err) {
  wo_limits lim;
  if (lim_in && lim_in->max_total)
    lim = *lim_in;
  else
    wo_limits_default(&lim);
  if (out_diff_id && diff_id_pass(tar_fd, what, &lim, out_diff_id, err) != 0)
    return err->code;
  if (mode == WO_TAR_LAYER && whiteout_pass(root_fd, tar_fd, what, err) != 0)
    return err->code;
  struct archive *a;
  if (reader_open(&a, tar_fd, false, what, err) != 0)
    return err->code;
  struct archive_entry *e;
  int rc;
  while ((rc = next_entry(a, &e, what, err)) == 0)
    if ((rc = extract_entry(a, e, root_fd, mode, what, &lim, used, err)) != 0)
      break;
  archive_read_free(a);
  return rc == 1 ? 0 : rc;
}

int wo_rootfs_unpack(const wo_blobs *blobs, const wo_manifest *m,
                     const wo_config *c, const char *target,
                     const wo_limits *lim, wa_err *err) {
  char tmp[PATH_MAX];
  struct stat st;
  if (lstat(target, &st) == 0)
    return wa_fail(err, WA_EEXISTS, WA_NOOFF, "%s already exists", target);
  size_t n_tar = 0;
  for (size_t i = 0; i < m->n_layers; i++) {
    if (wo_media_role(m->layers[i].media_type) != WO_ROLE_LAYER)
      return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                     "layers[%zu]: '%s' is not a tar layer", i,
                     m->layers[i].media_type);
    n_tar++;
  }
  if (c && c->n_diff_ids && c->n_diff_ids != n_tar)
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "the config lists %zu rootfs.diff_ids for %zu layers",
                   c->n_diff_ids, n_tar);
  if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", target) >= (int)sizeof tmp)
    return wa_fail(err, WA_EIO, WA_NOOFF, "path too long: %s", target);
  if (!mkdtemp(tmp))
    return wa_fail_errno(err, WA_EIO, "cannot create a temp dir beside %s",
                         target);
  int rc = 0, root = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    rc = wa_fail_errno(err, WA_EIO, "cannot open %s", tmp);
  uint64_t used[2] = {0, 0};
  for (size_t i = 0; rc == 0 && i < m->n_layers; i++) {
    const wo_desc *l = &m->layers[i];
    char what[128];
    snprintf(what, sizeof what, "layers[%zu] %.19s", i, l->digest);
    int fd;
    if ((rc = wo_blob_open(blobs, l, what, &fd, err)) != 0)
      break;
    uint8_t diff[32];
    bool check = c && c->n_diff_ids;
    rc = wo_tar_apply(root, fd, what, WO_TAR_LAYER, lim, used,
                      check ? diff : NULL, err);
    close(fd);
    if (rc == 0 && check) {
      char got[WO_DIGEST_MAX];
      wo_digest_format(diff, got);
      if (strcmp(got, c->diff_ids[i]) != 0)
        rc = wa_fail(err, WA_EDIGEST, WA_NOOFF,
                     "layers[%zu] %s: uncompressed content hashes to %s, "
                     "rootfs.diff_ids[%zu] says %s",
                     i, l->digest, got, i, c->diff_ids[i]);
    }
  }
  if (root >= 0)
    close(root);
  if (rc == 0 && rename(tmp, target) != 0)
    rc = wa_fail_errno(err, WA_EIO, "cannot rename %s to %s", tmp, target);
  if (rc != 0) {
    wo__rmtree_quiet(tmp);
  }
  return rc;
}
