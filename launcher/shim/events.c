/*
 * events.c: publishes task events to containerd. One thread forwards a
 * FIFO queue over ttrpc (containerd.services.events.ttrpc.v1.Events.Forward
 * on TTRPC_ADDRESS), so events arrive in the order they were published;
 * while containerd is unreachable (a restart) it retries with back-off.
 */
#include "shim_internal.h"

#include "events.pb-c.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EVENTS_SERVICE "containerd.services.events.ttrpc.v1.Events"
/* How long one event is retried before it is dropped: long enough to ride
 * out a containerd restart. */
#define RETRY_FOR_MS 60000

typedef struct event {
  struct event *next;
  char topic[64];
  char type_url[64];
  struct timespec at;
  uint8_t *data;
  size_t len;
} event;

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  event *head, *tail;
  bool busy; /* the thread holds an event */
  char *addr, *ns;
  int fd;
  uint32_t sid;
} q = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

void wl__ts_now(struct timespec *ts) {
  clock_gettime(CLOCK_REALTIME, ts);
}

static int forward(const event *e, wa_err *err) {
  Wlpb__Timestamp ts = WLPB__TIMESTAMP__INIT;
  Wlpb__Any any = WLPB__ANY__INIT;
  Wlpb__Envelope env = WLPB__ENVELOPE__INIT;
  Wlpb__ForwardRequest req = WLPB__FORWARD_REQUEST__INIT;
  ts.seconds = e->at.tv_sec;
  ts.nanos = (int32_t)e->at.tv_nsec;
  any.type_url = (char *)e->type_url;
  any.value.data = e->data;
  any.value.len = e->len;
  env.timestamp = &ts;
  env.namespace_ = q.ns;
  env.topic = (char *)e->topic;
  env.event = &any;
  req.envelope = &env;
  uint8_t *buf;
  size_t n;
  int rc = wl__pack(&req.base, &buf, &n, err);
  if (rc != 0)
    return rc;
  if (q.fd < 0 && (rc = wl__unix_dial(q.addr, &q.fd, err)) != 0) {
    q.fd = -1;
    goto out;
  }
  wl__reply r;
  q.sid += 2;
  rc = wl__ttrpc_call(q.fd, q.sid, EVENTS_SERVICE, "Forward", buf, n, 5000, &r,
                      err);
  if (rc != 0) {
    close(q.fd);
    q.fd = -1;
    goto out;
  }
  if (r.code != WL_GRPC_OK)
    /* containerd refused it: retrying will not help. */
    wl__log(WL_LOG_ERROR, "event %s refused: %s (code %d)", e->topic, r.msg,
            r.code);
  wl__reply_free(&r);
out:
  wa_free(buf);
  return rc;
}

static void *publisher(void *arg) {
  for (;;) {
    pthread_mutex_lock(&q.mu);
    while (!q.head)
      pthread_cond_wait(&q.cv, &q.mu);
    event *e = q.head;
    q.busy = true;
    pthread_mutex_unlock(&q.mu);

    int64_t waited = 0;
    for (int attempt = 1;; attempt++) {
      wa_err err;
      wa_err_init(&err);
      if (forward(e, &err) == 0)
        break;
      if (waited >= RETRY_FOR_MS) {
        wl__log(WL_LOG_ERROR, "dropping event %s after %d attempts: %s",
                e->topic, attempt, err.msg);
        break;
      }
      wl__log(WL_LOG_WARN, "publishing %s (attempt %d): %s", e->topic, attempt,
              err.msg);
      int64_t delay = attempt < 10 ? 100 * attempt : 1000;
      nanosleep(&(struct timespec){delay / 1000, (delay % 1000) * 1000000},
                NULL);
      waited += delay;
    }

    pthread_mutex_lock(&q.mu);
    q.head = e->next;
    if (!q.head)
      q.tail = NULL;
    q.busy = false;
    pthread_cond_broadcast(&q.cv);
    pthread_mutex_unlock(&q.mu);
    wa_free(e->data);
    wa_free(e);
  }
  return NULL;
}

int wl__events_start(const char *addr, const char *ns, wa_err *err) {
  q.addr = wa_strndup(addr, strlen(addr));
  q.ns = wa_strndup(ns, strlen(ns));
  q.fd = -1;
  q.sid = 1;
  if (!q.addr || !q.ns)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "events: out of memory");
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 << 10);
  int rc = pthread_create(&t, &attr, publisher, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return wa_fail_errno(err, WA_EIO, "cannot start the event publisher");
  }
  return 0;
}

void wl__events_publish(const char *topic, const char *type_url,
                        const ProtobufCMessage *ev) {
  wa_err err;
  wa_err_init(&err);
  event *e = wa_calloc(1, sizeof *e);
  if (!e || wl__pack(ev, &e->data, &e->len, &err) != 0) {
    wl__log(WL_LOG_ERROR, "cannot queue event %s: out of memory", topic);
    wa_free(e);
    return;
  }
  wa_strlcpy(e->topic, topic, sizeof e->topic);
  wa_strlcpy(e->type_url, type_url, sizeof e->type_url);
  wl__ts_now(&e->at);
  wl__log(WL_LOG_DEBUG, "event %s", topic);
  pthread_mutex_lock(&q.mu);
  if (q.tail)
    q.tail->next = e;
  else
    q.head = e;
  q.tail = e;
  pthread_cond_broadcast(&q.cv);
  pthread_mutex_unlock(&q.mu);
}

void wl__events_drain(int timeout_ms) {
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += timeout_ms / 1000;
  dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
  if (dl.tv_nsec >= 1000000000) {
    dl.tv_sec++;
    dl.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&q.mu);
  while (q.head || q.busy)
    if (pthread_cond_timedwait(&q.cv, &q.mu, &dl) == ETIMEDOUT)
      break;
  pthread_mutex_unlock(&q.mu);
}
