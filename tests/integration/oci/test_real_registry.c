/*
 * test_real_registry.c: pulls from Debian's docker-registry (distribution
 * 2.8) started by each test on 127.0.0.1, with images written by wo's own
 * layout writer and by umoci, pushed with skopeo. Auth variants run extra
 * registries on the same storage: htpasswd (bcrypt, Basic) and token auth
 * (Bearer) with an RS256 JWT made by openssl and served by httpd.c. Every
 * process a test starts is stopped in its .fini.
 */
#include "httpd.h"
#include "internal.h"
#include "proxy.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct reg {
  pid_t pid;
  int port;
} reg;

static char work[256];
static char storage[320], storedir[320], laydir[320];
static reg open_reg, basic_reg, token_reg;
static t_httpd *token_srv;
static t_proxy *proxy;
static wo_layout *lay;
static wo_store *st;
static wa_err err;
static char token_json[8192];
static char basic_expected[256];

static const uint8_t mod_a[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 'A'};
static const uint8_t mod_b[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 'B'};

/* ------------------------------------------------------------- helpers */

static int sh(const char *fmt, ...) {
  char cmd[8192], full[8600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  snprintf(full, sizeof full, "(%s) >>%s/commands.log 2>&1", cmd, work);
  int rc = system(full);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void must(int rc, const char *what) {
  if (rc != 0) {
    char log[400];
    snprintf(log, sizeof log, "tail -20 %s/commands.log >&2", work);
    if (system(log) != 0) {
    }
  }
  cr_assert_eq(rc, 0, "%s failed (see commands.log above)", what);
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

static bool answers(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  if (ok) {
    const char *req = "GET /v2/ HTTP/1.0\r\n\r\n";
    char buf[16] = {0};
    ok = write(fd, req, strlen(req)) > 0 && read(fd, buf, 12) >= 12 &&
         strncmp(buf, "HTTP/1.", 7) == 0;
  }
  close(fd);
  return ok;
}

/* Starts docker-registry with our own config file (Debian's default
 * listens on :5000 with auth; never use it). */
static void reg_start(reg *r, const char *name, const char *auth_yaml) {
  r->port = free_port();
  char cfg[400];
  snprintf(cfg, sizeof cfg, "%s/%s.yml", work, name);
  FILE *f = fopen(cfg, "w");
  cr_assert_not_null(f);
  fprintf(
      f,
      "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: %s\n"
      "http:\n  addr: 127.0.0.1:%d\n  secret: wasmaot-test\n%s",
      storage, r->port, auth_yaml ? auth_yaml : "");
  fclose(f);
  char log[400];
  snprintf(log, sizeof log, "%s/%s.log", work, name);
  r->pid = fork();
  cr_assert_geq(r->pid, 0);
  if (r->pid == 0) {
    /* Dies with the test process even when Criterion kills it on timeout. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(WO_REGISTRY_BIN, "docker-registry", "serve", cfg, (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 200 && !answers(r->port); i++)
    usleep(50000);
  cr_assert(answers(r->port), "docker-registry did not start (see %s)", log);
}

static void reg_stop(reg *r) {
  if (r->pid <= 0)
    return;
  kill(r->pid, SIGTERM);
  for (int i = 0; i < 100; i++) {
    if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
      r->pid = 0;
      return;
    }
    usleep(50000);
  }
  kill(r->pid, SIGKILL);
  waitpid(r->pid, NULL, 0);
  r->pid = 0;
}

static void push(const char *tag, const char *repo, const char *format) {
  must(sh("skopeo copy --all --insecure-policy --dest-tls-verify=false %s "
          "oci:%s:%s docker://127.0.0.1:%d/%s",
          format ? format : "", laydir, tag, open_reg.port, repo),
       "skopeo copy");
}

static int pull_from(const reg *r, const char *repo, const char *platform,
                     const char *user, const char *pass, wo_image_info *info) {
  char ref[400];
  snprintf(ref, sizeof ref, "127.0.0.1:%d/%s", r->port, repo);
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  o.plain_http = true;
  o.platform = platform;
  o.username = user;
  o.password = pass;
  o.docker_config = "/nonexistent/config.json";
  wa_err_init(&err);
  return wo_store_pull(st, ref, &o, info, &err);
}

static void assert_store_empty(void) {
  char p[400];
  snprintf(p, sizeof p, "%s/blobs/sha256", storedir);
  int n = 0;
  struct stat sb;
  char cmd[500];
  snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", p);
  n = system(cmd);
  cr_assert_eq(n, 0, "blobs were published into %s", p);
  wo_image_info *v;
  size_t k;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wo_store_list(st, &v, &k, &e), 0, "%s", e.msg);
  cr_assert_eq(k, 0, "a ref was written");
  wa_free(v);
  (void)sb;
}

static wo_desc artifact(const uint8_t *m, size_t n, const char *tag) {
  wo_desc d;
  cr_assert_eq(wo_layout_put_artifact(lay, m, n, NULL, &d, &err), 0, "%s",
               err.msg);
  cr_assert_eq(wo_layout_tag(lay, &d, tag, &err), 0, "%s", err.msg);
  return d;
}

/* A rootfs image: layers of entries, the given compressions. */
static wo_desc rootfs(const wo_entry *const *layers, const size_t *n,
                      const wo_compression *comp, size_t nl, const char *os,
                      const char *arch, const char *entry,
                      wo_desc *out_layers) {
  wo_desc ld[4], md;
  char ids[4][WO_DIGEST_MAX];
  const char *idp[4];
  for (size_t i = 0; i < nl; i++) {
    cr_assert_eq(wo_layout_put_layer(lay, layers[i], n[i], comp[i], &ld[i],
                                     ids[i], &err),
                 0, "%s", err.msg);
    idp[i] = ids[i];
    if (out_layers)
      out_layers[i] = ld[i];
  }
  const char *ep[] = {entry, NULL}, *env[] = {"PATH=/bin", NULL};
  wo_image_spec spec = {{"", "", ""}, ep, NULL, env, "/"};
  snprintf(spec.platform.os, sizeof spec.platform.os, "%s", os);
  snprintf(spec.platform.arch, sizeof spec.platform.arch, "%s", arch);
  cr_assert_eq(wo_layout_put_image(lay, &spec, ld, idp, nl, &md, &err), 0, "%s",
               err.msg);
  md.has_platform = true;
  md.platform = spec.platform;
  return md;
}

static void setup(void) {
  snprintf(work, sizeof work, "/tmp/wo-integ-XXXXXX");
  cr_assert_not_null(mkdtemp(work));
  snprintf(storage, sizeof storage, "%s/registry", work);
  snprintf(storedir, sizeof storedir, "%s/store", work);
  snprintf(laydir, sizeof laydir, "%s/layout", work);
  wa_err_init(&err);
  cr_assert_eq(wo_layout_create(laydir, &lay, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_store_open(storedir, &st, &err), 0, "%s", err.msg);
  reg_start(&open_reg, "open", NULL);
}

static void teardown(void) {
  reg_stop(&open_reg);
  reg_stop(&basic_reg);
  reg_stop(&token_reg);
  t_httpd_stop(token_srv);
  token_srv = NULL;
  t_proxy_stop(proxy);
  proxy = NULL;
  wo_layout_free(lay);
  lay = NULL;
  wo_store_free(st);
  st = NULL;
  if (!work[0])
    return;
  wa_err e;
  wa_err_init(&e);
  if (wo_rmtree(work, &e) != 0)
    fprintf(stderr, "cleanup: %s\n", e.msg);
  work[0] = 0;
}

TestSuite(oci_real, .init = setup, .fini = teardown);

/* --------------------------------------------------------------- tests */

Test(oci_real, artifact_pulls_by_tag_and_by_digest_byte_for_byte) {
  wo_desc d = artifact(mod_a, sizeof mod_a, "art");
  push("art", "wasm/hello:1.0", NULL);
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "wasm/hello:1.0", NULL, NULL, NULL, &info),
               0, "%s", err.msg);
  cr_assert_str_eq(info.digest, d.digest, "the registry changed the manifest");
  cr_assert_eq(info.kind, WO_IMAGE_ARTIFACT);
  char byd[200];
  snprintf(byd, sizeof byd, "wasm/hello@%s", d.digest);
  cr_assert_eq(pull_from(&open_reg, byd, NULL, NULL, NULL, &info), 0, "%s",
               err.msg);
  cr_assert_str_eq(info.digest, d.digest);
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_image_info oi;
  wo_module m;
  char name[300];
  snprintf(name, sizeof name, "127.0.0.1:%d/%s", open_reg.port, byd);
  cr_assert_eq(wo_store_image_open(st, name, &a, &oi, &m, &err), 0, "%s",
               err.msg);
  cr_assert_eq(m.len, sizeof mod_a);
  cr_assert_eq(memcmp(m.bytes, mod_a, sizeof mod_a), 0);
  wo_module_clear(&m);
  wa_arena_free(&a);
}

Test(oci_real, multi_platform_index_picks_wasi_and_honours_platform) {
  wo_entry w[] = {
      {WO_ENTRY_FILE, "app/hello.wasm", mod_a, sizeof mod_a, 0755, NULL}};
  wo_entry l[] = {{WO_ENTRY_FILE, "bin/app",
                   "\x7f"
                   "ELF....",
                   8, 0755, NULL}};
  const wo_entry *lw[] = {w}, *ll[] = {l};
  size_t n1[] = {1};
  wo_compression gz[] = {WO_COMPRESS_GZIP};
  wo_desc m[2];
  m[0] = rootfs(ll, n1, gz, 1, "linux", "amd64", "/bin/app", NULL);
  m[1] = rootfs(lw, n1, gz, 1, "wasi", "wasm32", "/app/hello.wasm", NULL);
  wo_desc idx;
  cr_assert_eq(wo_layout_put_index(lay, m, 2, &idx, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_layout_tag(lay, &idx, "multi", &err), 0);
  push("multi", "multi:latest", NULL);
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "multi", "linux/amd64", NULL, NULL, &info),
               WA_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "/bin/app is not a Wasm module"), "%s", err.msg);
  assert_store_empty();
  cr_assert_eq(pull_from(&open_reg, "multi", "linux/arm64", NULL, NULL, &info),
               WA_ENOTFOUND);
  cr_assert(strstr(err.msg, "linux/amd64, wasi/wasm32"), "%s", err.msg);
  cr_assert_eq(pull_from(&open_reg, "multi", NULL, NULL, NULL, &info), 0, "%s",
               err.msg);
  cr_assert_str_eq(info.digest, idx.digest);
  cr_assert_str_eq(info.manifest_digest, m[1].digest);
  cr_assert_str_eq(info.platform.arch, "wasm32");
  cr_assert_eq(info.kind, WO_IMAGE_ROOTFS);
}

Test(oci_real, gzip_and_zstd_layers_with_whiteouts_pull) {
  wo_entry l0[] = {
      {WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0755, NULL},
      {WO_ENTRY_FILE, "old.wasm", mod_a, sizeof mod_a, 0755, NULL}};
  wo_entry l1[] = {{WO_ENTRY_FILE, "m.wasm", mod_b, sizeof mod_b, 0755, NULL},
                   {WO_ENTRY_FILE, ".wh.old.wasm", "", 0, 0, NULL}};
  const wo_entry *ls[] = {l0, l1};
  size_t n[] = {2, 2};
  wo_compression comps[][2] = {{WO_COMPRESS_GZIP, WO_COMPRESS_ZSTD},
                               {WO_COMPRESS_ZSTD, WO_COMPRESS_NONE}};
  for (int k = 0; k < 2; k++) {
    wo_desc md = rootfs(ls, n, comps[k], 2, "wasip1", "wasm", "/m.wasm", NULL);
    cr_assert_eq(wo_layout_tag(lay, &md, k ? "zst" : "gz", &err), 0);
    push(k ? "zst" : "gz", k ? "layers:zst" : "layers:gz", NULL);
    wo_image_info info;
    cr_assert_eq(pull_from(&open_reg, k ? "layers:zst" : "layers:gz", NULL,
                           NULL, NULL, &info),
                 0, "%s", err.msg);
    wa_arena a;
    wa_arena_init(&a, 0);
    wo_image_info oi;
    wo_module m;
    cr_assert_eq(wo_store_image_open(st, info.name, &a, &oi, &m, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(memcmp(m.bytes, mod_b, sizeof mod_b), 0,
                 "the upper layer lost");
    wo_module_clear(&m);
    wa_arena_free(&a);
  }
  /* the whiteout hides old.wasm from an image that names it */
  wo_desc md = rootfs(ls, n, comps[0], 2, "wasip1", "wasm", "/old.wasm", NULL);
  cr_assert_eq(wo_layout_tag(lay, &md, "wh", &err), 0);
  push("wh", "layers:wh", NULL);
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "layers:wh", NULL, NULL, NULL, &info),
               WA_ENOTFOUND);
}

Test(oci_real, docker_schema2_image_from_skopeo_pulls) {
  wo_entry l0[] = {
      {WO_ENTRY_FILE, "hello.wasm", mod_a, sizeof mod_a, 0755, NULL}};
  const wo_entry *ls[] = {l0};
  size_t n[] = {1};
  wo_compression gz[] = {WO_COMPRESS_GZIP};
  wo_desc md = rootfs(ls, n, gz, 1, "wasip1", "wasm", "/hello.wasm", NULL);
  cr_assert_eq(wo_layout_tag(lay, &md, "d", &err), 0);
  push("d", "dockerv2:1", "--format v2s2");
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "dockerv2:1", NULL, NULL, NULL, &info), 0,
               "%s", err.msg);
  cr_assert_str_neq(info.digest, md.digest,
                    "skopeo should have converted the manifest");
  char p[600];
  snprintf(p, sizeof p,
           "grep -q 'application/vnd.docker.distribution.manifest.v2+json' "
           "%s/index.json",
           storedir);
  cr_assert_eq(system(p), 0, "the stored manifest is not Docker schema 2");

  /* An index becomes a Docker manifest list. */
  wo_entry l1[] = {{WO_ENTRY_FILE, "bin/x",
                    "\x7f"
                    "ELF",
                    4, 0755, NULL}};
  const wo_entry *ls1[] = {l1};
  wo_desc m[2];
  m[0] = rootfs(ls1, n, gz, 1, "linux", "amd64", "/bin/x", NULL);
  m[1] = md;
  wo_desc idx;
  cr_assert_eq(wo_layout_put_index(lay, m, 2, &idx, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_layout_tag(lay, &idx, "dl", &err), 0);
  push("dl", "dockerlist:1", "--format v2s2");
  cr_assert_eq(pull_from(&open_reg, "dockerlist:1", NULL, NULL, NULL, &info), 0,
               "%s", err.msg);
  cr_assert_str_eq(info.platform.os, "wasip1");
  snprintf(
      p, sizeof p,
      "grep -q 'application/vnd.docker.distribution.manifest.list.v2+json' "
      "%s/index.json",
      storedir);
  cr_assert_eq(system(p), 0,
               "the stored top document is not a Docker manifest list");
}

Test(oci_real, umoci_built_image_pulls) {
  char lay2[400], bundle[400], mod[400];
  snprintf(lay2, sizeof lay2, "%s/umoci", work);
  snprintf(bundle, sizeof bundle, "%s/bundle", work);
  snprintf(mod, sizeof mod, "%s/hello.wasm", work);
  FILE *f = fopen(mod, "wb");
  fwrite(mod_b, 1, sizeof mod_b, f);
  fclose(f);
  must(sh("umoci init --layout %s && umoci new --image %s:latest && "
          "umoci unpack --rootless --image %s:latest %s && cp %s %s/rootfs/ && "
          "umoci repack --image %s:latest %s && "
          "umoci config --image %s:latest --config.entrypoint /hello.wasm "
          "--config.env PATH=/ --os wasip1 --architecture wasm",
          lay2, lay2, lay2, bundle, mod, bundle, lay2, bundle, lay2),
       "umoci");
  must(sh("skopeo copy --insecure-policy --dest-tls-verify=false oci:%s:latest "
          "docker://127.0.0.1:%d/umoci/hello:latest",
          lay2, open_reg.port),
       "skopeo copy");
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "umoci/hello", NULL, NULL, NULL, &info), 0,
               "%s", err.msg);
  cr_assert_eq(info.kind, WO_IMAGE_ROOTFS);
  cr_assert_str_eq(info.platform.os, "wasip1");
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_image_info oi;
  wo_module m;
  cr_assert_eq(wo_store_image_open(st, "umoci/hello", &a, &oi, &m, &err),
               WA_ENOTFOUND,
               "a docker.io name must not match a local registry image");
  wa_err_init(&err);
  cr_assert_eq(wo_store_image_open(st, info.name, &a, &oi, &m, &err), 0, "%s",
               err.msg);
  cr_assert_eq(memcmp(m.bytes, mod_b, sizeof mod_b), 0);
  cr_assert_str_eq(m.path, "/hello.wasm");
  cr_assert_str_eq(m.config.entrypoint[0], "/hello.wasm");
  cr_assert_str_eq(m.config.env[0], "PATH=/");
  wo_module_clear(&m);
  wa_arena_free(&a);
}

