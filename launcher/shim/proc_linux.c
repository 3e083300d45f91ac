/*
 * proc_linux.c: the per-task process. The shim clones it with the new
 * namespaces the spec asks for; the child joins the others, places the
 * spec's bind mounts, then waits for Start, drops privileges and execs
 * `wasmaot run`. With a pid namespace the child stays as a tiny init that
 * forwards signals to the runner and exits with its status.
 *
 * The shim is multi-threaded, so everything between clone and exec uses
 * raw system calls on memory prepared by the parent: no malloc, no stdio,
 * no locks (another thread may have held them at clone time).
 */
#include "shim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child reports on the sync pipe. */
enum { SYNC_READY = 1, SYNC_ERROR = 2 };
typedef struct sync_msg {
  int32_t kind;
  int32_t err; /* errno */
  char step[160];
} sync_msg;

uint32_t wl__exit_status(int st) {
  if (WIFEXITED(st))
    return (uint32_t)WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128u + (uint32_t)WTERMSIG(st);
  return 255;
}

/* ------------------------------------------------------- child helpers */

static void copy_str(char *dst, size_t cap, const char *a, const char *b) {
  size_t n = 0;
  for (; a && *a && n + 1 < cap; a++)
    dst[n++] = *a;
  for (; b && *b && n + 1 < cap; b++)
    dst[n++] = *b;
  dst[n] = 0;
}

/* Reports a failed step with errno and exits. Async-signal-safe. */
WA_NORETURN static void child_fail(int sync_w, const char *step,
                                   const char *arg) {
  sync_msg m;
  memset(&m, 0, sizeof m);
  m.kind = SYNC_ERROR;
  m.err = errno;
  copy_str(m.step, sizeof m.step, step, arg);
  ssize_t w = write(sync_w, &m, sizeof m);
  (void)w;
  _exit(127);
}

static pid_t raw_fork(unsigned long flags) {
  /* Not fork(): glibc's fork takes locks other shim threads may hold. */
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static int open_in_root(int rootfd, const char *path, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Mounts the spec's binds into the rootfs of this (new) mount namespace:
 * clone the source tree, make it read-only while detached, attach it on
 * the target resolved inside the rootfs. */
static void place_binds(const wl__launch *l, int sync_w) {
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0)
    child_fail(sync_w, "making / a slave mount", NULL);
  int rootfd = open(l->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    child_fail(sync_w, "opening the rootfs ", l->rootfs);
  for (size_t i = 0; i < l->n_binds; i++) {
    const wl__bind *b = &l->binds[i];
    int tree = open_tree(AT_FDCWD, b->source,
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                             (b->recursive ? AT_RECURSIVE : 0));
    if (tree < 0)
      child_fail(sync_w, "bind mount: cannot open ", b->source);
    if (b->readonly) {
      struct mount_attr a;
      memset(&a, 0, sizeof a);
      a.attr_set = MOUNT_ATTR_RDONLY;
      if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) !=
          0)
        child_fail(sync_w, "bind mount: cannot make read-only ", b->source);
    }
    int target = open_in_root(rootfd, b->dest, O_PATH);
    if (target < 0)
      child_fail(sync_w, "bind mount: cannot open the target ", b->dest);
    if (move_mount(tree, "", target, "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      child_fail(sync_w, "bind mount: cannot attach on ", b->dest);
    close(target);
    close(tree);
  }
  if (l->spec->root_readonly) {
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = MOUNT_ATTR_RDONLY;
    int fd = open(l->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || mount_setattr(fd, "", AT_EMPTY_PATH, &a, sizeof a) != 0)
      child_fail(sync_w, "making the rootfs read-only", NULL);
    close(fd);
  }
  close(rootfd);
}

static void loopback_up(int sync_w) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    child_fail(sync_w, "socket for the loopback interface", NULL);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
    child_fail(sync_w, "reading the loopback flags", NULL);
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
    child_fail(sync_w, "bringing the loopback interface up", NULL);
  close(s);
}

/* Drops every capability: the runner needs none, the guest cannot use
 * them. The bounding set first (that needs CAP_SETPCAP), then the rest. */
static void drop_caps(const wl__launch *l, int sync_w) {
  for (int c = 0; c <= l->last_cap; c++)
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
      child_fail(sync_w, "dropping the capability bounding set", NULL);
  (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capset, &h, d) != 0)
    child_fail(sync_w, "dropping capabilities", NULL);
}

