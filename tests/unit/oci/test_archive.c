#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *work, *root, *outside;
static char tarpath[512];
static wa_err err;

static void setup(void) {
  work = t_tempdir("archive");
  root = malloc(600);
  outside = malloc(600);
  snprintf(root, 600, "%s/root", work);
  snprintf(outside, 600, "%s/outside", work);
  mkdir(root, 0755);
  mkdir(outside, 0755);
  snprintf(tarpath, sizeof tarpath, "%s/layer.tar", work);
  wa_err_init(&err);
}
static void teardown(void) {
  t_rmrf(work);
  free(work);
  free(root);
  free(outside);
}
TestSuite(oci_archive, .init = setup, .fini = teardown);

#define N(a) (sizeof(a) / sizeof *(a))

static char *in_root(const char *rel) {
  static char buf[4][700];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
  return buf[k];
}

static int apply(const t_ent *e, size_t n, char comp) {
  t_tar(tarpath, e, n, comp);
  return t_apply(root, tarpath, WO_TAR_LAYER, NULL, &err);
}

static void assert_file(const char *rel, const char *content) {
  size_t n;
  char *got = t_read(in_root(rel), &n);
  cr_assert_not_null(got, "%s missing", rel);
  cr_assert_str_eq(got, content);
  free(got);
}

Test(oci_archive, files_dirs_and_links_unpack_for_each_compression) {
  const char comps[] = {'n', 'g', 'z'};
  for (size_t c = 0; c < 3; c++) {
    t_rmrf(root);
    mkdir(root, 0755);
    wa_err_init(&err);
    t_ent e[] = {{'d', "./app", NULL, 0, 0755},
                 {'f', "./app/hello.wasm", "\0asm", 4, 0755},
                 {'f', "app/readme", "hi", -1, 0},
                 {'l', "app/link", "readme", 0, 0},
                 {'l', "abs", "/app/readme", 0, 0},
                 {'h', "app/hard", "app/readme", 0, 0},
                 {'f', "deep/er/file", "x", -1, 0}};
    cr_assert_eq(apply(e, N(e), comps[c]), 0, "%c: %s", comps[c], err.msg);
    assert_file("app/readme", "hi");
    assert_file("app/hard", "hi");
    assert_file("deep/er/file", "x");
    char target[64] = {0};
    cr_assert_eq(readlink(in_root("app/link"), target, sizeof target), 6);
    cr_assert_str_eq(target, "readme");
    struct stat a, b;
    cr_assert_eq(stat(in_root("app/readme"), &a), 0);
    cr_assert_eq(stat(in_root("app/hard"), &b), 0);
    cr_assert_eq(a.st_ino, b.st_ino);
    cr_assert_eq(stat(in_root("app/hello.wasm"), &a), 0);
    cr_assert_eq(a.st_mode & 0777, 0755);
  }
}

Test(oci_archive, dotdot_entries_are_refused) {
  t_ent e[] = {{'f', "a/../../escape", "x", -1, 0}};
  cr_assert_eq(apply(e, 1, 'n'), WA_EESCAPE);
  cr_assert(strstr(err.msg, "'..'"), "%s", err.msg);
  cr_assert_not(t_exists("/tmp/escape"));
  cr_assert_eq(t_count(work), 3); /* root, outside, layer.tar */
}

Test(oci_archive, absolute_entries_are_refused) {
  char p[700];
  snprintf(p, sizeof p, "%s/abs-file", outside);
  t_ent e[] = {{'f', p, "x", -1, 0}};
  cr_assert_eq(apply(e, 1, 'g'), WA_EESCAPE);
  cr_assert(strstr(err.msg, "absolute"), "%s", err.msg);
  cr_assert_eq(t_count(outside), 0);
}

Test(oci_archive,
     symlink_pointing_outside_is_refused_before_a_file_goes_through_it) {
  t_ent e[] = {{'l', "esc", "../outside", 0, 0},
               {'f', "esc/pwned", "x", -1, 0}};
  cr_assert_eq(apply(e, 2, 'n'), WA_EESCAPE);
  cr_assert(strstr(err.msg, "points outside"), "%s", err.msg);
  cr_assert_eq(t_count(outside), 0);
  t_ent e2[] = {{'l', "a/b/esc", "../../../x", 0, 0}};
  wa_err_init(&err);
  cr_assert_eq(apply(e2, 1, 'n'), WA_EESCAPE);
  t_ent e3[] = {{'l', "esc", "/../../x", 0, 0}};
  wa_err_init(&err);
  cr_assert_eq(apply(e3, 1, 'n'), WA_EESCAPE);
}

