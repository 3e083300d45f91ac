/*
 * mount_linux.c: the task's root file system. containerd passes the
 * snapshot as mounts (overlay, or bind for the native snapshotter) that the
 * shim stacks on BUNDLE/rootfs at Create and removes at Delete.
 */
#include "shim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* mount(8) option words that are flags: name, set (1) or clear (0). */
#define WL_MOUNT_FLAG_MAP(X)                                                   \
  X("ro", MS_RDONLY, 1)                                                        \
  X("rw", MS_RDONLY, 0)                                                        \
  X("nosuid", MS_NOSUID, 1)                                                    \
  X("suid", MS_NOSUID, 0)                                                      \
  X("nodev", MS_NODEV, 1)                                                      \
  X("dev", MS_NODEV, 0)                                                        \
  X("noexec", MS_NOEXEC, 1)                                                    \
  X("exec", MS_NOEXEC, 0)                                                      \
  X("sync", MS_SYNCHRONOUS, 1)                                                 \
  X("async", MS_SYNCHRONOUS, 0)                                                \
  X("dirsync", MS_DIRSYNC, 1)                                                  \
  X("remount", MS_REMOUNT, 1)                                                  \
  X("mand", MS_MANDLOCK, 1)                                                    \
  X("nomand", MS_MANDLOCK, 0)                                                  \
  X("atime", MS_NOATIME, 0)                                                    \
  X("noatime", MS_NOATIME, 1)                                                  \
  X("diratime", MS_NODIRATIME, 0)                                              \
  X("nodiratime", MS_NODIRATIME, 1)                                            \
  X("bind", MS_BIND, 1)                                                        \
  X("rbind", MS_BIND | MS_REC, 1)                                              \
  X("relatime", MS_RELATIME, 1)                                                \
  X("norelatime", MS_RELATIME, 0)                                              \
  X("strictatime", MS_STRICTATIME, 1)                                          \
  X("defaults", 0, 1)

static const struct {
  const char *name;
  unsigned long flag;
  int set;
} mount_flags[] = {
#define WL__X(n, f, s) {n, f, s},
    WL_MOUNT_FLAG_MAP(WL__X)
#undef WL__X
};

/* Propagation words: the rootfs stays private to the shim's namespace. */
static const char *const propagation[] = {"private",    "rprivate",   "shared",
                                          "rshared",    "slave",      "rslave",
                                          "unbindable", "runbindable"};

int wl__mount_options(const char *const *opts, size_t n, unsigned long *flags,
                      char *data, size_t data_cap, wa_err *err) {
  size_t used = 0;
  *flags = 0;
  if (data_cap)
    data[0] = 0;
  for (size_t i = 0; i < n; i++) {
    const char *o = opts[i];
    size_t k = 0;
    while (k < sizeof mount_flags / sizeof mount_flags[0] &&
           strcmp(mount_flags[k].name, o) != 0)
      k++;
    if (k < sizeof mount_flags / sizeof mount_flags[0]) {
      if (mount_flags[k].set)
        *flags |= mount_flags[k].flag;
      else
        *flags &= ~mount_flags[k].flag;
      continue;
    }
    for (size_t j = 0; j < sizeof propagation / sizeof propagation[0]; j++)
      if (strcmp(propagation[j], o) == 0)
        return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                       "mount option %s: propagation is not supported on "
                       "the rootfs",
                       o);
    size_t len = strlen(o);
    if (used + (used ? 1 : 0) + len + 1 > data_cap)
      return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                     "mount options are longer than %zu bytes", data_cap);
    if (used)
      data[used++] = ',';
    memcpy(data + used, o, len + 1);
    used += len;
  }
  return 0;
}

bool wl__is_mountpoint(const char *path) {
  /* A mount point's st_dev differs from its parent's, except for a bind
   * of a directory of the same file system: /proc/self/mountinfo is
   * authoritative. */
  char real[PATH_MAX];
  if (!realpath(path, real))
    return false;
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return false;
  char line[8192];
  bool found = false;
  size_t rl = strlen(real);
  while (!found && fgets(line, sizeof line, f)) {
    /* "id parent major:minor root mountpoint opts ..." */
    char *p = line;
    for (int field = 0; field < 4 && p; field++) {
      p = strchr(p, ' ');
      if (p)
        p++;
    }
    if (!p)
      continue;
    char *end = strchr(p, ' ');
    if (!end)
      continue;
    /* mountinfo octal-escapes spaces; rootfs paths here have none. */
    found = (size_t)(end - p) == rl && memcmp(p, real, rl) == 0;
  }
  fclose(f);
  return found;
}

