#include "fixture.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(wasi_fd, .init = fx_setup, .fini = fx_teardown);

static uint32_t new_file(const char *name, const char *content) {
  uint32_t fd;
  cr_assert_eq(fx_open(name, WI_O_CREAT | WI_O_TRUNC, R_RW, &fd), 0);
  if (content && *content)
    cr_assert_eq(fx_fd_write(fd, content), 0);
  return fd;
}

Test(wasi_fd, fdstat_layout_is_24_bytes_with_zero_padding) {
  uint32_t fd = new_file("f", "");
  memset(F.m.base + G_OUT, 0xaa, 32);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, fd, G_OUT), 0);
  uint8_t *p = F.m.base + G_OUT;
  cr_assert_eq(p[0], WI_FILETYPE_REGULAR_FILE);
  cr_assert_eq(p[1], 0);
  cr_assert_eq(wi__ld16(p + 2), 0);
  cr_assert_eq(wi__ld32(p + 4), 0);
  cr_assert_eq(wi__ld64(p + 8), R_RW);
  cr_assert_eq(wi__ld64(p + 16), 0, "files inherit nothing");
  cr_assert_eq(p[24], 0xaa, "nothing written past 24 bytes");
  /* The preopen: a directory with path rights to pass on. */
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, FX_DIR, G_OUT), 0);
  cr_assert_eq(p[0], WI_FILETYPE_DIRECTORY);
  cr_assert(wi__ld64(p + 8) & WI_R_PATH_OPEN);
  cr_assert(wi__ld64(p + 16) & WI_R_FD_WRITE);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, fd, FX_MEM - 23), WI_EFAULT);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, 99, G_OUT), WI_EBADF);
}

Test(wasi_fd, filestat_layout_is_64_bytes_matching_fstat) {
  uint32_t fd = new_file("f", "hello");
  memset(F.m.base + G_OUT, 0xaa, 80);
  cr_assert_eq(wi__fd_filestat_get(F.ctx, &F.m, fd, G_OUT), 0);
  struct stat st;
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  uint8_t *p = F.m.base + G_OUT;
  cr_assert_eq(wi__ld64(p), (uint64_t)st.st_dev);
  cr_assert_eq(wi__ld64(p + 8), (uint64_t)st.st_ino);
  cr_assert_eq(p[16], WI_FILETYPE_REGULAR_FILE);
  for (int i = 17; i < 24; i++)
    cr_assert_eq(p[i], 0, "padding byte %d", i);
  cr_assert_eq(wi__ld64(p + 24), 1);
  cr_assert_eq(wi__ld64(p + 32), 5);
  cr_assert_eq(wi__ld64(p + 48), (uint64_t)st.st_mtim.tv_sec * 1000000000u +
                                     (uint64_t)st.st_mtim.tv_nsec);
  cr_assert_eq(p[64], 0xaa);
  cr_assert_eq(wi__fd_filestat_get(F.ctx, &F.m, fd, FX_MEM - 63), WI_EFAULT);
}

Test(wasi_fd, prestat_layout_and_dir_name) {
  memset(F.m.base + G_OUT, 0xaa, 16);
  cr_assert_eq(wi__fd_prestat_get(F.ctx, &F.m, FX_DIR, G_OUT), 0);
  cr_assert_eq(F.m.base[G_OUT], WI_PREOPEN_DIR);
  cr_assert_eq(F.m.base[G_OUT + 1], 0);
  cr_assert_eq(fx_ld32(G_OUT + 4), strlen("/sandbox"));
  cr_assert_eq(F.m.base[G_OUT + 8], 0xaa);
  memset(F.m.base + G_BUF, 'z', 16);
  cr_assert_eq(wi__fd_prestat_dir_name(F.ctx, &F.m, FX_DIR, G_BUF, 16), 0);
  cr_assert_eq(memcmp(F.m.base + G_BUF, "/sandboxz", 9), 0, "no NUL added");
  cr_assert_eq(wi__fd_prestat_dir_name(F.ctx, &F.m, FX_DIR, G_BUF, 7),
               WI_ENAMETOOLONG);
  cr_assert_eq(wi__fd_prestat_get(F.ctx, &F.m, 1, G_OUT), WI_EBADF);
  cr_assert_eq(wi__fd_prestat_get(F.ctx, &F.m, 4, G_OUT), WI_EBADF);
  uint32_t fd = new_file("f", "");
  cr_assert_eq(wi__fd_prestat_get(F.ctx, &F.m, fd, G_OUT), WI_EBADF);
}