Test(oci_archive, absolute_symlink_is_resolved_inside_the_root) {
  /* "/<work>/outside" read as a rootfs path stays beneath the root, so a
   * file written through the link lands inside, never in the real dir. */
  t_ent e[] = {{'d', outside + 1, NULL, 0, 0},
               {'l', "esc", outside, 0, 0},
               {'f', "esc/pwned", "x", -1, 0}};
  cr_assert_eq(apply(e, 3, 'n'), 0, "%s", err.msg);
  cr_assert_eq(t_count(outside), 0, "a file escaped the root");
  char inside[900];
  snprintf(inside, sizeof inside, "%s%s/pwned", root, outside);
  cr_assert(t_exists(inside), "%s", inside);
}

Test(oci_archive, symlink_chain_from_a_lower_layer_cannot_redirect_writes) {
  /* "s" -> "/" and "a" -> "s/<outside>" each pass the lexical check; a
   * host-side lookup of a/pwned would land in the real outside dir.
   * Resolution happens in the root, so it lands beneath it. */
  char via[700];
  snprintf(via, sizeof via, "s%s", outside);
  t_ent e1[] = {{'d', outside + 1, NULL, 0, 0},
                {'l', "s", "/", 0, 0},
                {'l', "a", via, 0, 0}};
  cr_assert_eq(apply(e1, 3, 'n'), 0, "%s", err.msg);
  t_ent e2[] = {{'f', "a/pwned", "x", -1, 0}};
  cr_assert_eq(apply(e2, 1, 'n'), 0, "%s", err.msg);
  cr_assert_eq(t_count(outside), 0, "a file escaped the root");
  char inside[900];
  snprintf(inside, sizeof inside, "%s%s/pwned", root, outside);
  cr_assert(t_exists(inside), "%s", inside);
}

Test(oci_archive, hardlinks_outside_or_to_nothing_are_refused) {
  char secret[700];
  snprintf(secret, sizeof secret, "%s/secret", outside);
  t_write(secret, "s", 1);
  t_ent e[] = {{'h', "hl", "../outside/secret", 0, 0}};
  cr_assert_eq(apply(e, 1, 'n'), WA_EESCAPE);
  t_ent e2[] = {{'h', "hl", secret, 0, 0}};
  wa_err_init(&err);
  cr_assert_eq(apply(e2, 1, 'n'), WA_EESCAPE);
  t_ent e3[] = {{'h', "hl", "missing", 0, 0}};
  wa_err_init(&err);
  cr_assert_eq(apply(e3, 1, 'n'), WA_EESCAPE);
  cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
  /* Through an in-root absolute symlink to the outside dir: the target is
   * resolved in the root, where it does not exist. */
  t_ent e4[] = {{'l', "o", outside, 0, 0}, {'h', "hl", "o/secret", 0, 0}};
  wa_err_init(&err);
  cr_assert_eq(apply(e4, 2, 'n'), WA_EESCAPE);
  struct stat st;
  cr_assert_eq(stat(secret, &st), 0);
  cr_assert_eq(st.st_nlink, 1);
}

Test(oci_archive, a_file_below_a_dangling_symlink_is_refused) {
  t_ent e[] = {{'l', "d", "/nowhere", 0, 0}, {'f', "d/f", "x", -1, 0}};
  cr_assert_eq(apply(e, 2, 'n'), WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "missing directory"), "%s", err.msg);
}

Test(oci_archive, device_nodes_and_fifos_are_refused) {
  t_ent e[] = {{'c', "dev/null", NULL, 0, 0}};
  cr_assert_eq(apply(e, 1, 'n'), WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "device node"), "%s", err.msg);
  t_ent e2[] = {{'p', "fifo", NULL, 0, 0}};
  wa_err_init(&err);
  cr_assert_eq(apply(e2, 1, 'n'), WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "fifo"), "%s", err.msg);
}

