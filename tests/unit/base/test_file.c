#include "wa.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[] = "/tmp/wa-test-file-XXXXXX";

static void setup(void) { cr_assert_not_null(mkdtemp(dir)); }
static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(base_file, .init = setup, .fini = teardown);

Test(base_file, publish_then_read_back_and_no_temp_left) {
  char path[256];
  snprintf(path, sizeof path, "%s/a/b/entry", dir);
  wa_err e;
  wa_err_init(&e);
  char parent[256];
  snprintf(parent, sizeof parent, "%s/a/b", dir);
  cr_assert_eq(wa_mkdirs(parent, 0700, &e), 0, "%s", e.msg);
  cr_assert_eq(wa_file_publish(path, "hello", 5, 0600, &e), 0, "%s", e.msg);
  uint8_t *data;
  size_t n;
  cr_assert_eq(wa_file_read(path, &data, &n, &e), 0, "%s", e.msg);
  cr_assert_eq(n, 5);
  cr_assert_eq(memcmp(data, "hello", 5), 0);
  wa_free(data);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600);
  DIR *d = opendir(parent);
  struct dirent *ent;
  int count = 0;
  while ((ent = readdir(d)))
    if (ent->d_name[0] != '.')
      count++;
  closedir(d);
  cr_assert_eq(count, 1, "a temp file was left behind");
  wa_map m;
  cr_assert_eq(wa_file_map(path, &m, &e), 0, "%s", e.msg);
  cr_assert_eq(m.len, 5);
  wa_file_unmap(&m);
}

Test(base_file, missing_file_is_notfound_with_path) {
  wa_err e;
  wa_err_init(&e);
  uint8_t *data;
  size_t n;
  cr_assert_eq(wa_file_read("/nonexistent/x.wasm", &data, &n, &e), WA_ENOTFOUND);
  cr_assert(strstr(e.msg, "/nonexistent/x.wasm") != NULL, "%s", e.msg);
}

Test(base_file, publish_into_missing_directory_fails_cleanly) {
  wa_err e;
  wa_err_init(&e);
  char path[256];
  snprintf(path, sizeof path, "%s/missing/entry", dir);
  cr_assert_eq(wa_file_publish(path, "x", 1, 0600, &e), WA_EIO);
}
