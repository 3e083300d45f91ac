/*
 * dir.c: fd_readdir. Cookies are entry indices: the entry at index i has
 * d_next = i + 1 and cookie 0 starts over (re-reading the directory). The
 * host stream is positioned so that the next call usually continues where
 * this one stopped; another cookie rewinds and skips. "." and ".." are
 * listed as the host lists them.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t dtype(DIR *d, const struct dirent *e) {
  switch (e->d_type) {
  case DT_BLK:
    return WI_FILETYPE_BLOCK_DEVICE;
  case DT_CHR:
    return WI_FILETYPE_CHARACTER_DEVICE;
  case DT_DIR:
    return WI_FILETYPE_DIRECTORY;
  case DT_REG:
    return WI_FILETYPE_REGULAR_FILE;
  case DT_SOCK:
    return WI_FILETYPE_SOCKET_STREAM;
  case DT_LNK:
    return WI_FILETYPE_SYMBOLIC_LINK;
  case DT_UNKNOWN: { /* some file systems do not fill d_type */
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      return wi__filetype_of_mode(st.st_mode);
    return WI_FILETYPE_UNKNOWN;
  }
  default:
    return WI_FILETYPE_UNKNOWN;
  }
}

static uint32_t open_stream(wi_fd *f) {
  /* A fresh open file description: the stream's position is its own. */
  int d = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0)
    return wi__errno(errno);
  f->dir = fdopendir(d);
  if (!f->dir) {
    uint32_t rc = wi__errno(errno);
    close(d);
    return rc;
  }
  f->dir_pos = 0;
  return WI_ESUCCESS;
}

uint32_t wi__fd_readdir(wi_ctx *ctx, const wi_mem *m, uint32_t fd, uint32_t buf,
                        uint32_t len, uint64_t cookie, uint32_t out) {
  wi_fd *f;
  uint32_t rc = wi__fd_check(ctx, fd, WI_R_FD_READDIR, &f);
  if (rc)
    return rc;
  if (!wi__mem_ok(m, buf, len) || !wi__mem_ok(m, out, 4))
    return WI_EFAULT;
  if (f->kind != WI_KIND_DIR)
    return WI_ENOTDIR;
  if (!f->dir && (rc = open_stream(f)) != 0)
    return rc;
  if (cookie == 0 || cookie < f->dir_pos) {
    rewinddir(f->dir);
    f->dir_pos = 0;
  }
  struct dirent *e;
  while (f->dir_pos < cookie) {
    errno = 0;
    if (!(e = readdir(f->dir))) {
      if (errno)
        return wi__errno(errno);
      break; /* a cookie past the end lists nothing */
    }
    f->dir_pos++;
  }
  uint8_t *p = wi__mem_at(m, buf);
  uint32_t used = 0;
  while (f->dir_pos >= cookie && used < len) {
    long loc = telldir(f->dir);
    errno = 0;
    if (!(e = readdir(f->dir))) {
      if (errno)
        return wi__errno(errno);
      break;
    }
    size_t nlen = strlen(e->d_name);
    uint8_t hdr[WI_SIZEOF_DIRENT];
    memset(hdr, 0, sizeof hdr);
    wi__st64(hdr, f->dir_pos + 1);
    wi__st64(hdr + 8, (uint64_t)e->d_ino);
    wi__st32(hdr + 16, (uint32_t)nlen);
    hdr[20] = dtype(f->dir, e);
    /* Entries are written whole or cut at the end of the buffer; a cut
     * entry is read again by the next call (bufused == buf_len says so). */
    uint32_t room = len - used;
    uint32_t h = room < WI_SIZEOF_DIRENT ? room : WI_SIZEOF_DIRENT;
    memcpy(p + used, hdr, h);
    uint32_t nroom = room - h;
    memcpy(p + used + h, e->d_name, nlen < nroom ? nlen : nroom);
    if ((uint64_t)WI_SIZEOF_DIRENT + nlen > room) {
      seekdir(f->dir, loc);
      used = len;
      break;
    }
    used += (uint32_t)(WI_SIZEOF_DIRENT + nlen);
    f->dir_pos++;
  }
  wi__st32(wi__mem_at(m, out), used);
  return WI_ESUCCESS;
}
