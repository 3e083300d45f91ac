/*
 * cgroup_linux.c: the task's cgroup. cgroup v2 when /sys/fs/cgroup is the
 * unified hierarchy, else the v1 memory, pids, cpu, cpuacct and freezer
 * hierarchies. Applies linux.resources, lists and signals the members,
 * reads OOM kills and packs the metrics containerd's Stats expects.
 */
#include "shim_internal.h"

#include "cgroups.pb-c.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_ROOT "/sys/fs/cgroup"

/* The v1 hierarchies the shim joins; the first one lists the members. */
static const char *const v1_ctrls[] = {"memory", "pids", "cpu", "cpuacct",
                                       "freezer"};
#define N_V1 (sizeof v1_ctrls / sizeof v1_ctrls[0])

static int detect_version(void) {
  struct statfs sf;
  if (statfs(CG_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    return 2;
  char p[64];
  snprintf(p, sizeof p, CG_ROOT "/%s", v1_ctrls[0]);
  if (access(p, F_OK) == 0)
    return 1;
  return 0;
}

int wl__cgroup_path(const char *spec_path, const char *ns, const char *id,
                    char *out, size_t cap, wa_err *err) {
  int n;
  const char *c1 = spec_path ? strchr(spec_path, ':') : NULL;
  if (!spec_path || !spec_path[0]) {
    n = snprintf(out, cap, "/wasmaot/%s/%s", ns, id);
  } else if (c1 && spec_path[0] != '/') {
    /* systemd form "slice:prefix:name" as a plain directory path. */
    const char *c2 = strchr(c1 + 1, ':');
    if (!c2)
      return wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                     "config.json: linux.cgroupsPath %s is not "
                     "slice:prefix:name",
                     spec_path);
    const char *slice = spec_path;
    int slice_len = (int)(c1 - spec_path);
    if (slice_len == 0) {
      slice = "system.slice";
      slice_len = (int)strlen(slice);
    }
    n = snprintf(out, cap, "/%.*s/%.*s-%s.scope", slice_len, slice,
                 (int)(c2 - c1 - 1), c1 + 1, c2 + 1);
  } else {
    n = snprintf(out, cap, "%s%s", spec_path[0] == '/' ? "" : "/", spec_path);
  }
  if (n < 0 || (size_t)n >= cap)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "cgroup path too long");
  /* ".." would leave the hierarchy. */
  for (const char *p = out; (p = strstr(p, "..")) != NULL; p += 2)
    if ((p == out || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
      return wa_fail(err, WA_EESCAPE, WA_NOOFF,
                     "config.json: linux.cgroupsPath %s leaves the cgroup "
                     "hierarchy",
                     spec_path);
  return 0;
}

static int dir_of(const wl__cgroup *cg, const char *ctrl, char *out,
                  size_t cap) {
  int n = cg->version == 2
              ? snprintf(out, cap, CG_ROOT "%s", cg->rel)
              : snprintf(out, cap, CG_ROOT "/%s%s", ctrl ? ctrl : "", cg->rel);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int write_file(const char *dir, const char *file, const char *val,
                      wa_err *err) {
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s/%s", dir, file) >= (int)sizeof p)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "cgroup path too long");
  int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "cgroup: cannot open %s", p);
  ssize_t w = write(fd, val, strlen(val));
  int rc = 0;
  if (w < 0)
    rc = wa_fail_errno(err, WA_EIO, "cgroup: cannot write %s to %s", val, p);
  close(fd);
  return rc;
}

/* Reads a small cgroup file into buf; returns length or -1. */
static ssize_t read_file(const char *dir, const char *file, char *buf,
                         size_t cap) {
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s/%s", dir, file) >= (int)sizeof p)
    return -1;
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t got = 0;
  while (got + 1 < cap) {
    ssize_t r = read(fd, buf + got, cap - 1 - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  buf[got] = 0;
  return (ssize_t)got;
}

static uint64_t read_u64(const char *dir, const char *file) {
  char buf[64];
  if (read_file(dir, file, buf, sizeof buf) <= 0)
    return 0;
  if (strncmp(buf, "max", 3) == 0)
    return 0;
  return strtoull(buf, NULL, 10);
}

/* The value of "key N" in a flat keyed file (memory.stat, cpu.stat). */
static uint64_t keyed(const char *text, const char *key) {
  size_t n = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (strncmp(p, key, n) == 0 && p[n] == ' ')
      return strtoull(p + n + 1, NULL, 10);
  return 0;
}

static int mkdirs(const char *path, wa_err *err) {
  return wa_mkdirs(path, 0755, err);
}

static int setup_v2(wl__cgroup *cg, wa_err *err) {
  char dir[PATH_MAX];
  /* Enable the controllers on the way down; a parent with processes of
   * its own cannot delegate ("no internal processes"), which only the
   * root is allowed to be. */
  char walk[PATH_MAX];
  snprintf(walk, sizeof walk, "%s", cg->rel);
  for (char *slash = walk;; slash++) {
    char *next = strchr(slash + 1, '/');
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, CG_ROOT "%.*s", (int)(slash - walk), walk);
    wa_err ignore;
    wa_err_init(&ignore);
    if (mkdirs(parent, err) != 0)
      return err->code;
    (void)write_file(parent, "cgroup.subtree_control", "+memory +pids +cpu",
                     &ignore);
    if (!next)
      break;
    slash = next - 1;
  }
  if (dir_of(cg, NULL, dir, sizeof dir) != 0)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "cgroup path too long");
  return mkdirs(dir, err);
}

static int apply_v2(const wl__cgroup *cg, const wl__spec *s, wa_err *err) {
  char dir[PATH_MAX], buf[64];
  int rc;
  dir_of(cg, NULL, dir, sizeof dir);
  if (s->mem_limit > 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)s->mem_limit);
    if ((rc = write_file(dir, "memory.max", buf, err)) != 0)
      return rc;
    if (s->mem_swap >= s->mem_limit) {
      /* The spec's swap is memory+swap (v1 memsw); v2 counts swap alone. */
      snprintf(buf, sizeof buf, "%lld",
               (long long)(s->mem_swap - s->mem_limit));
      wa_err ignore;
      wa_err_init(&ignore);
      (void)write_file(dir, "memory.swap.max", buf, &ignore);
    }
  }
  if (s->pids_limit > 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)s->pids_limit);
    if ((rc = write_file(dir, "pids.max", buf, err)) != 0)
      return rc;
  }
  if (s->cpu_quota > 0 || s->cpu_period > 0) {
    long long period = s->cpu_period > 0 ? s->cpu_period : 100000;
    if (s->cpu_quota > 0)
      snprintf(buf, sizeof buf, "%lld %lld", (long long)s->cpu_quota, period);
    else
      snprintf(buf, sizeof buf, "max %lld", period);
    if ((rc = write_file(dir, "cpu.max", buf, err)) != 0)
      return rc;
  }
  if (s->cpu_shares > 0) {
    /* The runc/crun conversion of shares [2, 262144] to weight [1, 10000]. */
    long long sh = s->cpu_shares < 2 ? 2 : s->cpu_shares;
    if (sh > 262144)
      sh = 262144;
    snprintf(buf, sizeof buf, "%lld", 1 + ((sh - 2) * 9999) / 262142);
    if ((rc = write_file(dir, "cpu.weight", buf, err)) != 0)
      return rc;
  }
  return 0;
}

