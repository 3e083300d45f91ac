/*
 * main.c: containerd-shim-wasmaot-v1. `start` binds the ttrpc socket,
 * forks the daemon that serves it and prints its address; `delete` cleans
 * up after a shim that is gone; the daemon runs the main loop (accept,
 * SIGCHLD reaping, shutdown). The only place of the shim that exits.
 */
#include "shim_internal.h"

#include "task.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* containerd's limit for a unix socket path (sun_path minus slack). */
#define SOCKET_PATH_MAX 106
#define DEFAULT_SOCKET_DIR "/run/containerd/s"

static wl__shim_opts opts;
static char runner_path[PATH_MAX];
static char bundle_dir[PATH_MAX];

WA_NORETURN static void die(const char *fmt, ...) WA_PRINTF(1, 2);
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "containerd-shim-wasmaot-v1: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* ------------------------------------------------------- flags */

static const char *action;
static const char *bundle_flag;
static const char *socket_flag;

/* Go `flag` syntax: -name value, -name=value, --name, booleans bare. */
static void parse_flags(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || !a[1]) {
      if (action)
        die("unexpected argument %s", a);
      action = a;
      continue;
    }
    a += a[1] == '-' ? 2 : 1;
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    const char *val = eq ? eq + 1 : NULL;
#define FLAG_IS(name) (n == strlen(name) && strncmp(a, name, n) == 0)
    if (FLAG_IS("debug")) {
      opts.debug = !val || strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
      continue;
    }
    if (FLAG_IS("v") || FLAG_IS("version")) {
      printf("containerd-shim-wasmaot-v1:\n  Version: %s\n  Runtime: wasmaot\n",
             WA_VERSION);
      exit(0);
    }
    const char **dst = FLAG_IS("namespace")        ? &opts.ns
                       : FLAG_IS("address")        ? &opts.address
                       : FLAG_IS("publish-binary") ? &opts.publish
                       : FLAG_IS("id")             ? &opts.id
                       : FLAG_IS("bundle")         ? &bundle_flag
                       : FLAG_IS("socket")         ? &socket_flag
                                                   : NULL;
#undef FLAG_IS
    if (!dst)
      die("flag provided but not defined: -%.*s", (int)n, a);
    if (!val) {
      if (i + 1 >= argc)
        die("flag needs an argument: -%.*s", (int)n, a);
      val = argv[++i];
    }
    *dst = val;
  }
  /* containerd 1.7+ also passes these in the environment. */
  if (!opts.ns)
    opts.ns = getenv("NAMESPACE");
  if (!opts.address)
    opts.address = getenv("GRPC_ADDRESS");
  if (!opts.publish)
    opts.publish = "containerd";
}

static void find_runner(void) {
  const char *env = getenv("WASMAOT_BIN");
  if (env && env[0]) {
    wa_strlcpy(runner_path, env, sizeof runner_path);
  } else {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
      n = 0;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
      *slash = 0;
    if (snprintf(runner_path, sizeof runner_path, "%s/wasmaot",
                 slash ? self : ".") >= (int)sizeof runner_path)
      die("path of the shim too long: %s", self);
  }
  opts.runner = runner_path;
}

/* ------------------------------------------------------- start */

static void socket_path(char *out, size_t cap) {
  const char *dir = getenv("WASMAOT_SHIM_SOCKET_DIR");
  if (!dir || !dir[0])
    dir = DEFAULT_SOCKET_DIR;
  /* The containerd address is in the hash: two daemons never collide. */
  char key[PATH_MAX * 2];
  snprintf(key, sizeof key, "%s/%s/%s", opts.address, opts.ns, opts.id);
  uint8_t d[32];
  char hex[65];
  wa_sha256_once(key, strlen(key), d);
  wa_hex(d, sizeof d, hex);
  int n = snprintf(out, cap, "%s/%s", dir, hex);
  if (n < 0 || (size_t)n >= cap || n > SOCKET_PATH_MAX) {
    /* Shorten the name rather than fail: 32 hex digits are plenty. */
    hex[32] = 0;
    n = snprintf(out, cap, "%s/%s", dir, hex);
    if (n < 0 || n > SOCKET_PATH_MAX)
      die("socket directory %s is too long for a unix socket path", dir);
  }
}

static bool socket_alive(const char *path) {
  int fd;
  wa_err err;
  wa_err_init(&err);
  if (wl__unix_dial(path, &fd, &err) != 0)
    return false;
  close(fd);
  return true;
}

