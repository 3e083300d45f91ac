/*
 * test_artifacts.c: launcher/shim/artifacts.c. The artifact cache check
 * Create runs (a usable cache passes and is created 0700; a file, a
 * group-writable, an unwritable or a full one fails naming the cause),
 * the lookup of Wasm artifacts in the wasmaot image store, and the spec
 * annotations and shim config key that point the shim at it.
 */
#include "shim_internal.h"
#include "wo.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char work[64];
static wa_err err;

static void setup(void) {
  snprintf(work, sizeof work, "/tmp/wl-artifacts-XXXXXX");
  cr_assert_not_null(mkdtemp(work));
  wa_err_init(&err);
}

static void teardown(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "chmod -R u+rwx %s; rm -rf %s", work, work);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(shim_artifacts, .init = setup, .fini = teardown);

static const char *path(const char *rel) {
  static char buf[4][256];
  static int i;
  char *p = buf[i++ % 4];
  snprintf(p, 256, "%s/%s", work, rel);
  return p;
}

Test(shim_artifacts, usable_cache_passes_and_is_created_private) {
  cr_assert_eq(wl__cache_check(path("c"), &err), 0, "%s", err.msg);
  struct stat st;
  cr_assert_eq(stat(path("c"), &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0700);
  cr_assert_eq(stat(path("c/objects"), &st), 0);
  /* Twice is fine (every Create checks). */
  cr_assert_eq(wl__cache_check(path("c"), &err), 0, "%s", err.msg);
}

Test(shim_artifacts, a_file_is_not_a_cache) {
  int fd = open(path("f"), O_CREAT | O_WRONLY, 0600);
  cr_assert_geq(fd, 0);
  close(fd);
  cr_assert_neq(wl__cache_check(path("f"), &err), 0);
  cr_assert(strstr(err.msg, "cache: "), "%s", err.msg);
  cr_assert(strstr(err.msg, "is not a directory"), "%s", err.msg);
}

Test(shim_artifacts, group_writable_cache_fails_naming_the_mode) {
  cr_assert_eq(mkdir(path("g"), 0700), 0);
  cr_assert_eq(chmod(path("g"), 0770), 0);
  cr_assert_eq(wl__cache_check(path("g"), &err), WA_EPERM);
  cr_assert(strstr(err.msg, "cache: "), "%s", err.msg);
  cr_assert(strstr(err.msg, path("g")), "%s", err.msg);
  cr_assert(strstr(err.msg, "group-writable"), "%s", err.msg);
}

Test(shim_artifacts, unwritable_cache_fails) {
  cr_assert_eq(wl__cache_check(path("ro"), &err), 0, "%s", err.msg);
  cr_assert_eq(chmod(path("ro/objects"), 0500), 0);
  cr_assert_eq(wl__cache_check(path("ro"), &err), WA_EPERM);
  cr_assert(strstr(err.msg, "/ro/objects is not writable (mode 0500)"), "%s",
            err.msg);
  wa_err_init(&err);
  cr_assert_eq(chmod(path("ro/objects"), 0700), 0);
  cr_assert_eq(chmod(path("ro"), 0500), 0);
  cr_assert_eq(wl__cache_check(path("ro"), &err), WA_EPERM);
  cr_assert(strstr(err.msg, "/ro is not writable"), "%s", err.msg);
}

Test(shim_artifacts, full_or_read_only_file_system_fails) {
  if (geteuid() != 0)
    cr_skip_test("needs root to mount a tmpfs");
  const char *mnt = path("full");
  cr_assert_eq(mkdir(mnt, 0700), 0);
  cr_assert_eq(mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700"), 0);
  char cache[256];
  snprintf(cache, sizeof cache, "%s/cache", mnt);
  int rc = wl__cache_check(cache, &err);
  cr_expect_eq(rc, 0, "%s", err.msg);
  /* Fill it up. */
  char filler[256];
  snprintf(filler, sizeof filler, "%s/filler", mnt);
  int fd = open(filler, O_CREAT | O_WRONLY, 0600);
  static char block[4096];
  while (fd >= 0 && write(fd, block, sizeof block) > 0)
    ;
  if (fd >= 0)
    close(fd);
  wa_err_init(&err);
  rc = wl__cache_check(cache, &err);
  cr_expect_eq(rc, WA_ELIMIT, "%s", err.msg);
  cr_expect(strstr(err.msg, "no space left"), "%s", err.msg);
  unlink(filler);
  cr_expect_eq(mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
  wa_err_init(&err);
  rc = wl__cache_check(cache, &err);
  cr_expect_eq(rc, WA_EPERM, "%s", err.msg);
  cr_expect(strstr(err.msg, "read-only file system"), "%s", err.msg);
  cr_assert_eq(umount2(mnt, MNT_DETACH), 0);
}

/* ------------------------------------------------------------ store */

static const uint8_t module[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 'Z'};

/* An OCI layout holding one Wasm artifact (tag "v1"), pulled into a store
 * at work/store; returns the image's name in the store. */
static const char *stored_artifact(char *name, size_t cap) {
  wo_layout *lay;
  wo_desc d;
  wa_err_init(&err);
  cr_assert_eq(wo_layout_create(path("lay"), &lay, &err), 0, "%s", err.msg);
  cr_assert_eq(
      wo_layout_put_artifact(lay, module, sizeof module, NULL, &d, &err), 0,
      "%s", err.msg);
  cr_assert_eq(wo_layout_tag(lay, &d, "v1", &err), 0, "%s", err.msg);
  wo_layout_free(lay);
  wo_store *s;
  cr_assert_eq(wo_store_open(path("store"), &s, &err), 0, "%s", err.msg);
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  wo_image_info info;
  char ref[512];
  snprintf(ref, sizeof ref, "oci:%s:v1", path("lay"));
  cr_assert_eq(wo_store_pull(s, ref, &o, &info, &err), 0, "%s", err.msg);
  wo_store_free(s);
  snprintf(name, cap, "%s", info.name);
  return name;
}

Test(shim_artifacts, store_artifact_resolves_to_its_module_blob) {
  char name[1024], out[4096];
  stored_artifact(name, sizeof name);
  cr_assert_eq(wl__store_module(path("store"), name, out, sizeof out, &err), 0,
               "%s", err.msg);
  cr_assert(strstr(out, "/store/blobs/sha256/"), "%s", out);
  uint8_t buf[64];
  int fd = open(out, O_RDONLY);
  cr_assert_geq(fd, 0, "%s", out);
  cr_assert_eq(read(fd, buf, sizeof buf), (ssize_t)sizeof module);
  close(fd);
  cr_assert_eq(memcmp(buf, module, sizeof module), 0);
}

Test(shim_artifacts, store_misses_are_named) {
  char out[4096];
  /* No store at all: not created by the lookup. */
  cr_assert_eq(wl__store_module(path("nostore"), "example.com/app:1", out,
                                sizeof out, &err),
               WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "no store at"), "%s", err.msg);
  cr_assert_eq(access(path("nostore"), F_OK), -1);
  /* A store without that image. */
  char name[1024];
  stored_artifact(name, sizeof name);
  wa_err_init(&err);
  cr_assert_eq(wl__store_module(path("store"), "example.com/app:1", out,
                                sizeof out, &err),
               WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "image example.com/app:1 is not in the wasmaot "
                            "image store"),
            "%s", err.msg);
}

Test(shim_artifacts, store_writable_by_others_is_not_used) {
  char name[1024], out[4096];
  stored_artifact(name, sizeof name);
  cr_assert_eq(chmod(path("store"), 0777), 0);
  cr_assert_eq(wl__store_module(path("store"), name, out, sizeof out, &err),
               WA_EPERM);
  cr_assert(strstr(err.msg, "writable by others"), "%s", err.msg);
}

/* ------------------------------------------------- spec and config */

Test(shim_artifacts, spec_annotations_name_the_image) {
  static const char json[] =
      "{\"process\":{\"args\":[\"app\"],\"cwd\":\"/\"},"
      "\"annotations\":{\"io.wasmaot.image\":\"example.com/app:1\","
      "\"io.kubernetes.cri.image-name\":\"docker.io/library/x:2\","
      "\"other\":\"y\"}}";
  wl__spec s;
  cr_assert_eq(wl__spec_parse(json, strlen(json), &s, &err), 0, "%s", err.msg);
  cr_assert_str_eq(s.wasmaot_image, "example.com/app:1");
  cr_assert_str_eq(s.cri_image, "docker.io/library/x:2");
  wl__spec_free(&s);
  static const char plain[] = "{\"process\":{\"args\":[\"app\"]}}";
  cr_assert_eq(wl__spec_parse(plain, strlen(plain), &s, &err), 0, "%s",
               err.msg);
  cr_assert_null(s.wasmaot_image);
  cr_assert_null(s.cri_image);
  wl__spec_free(&s);
  static const char bad[] = "{\"process\":{\"args\":[\"app\"]},\"annotations\":"
                            "{\"io.wasmaot.image\":7}}";
  cr_assert_neq(wl__spec_parse(bad, strlen(bad), &s, &err), 0);
  cr_assert(strstr(err.msg, "annotations"), "%s", err.msg);
}

Test(shim_artifacts, shim_config_names_the_store) {
  const char *p = path("shim.json");
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs("{\"store_dir\": \"/srv/images\", \"cache_dir\": \"/srv/cache\"}", f);
  fclose(f);
  wl__shim_config cfg;
  cr_assert_eq(wl__shim_config_load(p, &cfg, &err), 0, "%s", err.msg);
  cr_assert_str_eq(cfg.store_dir, "/srv/images");
  cr_assert_str_eq(cfg.cache_dir, "/srv/cache");
  f = fopen(p, "w");
  fputs("{\"store_dir\": \"relative\"}", f);
  fclose(f);
  cr_assert_neq(wl__shim_config_load(p, &cfg, &err), 0);
  cr_assert(strstr(err.msg, "store_dir must be an absolute path"), "%s",
            err.msg);
}
