/*
 * ctx.c: the WASI context and its fd table: stdio, preopens and listening
 * sockets at creation, installing and releasing slots, rights and file
 * types of host fds. Path resolution is path.c; the calls live in fd.c,
 * fs.c, proc.c, clock.c, poll.c and sock.c.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void wi_config_init(wi_config *c) {
  memset(c, 0, sizeof *c);
  c->stdin_fd = 0;
  c->stdout_fd = 1;
  c->stderr_fd = 2;
}

uint8_t wi__filetype_of_mode(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFBLK:
    return WI_FILETYPE_BLOCK_DEVICE;
  case S_IFCHR:
    return WI_FILETYPE_CHARACTER_DEVICE;
  case S_IFDIR:
    return WI_FILETYPE_DIRECTORY;
  case S_IFREG:
    return WI_FILETYPE_REGULAR_FILE;
  case S_IFSOCK:
    return WI_FILETYPE_SOCKET_STREAM;
  case S_IFLNK:
    return WI_FILETYPE_SYMBOLIC_LINK;
  default: /* FIFOs: preview1 has no type for them */
    return WI_FILETYPE_UNKNOWN;
  }
}

uint8_t wi__filetype_of_fd(int host) {
  struct stat st;
  if (fstat(host, &st) != 0)
    return WI_FILETYPE_UNKNOWN;
  if (S_ISSOCK(st.st_mode)) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(host, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
        type == SOCK_DGRAM)
      return WI_FILETYPE_SOCKET_DGRAM;
  }
  return wi__filetype_of_mode(st.st_mode);
}

wi_fd *wi__fd_get(wi_ctx *ctx, uint32_t fd) {
  if (fd >= ctx->n_fds || ctx->fds[fd].host < 0)
    return NULL;
  return &ctx->fds[fd];
}

uint32_t wi__fd_check(wi_ctx *ctx, uint32_t fd, uint64_t rights, wi_fd **out) {
  wi_fd *f = wi__fd_get(ctx, fd);
  if (!f)
    return WI_EBADF;
  if ((f->base & rights) != rights)
    return WI_ENOTCAPABLE;
  *out = f;
  return WI_ESUCCESS;
}

void wi__fd_release(wi_fd *f) {
  if (f->dir)
    closedir(f->dir);
  if (f->host >= 0)
    close(f->host);
  wa_free(f->preopen);
  memset(f, 0, sizeof *f);
  f->host = -1;
}

uint32_t wi__fd_install(wi_ctx *ctx, int host, uint8_t kind, uint8_t type,
                        uint64_t base, uint64_t inheriting, uint32_t *out) {
  uint32_t i = 0;
  while (i < ctx->n_fds && ctx->fds[i].host >= 0)
    i++;
  if (i == ctx->n_fds) {
    if (ctx->n_fds >= WI_FD_MAX) {
      close(host);
      return WI_EMFILE;
    }
    uint32_t n = ctx->n_fds ? ctx->n_fds * 2 : 16;
    if (n > WI_FD_MAX)
      n = WI_FD_MAX;
    wi_fd *fds = wa_realloc(ctx->fds, n * sizeof *fds);
    if (!fds) {
      close(host);
      return WI_ENOMEM;
    }
    for (uint32_t j = ctx->n_fds; j < n; j++) {
      memset(&fds[j], 0, sizeof fds[j]);
      fds[j].host = -1;
    }
    ctx->fds = fds;
    ctx->n_fds = n;
  }
  wi_fd *f = &ctx->fds[i];
  f->host = host;
  f->kind = kind;
  f->type = type;
  f->base = base;
  f->inheriting = inheriting;
  *out = i;
  return WI_ESUCCESS;
}

/* Stdio goes to slot 'want' (0-2) even when an earlier one stays closed,
 * so the numbering is always 0, 1, 2; rights follow what the fd is. */
