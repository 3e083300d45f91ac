/*
 * module.c: finds the task's Wasm module in the rootfs: process.args[0],
 * looked up on the spec's PATH when it has no slash, resolved as if the
 * rootfs were / (symlinks cannot leave it), and checked to be a Wasm
 * binary or a wasmaot artifact before anything is started.
 */
#include "shim_internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_in_root(int rootfd, const char *path) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Checks the magic of the open file; names what it found otherwise. */
static int check_magic(int fd, const char *name, wa_err *err) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return wa_fail_errno(err, WA_EIO, "%s", name);
  if (!S_ISREG(st.st_mode))
    return wa_fail(err, WA_EINVALID, WA_NOOFF,
                   "%s is not a regular file, so not a WebAssembly module",
                   name);
  Elf64_Ehdr eh;
  memset(&eh, 0, sizeof eh);
  ssize_t n = pread(fd, &eh, sizeof eh, 0);
  if (n < 0)
    return wa_fail_errno(err, WA_EIO, "reading %s", name);
  const uint8_t *b = (const uint8_t *)&eh;
  if (n >= 8 && memcmp(b, "\0asm", 4) == 0)
    return 0;
  if (n >= (ssize_t)sizeof eh && memcmp(b, ELFMAG, SELFMAG) == 0) {
    /* wasmaot artifacts are relocatable objects; anything else is a
     * native program, which this runtime does not run. */
    if (eh.e_type == ET_REL)
      return 0;
    return wa_fail(err, WA_EINVALID, WA_NOOFF,
                   "%s is a native executable, not a WebAssembly module: "
                   "the wasmaot runtime only runs Wasm (use runc for "
                   "native images)",
                   name);
  }
  if (n == 0)
    return wa_fail(err, WA_EINVALID, WA_NOOFF,
                   "%s is empty, not a WebAssembly module", name);
  char hex[3 * 4 + 1] = "";
  for (ssize_t i = 0; i < n && i < 4; i++)
    snprintf(hex + (i ? 3 * i - 1 : 0), 4, "%s%02x", i ? " " : "", b[i]);
  return wa_fail(err, WA_EINVALID, WA_NOOFF,
                 "%s is not a WebAssembly module: it starts with %s, not the "
                 "magic 00 61 73 6d",
                 name, hex);
}

int wl__module_find(const char *rootfs, const wl__spec *s, char *out,
                    size_t cap, wa_err *err) {
  if (s->n_args == 0 || !s->args[0][0])
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "config.json: process.args is empty: no module to run "
                   "(give the image an Entrypoint or the module path)");
  const char *arg0 = s->args[0];
  int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return wa_fail_errno(err, WA_EIO, "opening the rootfs %s", rootfs);
  int fd = -1, rc = 0;
  char cand[PATH_MAX];
  if (strchr(arg0, '/')) {
    if (arg0[0] == '/')
      snprintf(cand, sizeof cand, "%s", arg0);
    else
      snprintf(cand, sizeof cand, "%s/%s", s->cwd, arg0);
    fd = open_in_root(rootfd, cand);
  } else {
    const char *path = wl__spec_getenv(s, "PATH");
    if (!path)
      path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const char *p = path; fd < 0;) {
      const char *colon = strchr(p, ':');
      size_t len = colon ? (size_t)(colon - p) : strlen(p);
      snprintf(cand, sizeof cand, "%.*s/%s", (int)(len ? len : 1),
               len ? p : "/", arg0);
      fd = open_in_root(rootfd, cand);
      if (!colon)
        break;
      p = colon + 1;
    }
    if (fd < 0)
      snprintf(cand, sizeof cand, "%s", arg0);
  }
  if (fd < 0) {
    if (errno == ENOENT)
      rc = wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                   "module %s not found in the image (process.args[0]%s)", cand,
                   strchr(arg0, '/') ? "" : ", searched on PATH");
    else
      rc = wa_fail_errno(err, WA_EIO, "opening module %s in the rootfs", cand);
    goto out;
  }
  if ((rc = check_magic(fd, cand, err)) != 0)
    goto out;
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, cap - 1);
  if (n < 0 || (size_t)n >= cap - 1) {
    rc = wa_fail_errno(err, WA_EIO, "resolving the host path of %s", cand);
    goto out;
  }
  out[n] = 0;
out:
  if (fd >= 0)
    close(fd);
  close(rootfd);
  return rc;
}