static int setup_v1(wl__cgroup *cg, wa_err *err) {
  char dir[PATH_MAX];
  int rc;
  for (size_t i = 0; i < N_V1; i++) {
    char root[64];
    snprintf(root, sizeof root, CG_ROOT "/%s", v1_ctrls[i]);
    if (access(root, F_OK) != 0)
      continue; /* hierarchy not mounted on this host */
    if (dir_of(cg, v1_ctrls[i], dir, sizeof dir) != 0)
      return wa_fail(err, WA_ELIMIT, WA_NOOFF, "cgroup path too long");
    if ((rc = mkdirs(dir, err)) != 0)
      return rc;
  }
  return 0;
}

static int apply_v1(const wl__cgroup *cg, const wl__spec *s, wa_err *err) {
  char dir[PATH_MAX], buf[64];
  int rc;
  dir_of(cg, "memory", dir, sizeof dir);
  if (s->mem_limit > 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)s->mem_limit);
    if ((rc = write_file(dir, "memory.limit_in_bytes", buf, err)) != 0)
      return rc;
    if (s->mem_swap > 0) {
      char p[PATH_MAX];
      int n = snprintf(p, sizeof p, "%s/memory.memsw.limit_in_bytes", dir);
      snprintf(buf, sizeof buf, "%lld", (long long)s->mem_swap);
      if (n > 0 && (size_t)n < sizeof p && access(p, F_OK) == 0 &&
          (rc = write_file(dir, "memory.memsw.limit_in_bytes", buf, err)) != 0)
        return rc;
    }
  }
  if (s->pids_limit > 0) {
    dir_of(cg, "pids", dir, sizeof dir);
    snprintf(buf, sizeof buf, "%lld", (long long)s->pids_limit);
    if ((rc = write_file(dir, "pids.max", buf, err)) != 0)
      return rc;
  }
  dir_of(cg, "cpu", dir, sizeof dir);
  if (s->cpu_shares > 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)s->cpu_shares);
    if ((rc = write_file(dir, "cpu.shares", buf, err)) != 0)
      return rc;
  }
  if (s->cpu_period > 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)s->cpu_period);
    if ((rc = write_file(dir, "cpu.cfs_period_us", buf, err)) != 0)
      return rc;
  }
  if (s->cpu_quota > 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)s->cpu_quota);
    if ((rc = write_file(dir, "cpu.cfs_quota_us", buf, err)) != 0)
      return rc;
  }
  return 0;
}