/* Every process of the task ends up without privileges, including the
 * pid namespace's init and the sandbox's pause process: they are in the
 * task's namespaces and outlive the shim's control of them. */
static void confine(const wl__launch *l, int sync_w) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    child_fail(sync_w, "setting no_new_privs", NULL);
  drop_caps(l, sync_w);
}

/* The runner: limits, privileges, exec. Never returns. */
WA_NORETURN static void exec_runner(const wl__launch *l, int sync_w) {
  if (chdir(l->workdir) != 0 && chdir(l->rootfs) != 0)
    child_fail(sync_w, "changing to the working directory ", l->workdir);
  for (size_t i = 0; i < l->spec->n_rlimits; i++) {
    const wl__rlimit *r = &l->spec->rlimits[i];
    struct rlimit rl = {r->soft, r->hard};
    if (setrlimit(r->resource, &rl) != 0)
      child_fail(sync_w, "setting an rlimit from process.rlimits", NULL);
  }
  confine(l, sync_w);
  execve(l->argv[0], l->argv, l->envp);
  child_fail(sync_w, "exec ", l->argv[0]);
}

/* ------------------------------------------------------- supervisor */

static volatile sig_atomic_t runner_pid;

static void forward_signal(int sig) {
  pid_t p = runner_pid;
  if (p > 0)
    kill(p, sig);
  else
    _exit(128 + sig); /* not started yet: the signal ends the task */
}

/* Signals that end a process by default: the supervisor (pid 1 of its
 * namespace, which ignores them otherwise) forwards them. */
static const int fwd_signals[] = {SIGHUP,  SIGINT,  SIGQUIT,   SIGUSR1,
                                  SIGUSR2, SIGTERM, SIGALRM,   SIGPIPE,
                                  SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF};

static void install_forwarders(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof fwd_signals / sizeof fwd_signals[0]; i++)
    sigaction(fwd_signals[i], &sa, NULL);
}

WA_NORETURN static void supervise(const wl__launch *l, int sync_w,
                                  int pidns_fd) {
  if (pidns_fd >= 0 && setns(pidns_fd, CLONE_NEWPID) != 0)
    child_fail(sync_w, "joining the pid namespace ",
               l->spec->ns[WL_NS_PID].path);
  /* Block the forwarders across the fork so the runner starts with the
   * default dispositions and runner_pid is set before any forwarding. */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t r = raw_fork(0);
  if (r < 0)
    child_fail(sync_w, "forking the runner", NULL);
  if (r == 0) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof fwd_signals / sizeof fwd_signals[0]; i++)
      sigaction(fwd_signals[i], &dfl, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* The supervisor is this process's only thread: the death signal is
     * reliable and a SIGKILLed supervisor takes the runner along. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    exec_runner(l, sync_w);
  }
  runner_pid = r;
  sigprocmask(SIG_SETMASK, &old, NULL);
  confine(l, sync_w);
  close(sync_w);
  for (int fd = 0; fd < 3; fd++)
    close(fd);
  for (;;) {
    int st;
    pid_t w = waitpid(-1, &st, 0);
    if (w == r)
      _exit((int)wl__exit_status(st) & 0xff);
    if (w < 0 && errno != EINTR)
      _exit(255);
  }
}

static void pause_exit(int sig) {
  _exit(0); /* like the Kubernetes pause container */
}

WA_NORETURN static void pause_forever(int sync_w) {
  close(sync_w);
  for (;;)
    pause();
}

/* ------------------------------------------------------- the child */

