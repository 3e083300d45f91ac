/*
 * The escape suite: every way out of a preopen, each tried with the
 * openat2 resolver and with the component-by-component fallback.
 */
#include "fixture.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(wasi_path, .init = fx_setup, .fini = fx_teardown);

#define BOTH(name)                                                             \
  static void name(void);                                                      \
  Test(wasi_path, name##__openat2) {                                           \
    name();                                                                    \
    cr_assert_neq(F.ctx->openat2, 0, "this kernel should have openat2");       \
  }                                                                            \
  Test(wasi_path, name##__fallback) {                                          \
    wi__path_force_fallback(F.ctx, true);                                      \
    name();                                                                    \
    cr_assert_eq(F.ctx->openat2, 0);                                           \
  }                                                                            \
  static void name(void)

static uint32_t open_ro(const char *path, uint32_t lookup) {
  uint32_t fd;
  return fx_open_at(FX_DIR, path, 0, R_RD, lookup, &fd);
}

static uint32_t stat_path(const char *path, uint32_t flags) {
  uint32_t len = fx_str(G_PATH, path);
  return wi__path_filestat_get(F.ctx, &F.m, FX_DIR, flags, G_PATH, len, G_OUT);
}

static void lnk(const char *target, const char *rel) {
  cr_assert_eq(symlink(target, fx_path(rel)), 0, "symlink %s", rel);
}

static const char *outside(const char *rel) {
  static char buf[PATH_MAX + 64];
  snprintf(buf, sizeof buf, "%s/%s", F.outside, rel);
  return buf;
}

BOTH(dotdot_out_of_the_preopen_is_eperm) {
  cr_assert_eq(open_ro("../outside/secret", 1), WI_EPERM);
  cr_assert_eq(open_ro("..", 1), WI_EPERM);
  cr_assert_eq(mkdir(fx_path("sub"), 0755), 0);
  cr_assert_eq(open_ro("sub/../../outside/secret", 1), WI_EPERM);
  cr_assert_eq(open_ro("sub/./../..", 1), WI_EPERM);
  cr_assert_eq(stat_path("..", 0), WI_EPERM);
  cr_assert_eq(stat_path("sub/../..", 0), WI_EPERM);
  /* Climbing and coming back down stays inside and is fine. */
  fx_write_file("f", "in");
  cr_assert_eq(open_ro("sub/../f", 1), 0);
  cr_assert_eq(stat_path("sub/..", 0), 0);
}

BOTH(absolute_paths_are_eperm) {
  cr_assert_eq(open_ro("/etc/passwd", 1), WI_EPERM);
  cr_assert_eq(open_ro("/", 1), WI_EPERM);
  cr_assert_eq(stat_path("/tmp", 0), WI_EPERM);
  uint32_t len = fx_str(G_PATH, "/tmp/x");
  cr_assert_eq(wi__path_create_directory(F.ctx, &F.m, FX_DIR, G_PATH, len),
               WI_EPERM);
}

BOTH(a_symlink_to_outside_is_not_followed) {
  lnk("../outside", "out");
  cr_assert_eq(open_ro("out/secret", 1), WI_EPERM);
  cr_assert_eq(open_ro("out/secret", 0), WI_EPERM);
  cr_assert_eq(stat_path("out", WI_LOOKUP_SYMLINK_FOLLOW), WI_EPERM);
  cr_assert_eq(stat_path("out/", 0), WI_EPERM, "slash follows");
  /* The link itself may be looked at. */
  cr_assert_eq(stat_path("out", 0), 0);
  cr_assert_eq(F.m.base[G_OUT + 16], WI_FILETYPE_SYMBOLIC_LINK);
  uint32_t len = fx_str(G_PATH, "out");
  cr_assert_eq(
      wi__path_readlink(F.ctx, &F.m, FX_DIR, G_PATH, len, G_BUF, 64, G_OUT), 0);
  cr_assert_eq(fx_ld32(G_OUT), 10);
}

BOTH(a_final_symlink_to_an_outside_file_is_not_followed) {
  lnk("../outside/secret", "s");
  cr_assert_eq(open_ro("s", 1), WI_EPERM);
  cr_assert_eq(open_ro("s", 0), WI_ELOOP, "nofollow on a link is ELOOP");
  /* Creating through a dangling link to outside is refused too. */
  lnk("../outside/new", "d");
  uint32_t fd;
  cr_assert_eq(fx_open("d", WI_O_CREAT, R_RW, &fd), WI_EPERM);
  cr_assert_null(fx_read_file(outside("new")));
}