int wl__rootfs_mount(const char *target, const wl__mount *m, size_t n,
                     wa_err *err) {
  char data[4096];
  size_t done = 0;
  int rc = 0;
  for (; done < n; done++) {
    unsigned long flags;
    const wl__mount *e = &m[done];
    if ((rc = wl__mount_options(e->options, e->n_options, &flags, data,
                                sizeof data, err)) != 0)
      break;
    const char *type = e->type && e->type[0] ? e->type : "none";
    if (strcmp(type, "bind") == 0 || strcmp(type, "rbind") == 0) {
      flags |= MS_BIND;
      if (strcmp(type, "rbind") == 0)
        flags |= MS_REC;
    }
    unsigned long mflags = (flags & MS_BIND) ? flags & ~MS_RDONLY : flags;
    if (mount(e->source, target, type, mflags, data[0] ? data : NULL) != 0) {
      rc = wa_fail_errno(err, WA_EIO, "mounting %s (%s) on %s",
                         e->source ? e->source : "", type, target);
      break;
    }
    /* A bind mount ignores MS_RDONLY until it is remounted. */
    if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
        mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) !=
            0) {
      done++;
      rc = wa_fail_errno(err, WA_EIO, "remounting %s read-only", target);
      break;
    }
  }
  if (rc != 0) {
    while (done-- > 0)
      (void)umount2(target, MNT_DETACH);
  }
  return rc;
}

int wl__rootfs_unmount(const char *target, wa_err *err) {
  /* Stacked mounts come off one at a time; bound the loop in case the
   * path is a mount point we cannot remove. */
  for (int i = 0; i < 64; i++) {
    if (umount2(target, MNT_DETACH) != 0) {
      if (errno == EINVAL || errno == ENOENT)
        return 0; /* nothing (more) mounted */
      return wa_fail_errno(err, WA_EIO, "unmounting %s", target);
    }
  }
  return wa_fail(err, WA_EBUSY, WA_NOOFF, "%s: more than 64 stacked mounts",
                 target);
}

/* ------------------------------------------------------- spec binds */

static int open_beneath(int rootfd, const char *path, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Creates dest (a directory, or an empty file when !dir) inside the rootfs
 * with every component resolved in the rootfs, as the mount target. */
static int make_target(int rootfd, const char *dest, bool dir, wa_err *err) {
  char prefix[PATH_MAX];
  size_t len = strlen(dest);
  if (len >= sizeof prefix)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "mount target too long: %s", dest);
  for (size_t i = 1; i <= len; i++) {
    if (i < len && dest[i] != '/')
      continue;
    memcpy(prefix, dest, i);
    prefix[i] = 0;
    bool last = i == len;
    int fd = open_beneath(rootfd, prefix, O_PATH);
    if (fd >= 0) {
      close(fd);
      continue;
    }
    if (errno != ENOENT)
      return wa_fail_errno(err, WA_EIO, "mount target %s in the rootfs",
                           prefix);
    const char *slash = strrchr(prefix, '/');
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%.*s",
             (int)(slash == prefix ? 1 : slash - prefix), prefix);
    int pfd = open_beneath(rootfd, parent, O_PATH | O_DIRECTORY);
    if (pfd < 0)
      return wa_fail_errno(err, WA_EIO, "mount target %s in the rootfs",
                           parent);
    int rc = 0;
    if (last && !dir) {
      int f =
          openat(pfd, slash + 1,
                 O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (f < 0 && errno != EEXIST)
        rc = wa_fail_errno(err, WA_EIO, "creating mount target %s", prefix);
      if (f >= 0)
        close(f);
    } else if (mkdirat(pfd, slash + 1, 0755) != 0 && errno != EEXIST) {
      rc = wa_fail_errno(err, WA_EIO, "creating mount target %s", prefix);
    }
    close(pfd);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int wl__bind_prepare(const char *rootfs, const wl__spec_mount *m,
                     bool in_mount_ns, wl__bind *out, bool *is_bind,
                     wa_err *err) {
  *is_bind = m->type &&
             (strcmp(m->type, "bind") == 0 || strcmp(m->type, "rbind") == 0);
  out->readonly = out->recursive = false;
  for (size_t i = 0; i < m->n_options; i++) {
    if (strcmp(m->options[i], "bind") == 0)
      *is_bind = true;
    else if (strcmp(m->options[i], "rbind") == 0)
      *is_bind = out->recursive = true;
    else if (strcmp(m->options[i], "ro") == 0)
      out->readonly = true;
  }
  if (m->type && strcmp(m->type, "rbind") == 0)
    out->recursive = true;
  if (!*is_bind)
    return 0;
  if (!m->source || m->dest[0] != '/')
    return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "config.json: bind mount %s needs a source and an "
                   "absolute destination",
                   m->dest);
  struct stat st;
  if (stat(m->source, &st) != 0)
    return wa_fail_errno(err, WA_ENOTFOUND, "bind mount source %s", m->source);
  out->source = m->source;
  out->dest = m->dest;
  if (!in_mount_ns)
    return 0;
  int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return wa_fail_errno(err, WA_EIO, "opening the rootfs %s", rootfs);
  int rc = make_target(rootfd, m->dest, S_ISDIR(st.st_mode), err);
  close(rootfd);
  return rc;
}
