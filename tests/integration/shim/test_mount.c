/*
 * test_mount.c: mount option translation and rootfs mounts
 * (launcher/shim/mount_linux.c); the mounting tests need root.
 */
#include "shim_internal.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

Test(shim_mount, overlay_options_become_data) {
  const char *o[] = {"index=off", "workdir=/w", "upperdir=/u", "lowerdir=/l",
                     "ro"};
  unsigned long flags;
  char data[256];
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__mount_options(o, 5, &flags, data, sizeof data, &err), 0);
  cr_assert_eq(flags, MS_RDONLY);
  cr_assert_str_eq(data, "index=off,workdir=/w,upperdir=/u,lowerdir=/l");
}

Test(shim_mount, flags_set_and_clear_in_order) {
  const char *o[] = {"rbind", "ro", "nosuid", "rw", "nodev", "dev", "noexec"};
  unsigned long flags;
  char data[16];
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__mount_options(o, 7, &flags, data, sizeof data, &err), 0);
  cr_assert_eq(flags, MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC);
  cr_assert_str_eq(data, "");
}

Test(shim_mount, propagation_and_overlong_data_are_refused) {
  const char *p[] = {"rbind", "rshared"};
  unsigned long flags;
  char data[8];
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__mount_options(p, 2, &flags, data, sizeof data, &err),
               WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "rshared"), "%s", err.msg);
  const char *l[] = {"lowerdir=/a/very/long/path"};
  wa_err_init(&err);
  cr_assert_eq(wl__mount_options(l, 1, &flags, data, sizeof data, &err),
               WA_ELIMIT);
}

static char tmp[64];

static void mk_tmp(void) {
  snprintf(tmp, sizeof tmp, "/tmp/wl-mount-XXXXXX");
  cr_assert_not_null(mkdtemp(tmp));
}

Test(shim_mount, stacked_binds_mount_and_unmount_completely) {
  if (geteuid() != 0)
    cr_skip_test("mounting needs root");
  mk_tmp();
  char src[128], dst[128], file[160];
  snprintf(src, sizeof src, "%s/src", tmp);
  snprintf(dst, sizeof dst, "%s/dst", tmp);
  snprintf(file, sizeof file, "%s/marker", src);
  mkdir(src, 0755);
  mkdir(dst, 0755);
  close(open(file, O_CREAT | O_WRONLY, 0644));
  const char *o1[] = {"rbind", "rw"}, *o2[] = {"bind", "ro"};
  wl__mount m[2] = {{"bind", src, o1, 2}, {"none", src, o2, 2}};
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__rootfs_mount(dst, m, 2, &err), 0, "%s", err.msg);
  cr_assert(wl__is_mountpoint(dst));
  snprintf(file, sizeof file, "%s/marker", dst);
  cr_assert_eq(access(file, F_OK), 0, "the bind shows the source");
  cr_assert_neq(open(file, O_WRONLY), 0, "the top bind is read-only");
  cr_assert_eq(wl__rootfs_unmount(dst, &err), 0, "%s", err.msg);
  cr_assert_not(wl__is_mountpoint(dst), "both layers are gone");
  cr_assert_eq(wl__rootfs_unmount(dst, &err), 0, "unmounting twice is fine");
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
  cr_assert_eq(system(cmd), 0);
}

Test(shim_mount, a_failed_mount_names_source_and_target) {
  if (geteuid() != 0)
    cr_skip_test("mounting needs root");
  mk_tmp();
  const char *o[] = {"lowerdir=/nonexistent/a"};
  wl__mount m = {"overlay", "overlay", o, 1};
  wa_err err;
  wa_err_init(&err);
  cr_assert_neq(wl__rootfs_mount(tmp, &m, 1, &err), 0);
  cr_assert(strstr(err.msg, "mounting overlay (overlay) on /tmp/wl-mount-"),
            "%s", err.msg);
  cr_assert_not(wl__is_mountpoint(tmp));
  rmdir(tmp);
}
