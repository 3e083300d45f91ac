#include "internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;
static int dfd = -1;
static wa_err err;

static void setup(void) {
  dir = t_tempdir("blob");
  dfd = open(dir, O_RDONLY | O_DIRECTORY);
  wa_err_init(&err);
}
static void teardown(void) {
  close(dfd);
  t_rmrf(dir);
  free(dir);
}
TestSuite(oci_blob, .init = setup, .fini = teardown);

static wo_desc desc_of(const void *data, size_t len) {
  wo_desc d;
  memset(&d, 0, sizeof d);
  uint8_t sha[32];
  wa_sha256_once(data, len, sha);
  wo_digest_format(sha, d.digest);
  d.size = len;
  return d;
}

static void put(const wo_desc *d, const void *data, size_t len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, wo_digest_hex(d->digest));
  t_write(path, data, len);
}

Test(oci_blob, digest_strings_round_trip_and_reject_other_forms) {
  uint8_t sha[32];
  char s[WO_DIGEST_MAX];
  wa_sha256_once("abc", 3, sha);
  wo_digest_format(sha, s);
  cr_assert_str_eq(
      s, "sha256:"
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  uint8_t back[32];
  cr_assert_eq(wo_digest_parse(s, "f", back, &err), 0, "%s", err.msg);
  cr_assert_eq(memcmp(sha, back, 32), 0);
  cr_assert_eq(wo_digest_parse("sha512:00", "f", back, &err), WA_EUNSUPPORTED);
  wa_err_init(&err);
  cr_assert_eq(
      wo_digest_parse(
          "sha256:"
          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
          "f", back, &err),
      WA_EMALFORMED);
  wa_err_init(&err);
  cr_assert_eq(wo_digest_parse("sha256", "f", back, &err), WA_EMALFORMED);
  wa_err_init(&err);
  cr_assert_eq(wo_digest_parse("Sha256!:x", "f", back, &err), WA_EMALFORMED);
}

Test(oci_blob, a_good_blob_opens_at_offset_zero) {
  wo_desc d = desc_of("hello", 5);
  put(&d, "hello", 5);
  wo_blobs b = {.fd = {dfd}, .n = 1};
  int fd;
  cr_assert_eq(wo_blob_open(&b, &d, "test", &fd, &err), 0, "%s", err.msg);
  char buf[8] = {0};
  cr_assert_eq(read(fd, buf, sizeof buf), 5);
  cr_assert_str_eq(buf, "hello");
  close(fd);
}

Test(oci_blob, changed_content_is_a_digest_error_naming_blob_and_origin) {
  wo_desc d = desc_of("hello", 5);
  put(&d, "hellO", 5);
  wo_blobs b = {.fd = {dfd}, .n = 1};
  int fd;
  cr_assert_eq(wo_blob_open(&b, &d, "registry x/y", &fd, &err), WA_EDIGEST);
  cr_assert(strstr(err.msg, d.digest), "%s", err.msg);
  cr_assert(strstr(err.msg, "registry x/y"), "%s", err.msg);
  cr_assert(strstr(err.msg, "hashes to"), "%s", err.msg);
  uint8_t *data;
  size_t len;
  wa_err_init(&err);
  cr_assert_eq(wo_blob_read(&b, &d, 100, "o", &data, &len, &err), WA_EDIGEST);
}

Test(oci_blob, wrong_size_is_a_digest_error_before_hashing) {
  wo_desc d = desc_of("hello", 5);
  put(&d, "hello!", 6);
  wo_blobs b = {.fd = {dfd}, .n = 1};
  int fd;
  cr_assert_eq(wo_blob_open(&b, &d, "o", &fd, &err), WA_EDIGEST);
  cr_assert(strstr(err.msg, "6 bytes, the descriptor says 5"), "%s", err.msg);
}

Test(oci_blob, missing_blob_is_notfound_and_symlinks_are_not_followed) {
  wo_desc d = desc_of("hello", 5);
  wo_blobs b = {.fd = {dfd}, .n = 1};
  int fd;
  cr_assert_eq(wo_blob_open(&b, &d, "o", &fd, &err), WA_ENOTFOUND);
  char path[512], target[512];
  snprintf(target, sizeof target, "%s/real", dir);
  t_write(target, "hello", 5);
  snprintf(path, sizeof path, "%s/%s", dir, wo_digest_hex(d.digest));
  cr_assert_eq(symlink(target, path), 0);
  wa_err_init(&err);
  cr_assert_neq(wo_blob_open(&b, &d, "o", &fd, &err), 0);
}

Test(oci_blob, blob_read_refuses_blobs_over_its_bound) {
  wo_desc d = desc_of("hello", 5);
  put(&d, "hello", 5);
  wo_blobs b = {.fd = {dfd}, .n = 1};
  uint8_t *data;
  size_t len;
  cr_assert_eq(wo_blob_read(&b, &d, 4, "o", &data, &len, &err), WA_ELIMIT);
}

Test(oci_blob, sink_resumes_a_partial_file_and_verifies) {
  const char *all = "0123456789abcdef";
  wo_desc d = desc_of(all, 16);
  wo_sink s;
  cr_assert_eq(wo__sink_open(&s, dfd, &d, "o", &err), 0, "%s", err.msg);
  cr_assert_eq(s.have, 0);
  cr_assert_eq(wo__sink_write(&s, all, 6, &err), 0, "%s", err.msg);
  wo__sink_abort(&s, true);
  cr_assert_eq(wo__sink_open(&s, dfd, &d, "o", &err), 0, "%s", err.msg);
  cr_assert_eq(s.have, 6);
  cr_assert_eq(wo__sink_write(&s, all + 6, 10, &err), 0, "%s", err.msg);
  cr_assert_eq(wo__sink_finish(&s, &err), 0, "%s", err.msg);
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, wo_digest_hex(d.digest));
  size_t n;
  char *got = t_read(path, &n);
  cr_assert_eq(n, 16);
  cr_assert_eq(memcmp(got, all, 16), 0);
  free(got);
}

Test(oci_blob, sink_with_wrong_bytes_deletes_the_file) {
  wo_desc d = desc_of("good bytes", 10);
  wo_sink s;
  cr_assert_eq(wo__sink_open(&s, dfd, &d, "o", &err), 0, "%s", err.msg);
  cr_assert_eq(wo__sink_write(&s, "evil bytes", 10, &err), 0);
  cr_assert_eq(wo__sink_finish(&s, &err), WA_EDIGEST);
  cr_assert(strstr(err.msg, d.digest), "%s", err.msg);
  cr_assert_eq(t_count(dir), 0);
}

Test(oci_blob, sink_refuses_more_bytes_than_the_descriptor_says) {
  wo_desc d = desc_of("abc", 3);
  wo_sink s;
  cr_assert_eq(wo__sink_open(&s, dfd, &d, "o", &err), 0, "%s", err.msg);
  cr_assert_eq(wo__sink_write(&s, "abcd", 4, &err), WA_EDIGEST);
  cr_assert_eq(t_count(dir), 0);
}

Test(oci_blob, sink_restarts_when_the_partial_file_is_longer_than_the_blob) {
  wo_desc d = desc_of("abc", 3);
  put(&d, "abcdef", 6);
  wo_sink s;
  cr_assert_eq(wo__sink_open(&s, dfd, &d, "o", &err), 0, "%s", err.msg);
  cr_assert_eq(s.have, 0);
  cr_assert_eq(wo__sink_write(&s, "abc", 3, &err), 0);
  cr_assert_eq(wo__sink_finish(&s, &err), 0, "%s", err.msg);
}