Test(oci_real, tampered_blob_in_registry_storage_is_caught_and_nothing_stored) {
  wo_entry l0[] = {{WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0755, NULL}};
  const wo_entry *ls[] = {l0};
  size_t n[] = {1};
  wo_compression gz[] = {WO_COMPRESS_GZIP};
  wo_desc layer;
  wo_desc md = rootfs(ls, n, gz, 1, "wasip1", "wasm", "/m.wasm", &layer);
  cr_assert_eq(wo_layout_tag(lay, &md, "t", &err), 0);
  push("t", "tampered:1", NULL);
  const char *hex = wo_digest_hex(layer.digest);
  char data[600];
  snprintf(data, sizeof data, "%s/docker/registry/v2/blobs/sha256/%.2s/%s/data",
           storage, hex, hex);
  int fd = open(data, O_RDWR);
  cr_assert_geq(fd, 0, "registry blob %s: %s", data, strerror(errno));
  uint8_t b;
  cr_assert_eq(pread(fd, &b, 1, 20), 1);
  b ^= 0xff;
  cr_assert_eq(pwrite(fd, &b, 1, 20), 1);
  close(fd);
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "tampered:1", NULL, NULL, NULL, &info),
               WA_EDIGEST);
  cr_assert(strstr(err.msg, layer.digest), "the blob is not named: %s",
            err.msg);
  cr_assert(strstr(err.msg, "tampered"), "the origin is not named: %s",
            err.msg);
  assert_store_empty();
}