static int add_stdio(wi_ctx *ctx, int host, uint32_t want, wa_err *err) {
  if (host < 0)
    return 0;
  int h = fcntl(host, F_DUPFD_CLOEXEC, 3);
  if (h < 0) {
    if (errno == EBADF)
      return 0;
    return wa_fail_errno(err, WA_EIO, "duplicating stdio fd %d", host);
  }
  uint8_t type = wi__filetype_of_fd(h);
  uint64_t rights = type == WI_FILETYPE_CHARACTER_DEVICE && isatty(h)
                        ? (uint64_t)WI_RIGHTS_TTY
                        : (uint64_t)WI_RIGHTS_FILE;
  uint8_t kind = WI_KIND_FILE;
  if (type == WI_FILETYPE_SOCKET_STREAM) {
    rights = WI_RIGHTS_SOCK;
    kind = WI_KIND_SOCK;
  }
  wi_fd *f = &ctx->fds[want];
  f->host = h;
  f->kind = kind;
  f->type = type;
  f->base = rights;
  f->inheriting = 0;
  return 0;
}

static int add_preopen(wi_ctx *ctx, const wi_preopen *p, wa_err *err) {
  int h = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (h < 0)
    return wa_fail_errno(err, errno == ENOENT ? WA_ENOTFOUND : WA_EINVALID,
                         "preopen %s", p->host_path);
  uint64_t base = WI_RIGHTS_DIR, inh = WI_RIGHTS_DIR | WI_RIGHTS_FILE;
  if (p->read_only) {
    base &= WI_RIGHTS_RO;
    inh &= WI_RIGHTS_RO;
  }
  uint32_t got;
  if (wi__fd_install(ctx, h, WI_KIND_DIR, WI_FILETYPE_DIRECTORY, base, inh,
                     &got) != WI_ESUCCESS)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "preopen %s", p->host_path);
  const char *g = p->guest_path ? p->guest_path : p->host_path;
  size_t n = strlen(g);
  wi_fd *f = &ctx->fds[got];
  f->preopen = wa_strndup(g, n);
  if (!f->preopen)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "preopen %s", p->host_path);
  f->preopen_len = (uint32_t)n;
  return 0;
}

static int add_listener(wi_ctx *ctx, int h, const char *what, wa_err *err) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int port = -1;
  if (getsockname(h, (struct sockaddr *)&ss, &len) == 0) {
    if (ss.ss_family == AF_INET)
      port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
      port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  if (ctx->n_ports == sizeof ctx->ports / sizeof ctx->ports[0]) {
    close(h);
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "%s: too many sockets", what);
  }
  uint32_t got;
  if (wi__fd_install(ctx, h, WI_KIND_LISTEN, WI_FILETYPE_SOCKET_STREAM,
                     WI_RIGHTS_LISTEN, WI_RIGHTS_SOCK, &got) != WI_ESUCCESS)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "%s", what);
  ctx->ports[ctx->n_ports++] = port;
  return 0;
}

/* "HOST:PORT" with a numeric IPv4 host, or "[V6]:PORT". */
static int tcplisten(wi_ctx *ctx, const char *addr, wa_err *err) {
  char host[64];
  const char *colon = strrchr(addr, ':');
  if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "tcplisten %s: expected HOST:PORT",
                   addr);
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = 0;
  char *end;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (!colon[1] || *end || port > 65535)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "tcplisten %s: bad port", addr);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  size_t hl = strlen(host);
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    host[hl - 1] = 0;
    if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
      return wa_fail(err, WA_EUSAGE, WA_NOOFF, "tcplisten %s: bad IPv6 address",
                     addr);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    sl = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
      return wa_fail(err, WA_EUSAGE, WA_NOOFF, "tcplisten %s: bad IPv4 address",
                     addr);
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    sl = sizeof *s4;
  }
  int h = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (h < 0)
    return wa_fail_errno(err, WA_EIO, "tcplisten %s: socket", addr);
  int one = 1;
  (void)setsockopt(h, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(h, (struct sockaddr *)&ss, sl) != 0 || listen(h, 128) != 0) {
    int rc = wa_fail_errno(err, WA_EIO, "tcplisten %s", addr);
    close(h);
    return rc;
  }
  return add_listener(ctx, h, addr, err);
}

