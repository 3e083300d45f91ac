#include "internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static wa_err err;

Test(oci_auth, base64_round_trips_and_rejects_bad_characters) {
  const char *in = "user:pa55:word";
  char enc[64];
  wo__base64_encode((const uint8_t *)in, strlen(in), enc, sizeof enc);
  cr_assert_str_eq(enc, "dXNlcjpwYTU1OndvcmQ=");
  uint8_t dec[64];
  size_t n;
  cr_assert_eq(wo__base64_decode(enc, dec, sizeof dec, &n), 0);
  cr_assert_eq(n, strlen(in));
  cr_assert_eq(memcmp(dec, in, n), 0);
  cr_assert_eq(wo__base64_decode("dXN!cg==", dec, sizeof dec, &n), -1);
  cr_assert_eq(wo__base64_decode("dXNlcjpwYTU1OndvcmQ=", dec, 4, &n), -1);
}

Test(oci_auth, bearer_challenge_gives_realm_service_and_scope) {
  wo_challenge c;
  wa_err_init(&err);
  cr_assert_eq(
      wo__challenge_parse(
          "Bearer "
          "realm=\"https://auth.example/token\",service=\"registry.example\","
          "scope=\"repository:foo/bar:pull\"",
          &c, &err),
      0, "%s", err.msg);
  cr_assert_eq(c.scheme, WO_AUTH_BEARER);
  cr_assert_str_eq(c.realm, "https://auth.example/token");
  cr_assert_str_eq(c.service, "registry.example");
  cr_assert_str_eq(c.scope, "repository:foo/bar:pull");
  cr_assert_eq(
      wo__challenge_parse("bearer  realm = \"a\\\"b\" , error=invalid_token",
                          &c, &err),
      0, "%s", err.msg);
  cr_assert_str_eq(c.realm, "a\"b");
}

Test(oci_auth, basic_challenge_and_the_first_of_several) {
  wo_challenge c;
  wa_err_init(&err);
  cr_assert_eq(wo__challenge_parse("Basic realm=\"Registry Realm\"", &c, &err),
               0, "%s", err.msg);
  cr_assert_eq(c.scheme, WO_AUTH_BASIC);
  cr_assert_eq(
      wo__challenge_parse("Basic realm=\"x\", Bearer realm=\"y\"", &c, &err), 0,
      "%s", err.msg);
  cr_assert_eq(c.scheme, WO_AUTH_BASIC);
  cr_assert_str_eq(c.realm, "x");
}

Test(oci_auth, unsupported_or_malformed_challenges_are_errors) {
  wo_challenge c;
  wa_err_init(&err);
  cr_assert_eq(wo__challenge_parse("Negotiate abc", &c, &err), WA_EUNSUPPORTED);
  wa_err_init(&err);
  cr_assert_eq(wo__challenge_parse("Bearer service=\"x\"", &c, &err),
               WA_EMALFORMED);
  cr_assert(strstr(err.msg, "without a realm"), "%s", err.msg);
  wa_err_init(&err);
  cr_assert_eq(wo__challenge_parse("Bearer realm=\"unterminated", &c, &err),
               WA_EMALFORMED);
  wa_err_init(&err);
  cr_assert_eq(wo__challenge_parse("", &c, &err), WA_EMALFORMED);
  char big[3000] = "Bearer realm=\"";
  memset(big + 14, 'a', 2000);
  strcpy(big + 2014, "\"");
  wa_err_init(&err);
  cr_assert_eq(wo__challenge_parse(big, &c, &err), WA_ELIMIT);
}

static char *cfgdir;
static char cfgpath[600];
static void cfg_setup(void) {
  cfgdir = t_tempdir("auth");
  snprintf(cfgpath, sizeof cfgpath, "%s/config.json", cfgdir);
  wa_err_init(&err);
}
static void cfg_teardown(void) {
  t_rmrf(cfgdir);
  free(cfgdir);
}

Test(oci_auth, docker_config_auth_fields_match_host_forms, .init = cfg_setup,
     .fini = cfg_teardown) {
  const char *j =
      "{\"auths\":{"
      "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
      "\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6czNjcjN0\"},"
      "\"http://other.io\":{\"username\":\"bob\",\"password\":\"pw\"}},"
      "\"credsStore\":\"desktop\"}";
  t_write(cfgpath, j, strlen(j));
  wo_creds c;
  cr_assert_eq(wo__creds_from_docker_config(cfgpath, "docker.io", &c, &err), 0,
               "%s", err.msg);
  cr_assert(c.set);
  cr_assert_str_eq(c.user, "hub");
  cr_assert_str_eq(c.pass, "hubpw");
  cr_assert_eq(
      wo__creds_from_docker_config(cfgpath, "127.0.0.1:5000", &c, &err), 0);
  cr_assert_str_eq(c.user, "alice");
  cr_assert_str_eq(c.pass, "s3cr3t");
  cr_assert_eq(wo__creds_from_docker_config(cfgpath, "other.io", &c, &err), 0);
  cr_assert_str_eq(c.user, "bob");
  cr_assert_eq(
      wo__creds_from_docker_config(cfgpath, "127.0.0.1:5001", &c, &err), 0);
  cr_assert_not(c.set);
}

Test(oci_auth, docker_config_problems_are_named, .init = cfg_setup,
     .fini = cfg_teardown) {
  wo_creds c;
  cr_assert_eq(wo__creds_from_docker_config(cfgpath, "x.io", &c, &err), 0,
               "missing file");
  cr_assert_not(c.set);
  const char *bad = "{\"auths\":{\"x.io\":{\"auth\":\"!!!\"}}}";
  t_write(cfgpath, bad, strlen(bad));
  cr_assert_eq(wo__creds_from_docker_config(cfgpath, "x.io", &c, &err),
               WA_EMALFORMED);
  cr_assert(strstr(err.msg, "auths.x.io.auth"), "%s", err.msg);
  const char *nocolon = "{\"auths\":{\"x.io\":{\"auth\":\"dXNlcg==\"}}}";
  t_write(cfgpath, nocolon, strlen(nocolon));
  wa_err_init(&err);
  cr_assert_eq(wo__creds_from_docker_config(cfgpath, "x.io", &c, &err),
               WA_EMALFORMED);
  t_write(cfgpath, "{", 1);
  wa_err_init(&err);
  cr_assert_eq(wo__creds_from_docker_config(cfgpath, "x.io", &c, &err),
               WA_EMALFORMED);
}
