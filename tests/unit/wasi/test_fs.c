#include "fixture.h"

#include <criterion/criterion.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(wasi_fs, .init = fx_setup, .fini = fx_teardown);

static uint32_t call1(uint32_t (*fn)(wi_ctx *, const wi_mem *, uint32_t,
                                     uint32_t, uint32_t),
                      const char *path) {
  uint32_t len = fx_str(G_PATH, path);
  return fn(F.ctx, &F.m, FX_DIR, G_PATH, len);
}

static uint32_t rename2(const char *a, const char *b) {
  uint32_t la = fx_str(G_PATH, a), lb = fx_str(G_PATH2, b);
  return wi__path_rename(F.ctx, &F.m, FX_DIR, G_PATH, la, FX_DIR, G_PATH2, lb);
}

Test(wasi_fs, open_flags_create_exclusive_truncate_directory) {
  uint32_t fd;
  cr_assert_eq(fx_open("f", 0, R_RD, &fd), WI_ENOENT);
  cr_assert_eq(fx_open("f", WI_O_CREAT, R_RW, &fd), 0);
  cr_assert_eq(fx_fd_write(fd, "hello"), 0);
  cr_assert_eq(fx_open("f", WI_O_CREAT | WI_O_EXCL, R_RW, &fd), WI_EEXIST);
  cr_assert_eq(fx_open("f", WI_O_DIRECTORY, R_RD, &fd), WI_ENOTDIR);
  cr_assert_eq(fx_open("f", WI_O_TRUNC, R_RW, &fd), 0);
  cr_assert_str_eq(fx_read_file(fx_path("f")), "");
  cr_assert_eq(fx_open("f", 0, R_RW, &fd), 0);
  cr_assert_eq(fx_fd_write(fd, "abc"), 0);
  cr_assert_eq(fx_open("f", 0, R_RD, &fd), 0);
  cr_assert_eq(fx_fd_write(fd, "x"), WI_ENOTCAPABLE, "opened read-only");
  cr_assert_eq(fx_open(".", WI_O_DIRECTORY, R_RD, &fd), 0);
  cr_assert_eq(fx_open(".", 0, R_RW, &fd), WI_EISDIR);
}

Test(wasi_fs, open_checks_flags_rights_and_result_pointer) {
  uint32_t len = fx_str(G_PATH, "f");
  cr_assert_eq(
      wi__path_open(F.ctx, &F.m, FX_DIR, 2, G_PATH, len, 0, R_RD, 0, 0, G_OUT),
      WI_EINVAL);
  cr_assert_eq(wi__path_open(F.ctx, &F.m, FX_DIR, 0, G_PATH, len, 0x10, R_RD, 0,
                             0, G_OUT),
               WI_EINVAL);
  cr_assert_eq(wi__path_open(F.ctx, &F.m, FX_DIR, 0, G_PATH, len, 0, R_RD, 0,
                             0x20, G_OUT),
               WI_EINVAL);
  cr_assert_eq(wi__path_open(F.ctx, &F.m, FX_DIR, 0, G_PATH, len, WI_O_CREAT,
                             R_RW, 0, 0, FX_MEM - 2),
               WI_EFAULT);
  cr_assert_null(fx_read_file(fx_path("f")), "no file created on a fault");
  /* Opening relative to a file is NOTDIR (or NOTCAPABLE: no path rights). */
  uint32_t fd;
  cr_assert_eq(fx_open("f", WI_O_CREAT, R_RW, &fd), 0);
  cr_assert_eq(
      wi__path_open(F.ctx, &F.m, fd, 0, G_PATH, len, 0, R_RD, 0, 0, G_OUT),
      WI_ENOTCAPABLE);
  cr_assert_eq(
      wi__path_open(F.ctx, &F.m, 1, 0, G_PATH, len, 0, R_RD, 0, 0, G_OUT),
      WI_ENOTCAPABLE);
  cr_assert_eq(
      wi__path_open(F.ctx, &F.m, 99, 0, G_PATH, len, 0, R_RD, 0, 0, G_OUT),
      WI_EBADF);
}

Test(wasi_fs, opened_file_rights_are_narrowed_to_its_type) {
  uint32_t fd;
  cr_assert_eq(fx_open("f", WI_O_CREAT, (uint64_t)WI_RIGHTS_DIR | R_RW, &fd),
               0);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, fd, G_OUT), 0);
  cr_assert_eq(fx_ld64(G_OUT + 8), R_RW, "path rights dropped on a file");
  cr_assert_eq(F.m.base[G_OUT], WI_FILETYPE_REGULAR_FILE);
}