Test(oci_real, tar_escape_in_a_layer_is_refused) {
  wo_entry l0[] = {
      {WO_ENTRY_DIR, "a", NULL, 0, 0, NULL},
      {WO_ENTRY_SYMLINK, "a/evil", NULL, 0, 0, "../../../../../../etc"},
      {WO_ENTRY_FILE, "a/evil/passwd", "root::0:0::/:/bin/sh\n", 21, 0, NULL},
      {WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0755, NULL}};
  const wo_entry *ls[] = {l0};
  size_t n[] = {4};
  wo_compression gz[] = {WO_COMPRESS_GZIP};
  wo_desc md = rootfs(ls, n, gz, 1, "wasip1", "wasm", "/m.wasm", NULL);
  cr_assert_eq(wo_layout_tag(lay, &md, "esc", &err), 0);
  push("esc", "escape:1", NULL);
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "escape:1", NULL, NULL, NULL, &info),
               WA_EESCAPE);
  cr_assert(strstr(err.msg, "points outside the root"), "%s", err.msg);
  assert_store_empty();
}

Test(oci_real, interrupted_download_resumes_with_range) {
  size_t big_n = 4u << 20;
  uint8_t *big = malloc(big_n);
  uint32_t x = 12345;
  for (size_t i = 0; i < big_n; i++) {
    x = x * 1103515245u + 12345u;
    big[i] = (uint8_t)(x >> 16);
  }
  wo_entry l0[] = {{WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0755, NULL}};
  wo_entry l1[] = {{WO_ENTRY_FILE, "data.bin", big, big_n, 0644, NULL}};
  const wo_entry *ls[] = {l0, l1};
  size_t n[] = {1, 1};
  wo_compression c[] = {WO_COMPRESS_GZIP, WO_COMPRESS_NONE};
  wo_desc md = rootfs(ls, n, c, 2, "wasip1", "wasm", "/m.wasm", NULL);
  free(big);
  cr_assert_eq(wo_layout_tag(lay, &md, "big", &err), 0);
  push("big", "big:1", NULL);
  reg via = {0, 0};
  proxy = t_proxy_start(open_reg.port, &via.port);
  cr_assert_not_null(proxy);
  t_proxy_arm(proxy, 1 << 20);
  wo_image_info info;
  cr_assert_eq(pull_from(&via, "big:1", NULL, NULL, NULL, &info), WA_ENETWORK,
               "%s", err.msg);
  cr_assert_eq(t_proxy_cuts(proxy), 1);
  char inc[400], cmd[600];
  snprintf(inc, sizeof inc, "%s/incoming", storedir);
  snprintf(cmd, sizeof cmd, "test -n \"$(find %s -type f -size +500k)\"", inc);
  cr_assert_eq(system(cmd), 0, "no partial download kept in %s", inc);
  assert_store_empty();
  cr_assert_eq(t_proxy_saw_range(proxy), 0);
  cr_assert_eq(pull_from(&via, "big:1", NULL, NULL, NULL, &info), 0, "%s",
               err.msg);
  cr_assert_geq(t_proxy_saw_range(proxy), 1, "the second pull did not resume");
  snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", inc);
  cr_assert_eq(system(cmd), 0, "incoming/ not emptied");
}

static const char htpasswd_yaml[] =
    "auth:\n  htpasswd:\n    realm: wasmaot\n    path: %s\n";