BOTH(an_absolute_symlink_is_not_followed) {
  lnk("/etc", "abs");
  cr_assert_eq(open_ro("abs/passwd", 1), WI_EPERM);
  lnk(F.sandbox, "self"); /* absolute, even when it points inside */
  fx_write_file("f", "x");
  cr_assert_eq(open_ro("self/f", 1), WI_EPERM);
}

BOTH(a_chain_of_symlinks_leading_out_is_refused) {
  cr_assert_eq(mkdir(fx_path("d1"), 0755), 0);
  lnk("d1/b", "a");
  lnk("../c", "d1/b");
  lnk("../outside", "c");
  cr_assert_eq(open_ro("a/secret", 1), WI_EPERM);
  /* A chain that stays inside works. */
  cr_assert_eq(mkdir(fx_path("real"), 0755), 0);
  fx_write_file("real/f", "ok");
  lnk("y", "x");
  lnk("d1/../real", "y");
  cr_assert_eq(open_ro("x/f", 1), 0);
}

BOTH(a_symlink_loop_is_eloop) {
  lnk("l2", "l1");
  lnk("l1", "l2");
  cr_assert_eq(open_ro("l1", 1), WI_ELOOP);
  cr_assert_eq(open_ro("l1/x", 1), WI_ELOOP);
  cr_assert_eq(stat_path("l1", WI_LOOKUP_SYMLINK_FOLLOW), WI_ELOOP);
}

BOTH(rename_onto_an_escaping_path_is_refused) {
  fx_write_file("f", "data");
  uint32_t a = fx_str(G_PATH, "f");
  uint32_t b = fx_str(G_PATH2, "../outside/stolen");
  cr_assert_eq(
      wi__path_rename(F.ctx, &F.m, FX_DIR, G_PATH, a, FX_DIR, G_PATH2, b),
      WI_EPERM);
  lnk("../outside", "out");
  b = fx_str(G_PATH2, "out/stolen");
  cr_assert_eq(
      wi__path_rename(F.ctx, &F.m, FX_DIR, G_PATH, a, FX_DIR, G_PATH2, b),
      WI_EPERM);
  cr_assert_null(fx_read_file(outside("stolen")));
  /* And pulling the outside file in. */
  a = fx_str(G_PATH, "../outside/secret");
  b = fx_str(G_PATH2, "mine");
  cr_assert_eq(
      wi__path_rename(F.ctx, &F.m, FX_DIR, G_PATH, a, FX_DIR, G_PATH2, b),
      WI_EPERM);
  cr_assert_str_eq(fx_read_file(outside("secret")), "OUTSIDE");
  /* Renaming the link itself is fine: it is moved, not followed. */
  a = fx_str(G_PATH, "out");
  b = fx_str(G_PATH2, "out2");
  cr_assert_eq(
      wi__path_rename(F.ctx, &F.m, FX_DIR, G_PATH, a, FX_DIR, G_PATH2, b), 0);
  cr_assert_eq(open_ro("out2/secret", 1), WI_EPERM);
}

BOTH(hard_links_cannot_reach_out) {
  fx_write_file("f", "data");
  lnk("../outside/secret", "s");
  uint32_t a = fx_str(G_PATH, "f");
  uint32_t b = fx_str(G_PATH2, "../outside/h");
  cr_assert_eq(
      wi__path_link(F.ctx, &F.m, FX_DIR, 0, G_PATH, a, FX_DIR, G_PATH2, b),
      WI_EPERM);
  a = fx_str(G_PATH, "../outside/secret");
  b = fx_str(G_PATH2, "h");
  cr_assert_eq(
      wi__path_link(F.ctx, &F.m, FX_DIR, 0, G_PATH, a, FX_DIR, G_PATH2, b),
      WI_EPERM);
  /* Following the link to the outside file is refused; linking the
   * symlink itself is harmless. */
  a = fx_str(G_PATH, "s");
  cr_assert_eq(wi__path_link(F.ctx, &F.m, FX_DIR, WI_LOOKUP_SYMLINK_FOLLOW,
                             G_PATH, a, FX_DIR, G_PATH2, b),
               WI_EPERM);
  cr_assert_null(fx_read_file(fx_path("h")));
  cr_assert_eq(
      wi__path_link(F.ctx, &F.m, FX_DIR, 0, G_PATH, a, FX_DIR, G_PATH2, b), 0);
  cr_assert_eq(open_ro("h", 1), WI_EPERM);
}