Test(wasi_fd, scatter_gather_read_and_write) {
  uint32_t fd = new_file("f", "");
  fx_str(G_BUF, "abc");
  fx_str(G_BUF + 100, "defgh");
  uint32_t p[] = {G_BUF, G_BUF + 100, G_BUF}, l[] = {3, 5, 0};
  fx_iovs(3, p, l);
  cr_assert_eq(wi__fd_write(F.ctx, &F.m, fd, G_IOV, 3, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), 8);
  cr_assert_str_eq(fx_read_file(fx_path("f")), "abcdefgh");
  uint32_t q[] = {G_BUF + 200, G_BUF + 300}, m[] = {2, 10};
  fx_iovs(2, q, m);
  cr_assert_eq(wi__fd_pread(F.ctx, &F.m, fd, G_IOV, 2, 1, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), 7);
  cr_assert_eq(memcmp(F.m.base + G_BUF + 200, "bc", 2), 0);
  cr_assert_eq(memcmp(F.m.base + G_BUF + 300, "defgh", 5), 0);
  uint32_t w[] = {G_BUF}, wl[] = {3};
  fx_iovs(1, w, wl);
  cr_assert_eq(wi__fd_pwrite(F.ctx, &F.m, fd, G_IOV, 1, 10, G_OUT), 0);
  struct stat st;
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  cr_assert_eq(st.st_size, 13, "pwrite past the end extends the file");
  /* pwrite did not move the position: a read continues at 8. */
  uint32_t r[] = {G_BUF + 400}, rl[] = {100};
  fx_iovs(1, r, rl);
  cr_assert_eq(wi__fd_read(F.ctx, &F.m, fd, G_IOV, 1, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), 5);
}

Test(wasi_fd, bad_iovecs_fault_before_any_io) {
  uint32_t fd = new_file("f", "");
  uint32_t p[] = {G_BUF, FX_MEM - 2}, l[] = {3, 3};
  fx_iovs(2, p, l);
  cr_assert_eq(wi__fd_write(F.ctx, &F.m, fd, G_IOV, 2, G_OUT), WI_EFAULT);
  struct stat st;
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  cr_assert_eq(st.st_size, 0, "nothing written");
  /* The array itself out of bounds, or its length overflowing. */
  cr_assert_eq(wi__fd_write(F.ctx, &F.m, fd, FX_MEM - 4, 1, G_OUT), WI_EFAULT);
  cr_assert_eq(wi__fd_write(F.ctx, &F.m, fd, G_IOV, 0x20000000, G_OUT),
               WI_EFAULT);
  uint32_t q[] = {UINT32_MAX}, ql[] = {2};
  fx_iovs(1, q, ql);
  cr_assert_eq(wi__fd_read(F.ctx, &F.m, fd, G_IOV, 1, G_OUT), WI_EFAULT);
  /* The result pointer is checked first too. */
  uint32_t ok[] = {G_BUF}, okl[] = {1};
  fx_iovs(1, ok, okl);
  cr_assert_eq(wi__fd_write(F.ctx, &F.m, fd, G_IOV, 1, FX_MEM - 3), WI_EFAULT);
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  cr_assert_eq(st.st_size, 0);
}

Test(wasi_fd, seek_tell_and_whence) {
  uint32_t fd = new_file("f", "0123456789");
  cr_assert_eq(wi__fd_tell(F.ctx, &F.m, fd, G_OUT), 0);
  cr_assert_eq(fx_ld64(G_OUT), 10);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, fd, 3, WI_WHENCE_SET, G_OUT), 0);
  cr_assert_eq(fx_ld64(G_OUT), 3);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, fd, (uint64_t)-2, WI_WHENCE_END, G_OUT),
               0);
  cr_assert_eq(fx_ld64(G_OUT), 8);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, fd, 1, WI_WHENCE_CUR, G_OUT), 0);
  cr_assert_eq(fx_ld64(G_OUT), 9);
  cr_assert_eq(
      wi__fd_seek(F.ctx, &F.m, fd, (uint64_t)-100, WI_WHENCE_SET, G_OUT),
      WI_EINVAL);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, fd, 0, 3, G_OUT), WI_EINVAL);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, fd, 0, 0, FX_MEM - 4), WI_EFAULT);
}