WA_NORETURN static void child_main(const wl__launch *l, int sync_w, int start_r,
                                   bool new_mnt, bool new_uts, bool new_net,
                                   bool supervisor) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      sigaction(s, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (supervisor)
    install_forwarders();
  if (!l->argv) {
    /* The sandbox's pause process is pid 1 of its namespace, which
     * ignores signals it has no handler for. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = pause_exit;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
  }

  for (int fd = 0; fd < 3; fd++) {
    if (l->stdio[fd] == fd) {
      int fl = fcntl(fd, F_GETFD);
      fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    } else if (dup2(l->stdio[fd], fd) < 0) {
      child_fail(sync_w, "setting up stdio", NULL);
    }
  }
  /* Keep only stdio and the two pipes (as fds 3 and 4): the supervisor
   * and pause processes never exec, so CLOEXEC would not clean up the
   * shim's sockets and FIFO copies. */
  int a = fcntl(sync_w, F_DUPFD_CLOEXEC, 10);
  int b = fcntl(start_r, F_DUPFD_CLOEXEC, 10);
  if (a < 0 || b < 0 || dup3(a, 3, O_CLOEXEC) < 0 || dup3(b, 4, O_CLOEXEC) < 0)
    child_fail(sync_w, "arranging file descriptors", NULL);
  sync_w = 3;
  start_r = 4;
  close_range(5, ~0U, 0);
  if (setsid() < 0)
    child_fail(sync_w, "setsid", NULL);

  /* Join the namespaces given by path; mount last, since it changes what
   * the other paths mean. The pid namespace is joined by the runner's
   * parent after Start (it applies to children only). */
  int pidns_fd = -1;
  static const int ns_flags[WL_NS_COUNT] = {
#define WL__X(name, json, flag) flag,
      WL_NS_MAP(WL__X)
#undef WL__X
  };
  for (int k = 0; k < WL_NS_COUNT; k++) {
    const wl__ns *ns = &l->spec->ns[k];
    if (!ns->wanted || !ns->path)
      continue;
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      child_fail(sync_w, "opening the namespace ", ns->path);
    if (k == WL_NS_PID) {
      pidns_fd = fd;
      continue;
    }
    if (setns(fd, ns_flags[k]) != 0)
      child_fail(sync_w, "joining the namespace ", ns->path);
    close(fd);
  }
  if (new_mnt)
    place_binds(l, sync_w);
  if (new_uts && l->spec->hostname &&
      sethostname(l->spec->hostname, strlen(l->spec->hostname)) != 0)
    child_fail(sync_w, "setting the hostname ", l->spec->hostname);
  if (new_net)
    loopback_up(sync_w);

  sync_msg ready;
  memset(&ready, 0, sizeof ready);
  ready.kind = SYNC_READY;
  if (write(sync_w, &ready, sizeof ready) != (ssize_t)sizeof ready)
    _exit(127);
  char go;
  ssize_t r;
  do
    r = read(start_r, &go, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1)
    _exit(137); /* deleted before Start */
  close(start_r);
  if (!l->argv) {
    confine(l, sync_w);
    pause_forever(sync_w);
  }
  if (supervisor)
    supervise(l, sync_w, pidns_fd);
  exec_runner(l, sync_w);
}

/* ------------------------------------------------------- the parent */

static int read_sync(int fd, sync_msg *m) {
  size_t got = 0;
  while (got < sizeof *m) {
    ssize_t r = read(fd, (char *)m + got, sizeof *m - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return got == 0 && r == 0 ? 1 : -1;
    got += (size_t)r;
  }
  return 0;
}

static int sync_error(const sync_msg *m, const char *when, wa_err *err) {
  return wa_fail(err, WA_EIO, WA_NOOFF, "%s: %s: %s", when, m->step,
                 strerror(m->err));
}

int wl__proc_create(const wl__launch *l, wl__exit_fn fn, void *ud,
                    wl__proc *out, wa_err *err) {
  int syncp[2] = {-1, -1}, startp[2] = {-1, -1};
  int rc = 0;
  out->pid = -1;
  out->start_fd = out->sync_fd = -1;
  if (l->spec->ns[WL_NS_USER].wanted)
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "user namespaces are not supported by the wasmaot shim");
  if (pipe2(syncp, O_CLOEXEC) != 0 || pipe2(startp, O_CLOEXEC) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "pipe");
    goto fail;
  }
  unsigned long flags = 0;
  static const unsigned long ns_flags[WL_NS_COUNT] = {
#define WL__X(name, json, flag) flag,
      WL_NS_MAP(WL__X)
#undef WL__X
  };
  for (int k = 0; k < WL_NS_COUNT; k++)
    if (l->spec->ns[k].wanted && !l->spec->ns[k].path)
      flags |= ns_flags[k];
  bool supervisor = l->argv && l->spec->ns[WL_NS_PID].wanted;

  wl__reaper_lock();
  pid_t pid = raw_fork(flags);
  if (pid == 0) {
    close(syncp[0]);
    close(startp[1]);
    child_main(l, syncp[1], startp[0], flags & CLONE_NEWNS,
               flags & CLONE_NEWUTS, flags & CLONE_NEWNET, supervisor);
  }
  if (pid > 0)
    wl__reaper_watch(pid, fn, ud);
  wl__reaper_unlock();
  if (pid < 0) {
    rc = wa_fail_errno(err, WA_EIO, "cannot clone the task process");
    goto fail;
  }
  close(syncp[1]);
  close(startp[0]);
  syncp[1] = startp[0] = -1;
  out->pid = pid;
  out->start_fd = startp[1];
  out->sync_fd = syncp[0];
  /* Join the cgroup before the child can run anything. */
  if (l->cgroup && l->cgroup->version &&
      (rc = wl__cgroup_attach(l->cgroup, pid, err)) != 0)
    goto kill;
  sync_msg m;
  int s = read_sync(out->sync_fd, &m);
  if (s == 0 && m.kind == SYNC_READY)
    return 0;
  if (s == 0 && m.kind == SYNC_ERROR)
    rc = sync_error(&m, "preparing the task process", err);
  else
    rc = wa_fail(err, WA_EIO, WA_NOOFF,
                 "the task process exited while being prepared");
kill:
  kill(pid, SIGKILL);
  wl__proc_close(out);
  out->pid = pid; /* the reaper still reports it */
  return rc;
fail:
  for (int i = 0; i < 2; i++) {
    if (syncp[i] >= 0)
      close(syncp[i]);
    if (startp[i] >= 0)
      close(startp[i]);
  }
  return rc;
}