BOTH(other_calls_refuse_escapes_too) {
  uint32_t len = fx_str(G_PATH, "../outside/secret");
  cr_assert_eq(wi__path_unlink_file(F.ctx, &F.m, FX_DIR, G_PATH, len),
               WI_EPERM);
  cr_assert_str_eq(fx_read_file(outside("secret")), "OUTSIDE");
  len = fx_str(G_PATH, "../outside");
  cr_assert_eq(wi__path_remove_directory(F.ctx, &F.m, FX_DIR, G_PATH, len),
               WI_EPERM);
  len = fx_str(G_PATH, "../outside/d");
  cr_assert_eq(wi__path_create_directory(F.ctx, &F.m, FX_DIR, G_PATH, len),
               WI_EPERM);
  lnk("../outside/secret", "s");
  len = fx_str(G_PATH, "s");
  cr_assert_eq(wi__path_filestat_set_times(F.ctx, &F.m, FX_DIR,
                                           WI_LOOKUP_SYMLINK_FOLLOW, G_PATH,
                                           len, 0, 0, WI_FST_MTIM),
               WI_EPERM);
  struct stat st;
  cr_assert_eq(stat(outside("secret"), &st), 0);
  cr_assert_neq(st.st_mtim.tv_sec, 0);
  uint32_t t = fx_str(G_PATH2, "x");
  len = fx_str(G_PATH, "../outside/ln");
  cr_assert_eq(wi__path_symlink(F.ctx, &F.m, G_PATH2, t, FX_DIR, G_PATH, len),
               WI_EPERM);
  len = fx_str(G_PATH, "../outside");
  cr_assert_eq(
      wi__path_readlink(F.ctx, &F.m, FX_DIR, G_PATH, len, G_BUF, 10, G_OUT),
      WI_EPERM);
}

BOTH(creating_an_absolute_symlink_is_refused) {
  uint32_t t = fx_str(G_PATH2, "/etc/passwd");
  uint32_t len = fx_str(G_PATH, "p");
  cr_assert_eq(wi__path_symlink(F.ctx, &F.m, G_PATH2, t, FX_DIR, G_PATH, len),
               WI_EPERM);
  /* A relative one that climbs may exist, it just cannot be followed. */
  t = fx_str(G_PATH2, "../outside/secret");
  cr_assert_eq(wi__path_symlink(F.ctx, &F.m, G_PATH2, t, FX_DIR, G_PATH, len),
               0);
  cr_assert_eq(open_ro("p", 1), WI_EPERM);
}

BOTH(bad_path_strings) {
  uint32_t fd;
  cr_assert_eq(fx_open("", 0, R_RD, &fd), WI_ENOENT);
  F.m.base[G_PATH] = 'a';
  F.m.base[G_PATH + 1] = 0;
  F.m.base[G_PATH + 2] = 'b';
  cr_assert_eq(
      wi__path_open(F.ctx, &F.m, FX_DIR, 0, G_PATH, 3, 0, R_RD, 0, 0, G_OUT),
      WI_EINVAL, "NUL inside a path");
  cr_assert_eq(wi__path_open(F.ctx, &F.m, FX_DIR, 0, FX_MEM - 2, 3, 0, R_RD, 0,
                             0, G_OUT),
               WI_EFAULT);
  cr_assert_eq(wi__path_open(F.ctx, &F.m, FX_DIR, 0, 16, UINT32_MAX, 0, R_RD, 0,
                             0, G_OUT),
               WI_EFAULT);
  memset(F.m.base + G_BUF, 'a', 5000);
  cr_assert_eq(
      wi__path_open(F.ctx, &F.m, FX_DIR, 0, G_BUF, 5000, 0, R_RD, 0, 0, G_OUT),
      WI_ENAMETOOLONG);
  fx_write_file("f", "");
  cr_assert_eq(open_ro("f/", 1), WI_ENOTDIR);
  cr_assert_eq(open_ro("f/x", 1), WI_ENOTDIR);
  cr_assert_eq(stat_path("f/", 0), WI_ENOTDIR);
  cr_assert_eq(open_ro("missing/x", 1), WI_ENOENT);
}

/*
 * A race: a helper process keeps swapping directory "d" with a symlink to
 * outside while we open "d/secret". We must only ever see the inside file
 * or an error, never the outside one.
 */