Test(oci_real, htpasswd_basic_auth) {
  artifact(mod_a, sizeof mod_a, "a");
  push("a", "private/app:1", NULL);
  char pw[400], yaml[600];
  snprintf(pw, sizeof pw, "%s/htpasswd", work);
  must(sh("htpasswd -Bbc %s alice 's3cret pass'", pw), "htpasswd");
  snprintf(yaml, sizeof yaml, htpasswd_yaml, pw);
  reg_start(&basic_reg, "basic", yaml);
  wo_image_info info;
  cr_assert_eq(pull_from(&basic_reg, "private/app:1", NULL, NULL, NULL, &info),
               WA_EPERM);
  cr_assert(strstr(err.msg, "requires a login"), "%s", err.msg);
  cr_assert_eq(
      pull_from(&basic_reg, "private/app:1", NULL, "alice", "wrong", &info),
      WA_EPERM);
  cr_assert(strstr(err.msg, "refused the credentials for user 'alice'"), "%s",
            err.msg);
  cr_assert_eq(pull_from(&basic_reg, "private/app:1", NULL, "alice",
                         "s3cret pass", &info),
               0, "%s", err.msg);
  /* the same from a docker config.json */
  char cfg[400], enc[100], j[500];
  snprintf(cfg, sizeof cfg, "%s/config.json", work);
  wo__base64_encode((const uint8_t *)"alice:s3cret pass", 17, enc, sizeof enc);
  snprintf(j, sizeof j,
           "{\"auths\":{\"http://127.0.0.1:%d\":{\"auth\":\"%s\"}}}",
           basic_reg.port, enc);
  FILE *f = fopen(cfg, "w");
  fputs(j, f);
  fclose(f);
  char ref[200];
  snprintf(ref, sizeof ref, "127.0.0.1:%d/private/app:1", basic_reg.port);
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  o.plain_http = true;
  o.docker_config = cfg;
  wa_err_init(&err);
  cr_assert_eq(wo_store_pull(st, ref, &o, &info, &err), 0, "%s", err.msg);
}

static void token_handler(void *ud, const t_req *q, t_resp *r) {
  (void)ud;
  if (strncmp(q->path, "/token?", 7) != 0 ||
      !strstr(q->path, "service=wasmaot-test")) {
    r->status = 404;
    return;
  }
  if (strcmp(q->authorization, basic_expected) != 0) {
    r->status = 401;
    return;
  }
  r->status = 200;
  snprintf(r->headers, sizeof r->headers, "Content-Type: application/json\r\n");
  r->body = token_json;
  r->len = strlen(token_json);
}

/* An RS256 JWT with an x5c chain, as distribution's token auth wants. */
static void make_token_for(const char *repo, const char *actions);
static void make_token(const char *repo) {
  make_token_for(repo, "\\\"pull\\\"");
}
/* actions: the JSON array's elements, escaped for the shell script. */
static void make_token_for(const char *repo, const char *actions) {
  char script[4096], out[400];
  snprintf(out, sizeof out, "%s/token.jwt", work);
  snprintf(
      script, sizeof script,
      "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem "
      "-out token.crt -days 2 -subj /CN=wasmaot-token && "
      "b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; } && "
      "x5c=$(openssl x509 -in token.crt -outform DER | base64 -w0) && "
      "now=$(date +%%s) && "
      "h=\"{\\\"typ\\\":\\\"JWT\\\",\\\"alg\\\":\\\"RS256\\\",\\\"x5c\\\":["
      "\\\"$x5c\\\"]}\" && "
      "p=\"{\\\"iss\\\":\\\"wasmaot-issuer\\\",\\\"sub\\\":\\\"alice\\\","
      "\\\"aud\\\":\\\"wasmaot-test\\\","
      "\\\"exp\\\":$((now+3600)),\\\"nbf\\\":$((now-60)),\\\"iat\\\":$((now-60)"
      "),\\\"jti\\\":\\\"j1\\\","
      "\\\"access\\\":[{\\\"type\\\":\\\"repository\\\",\\\"name\\\":\\\"%"
      "s\\\",\\\"actions\\\":[%s]}]}\" && "
      "si=\"$(printf %%s \"$h\" | b64url).$(printf %%s \"$p\" | b64url)\" && "
      "sig=$(printf %%s \"$si\" | openssl dgst -sha256 -sign key.pem | b64url) "
      "&& "
      "printf '%%s.%%s' \"$si\" \"$sig\" > %s",
      work, repo, actions, out);
  must(sh("%s", script), "making the JWT");
  FILE *f = fopen(out, "r");
  char tok[6000] = {0};
  cr_assert_gt(fread(tok, 1, sizeof tok - 1, f), 100);
  fclose(f);
  snprintf(token_json, sizeof token_json,
           "{\"token\":\"%s\",\"expires_in\":3600}", tok);
}

/* token_reg: a registry that wants bearer tokens from our token server
 * (token_srv, which wants alice:pw and hands out token_json). */
static void start_token_registry(void) {
  char enc[100];
  wo__base64_encode((const uint8_t *)"alice:pw", 8, enc, sizeof enc);
  snprintf(basic_expected, sizeof basic_expected, "Basic %s", enc);
  int tport;
  token_srv = t_httpd_start(token_handler, NULL, &tport);
  cr_assert_not_null(token_srv);
  char yaml[1000];
  snprintf(yaml, sizeof yaml,
           "auth:\n  token:\n    realm: http://127.0.0.1:%d/token\n    "
           "service: wasmaot-test\n"
           "    issuer: wasmaot-issuer\n    rootcertbundle: %s/token.crt\n",
           tport, work);
  reg_start(&token_reg, "token", yaml);
}

Test(oci_real, bearer_token_auth_against_registry_token_config) {
  artifact(mod_a, sizeof mod_a, "a");
  push("a", "tokened/app:1", NULL);
  make_token("tokened/app");
  start_token_registry();
  wo_image_info info;
  cr_assert_eq(pull_from(&token_reg, "tokened/app:1", NULL, NULL, NULL, &info),
               WA_EPERM);
  cr_assert(strstr(err.msg, "anonymous access refused"), "%s", err.msg);
  cr_assert_eq(
      pull_from(&token_reg, "tokened/app:1", NULL, "alice", "nope", &info),
      WA_EPERM);
  cr_assert(strstr(err.msg, "credentials refused"), "%s", err.msg);
  cr_assert_eq(
      pull_from(&token_reg, "tokened/app:1", NULL, "alice", "pw", &info), 0,
      "%s", err.msg);
  cr_assert_eq(info.kind, WO_IMAGE_ARTIFACT);
}

/* The CLI on top: exit codes and output. Skipped when the wasmaot binary
 * has not been built (it links every module). */