Test(oci_archive, oversized_entries_totals_and_counts_hit_the_limits) {
  wo_limits lim = {.max_total = 1 << 20, .max_entry = 4096, .max_entries = 3};
  t_ent e[] = {{'f', "big", NULL, 8192, 0}};
  t_tar(tarpath, e, 1, 'g');
  cr_assert_eq(t_apply(root, tarpath, WO_TAR_LAYER, &lim, &err), WA_ELIMIT);
  cr_assert(strstr(err.msg, "big"), "%s", err.msg);
  lim.max_entry = 1 << 20;
  lim.max_total = 10000;
  t_ent e2[] = {{'f', "a", NULL, 6000, 0}, {'f', "b", NULL, 6000, 0}};
  t_tar(tarpath, e2, 2, 'z');
  wa_err_init(&err);
  cr_assert_eq(t_apply(root, tarpath, WO_TAR_LAYER, &lim, &err), WA_ELIMIT);
  lim.max_total = 1 << 20;
  t_ent e3[] = {{'f', "1", "", -1, 0},
                {'f', "2", "", -1, 0},
                {'f', "3", "", -1, 0},
                {'f', "4", "", -1, 0}};
  t_tar(tarpath, e3, 4, 'n');
  wa_err_init(&err);
  cr_assert_eq(t_apply(root, tarpath, WO_TAR_LAYER, &lim, &err), WA_ELIMIT);
  cr_assert(strstr(err.msg, "entries"), "%s", err.msg);
}

Test(oci_archive, decompression_bomb_stops_at_the_total_limit) {
  wo_limits lim = {
      .max_total = 1 << 20, .max_entry = 1 << 30, .max_entries = 10};
  t_ent e[] = {{'f', "zeros", NULL, 64 << 20, 0}};
  t_tar(tarpath, e, 1, 'z');
  struct stat st;
  cr_assert_eq(stat(tarpath, &st), 0);
  cr_assert_lt(st.st_size, 1 << 20, "the bomb should compress well");
  int r = open(root, O_RDONLY | O_DIRECTORY), fd = open(tarpath, O_RDONLY);
  uint64_t used[2] = {0, 0};
  uint8_t diff[32];
  cr_assert_eq(
      wo_tar_apply(r, fd, "bomb", WO_TAR_LAYER, &lim, used, diff, &err),
      WA_ELIMIT);
  close(fd);
  close(r);
}

Test(oci_archive, whiteouts_remove_lower_entries) {
  t_ent l1[] = {{'f', "a/x", "x", -1, 0},
                {'f', "a/y", "y", -1, 0},
                {'f', "b/z", "z", -1, 0},
                {'f', "c", "c", -1, 0}};
  cr_assert_eq(apply(l1, N(l1), 'g'), 0, "%s", err.msg);
  t_ent l2[] = {{'f', "a/.wh.x", "", -1, 0},
                {'f', ".wh.b", "", -1, 0},
                {'f', "c", "new c", -1, 0},
                {'f', ".wh.never-there", "", -1, 0},
                {'f', "nodir/.wh.q", "", -1, 0}};
  cr_assert_eq(apply(l2, N(l2), 'g'), 0, "%s", err.msg);
  cr_assert_not(t_exists(in_root("a/x")));
  cr_assert_not(t_exists(in_root("a/.wh.x")));
  assert_file("a/y", "y");
  cr_assert_not(t_exists(in_root("b")));
  assert_file("c", "new c");
}

Test(oci_archive, opaque_marker_hides_lower_contents_but_not_its_own_layer) {
  t_ent l1[] = {{'f', "d/old", "o", -1, 0},
                {'f', "d/sub/old2", "o", -1, 0},
                {'f', "keep", "k", -1, 0}};
  cr_assert_eq(apply(l1, N(l1), 'n'), 0, "%s", err.msg);
  /* The marker comes after a new entry of the same layer on purpose. */
  t_ent l2[] = {{'f', "d/new", "n", -1, 0}, {'f', "d/.wh..wh..opq", "", -1, 0}};
  cr_assert_eq(apply(l2, N(l2), 'n'), 0, "%s", err.msg);
  assert_file("d/new", "n");
  cr_assert_not(t_exists(in_root("d/old")));
  cr_assert_not(t_exists(in_root("d/sub")));
  assert_file("keep", "k");
}

