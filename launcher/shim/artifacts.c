/*
 * artifacts.c: what a task needs from outside its rootfs. The artifact
 * cache is checked in Create, so a cache the runner could not use fails
 * `ctr run` with the cause instead of silently compiling on every start;
 * and a Wasm OCI artifact (an application/wasm layer, which containerd
 * 1.6.20 cannot unpack) is looked up in the wasmaot image store the CLI
 * fills (`wasmaot pull`).
 */
#include "shim_internal.h"

#include "wk.h"
#include "wo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The runner keeps the uid of the shim but has no capabilities, so the
 * kernel grants it a directory by the owner's mode bits alone (wk_open has
 * already made sure the owner is this uid). */
static int check_owner_rwx(const char *path, wa_err *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return wa_fail_errno(err, WA_EIO, "cache: cannot stat %s", path);
  if ((st.st_mode & S_IRWXU) != S_IRWXU)
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "cache: %s is not writable (mode %04o): the task's runner "
                   "has no capabilities, so it needs the owner's rwx to fill "
                   "or repair entries",
                   path, (unsigned)(st.st_mode & 07777));
  return 0;
}

int wl__cache_check(const char *dir, wa_err *err) {
  wk_cache *c = NULL;
  /* wk_open creates the directory (0700) when missing and refuses one
   * that is not a directory, belongs to another user, or is group- or
   * world-writable: exactly what would make the runner skip the cache. */
  int rc = wk_open(dir, NULL, &c, err);
  if (rc != 0) {
    wa_err_wrap(err, "cache: ");
    return rc;
  }
  wk_close(c);
  char objects[PATH_MAX];
  if (snprintf(objects, sizeof objects, "%s/objects", dir) >=
      (int)sizeof objects)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "cache: %s: path too long", dir);
  if ((rc = check_owner_rwx(dir, err)) != 0 ||
      (rc = check_owner_rwx(objects, err)) != 0)
    return rc;
  struct statvfs vfs;
  if (statvfs(objects, &vfs) != 0)
    return wa_fail_errno(err, WA_EIO, "cache: statvfs %s", objects);
  if (vfs.f_flag & ST_RDONLY)
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "cache: %s is on a read-only file system", dir);
  /* A fill writes a temp file and a lock file: with no block or no inode
   * left, every new module would fail, so say so at once. */
  if (vfs.f_bavail == 0 || (vfs.f_files > 0 && vfs.f_favail == 0))
    return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                   "cache: no space left on the file system of %s (%s)", dir,
                   vfs.f_bavail == 0 ? "no free blocks" : "no free inodes");
  return 0;
}

int wl__store_module(const char *root, const char *ref, char *out, size_t cap,
                     wa_err *err) {
  struct stat st;
  /* Looking up must not create a store (wo_store_open would). */
  if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
    return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                   "image %s is not in the wasmaot image store: there is no "
                   "store at %s (`wasmaot pull` it as root, or set "
                   "WASMAOT_STORE_DIR or \"store_dir\")",
                   ref, root);
  /* Only root-owned stores (the shim's uid): another user's store could
   * hand a task any bytes. */
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
    return wa_fail(err, WA_EPERM, WA_NOOFF,
                   "image store %s is owned by uid %u or writable by others "
                   "(mode %04o): not used",
                   root, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
  wo_store *s = NULL;
  wa_arena a;
  wa_arena_init(&a, 4096);
  wo_image_info info;
  wo_module mod;
  memset(&mod, 0, sizeof mod);
  int rc = wo_store_open(root, &s, err);
  if (rc == 0)
    rc = wo_store_image_open(s, ref, &a, &info, &mod, err);
  if (rc == WA_ENOTFOUND) {
    wa_err_init(err);
    rc = wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                 "image %s is not in the wasmaot image store %s "
                 "(`wasmaot pull %s` first)",
                 ref, root, ref);
    goto out;
  }
  if (rc != 0) {
    wa_err_wrap(err, "wasmaot image store: ");
    goto out;
  }
  if (mod.kind != WO_IMAGE_ARTIFACT) {
    rc = wa_fail(err, WA_EINVALID, WA_NOOFF,
                 "image %s in the wasmaot image store keeps its module in "
                 "the rootfs (%s): run it as a containerd image, only Wasm "
                 "artifacts are read from the store",
                 ref, mod.path);
    goto out;
  }
  /* The layer is the raw module, so its blob is the file to run: the
   * bytes were just verified against the digest the blob is named by. */
  const char *hex = strchr(info.module_digest, ':');
  if (!hex || strncmp(info.module_digest, "sha256:", 7) != 0 ||
      strcmp(info.module_digest, mod.digest) != 0) {
    rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                 "image %s: module digest %s does not name its blob", ref,
                 info.module_digest);
    goto out;
  }
  int n = snprintf(out, cap, "%s/blobs/sha256/%s", root, hex + 1);
  if (n < 0 || (size_t)n >= cap) {
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "image store path too long");
    goto out;
  }
  if (stat(out, &st) != 0 || !S_ISREG(st.st_mode) ||
      (uint64_t)st.st_size != mod.len) {
    rc = wa_fail(err, WA_ECORRUPT, WA_NOOFF,
                 "image %s: the module blob %s is missing or has another "
                 "size than its layer",
                 ref, out);
    goto out;
  }
out:
  wo_module_clear(&mod);
  wa_arena_free(&a);
  wo_store_free(s);
  return rc;
}
