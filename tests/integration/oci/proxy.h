/*
 * proxy.h: a loopback TCP proxy that can cut a connection after n bytes
 * from the server, once, to interrupt a blob download from a real
 * registry. It also notes whether a client sent a Range header, and counts
 * requests by method.
 */
#ifndef WO_TEST_PROXY_H
#define WO_TEST_PROXY_H

typedef struct t_proxy t_proxy;

t_proxy *t_proxy_start(int upstream_port, int *out_port);
/* The next connection whose server-to-client bytes exceed n is cut. */
void t_proxy_arm(t_proxy *p, long n);
int t_proxy_cuts(t_proxy *p);      /* connections cut so far */
int t_proxy_saw_range(t_proxy *p); /* requests with "Range: bytes=" */
/* Requests seen with this method ("GET", "HEAD", "POST", "PUT", "PATCH"). */
int t_proxy_requests(t_proxy *p, const char *method);
void t_proxy_stop(t_proxy *p);

#endif
