/*
 * fixture.c: the temp tree, context and fake guest memory of fixture.h.
 */
#include "fixture.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

fx F;

static void mkfile(const char *path, const char *content) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "creating %s", path);
  fputs(content, f);
  fclose(f);
}

void fx_setup_mode(bool read_only) {
  memset(&F, 0, sizeof F);
  strcpy(F.root, "/tmp/wi-test-XXXXXX");
  cr_assert_not_null(mkdtemp(F.root));
  snprintf(F.sandbox, sizeof F.sandbox, "%s/sandbox", F.root);
  snprintf(F.outside, sizeof F.outside, "%s/outside", F.root);
  cr_assert_eq(mkdir(F.sandbox, 0755), 0);
  cr_assert_eq(mkdir(F.outside, 0755), 0);
  char p[PATH_MAX + 16];
  snprintf(p, sizeof p, "%s/secret", F.outside);
  mkfile(p, "OUTSIDE");
  wi_config cfg;
  wi_config_init(&cfg);
  const char *argv[] = {"prog", "arg one", ""};
  const char *env[] = {"A=1", "PATH=/bin"};
  wi_preopen pre = {F.sandbox, "/sandbox", read_only};
  cfg.argc = 3;
  cfg.argv = argv;
  cfg.n_env = 2;
  cfg.env = env;
  cfg.n_preopens = 1;
  cfg.preopens = &pre;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wi_ctx_new(&cfg, &F.ctx, &err), 0, "%s", err.msg);
  F.m.base = calloc(1, FX_MEM);
  F.m.size = FX_MEM;
  cr_assert_not_null(F.m.base);
}

void fx_setup(void) {
  fx_setup_mode(false);
}
void fx_setup_ro(void) {
  fx_setup_mode(true);
}

static int rm(const char *path, const struct stat *st, int flag,
              struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void fx_teardown(void) {
  wi_ctx_free(F.ctx);
  free(F.m.base);
  /* Tests chmod things; make everything removable first. */
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof cmd, "chmod -R u+rwx %s 2>/dev/null", F.root);
  if (system(cmd) != 0)
    cr_log_warn("chmod -R failed on %s", F.root);
  nftw(F.root, rm, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fx_path(const char *rel) {
  static char buf[4][PATH_MAX + 300];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", F.sandbox, rel);
  return buf[k];
}

void fx_write_file(const char *rel, const char *content) {
  mkfile(fx_path(rel), content);
}

char *fx_read_file(const char *abs_path) {
  static char buf[4096];
  int fd = open(abs_path, O_RDONLY);
  if (fd < 0)
    return NULL;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = 0;
  return buf;
}

uint32_t fx_str(uint32_t at, const char *s) {
  size_t n = strlen(s);
  cr_assert(at + n <= FX_MEM);
  memcpy(F.m.base + at, s, n);
  return (uint32_t)n;
}

uint32_t fx_ld32(uint32_t at) {
  return wi__ld32(F.m.base + at);
}
uint64_t fx_ld64(uint32_t at) {
  return wi__ld64(F.m.base + at);
}

void fx_iovs(uint32_t n, const uint32_t *ptr, const uint32_t *len) {
  for (uint32_t i = 0; i < n; i++) {
    wi__st32(F.m.base + G_IOV + 8 * i, ptr[i]);
    wi__st32(F.m.base + G_IOV + 8 * i + 4, len[i]);
  }
}

uint32_t fx_open_at(uint32_t dir, const char *path, uint32_t oflags,
                    uint64_t rights, uint32_t lookup, uint32_t *fd) {
  uint32_t len = fx_str(G_PATH, path);
  /* Inheriting: what a directory opened here may pass on, all of it. */
  uint64_t inh = rights | WI_RIGHTS_DIR | WI_RIGHTS_FILE;
  uint32_t rc = wi__path_open(F.ctx, &F.m, dir, lookup, G_PATH, len, oflags,
                              rights, inh, 0, G_OUT);
  *fd = rc ? UINT32_MAX : fx_ld32(G_OUT);
  return rc;
}

uint32_t fx_open(const char *path, uint32_t oflags, uint64_t rights,
                 uint32_t *fd) {
  return fx_open_at(FX_DIR, path, oflags, rights, WI_LOOKUP_SYMLINK_FOLLOW, fd);
}

uint32_t fx_fd_write(uint32_t fd, const char *s) {
  uint32_t len = fx_str(G_BUF, s);
  uint32_t p[] = {G_BUF}, l[] = {len};
  fx_iovs(1, p, l);
  return wi__fd_write(F.ctx, &F.m, fd, G_IOV, 1, G_OUT);
}

uint32_t fx_fd_read(uint32_t fd, char *out, uint32_t cap, uint32_t *n) {
  uint32_t p[] = {G_BUF}, l[] = {cap};
  fx_iovs(1, p, l);
  uint32_t rc = wi__fd_read(F.ctx, &F.m, fd, G_IOV, 1, G_OUT);
  if (rc == 0) {
    *n = fx_ld32(G_OUT);
    memcpy(out, F.m.base + G_BUF, *n);
  }
  return rc;
}