Test(wasi_fs, directories_create_remove_and_errors) {
  cr_assert_eq(call1(wi__path_create_directory, "d"), 0);
  cr_assert_eq(call1(wi__path_create_directory, "d"), WI_EEXIST);
  cr_assert_eq(call1(wi__path_create_directory, "d/e/"), 0);
  cr_assert_eq(call1(wi__path_create_directory, "x/y"), WI_ENOENT);
  cr_assert_eq(call1(wi__path_remove_directory, "d"), WI_ENOTEMPTY);
  cr_assert_eq(call1(wi__path_remove_directory, "d/e"), 0);
  cr_assert_eq(call1(wi__path_remove_directory, "d/."), WI_EINVAL);
  fx_write_file("f", "");
  cr_assert_eq(call1(wi__path_remove_directory, "f"), WI_ENOTDIR);
  cr_assert_eq(call1(wi__path_remove_directory, "d/"), 0);
  struct stat st;
  cr_assert_neq(stat(fx_path("d"), &st), 0);
}

Test(wasi_fs, unlink_files_not_directories) {
  fx_write_file("f", "");
  cr_assert_eq(mkdir(fx_path("d"), 0755), 0);
  cr_assert_eq(call1(wi__path_unlink_file, "d"), WI_EISDIR);
  cr_assert_eq(call1(wi__path_unlink_file, "d/"), WI_EISDIR);
  cr_assert_eq(call1(wi__path_unlink_file, "f/"), WI_ENOTDIR);
  cr_assert_eq(call1(wi__path_unlink_file, "f"), 0);
  cr_assert_eq(call1(wi__path_unlink_file, "f"), WI_ENOENT);
  /* Unlinking a symlink removes the link, not its target. */
  fx_write_file("t", "keep");
  cr_assert_eq(symlink("t", fx_path("l")), 0);
  cr_assert_eq(call1(wi__path_unlink_file, "l"), 0);
  cr_assert_str_eq(fx_read_file(fx_path("t")), "keep");
}

Test(wasi_fs, rename_files_and_directories) {
  fx_write_file("a", "A");
  cr_assert_eq(rename2("a", "b"), 0);
  cr_assert_str_eq(fx_read_file(fx_path("b")), "A");
  cr_assert_eq(rename2("a", "c"), WI_ENOENT);
  cr_assert_eq(mkdir(fx_path("d"), 0755), 0);
  cr_assert_eq(rename2("b", "d/b"), 0);
  cr_assert_eq(rename2("d", "e/"), 0);
  cr_assert_str_eq(fx_read_file(fx_path("e/b")), "A");
  cr_assert_eq(rename2("e/b", "x/"), WI_ENOTDIR);
  cr_assert_eq(mkdir(fx_path("full"), 0755), 0);
  fx_write_file("full/x", "");
  cr_assert_eq(rename2("e", "full"), WI_ENOTEMPTY);
}

Test(wasi_fs, symlink_and_readlink_with_a_short_buffer) {
  uint32_t t = fx_str(G_PATH2, "target/name");
  uint32_t len = fx_str(G_PATH, "l");
  cr_assert_eq(wi__path_symlink(F.ctx, &F.m, G_PATH2, t, FX_DIR, G_PATH, len),
               0);
  cr_assert_eq(wi__path_symlink(F.ctx, &F.m, G_PATH2, t, FX_DIR, G_PATH, len),
               WI_EEXIST);
  memset(F.m.base + G_BUF, 'z', 32);
  cr_assert_eq(
      wi__path_readlink(F.ctx, &F.m, FX_DIR, G_PATH, len, G_BUF, 32, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), 11);
  cr_assert_eq(memcmp(F.m.base + G_BUF, "target/namez", 12), 0);
  cr_assert_eq(
      wi__path_readlink(F.ctx, &F.m, FX_DIR, G_PATH, len, G_BUF, 4, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), 4, "truncated like readlink(2)");
  fx_write_file("f", "");
  len = fx_str(G_PATH, "f");
  cr_assert_eq(
      wi__path_readlink(F.ctx, &F.m, FX_DIR, G_PATH, len, G_BUF, 32, G_OUT),
      WI_EINVAL);
  t = fx_str(G_PATH2, "");
  len = fx_str(G_PATH, "empty");
  cr_assert_eq(wi__path_symlink(F.ctx, &F.m, G_PATH2, t, FX_DIR, G_PATH, len),
               WI_ENOENT);
}