Test(oci_real, cli_pull_images_rmi) {
  if (access(WO_WASMAOT_BIN, X_OK) != 0) {
    teardown(); /* a skipped test does not get its .fini */
    cr_skip_test("%s is not built", WO_WASMAOT_BIN);
  }
  artifact(mod_a, sizeof mod_a, "a");
  push("a", "cli/app:1", NULL);
  char out[400];
  snprintf(out, sizeof out, "%s/cli.out", work);
  must(
      sh("WASMAOT_STORE_DIR=%s %s pull --plain-http 127.0.0.1:%d/cli/app:1 >%s",
         storedir, WO_WASMAOT_BIN, open_reg.port, out),
      "wasmaot pull");
  must(sh("grep -q 'pulled 127.0.0.1:%d/cli/app:1' %s", open_reg.port, out),
       "pull output");
  must(sh("WASMAOT_STORE_DIR=%s %s images >%s && grep -q 'cli/app:1 .* "
          "wasip1/wasm *artifact' %s",
          storedir, WO_WASMAOT_BIN, out, out),
       "wasmaot images");
  cr_assert_eq(
      sh("WASMAOT_STORE_DIR=%s %s pull --plain-http 127.0.0.1:%d/cli/none 2>%s",
         storedir, WO_WASMAOT_BIN, open_reg.port, out),
      1);
  must(sh("grep -q 'MANIFEST_UNKNOWN' %s", out), "error output");
  cr_assert_eq(sh("%s pull --platform nonsense x 2>/dev/null", WO_WASMAOT_BIN),
               1);
  cr_assert_eq(sh("%s pull 2>/dev/null", WO_WASMAOT_BIN), 2);
  must(sh("WASMAOT_STORE_DIR=%s %s rmi 127.0.0.1:%d/cli/app:1", storedir,
          WO_WASMAOT_BIN, open_reg.port),
       "wasmaot rmi");
  assert_store_empty();
}

/* ------------------------------------------------------ push, referrers */

static wo_ref reg_ref(const reg *r, const char *repo) {
  char s[400];
  snprintf(s, sizeof s, "127.0.0.1:%d/%s", r->port, repo);
  wo_ref ref;
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wo_ref_parse(s, &ref, &e), 0, "%s", e.msg);
  return ref;
}

static wo_pull_opts push_opts(const char *user, const char *pass) {
  wo_pull_opts o;
  memset(&o, 0, sizeof o);
  o.plain_http = true;
  o.username = user;
  o.password = pass;
  o.docker_config = "/nonexistent/config.json";
  return o;
}

static int do_push(const reg *r, const char *repo, const wo_desc *m,
                   const char *tag) {
  wo_ref ref = reg_ref(r, repo);
  wo_pull_opts o = push_opts(NULL, NULL);
  wa_err_init(&err);
  return wo_registry_push(&ref, lay, m, tag, &o, &err);
}

/* The digest the registry serves for repo:tag, through skopeo. */
static void assert_remote_digest(const char *repo_tag, const char *digest) {
  must(sh("test \"$(skopeo inspect --raw --tls-verify=false "
          "docker://127.0.0.1:%d/%s | sha256sum | cut -c1-64)\" = %s",
          open_reg.port, repo_tag, wo_digest_hex(digest)),
       "the registry's manifest does not hash to the pushed digest");
}

/* A referrer of 'subject': empty config, one layer, an artifactType and an
 * annotation, as `warm --push` attaches native artifacts. */
static wo_desc referrer(const wo_desc *subject, const char *artifact_type,
                        const char *payload) {
  wo_desc cfg, layer, m;
  cr_assert_eq(wo_layout_put_blob(lay, "{}", 2,
                                  "application/vnd.oci.empty.v1+json", &cfg,
                                  &err),
               0, "%s", err.msg);
  cr_assert_eq(wo_layout_put_blob(lay, payload, strlen(payload),
                                  "application/vnd.wasmaot.test.layer", &layer,
                                  &err),
               0, "%s", err.msg);
  char json[2000];
  snprintf(json, sizeof json,
           "{\"schemaVersion\":2,\"mediaType\":"
           "\"application/vnd.oci.image.manifest.v1+json\","
           "\"artifactType\":\"%s\","
           "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\","
           "\"digest\":\"%s\",\"size\":2},"
           "\"layers\":[{\"mediaType\":\"application/vnd.wasmaot.test.layer\","
           "\"digest\":\"%s\",\"size\":%llu}],"
           "\"subject\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%llu},"
           "\"annotations\":{\"io.wasmaot.test\":\"%s\"}}",
           artifact_type, cfg.digest, layer.digest,
           (unsigned long long)layer.size, subject->media_type, subject->digest,
           (unsigned long long)subject->size, payload);
  cr_assert_eq(wo_layout_put_blob(lay, json, strlen(json),
                                  "application/vnd.oci.image.manifest.v1+json",
                                  &m, &err),
               0, "%s", err.msg);
  return m;
}

Test(oci_real, push_image_and_index_then_pull_back_with_skopeo_and_wo) {
  wo_entry l0[] = {{WO_ENTRY_FILE, "m.wasm", mod_b, sizeof mod_b, 0755, NULL}};
  const wo_entry *ls[] = {l0};
  size_t n[] = {1};
  wo_compression gz[] = {WO_COMPRESS_GZIP};
  wo_desc md = rootfs(ls, n, gz, 1, "wasip1", "wasm", "/m.wasm", NULL);
  cr_assert_eq(do_push(&open_reg, "pushed/img", &md, "v1"), 0, "%s", err.msg);
  assert_remote_digest("pushed/img:v1", md.digest);
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "pushed/img:v1", NULL, NULL, NULL, &info),
               0, "%s", err.msg);
  cr_assert_str_eq(info.digest, md.digest);
  cr_assert_eq(info.kind, WO_IMAGE_ROOTFS);

  /* An index: its manifests (and their blobs) go first, by digest. */
  wo_desc art = artifact(mod_a, sizeof mod_a, "art");
  art.has_platform = true;
  snprintf(art.platform.os, sizeof art.platform.os, "wasip1");
  snprintf(art.platform.arch, sizeof art.platform.arch, "wasm");
  wo_entry l1[] = {{WO_ENTRY_FILE, "bin/x",
                    "\x7f"
                    "ELF",
                    4, 0755, NULL}};
  const wo_entry *ls1[] = {l1};
  wo_desc m[2];
  m[0] = rootfs(ls1, n, gz, 1, "linux", "amd64", "/bin/x", NULL);
  m[1] = art;
  wo_desc idx;
  cr_assert_eq(wo_layout_put_index(lay, m, 2, &idx, &err), 0, "%s", err.msg);
  cr_assert_eq(do_push(&open_reg, "pushed/multi", &idx, "v1"), 0, "%s",
               err.msg);
  assert_remote_digest("pushed/multi:v1", idx.digest);
  char byd[200];
  snprintf(byd, sizeof byd, "pushed/multi@%s", m[0].digest);
  assert_remote_digest(byd, m[0].digest);
  cr_assert_eq(pull_from(&open_reg, "pushed/multi:v1", NULL, NULL, NULL, &info),
               0, "%s", err.msg);
  cr_assert_str_eq(info.digest, idx.digest);
  cr_assert_str_eq(info.manifest_digest, art.digest);
  cr_assert_eq(info.kind, WO_IMAGE_ARTIFACT);

  /* By digest only: no tag appears. */
  wo_desc only = artifact(mod_b, sizeof mod_b, "only");
  cr_assert_eq(do_push(&open_reg, "pushed/bydigest", &only, NULL), 0, "%s",
               err.msg);
  snprintf(byd, sizeof byd, "pushed/bydigest@%s", only.digest);
  assert_remote_digest(byd, only.digest);
  cr_assert_neq(sh("skopeo list-tags --tls-verify=false "
                   "docker://127.0.0.1:%d/pushed/bydigest | grep -q '\"'",
                   open_reg.port),
                0, "a digest-only push created a tag");
}

