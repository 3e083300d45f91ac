/*
 * proxy.c: the cutting proxy (see proxy.h): one thread, poll over all
 * connection pairs.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 32

typedef struct pair {
  int c, u; /* client, upstream; -1 when free */
  long down;
} pair;

struct t_proxy {
  int lfd, up_port, stop[2];
  pthread_t thread;
  pair pairs[MAX_PAIRS];
  atomic_long cut_at;
  atomic_int cuts, ranges;
  atomic_int methods[5];
};

static const char *const method_names[5] = {"GET", "HEAD", "POST", "PUT",
                                            "PATCH"};

/* Request lines in a chunk from the client ("PUT /v2/..."); body bytes
 * could fake one, but test bodies are JSON or random data without it. */
static void count_methods(t_proxy *p, const char *b, size_t n) {
  for (int m = 0; m < 5; m++) {
    char needle[16];
    int k = snprintf(needle, sizeof needle, "%s /v2/", method_names[m]);
    for (const char *q = b;
         (q = memmem(q, n - (size_t)(q - b), needle, (size_t)k)) != NULL;
         q += k)
      if (q == b || q[-1] == '\n')
        p->methods[m]++;
  }
}

static void send_all(int fd, const char *b, size_t n) {
  while (n) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    if (w <= 0)
      return;
    b += w;
    n -= (size_t)w;
  }
}

static void drop(pair *p) {
  if (p->c >= 0)
    close(p->c);
  if (p->u >= 0)
    close(p->u);
  p->c = p->u = -1;
}

static int connect_up(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void *loop(void *arg) {
  t_proxy *p = arg;
  static char buf[65536];
  for (;;) {
    struct pollfd pf[2 + 2 * MAX_PAIRS];
    int map[2 + 2 * MAX_PAIRS], n = 0;
    pf[n] = (struct pollfd){p->stop[0], POLLIN, 0};
    map[n++] = -1;
    pf[n] = (struct pollfd){p->lfd, POLLIN, 0};
    map[n++] = -2;
    for (int i = 0; i < MAX_PAIRS; i++)
      if (p->pairs[i].c >= 0) {
        pf[n] = (struct pollfd){p->pairs[i].c, POLLIN, 0};
        map[n++] = 2 * i;
        pf[n] = (struct pollfd){p->pairs[i].u, POLLIN, 0};
        map[n++] = 2 * i + 1;
      }
    if (poll(pf, (nfds_t)n, -1) < 0)
      continue;
    if (pf[0].revents)
      break;
    for (int k = 1; k < n; k++) {
      if (!pf[k].revents)
        continue;
      if (map[k] == -2) {
        int c = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
          continue;
        int slot = -1;
        for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
          if (p->pairs[i].c < 0)
            slot = i;
        int u = slot >= 0 ? connect_up(p->up_port) : -1;
        if (u < 0) {
          close(c);
          continue;
        }
        p->pairs[slot] = (pair){c, u, 0};
        continue;
      }
      pair *q = &p->pairs[map[k] / 2];
      if (q->c < 0)
        continue;
      bool from_client = map[k] % 2 == 0;
      ssize_t r = recv(from_client ? q->c : q->u, buf, sizeof buf, 0);
      if (r <= 0) {
        drop(q);
        continue;
      }
      if (from_client) {
        if (memmem(buf, (size_t)r, "Range: bytes=", 13) ||
            memmem(buf, (size_t)r, "range: bytes=", 13))
          p->ranges++;
        count_methods(p, buf, (size_t)r);
        send_all(q->u, buf, (size_t)r);
        continue;
      }
      long cut = atomic_load(&p->cut_at);
      if (cut >= 0 && q->down + r > cut) {
        long first = cut - q->down;
        send_all(q->c, buf, first > 0 ? (size_t)first : 0);
        atomic_store(&p->cut_at, -1);
        p->cuts++;
        drop(q);
        continue;
      }
      send_all(q->c, buf, (size_t)r);
      q->down += r;
    }
  }
  for (int i = 0; i < MAX_PAIRS; i++)
    drop(&p->pairs[i]);
  return NULL;
}

t_proxy *t_proxy_start(int upstream_port, int *out_port) {
  t_proxy *p = calloc(1, sizeof *p);
  p->up_port = upstream_port;
  atomic_store(&p->cut_at, -1);
  for (int i = 0; i < MAX_PAIRS; i++)
    p->pairs[i].c = p->pairs[i].u = -1;
  p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(p->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(p->lfd, 16) != 0 ||
      getsockname(p->lfd, (struct sockaddr *)&a, &len) != 0 ||
      pipe(p->stop) != 0) {
    close(p->lfd);
    free(p);
    return NULL;
  }
  *out_port = ntohs(a.sin_port);
  pthread_create(&p->thread, NULL, loop, p);
  return p;
}

void t_proxy_arm(t_proxy *p, long n) {
  atomic_store(&p->cut_at, n);
}
int t_proxy_cuts(t_proxy *p) {
  return atomic_load(&p->cuts);
}
int t_proxy_saw_range(t_proxy *p) {
  return atomic_load(&p->ranges);
}

int t_proxy_requests(t_proxy *p, const char *method) {
  for (int m = 0; m < 5; m++)
    if (strcmp(method, method_names[m]) == 0)
      return atomic_load(&p->methods[m]);
  return -1;
}

void t_proxy_stop(t_proxy *p) {
  if (!p)
    return;
  if (write(p->stop[1], "x", 1) == 1)
    pthread_join(p->thread, NULL);
  close(p->lfd);
  close(p->stop[0]);
  close(p->stop[1]);
  free(p);
}