BOTH(swapping_a_directory_for_an_escaping_symlink_never_leaks) {
  cr_assert_eq(mkdir(fx_path("d"), 0755), 0);
  fx_write_file("d/secret", "inside");
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    alarm(5); /* never outlives a failed test */
    char d[PATH_MAX + 300], tmp[PATH_MAX + 300];
    snprintf(d, sizeof d, "%s/d", F.sandbox);
    snprintf(tmp, sizeof tmp, "%s/dtmp", F.sandbox);
    for (;;) {
      if (rename(d, tmp) != 0 || symlink("../outside", d) != 0 ||
          unlink(d) != 0 || rename(tmp, d) != 0)
        _exit(1);
    }
  }
  int inside = 0, leaked = 0;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    uint32_t fd;
    if (open_ro("d/secret", 1) == 0) {
      fd = fx_ld32(G_OUT);
      char buf[16];
      uint32_t n;
      cr_assert_eq(fx_fd_read(fd, buf, sizeof buf - 1, &n), 0);
      buf[n] = 0;
      if (strcmp(buf, "OUTSIDE") == 0)
        leaked++;
      else
        inside++;
      wi__fd_close(F.ctx, &F.m, fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &t);
  } while (t.tv_sec - t0.tv_sec < 1);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  cr_assert_eq(leaked, 0, "read the outside file %d times", leaked);
  cr_log_info("race: %d inside reads", inside);
}

/* ------------------------------------------------ read-only preopens */

TestSuite(wasi_path_ro, .init = fx_setup_ro, .fini = fx_teardown);

Test(wasi_path_ro, reading_works_but_nothing_can_be_written) {
  fx_write_file("f", "data");
  cr_assert_eq(mkdir(fx_path("d"), 0755), 0);
  uint32_t fd;
  cr_assert_eq(fx_open("f", 0, R_RD, &fd), 0);
  char buf[8];
  uint32_t n;
  cr_assert_eq(fx_fd_read(fd, buf, 8, &n), 0);
  cr_assert_eq(n, 4);
  cr_assert_eq(fx_fd_write(fd, "x"), WI_ENOTCAPABLE);
  cr_assert_eq(fx_open("f", 0, R_RW, &fd), WI_ENOTCAPABLE);
  cr_assert_eq(fx_open("g", WI_O_CREAT, R_RD, &fd), WI_ENOTCAPABLE);
  cr_assert_eq(fx_open("f", WI_O_TRUNC, R_RD, &fd), WI_ENOTCAPABLE);
  cr_assert_str_eq(fx_read_file(fx_path("f")), "data");
  uint32_t len = fx_str(G_PATH, "e");
  cr_assert_eq(wi__path_create_directory(F.ctx, &F.m, FX_DIR, G_PATH, len),
               WI_ENOTCAPABLE);
  len = fx_str(G_PATH, "f");
  cr_assert_eq(wi__path_unlink_file(F.ctx, &F.m, FX_DIR, G_PATH, len),
               WI_ENOTCAPABLE);
  uint32_t len2 = fx_str(G_PATH2, "g");
  cr_assert_eq(
      wi__path_rename(F.ctx, &F.m, FX_DIR, G_PATH, len, FX_DIR, G_PATH2, len2),
      WI_ENOTCAPABLE);
  cr_assert_eq(
      wi__path_link(F.ctx, &F.m, FX_DIR, 0, G_PATH, len, FX_DIR, G_PATH2, len2),
      WI_ENOTCAPABLE);
  cr_assert_eq(
      wi__path_symlink(F.ctx, &F.m, G_PATH, len, FX_DIR, G_PATH2, len2),
      WI_ENOTCAPABLE);
  cr_assert_eq(wi__path_filestat_set_times(F.ctx, &F.m, FX_DIR, 0, G_PATH, len,
                                           0, 0, WI_FST_MTIM_NOW),
               WI_ENOTCAPABLE);
  len = fx_str(G_PATH, "d");
  cr_assert_eq(wi__path_remove_directory(F.ctx, &F.m, FX_DIR, G_PATH, len),
               WI_ENOTCAPABLE);
}

Test(wasi_path_ro, directories_opened_beneath_stay_read_only) {
  cr_assert_eq(mkdir(fx_path("d"), 0755), 0);
  fx_write_file("d/f", "x");
  uint32_t dfd;
  cr_assert_eq(fx_open("d", WI_O_DIRECTORY, (uint64_t)WI_RIGHTS_DIR, &dfd), 0);
  cr_assert_eq(wi__fd_fdstat_get(F.ctx, &F.m, dfd, G_OUT), 0);
  cr_assert_eq(fx_ld64(G_OUT + 8) & ~(uint64_t)WI_RIGHTS_RO, 0);
  cr_assert_eq(fx_ld64(G_OUT + 16) & ~(uint64_t)WI_RIGHTS_RO, 0);
  uint32_t fd;
  cr_assert_eq(fx_open_at(dfd, "f", 0, R_RW, 0, &fd), WI_ENOTCAPABLE);
  cr_assert_eq(fx_open_at(dfd, "new", WI_O_CREAT, R_RD, 0, &fd),
               WI_ENOTCAPABLE);
  cr_assert_eq(fx_open_at(dfd, "f", 0, R_RD, 0, &fd), 0);
}
