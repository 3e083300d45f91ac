/*
 * support.c: test fixtures for the oci tests (see support.h).
 */
#include "support.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const uint8_t t_wasm[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

char *t_tempdir(const char *tag) {
  char buf[256];
  snprintf(buf, sizeof buf, "/tmp/wo-test-%s-XXXXXX", tag);
  char *p = strdup(buf);
  cr_assert_not_null(mkdtemp(p), "mkdtemp %s", buf);
  return p;
}

void t_rmrf(const char *path) {
  if (!path)
    return;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wo_rmtree(path, &e), 0, "%s", e.msg);
}

void t_write(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "fopen %s", path);
  cr_assert_eq(fwrite(data, 1, len, f), len);
  fclose(f);
}

char *t_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  size_t got = fread(b, 1, (size_t)n, f);
  b[got] = 0;
  fclose(f);
  if (len)
    *len = got;
  return b;
}

bool t_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

int t_count(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      n++;
  closedir(d);
  return n;
}

void t_tar(const char *path, const t_ent *ents, size_t n, char comp) {
  struct archive *a = archive_write_new();
  cr_assert_not_null(a);
  if (comp == 'g')
    archive_write_add_filter_gzip(a);
  else if (comp == 'z')
    archive_write_add_filter_zstd(a);
  cr_assert_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  cr_assert_eq(archive_write_open_filename(a, path), ARCHIVE_OK, "%s",
               archive_error_string(a));
  for (size_t i = 0; i < n; i++) {
    const t_ent *t = &ents[i];
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, t->path);
    archive_entry_set_mtime(e, 0, 0);
    long size = 0;
    switch (t->type) {
    case 'f':
      archive_entry_set_filetype(e, AE_IFREG);
      size = t->size >= 0 ? t->size : (long)strlen(t->data ? t->data : "");
      archive_entry_set_size(e, size);
      break;
    case 'd':
      archive_entry_set_filetype(e, AE_IFDIR);
      break;
    case 'l':
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, t->data);
      break;
    case 'h':
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, t->data);
      archive_entry_set_size(e, 0);
      break;
    case 'c':
      archive_entry_set_filetype(e, AE_IFCHR);
      archive_entry_set_rdev(e, makedev(1, 3));
      break;
    case 'p':
      archive_entry_set_filetype(e, AE_IFIFO);
      break;
    }
    archive_entry_set_perm(e,
                           t->mode ? t->mode : (t->type == 'd' ? 0755 : 0644));
    cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK, "%s: %s", t->path,
                 archive_error_string(a));
    if (t->type == 'f' && size > 0) {
      if (t->data && t->size < 0) {
        archive_write_data(a, t->data, (size_t)size);
      } else { /* generated content of the requested size */
        char chunk[4096];
        memset(chunk, 'x', sizeof chunk);
        for (long left = size; left > 0;) {
          size_t k = left > (long)sizeof chunk ? sizeof chunk : (size_t)left;
          archive_write_data(a, chunk, k);
          left -= (long)k;
        }
      }
    }
    archive_entry_free(e);
  }
  cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

int t_apply(const char *dir, const char *tar, wo_tar_mode mode,
            const wo_limits *lim, wa_err *err) {
  int root = open(dir, O_RDONLY | O_DIRECTORY);
  int fd = open(tar, O_RDONLY);
  cr_assert(root >= 0 && fd >= 0);
  uint64_t used[2] = {0, 0};
  int rc = wo_tar_apply(root, fd, tar, mode, lim, used, NULL, err);
  close(fd);
  close(root);
  return rc;
}