static char **copy_strings(const char *const *v, uint32_t n, size_t *bytes) {
  char **out = wa_calloc(n + 1u, sizeof *out);
  if (!out)
    return NULL;
  *bytes = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t len = strlen(v[i]);
    out[i] = wa_strndup(v[i], len);
    if (!out[i]) {
      for (uint32_t j = 0; j < i; j++)
        wa_free(out[j]);
      wa_free(out);
      return NULL;
    }
    *bytes += len + 1;
  }
  return out;
}

int wi_ctx_new(const wi_config *cfg, wi_ctx **out, wa_err *err) {
  int rc = 0;
  *out = NULL;
  wi_ctx *ctx = wa_calloc(1, sizeof *ctx);
  if (!ctx)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "allocating the wasi context");
  ctx->openat2 = -1;
  ctx->argv = copy_strings(cfg->argv, cfg->argc, &ctx->argv_bytes);
  ctx->env = copy_strings(cfg->env, cfg->n_env, &ctx->env_bytes);
  if (!ctx->argv || !ctx->env) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "copying args and environment");
    goto out;
  }
  ctx->argc = cfg->argc;
  ctx->n_env = cfg->n_env;
  /* 64 KiB of guest memory cannot even hold the sizes past u32. */
  if (ctx->argv_bytes > UINT32_MAX || ctx->env_bytes > UINT32_MAX) {
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "args or environment too large");
    goto out;
  }
  ctx->fds = wa_malloc(16 * sizeof *ctx->fds);
  if (!ctx->fds) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "allocating the fd table");
    goto out;
  }
  ctx->n_fds = 16;
  for (uint32_t i = 0; i < ctx->n_fds; i++) {
    memset(&ctx->fds[i], 0, sizeof ctx->fds[i]);
    ctx->fds[i].host = -1;
  }
  const int stdio[3] = {cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd};
  for (uint32_t i = 0; i < 3 && rc == 0; i++)
    rc = add_stdio(ctx, stdio[i], i, err);
  for (uint32_t i = 0; i < cfg->n_preopens && rc == 0; i++)
    rc = add_preopen(ctx, &cfg->preopens[i], err);
  for (uint32_t i = 0; i < cfg->n_tcplisten && rc == 0; i++)
    rc = tcplisten(ctx, cfg->tcplisten[i], err);
  for (uint32_t i = 0; i < cfg->n_listen_fds && rc == 0; i++) {
    int h = fcntl(cfg->listen_fds[i], F_DUPFD_CLOEXEC, 3);
    if (h < 0)
      rc = wa_fail_errno(err, WA_EIO, "listening fd %d", cfg->listen_fds[i]);
    else
      rc = add_listener(ctx, h, "listening fd", err);
  }
out:
  if (rc != 0) {
    wi_ctx_free(ctx);
    return rc;
  }
  *out = ctx;
  return 0;
}

void wi_ctx_free(wi_ctx *ctx) {
  if (!ctx)
    return;
  for (uint32_t i = 0; i < ctx->n_fds; i++)
    wi__fd_release(&ctx->fds[i]);
  wa_free(ctx->fds);
  /* The string arrays are NULL-terminated (copy_strings). */
  for (char **p = ctx->argv; p && *p; p++)
    wa_free(*p);
  for (char **p = ctx->env; p && *p; p++)
    wa_free(*p);
  wa_free(ctx->argv);
  wa_free(ctx->env);
  wa_free(ctx->bindings);
  wa_free(ctx);
}

bool wi_ctx_exited(const wi_ctx *ctx, int32_t *code) {
  if (ctx->exited && code)
    *code = ctx->exit_code;
  return ctx->exited;
}

int wi_ctx_sock_port(const wi_ctx *ctx, uint32_t i) {
  return i < ctx->n_ports ? ctx->ports[i] : -1;
}