int wl__cgroup_create(wl__cgroup *cg, const char *rel, const wl__spec *s,
                      wa_err *err) {
  memset(cg, 0, sizeof *cg);
  if (wa_strlcpy(cg->rel, rel, sizeof cg->rel) != 0)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "cgroup path too long: %s", rel);
  cg->version = detect_version();
  if (cg->version == 0)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "no cgroup file system under " CG_ROOT);
  int rc = cg->version == 2 ? setup_v2(cg, err) : setup_v1(cg, err);
  if (rc == 0)
    rc = wl__cgroup_update(cg, s, err);
  if (rc != 0) {
    wa_err ignore;
    wa_err_init(&ignore);
    if (wl__cgroup_destroy(cg, &ignore) != 0)
      wl__log(WL_LOG_WARN, "%s", ignore.msg);
    wa_err_wrap(err, "cgroup %s: ", rel);
  }
  return rc;
}

int wl__cgroup_update(const wl__cgroup *cg, const wl__spec *s, wa_err *err) {
  if (cg->version == 0)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF, "the task has no cgroup");
  return cg->version == 2 ? apply_v2(cg, s, err) : apply_v1(cg, s, err);
}

void wl__cgroup_open(wl__cgroup *cg, const char *rel) {
  memset(cg, 0, sizeof *cg);
  if (wa_strlcpy(cg->rel, rel, sizeof cg->rel) != 0)
    return;
  cg->version = detect_version();
}

int wl__cgroup_attach(const wl__cgroup *cg, pid_t pid, wa_err *err) {
  char dir[PATH_MAX], buf[32];
  snprintf(buf, sizeof buf, "%d", (int)pid);
  if (cg->version == 2) {
    dir_of(cg, NULL, dir, sizeof dir);
    return write_file(dir, "cgroup.procs", buf, err);
  }
  for (size_t i = 0; i < N_V1; i++) {
    dir_of(cg, v1_ctrls[i], dir, sizeof dir);
    if (access(dir, F_OK) != 0)
      continue;
    int rc = write_file(dir, "cgroup.procs", buf, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int wl__cgroup_pids(const wl__cgroup *cg, pid_t **out, size_t *n_out,
                    wa_err *err) {
  char dir[PATH_MAX];
  *out = NULL;
  *n_out = 0;
  if (cg->version == 0)
    return 0;
  dir_of(cg, v1_ctrls[0], dir, sizeof dir);
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s/cgroup.procs", dir) >= (int)sizeof p)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "cgroup path too long");
  FILE *f = fopen(p, "re");
  if (!f)
    return errno == ENOENT ? 0
                           : wa_fail_errno(err, WA_EIO, "cannot read %s", p);
  size_t n = 0, cap = 0;
  pid_t *a = NULL;
  long v;
  int rc = 0;
  while (fscanf(f, "%ld", &v) == 1) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      pid_t *na = wa_realloc(a, cap * sizeof *a);
      if (!na) {
        rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "listing %s: out of memory", p);
        break;
      }
      a = na;
    }
    a[n++] = (pid_t)v;
  }
  fclose(f);
  if (rc != 0) {
    wa_free(a);
    return rc;
  }
  *out = a;
  *n_out = n;
  return 0;
}