int wl__proc_start(wl__proc *p, wa_err *err) {
  char go = 1;
  if (p->start_fd < 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "the task was already started");
  ssize_t w = write(p->start_fd, &go, 1);
  close(p->start_fd);
  p->start_fd = -1;
  if (w != 1)
    return wa_fail_errno(err, WA_EIO, "starting the task process");
  sync_msg m;
  int s = read_sync(p->sync_fd, &m);
  close(p->sync_fd);
  p->sync_fd = -1;
  if (s == 1)
    return 0; /* EOF: exec closed the pipe */
  if (s == 0 && m.kind == SYNC_ERROR)
    return sync_error(&m, "starting the task", err);
  return wa_fail(err, WA_EIO, WA_NOOFF, "the task process exited at start");
}

void wl__proc_close(wl__proc *p) {
  if (p->start_fd >= 0)
    close(p->start_fd);
  if (p->sync_fd >= 0)
    close(p->sync_fd);
  p->start_fd = p->sync_fd = -1;
}

uint64_t wl__proc_starttime(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = 0;
  /* comm may contain spaces and parentheses: count from the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p)
    return 0;
  unsigned long long v = 0;
  int field = 2;
  for (p++; *p && field < 22; p++)
    if (*p == ' ')
      field++;
  if (field == 22 && sscanf(p, "%llu", &v) == 1)
    return v;
  return 0;
}