Test(wasi_fd, seek_needs_seek_right_but_tell_only_tell) {
  uint32_t fd = new_file("f", "abc");
  cr_assert_eq(wi__fd_fdstat_set_rights(F.ctx, &F.m, fd,
                                        R_RW & ~(uint64_t)WI_R_FD_SEEK, 0),
               0);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, fd, 0, WI_WHENCE_CUR, G_OUT), 0);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, fd, 1, WI_WHENCE_SET, G_OUT),
               WI_ENOTCAPABLE);
  cr_assert_eq(wi__fd_pread(F.ctx, &F.m, fd, G_IOV, 0, 0, G_OUT),
               WI_ENOTCAPABLE);
}

Test(wasi_fd, rights_only_shrink) {
  uint32_t fd = new_file("f", "");
  uint64_t less = R_RW & ~(uint64_t)WI_R_FD_WRITE;
  cr_assert_eq(wi__fd_fdstat_set_rights(F.ctx, &F.m, fd, less, 0), 0);
  cr_assert_eq(fx_fd_write(fd, "x"), WI_ENOTCAPABLE);
  cr_assert_eq(wi__fd_fdstat_set_rights(F.ctx, &F.m, fd, R_RW, 0),
               WI_ENOTCAPABLE);
  cr_assert_eq(wi__fd_fdstat_set_rights(F.ctx, &F.m, fd, less, 1),
               WI_ENOTCAPABLE);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, fd, G_OUT), 0);
  cr_assert_eq(fx_ld64(G_OUT + 8), less);
}

Test(wasi_fd, fdstat_set_flags_append_and_nonblock) {
  uint32_t fd = new_file("f", "abc");
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, fd, 0, WI_WHENCE_SET, G_OUT), 0);
  cr_assert_eq(wi__fd_fdstat_set_flags(F.ctx, &F.m, fd,
                                       WI_FDFLAG_APPEND | WI_FDFLAG_NONBLOCK),
               0);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, fd, G_OUT), 0);
  cr_assert_eq(wi__ld16(F.m.base + G_OUT + 2),
               WI_FDFLAG_APPEND | WI_FDFLAG_NONBLOCK);
  cr_assert_eq(fx_fd_write(fd, "d"), 0);
  cr_assert_str_eq(fx_read_file(fx_path("f")), "abcd");
  cr_assert_eq(wi__fd_fdstat_set_flags(F.ctx, &F.m, fd, 0x20), WI_EINVAL);
  cr_assert_eq(wi__fd_fdstat_set_flags(F.ctx, &F.m, fd, WI_FDFLAG_SYNC),
               WI_ENOTSUP);
  cr_assert_eq(wi__fd_fdstat_set_flags(F.ctx, &F.m, fd, 0), 0);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, fd, G_OUT), 0);
  cr_assert_eq(wi__ld16(F.m.base + G_OUT + 2), 0);
}

Test(wasi_fd, sync_flags_from_path_open_are_reported) {
  uint32_t len = fx_str(G_PATH, "s");
  cr_assert_eq(wi__path_open(F.ctx, &F.m, FX_DIR, 0, G_PATH, len, WI_O_CREAT,
                             R_RW, 0, WI_FDFLAG_DSYNC, G_OUT),
               0);
  uint32_t fd = fx_ld32(G_OUT);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, fd, G_OUT), 0);
  cr_assert_eq(wi__ld16(F.m.base + G_OUT + 2), WI_FDFLAG_DSYNC);
  cr_assert_eq(wi__path_open(F.ctx, &F.m, FX_DIR, 0, G_PATH, len, 0, R_RW, 0,
                             WI_FDFLAG_RSYNC | WI_FDFLAG_SYNC, G_OUT),
               0);
  fd = fx_ld32(G_OUT);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, fd, G_OUT), 0);
  cr_assert_eq(wi__ld16(F.m.base + G_OUT + 2),
               WI_FDFLAG_RSYNC | WI_FDFLAG_SYNC);
  /* Keeping the sync flags while adding append is fine. */
  cr_assert_eq(wi__fd_fdstat_set_flags(F.ctx, &F.m, fd,
                                       WI_FDFLAG_RSYNC | WI_FDFLAG_SYNC |
                                           WI_FDFLAG_APPEND),
               0);
}