static int write_address(const char *addr) {
  /* containerd reads BUNDLE/address after a restart: write it whole. */
  int fd = open(".address", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  int rc = wl__write_full(fd, addr, strlen(addr));
  close(fd);
  if (rc == 0)
    rc = rename(".address", "address");
  return rc;
}

static void raise_oom_score(void) {
  /* Like the Go shim: the shim is a better OOM victim than containerd. */
  FILE *f = fopen("/proc/self/oom_score_adj", "r+e");
  int v;
  if (!f)
    return;
  if (fscanf(f, "%d", &v) == 1 && v < 1000) {
    rewind(f);
    fprintf(f, "%d", v + 1);
  }
  fclose(f);
}

static int serve(int listen_fd);

static int cmd_start(void) {
  /* Runtime options (a protobuf Any) may arrive on stdin: drain it so the
   * writer never blocks. The shim has no options yet. */
  char buf[4096];
  while (read(0, buf, sizeof buf) > 0)
    ;
  if (!opts.id || !opts.ns || !opts.address)
    die("start needs -namespace, -address and -id");
  if (!getcwd(bundle_dir, sizeof bundle_dir))
    die("getcwd: %s", strerror(errno));
  opts.bundle = bundle_dir;

  char path[PATH_MAX];
  socket_path(path, sizeof path);
  char addr[PATH_MAX + 8];
  snprintf(addr, sizeof addr, "unix://%s", path);
  if (socket_alive(path)) {
    /* A shim for this task already serves (containerd retried start). */
    if (write_address(addr) != 0)
      die("writing the address file: %s", strerror(errno));
    printf("%s", addr);
    return 0;
  }
  unlink(path);
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  *strrchr(dir, '/') = 0;
  wa_err err;
  wa_err_init(&err);
  if (wa_mkdirs(dir, 0711, &err) != 0)
    die("%s", err.msg);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket: %s", strerror(errno));
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  wa_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
  mode_t old = umask(0177);
  int b = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (b != 0)
    die("bind %s: %s", path, strerror(errno));
  if (listen(fd, 64) != 0)
    die("listen %s: %s", path, strerror(errno));
  if (write_address(addr) != 0) {
    unlink(path);
    die("writing the address file: %s", strerror(errno));
  }

  /* Opened before the fork, so the daemon's first acts are the dup2s
   * below: containerd waits for EOF on our stdout+stderr pipe. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  int log = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    unlink(path);
    die("fork: %s", strerror(errno));
  }
  if (pid == 0) {
    /* The daemon: drop the pipe; the log FIFO becomes stderr. */
    dup2(null, 0);
    dup2(null, 1);
    dup2(log >= 0 ? log : null, 2);
    if (log > 2)
      close(log);
    if (null > 2)
      close(null);
    setsid();
    wl__log_set_fd(2, opts.debug);
    raise_oom_score();
    exit(serve(fd));
  }
  if (log >= 0)
    close(log);
  if (null >= 0)
    close(null);
  printf("%s", addr);
  return 0;
}

/* ------------------------------------------------------- serve */

static void cleanup_socket(void) {
  char addr[PATH_MAX + 8];
  int fd = open("address", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, addr, sizeof addr - 1);
  close(fd);
  if (n <= 0)
    return;
  addr[n] = 0;
  unlink(strncmp(addr, "unix://", 7) == 0 ? addr + 7 : addr);
}

static int serve(int listen_fd) {
  const char *ttrpc_addr = getenv("TTRPC_ADDRESS");
  char fallback[PATH_MAX];
  if (!ttrpc_addr || !ttrpc_addr[0]) {
    snprintf(fallback, sizeof fallback, "%s.ttrpc", opts.address);
    ttrpc_addr = fallback;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    wl__log(WL_LOG_WARN, "cannot become a subreaper: %s", strerror(errno));
  signal(SIGPIPE, SIG_IGN);
  /* Block before any thread exists, so every thread inherits the mask
   * and the signals arrive only through the signalfd. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  wl__main_set_wake(wake_fd);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (sfd < 0 || wake_fd < 0 || ep < 0) {
    wl__log(WL_LOG_ERROR, "cannot set up the main loop: %s", strerror(errno));
    return 1;
  }
  wa_err err;
  wa_err_init(&err);
  if (wl__events_start(ttrpc_addr, opts.ns, &err) != 0) {
    wl__log(WL_LOG_ERROR, "%s", err.msg);
    return 1;
  }
  wl__task_init(&opts);
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.fd = listen_fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  ev.data.fd = sfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  ev.data.fd = wake_fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, wake_fd, &ev);
  wl__log(WL_LOG_INFO, "serving task %s (namespace %s, runtime %s)", opts.id,
          opts.ns, opts.runner);

  bool stop = false;
  while (!stop) {
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      wl__log(WL_LOG_ERROR, "epoll_wait: %s", strerror(errno));
      break;
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == listen_fd) {
        int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
          continue;
        /* Only a peer with our uid and gid (containerd) may talk to us. */
        struct ucred cr;
        socklen_t len = sizeof cr;
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
            cr.uid != geteuid() || cr.gid != getegid()) {
          wl__log(WL_LOG_WARN, "refusing a connection from uid %d",
                  (int)cr.uid);
          close(c);
          continue;
        }
        wa_err_init(&err);
        if (wl__ttrpc_serve(c, wl__task_handle, NULL, &err) != 0)
          wl__log(WL_LOG_ERROR, "%s", err.msg);
      } else if (fd == sfd) {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
          if (si.ssi_signo == SIGCHLD) {
            wl__reaper_run();
          } else {
            wl__log(WL_LOG_INFO, "signal %u: exiting", si.ssi_signo);
            stop = true;
          }
        }
        wl__reaper_run(); /* coalesced SIGCHLDs */
      } else if (fd == wake_fd) {
        uint64_t v;
        if (read(wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
          wl__log(WL_LOG_WARN, "eventfd: %s", strerror(errno));
        if (wl__task_shutdown_requested())
          stop = true;
      }
    }
  }
  /* TaskDelete must reach containerd before the shim goes. */
  wl__events_drain(3000);
  cleanup_socket();
  wl__log(WL_LOG_INFO, "shim for %s exits", opts.id);
  return 0;
}