Test(wasi_fs, hard_links_share_the_inode) {
  fx_write_file("a", "data");
  uint32_t la = fx_str(G_PATH, "a"), lb = fx_str(G_PATH2, "b");
  cr_assert_eq(
      wi__path_link(F.ctx, &F.m, FX_DIR, 0, G_PATH, la, FX_DIR, G_PATH2, lb),
      0);
  cr_assert_eq(
      wi__path_filestat_get(F.ctx, &F.m, FX_DIR, 0, G_PATH2, lb, G_OUT), 0);
  cr_assert_eq(fx_ld64(G_OUT + 24), 2, "nlink");
  cr_assert_eq(
      wi__path_link(F.ctx, &F.m, FX_DIR, 0, G_PATH, la, FX_DIR, G_PATH2, lb),
      WI_EEXIST);
  /* With SYMLINK_FOLLOW the link's target is linked. */
  cr_assert_eq(symlink("a", fx_path("s")), 0);
  la = fx_str(G_PATH, "s");
  lb = fx_str(G_PATH2, "c");
  cr_assert_eq(wi__path_link(F.ctx, &F.m, FX_DIR, WI_LOOKUP_SYMLINK_FOLLOW,
                             G_PATH, la, FX_DIR, G_PATH2, lb),
               0);
  struct stat st;
  cr_assert_eq(lstat(fx_path("c"), &st), 0);
  cr_assert(S_ISREG(st.st_mode));
  cr_assert_eq(st.st_nlink, 3);
}

Test(wasi_fs, filestat_follows_or_not_and_sets_times) {
  fx_write_file("f", "12345");
  cr_assert_eq(symlink("f", fx_path("l")), 0);
  uint32_t len = fx_str(G_PATH, "l");
  cr_assert_eq(
      wi__path_filestat_get(F.ctx, &F.m, FX_DIR, 0, G_PATH, len, G_OUT), 0);
  cr_assert_eq(F.m.base[G_OUT + 16], WI_FILETYPE_SYMBOLIC_LINK);
  cr_assert_eq(fx_ld64(G_OUT + 32), 1, "a link's size is its length");
  cr_assert_eq(wi__path_filestat_get(F.ctx, &F.m, FX_DIR,
                                     WI_LOOKUP_SYMLINK_FOLLOW, G_PATH, len,
                                     G_OUT),
               0);
  cr_assert_eq(F.m.base[G_OUT + 16], WI_FILETYPE_REGULAR_FILE);
  cr_assert_eq(fx_ld64(G_OUT + 32), 5);
  cr_assert_eq(
      wi__path_filestat_get(F.ctx, &F.m, FX_DIR, 2, G_PATH, len, G_OUT),
      WI_EINVAL);
  /* Times on the target through the link, then on the link itself. */
  cr_assert_eq(wi__path_filestat_set_times(
                   F.ctx, &F.m, FX_DIR, WI_LOOKUP_SYMLINK_FOLLOW, G_PATH, len,
                   5000000000ull, 6000000000ull, WI_FST_ATIM | WI_FST_MTIM),
               0);
  struct stat st;
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  cr_assert_eq(st.st_mtim.tv_sec, 6);
  cr_assert_eq(wi__path_filestat_set_times(F.ctx, &F.m, FX_DIR, 0, G_PATH, len,
                                           0, 7000000000ull, WI_FST_MTIM),
               0);
  cr_assert_eq(lstat(fx_path("l"), &st), 0);
  cr_assert_eq(st.st_mtim.tv_sec, 7);
  cr_assert_eq(stat(fx_path("f"), &st), 0);
  cr_assert_eq(st.st_mtim.tv_sec, 6);
}

Test(wasi_fs, paths_relative_to_an_opened_subdirectory) {
  cr_assert_eq(mkdir(fx_path("d"), 0755), 0);
  uint32_t dfd;
  cr_assert_eq(fx_open("d", WI_O_DIRECTORY, (uint64_t)WI_RIGHTS_DIR, &dfd), 0);
  uint32_t fd;
  cr_assert_eq(fx_open_at(dfd, "inner", WI_O_CREAT, R_RW, 0, &fd), 0);
  cr_assert_eq(fx_fd_write(fd, "in"), 0);
  cr_assert_str_eq(fx_read_file(fx_path("d/inner")), "in");
  /* The subdirectory is its own root: ".." out of it is refused. */
  fx_write_file("top", "");
  cr_assert_eq(fx_open_at(dfd, "../top", 0, R_RD, 0, &fd), WI_EPERM);
}