int wl__cgroup_signal(const wl__cgroup *cg, int sig) {
  pid_t *pids;
  size_t n;
  wa_err err;
  wa_err_init(&err);
  if (wl__cgroup_pids(cg, &pids, &n, &err) != 0)
    return 0;
  int count = 0;
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) == 0)
      count++;
  wa_free(pids);
  return count;
}

uint64_t wl__cgroup_oom_kills(const wl__cgroup *cg) {
  char dir[PATH_MAX], buf[512];
  if (cg->version == 0)
    return 0;
  dir_of(cg, "memory", dir, sizeof dir);
  if (cg->version == 2) {
    if (read_file(dir, "memory.events", buf, sizeof buf) <= 0)
      return 0;
    return keyed(buf, "oom_kill");
  }
  if (read_file(dir, "memory.oom_control", buf, sizeof buf) <= 0)
    return 0;
  return keyed(buf, "oom_kill");
}

uint64_t wl__cgroup_mem_limit(const wl__cgroup *cg) {
  char dir[PATH_MAX];
  if (cg->version == 0)
    return 0;
  dir_of(cg, "memory", dir, sizeof dir);
  uint64_t v =
      read_u64(dir, cg->version == 2 ? "memory.max" : "memory.limit_in_bytes");
  /* v1 reports "no limit" as a huge page-rounded number. */
  return v >= (UINT64_C(1) << 62) ? 0 : v;
}

int wl__cgroup_freeze(const wl__cgroup *cg, bool frozen, wa_err *err) {
  char dir[PATH_MAX], buf[32];
  int rc;
  if (cg->version == 0)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF, "the task has no cgroup");
  if (cg->version == 2) {
    dir_of(cg, NULL, dir, sizeof dir);
    if ((rc = write_file(dir, "cgroup.freeze", frozen ? "1" : "0", err)) != 0)
      return rc;
    for (int i = 0; i < 500; i++) {
      char ev[256];
      if (read_file(dir, "cgroup.events", ev, sizeof ev) > 0 &&
          keyed(ev, "frozen") == (frozen ? 1 : 0))
        return 0;
      nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    return wa_fail(err, WA_EBUSY, WA_NOOFF, "cgroup %s did not %s", cg->rel,
                   frozen ? "freeze" : "thaw");
  }
  dir_of(cg, "freezer", dir, sizeof dir);
  const char *want = frozen ? "FROZEN" : "THAWED";
  for (int i = 0; i < 500; i++) {
    if ((rc = write_file(dir, "freezer.state", want, err)) != 0)
      return rc;
    if (read_file(dir, "freezer.state", buf, sizeof buf) > 0 &&
        strncmp(buf, want, strlen(want)) == 0)
      return 0;
    nanosleep(&(struct timespec){0, 2000000}, NULL);
  }
  return wa_fail(err, WA_EBUSY, WA_NOOFF, "cgroup %s did not reach %s", cg->rel,
                 want);
}

