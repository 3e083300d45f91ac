/*
 * httpd.h: a small loopback HTTP/1.1 server for the registry client tests.
 * One request per connection ("Connection: close"); requests are handled
 * one at a time on a server thread by a handler the test supplies.
 */
#ifndef WO_TEST_HTTPD_H
#define WO_TEST_HTTPD_H

#include <stddef.h>

typedef struct t_req {
  char method[16];
  char path[2048];
  char authorization[2048];
  char range[128];
  char accept[1024];
  char host[256];
  char content_type[256];
  char content_range[128];
  unsigned char *body; /* request body (Content-Length), freed after */
  size_t body_len;
} t_req;

typedef struct t_resp {
  int status;
  char headers[4096]; /* extra "Name: value\r\n" lines */
  const void *body;
  size_t len;
  long cut_after; /* >= 0: close after this many body bytes */
  void *owned;    /* freed after sending */
} t_resp;

typedef void (*t_handler)(void *ud, const t_req *req, t_resp *resp);

typedef struct t_httpd t_httpd;

/* Starts listening on 127.0.0.1 on a free port. */
t_httpd *t_httpd_start(t_handler h, void *ud, int *out_port);
void t_httpd_stop(t_httpd *s);

#endif
