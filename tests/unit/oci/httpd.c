/*
 * httpd.c: the loopback test HTTP server (see httpd.h).
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct t_httpd {
  int lfd;
  int stop_pipe[2];
  pthread_t thread;
  t_handler handler;
  void *ud;
};

static void send_all(int fd, const void *p, size_t n) {
  const char *b = p;
  while (n) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    if (w <= 0)
      return;
    b += w;
    n -= (size_t)w;
  }
}

static void header_value(const char *hdrs, const char *name, char *out,
                         size_t n) {
  out[0] = 0;
  size_t nl = strlen(name);
  for (const char *p = hdrs; p && *p;) {
    if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ')
        v++;
      size_t len = strcspn(v, "\r\n");
      snprintf(out, n, "%.*s", (int)len, v);
      return;
    }
    p = strstr(p, "\r\n");
    if (p)
      p += 2;
  }
}

static void serve(t_httpd *s, int fd) {
  char buf[16384];
  size_t got = 0;
  while (got < sizeof buf - 1) {
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, 5000) <= 0)
      return;
    ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
    if (r <= 0)
      return;
    got += (size_t)r;
    buf[got] = 0;
    if (strstr(buf, "\r\n\r\n"))
      break;
  }
  t_req req;
  memset(&req, 0, sizeof req);
  if (sscanf(buf, "%15s %2047s", req.method, req.path) != 2)
    return;
  const char *hdrs = strstr(buf, "\r\n");
  hdrs = hdrs ? hdrs + 2 : "";
  header_value(hdrs, "Authorization", req.authorization,
               sizeof req.authorization);
  header_value(hdrs, "Range", req.range, sizeof req.range);
  header_value(hdrs, "Accept", req.accept, sizeof req.accept);
  header_value(hdrs, "Host", req.host, sizeof req.host);
  header_value(hdrs, "Content-Type", req.content_type, sizeof req.content_type);
  header_value(hdrs, "Content-Range", req.content_range,
               sizeof req.content_range);
  char cl[32];
  header_value(hdrs, "Content-Length", cl, sizeof cl);
  size_t want = (size_t)strtoull(cl, NULL, 10);
  if (want > (64u << 20))
    return;
  /* The body: what came with the headers, then the rest. */
  const char *end = strstr(buf, "\r\n\r\n") + 4;
  size_t have = got - (size_t)(end - buf);
  req.body = malloc(want + 1);
  if (!req.body)
    return;
  memcpy(req.body, end, have < want ? have : want);
  while (have < want) {
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, 5000) <= 0)
      break;
    ssize_t r = recv(fd, req.body + have, want - have, 0);
    if (r <= 0)
      break;
    have += (size_t)r;
  }
  if (have < want) {
    free(req.body);
    return;
  }
  req.body_len = want;
  t_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.status = 404;
  resp.cut_after = -1;
  s->handler(s->ud, &req, &resp);
  char head[8192];
  int n = snprintf(
      head, sizeof head,
      "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
      resp.status, resp.len, resp.headers);
  send_all(fd, head, (size_t)n);
  if (strcmp(req.method, "HEAD") != 0 && resp.len) {
    size_t k = resp.cut_after >= 0 && (size_t)resp.cut_after < resp.len
                   ? (size_t)resp.cut_after
                   : resp.len;
    send_all(fd, resp.body, k);
  }
  free(resp.owned);
  free(req.body);
}

static void *loop(void *arg) {
  t_httpd *s = arg;
  for (;;) {
    struct pollfd pf[2] = {{s->lfd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    if (poll(pf, 2, -1) < 0)
      continue;
    if (pf[1].revents)
      break;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
      continue;
    serve(s, fd);
    shutdown(fd, SHUT_RDWR);
    close(fd);
  }
  return NULL;
}

t_httpd *t_httpd_start(t_handler h, void *ud, int *out_port) {
  t_httpd *s = calloc(1, sizeof *s);
  s->handler = h;
  s->ud = ud;
  s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(s->lfd, 16) != 0) {
    close(s->lfd);
    free(s);
    return NULL;
  }
  socklen_t len = sizeof a;
  getsockname(s->lfd, (struct sockaddr *)&a, &len);
  *out_port = ntohs(a.sin_port);
  if (pipe(s->stop_pipe) != 0) {
    close(s->lfd);
    free(s);
    return NULL;
  }
  pthread_create(&s->thread, NULL, loop, s);
  return s;
}

void t_httpd_stop(t_httpd *s) {
  if (!s)
    return;
  if (write(s->stop_pipe[1], "x", 1) != 1)
    return;
  pthread_join(s->thread, NULL);
  close(s->lfd);
  close(s->stop_pipe[0]);
  close(s->stop_pipe[1]);
  free(s);
}