static int stats_v1(const wl__cgroup *cg, uint8_t **out, size_t *out_len,
                    wa_err *err) {
  char dir[PATH_MAX], text[8192];
  Wlpb__Cg1Metrics m = WLPB__CG1_METRICS__INIT;
  Wlpb__Cg1PidsStat pids = WLPB__CG1_PIDS_STAT__INIT;
  Wlpb__Cg1CPUStat cpu = WLPB__CG1_CPUSTAT__INIT;
  Wlpb__Cg1CPUUsage usage = WLPB__CG1_CPUUSAGE__INIT;
  Wlpb__Cg1Throttle thr = WLPB__CG1_THROTTLE__INIT;
  Wlpb__Cg1MemoryStat mem = WLPB__CG1_MEMORY_STAT__INIT;
  Wlpb__Cg1MemoryEntry mu_e = WLPB__CG1_MEMORY_ENTRY__INIT;
  Wlpb__Cg1MemoryEntry sw_e = WLPB__CG1_MEMORY_ENTRY__INIT;
  Wlpb__Cg1MemoryEntry k_e = WLPB__CG1_MEMORY_ENTRY__INIT;
  Wlpb__Cg1MemoryOomControl oom = WLPB__CG1_MEMORY_OOM_CONTROL__INIT;
  uint64_t percpu[256];
  size_t n_percpu = 0;

  dir_of(cg, "pids", dir, sizeof dir);
  pids.current = read_u64(dir, "pids.current");
  pids.limit = read_u64(dir, "pids.max");
  m.pids = &pids;

  dir_of(cg, "cpuacct", dir, sizeof dir);
  usage.total = read_u64(dir, "cpuacct.usage");
  if (read_file(dir, "cpuacct.stat", text, sizeof text) > 0) {
    /* USER_HZ ticks to nanoseconds, as containerd/cgroups does. */
    uint64_t hz = (uint64_t)sysconf(_SC_CLK_TCK);
    usage.user = keyed(text, "user") * (1000000000 / hz);
    usage.kernel = keyed(text, "system") * (1000000000 / hz);
  }
  if (read_file(dir, "cpuacct.usage_percpu", text, sizeof text) > 0) {
    char *p = text, *end;
    while (n_percpu < sizeof percpu / sizeof percpu[0]) {
      uint64_t v = strtoull(p, &end, 10);
      if (end == p)
        break;
      percpu[n_percpu++] = v;
      p = end;
    }
  }
  usage.per_cpu = percpu;
  usage.n_per_cpu = n_percpu;
  cpu.usage = &usage;
  dir_of(cg, "cpu", dir, sizeof dir);
  if (read_file(dir, "cpu.stat", text, sizeof text) > 0) {
    thr.periods = keyed(text, "nr_periods");
    thr.throttled_periods = keyed(text, "nr_throttled");
    thr.throttled_time = keyed(text, "throttled_time");
  }
  cpu.throttling = &thr;
  m.cpu = &cpu;

  dir_of(cg, "memory", dir, sizeof dir);
  if (read_file(dir, "memory.stat", text, sizeof text) > 0) {
    mem.cache = keyed(text, "cache");
    mem.rss = keyed(text, "rss");
    mem.rss_huge = keyed(text, "rss_huge");
    mem.mapped_file = keyed(text, "mapped_file");
    mem.dirty = keyed(text, "dirty");
    mem.writeback = keyed(text, "writeback");
    mem.pg_pg_in = keyed(text, "pgpgin");
    mem.pg_pg_out = keyed(text, "pgpgout");
    mem.pg_fault = keyed(text, "pgfault");
    mem.pg_maj_fault = keyed(text, "pgmajfault");
    mem.inactive_anon = keyed(text, "inactive_anon");
    mem.active_anon = keyed(text, "active_anon");
    mem.inactive_file = keyed(text, "inactive_file");
    mem.active_file = keyed(text, "active_file");
    mem.unevictable = keyed(text, "unevictable");
    mem.hierarchical_memory_limit = keyed(text, "hierarchical_memory_limit");
    mem.hierarchical_swap_limit = keyed(text, "hierarchical_memsw_limit");
    mem.total_cache = keyed(text, "total_cache");
    mem.total_rss = keyed(text, "total_rss");
  }
  mu_e.usage = read_u64(dir, "memory.usage_in_bytes");
  mu_e.limit = read_u64(dir, "memory.limit_in_bytes");
  mu_e.max = read_u64(dir, "memory.max_usage_in_bytes");
  mu_e.failcnt = read_u64(dir, "memory.failcnt");
  sw_e.usage = read_u64(dir, "memory.memsw.usage_in_bytes");
  sw_e.limit = read_u64(dir, "memory.memsw.limit_in_bytes");
  sw_e.max = read_u64(dir, "memory.memsw.max_usage_in_bytes");
  sw_e.failcnt = read_u64(dir, "memory.memsw.failcnt");
  k_e.usage = read_u64(dir, "memory.kmem.usage_in_bytes");
  k_e.limit = read_u64(dir, "memory.kmem.limit_in_bytes");
  k_e.max = read_u64(dir, "memory.kmem.max_usage_in_bytes");
  k_e.failcnt = read_u64(dir, "memory.kmem.failcnt");
  mem.usage = &mu_e;
  mem.swap = &sw_e;
  mem.kernel = &k_e;
  m.memory = &mem;
  if (read_file(dir, "memory.oom_control", text, sizeof text) > 0) {
    oom.oom_kill_disable = keyed(text, "oom_kill_disable");
    oom.under_oom = keyed(text, "under_oom");
    oom.oom_kill = keyed(text, "oom_kill");
  }
  m.memory_oom_control = &oom;
  return wl__pack(&m.base, out, out_len, err);
}

