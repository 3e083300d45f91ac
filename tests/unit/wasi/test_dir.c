#include "fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/stat.h>

TestSuite(wasi_dir, .init = fx_setup, .fini = fx_teardown);

/* Reads the whole directory with buffers of 'bufsize', resuming at the
 * d_next of the last whole entry, as wasi-libc does. Counts names. */
static int list_all(uint32_t fd, uint32_t bufsize, char names[][64], int max) {
  uint64_t cookie = 0;
  int n = 0;
  for (int rounds = 0; rounds < 10000; rounds++) {
    cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, fd, G_BUF, bufsize, cookie, G_OUT),
                 0);
    uint32_t used = fx_ld32(G_OUT);
    uint32_t at = 0;
    bool progressed = false;
    while (at + WI_SIZEOF_DIRENT <= used) {
      const uint8_t *e = F.m.base + G_BUF + at;
      uint32_t namlen = wi__ld32(e + 16);
      if (at + WI_SIZEOF_DIRENT + namlen > used)
        break; /* cut: read again from its cookie */
      cr_assert_lt(n, max);
      cr_assert_lt(namlen, 64);
      memcpy(names[n], e + WI_SIZEOF_DIRENT, namlen);
      names[n][namlen] = 0;
      n++;
      cookie = wi__ld64(e);
      at += WI_SIZEOF_DIRENT + namlen;
      progressed = true;
    }
    if (used < bufsize)
      return n;
    cr_assert(progressed, "buffer of %u holds no whole entry", bufsize);
  }
  cr_assert_fail("readdir did not end");
  return n;
}

Test(wasi_dir, dirent_layout_matches_the_host) {
  fx_write_file("file", "x");
  cr_assert_eq(mkdir(fx_path("sub"), 0755), 0);
  memset(F.m.base + G_BUF, 0xaa, 1024);
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, G_BUF, 1024, 0, G_OUT), 0);
  uint32_t used = fx_ld32(G_OUT);
  int seen = 0;
  uint64_t index = 0;
  for (uint32_t at = 0; at < used;) {
    const uint8_t *e = F.m.base + G_BUF + at;
    uint32_t namlen = wi__ld32(e + 16);
    char name[64];
    memcpy(name, e + 24, namlen);
    name[namlen] = 0;
    cr_assert_eq(wi__ld64(e), ++index, "d_next is the next index");
    cr_assert_eq(e[21], 0);
    cr_assert_eq(e[22], 0);
    cr_assert_eq(e[23], 0);
    if (strcmp(name, "file") == 0 || strcmp(name, "sub") == 0) {
      struct stat st;
      cr_assert_eq(lstat(fx_path(name), &st), 0);
      cr_assert_eq(wi__ld64(e + 8), (uint64_t)st.st_ino);
      cr_assert_eq(e[20], name[0] == 'f' ? WI_FILETYPE_REGULAR_FILE
                                         : WI_FILETYPE_DIRECTORY);
      seen++;
    }
    at += 24 + namlen;
  }
  cr_assert_eq(seen, 2);
  cr_assert_eq(index, 4, "., .., file, sub");
  cr_assert_eq(F.m.base[G_BUF + used], 0xaa);
}

Test(wasi_dir, cookies_resume_small_buffers_without_loss_or_repeat) {
  char name[64];
  for (int i = 0; i < 150; i++) {
    snprintf(name, sizeof name, "entry-with-a-longish-name-%03d", i);
    fx_write_file(name, "");
  }
  static char names[300][64];
  uint32_t sizes[] = {60, 64, 100, 317, 4096};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int n = list_all(FX_DIR, sizes[s], names, 300);
    cr_assert_eq(n, 152, "buffer %u: %d entries", sizes[s], n);
    bool seen[150] = {false};
    for (int i = 0; i < n; i++) {
      int k;
      if (sscanf(names[i], "entry-with-a-longish-name-%d", &k) == 1) {
        cr_assert_not(seen[k], "entry %d twice", k);
        seen[k] = true;
      }
    }
    for (int i = 0; i < 150; i++)
      cr_assert(seen[i], "entry %d missing with buffer %u", i, sizes[s]);
  }
}

Test(wasi_dir, a_full_buffer_reports_buf_len_and_cuts_the_entry) {
  fx_write_file("abcdefgh", "");
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, G_BUF, 4096, 0, G_OUT), 0);
  uint32_t first = 24 + fx_ld32(G_BUF + 16);
  uint8_t second[64];
  memcpy(second, F.m.base + G_BUF + first, sizeof second);
  /* Room for the first entry and 5 bytes of the second. */
  uint32_t size = first + 5;
  memset(F.m.base + G_BUF, 0xaa, 128);
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, G_BUF, size, 0, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), size);
  cr_assert_eq(memcmp(F.m.base + G_BUF + first, second, 5), 0);
  cr_assert_eq(F.m.base[G_BUF + size], 0xaa, "nothing past buf_len");
  /* The cut entry comes again, whole, from its cookie. */
  uint64_t next = wi__ld64(F.m.base + G_BUF);
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, G_BUF, 4096, next, G_OUT),
               0);
  uint32_t namlen = wi__ld32(second + 16);
  cr_assert_eq(memcmp(F.m.base + G_BUF, second, 24 + namlen), 0);
}

Test(wasi_dir, cookie_past_the_end_and_cookie_zero) {
  fx_write_file("a", "");
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, G_BUF, 4096, 1000, G_OUT),
               0);
  cr_assert_eq(fx_ld32(G_OUT), 0);
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, G_BUF, 4096, 0, G_OUT), 0);
  uint32_t first = fx_ld32(G_OUT);
  cr_assert_gt(first, 0);
  /* Cookie 0 re-reads the directory: a new file shows up. */
  fx_write_file("b", "");
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, G_BUF, 4096, 0, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), first + 25);
  /* An earlier cookie after a later one rewinds: from index 2 on, the
   * listing is the full one minus its first two entries. */
  uint32_t full = fx_ld32(G_OUT);
  uint32_t e0 = 24 + fx_ld32(G_BUF + 16);
  uint32_t e1 = 24 + fx_ld32(G_BUF + e0 + 16);
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, G_BUF, 4096, 2, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), full - e0 - e1);
}

Test(wasi_dir, readdir_needs_a_directory_and_the_right) {
  uint32_t fd;
  cr_assert_eq(fx_open("f", WI_O_CREAT, R_RW, &fd), 0);
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, fd, G_BUF, 100, 0, G_OUT),
               WI_ENOTCAPABLE);
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, FX_DIR, FX_MEM - 10, 100, 0, G_OUT),
               WI_EFAULT);
  cr_assert_eq(wi__fd_readdir(F.ctx, &F.m, 42, G_BUF, 100, 0, G_OUT), WI_EBADF);
}

Test(wasi_dir, readdir_of_a_subdirectory_opened_by_path) {
  cr_assert_eq(mkdir(fx_path("d"), 0755), 0);
  fx_write_file("d/inner", "");
  uint32_t fd;
  cr_assert_eq(
      fx_open("d", WI_O_DIRECTORY, WI_R_FD_READDIR | WI_R_PATH_OPEN, &fd), 0);
  static char names[8][64];
  int n = list_all(fd, 4096, names, 8);
  cr_assert_eq(n, 3);
  bool found = false;
  for (int i = 0; i < n; i++)
    found |= strcmp(names[i], "inner") == 0;
  cr_assert(found);
}
