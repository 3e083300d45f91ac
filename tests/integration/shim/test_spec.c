/*
 * test_spec.c: reading the OCI runtime spec (launcher/shim/spec.c) from a
 * config.json that containerd 1.6.20's ctr wrote, and the errors a
 * malformed one gets.
 */
#include "shim_internal.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/resource.h>

#ifndef WL_TEST_DATA
#error "WL_TEST_DATA must name tests/integration/shim/data"
#endif

static int parse(const char *json, wl__spec *s, wa_err *err) {
  wa_err_init(err);
  return wl__spec_parse(json, strlen(json), s, err);
}

Test(shim_spec, reads_the_config_ctr_writes) {
  wl__spec s;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__spec_load(WL_TEST_DATA, &s, &err), 0, "%s", err.msg);
  cr_assert_eq(s.n_args, 2);
  cr_assert_str_eq(s.args[0], "/sleep.wasm");
  cr_assert_str_eq(s.args[1], "x");
  cr_assert_null(s.args[2]);
  cr_assert_str_eq(wl__spec_getenv(&s, "FOO"), "bar");
  cr_assert_str_eq(wl__spec_getenv(&s, "PATH"), "/");
  cr_assert_null(wl__spec_getenv(&s, "FO"));
  cr_assert_str_eq(s.cwd, "/data");
  cr_assert_str_eq(s.root_path, "rootfs");
  cr_assert_str_eq(s.cgroups_path, "/default/tc");
  cr_assert_eq(s.mem_limit, 67108864);
  cr_assert_eq(s.cpu_shares, 1024);
  cr_assert_eq(s.pids_limit, -1);
  for (int k = 0; k < WL_NS_COUNT; k++)
    cr_assert_eq(s.ns[k].wanted, k != WL_NS_USER && k != WL_NS_CGROUP,
                 "namespace %d", k);
  cr_assert_eq(s.n_rlimits, 1);
  cr_assert_eq(s.rlimits[0].resource, RLIMIT_NOFILE);
  cr_assert_eq(s.rlimits[0].soft, 1024);
  const wl__spec_mount *m = &s.mounts[s.n_mounts - 1];
  cr_assert_str_eq(m->dest, "/data");
  cr_assert_str_eq(m->type, "bind");
  cr_assert_eq(m->n_options, 2);
  cr_assert_str_eq(m->options[0], "rbind");
  cr_assert_null(s.container_type);
  wl__spec_free(&s);
}

Test(shim_spec, unlimited_rlimits_and_namespace_paths) {
  const char *json =
      "{\"process\":{\"args\":[\"/a.wasm\"],\"rlimits\":[{\"type\":"
      "\"RLIMIT_CORE\",\"soft\":18446744073709551615,\"hard\":"
      "18446744073709551615}]},\"linux\":{\"namespaces\":[{\"type\":"
      "\"network\",\"path\":\"/proc/42/ns/net\"},{\"type\":\"mount\"}],"
      "\"resources\":{\"pids\":{\"limit\":64},\"cpu\":{\"quota\":50000,"
      "\"period\":100000}}},\"annotations\":{"
      "\"io.kubernetes.cri.container-type\":\"sandbox\"}}";
  wl__spec s;
  wa_err err;
  cr_assert_eq(parse(json, &s, &err), 0, "%s", err.msg);
  cr_assert_eq(s.rlimits[0].resource, RLIMIT_CORE);
  cr_assert_eq(s.rlimits[0].hard, UINT64_MAX);
  cr_assert_str_eq(s.ns[WL_NS_NET].path, "/proc/42/ns/net");
  cr_assert(s.ns[WL_NS_MOUNT].wanted);
  cr_assert_null(s.ns[WL_NS_MOUNT].path);
  cr_assert_not(s.ns[WL_NS_PID].wanted);
  cr_assert_eq(s.pids_limit, 64);
  cr_assert_eq(s.cpu_quota, 50000);
  cr_assert_eq(s.cpu_period, 100000);
  cr_assert_str_eq(s.container_type, "sandbox");
  cr_assert_str_eq(s.cwd, "/", "cwd defaults to /");
  wl__spec_free(&s);
}

Test(shim_spec, errors_name_the_field) {
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"{\"process\":{\"args\":\"/a.wasm\"}}",
       "process.args must be an array of strings"},
      {"{\"process\":{\"args\":[1]}}",
       "process.args must be an array of strings"},
      {"{\"process\":{\"cwd\":7}}", "process.cwd must be a string"},
      {"{\"linux\":{\"namespaces\":[{\"type\":\"time\"}]}}",
       "linux.namespaces[0]: unknown type time"},
      {"{\"linux\":{\"resources\":{\"memory\":{\"limit\":1.5}}}}",
       "linux.resources.memory.limit must be an integer"},
      {"{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\"}]}}",
       "process.rlimits[0]: unknown type RLIMIT_BOGUS"},
      {"{\"mounts\":[{\"type\":\"bind\"}]}", "mounts[0] has no destination"},
      {"[]", "the document must be an object"},
      {"{\"process\":", "config.json: line 1"},
      {"{\"a\":1,\"a\":2}", "duplicate object key"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl__spec s;
    wa_err err;
    cr_assert_neq(parse(cases[i].json, &s, &err), 0, "%s", cases[i].json);
    cr_assert(strstr(err.msg, cases[i].want), "%s: got '%s'", cases[i].json,
              err.msg);
    wl__spec_free(&s);
  }
}