static int stats_v2(const wl__cgroup *cg, uint8_t **out, size_t *out_len,
                    wa_err *err) {
  char dir[PATH_MAX], text[8192];
  Wlpb__Cg2Metrics m = WLPB__CG2_METRICS__INIT;
  Wlpb__Cg2PidsStat pids = WLPB__CG2_PIDS_STAT__INIT;
  Wlpb__Cg2CPUStat cpu = WLPB__CG2_CPUSTAT__INIT;
  Wlpb__Cg2MemoryStat mem = WLPB__CG2_MEMORY_STAT__INIT;
  Wlpb__Cg2MemoryEvents ev = WLPB__CG2_MEMORY_EVENTS__INIT;
  dir_of(cg, NULL, dir, sizeof dir);
  pids.current = read_u64(dir, "pids.current");
  pids.limit = read_u64(dir, "pids.max");
  m.pids = &pids;
  if (read_file(dir, "cpu.stat", text, sizeof text) > 0) {
    cpu.usage_usec = keyed(text, "usage_usec");
    cpu.user_usec = keyed(text, "user_usec");
    cpu.system_usec = keyed(text, "system_usec");
    cpu.nr_periods = keyed(text, "nr_periods");
    cpu.nr_throttled = keyed(text, "nr_throttled");
    cpu.throttled_usec = keyed(text, "throttled_usec");
  }
  m.cpu = &cpu;
  if (read_file(dir, "memory.stat", text, sizeof text) > 0) {
    mem.anon = keyed(text, "anon");
    mem.file = keyed(text, "file");
    mem.kernel_stack = keyed(text, "kernel_stack");
    mem.slab = keyed(text, "slab");
    mem.sock = keyed(text, "sock");
    mem.shmem = keyed(text, "shmem");
    mem.file_mapped = keyed(text, "file_mapped");
    mem.pgfault = keyed(text, "pgfault");
    mem.pgmajfault = keyed(text, "pgmajfault");
  }
  mem.usage = read_u64(dir, "memory.current");
  mem.usage_limit = read_u64(dir, "memory.max");
  mem.swap_usage = read_u64(dir, "memory.swap.current");
  mem.swap_limit = read_u64(dir, "memory.swap.max");
  m.memory = &mem;
  if (read_file(dir, "memory.events", text, sizeof text) > 0) {
    ev.low = keyed(text, "low");
    ev.high = keyed(text, "high");
    ev.max = keyed(text, "max");
    ev.oom = keyed(text, "oom");
    ev.oom_kill = keyed(text, "oom_kill");
  }
  m.memory_events = &ev;
  return wl__pack(&m.base, out, out_len, err);
}

int wl__cgroup_stats(const wl__cgroup *cg, const char **out_type_url,
                     uint8_t **out, size_t *out_len, wa_err *err) {
  if (cg->version == 0)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF, "the task has no cgroup");
  if (cg->version == 2) {
    *out_type_url = "io.containerd.cgroups.v2.Metrics";
    return stats_v2(cg, out, out_len, err);
  }
  *out_type_url = "io.containerd.cgroups.v1.Metrics";
  return stats_v1(cg, out, out_len, err);
}

static int remove_dir(const char *dir, wa_err *err) {
  /* Members that were just killed leave the cgroup a moment later. */
  for (int i = 0; i < 200; i++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      break;
    nanosleep(&(struct timespec){0, 5000000}, NULL);
  }
  return wa_fail_errno(err, WA_EBUSY, "cannot remove cgroup %s", dir);
}

int wl__cgroup_destroy(const wl__cgroup *cg, wa_err *err) {
  char dir[PATH_MAX];
  int rc = 0;
  if (cg->version == 2) {
    dir_of(cg, NULL, dir, sizeof dir);
    return remove_dir(dir, err);
  }
  if (cg->version == 1) {
    for (size_t i = 0; i < N_V1; i++) {
      dir_of(cg, v1_ctrls[i], dir, sizeof dir);
      if (remove_dir(dir, err) != 0)
        rc = err->code;
    }
  }
  return rc;
}
