/*
 * io.c: copies the task's stdout and stderr from pipes to the client's
 * FIFOs. The task never writes a FIFO itself: when the client goes away
 * (ctr run -d, a containerd restart) the shim drops the output instead of
 * the task dying of SIGPIPE, and resumes when a reader comes back. While
 * a reader is there, a slow reader slows the task down (nothing is lost).
 */
#include "shim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Copies in flight: Delete waits for them so no output is cut off. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int active;

typedef struct copy {
  int from;
  char fifo[4096];
} copy;

static void *copy_thread(void *arg) {
  copy *c = arg;
  uint8_t *buf = wa_malloc(64 << 10);
  /* The client may open its read end after Create returns (ctr does so
   * from a goroutine): wait for it, as the task's output waits in the
   * pipe meanwhile. */
  int to;
  do
    to = open(c->fifo, O_WRONLY | O_CLOEXEC);
  while (to < 0 && errno == EINTR);
  if (to < 0)
    wl__log(WL_LOG_WARN, "stdio: cannot open %s: %s; dropping output", c->fifo,
            strerror(errno));
  for (;;) {
    ssize_t n = buf ? read(c->from, buf, 64 << 10) : -1;
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    /* EPIPE: no reader right now; the bytes are dropped. */
    if (to >= 0 && wl__write_full(to, buf, (size_t)n) != 0 && errno != EPIPE)
      wl__log(WL_LOG_DEBUG, "stdio copy to %s: %s", c->fifo, strerror(errno));
  }
  wa_free(buf);
  close(c->from);
  if (to >= 0)
    close(to);
  wa_free(c);
  pthread_mutex_lock(&mu);
  active--;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  return NULL;
}

void wl__io_drain(int timeout_ms) {
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += timeout_ms / 1000;
  dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
  if (dl.tv_nsec >= 1000000000) {
    dl.tv_sec++;
    dl.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&mu);
  while (active > 0)
    if (pthread_cond_timedwait(&cv, &mu, &dl) != 0)
      break;
  pthread_mutex_unlock(&mu);
}

int wl__io_pipe(const char *fifo, int *out_task_fd, wa_err *err) {
  struct stat st;
  if (stat(fifo, &st) != 0)
    return wa_fail_errno(err, WA_EIO, "stdio FIFO %s", fifo);
  if (!S_ISFIFO(st.st_mode))
    return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF, "stdio %s is not a FIFO",
                   fifo);
  copy *c = wa_calloc(1, sizeof *c);
  if (!c)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "stdio copy: out of memory");
  if (wa_strlcpy(c->fifo, fifo, sizeof c->fifo) != 0) {
    wa_free(c);
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "stdio path too long: %s", fifo);
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    wa_free(c);
    return wa_fail_errno(err, WA_EIO, "pipe for stdio");
  }
  c->from = p[0];
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 << 10);
  pthread_mutex_lock(&mu);
  active++;
  pthread_mutex_unlock(&mu);
  int rc = pthread_create(&t, &attr, copy_thread, c);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    pthread_mutex_lock(&mu);
    active--;
    pthread_mutex_unlock(&mu);
    wa_free(c);
    close(p[0]);
    close(p[1]);
    errno = rc;
    return wa_fail_errno(err, WA_EIO, "cannot start a stdio copy thread");
  }
  *out_task_fd = p[1];
  return 0;
}