Test(wasi_fd, set_size_and_times) {
  uint32_t fd = new_file("f", "abcdef");
  cr_assert_eq(wi__fd_filestat_set_size(F.ctx, &F.m, fd, 2), 0);
  cr_assert_str_eq(fx_read_file(fx_path("f")), "ab");
  cr_assert_eq(wi__fd_filestat_set_size(F.ctx, &F.m, fd, 1ull << 63), WI_EFBIG);
  uint64_t at = 1000000000ull * 1000 + 5, mt = 1000000000ull * 2000 + 7;
  cr_assert_eq(wi__fd_filestat_set_times(F.ctx, &F.m, fd, at, mt,
                                         WI_FST_ATIM | WI_FST_MTIM),
               0);
  struct stat st;
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  cr_assert_eq(st.st_atim.tv_sec, 1000);
  cr_assert_eq(st.st_atim.tv_nsec, 5);
  cr_assert_eq(st.st_mtim.tv_sec, 2000);
  cr_assert_eq(st.st_mtim.tv_nsec, 7);
  /* Only mtime to now; atime stays. */
  cr_assert_eq(
      wi__fd_filestat_set_times(F.ctx, &F.m, fd, 0, 0, WI_FST_MTIM_NOW), 0);
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  cr_assert_eq(st.st_atim.tv_sec, 1000);
  cr_assert_gt(st.st_mtim.tv_sec, 2000);
  cr_assert_eq(wi__fd_filestat_set_times(F.ctx, &F.m, fd, 0, 0,
                                         WI_FST_ATIM | WI_FST_ATIM_NOW),
               WI_EINVAL);
  cr_assert_eq(wi__fd_filestat_set_times(F.ctx, &F.m, fd, 0, 0, 0x10),
               WI_EINVAL);
}

Test(wasi_fd, advise_allocate_sync_datasync) {
  uint32_t fd = new_file("f", "abc");
  for (uint32_t a = 0; a <= 5; a++)
    cr_assert_eq(wi__fd_advise(F.ctx, &F.m, fd, 0, 3, a), 0, "advice %u", a);
  cr_assert_eq(wi__fd_advise(F.ctx, &F.m, fd, 0, 3, 6), WI_EINVAL);
  cr_assert_eq(wi__fd_allocate(F.ctx, &F.m, fd, 0, 4096), 0);
  struct stat st;
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  cr_assert_eq(st.st_size, 4096);
  cr_assert_eq(wi__fd_allocate(F.ctx, &F.m, fd, INT64_MAX, 10), WI_EFBIG);
  cr_assert_eq(wi__fd_sync(F.ctx, &F.m, fd), 0);
  cr_assert_eq(wi__fd_datasync(F.ctx, &F.m, fd), 0);
  cr_assert_eq(wi__fd_sync(F.ctx, &F.m, 77), WI_EBADF);
}

Test(wasi_fd, renumber_moves_and_closes_the_target) {
  uint32_t a = new_file("a", "A"), b = new_file("b", "B");
  cr_assert_eq(wi__fd_renumber(F.ctx, &F.m, a, b), 0);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, a, G_OUT), WI_EBADF);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, b, 0, WI_WHENCE_SET, G_OUT), 0);
  char buf[8];
  uint32_t n;
  cr_assert_eq(fx_fd_read(b, buf, 8, &n), 0);
  cr_assert_eq(n, 1);
  cr_assert_eq(buf[0], 'A', "fd b now refers to file a");
  cr_assert_eq(wi__fd_renumber(F.ctx, &F.m, b, b), 0);
  cr_assert_eq(wi__fd_renumber(F.ctx, &F.m, b, 200), WI_EBADF);
  cr_assert_eq(wi__fd_renumber(F.ctx, &F.m, a, b), WI_EBADF);
}

Test(wasi_fd, close_frees_the_lowest_slot_for_reuse) {
  uint32_t a = new_file("a", ""), b = new_file("b", "");
  cr_assert_eq(a, 4);
  cr_assert_eq(b, 5);
  cr_assert_eq(wi__fd_close(F.ctx, &F.m, a), 0);
  cr_assert_eq(wi__fd_close(F.ctx, &F.m, a), WI_EBADF);
  uint32_t c = new_file("c", "");
  cr_assert_eq(c, 4);
}

Test(wasi_fd, closing_stdout_does_not_close_the_hosts) {
  cr_assert_eq(wi__fd_close(F.ctx, &F.m, 1), 0);
  cr_assert_neq(fcntl(1, F_GETFD), -1, "host stdout still open");
  cr_assert_eq(fx_fd_write(1, "x"), WI_EBADF);
}

Test(wasi_fd, directory_fd_refuses_file_io) {
  cr_assert_eq(fx_fd_write(FX_DIR, "x"), WI_ENOTCAPABLE);
  cr_assert_eq(wi__fd_seek(F.ctx, &F.m, FX_DIR, 1, 0, G_OUT), WI_ENOTCAPABLE);
}
