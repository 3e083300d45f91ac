#include "fixture.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/wi-ctx-XXXXXX";
static void setup(void) {
  cr_assert_not_null(mkdtemp(dir));
}
static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}
TestSuite(wasi_ctx, .init = setup, .fini = teardown);

static int mk(const wi_config *c, wi_ctx **out, wa_err *e) {
  wa_err_init(e);
  return wi_ctx_new(c, out, e);
}

Test(wasi_ctx, fd_numbering_is_stdio_preopens_then_sockets) {
  char a[64], b[64];
  snprintf(a, sizeof a, "%s/a", dir);
  snprintf(b, sizeof b, "%s/b", dir);
  cr_assert_eq(mkdir(a, 0755), 0);
  cr_assert_eq(mkdir(b, 0755), 0);
  wi_preopen pre[] = {{a, "/a", false}, {b, "b", true}};
  const char *l[] = {"127.0.0.1:0"};
  wi_config c;
  wi_config_init(&c);
  c.n_preopens = 2;
  c.preopens = pre;
  c.n_tcplisten = 1;
  c.tcplisten = l;
  wi_ctx *ctx;
  wa_err e;
  cr_assert_eq(mk(&c, &ctx, &e), 0, "%s", e.msg);
  uint8_t mem[256];
  wi_mem m = {mem, sizeof mem};
  cr_assert_eq(wi__fd_prestat_get(ctx, &m, 3, 0), 0);
  cr_assert_eq(wi__ld32(mem + 4), 2);
  cr_assert_eq(wi__fd_prestat_get(ctx, &m, 4, 0), 0);
  cr_assert_eq(wi__ld32(mem + 4), 1);
  cr_assert_eq(wi__fd_prestat_get(ctx, &m, 5, 0), WI_EBADF, "the socket");
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, 5, 0), 0);
  cr_assert_eq(mem[0], WI_FILETYPE_SOCKET_STREAM);
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, 4, 0), 0);
  cr_assert_eq(wi__ld64(mem + 8) & WI_R_PATH_CREATE_FILE, 0, "read-only");
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, 6, 0), WI_EBADF);
  wi_ctx_free(ctx);
}

Test(wasi_ctx, closed_stdio_leaves_its_slot_empty) {
  wi_config c;
  wi_config_init(&c);
  c.stdin_fd = -1;
  int devnull = open("/dev/null", O_WRONLY);
  c.stdout_fd = devnull;
  c.stderr_fd = 1000; /* not open */
  wi_ctx *ctx;
  wa_err e;
  cr_assert_eq(mk(&c, &ctx, &e), 0, "%s", e.msg);
  uint8_t mem[64];
  wi_mem m = {mem, sizeof mem};
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, 0, 0), WI_EBADF);
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, 1, 0), 0);
  cr_assert_eq(mem[0], WI_FILETYPE_CHARACTER_DEVICE);
  cr_assert(wi__ld64(mem + 8) & WI_R_FD_SEEK, "/dev/null is no tty");
  cr_assert_eq(wi__fd_fdstat_get(ctx, &m, 2, 0), WI_EBADF);
  close(devnull);
  wi_ctx_free(ctx);
}

Test(wasi_ctx, bad_preopens_and_addresses_name_the_culprit) {
  wi_config c;
  wi_config_init(&c);
  wi_preopen p = {"/nonexistent/wi-dir", "x", false};
  c.n_preopens = 1;
  c.preopens = &p;
  wi_ctx *ctx = (wi_ctx *)1;
  wa_err e;
  cr_assert_eq(mk(&c, &ctx, &e), WA_ENOTFOUND);
  cr_assert_null(ctx);
  cr_assert(strstr(e.msg, "/nonexistent/wi-dir"), "%s", e.msg);
  char f[64];
  snprintf(f, sizeof f, "%s/file", dir);
  close(open(f, O_CREAT | O_WRONLY, 0644));
  p.host_path = f;
  cr_assert_eq(mk(&c, &ctx, &e), WA_EINVALID);
  cr_assert(strstr(e.msg, f), "%s", e.msg);
  c.n_preopens = 0;
  const char *bad[] = {"127.0.0.1", "localhost:80", "1.2.3.4:70000", "[::1:5",
                       "127.0.0.1:"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    c.n_tcplisten = 1;
    c.tcplisten = &bad[i];
    cr_assert_eq(mk(&c, &ctx, &e), WA_EUSAGE, "%s", bad[i]);
    cr_assert(strstr(e.msg, bad[i]), "%s", e.msg);
  }
}

Test(wasi_ctx, ipv6_loopback_listener) {
  wi_config c;
  wi_config_init(&c);
  const char *l[] = {"[::1]:0"};
  c.n_tcplisten = 1;
  c.tcplisten = l;
  wi_ctx *ctx;
  wa_err e;
  int rc = mk(&c, &ctx, &e);
  if (rc == WA_EIO && strstr(e.msg, "Cannot assign"))
    cr_skip_test("no IPv6 loopback here: %s", e.msg);
  cr_assert_eq(rc, 0, "%s", e.msg);
  cr_assert_gt(wi_ctx_sock_port(ctx, 0), 0);
  wi_ctx_free(ctx);
}

Test(wasi_ctx, every_allocation_failure_is_nomem_without_leaks) {
  char a[64];
  snprintf(a, sizeof a, "%s/a", dir);
  cr_assert_eq(mkdir(a, 0755), 0);
  wi_preopen pre = {a, "/a", false};
  const char *argv[] = {"x", "y"}, *env[] = {"K=V"};
  wi_config c;
  wi_config_init(&c);
  c.argc = 2;
  c.argv = argv;
  c.n_env = 1;
  c.env = env;
  c.n_preopens = 1;
  c.preopens = &pre;
  int failures = 0;
  for (long n = 0; n < 100; n++) {
    wa_alloc_fail_after(n);
    wi_ctx *ctx;
    wa_err e;
    int rc = mk(&c, &ctx, &e);
    wa_alloc_fail_after(-1);
    if (rc == 0) {
      wi_ctx_free(ctx);
      break;
    }
    cr_assert_eq(rc, WA_ENOMEM, "allocation %ld: %s", n, e.msg);
    failures++;
  }
  cr_assert_gt(failures, 3);
}
