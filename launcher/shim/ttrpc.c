/*
 * ttrpc.c: the ttrpc wire protocol (containerd/ttrpc v1.1): 10-byte
 * big-endian frame headers around protobuf Request/Response messages, a
 * server that runs every request on its own thread (Wait stays pending
 * while State and Kill are answered) and a small unary client for events.
 */
#include "shim_internal.h"

#include "ttrpc.pb-c.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void wl__ttrpc_hdr_encode(const wl__frame_hdr *h, uint8_t out[WL_TTRPC_HDR]) {
  out[0] = (uint8_t)(h->len >> 24);
  out[1] = (uint8_t)(h->len >> 16);
  out[2] = (uint8_t)(h->len >> 8);
  out[3] = (uint8_t)h->len;
  out[4] = (uint8_t)(h->sid >> 24);
  out[5] = (uint8_t)(h->sid >> 16);
  out[6] = (uint8_t)(h->sid >> 8);
  out[7] = (uint8_t)h->sid;
  out[8] = h->type;
  out[9] = h->flags;
}

void wl__ttrpc_hdr_decode(const uint8_t in[WL_TTRPC_HDR], wl__frame_hdr *h) {
  h->len = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
           (uint32_t)in[2] << 8 | in[3];
  h->sid = (uint32_t)in[4] << 24 | (uint32_t)in[5] << 16 |
           (uint32_t)in[6] << 8 | in[7];
  h->type = in[8];
  h->flags = in[9];
}

int wl__read_full(int fd, void *p, size_t n) {
  uint8_t *b = p;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, b + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0) {
      if (got == 0)
        return 1;
      errno = EPIPE;
      return -1;
    }
    got += (size_t)r;
  }
  return 0;
}

int wl__write_full(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK)
      w = write(fd, b, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

/* ------------------------------------------------------------ replies */

void wl__reply_init(wl__reply *r) {
  r->code = WL_GRPC_OK;
  r->msg[0] = 0;
  r->payload = NULL;
  r->len = 0;
  r->wake_after = false;
}

void wl__reply_free(wl__reply *r) {
  wa_free(r->payload);
  r->payload = NULL;
  r->len = 0;
}

int wl__reply_err(wl__reply *r, int code, const char *fmt, ...) {
  if (r->code != WL_GRPC_OK)
    return r->code;
  r->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->msg, sizeof r->msg, fmt, ap);
  va_end(ap);
  wl__reply_free(r);
  return code;
}

int wl__pack(const ProtobufCMessage *m, uint8_t **out, size_t *out_len,
             wa_err *err) {
  size_t n = protobuf_c_message_get_packed_size(m);
  /* One spare byte: wa_malloc(0) may return NULL for an empty message. */
  uint8_t *b = wa_malloc(n + 1);
  if (!b)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "packing %s: out of memory",
                   m->descriptor->name);
  protobuf_c_message_pack(m, b);
  *out = b;
  *out_len = n;
  return 0;
}

void wl__reply_msg(wl__reply *r, const ProtobufCMessage *m) {
  wa_err err;
  wa_err_init(&err);
  wl__reply_free(r);
  if (wl__pack(m, &r->payload, &r->len, &err) != 0)
    wl__reply_err(r, WL_GRPC_RESOURCE_EXHAUSTED, "%s", err.msg);
}

/* ------------------------------------------------------------ server */

typedef struct conn {
  int fd;
  atomic_int refs;
  pthread_mutex_t wmu; /* one frame at a time on the socket */
  wl__ttrpc_handler handler;
  void *ud;
} conn;

typedef struct job {
  conn *c;
  uint32_t sid;
  Wlpb__Request *req;
} job;

static void conn_unref(conn *c) {
  if (atomic_fetch_sub(&c->refs, 1) == 1) {
    close(c->fd);
    pthread_mutex_destroy(&c->wmu);
    wa_free(c);
  }
}

static void send_frame(conn *c, uint32_t sid, const uint8_t *data, size_t len) {
  uint8_t hdr[WL_TTRPC_HDR];
  wl__frame_hdr h = {(uint32_t)len, sid, WL_TTRPC_RESPONSE, 0};
  wl__ttrpc_hdr_encode(&h, hdr);
  pthread_mutex_lock(&c->wmu);
  /* A write error means the client went away; the reader sees EOF. */
  if (wl__write_full(c->fd, hdr, sizeof hdr) == 0 && len)
    (void)wl__write_full(c->fd, data, len);
  pthread_mutex_unlock(&c->wmu);
}

