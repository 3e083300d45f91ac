/*
 * test_cgroup.c: cgroupsPath mapping and a real cgroup's limits, members
 * and metrics (launcher/shim/cgroup_linux.c); the latter needs root.
 */
#include "shim_internal.h"

#include "cgroups.pb-c.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

Test(shim_cgroup, spec_paths_map_below_the_hierarchy) {
  char out[256];
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(
      wl__cgroup_path("/default/t1", "default", "t1", out, sizeof out, &err),
      0);
  cr_assert_str_eq(out, "/default/t1");
  cr_assert_eq(
      wl__cgroup_path("k8s.io/abc", "k8s.io", "abc", out, sizeof out, &err), 0);
  cr_assert_str_eq(out, "/k8s.io/abc");
  cr_assert_eq(wl__cgroup_path(NULL, "ns", "id", out, sizeof out, &err), 0);
  cr_assert_str_eq(out, "/wasmaot/ns/id");
  cr_assert_eq(wl__cgroup_path("system.slice:cri-containerd:abc", "k8s.io",
                               "abc", out, sizeof out, &err),
               0);
  cr_assert_str_eq(out, "/system.slice/cri-containerd-abc.scope");
  cr_assert_eq(wl__cgroup_path("/a/../../etc", "n", "i", out, sizeof out, &err),
               WA_EESCAPE);
  cr_assert(strstr(err.msg, "leaves the cgroup hierarchy"), "%s", err.msg);
}

Test(shim_cgroup, limits_members_and_metrics_of_a_real_cgroup) {
  if (geteuid() != 0 || access("/sys/fs/cgroup", W_OK) != 0)
    cr_skip_test("needs root and a writable /sys/fs/cgroup");
  char rel[64];
  snprintf(rel, sizeof rel, "/wasmaot-test/cg-%d", (int)getpid());
  wl__spec s;
  wa_err err;
  wa_err_init(&err);
  const char *json = "{\"linux\":{\"resources\":{\"memory\":{\"limit\":"
                     "33554432},\"pids\":{\"limit\":16}}}}";
  cr_assert_eq(wl__spec_parse(json, strlen(json), &s, &err), 0);
  wl__cgroup cg;
  cr_assert_eq(wl__cgroup_create(&cg, rel, &s, &err), 0, "%s", err.msg);
  cr_assert_eq(wl__cgroup_mem_limit(&cg), 33554432);
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  cr_assert_eq(wl__cgroup_attach(&cg, child, &err), 0, "%s", err.msg);
  pid_t *pids;
  size_t n;
  cr_assert_eq(wl__cgroup_pids(&cg, &pids, &n, &err), 0, "%s", err.msg);
  cr_assert_eq(n, 1);
  cr_assert_eq(pids[0], child);
  wa_free(pids);

  const char *url;
  uint8_t *data;
  size_t len;
  cr_assert_eq(wl__cgroup_stats(&cg, &url, &data, &len, &err), 0, "%s",
               err.msg);
  if (cg.version == 1) {
    cr_assert_str_eq(url, "io.containerd.cgroups.v1.Metrics");
    Wlpb__Cg1Metrics *m = wlpb__cg1_metrics__unpack(NULL, len, data);
    cr_assert_not_null(m);
    cr_assert_eq(m->pids->current, 1);
    cr_assert_eq(m->pids->limit, 16);
    cr_assert_eq(m->memory->usage->limit, 33554432);
    wlpb__cg1_metrics__free_unpacked(m, NULL);
  } else {
    cr_assert_str_eq(url, "io.containerd.cgroups.v2.Metrics");
    Wlpb__Cg2Metrics *m = wlpb__cg2_metrics__unpack(NULL, len, data);
    cr_assert_not_null(m);
    cr_assert_eq(m->pids->current, 1);
    cr_assert_eq(m->memory->usage_limit, 33554432);
    wlpb__cg2_metrics__free_unpacked(m, NULL);
  }
  wa_free(data);

  cr_assert_eq(wl__cgroup_signal(&cg, SIGKILL), 1);
  int st;
  cr_assert_eq(waitpid(child, &st, 0), child);
  cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  cr_assert_eq(wl__cgroup_destroy(&cg, &err), 0, "%s", err.msg);
  char probe[128];
  snprintf(probe, sizeof probe, "/sys/fs/cgroup/%s%s",
           cg.version == 2 ? "" : "memory", rel);
  cr_assert_neq(access(probe, F_OK), 0, "%s is removed", probe);
  static const char *const ctrls[] = {"",    "memory",  "pids",
                                      "cpu", "cpuacct", "freezer"};
  for (size_t i = 0; i < sizeof ctrls / sizeof ctrls[0]; i++) {
    snprintf(probe, sizeof probe, "/sys/fs/cgroup/%s/wasmaot-test", ctrls[i]);
    rmdir(probe); /* shared with concurrent runs: may stay */
  }
  wl__spec_free(&s);
}