Test(oci_real, push_twice_is_idempotent_and_skips_blobs_the_registry_has) {
  wo_entry l0[] = {{WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0755, NULL}};
  const wo_entry *ls[] = {l0};
  size_t n[] = {1};
  wo_compression gz[] = {WO_COMPRESS_GZIP};
  wo_desc layer;
  wo_desc md = rootfs(ls, n, gz, 1, "wasip1", "wasm", "/m.wasm", &layer);
  reg via = {0, 0};
  proxy = t_proxy_start(open_reg.port, &via.port);
  cr_assert_not_null(proxy);
  cr_assert_eq(do_push(&via, "twice/img", &md, "v1"), 0, "%s", err.msg);
  cr_assert_eq(t_proxy_requests(proxy, "POST"), 2, "config and layer");
  /* Without the layer in the layout, a second push can only succeed by
   * finding it in the registry (HEAD) instead of uploading it. */
  char p[600];
  snprintf(p, sizeof p, "%s/blobs/sha256/%s", laydir,
           wo_digest_hex(layer.digest));
  cr_assert_eq(unlink(p), 0);
  cr_assert_eq(do_push(&via, "twice/img", &md, "v1"), 0, "%s", err.msg);
  cr_assert_eq(t_proxy_requests(proxy, "POST"), 2, "the second push uploaded");
  cr_assert_eq(t_proxy_requests(proxy, "HEAD"), 4);
  cr_assert_eq(t_proxy_requests(proxy, "PUT"), 4, "2 blobs, 2 manifests");
  assert_remote_digest("twice/img:v1", md.digest);
  /* The same blob is missing for another repository: the upload needs it
   * and the error names it. */
  cr_assert_eq(do_push(&open_reg, "twice/other", &md, "v1"), WA_ENOTFOUND);
  cr_assert(strstr(err.msg, layer.digest), "%s", err.msg);
}

Test(oci_real, chunked_upload_of_a_big_layer_round_trips) {
  size_t big_n = 300000;
  uint8_t *big = malloc(big_n);
  uint32_t x = 777;
  for (size_t i = 0; i < big_n; i++) {
    x = x * 1103515245u + 12345u;
    big[i] = (uint8_t)(x >> 16);
  }
  wo_entry l0[] = {{WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0755, NULL},
                   {WO_ENTRY_FILE, "data.bin", big, big_n, 0644, NULL}};
  const wo_entry *ls[] = {l0};
  size_t n[] = {2};
  wo_compression none[] = {WO_COMPRESS_NONE};
  wo_desc layer;
  wo_desc md = rootfs(ls, n, none, 1, "wasip1", "wasm", "/m.wasm", &layer);
  free(big);
  reg via = {0, 0};
  proxy = t_proxy_start(open_reg.port, &via.port);
  cr_assert_not_null(proxy);
  uint64_t saved = wo__push_chunk;
  wo__push_chunk = 64 * 1024; /* the layer takes 5 PATCH requests */
  int rc = do_push(&via, "chunked/img", &md, "v1");
  wo__push_chunk = saved;
  cr_assert_eq(rc, 0, "%s", err.msg);
  cr_assert_gt(layer.size, 4 * 64 * 1024);
  cr_assert_eq(t_proxy_requests(proxy, "PATCH"),
               (int)((layer.size + 65535) / 65536));
  wo_image_info info;
  cr_assert_eq(pull_from(&open_reg, "chunked/img:v1", NULL, NULL, NULL, &info),
               0, "%s", err.msg);
  cr_assert_str_eq(info.digest, md.digest);
}

