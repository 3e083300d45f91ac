/*
 * task.c: the containerd.task.v2.Task service for the one task this shim
 * runs. Create mounts the rootfs, finds the module, opens stdio, creates
 * the cgroup and forks the (held) task process; Start releases it; the
 * reaper reports its exit, which completes Wait and publishes TaskExit.
 */
#include "shim_internal.h"

#include "events.pb-c.h"
#include "task.pb-c.h"
#include "wk.h"
#include "wo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TASK_SERVICE "containerd.task.v2.Task"

extern char **environ;

enum { T_NONE, T_CREATED, T_RUNNING, T_PAUSED, T_STOPPED, T_DELETED };

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  const wl__shim_opts *o;
  int state;
  bool starting; /* Start is publishing TaskStart: hold the exit back */
  bool started;
  bool exited;
  bool shutdown;
  wa_arena arena; /* strings of the current task */
  const char *id, *bundle, *stdin_path, *stdout_path, *stderr_path;
  char rootfs[PATH_MAX];
  bool rootfs_mounted;
  pid_t pid;
  uint32_t exit_status;
  struct timespec exited_at;
  wl__proc proc;
  wl__cgroup cg;
  uint64_t oom_before;
  int msg_fd;    /* a copy of the task's stderr for the shim's own notes */
  int last_kill; /* the last signal containerd asked for */
  wl__shim_config cfg;
  const char *runner;
} T = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

void wl__task_init(const wl__shim_opts *o) {
  T.o = o;
  T.state = T_NONE;
  T.msg_fd = -1;
  T.proc.start_fd = T.proc.sync_fd = -1;
  wa_arena_init(&T.arena, 16 << 10);
}

bool wl__task_shutdown_requested(void) {
  pthread_mutex_lock(&T.mu);
  bool s = T.shutdown;
  pthread_mutex_unlock(&T.mu);
  return s;
}

static void set_ts(Wlpb__Timestamp *ts, const struct timespec *t) {
  ts->seconds = t->tv_sec;
  ts->nanos = (int32_t)t->tv_nsec;
}

/* Maps a wa_err to the gRPC code containerd turns into its own error. */
static int grpc_code(int wa_code) {
  switch (wa_code) {
  case WA_ENOTFOUND:
    return WL_GRPC_NOT_FOUND;
  case WA_EMALFORMED:
  case WA_EINVALID:
  case WA_EUSAGE:
    return WL_GRPC_INVALID_ARGUMENT;
  case WA_EUNSUPPORTED:
    return WL_GRPC_UNIMPLEMENTED;
  case WA_EEXISTS:
    return WL_GRPC_ALREADY_EXISTS;
  case WA_EPERM:
    return WL_GRPC_PERMISSION_DENIED;
  default:
    return WL_GRPC_UNKNOWN;
  }
}

static void reply_wa(wl__reply *r, const wa_err *err) {
  char buf[640];
  wl__reply_err(r, grpc_code(err->code), "%s",
                wa_err_format(err, buf, sizeof buf));
}

static void write_note(const char *fmt, ...) WA_PRINTF(1, 2);
static void write_note(const char *fmt, ...) {
  if (T.msg_fd < 0)
    return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n > 0)
    (void)wl__write_full(T.msg_fd, line,
                         (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ------------------------------------------------------- exit */

/* Under T.mu: the task is over; publish and wake the waiters. */
static void finish_exit(void) {
  T.state = T_STOPPED;
  if (T.started) {
    uint64_t ooms = wl__cgroup_oom_kills(&T.cg);
    if (ooms > T.oom_before) {
      Wlpb__TaskOOM oom = WLPB__TASK_OOM__INIT;
      oom.container_id = (char *)T.id;
      wl__events_publish("/tasks/oom", "containerd.events.TaskOOM", &oom.base);
    }
    Wlpb__Timestamp ts = WLPB__TIMESTAMP__INIT;
    Wlpb__TaskExit ev = WLPB__TASK_EXIT__INIT;
    set_ts(&ts, &T.exited_at);
    ev.container_id = (char *)T.id;
    ev.id = (char *)T.id; /* the init process: CRI matches on it */
    ev.pid = (uint32_t)T.pid;
    ev.exit_status = T.exit_status;
    ev.exited_at = &ts;
    wl__events_publish("/tasks/exit", "containerd.events.TaskExit", &ev.base);
  }
  pthread_cond_broadcast(&T.cv);
}

static const char *signal_note(int sig, bool oom) {
  if (oom)
    return "the memory limit was reached and the kernel's out-of-memory "
           "killer ended the module";
  switch (sig) {
  case SIGSYS:
    return "the module's process made a system call outside the seccomp "
           "allowlist (see docs/shim.md)";
  case SIGSEGV:
  case SIGBUS:
  case SIGILL:
  case SIGABRT:
  case SIGFPE:
    return "the wasmaot runtime crashed";
  default:
    return NULL;
  }
}

static void on_exit_cb(void *ud, pid_t pid, int status) {
  pthread_mutex_lock(&T.mu);
  if (T.state == T_NONE) {
    /* The process of a Create that failed; nothing to report. */
    pthread_mutex_unlock(&T.mu);
    return;
  }
  T.exited = true;
  T.exit_status = wl__exit_status(status);
  wl__ts_now(&T.exited_at);
  if (!T.starting) /* Start is still reading the sync pipe otherwise */
    wl__proc_close(&T.proc);
  bool oom = wl__cgroup_oom_kills(&T.cg) > T.oom_before;
  int sig = T.exit_status > 128 ? (int)T.exit_status - 128 : 0;
  const char *note = signal_note(sig, oom && sig == SIGKILL);
  if (note && sig != T.last_kill) {
    uint64_t limit = wl__cgroup_mem_limit(&T.cg);
    if (oom && limit)
      write_note("wasmaot-shim: task %s killed (exit status %u): %s "
                 "(limit %llu bytes)\n",
                 T.id, T.exit_status, note, (unsigned long long)limit);
    else
      write_note("wasmaot-shim: task %s killed (exit status %u): %s\n", T.id,
                 T.exit_status, note);
    wl__log(WL_LOG_WARN, "task %s: exit status %u: %s", T.id, T.exit_status,
            note);
  }
  /* Closing the last shim copy of stderr lets the client see EOF. */
  if (T.msg_fd >= 0) {
    close(T.msg_fd);
    T.msg_fd = -1;
  }
  char path[PATH_MAX], text[64];
  snprintf(path, sizeof path, "%s/" WL_EXITFILE, T.bundle);
  int n = snprintf(text, sizeof text, "%u %lld %ld\n", T.exit_status,
                   (long long)T.exited_at.tv_sec, T.exited_at.tv_nsec);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)wl__write_full(fd, text, (size_t)n);
    close(fd);
  }
  wl__log(WL_LOG_INFO, "task %s: pid %d exited with status %u", T.id, (int)pid,
          T.exit_status);
  if (!T.starting)
    finish_exit();
  pthread_mutex_unlock(&T.mu);
}