static void send_reply(conn *c, uint32_t sid, const wl__reply *r) {
  Wlpb__Status st = WLPB__STATUS__INIT;
  Wlpb__Response resp = WLPB__RESPONSE__INIT;
  st.code = r->code;
  st.message = (char *)r->msg;
  resp.status = &st;
  if (r->code == WL_GRPC_OK) {
    resp.payload.data = r->payload;
    resp.payload.len = r->len;
  }
  uint8_t *buf;
  size_t n;
  wa_err err;
  wa_err_init(&err);
  if (wl__pack(&resp.base, &buf, &n, &err) != 0) {
    wl__log(WL_LOG_ERROR, "ttrpc: %s", err.msg);
    return;
  }
  if (n > WL_TTRPC_MAX) {
    wl__reply big;
    wl__reply_init(&big);
    wl__reply_err(&big, WL_GRPC_RESOURCE_EXHAUSTED,
                  "response of %zu bytes exceeds the %u byte ttrpc limit", n,
                  WL_TTRPC_MAX);
    wa_free(buf);
    send_reply(c, sid, &big);
    return;
  }
  send_frame(c, sid, buf, n);
  wa_free(buf);
}

static void reply_status(conn *c, uint32_t sid, int code, const char *msg) {
  wl__reply r;
  wl__reply_init(&r);
  wl__reply_err(&r, code, "%s", msg);
  send_reply(c, sid, &r);
}

static void run_job(job *j) {
  wl__reply r;
  wl__reply_init(&r);
  j->c->handler(j->c->ud, j->req->service, j->req->method, j->req->payload.data,
                j->req->payload.len, &r);
  send_reply(j->c, j->sid, &r);
  if (r.wake_after)
    wl__main_wake();
  wl__reply_free(&r);
  wlpb__request__free_unpacked(j->req, NULL);
  conn_unref(j->c);
  wa_free(j);
}

static void *job_thread(void *p) {
  run_job(p);
  return NULL;
}

static int start_thread(void *(*fn)(void *), void *arg) {
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* Handlers are shallow; small stacks keep 50 shims cheap. */
  pthread_attr_setstacksize(&attr, 256 << 10);
  int rc = pthread_create(&t, &attr, fn, arg);
  pthread_attr_destroy(&attr);
  return rc;
}

/* Reads and drops n bytes of an oversized frame. */
static int discard(int fd, size_t n) {
  uint8_t buf[4096];
  while (n) {
    size_t k = n < sizeof buf ? n : sizeof buf;
    if (wl__read_full(fd, buf, k) != 0)
      return -1;
    n -= k;
  }
  return 0;
}

static void *reader_thread(void *p) {
  conn *c = p;
  uint8_t hdr[WL_TTRPC_HDR];
  for (;;) {
    int rc = wl__read_full(c->fd, hdr, sizeof hdr);
    if (rc != 0)
      break; /* EOF or reset: keep the task, containerd may reconnect */
    wl__frame_hdr h;
    wl__ttrpc_hdr_decode(hdr, &h);
    if (h.len > WL_TTRPC_MAX) {
      if (discard(c->fd, h.len) != 0)
        break;
      char msg[128];
      snprintf(msg, sizeof msg,
               "message length %u exceed maximum message size of %u", h.len,
               WL_TTRPC_MAX);
      reply_status(c, h.sid, WL_GRPC_RESOURCE_EXHAUSTED, msg);
      continue;
    }
    uint8_t *data = wa_malloc(h.len + 1);
    if (!data || (h.len && wl__read_full(c->fd, data, h.len) != 0)) {
      wa_free(data);
      break;
    }
    if (h.type != WL_TTRPC_REQUEST) { /* ignored for future compat */
      wa_free(data);
      continue;
    }
    if (h.sid % 2 == 0) {
      wa_free(data);
      reply_status(c, h.sid, WL_GRPC_INVALID_ARGUMENT,
                   "StreamID must be odd for client initiated streams");
      continue;
    }
    Wlpb__Request *req = wlpb__request__unpack(NULL, h.len, data);
    wa_free(data);
    if (!req) {
      reply_status(c, h.sid, WL_GRPC_INVALID_ARGUMENT,
                   "unmarshal request error");
      continue;
    }
    job *j = wa_malloc(sizeof *j);
    if (!j) {
      wlpb__request__free_unpacked(req, NULL);
      reply_status(c, h.sid, WL_GRPC_RESOURCE_EXHAUSTED, "out of memory");
      continue;
    }
    atomic_fetch_add(&c->refs, 1);
    j->c = c;
    j->sid = h.sid;
    j->req = req;
    if (start_thread(job_thread, j) != 0)
      run_job(j); /* no thread: serve inline rather than drop it */
  }
  wl__log(WL_LOG_DEBUG, "ttrpc: connection closed");
  conn_unref(c);
  return NULL;
}

int wl__ttrpc_serve(int fd, wl__ttrpc_handler h, void *ud, wa_err *err) {
  conn *c = wa_calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "ttrpc connection: out of memory");
  }
  c->fd = fd;
  atomic_init(&c->refs, 1);
  pthread_mutex_init(&c->wmu, NULL);
  c->handler = h;
  c->ud = ud;
  int rc = start_thread(reader_thread, c);
  if (rc != 0) {
    conn_unref(c);
    errno = rc;
    return wa_fail_errno(err, WA_EIO, "cannot start a ttrpc reader thread");
  }
  return 0;
}