Test(oci_real, referrers_through_the_fallback_tag) {
  wo_desc img = artifact(mod_a, sizeof mod_a, "a");
  cr_assert_eq(do_push(&open_reg, "ref/app", &img, "1"), 0, "%s", err.msg);
  const char *t1 = "application/vnd.wasmaot.test.native.v1";
  const char *t2 = "application/vnd.wasmaot.test.signature.v1";
  wo_desc r1 = referrer(&img, t1, "x86_64");
  wo_desc r2 = referrer(&img, t2, "sig");
  cr_assert_eq(do_push(&open_reg, "ref/app", &r1, NULL), 0, "%s", err.msg);
  cr_assert_eq(do_push(&open_reg, "ref/app", &r2, NULL), 0, "%s", err.msg);
  cr_assert_eq(do_push(&open_reg, "ref/app", &r1, NULL), 0, "%s", err.msg);
  /* distribution 2.8 has no referrers API: the tag holds them */
  char tag[200];
  snprintf(tag, sizeof tag, "ref/app:sha256-%s", wo_digest_hex(img.digest));
  must(sh("skopeo inspect --raw --tls-verify=false docker://127.0.0.1:%d/%s "
          "| grep -q %s",
          open_reg.port, tag, wo_digest_hex(r2.digest)),
       "the fallback tag does not list the referrer");

  wo_ref ref = reg_ref(&open_reg, "ref/app");
  wo_pull_opts o = push_opts(NULL, NULL);
  wa_arena a;
  wa_arena_init(&a, 0);
  wo_index idx;
  cr_assert_eq(
      wo_registry_referrers(&ref, img.digest, NULL, &o, &a, &idx, &err), 0,
      "%s", err.msg);
  cr_assert_eq(idx.n_manifests, 2, "the repeated push added a duplicate");
  cr_assert_str_eq(idx.manifests[0].digest, r2.digest);
  cr_assert_str_eq(idx.manifests[1].digest, r1.digest);
  cr_assert_str_eq(idx.manifests[1].artifact_type, t1);
  cr_assert_eq(idx.manifests[1].n_annotations, 1);
  cr_assert_str_eq(idx.manifests[1].annotations[0], "io.wasmaot.test");
  cr_assert_str_eq(idx.manifests[1].annotations[1], "x86_64");
  cr_assert_eq(idx.manifests[1].size, r1.size);

  cr_assert_eq(wo_registry_referrers(&ref, img.digest, t2, &o, &a, &idx, &err),
               0, "%s", err.msg);
  cr_assert_eq(idx.n_manifests, 1);
  cr_assert_str_eq(idx.manifests[0].digest, r2.digest);

  /* No referrers: an empty index, in a repository that exists and in one
   * that does not. */
  cr_assert_eq(wo_registry_referrers(&ref, r1.digest, NULL, &o, &a, &idx, &err),
               0, "%s", err.msg);
  cr_assert_eq(idx.n_manifests, 0);
  wo_ref none = reg_ref(&open_reg, "ref/none");
  cr_assert_eq(
      wo_registry_referrers(&none, img.digest, NULL, &o, &a, &idx, &err), 0,
      "%s", err.msg);
  cr_assert_eq(idx.n_manifests, 0);

  /* The referrer comes back into a fresh layout, verified, and its subject
   * pulls normally. */
  char lay2[400];
  snprintf(lay2, sizeof lay2, "%s/fetched", work);
  wo_layout *l2;
  cr_assert_eq(wo_layout_create(lay2, &l2, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_registry_fetch(&ref, r1.digest, l2, &o, &err), 0, "%s",
               err.msg);
  uint8_t *bytes;
  size_t len;
  wo_desc want = r1;
  cr_assert_eq(wo_blob_read(wo_layout_blobs(l2), &want, 1 << 20, lay2, &bytes,
                            &len, &err),
               0, "%s", err.msg);
  cr_assert(strstr((const char *)bytes, "x86_64"));
  wa_free(bytes);
  must(sh("test $(ls -A %s | wc -l) -eq 3 && test $(ls %s/blobs/sha256 | wc "
          "-l) -eq 3",
          lay2, lay2),
       "fetch left staging files or missed blobs");
  wo_layout_free(l2);
  wa_arena_free(&a);
}

Test(oci_real, fetch_of_an_index_into_a_layout_pulls_from_it) {
  wo_desc art = artifact(mod_b, sizeof mod_b, "a");
  art.has_platform = true;
  snprintf(art.platform.os, sizeof art.platform.os, "wasip1");
  snprintf(art.platform.arch, sizeof art.platform.arch, "wasm");
  wo_desc idx;
  cr_assert_eq(wo_layout_put_index(lay, &art, 1, &idx, &err), 0, "%s", err.msg);
  cr_assert_eq(do_push(&open_reg, "fetch/app", &idx, "1"), 0, "%s", err.msg);
  char lay2[400];
  snprintf(lay2, sizeof lay2, "%s/fetched", work);
  wo_layout *l2;
  cr_assert_eq(wo_layout_create(lay2, &l2, &err), 0, "%s", err.msg);
  wo_ref ref = reg_ref(&open_reg, "fetch/app");
  wo_pull_opts o = push_opts(NULL, NULL);
  cr_assert_eq(wo_registry_fetch(&ref, idx.digest, l2, &o, &err), 0, "%s",
               err.msg);
  cr_assert_eq(wo_layout_tag(l2, &idx, "got", &err), 0, "%s", err.msg);
  wo_layout_free(l2);
  char src[500];
  snprintf(src, sizeof src, "oci:%s:got", lay2);
  wo_image_info info;
  wo_pull_opts po = push_opts(NULL, NULL);
  cr_assert_eq(wo_store_pull(st, src, &po, &info, &err), 0, "%s", err.msg);
  cr_assert_str_eq(info.manifest_digest, art.digest);
  /* A digest the repository lacks is an error naming it, and leaves no
   * staging directory. */
  wo_desc other = artifact(mod_a, sizeof mod_a, "b");
  cr_assert_eq(wo_layout_open(lay2, &l2, &err), 0, "%s", err.msg);
  cr_assert_eq(wo_registry_fetch(&ref, other.digest, l2, &o, &err),
               WA_ENOTFOUND);
  cr_assert(strstr(err.msg, other.digest), "%s", err.msg);
  cr_assert(strstr(err.msg, "fetch/app"), "%s", err.msg);
  wo_layout_free(l2);
  must(sh("test -z \"$(ls -A %s | grep fetch)\"", lay2),
       "a staging dir was left");
}

Test(oci_real, push_auth_failures_are_clear_and_credentials_work) {
  char pw[400], yaml[600];
  snprintf(pw, sizeof pw, "%s/htpasswd", work);
  must(sh("htpasswd -Bbc %s alice 's3cret pass'", pw), "htpasswd");
  snprintf(yaml, sizeof yaml, htpasswd_yaml, pw);
  reg_start(&basic_reg, "basic", yaml);
  wo_desc md = artifact(mod_a, sizeof mod_a, "a");
  wo_ref ref = reg_ref(&basic_reg, "private/pushed");
  wo_pull_opts o = push_opts(NULL, NULL);
  wa_err_init(&err);
  cr_assert_eq(wo_registry_push(&ref, lay, &md, "1", &o, &err), WA_EPERM);
  cr_assert(strstr(err.msg, "requires a login"), "%s", err.msg);
  cr_assert(strstr(err.msg, "private/pushed"), "%s", err.msg);
  o = push_opts("alice", "wrong");
  wa_err_init(&err);
  cr_assert_eq(wo_registry_push(&ref, lay, &md, "1", &o, &err), WA_EPERM);
  cr_assert(strstr(err.msg, "refused the credentials for user 'alice'"), "%s",
            err.msg);
  o = push_opts("alice", "s3cret pass");
  wa_err_init(&err);
  cr_assert_eq(wo_registry_push(&ref, lay, &md, "1", &o, &err), 0, "%s",
               err.msg);
  wo_image_info info;
  cr_assert_eq(pull_from(&basic_reg, "private/pushed:1", NULL, "alice",
                         "s3cret pass", &info),
               0, "%s", err.msg);
  cr_assert_str_eq(info.digest, md.digest);
}

Test(oci_real, push_with_a_bearer_token_for_pull_and_push) {
  make_token_for("tokened/pushed", "\\\"pull\\\",\\\"push\\\"");
  start_token_registry();
  wo_desc md = artifact(mod_b, sizeof mod_b, "a");
  wo_ref ref = reg_ref(&token_reg, "tokened/pushed");
  wo_pull_opts o = push_opts(NULL, NULL);
  wa_err_init(&err);
  cr_assert_eq(wo_registry_push(&ref, lay, &md, "1", &o, &err), WA_EPERM);
  cr_assert(strstr(err.msg, "anonymous access refused"), "%s", err.msg);
  o = push_opts("alice", "pw");
  wa_err_init(&err);
  cr_assert_eq(wo_registry_push(&ref, lay, &md, "1", &o, &err), 0, "%s",
               err.msg);
  wo_image_info info;
  cr_assert_eq(
      pull_from(&token_reg, "tokened/pushed:1", NULL, "alice", "pw", &info), 0,
      "%s", err.msg);
  cr_assert_str_eq(info.digest, md.digest);
}

/* ---------------------------------------------------- the CLI: run, cuts */

static bool have_cli(void) {
  if (access(WO_WASMAOT_BIN, X_OK) == 0)
    return true;
  teardown(); /* a skipped test does not get its .fini */
  return false;
}

/* `run IMAGE` takes pull's registry options for an image the store lacks. */
Test(oci_real, cli_run_takes_the_registry_options) {
  if (!have_cli())
    cr_skip_test("%s is not built", WO_WASMAOT_BIN);
  size_t len;
  char path[400];
  snprintf(path, sizeof path, "%s/add.wasm", WO_EXAMPLES_DIR);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  static uint8_t wasm[1 << 16];
  len = fread(wasm, 1, sizeof wasm, f);
  fclose(f);
  cr_assert_gt(len, 8);
  wo_platform wp = {"wasip1", "wasm", ""};
  wo_desc m[2];
  cr_assert_eq(wo_layout_put_artifact(lay, wasm, len, &wp, &m[1], &err), 0,
               "%s", err.msg);
  m[1].has_platform = true;
  m[1].platform = wp;
  wo_entry l1[] = {{WO_ENTRY_FILE, "bin/x",
                    "\x7f"
                    "ELF",
                    4, 0755, NULL}};
  const wo_entry *ls1[] = {l1};
  size_t n[] = {1};
  wo_compression gz[] = {WO_COMPRESS_GZIP};
  m[0] = rootfs(ls1, n, gz, 1, "linux", "amd64", "/bin/x", NULL);
  wo_desc idx;
  cr_assert_eq(wo_layout_put_index(lay, m, 2, &idx, &err), 0, "%s", err.msg);
  cr_assert_eq(do_push(&open_reg, "run/add", &idx, "1"), 0, "%s", err.msg);
  char env[800], out[400], errf[400];
  snprintf(out, sizeof out, "%s/run.out", work);
  snprintf(errf, sizeof errf, "%s/run.err", work);
  snprintf(env, sizeof env,
           "WASMAOT_CACHE_DIR=%s/cache WASMAOT_STORE_DIR=%s/runstore "
           "DOCKER_CONFIG=/nonexistent",
           work, work);
  /* https against a plain http registry fails and says what to try */
  cr_assert_eq(sh("%s %s run --invoke add 127.0.0.1:%d/run/add:1 2 40 2>%s",
                  env, WO_WASMAOT_BIN, open_reg.port, errf),
               1);
  must(sh("grep -q -- --plain-http %s", errf), "the hint for --plain-http");
  /* --platform reaches the pull */
  cr_assert_eq(sh("%s %s run --plain-http --platform linux/arm64 --invoke add "
                  "127.0.0.1:%d/run/add:1 2 40 2>%s",
                  env, WO_WASMAOT_BIN, open_reg.port, errf),
               1);
  must(sh("grep -q 'no manifest for linux/arm64' %s", errf),
       "the platform error");
  must(sh("%s %s run --plain-http --tls-no-verify --invoke add "
          "127.0.0.1:%d/run/add:1 2 40 >%s",
          env, WO_WASMAOT_BIN, open_reg.port, out),
       "wasmaot run --plain-http");
  must(sh("test \"$(cat %s)\" = 42", out), "the result of add");
  /* bad command lines */
  cr_assert_eq(sh("%s run --creds alice x.wasm 2>%s", WO_WASMAOT_BIN, errf), 2);
  must(sh("grep -q USER:PASS %s", errf), "--creds usage");
  cr_assert_eq(sh("%s run --password p x.wasm 2>/dev/null", WO_WASMAOT_BIN), 2);
  cr_assert_eq(sh("%s run x.wasm --platform 2>/dev/null", WO_WASMAOT_BIN), 1,
               "options after FILE belong to the module");
  cr_assert_eq(sh("%s run --platform 2>/dev/null", WO_WASMAOT_BIN), 2);
  must(sh("%s run --help | grep -q -- '--creds USER:PASS'", WO_WASMAOT_BIN),
       "run --help lists --creds");
}

/* A blob transfer cut mid-way: `pull` fails saying so, publishes nothing,
 * keeps what arrived, and the next pull resumes it with a Range request. */
Test(oci_real, cli_pull_cut_mid_blob_fails_cleanly_and_the_retry_resumes) {
  if (!have_cli())
    cr_skip_test("%s is not built", WO_WASMAOT_BIN);
  size_t big_n = 3u << 20;
  uint8_t *big = malloc(big_n);
  uint32_t x = 4242;
  for (size_t i = 0; i < big_n; i++) {
    x = x * 1103515245u + 12345u;
    big[i] = (uint8_t)(x >> 16);
  }
  wo_entry l0[] = {{WO_ENTRY_FILE, "m.wasm", mod_a, sizeof mod_a, 0755, NULL},
                   {WO_ENTRY_FILE, "data.bin", big, big_n, 0644, NULL}};
  const wo_entry *ls[] = {l0};
  size_t n[] = {1 + 1};
  wo_compression none[] = {WO_COMPRESS_NONE};
  wo_desc layer;
  wo_desc md = rootfs(ls, n, none, 1, "wasip1", "wasm", "/m.wasm", &layer);
  free(big);
  cr_assert_eq(do_push(&open_reg, "cut/big", &md, "1"), 0, "%s", err.msg);
  reg via = {0, 0};
  proxy = t_proxy_start(open_reg.port, &via.port);
  cr_assert_not_null(proxy);
  t_proxy_arm(proxy, 1 << 20);
  char errf[400], out[400];
  snprintf(errf, sizeof errf, "%s/pull.err", work);
  snprintf(out, sizeof out, "%s/pull.out", work);
  cr_assert_eq(sh("WASMAOT_STORE_DIR=%s %s pull --plain-http "
                  "127.0.0.1:%d/cut/big:1 2>%s",
                  storedir, WO_WASMAOT_BIN, via.port, errf),
               1);
  cr_assert_eq(t_proxy_cuts(proxy), 1);
  must(sh("grep -q 'downloading blob %s' %s && grep -q 'pulling again "
          "resumes' %s",
          layer.digest, errf, errf),
       "the error names the blob and the resume");
  must(sh("WASMAOT_STORE_DIR=%s %s images -q >%s && test ! -s %s", storedir,
          WO_WASMAOT_BIN, out, out),
       "an interrupted pull listed an image");
  assert_store_empty();
  must(sh("test -n \"$(find %s/incoming -type f -size +500k)\"", storedir),
       "the partial blob was not kept");
  cr_assert_eq(t_proxy_saw_range(proxy), 0);
  must(sh("WASMAOT_STORE_DIR=%s %s pull -q --plain-http "
          "127.0.0.1:%d/cut/big:1 >%s",
          storedir, WO_WASMAOT_BIN, via.port, out),
       "the retry");
  cr_assert_eq(t_proxy_saw_range(proxy), 1, "the retry did not resume");
  must(sh("grep -qx %s %s", md.digest, out), "the retry's digest");
  must(sh("test -z \"$(ls -A %s/incoming)\"", storedir),
       "incoming/ not emptied");
}

/* `run --creds` and `--store` reach the pull (launcher/module.c passes
 * wl_module_opts.username/password/store to wo_store_pull). */
Test(oci_real, cli_run_with_credentials_and_a_store) {
  if (!have_cli())
    cr_skip_test("%s is not built", WO_WASMAOT_BIN);
  char path[400];
  snprintf(path, sizeof path, "%s/add.wasm", WO_EXAMPLES_DIR);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  static uint8_t wasm[1 << 16];
  size_t len = fread(wasm, 1, sizeof wasm, f);
  fclose(f);
  wo_desc md;
  cr_assert_eq(wo_layout_put_artifact(lay, wasm, len, NULL, &md, &err), 0, "%s",
               err.msg);
  char pw[400], yaml[600];
  snprintf(pw, sizeof pw, "%s/htpasswd", work);
  must(sh("htpasswd -Bbc %s alice 's3cret'", pw), "htpasswd");
  snprintf(yaml, sizeof yaml, htpasswd_yaml, pw);
  reg_start(&basic_reg, "basic", yaml);
  wo_ref ref = reg_ref(&basic_reg, "private/add");
  wo_pull_opts o = push_opts("alice", "s3cret");
  wa_err_init(&err);
  cr_assert_eq(wo_registry_push(&ref, lay, &md, "1", &o, &err), 0, "%s",
               err.msg);
  char env[600], errf[400], out[400];
  snprintf(errf, sizeof errf, "%s/run.err", work);
  snprintf(out, sizeof out, "%s/run.out", work);
  snprintf(env, sizeof env,
           "WASMAOT_CACHE_DIR=%s/cache WASMAOT_STORE_DIR=%s/unused "
           "DOCKER_CONFIG=/nonexistent",
           work, work);
  cr_assert_eq(sh("%s %s run --plain-http --store %s/s1 --invoke add "
                  "127.0.0.1:%d/private/add:1 2 40 2>%s",
                  env, WO_WASMAOT_BIN, work, basic_reg.port, errf),
               1);
  must(sh("grep -q 'requires a login' %s", errf), "the login error");
  must(sh("%s %s run --plain-http --store %s/s1 --creds alice:s3cret "
          "--invoke add 127.0.0.1:%d/private/add:1 2 40 >%s",
          env, WO_WASMAOT_BIN, work, basic_reg.port, out),
       "run --creds");
  must(sh("test \"$(cat %s)\" = 42", out), "the result of add");
  must(sh("WASMAOT_STORE_DIR=%s/s1 %s images -q | grep -q .", work,
          WO_WASMAOT_BIN),
       "the image is in the --store store");
  must(sh("test ! -e %s/unused/index.json", work),
       "the default store was used");
}