/* ------------------------------------------------------- Create */

static int open_stdio(const char *uri, int which, int *out, wa_err *err) {
  const char *path = uri;
  *out = -1;
  if (!uri || !uri[0]) {
    *out = open("/dev/null", (which == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
    return *out >= 0 ? 0 : wa_fail_errno(err, WA_EIO, "/dev/null");
  }
  if (strncmp(uri, "file://", 7) == 0) {
    if (which == 0)
      return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                     "stdin cannot be a file:// URI (%s)", uri);
    *out = open(uri + 7, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    return *out >= 0
               ? 0
               : wa_fail_errno(err, WA_EIO, "opening log file %s", uri + 7);
  }
  if (strncmp(uri, "fifo://", 7) == 0)
    path = uri + 7;
  else if (strstr(uri, "://"))
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "stdio URI %s is not supported (only FIFOs and file://)",
                   uri);
  if (which > 0)
    return wl__io_pipe(path, out, err);
  /* stdin: the task reads the client's FIFO itself. A non-blocking open
   * does not wait for the writer; blocking reads afterwards do. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "opening stdin FIFO %s", path);
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  *out = fd;
  return 0;
}

static char *arena_printf(const char *fmt, ...) WA_PRINTF(1, 2);
static char *arena_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = wa_arena_alloc(&T.arena, (size_t)n + 1);
  if (!s)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* A growable NULL-terminated argv in the task arena. */
typedef struct strv {
  char **v;
  size_t n, cap;
} strv;

static int strv_add(strv *a, const char *s) {
  if (!s)
    return -1;
  if (a->n + 1 >= a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 32;
    char **v = wa_arena_alloc(&T.arena, cap * sizeof *v);
    if (!v)
      return -1;
    if (a->n)
      memcpy(v, a->v, a->n * sizeof *v);
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = (char *)s;
  a->v[a->n] = NULL;
  return 0;
}

/* The `wasmaot run` command line: preopens, env, module, arguments. */
static int build_argv(const wl__spec *s, const char *module, const char *argv0,
                      const wl__bind *binds, size_t n_binds, bool in_mnt,
                      strv *a) {
  int rc = 0;
  rc |= strv_add(a, T.runner);
  rc |= strv_add(a, "run");
#ifdef WL_SHIM_RUNNER_SECCOMP
  rc |= strv_add(a, "--seccomp");
#endif
  rc |= strv_add(a, "--dir");
  rc |= strv_add(a, arena_printf("%s::/", T.rootfs));
  /* Without a mount namespace the binds cannot be placed in the rootfs;
   * they become preopens of their own. */
  for (size_t i = 0; !in_mnt && i < n_binds; i++) {
    rc |= strv_add(a, "--dir");
    rc |= strv_add(a, arena_printf("%s::%s", binds[i].source, binds[i].dest));
  }
  bool has_pwd = false;
  for (size_t i = 0; i < s->n_env; i++) {
    rc |= strv_add(a, "--env");
    rc |= strv_add(a, s->env[i]);
    has_pwd |= strncmp(s->env[i], "PWD=", 4) == 0;
  }
  /* WASI preview1 has no working directory (wasi-libc starts in "/"), so
   * process.cwd reaches the guest the way a shell passes it: as $PWD. */
  if (!has_pwd) {
    rc |= strv_add(a, "--env");
    rc |= strv_add(a, arena_printf("PWD=%s", s->cwd));
  }
#ifdef WL_SHIM_RUNNER_ARGV0
  rc |= strv_add(a, "--argv0");
  rc |= strv_add(a, argv0);
#else
  (void)argv0;
#endif
  rc |= strv_add(a, "--");
  rc |= strv_add(a, module);
  for (size_t i = 1; i < s->n_args; i++)
    rc |= strv_add(a, s->args[i]);
  return rc ? -1 : 0;
}

/* The artifact cache of the tasks: the shim config's, else the shim's
 * WASMAOT_CACHE_DIR, else the system cache (not the home directory of
 * whoever started containerd). */
static const char *cache_dir(void) {
  const char *env = getenv("WASMAOT_CACHE_DIR");
  return T.cfg.cache_dir[0] ? T.cfg.cache_dir
         : env && env[0]    ? env
                            : WK_SYSTEM_DIR;
}

/* The wasmaot image store the CLI shares with the shim (Wasm artifacts). */
static const char *store_dir(void) {
  const char *env = getenv("WASMAOT_STORE_DIR");
  return T.cfg.store_dir[0] ? T.cfg.store_dir
         : env && env[0]    ? env
                            : WO_STORE_SYSTEM_ROOT;
}

/* wasmaot's own environment: a PATH, and the settings that locate its
 * cache and compiler, taken from the shim's environment. */
static int build_envp(strv *e) {
  int rc = strv_add(e, "PATH=/usr/local/bin:/usr/bin:/bin");
  for (char **p = environ; *p; p++) {
    if (strncmp(*p, "WASMAOT_CACHE_DIR=", 18) == 0)
      continue;
    if (strncmp(*p, "WASMAOT_", 8) == 0 || strncmp(*p, "HOME=", 5) == 0)
      rc |= strv_add(e, wa_arena_strndup(&T.arena, *p, strlen(*p)));
  }
  rc |= strv_add(e, arena_printf("WASMAOT_CACHE_DIR=%s", cache_dir()));
  return rc ? -1 : 0;
}

/* The module of a task: process.args[0] in the rootfs, or a Wasm artifact
 * of the wasmaot image store, which containerd 1.6.20 cannot unpack: named
 * by io.wasmaot.image (always), or by CRI's image name when the rootfs
 * has no such file (containerd >= 1.6.25 pulls artifacts with an empty
 * rootfs). argv0 is what the guest sees as argv[0]. */
static int find_module(const wl__spec *s, char *module, size_t cap,
                       const char **argv0, wa_err *err) {
  *argv0 = s->n_args > 0 ? s->args[0] : NULL;
  if (s->wasmaot_image) {
    if (!*argv0)
      *argv0 = s->wasmaot_image;
    int rc = wl__store_module(store_dir(), s->wasmaot_image, module, cap, err);
    if (rc)
      wa_err_wrap(err, "annotation " WL_ANN_IMAGE ": ");
    return rc;
  }
  int rc = wl__module_find(T.rootfs, s, module, cap, err);
  if (rc != WA_ENOTFOUND || !s->cri_image || !s->cri_image[0])
    return rc;
  wa_err e2;
  wa_err_init(&e2);
  int rc2 = wl__store_module(store_dir(), s->cri_image, module, cap, &e2);
  if (rc2 == 0) {
    wl__log(WL_LOG_INFO,
            "create %s: %s; running the Wasm artifact %s of the "
            "wasmaot image store",
            T.id, err->msg, s->cri_image);
    wa_err_init(err);
    return 0;
  }
  if (rc2 != WA_ENOTFOUND) {
    *err = e2; /* the store has it but cannot serve it: that is the cause */
    return rc2;
  }
  return rc;
}

static int last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int v = 40;
  if (f) {
    if (fscanf(f, "%d", &v) != 1)
      v = 40;
    fclose(f);
  }
  return v;
}

/* Written whole (temp file, rename) but not fsync'ed: it only matters
 * while the machine runs (a reboot ends the task too, and containerd's
 * state directory is normally a tmpfs), and an fsync on a disk-backed
 * state directory cost Create several milliseconds. */
static void write_pidfile(void) {
  char path[PATH_MAX], tmp[PATH_MAX + 8], text[64];
  snprintf(path, sizeof path, "%s/" WL_PIDFILE, T.bundle);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int n = snprintf(text, sizeof text, "%d %llu\n", (int)T.pid,
                   (unsigned long long)wl__proc_starttime(T.pid));
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int rc = fd < 0 ? -1 : wl__write_full(fd, text, (size_t)n);
  if (fd >= 0 && close(fd) != 0)
    rc = -1;
  if (rc == 0)
    rc = rename(tmp, path);
  if (rc != 0) {
    wl__log(WL_LOG_WARN, "writing %s: %s", path, strerror(errno));
    unlink(tmp);
  }
}

/* Under T.mu. Undoes what a failed Create set up. */
static void undo_create(int stdio[3]) {
  wa_err err;
  wa_err_init(&err);
  for (int i = 0; i < 3; i++)
    if (stdio[i] >= 0)
      close(stdio[i]);
  if (T.msg_fd >= 0)
    close(T.msg_fd);
  T.msg_fd = -1;
  if (T.cg.version && wl__cgroup_destroy(&T.cg, &err) != 0)
    wl__log(WL_LOG_WARN, "%s", err.msg);
  memset(&T.cg, 0, sizeof T.cg);
  if (T.rootfs_mounted && wl__rootfs_unmount(T.rootfs, &err) != 0)
    wl__log(WL_LOG_WARN, "%s", err.msg);
  T.rootfs_mounted = false;
}

static double ms_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
         (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void do_create(const Wlpb__CreateTaskRequest *req, wl__reply *r) {
  /* Step times for the debug log: where a slow start goes. */
  struct timespec t0;
  double t_rootfs = 0, t_module = 0, t_cgroup = 0, t_proc = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  wa_err err;
  wa_err_init(&err);
  wl__spec spec;
  bool have_spec = false;
  int stdio[3] = {-1, -1, -1};
  wl__mount *mounts = NULL;
  wl__bind *binds = NULL;

  if (T.state != T_NONE) {
    wl__reply_err(r, WL_GRPC_ALREADY_EXISTS,
                  "task %s already exists in this "
                  "shim",
                  T.id ? T.id : "");
    return;
  }
  if (req->terminal) {
    wl__reply_err(r, WL_GRPC_INVALID_ARGUMENT,
                  "terminal is not supported by the wasmaot shim");
    return;
  }
  if (req->checkpoint && req->checkpoint[0]) {
    wl__reply_err(r, WL_GRPC_UNIMPLEMENTED,
                  "restoring from a checkpoint is not supported");
    return;
  }
  wa_arena_reset(&T.arena);
  T.id = wa_arena_strndup(&T.arena, req->id, strlen(req->id));
  T.bundle = wa_arena_strndup(&T.arena, req->bundle, strlen(req->bundle));
  T.stdin_path = wa_arena_strndup(&T.arena, req->stdin, strlen(req->stdin));
  T.stdout_path = wa_arena_strndup(&T.arena, req->stdout, strlen(req->stdout));
  T.stderr_path = wa_arena_strndup(&T.arena, req->stderr, strlen(req->stderr));
  if (!T.id || !T.bundle || !T.stdin_path || !T.stdout_path || !T.stderr_path) {
    wl__reply_err(r, WL_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  if (strcmp(T.id, T.o->id) != 0)
    wl__log(WL_LOG_WARN, "Create for %s in the shim of %s", T.id, T.o->id);

  memset(&T.cfg, 0, sizeof T.cfg);
  T.runner = T.o->runner;
  if (req->options && req->options->type_url &&
      strcmp(req->options->type_url, "runtimeoptions.v1.Options") == 0) {
    Wlpb__RuntimeOptions *ro = wlpb__runtime_options__unpack(
        NULL, req->options->value.len, req->options->value.data);
    if (!ro) {
      wl__reply_err(r, WL_GRPC_INVALID_ARGUMENT,
                    "runtime options: not a runtimeoptions.v1.Options");
      return;
    }
    int crc = 0;
    if (ro->config_path && ro->config_path[0])
      crc = wl__shim_config_load(ro->config_path, &T.cfg, &err);
    wlpb__runtime_options__free_unpacked(ro, NULL);
    if (crc != 0)
      goto fail;
    if (T.cfg.runtime[0])
      T.runner = T.cfg.runtime;
  } else if (req->options && req->options->type_url) {
    wl__log(WL_LOG_WARN, "create %s: ignoring runtime options of type %s", T.id,
            req->options->type_url);
  }
  if (wl__spec_load(T.bundle, &spec, &err) != 0)
    goto fail;
  have_spec = true;
  if (spec.terminal) {
    wl__reply_err(r, WL_GRPC_INVALID_ARGUMENT,
                  "terminal is not supported by the wasmaot shim");
    goto fail;
  }

  /* The root file system. */
  if (req->n_rootfs > 0) {
    snprintf(T.rootfs, sizeof T.rootfs, "%s/rootfs", T.bundle);
    mounts = wa_calloc(req->n_rootfs, sizeof *mounts);
    if (!mounts) {
      wa_fail(&err, WA_ENOMEM, WA_NOOFF, "out of memory");
      goto fail;
    }
    for (size_t i = 0; i < req->n_rootfs; i++) {
      mounts[i].type = req->rootfs[i]->type;
      mounts[i].source = req->rootfs[i]->source;
      mounts[i].options = (const char *const *)req->rootfs[i]->options;
      mounts[i].n_options = req->rootfs[i]->n_options;
    }
    if (mkdir(T.rootfs, 0711) != 0 && errno != EEXIST) {
      wa_fail_errno(&err, WA_EIO, "creating %s", T.rootfs);
      goto fail;
    }
    if (wl__rootfs_mount(T.rootfs, mounts, req->n_rootfs, &err) != 0)
      goto fail;
    T.rootfs_mounted = true;
    t_rootfs = ms_since(&t0);
  } else {
    const char *root = spec.root_path ? spec.root_path : "rootfs";
    if (root[0] == '/')
      snprintf(T.rootfs, sizeof T.rootfs, "%s", root);
    else
      snprintf(T.rootfs, sizeof T.rootfs, "%s/%s", T.bundle, root);
  }

  bool sandbox =
      spec.container_type && strcmp(spec.container_type, "sandbox") == 0;
  char module[PATH_MAX];
  const char *argv0 = NULL;
  if (!sandbox) {
    if (find_module(&spec, module, sizeof module, &argv0, &err) != 0)
      goto fail;
    if (access(T.runner, X_OK) != 0) {
      wa_fail_errno(&err, WA_ENOTFOUND,
                    "the wasmaot runtime %s (set WASMAOT_BIN, \"runtime\" "
                    "in the shim config, or install it next to the shim)",
                    T.runner);
      goto fail;
    }
    /* The runner would fall back to compiling in memory on every start;
     * an unusable cache is a fault to fix, so it fails here, named. */
    if (wl__cache_check(cache_dir(), &err) != 0)
      goto fail;
  }
  t_module = ms_since(&t0);

  for (int i = 0; i < 3; i++) {
    const char *uri = i == 0   ? T.stdin_path
                      : i == 1 ? T.stdout_path
                               : T.stderr_path;
    if (open_stdio(uri, i, &stdio[i], &err) != 0)
      goto fail;
  }
  if (T.stderr_path[0])
    T.msg_fd = fcntl(stdio[2], F_DUPFD_CLOEXEC, 3);

  char rel[512];
  if (wl__cgroup_path(spec.cgroups_path, T.o->ns, T.id, rel, sizeof rel,
                      &err) != 0 ||
      wl__cgroup_create(&T.cg, rel, &spec, &err) != 0)
    goto fail;
  T.oom_before = wl__cgroup_oom_kills(&T.cg);
  t_cgroup = ms_since(&t0);

  bool in_mnt = spec.ns[WL_NS_MOUNT].wanted && !spec.ns[WL_NS_MOUNT].path;
  size_t n_binds = 0;
  binds = wa_calloc(spec.n_mounts + 1, sizeof *binds);
  if (!binds) {
    wa_fail(&err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto fail;
  }
  for (size_t i = 0; !sandbox && i < spec.n_mounts; i++) {
    bool is_bind;
    if (wl__bind_prepare(T.rootfs, &spec.mounts[i], in_mnt, &binds[n_binds],
                         &is_bind, &err) != 0)
      goto fail;
    if (is_bind)
      n_binds++;
  }

  strv argv = {0}, envp = {0};
  if (!sandbox &&
      (build_argv(&spec, module, argv0, binds, n_binds, in_mnt, &argv) != 0 ||
       build_envp(&envp) != 0)) {
    wa_fail(&err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto fail;
  }
  char *workdir = arena_printf("%s%s", T.rootfs, spec.cwd);
  if (!workdir) {
    wa_fail(&err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto fail;
  }
  wl__launch l = {
      .spec = &spec,
      .rootfs = T.rootfs,
      .workdir = workdir,
      .argv = sandbox ? NULL : argv.v,
      .envp = envp.v,
      .stdio = {stdio[0], stdio[1], stdio[2]},
      .cgroup = &T.cg,
      .binds = binds,
      .n_binds = n_binds,
      .last_cap = last_cap(),
  };
  if (argv.v && T.o->debug) {
    char line[2048];
    size_t off = 0;
    for (size_t i = 0; argv.v[i] && off < sizeof line; i++)
      off += (size_t)snprintf(line + off, sizeof line - off, "%s%s",
                              i ? " " : "", argv.v[i]);
    wl__log(WL_LOG_DEBUG, "task %s: %s", T.id, line);
  }
  T.exited = T.started = false;
  if (wl__proc_create(&l, on_exit_cb, NULL, &T.proc, &err) != 0) {
    T.pid = T.proc.pid;
    goto fail;
  }
  for (int i = 0; i < 3; i++) {
    close(stdio[i]);
    stdio[i] = -1;
  }
  T.pid = T.proc.pid;
  T.state = T_CREATED;
  t_proc = ms_since(&t0);
  write_pidfile();
  wl__log(WL_LOG_INFO, "task %s created: pid %d, cgroup %s (v%d)", T.id,
          (int)T.pid, T.cg.rel, T.cg.version);
  wl__log(WL_LOG_DEBUG,
          "create %s: rootfs at %.2f ms, module and cache at %.2f ms, "
          "cgroup at %.2f ms, process ready at %.2f ms",
          T.id, t_rootfs, t_module, t_cgroup, t_proc);

  Wlpb__TaskIO io = WLPB__TASK_IO__INIT;
  Wlpb__TaskCreate ev = WLPB__TASK_CREATE__INIT;
  ev.container_id = (char *)T.id;
  ev.bundle = (char *)T.bundle;
  ev.rootfs = req->rootfs;
  ev.n_rootfs = req->n_rootfs;
  io.stdin = (char *)T.stdin_path;
  io.stdout = (char *)T.stdout_path;
  io.stderr = (char *)T.stderr_path;
  ev.io = &io;
  ev.pid = (uint32_t)T.pid;
  wl__events_publish("/tasks/create", "containerd.events.TaskCreate", &ev.base);
  Wlpb__CreateTaskResponse resp = WLPB__CREATE_TASK_RESPONSE__INIT;
  resp.pid = (uint32_t)T.pid;
  wl__reply_msg(r, &resp.base);
  wa_free(mounts);
  wa_free(binds);
  wl__spec_free(&spec);
  return;

fail:
  if (err.code)
    reply_wa(r, &err);
  wl__log(WL_LOG_ERROR, "create %s: %s", T.id ? T.id : "", r->msg);
  undo_create(stdio);
  wa_free(mounts);
  wa_free(binds);
  if (have_spec)
    wl__spec_free(&spec);
}

/* ------------------------------------------------------- other calls */

static bool check_id(const char *id, const char *exec_id, wl__reply *r) {
  if (T.state == T_NONE || T.state == T_DELETED || !id ||
      strcmp(id, T.id) != 0) {
    wl__reply_err(r, WL_GRPC_NOT_FOUND, "task %s not found", id ? id : "");
    return false;
  }
  if (exec_id && exec_id[0]) {
    wl__reply_err(r, WL_GRPC_NOT_FOUND,
                  "exec %s of task %s not found: the wasmaot shim runs no "
                  "exec processes",
                  exec_id, id);
    return false;
  }
  return true;
}

static void do_start(const Wlpb__StartRequest *req, wl__reply *r) {
  if (!check_id(req->id, req->exec_id, r))
    return;
  if (T.state != T_CREATED || T.starting) {
    wl__reply_err(r, WL_GRPC_FAILED_PRECONDITION,
                  "task %s cannot be started: it is not in the created state",
                  T.id);
    return;
  }
  if (T.exited) {
    wl__reply_err(r, WL_GRPC_FAILED_PRECONDITION,
                  "task %s exited before it was started", T.id);
    return;
  }
  wa_err err;
  wa_err_init(&err);
  T.starting = true;
  pthread_mutex_unlock(&T.mu); /* the exit may be reported meanwhile */
  int rc = wl__proc_start(&T.proc, &err);
  pthread_mutex_lock(&T.mu);
  T.starting = false;
  if (rc != 0) {
    reply_wa(r, &err);
    if (T.exited)
      finish_exit();
    return;
  }
  T.started = true;
  T.state = T_RUNNING;
  Wlpb__TaskStart ev = WLPB__TASK_START__INIT;
  ev.container_id = (char *)T.id;
  ev.pid = (uint32_t)T.pid;
  wl__events_publish("/tasks/start", "containerd.events.TaskStart", &ev.base);
  if (T.exited)
    finish_exit(); /* TaskExit strictly after TaskStart */
  Wlpb__StartResponse resp = WLPB__START_RESPONSE__INIT;
  resp.pid = (uint32_t)T.pid;
  wl__reply_msg(r, &resp.base);
}

static int status_of(int state) {
  switch (state) {
  case T_CREATED:
    return WLPB__TASK_STATUS__CREATED;
  case T_RUNNING:
    return WLPB__TASK_STATUS__RUNNING;
  case T_PAUSED:
    return WLPB__TASK_STATUS__PAUSED;
  case T_STOPPED:
    return WLPB__TASK_STATUS__STOPPED;
  default:
    return WLPB__TASK_STATUS__UNKNOWN;
  }
}

static void do_state(const Wlpb__StateRequest *req, wl__reply *r) {
  if (!check_id(req->id, req->exec_id, r))
    return;
  Wlpb__StateResponse resp = WLPB__STATE_RESPONSE__INIT;
  Wlpb__Timestamp ts = WLPB__TIMESTAMP__INIT;
  resp.id = (char *)T.id;
  resp.bundle = (char *)T.bundle;
  resp.pid = (uint32_t)T.pid;
  resp.status = status_of(T.state);
  resp.stdin = (char *)T.stdin_path;
  resp.stdout = (char *)T.stdout_path;
  resp.stderr = (char *)T.stderr_path;
  if (T.state == T_STOPPED) {
    resp.exit_status = T.exit_status;
    set_ts(&ts, &T.exited_at);
  }
  resp.exited_at = &ts;
  resp.exec_id = req->exec_id;
  wl__reply_msg(r, &resp.base);
}

static void do_kill(const Wlpb__KillRequest *req, wl__reply *r) {
  if (!check_id(req->id, req->exec_id, r))
    return;
  if (T.exited || T.state == T_STOPPED) {
    wl__reply_err(r, WL_GRPC_NOT_FOUND, "process already finished");
    return;
  }
  int sig = (int)req->signal;
  if (sig <= 0 || sig >= NSIG) {
    wl__reply_err(r, WL_GRPC_INVALID_ARGUMENT, "invalid signal %u",
                  req->signal);
    return;
  }
  T.last_kill = sig;
  int rc = kill(T.pid, sig);
  if (req->all || sig == SIGKILL) {
    /* Everything of the task: its process group and its cgroup. */
    (void)kill(-T.pid, sig);
    wl__cgroup_signal(&T.cg, sig);
  }
  if (T.state == T_PAUSED) {
    wa_err err;
    wa_err_init(&err);
    if (wl__cgroup_freeze(&T.cg, false, &err) != 0) /* so the signal lands */
      wl__log(WL_LOG_WARN, "kill %s: %s", T.id, err.msg);
  }
  if (rc != 0 && errno == ESRCH) {
    wl__reply_err(r, WL_GRPC_NOT_FOUND, "process already finished");
    return;
  }
  Wlpb__Empty e = WLPB__EMPTY__INIT;
  wl__reply_msg(r, &e.base);
}

static void do_wait(const Wlpb__WaitRequest *req, wl__reply *r) {
  if (!check_id(req->id, req->exec_id, r))
    return;
  while (T.state != T_STOPPED && T.state != T_DELETED)
    pthread_cond_wait(&T.cv, &T.mu);
  Wlpb__WaitResponse resp = WLPB__WAIT_RESPONSE__INIT;
  Wlpb__Timestamp ts = WLPB__TIMESTAMP__INIT;
  resp.exit_status = T.exit_status;
  set_ts(&ts, &T.exited_at);
  resp.exited_at = &ts;
  wl__reply_msg(r, &resp.base);
}

static void do_delete(const Wlpb__DeleteRequest *req, wl__reply *r) {
  if (!check_id(req->id, req->exec_id, r))
    return;
  if (T.state == T_RUNNING || T.state == T_PAUSED) {
    wl__reply_err(r, WL_GRPC_FAILED_PRECONDITION,
                  "task %s must be stopped before deletion: running", T.id);
    return;
  }
  if (T.state == T_CREATED && !T.exited) {
    /* Never started: the held process goes, then its exit is reaped. */
    T.last_kill = SIGKILL;
    kill(T.pid, SIGKILL);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    while (!T.exited)
      if (pthread_cond_timedwait(&T.cv, &T.mu, &dl) == ETIMEDOUT)
        break;
  }
  if (!T.exited) {
    T.exit_status = 128 + SIGKILL;
    wl__ts_now(&T.exited_at);
  }
  wa_err err;
  wa_err_init(&err);
  wl__proc_close(&T.proc);
  /* The last output may still be on its way to the client. */
  pthread_mutex_unlock(&T.mu);
  wl__io_drain(2000);
  pthread_mutex_lock(&T.mu);
  if (T.rootfs_mounted && wl__rootfs_unmount(T.rootfs, &err) != 0)
    wl__log(WL_LOG_WARN, "delete %s: %s", T.id, err.msg);
  T.rootfs_mounted = false;
  wa_err_init(&err);
  if (T.cg.version) {
    wl__cgroup_signal(&T.cg, SIGKILL);
    if (wl__cgroup_destroy(&T.cg, &err) != 0)
      wl__log(WL_LOG_WARN, "delete %s: %s", T.id, err.msg);
  }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/" WL_PIDFILE, T.bundle);
  unlink(path);
  T.state = T_DELETED;
  pthread_cond_broadcast(&T.cv);

  Wlpb__Timestamp ts = WLPB__TIMESTAMP__INIT;
  set_ts(&ts, &T.exited_at);
  Wlpb__TaskDelete ev = WLPB__TASK_DELETE__INIT;
  ev.container_id = (char *)T.id;
  ev.pid = (uint32_t)T.pid;
  ev.exit_status = T.exit_status;
  ev.exited_at = &ts;
  ev.id = (char *)T.id;
  wl__events_publish("/tasks/delete", "containerd.events.TaskDelete", &ev.base);
  Wlpb__DeleteResponse resp = WLPB__DELETE_RESPONSE__INIT;
  resp.pid = (uint32_t)T.pid;
  resp.exit_status = T.exit_status;
  resp.exited_at = &ts;
  wl__reply_msg(r, &resp.base);
  wl__log(WL_LOG_INFO, "task %s deleted", T.id);
}

static void do_pids(const Wlpb__PidsRequest *req, wl__reply *r) {
  if (!check_id(req->id, NULL, r))
    return;
  pid_t *pids = NULL;
  size_t n = 0;
  wa_err err;
  wa_err_init(&err);
  if (wl__cgroup_pids(&T.cg, &pids, &n, &err) != 0) {
    reply_wa(r, &err);
    return;
  }
  pid_t self = T.pid;
  Wlpb__ProcessInfo *infos = wa_calloc(n + 1, sizeof *infos);
  Wlpb__ProcessInfo **ptrs = wa_calloc(n + 1, sizeof *ptrs);
  if (!infos || !ptrs) {
    wl__reply_err(r, WL_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  Wlpb__PidsResponse resp = WLPB__PIDS_RESPONSE__INIT;
  if (n == 0 && !T.exited) { /* no cgroup: the task process alone */
    pids = wa_malloc(sizeof *pids);
    if (pids) {
      pids[0] = self;
      n = 1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    wlpb__process_info__init(&infos[i]);
    infos[i].pid = (uint32_t)pids[i];
    ptrs[i] = &infos[i];
  }
  resp.processes = ptrs;
  resp.n_processes = n;
  wl__reply_msg(r, &resp.base);
out:
  wa_free(infos);
  wa_free(ptrs);
  wa_free(pids);
}

static void do_stats(const Wlpb__StatsRequest *req, wl__reply *r) {
  if (!check_id(req->id, NULL, r))
    return;
  wa_err err;
  wa_err_init(&err);
  const char *url;
  uint8_t *data;
  size_t len;
  if (wl__cgroup_stats(&T.cg, &url, &data, &len, &err) != 0) {
    reply_wa(r, &err);
    return;
  }
  Wlpb__Any any = WLPB__ANY__INIT;
  Wlpb__StatsResponse resp = WLPB__STATS_RESPONSE__INIT;
  any.type_url = (char *)url;
  any.value.data = data;
  any.value.len = len;
  resp.stats = &any;
  wl__reply_msg(r, &resp.base);
  wa_free(data);
}

static void do_pause(const char *id, bool pause, wl__reply *r) {
  if (!check_id(id, NULL, r))
    return;
  if (T.state != (pause ? T_RUNNING : T_PAUSED)) {
    wl__reply_err(r, WL_GRPC_FAILED_PRECONDITION, "task %s is not %s", T.id,
                  pause ? "running" : "paused");
    return;
  }
  wa_err err;
  wa_err_init(&err);
  if (wl__cgroup_freeze(&T.cg, pause, &err) != 0) {
    reply_wa(r, &err);
    return;
  }
  T.state = pause ? T_PAUSED : T_RUNNING;
  Wlpb__TaskPaused ev = WLPB__TASK_PAUSED__INIT;
  ev.container_id = (char *)T.id;
  /* TaskPaused and TaskResumed have the same single field. */
  wl__events_publish(pause ? "/tasks/paused" : "/tasks/resumed",
                     pause ? "containerd.events.TaskPaused"
                           : "containerd.events.TaskResumed",
                     &ev.base);
  Wlpb__Empty e = WLPB__EMPTY__INIT;
  wl__reply_msg(r, &e.base);
}

static void do_connect(const Wlpb__ConnectRequest *req, wl__reply *r) {
  Wlpb__ConnectResponse resp = WLPB__CONNECT_RESPONSE__INIT;
  resp.shim_pid = (uint32_t)getpid();
  if (T.state != T_NONE && T.state != T_DELETED && req->id &&
      strcmp(req->id, T.id) == 0)
    resp.task_pid = (uint32_t)T.pid;
  resp.version = (char *)WL_SHIM_VERSION;
  wl__reply_msg(r, &resp.base);
}

static void do_shutdown(wl__reply *r) {
  Wlpb__Empty e = WLPB__EMPTY__INIT;
  wl__reply_msg(r, &e.base);
  if (T.state == T_NONE || T.state == T_DELETED) {
    T.shutdown = true;
    r->wake_after = true;
  }
}

static void do_closeio(const Wlpb__CloseIORequest *req, wl__reply *r) {
  if (!check_id(req->id, req->exec_id, r))
    return;
  /* The task holds the client's FIFOs directly: when the client closes
   * its end of stdin, the module reads EOF. Nothing to do here. */
  Wlpb__Empty e = WLPB__EMPTY__INIT;
  wl__reply_msg(r, &e.base);
}

/* containerd marshals non-protobuf types as JSON under this URL. */
#define LINUX_RESOURCES_URL                                                    \
  "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"

static void do_update(const Wlpb__UpdateTaskRequest *req, wl__reply *r) {
  if (!check_id(req->id, NULL, r))
    return;
  if (!req->resources || !req->resources->type_url ||
      strcmp(req->resources->type_url, LINUX_RESOURCES_URL) != 0) {
    wl__reply_err(r, WL_GRPC_INVALID_ARGUMENT,
                  "update: resources of type %s, want " LINUX_RESOURCES_URL,
                  req->resources && req->resources->type_url
                      ? req->resources->type_url
                      : "(none)");
    return;
  }
  wa_err err;
  wa_err_init(&err);
  wl__spec s;
  if (wl__spec_parse_resources((const char *)req->resources->value.data,
                               req->resources->value.len, &s, &err) != 0 ||
      wl__cgroup_update(&T.cg, &s, &err) != 0) {
    reply_wa(r, &err);
  } else {
    Wlpb__Empty e = WLPB__EMPTY__INIT;
    wl__reply_msg(r, &e.base);
  }
  wl__spec_free(&s);
}

/* ------------------------------------------------------- dispatch */

#define UNPACK(type, fn, var)                                                  \
  type *var = fn(NULL, len, payload);                                          \
  if (!var) {                                                                  \
    wl__reply_err(out, WL_GRPC_INVALID_ARGUMENT, "unmarshal request error");   \
    return;                                                                    \
  }

void wl__task_handle(void *ud, const char *service, const char *method,
                     const uint8_t *payload, size_t len, wl__reply *out) {
  if (!service || strcmp(service, TASK_SERVICE) != 0) {
    wl__reply_err(out, WL_GRPC_UNIMPLEMENTED, "service %s",
                  service ? service : "");
    return;
  }
  wl__log(WL_LOG_DEBUG, "%s", method);
  pthread_mutex_lock(&T.mu);
  if (strcmp(method, "Create") == 0) {
    UNPACK(Wlpb__CreateTaskRequest, wlpb__create_task_request__unpack, q);
    do_create(q, out);
    wlpb__create_task_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Start") == 0) {
    UNPACK(Wlpb__StartRequest, wlpb__start_request__unpack, q);
    do_start(q, out);
    wlpb__start_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "State") == 0) {
    UNPACK(Wlpb__StateRequest, wlpb__state_request__unpack, q);
    do_state(q, out);
    wlpb__state_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Kill") == 0) {
    UNPACK(Wlpb__KillRequest, wlpb__kill_request__unpack, q);
    do_kill(q, out);
    wlpb__kill_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Wait") == 0) {
    UNPACK(Wlpb__WaitRequest, wlpb__wait_request__unpack, q);
    do_wait(q, out);
    wlpb__wait_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Delete") == 0) {
    UNPACK(Wlpb__DeleteRequest, wlpb__delete_request__unpack, q);
    do_delete(q, out);
    wlpb__delete_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Pids") == 0) {
    UNPACK(Wlpb__PidsRequest, wlpb__pids_request__unpack, q);
    do_pids(q, out);
    wlpb__pids_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Stats") == 0) {
    UNPACK(Wlpb__StatsRequest, wlpb__stats_request__unpack, q);
    do_stats(q, out);
    wlpb__stats_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Pause") == 0 || strcmp(method, "Resume") == 0) {
    UNPACK(Wlpb__PauseRequest, wlpb__pause_request__unpack, q);
    do_pause(q->id, method[0] == 'P', out);
    wlpb__pause_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Connect") == 0) {
    UNPACK(Wlpb__ConnectRequest, wlpb__connect_request__unpack, q);
    do_connect(q, out);
    wlpb__connect_request__free_unpacked(q, NULL);
  } else if (strcmp(method, "Shutdown") == 0) {
    do_shutdown(out);
  } else if (strcmp(method, "CloseIO") == 0) {
    UNPACK(Wlpb__CloseIORequest, wlpb__close_iorequest__unpack, q);
    do_closeio(q, out);
    wlpb__close_iorequest__free_unpacked(q, NULL);
  } else if (strcmp(method, "Exec") == 0) {
    wl__reply_err(out, WL_GRPC_UNIMPLEMENTED,
                  "exec is not supported by the wasmaot shim: a Wasm task "
                  "is a single module instance");
  } else if (strcmp(method, "ResizePty") == 0) {
    wl__reply_err(out, WL_GRPC_UNIMPLEMENTED,
                  "ResizePty is not supported: the wasmaot shim has no "
                  "terminals");
  } else if (strcmp(method, "Checkpoint") == 0) {
    wl__reply_err(out, WL_GRPC_UNIMPLEMENTED,
                  "checkpoint is not supported by the wasmaot shim");
  } else if (strcmp(method, "Update") == 0) {
    UNPACK(Wlpb__UpdateTaskRequest, wlpb__update_task_request__unpack, q);
    do_update(q, out);
    wlpb__update_task_request__free_unpacked(q, NULL);
  } else {
    wl__reply_err(out, WL_GRPC_UNIMPLEMENTED, "method %s", method);
  }
  pthread_mutex_unlock(&T.mu);
}