/* ------------------------------------------------------------ client */

int wl__ttrpc_request_frame(uint32_t sid, const char *service,
                            const char *method, const uint8_t *payload,
                            size_t len, int64_t timeout_ns, wa_buf *out,
                            wa_err *err) {
  Wlpb__Request req = WLPB__REQUEST__INIT;
  req.service = (char *)service;
  req.method = (char *)method;
  req.payload.data = (uint8_t *)payload;
  req.payload.len = len;
  req.timeout_nano = timeout_ns;
  uint8_t *buf;
  size_t n;
  if (wl__pack(&req.base, &buf, &n, err) != 0)
    return err->code;
  int rc = 0;
  if (n > WL_TTRPC_MAX) {
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF,
                 "%s request of %zu bytes exceeds the ttrpc limit", method, n);
    goto out;
  }
  uint8_t hdr[WL_TTRPC_HDR];
  wl__frame_hdr h = {(uint32_t)n, sid, WL_TTRPC_REQUEST, 0};
  wl__ttrpc_hdr_encode(&h, hdr);
  if ((rc = wa_buf_append(out, hdr, sizeof hdr, err)) != 0)
    goto out;
  rc = wa_buf_append(out, buf, n, err);
out:
  wa_free(buf);
  return rc;
}

static int wait_readable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    int rc = poll(&p, 1, timeout_ms);
    if (rc < 0 && errno == EINTR)
      continue;
    return rc;
  }
}

int wl__ttrpc_call(int fd, uint32_t sid, const char *service,
                   const char *method, const uint8_t *payload, size_t len,
                   int timeout_ms, wl__reply *out, wa_err *err) {
  wa_buf frame;
  wa_buf_init(&frame);
  wl__reply_init(out);
  uint8_t *data = NULL;
  int rc = wl__ttrpc_request_frame(sid, service, method, payload, len,
                                   (int64_t)timeout_ms * 1000000, &frame, err);
  if (rc != 0)
    goto out;
  if (wl__write_full(fd, frame.data, frame.len) != 0) {
    rc = wa_fail_errno(err, WA_EIO, "sending %s.%s", service, method);
    goto out;
  }
  for (;;) {
    uint8_t hdr[WL_TTRPC_HDR];
    int w = wait_readable(fd, timeout_ms);
    if (w <= 0) {
      if (w == 0)
        errno = ETIMEDOUT;
      rc = wa_fail_errno(err, WA_EIO, "waiting for the %s reply", method);
      goto out;
    }
    int r = wl__read_full(fd, hdr, sizeof hdr);
    if (r != 0) {
      if (r == 1)
        errno = ECONNRESET;
      rc = wa_fail_errno(err, WA_EIO, "reading the %s reply", method);
      goto out;
    }
    wl__frame_hdr h;
    wl__ttrpc_hdr_decode(hdr, &h);
    if (h.len > WL_TTRPC_MAX) {
      rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s reply of %u bytes exceeds the ttrpc limit", method,
                   h.len);
      goto out;
    }
    data = wa_malloc(h.len + 1);
    if (!data) {
      rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "%s reply: out of memory", method);
      goto out;
    }
    if (h.len && wl__read_full(fd, data, h.len) != 0) {
      rc = wa_fail_errno(err, WA_EIO, "reading the %s reply", method);
      goto out;
    }
    if (h.type != WL_TTRPC_RESPONSE || h.sid != sid) {
      wa_free(data);
      data = NULL;
      continue;
    }
    Wlpb__Response *resp = wlpb__response__unpack(NULL, h.len, data);
    if (!resp) {
      rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "%s reply is not a ttrpc Response", method);
      goto out;
    }
    if (resp->status && resp->status->code != 0) {
      wl__reply_err(out, resp->status->code, "%s",
                    resp->status->message ? resp->status->message : "");
    } else if (resp->payload.len) {
      out->payload = wa_malloc(resp->payload.len);
      if (out->payload) {
        memcpy(out->payload, resp->payload.data, resp->payload.len);
        out->len = resp->payload.len;
      } else {
        rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "%s reply: out of memory",
                     method);
      }
    }
    wlpb__response__free_unpacked(resp, NULL);
    goto out;
  }
out:
  wa_free(data);
  wa_buf_free(&frame);
  return rc;
}

int wl__unix_dial(const char *path, int *out_fd, wa_err *err) {
  if (strncmp(path, "unix://", 7) == 0)
    path += 7;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (wa_strlcpy(sa.sun_path, path, sizeof sa.sun_path) != 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "socket path too long: %s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return wa_fail_errno(err, WA_EIO, "socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int rc = wa_fail_errno(err, WA_EIO, "cannot connect to %s", path);
    close(fd);
    return rc;
  }
  *out_fd = fd;
  return 0;
}