/* ------------------------------------------------------- delete */

static void read_exitfile(uint32_t *status, struct timespec *at) {
  FILE *f = fopen(WL_EXITFILE, "re");
  if (!f)
    return;
  unsigned st;
  long long sec;
  long nsec;
  if (fscanf(f, "%u %lld %ld", &st, &sec, &nsec) == 3) {
    *status = st;
    at->tv_sec = (time_t)sec;
    at->tv_nsec = nsec;
  }
  fclose(f);
}

static int cmd_delete(void) {
  if (bundle_flag && chdir(bundle_flag) != 0)
    die("bundle %s: %s", bundle_flag, strerror(errno));
  if (!getcwd(bundle_dir, sizeof bundle_dir))
    die("getcwd: %s", strerror(errno));
  uint32_t status = 128 + SIGKILL;
  struct timespec at;
  wl__ts_now(&at);
  uint32_t pid = 0;

  /* The task process, if the shim died without reaping it. The start
   * time guards against a recycled pid. */
  FILE *f = fopen(WL_PIDFILE, "re");
  if (f) {
    int p;
    unsigned long long start;
    if (fscanf(f, "%d %llu", &p, &start) == 2 && p > 0) {
      pid = (uint32_t)p;
      if (wl__proc_starttime(p) == start && start != 0) {
        kill(-p, SIGKILL);
        kill(p, SIGKILL);
        fprintf(stderr, "killed the task process %d\n", p);
      }
    }
    fclose(f);
  }
  read_exitfile(&status, &at);

  wa_err err;
  wa_err_init(&err);
  wl__spec spec;
  if (wl__spec_load(bundle_dir, &spec, &err) == 0) {
    char rel[512];
    if (wl__cgroup_path(spec.cgroups_path, opts.ns ? opts.ns : "default",
                        opts.id ? opts.id : "", rel, sizeof rel, &err) == 0) {
      wl__cgroup cg;
      wl__cgroup_open(&cg, rel);
      if (cg.version) {
        wl__cgroup_signal(&cg, SIGKILL);
        wa_err e2;
        wa_err_init(&e2);
        char probe[PATH_MAX];
        snprintf(probe, sizeof probe, "/sys/fs/cgroup/%s%s",
                 cg.version == 2 ? "" : "memory", rel);
        if (access(probe, F_OK) == 0 && wl__cgroup_destroy(&cg, &e2) != 0)
          fprintf(stderr, "%s\n", e2.msg);
      }
    }
    wl__spec_free(&spec);
  }
  wa_err_init(&err);
  if (wl__rootfs_unmount("rootfs", &err) != 0)
    fprintf(stderr, "%s\n", err.msg);
  cleanup_socket();
  unlink(WL_PIDFILE);

  Wlpb__Timestamp ts = WLPB__TIMESTAMP__INIT;
  ts.seconds = at.tv_sec;
  ts.nanos = (int32_t)at.tv_nsec;
  Wlpb__DeleteResponse resp = WLPB__DELETE_RESPONSE__INIT;
  resp.pid = pid;
  resp.exit_status = status;
  resp.exited_at = &ts;
  uint8_t *buf;
  size_t n;
  wa_err_init(&err);
  if (wl__pack(&resp.base, &buf, &n, &err) != 0)
    die("%s", err.msg);
  if (fwrite(buf, 1, n, stdout) != n)
    die("writing the delete response: %s", strerror(errno));
  wa_free(buf);
  return 0;
}

int main(int argc, char **argv) {
  parse_flags(argc, argv);
  find_runner();
  if (!action)
    die("no action given (start or delete)");
  if (strcmp(action, "start") == 0)
    return cmd_start();
  if (strcmp(action, "delete") == 0)
    return cmd_delete();
  die("unknown action %s (start or delete)", action);
}