Test(oci_archive, whiteout_of_dot_or_dotdot_is_refused) {
  t_ent e[] = {{'f', "a/.wh..", "", -1, 0}};
  cr_assert_eq(apply(e, 1, 'n'), WA_EESCAPE);
}

Test(oci_archive, upper_layer_replaces_file_with_dir_and_back) {
  t_ent l1[] = {{'f', "p", "file", -1, 0}, {'f', "q/inner", "i", -1, 0}};
  cr_assert_eq(apply(l1, N(l1), 'n'), 0, "%s", err.msg);
  /* Without its own entry a parent that is a file is an error, as in
   * containerd; with one, the directory replaces the file. */
  t_ent bad[] = {{'f', "p/child", "c", -1, 0}};
  cr_assert_neq(apply(bad, 1, 'n'), 0);
  wa_err_init(&err);
  t_ent l2[] = {{'d', "p", NULL, 0, 0},
                {'f', "p/child", "c", -1, 0},
                {'f', "q", "now a file", -1, 0}};
  cr_assert_eq(apply(l2, N(l2), 'n'), 0, "%s", err.msg);
  assert_file("p/child", "c");
  assert_file("q", "now a file");
}

Test(oci_archive, setuid_bits_are_dropped) {
  t_ent e[] = {{'f', "suid", "x", -1, 04755}};
  cr_assert_eq(apply(e, 1, 'n'), 0, "%s", err.msg);
  struct stat st;
  cr_assert_eq(stat(in_root("suid"), &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0755);
}

Test(oci_archive, layout_mode_refuses_links) {
  t_ent e[] = {{'f', "oci-layout", "{}", -1, 0}, {'l', "blobs", "/", 0, 0}};
  t_tar(tarpath, e, 2, 'n');
  cr_assert_eq(t_apply(root, tarpath, WO_TAR_LAYOUT, NULL, &err),
               WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "link"), "%s", err.msg);
  /* and whiteout names are plain files there */
  t_ent e2[] = {{'f', ".wh.x", "", -1, 0}};
  t_tar(tarpath, e2, 1, 'n');
  wa_err_init(&err);
  cr_assert_eq(t_apply(root, tarpath, WO_TAR_LAYOUT, NULL, &err), 0, "%s",
               err.msg);
  cr_assert(t_exists(in_root(".wh.x")));
}

Test(oci_archive, diff_id_is_the_sha256_of_the_uncompressed_tar) {
  t_ent e[] = {{'f', "f", "content", -1, 0}};
  char plain[600];
  snprintf(plain, sizeof plain, "%s/plain.tar", work);
  t_tar(plain, e, 1, 'n');
  t_tar(tarpath, e, 1, 'z');
  size_t n;
  char *bytes = t_read(plain, &n);
  uint8_t want[32], got[32];
  wa_sha256_once(bytes, n, want);
  free(bytes);
  int r = open(root, O_RDONLY | O_DIRECTORY), fd = open(tarpath, O_RDONLY);
  uint64_t used[2] = {0, 0};
  cr_assert_eq(wo_tar_apply(r, fd, "l", WO_TAR_LAYER, NULL, used, got, &err), 0,
               "%s", err.msg);
  cr_assert_eq(memcmp(want, got, 32), 0);
  close(fd);
  close(r);
}

Test(oci_archive, truncated_and_garbage_archives_are_malformed) {
  t_ent e[] = {{'f', "f", NULL, 100000, 0}};
  t_tar(tarpath, e, 1, 'g');
  size_t n;
  char *bytes = t_read(tarpath, &n);
  t_write(tarpath, bytes, n / 2);
  free(bytes);
  cr_assert_eq(t_apply(root, tarpath, WO_TAR_LAYER, NULL, &err), WA_EMALFORMED);
  t_write(tarpath, "this is not a tar archive at all, just text...", 46);
  wa_err_init(&err);
  cr_assert_eq(t_apply(root, tarpath, WO_TAR_LAYER, NULL, &err), WA_EMALFORMED);
}
