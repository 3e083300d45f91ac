/*
 * reaper.c: the shim is a child subreaper; every exited child, including
 * orphaned grandchildren, is reaped here from the main loop's SIGCHLD.
 * Callers fork under the reaper lock and register the pid before
 * unlocking, so no exit can be reaped before someone waits for it.
 */
#include "shim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct watch {
  pid_t pid;
  wl__exit_fn fn;
  void *ud;
} watch;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int wake_fd = -1;

void wl__main_set_wake(int fd) {
  wake_fd = fd;
}

void wl__main_wake(void) {
  uint64_t one = 1;
  if (wake_fd >= 0 && write(wake_fd, &one, sizeof one) < 0)
    wl__log(WL_LOG_ERROR, "waking the main loop: %s", strerror(errno));
}
static watch watches[64];
static size_t n_watches;

void wl__reaper_lock(void) {
  pthread_mutex_lock(&mu);
}

void wl__reaper_unlock(void) {
  pthread_mutex_unlock(&mu);
}

void wl__reaper_watch(pid_t pid, wl__exit_fn fn, void *ud) {
  /* The shim runs one task and a few short helpers at a time. */
  if (n_watches < sizeof watches / sizeof watches[0])
    watches[n_watches++] = (watch){pid, fn, ud};
  else
    wl__log(WL_LOG_ERROR, "reaper: too many children, pid %d not watched",
            (int)pid);
}

void wl__reaper_run(void) {
  for (;;) {
    watch hit = {0, NULL, NULL};
    int st = 0;
    pthread_mutex_lock(&mu);
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid > 0) {
      for (size_t i = 0; i < n_watches; i++) {
        if (watches[i].pid == pid) {
          hit = watches[i];
          watches[i] = watches[--n_watches];
          break;
        }
      }
    }
    pthread_mutex_unlock(&mu);
    if (pid <= 0)
      return;
    /* Outside the lock: callbacks take the task lock, and the task code
     * forks under the reaper lock while holding it. */
    if (hit.fn)
      hit.fn(hit.ud, pid, st);
  }
}

/* ------------------------------------------------------- helpers */

typedef struct capture {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  int status;
} capture;

static void capture_exit(void *ud, pid_t pid, int status) {
  capture *c = ud;
  pthread_mutex_lock(&c->mu);
  c->done = true;
  c->status = status;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wl__run_capture(char *const *argv, char *const *envp, char *out, size_t cap,
                    int timeout_ms, int *out_status, wa_err *err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0)
    return wa_fail_errno(err, WA_EIO, "pipe");
  capture c = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&c.cv, &ca);
  pthread_condattr_destroy(&ca);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

  wl__reaper_lock();
  /* Raw clone, as in proc_linux.c: glibc's fork would take locks. */
  pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (devnull >= 0)
      dup2(devnull, 0);
    dup2(p[1], 1);
    dup2(p[1], 2);
    execve(argv[0], argv, envp);
    _exit(127);
  }
  if (pid > 0)
    wl__reaper_watch(pid, capture_exit, &c);
  wl__reaper_unlock();
  if (devnull >= 0)
    close(devnull);
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    return wa_fail_errno(err, WA_EIO, "cannot fork %s", argv[0]);
  }
  size_t got = 0;
  int64_t deadline = now_ms() + timeout_ms;
  bool timed_out = false;
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pf = {p[0], POLLIN, 0};
    int r = poll(&pf, 1, (int)left);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    char buf[4096];
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    size_t k = (size_t)n;
    if (cap && got + k > cap - 1)
      k = cap - 1 - got;
    memcpy(out + got, buf, k);
    got += k;
  }
  close(p[0]);
  if (cap)
    out[got] = 0;
  if (timed_out)
    kill(pid, SIGKILL);
  pthread_mutex_lock(&c.mu);
  while (!c.done)
    pthread_cond_wait(&c.cv, &c.mu);
  pthread_mutex_unlock(&c.mu);
  pthread_cond_destroy(&c.cv);
  *out_status = c.status;
  if (timed_out)
    return wa_fail(err, WA_EBUSY, WA_NOOFF, "%s did not finish within %d ms",
                   argv[0], timeout_ms);
  return 0;
}
