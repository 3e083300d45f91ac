#include "wo.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static wo_ref ref;
static wa_err err;

static int parse(const char *s) {
  wa_err_init(&err);
  return wo_ref_parse(s, &ref, &err);
}

static const char *name(void) {
  static char buf[1024];
  return wo_ref_name(&ref, buf, sizeof buf);
}

Test(oci_ref, docker_hub_short_name_gets_library_prefix_and_latest) {
  cr_assert_eq(parse("alpine"), 0, "%s", err.msg);
  cr_assert_eq(ref.kind, WO_REF_REGISTRY);
  cr_assert_str_eq(ref.domain, "docker.io");
  cr_assert_str_eq(ref.endpoint, "registry-1.docker.io");
  cr_assert_str_eq(ref.repo, "library/alpine");
  cr_assert_str_eq(ref.tag, "latest");
  cr_assert_str_eq(ref.digest, "");
  cr_assert_str_eq(name(), "docker.io/library/alpine:latest");
}

Test(oci_ref, docker_hub_user_repository_keeps_its_path) {
  cr_assert_eq(parse("someone/app:1.0"), 0, "%s", err.msg);
  cr_assert_str_eq(ref.repo, "someone/app");
  cr_assert_str_eq(ref.tag, "1.0");
  cr_assert_eq(parse("docker.io/hello"), 0, "%s", err.msg);
  cr_assert_str_eq(ref.repo, "library/hello");
  cr_assert_eq(parse("index.docker.io/x/y"), 0, "%s", err.msg);
  cr_assert_str_eq(ref.domain, "docker.io");
}

Test(oci_ref, host_with_port_is_a_registry_used_as_endpoint) {
  cr_assert_eq(parse("127.0.0.1:5000/wasm/hello:v1"), 0, "%s", err.msg);
  cr_assert_str_eq(ref.domain, "127.0.0.1:5000");
  cr_assert_str_eq(ref.endpoint, "127.0.0.1:5000");
  cr_assert_str_eq(ref.repo, "wasm/hello");
  cr_assert_str_eq(ref.tag, "v1");
  cr_assert_eq(parse("localhost/x"), 0, "%s", err.msg);
  cr_assert_str_eq(ref.domain, "localhost");
  cr_assert_str_eq(ref.repo, "x");
  cr_assert_eq(parse("[::1]:5000/x"), 0, "%s", err.msg);
  cr_assert_str_eq(ref.domain, "[::1]:5000");
  cr_assert_eq(parse("docker://ghcr.io/o/r:t"), 0, "%s", err.msg);
  cr_assert_str_eq(ref.domain, "ghcr.io");
}

Test(oci_ref, digest_reference_has_no_default_tag) {
  cr_assert_eq(parse("ghcr.io/o/r@sha256:" D64), 0, "%s", err.msg);
  cr_assert_str_eq(ref.tag, "");
  cr_assert_str_eq(ref.digest, "sha256:" D64);
  cr_assert_str_eq(name(), "ghcr.io/o/r@sha256:" D64);
  cr_assert_eq(parse("ghcr.io/o/r:t1@sha256:" D64), 0, "%s", err.msg);
  cr_assert_str_eq(ref.tag, "t1");
  cr_assert_str_eq(name(), "ghcr.io/o/r:t1@sha256:" D64);
}

Test(oci_ref, separators_follow_the_distribution_grammar) {
  const char *good[] = {"a__b", "a--b", "a.b", "a_b", "a-b-c", "a0/b1/c2"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    cr_assert_eq(parse(good[i]), 0, "%s: %s", good[i], err.msg);
  const char *bad[] = {"a..b", "-a",   "a_",  "a___b", "a/",
                       "/a",   "a//b", "a b", "a@b"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cr_assert_eq(parse(bad[i]), WA_EUSAGE, "%s accepted", bad[i]);
    cr_assert_neq(err.msg[0], 0);
  }
}

Test(oci_ref, uppercase_repository_is_rejected_naming_the_rule) {
  cr_assert_eq(parse("docker.io/Library/Alpine"), WA_EUSAGE);
  cr_assert(strstr(err.msg, "lower case"), "%s", err.msg);
  /* Upper case in the host and tag is fine. */
  cr_assert_eq(parse("Registry.Example:443/a:TAG_1"), 0, "%s", err.msg);
}

Test(oci_ref, bad_tags_and_hosts_are_named_in_the_error) {
  cr_assert_eq(parse("a:-bad"), WA_EUSAGE);
  cr_assert(strstr(err.msg, "invalid tag '-bad'"), "%s", err.msg);
  char longtag[200] = "a:";
  memset(longtag + 2, 't', 129);
  cr_assert_eq(parse(longtag), WA_EUSAGE);
  cr_assert_eq(parse("host.io:99999/a"), WA_EUSAGE);
  cr_assert(strstr(err.msg, "registry host"), "%s", err.msg);
  cr_assert_eq(parse("host.io:/a"), WA_EUSAGE);
}

Test(oci_ref, digests_other_than_sha256_or_malformed_are_rejected) {
  cr_assert_eq(parse("a@sha512:" D64 D64), WA_EUSAGE);
  cr_assert(strstr(err.msg, "not supported"), "%s", err.msg);
  cr_assert_eq(parse("a@sha256:abc"), WA_EUSAGE);
  cr_assert(strstr(err.msg, "64"), "%s", err.msg);
  cr_assert_eq(
      parse("a@sha256:"
            "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"),
      WA_EUSAGE);
}

Test(oci_ref, empty_and_url_references_are_usage_errors) {
  cr_assert_eq(parse(""), WA_EUSAGE);
  cr_assert_eq(parse("https://r.io/a"), WA_EUSAGE);
  cr_assert(strstr(err.msg, "URL"), "%s", err.msg);
}

Test(oci_ref, oci_layout_reference_with_tag_or_digest) {
  cr_assert_eq(parse("oci:/var/img:v1"), 0, "%s", err.msg);
  cr_assert_eq(ref.kind, WO_REF_LAYOUT);
  cr_assert_str_eq(ref.path, "/var/img");
  cr_assert_str_eq(ref.tag, "v1");
  cr_assert_str_eq(name(), "oci:/var/img:v1");
  cr_assert_eq(parse("oci:/var/img/"), 0, "%s", err.msg);
  cr_assert_str_eq(ref.path, "/var/img");
  cr_assert_str_eq(ref.tag, "");
  cr_assert_eq(parse("oci:/var/img@sha256:" D64), 0, "%s", err.msg);
  cr_assert_str_eq(ref.digest, "sha256:" D64);
  cr_assert_str_eq(ref.tag, "");
  cr_assert_eq(parse("oci:"), WA_EUSAGE);
  cr_assert_eq(parse("oci:/x:bad tag"), WA_EUSAGE);
}

Test(oci_ref, relative_layout_paths_become_absolute) {
  char cwd[PATH_MAX], want[PATH_MAX + 16];
  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  snprintf(want, sizeof want, "%s/img.tar", cwd);
  cr_assert_eq(parse("oci-archive:img.tar:latest"), 0, "%s", err.msg);
  cr_assert_eq(ref.kind, WO_REF_ARCHIVE);
  cr_assert_str_eq(ref.path, want);
  cr_assert_str_eq(ref.tag, "latest");
}
