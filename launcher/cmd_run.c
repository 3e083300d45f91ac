/*
 * cmd_run.c: `wasmaot run [--invoke NAME] [--bounds MODE] FILE [ARGS...]`.
 * Loads an artifact (a .wao, or a .wasm or an OCI image's module through
 * the artifact cache: launcher/module.c), resolves imports through a list
 * of providers, instantiates, then calls NAME with ARGS parsed by its
 * parameter types and prints the results, or calls _start. A trap exits
 * 134 with its kind and backtrace on stderr (WASI's proc_exit becomes the
 * process's exit status).
 */
#include "internal.h"
#include "wasi/wi.h"
#include "wc.h"
#include "wo.h"
#include "wr.h"

#ifdef WL_HAVE_SECCOMP
#include "shim_sandbox.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- linkers */

typedef struct run_opts {
  const char *invoke; /* NULL: _start */
  const char *file;
  uint8_t bounds;
  bool no_cache; /* --no-cache: compile in memory, leave the cache alone */
  int n_args;
  char **args; /* after FILE */
  uint32_t n_env, n_dirs;
  const char **env; /* KEY=VALUE */
  wi_preopen *dirs;
  char *dir_text;    /* copies of --dir specs, in the dirs allocation */
  bool env_inherit;  /* the host's environment first, --env over it */
  bool trap_unknown; /* --trap-unknown-imports */
  uint32_t n_listen;
  const char **listen; /* --tcplisten HOST:PORT */
  const char *argv0;   /* --argv0: the module's argv[0] instead of FILE */
  const char *prog;    /* the guest's argv[0]: --argv0, else FILE (or what
                          an image's config says) */
  bool seccomp;        /* --seccomp: confine the process before the start */
  /* images: what `wasmaot pull` takes, for a registry image not yet in the
   * store */
  const char *platform; /* --platform OS/ARCH[/VARIANT] */
  bool plain_http;      /* --plain-http */
  bool tls_no_verify;   /* --tls-no-verify */
  const char *username; /* --creds USER:PASS, --user/--password */
  const char *password;
  const char *store_dir;        /* --store DIR */
  char creds_user[WL_USER_MAX]; /* USER of --creds (argv stays as it was: the
                           static front may hand it to wasmaot-full) */
} run_opts;

typedef struct run_ctx {
  const run_opts *o;
  wr_store *store;
  wi_ctx *wasi;
} run_ctx;

/*
 * Import linkers, run in order over the module's imports. Each fills the
 * entries of imports[] it knows (kind and object) and leaves the others
 * zeroed; an entry still empty afterwards is an error naming module.field
 * and its type. A new host module (say, a future WASI version) is one
 * more row here.
 */
typedef int (*linker_fn)(run_ctx *ctx, const wr_meta *m, wr_extern *imports,
                         wa_err *err);

extern char **environ;

/* Length of the KEY of "KEY=VALUE" (all of s if it has no '='). */
static size_t env_key_len(const char *s) {
  const char *eq = strchr(s, '=');
  return eq ? (size_t)(eq - s) : strlen(s);
}

/* The guest's environment: with --env-inherit the host's, then every
 * --env. A later KEY replaces an earlier one, so --env overrides what is
 * inherited, and the guest never sees a key twice (getenv would find
 * whichever came first, which differs between libcs). */
static const char **build_env(const run_opts *o, uint32_t *n_out) {
  uint32_t n_host = 0;
  if (o->env_inherit)
    while (environ && environ[n_host])
      n_host++;
  const char **v = wa_calloc((size_t)n_host + o->n_env + 1, sizeof *v);
  if (!v)
    return NULL;
  uint32_t n = 0;
  for (uint32_t k = 0; k < n_host + o->n_env; k++) {
    const char *s = k < n_host ? environ[k] : o->env[k - n_host];
    if (!strchr(s, '='))
      continue;
    size_t kl = env_key_len(s);
    uint32_t j = 0;
    while (j < n && !(env_key_len(v[j]) == kl && memcmp(v[j], s, kl) == 0))
      j++;
    v[j] = s;
    if (j == n)
      n++;
  }
  *n_out = n;
  return v;
}

/* wasi_snapshot_preview1 through runtime/wasi: argv is FILE then, without
 * --invoke, ARGS; --env, --env-inherit, --dir, --dir-ro and --tcplisten
 * give the environment, preopens and listening sockets. */
static int link_wasi(run_ctx *ctx, const wr_meta *m, wr_extern *imports,
                     wa_err *err) {
  bool used = false;
  for (uint32_t i = 0; i < m->n_imports; i++)
    if (wi_is_wasi_module(m->imports[i].module.ptr, m->imports[i].module.len))
      used = true;
  if (!used)
    return 0;
  const run_opts *o = ctx->o;
  wi_config cfg;
  wi_config_init(&cfg);
  uint32_t argc = o->invoke ? 1 : (uint32_t)o->n_args + 1;
  /* A new array: the process's argv is left as it was given. */
  const char **argv = wa_calloc((size_t)argc + 1, sizeof *argv);
  const char **env = argv ? build_env(o, &cfg.n_env) : NULL;
  if (!env) {
    wa_free(argv);
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  }
  argv[0] = o->prog;
  for (uint32_t i = 1; i < argc; i++)
    argv[i] = o->args[i - 1];
  cfg.argc = argc;
  cfg.argv = argv;
  cfg.env = env;
  cfg.n_preopens = o->n_dirs;
  cfg.preopens = o->dirs;
  cfg.n_tcplisten = o->n_listen;
  cfg.tcplisten = o->listen;
  int rc = wi_ctx_new(&cfg, &ctx->wasi, err); /* copies argv and env */
  wa_free(env);
  wa_free(argv);
  return rc ? rc : wi_link(ctx->wasi, ctx->store, m, imports, err);
}

static const linker_fn linkers[] = {link_wasi};

static void fmt_import_type(char *buf, size_t n, const wr_meta *m,
                            const wr_meta_import *im) {
  switch (im->kind) {
  case 0:
    wr_meta_type_format(buf, n, &m->types[m->func_types[im->index]]);
    break;
  case 1:
    snprintf(buf, n, "table %s",
             wr_meta_valtype_name(m->tables[im->index].elemtype));
    break;
  case 2:
    snprintf(buf, n, "memory");
    break;
  default:
    snprintf(buf, n, "global %s%s", m->globals[im->index].mut ? "mut " : "",
             wr_meta_valtype_name(m->globals[im->index].type));
  }
}

/* --trap-unknown-imports: the stand-in for an import nobody provides. Its
 * env is the import's metadata, which outlives the store. */
static uint32_t unlinked_stub(void *env, wr_caller *c, wr_val *vals) {
  (void)vals;
  const wr_meta_import *im = env;
  if (c) {
    char msg[160];
    snprintf(msg, sizeof msg, "%.*s.%.*s",
             (int)(im->module.len > 70 ? 70 : im->module.len), im->module.ptr,
             (int)(im->field.len > 70 ? 70 : im->field.len), im->field.ptr);
    wr_caller_set_message(c, msg);
  }
  return WR_TRAP_UNLINKED_IMPORT;
}

static int resolve_imports(run_ctx *ctx, const wr_meta *m, wr_extern *out,
                           wa_err *err) {
  for (size_t k = 0; k < sizeof linkers / sizeof linkers[0]; k++) {
    int rc = linkers[k](ctx, m, out, err);
    if (rc)
      return rc;
  }
  for (uint32_t i = 0; i < m->n_imports; i++) {
    const wr_meta_import *im = &m->imports[i];
    if (out[i].u.func)
      continue;
    /* Only a function can stand in for something missing: a stub memory
     * or global would give the module wrong data instead of a trap. */
    if (ctx->o->trap_unknown && im->kind == 0) {
      int rc = wr_func_new_host(ctx->store, &m->types[m->func_types[im->index]],
                                unlinked_stub, (void *)im, &out[i].u.func, err);
      if (rc)
        return rc;
      out[i].kind = 0;
      continue;
    }
    char type[160];
    fmt_import_type(type, sizeof type, m, im);
    return wa_fail(
        err, WA_ELINK, WA_NOOFF, "unresolved import %.*s.%.*s (%s)%s",
        (int)(im->module.len > 80 ? 80 : im->module.len), im->module.ptr,
        (int)(im->field.len > 80 ? 80 : im->field.len), im->field.ptr, type,
        im->kind == 0 ? "; --trap-unknown-imports links a stub "
                        "that traps when called"
                      : "");
  }
  return 0;
}

/* ------------------------------------------------------- argument values */

/* Copies s without '_' digit separators (as the text format allows). */
static int strip(const char *s, char *buf, size_t n) {
  size_t k = 0;
  for (; *s; s++)
    if (*s != '_') {
      if (k + 1 >= n)
        return -1;
      buf[k++] = *s;
    }
  buf[k] = 0;
  return k ? 0 : -1;
}

/* An integer of 'bits' bits, signed or unsigned, decimal or 0x hex. */
static int parse_int(const char *s, unsigned bits, uint64_t *out) {
  char buf[96];
  if (strip(s, buf, sizeof buf))
    return -1;
  const char *p = buf;
  bool neg = *p == '-';
  if (*p == '-' || *p == '+')
    p++;
  if (!*p || *p == '-' || *p == '+' || *p == ' ')
    return -1;
  errno = 0;
  char *end;
  unsigned long long mag = strtoull(p, &end, 0);
  if (errno || *end)
    return -1;
  uint64_t umax = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
  uint64_t nmax = 1ull << (bits - 1);
  if (neg ? mag > nmax : mag > umax)
    return -1;
  *out = neg ? (uint64_t)0 - mag : mag;
  if (bits < 64)
    *out &= umax;
  return 0;
}

/* nan, nan:0xPAYLOAD, inf, decimal or hex floats; f32 rounds directly
 * from the text (strtof), never through double. */
static int parse_float(const char *s, bool f32, uint64_t *out) {
  char buf[128];
  if (strip(s, buf, sizeof buf))
    return -1;
  const char *p = buf;
  bool neg = *p == '-';
  if (*p == '-' || *p == '+')
    p++;
  unsigned mbits = f32 ? 23 : 52;
  uint64_t sign = neg ? 1ull << (f32 ? 31 : 63) : 0;
  uint64_t exp = f32 ? 0xffull << 23 : 0x7ffull << 52;
  if (strncmp(p, "nan", 3) == 0) {
    uint64_t payload = 1ull << (mbits - 1);
    if (p[3] == ':') {
      errno = 0;
      char *end;
      if (strncmp(p + 4, "0x", 2) != 0)
        return -1;
      payload = strtoull(p + 4, &end, 16);
      if (errno || *end || payload == 0 || payload >> mbits)
        return -1;
    } else if (p[3]) {
      return -1;
    }
    *out = sign | exp | payload;
    return 0;
  }
  if (strcmp(p, "inf") == 0 || strcmp(p, "infinity") == 0) {
    *out = sign | exp;
    return 0;
  }
  if (!*p || *p == '-' || *p == '+')
    return -1;
  char *end;
  if (f32) {
    float f = strtof(buf, &end);
    uint32_t u;
    memcpy(&u, &f, 4);
    *out = u;
  } else {
    double d = strtod(buf, &end);
    memcpy(out, &d, 8);
  }
  return *end ? -1 : 0;
}

static int parse_arg(uint8_t type, const char *s, wr_val *v) {
  uint64_t x = 0;
  memset(v, 0, sizeof *v);
  switch (type) {
  case 0x7f:
    if (parse_int(s, 32, &x))
      return -1;
    v->i32 = (uint32_t)x;
    return 0;
  case 0x7e:
    if (parse_int(s, 64, &x))
      return -1;
    v->i64 = x;
    return 0;
  case 0x7d:
    if (parse_float(s, true, &x))
      return -1;
    v->f32 = (uint32_t)x;
    return 0;
  case 0x7c:
    if (parse_float(s, false, &x))
      return -1;
    v->f64 = x;
    return 0;
  case 0x70:
  case 0x6f:
    return strcmp(s, "null") == 0 ? 0 : -1;
  default:
    return -1;
  }
}

/* ---------------------------------------------------------------- output */

/* Floats as the spec's text format writes them: nan, -nan, nan:0x...,
 * inf, or the shortest decimal that reads back to the same bits. */
static void print_float(uint64_t bits, bool f32) {
  unsigned mbits = f32 ? 23 : 52;
  uint64_t mant = bits & ((1ull << mbits) - 1);
  uint64_t expo = (bits >> mbits) & (f32 ? 0xff : 0x7ff);
  bool neg = bits >> (f32 ? 31 : 63);
  if (expo == (f32 ? 0xffu : 0x7ffu)) {
    if (mant == 0)
      printf("%sinf\n", neg ? "-" : "");
    else if (mant == 1ull << (mbits - 1))
      printf("%snan\n", neg ? "-" : "");
    else
      printf("%snan:0x%llx\n", neg ? "-" : "", (unsigned long long)mant);
    return;
  }
  char buf[64];
  if (f32) {
    float f;
    uint32_t u = (uint32_t)bits;
    memcpy(&f, &u, 4);
    for (int prec = 1; prec <= 9; prec++) {
      snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
      if (strtof(buf, NULL) == f)
        break;
    }
  } else {
    double d;
    memcpy(&d, &bits, 8);
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, sizeof buf, "%.*g", prec, d);
      if (strtod(buf, NULL) == d)
        break;
    }
  }
  printf("%s\n", buf);
}

static void print_result(uint8_t type, const wr_val *v) {
  switch (type) {
  case 0x7f:
    printf("%d\n", (int32_t)v->i32);
    break;
  case 0x7e:
    printf("%lld\n", (long long)(int64_t)v->i64);
    break;
  case 0x7d:
    print_float(v->f32, true);
    break;
  case 0x7c:
    print_float(v->f64, false);
    break;
  case 0x7b:
    printf("v128 0x");
    for (int i = 15; i >= 0; i--)
      printf("%02x", v->v128[i]);
    printf("\n");
    break;
  default:
    if (!v->ref)
      printf("null\n");
    else
      printf("%s %p\n", type == 0x70 ? "funcref" : "externref", v->ref);
  }
}

static void print_trap(const wr_trap *t) {
  fprintf(stderr, "wasmaot: trap: %s (%s)%s%s\n", wr_trap_message(t->kind),
          wr_trap_name(t->kind), t->msg[0] ? ": " : "", t->msg);
  for (uint32_t i = 0; i < t->n_frames; i++) {
    const wr_frame *f = &t->frames[i];
    fprintf(stderr, "  #%u ", i);
    if (f->module_name.len)
      fprintf(stderr, "%.*s!", (int)f->module_name.len, f->module_name.ptr);
    if (f->func_name.len)
      fprintf(stderr, "%.*s", (int)f->func_name.len, f->func_name.ptr);
    else
      fprintf(stderr, "<func %u>", f->func_index);
    fprintf(stderr, " (func %u) +0x%x\n", f->func_index, f->code_offset);
  }
}

/* Exit status of a trap: WASI's proc_exit code, else 134. */
static int trap_status(const wr_trap *t) {
  if (t->kind == WR_TRAP_EXIT)
    return t->exit_code & 0xff;
  print_trap(t);
  return WL_EXIT_TRAP;
}

/* ------------------------------------------------------------ the command */

/* --dir HOST[::GUEST] and --dir-ro: the guest sees HOST as GUEST
 * (default: HOST). "::" because a single ':' is common in host paths. */
/* Splits a copy: argv stays as given, since the static front may hand the
 * same command line to wasmaot-full. */
static int add_dir(run_opts *o, const char *arg, bool read_only) {
  wi_preopen *d = &o->dirs[o->n_dirs++];
  size_t len = strlen(arg) + 1;
  char *spec = memcpy(o->dir_text, arg, len);
  o->dir_text += len;
  char *sep = strstr(spec, "::");
  d->host_path = spec;
  d->guest_path = spec;
  d->read_only = read_only;
  if (sep) {
    *sep = 0;
    d->guest_path = sep + 2;
  }
  if (!d->host_path[0] || !d->guest_path[0])
    return wl_usage_error("run", "--dir needs HOST_DIR[::GUEST_DIR]");
  return 0;
}

static int parse_opts(int argc, char **argv, run_opts *o) {
  o->invoke = NULL;
  o->bounds = WR_BOUNDS_GUARD;
  o->n_env = o->n_dirs = o->n_listen = 0;
  /* One allocation for --env and --tcplisten (each at most argc entries),
   * so the caller's cleanup of env releases both. */
  o->env = wa_calloc(2 * (size_t)argc, sizeof *o->env);
  size_t text = 0;
  for (int k = 0; k < argc; k++)
    text += strlen(argv[k]) + 1;
  o->dirs = wa_calloc(1, (size_t)argc * sizeof *o->dirs + text);
  if (!o->env || !o->dirs)
    return wl_usage_error("run", "out of memory");
  o->dir_text = (char *)(o->dirs + argc);
  o->listen = o->env + argc;
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    const char *opt = argv[i];
    bool has_val = i + 1 < argc;
    if (strcmp(opt, "--") == 0) {
      i++;
      break;
    } else if (strcmp(opt, "--env-inherit") == 0) {
      o->env_inherit = true;
    } else if (strcmp(opt, "--trap-unknown-imports") == 0) {
      o->trap_unknown = true;
    } else if (strcmp(opt, "--seccomp") == 0) {
#ifdef WL_HAVE_SECCOMP
      o->seccomp = true;
#else
      return wl_usage_error("run", "this build has no seccomp support");
#endif
    } else if (strcmp(opt, "--plain-http") == 0) {
      o->plain_http = true;
    } else if (strcmp(opt, "--tls-no-verify") == 0) {
      o->tls_no_verify = true;
    } else if (!has_val &&
               (strcmp(opt, "--invoke") == 0 || strcmp(opt, "--env") == 0 ||
                strcmp(opt, "--dir") == 0 || strcmp(opt, "--dir-ro") == 0 ||
                strcmp(opt, "--tcplisten") == 0 ||
                strcmp(opt, "--argv0") == 0 || strcmp(opt, "--bounds") == 0 ||
                strcmp(opt, "--platform") == 0 || strcmp(opt, "--creds") == 0 ||
                strcmp(opt, "--user") == 0 || strcmp(opt, "--password") == 0 ||
                strcmp(opt, "--store") == 0)) {
      return wl_usage_error("run", "%s needs a value", opt);
    } else if (strcmp(opt, "--platform") == 0) {
      o->platform = argv[++i];
    } else if (strcmp(opt, "--creds") == 0) {
      int rc = wl_creds_split("run", argv[++i], o->creds_user, &o->password);
      if (rc)
        return rc;
      o->username = o->creds_user;
    } else if (strcmp(opt, "--user") == 0) {
      o->username = argv[++i];
    } else if (strcmp(opt, "--password") == 0) {
      o->password = argv[++i];
    } else if (strcmp(opt, "--store") == 0) {
      o->store_dir = argv[++i];
    } else if (strcmp(opt, "--invoke") == 0) {
      o->invoke = argv[++i];
    } else if (strcmp(opt, "--argv0") == 0) {
      o->argv0 = argv[++i];
    } else if (strcmp(opt, "--env") == 0) {
      if (!strchr(argv[i + 1], '=') || argv[i + 1][0] == '=')
        return wl_usage_error("run", "--env needs KEY=VALUE, not '%s'",
                              argv[i + 1]);
      o->env[o->n_env++] = argv[++i];
    } else if (strcmp(opt, "--dir") == 0 || strcmp(opt, "--dir-ro") == 0) {
      int rc = add_dir(o, argv[++i], strcmp(opt, "--dir-ro") == 0);
      if (rc)
        return rc;
    } else if (strcmp(opt, "--tcplisten") == 0) {
      const char *a = argv[++i];
      const char *colon = strrchr(a, ':');
      if (!colon || colon == a || !colon[1])
        return wl_usage_error("run", "--tcplisten needs HOST:PORT, not '%s'",
                              a);
      o->listen[o->n_listen++] = a;
    } else if (strcmp(opt, "--no-cache") == 0) {
      o->no_cache = true;
    } else if (strcmp(opt, "--bounds") == 0) {
      const char *b = argv[++i];
      if (strcmp(b, "guard") == 0)
        o->bounds = WR_BOUNDS_GUARD;
      else if (strcmp(b, "explicit") == 0)
        o->bounds = WR_BOUNDS_EXPLICIT;
      else
        return wl_usage_error("run", "--bounds is guard or explicit, not '%s'",
                              b);
    } else if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
      printf(
          "usage: wasmaot %s\n"
          "  --invoke NAME        call export NAME with ARGS (ints, floats: "
          "nan, nan:0x.., inf, hex)\n"
          "  --bounds MODE        guard (default) or explicit, when "
          "compiling a .wasm\n"
          "  --no-cache           compile in memory; neither read nor fill "
          "the artifact cache\n"
          "  --env KEY=VALUE      WASI environment variable (repeatable; "
          "overrides --env-inherit)\n"
          "  --env-inherit        pass this process's environment to the "
          "module\n"
          "  --dir HOST[::GUEST]  preopen directory HOST, seen by the module "
          "as GUEST (repeatable)\n"
          "  --dir-ro HOST[::GUEST]  the same, read-only: nothing beneath it "
          "can be written,\n"
          "                       created or removed (ENOTCAPABLE)\n"
          "  --tcplisten HOST:PORT  hand the module a socket listening there "
          "(repeatable;\n"
          "                       numeric IPv4 or [IPv6]; fds after the "
          "preopens)\n"
          "  --argv0 NAME         the module's argv[0] (default: FILE)\n"
          "  --seccomp            confine the process to the system calls a "
          "running module\n"
          "                       needs before it starts (containerd shim)\n"
          "  --trap-unknown-imports  link imports nobody provides to a stub "
          "that traps when\n"
          "                       called (otherwise they fail the start)\n"
          "  --                   end of options: FILE follows; everything "
          "after FILE goes\n"
          "                       to the module as its arguments\n"
          "Images (a registry image is pulled when the store lacks it):\n"
          "  --platform OS/ARCH[/VARIANT]  manifest to take from an index "
          "(default: a Wasm one)\n"
          "  --plain-http         talk http:// to the registry\n"
          "  --tls-no-verify      accept any TLS certificate\n"
          "  --creds USER:PASS    registry credentials (else "
          "~/.docker/config.json)\n"
          "  --user USER --password PASS  the same, separately\n"
          "  --store DIR          image store (default $WASMAOT_STORE_DIR, "
          "~/.local/share/wasmaot/images)\n"
          "The module's exit code (proc_exit, or 0 when _start returns) is "
          "the exit status;\n"
          "a trap exits 134 after printing its kind and a backtrace.\n",
          wl_cmd_usage("run"));
      return -1;
    } else {
      return wl_usage_error("run", "unknown option '%s'", opt);
    }
  }
  if (o->password && !o->username)
    return wl_usage_error("run", "--password needs --user");
  if (i >= argc)
    return wl_usage_error("run", "missing FILE");
  o->file = argv[i];
  o->n_args = argc - i - 1;
  o->args = argv + i + 1;
  /* WASI's argv is FILE then ARGS: the containerd shim passes the image's
   * own name for the module, not its host path. argv itself must not
   * change: the static front may run it again in wasmaot-full. */
  o->prog = o->argv0 ? o->argv0 : o->file;
  return 0;
}

/* Opens FILE or IMAGE (launcher/module.c): a .wao as it is, a .wasm or an
 * image's module through the artifact cache unless --no-cache. */
static int open_module(const run_opts *o, wl_module **mod, wr_artifact **a,
                       wa_err *err) {
  wl_module_opts mo = {.bounds = o->bounds,
                       .no_cache = o->no_cache,
                       .platform = o->platform,
                       .plain_http = o->plain_http,
                       .tls_no_verify = o->tls_no_verify,
                       .username = o->username,
                       .password = o->password,
                       .store = o->store_dir};
  int rc = wl_module_open(o->file, &mo, mod, err);
  if (rc == 0)
    *a = wl_module_artifact(*mod);
  return rc;
}

/* What an image adds to the command line; freed by image_opts_free. */
typedef struct image_run {
  char **argv;
  const char **env;
  wi_preopen *dirs;
  char *pwd;
} image_run;

static bool env_overridden(const run_opts *o, const char *kv) {
  size_t k = strcspn(kv, "=");
  for (uint32_t i = 0; i < o->n_env; i++)
    if (strncmp(o->env[i], kv, k) == 0 && o->env[i][k] == '=')
      return true;
  return false;
}

/*
 * The options an image's config implies, as a copy of o: argv is
 * Entrypoint (else Cmd[0], else the image name) then ARGS, or the rest of
 * Cmd when no ARGS are given (Docker's rule); Env under --env; WorkingDir as
 * $PWD (WASI preview1 has no working directory); the unpacked rootfs of a
 * rootfs image preopened as '/' before any --dir.
 */
static int image_opts(const run_opts *o, const wl_module *mod, run_opts *eff,
                      image_run *ir, wa_err *err) {
  const struct wo_module *img = wl_module_image(mod);
  *eff = *o;
  memset(ir, 0, sizeof *ir);
  if (!img)
    return 0;
  const wo_config *c = &img->config;
  size_t n_argv = c->n_entrypoint + c->n_cmd + (size_t)o->n_args + 2;
  ir->argv = wa_calloc(n_argv, sizeof *ir->argv);
  ir->env = wa_calloc(c->n_env + o->n_env + 2, sizeof *ir->env);
  ir->dirs = wa_calloc(o->n_dirs + 1, sizeof *ir->dirs);
  if (!ir->argv || !ir->env || !ir->dirs)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  if (!o->invoke) {
    size_t n = 0;
    bool ep = c->n_entrypoint > 0;
    const char *const *first = ep ? c->entrypoint : c->cmd;
    size_t n_first = ep ? c->n_entrypoint : c->n_cmd;
    ir->argv[n++] = (char *)(o->argv0  ? o->argv0
                             : n_first ? first[0]
                                       : wl_module_name(mod));
    for (size_t i = 1; ep && i < c->n_entrypoint; i++)
      ir->argv[n++] = (char *)c->entrypoint[i];
    if (o->n_args)
      for (int i = 0; i < o->n_args; i++)
        ir->argv[n++] = o->args[i];
    else
      for (size_t i = ep ? 0 : 1; i < c->n_cmd; i++)
        ir->argv[n++] = (char *)c->cmd[i];
    eff->prog = ir->argv[0];
    eff->args = ir->argv + 1;
    eff->n_args = (int)n - 1;
  }
  uint32_t ne = 0;
  bool has_pwd = false;
  for (size_t i = 0; i < c->n_env; i++)
    if (!env_overridden(o, c->env[i])) {
      ir->env[ne++] = c->env[i];
      has_pwd |= strncmp(c->env[i], "PWD=", 4) == 0;
    }
  for (uint32_t i = 0; i < o->n_env; i++) {
    ir->env[ne++] = o->env[i];
    has_pwd |= strncmp(o->env[i], "PWD=", 4) == 0;
  }
  if (!has_pwd && c->working_dir && c->working_dir[0]) {
    size_t len = strlen(c->working_dir) + 5;
    if (!(ir->pwd = wa_malloc(len)))
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    snprintf(ir->pwd, len, "PWD=%s", c->working_dir);
    ir->env[ne++] = ir->pwd;
  }
  eff->env = ir->env;
  eff->n_env = ne;
  uint32_t nd = 0;
  const char *rootfs = wl_module_rootfs(mod);
  if (rootfs)
    ir->dirs[nd++] = (wi_preopen){.host_path = rootfs, .guest_path = "/"};
  for (uint32_t i = 0; i < o->n_dirs; i++)
    ir->dirs[nd++] = o->dirs[i];
  eff->dirs = ir->dirs;
  eff->n_dirs = nd;
  return 0;
}

static void image_opts_free(image_run *ir) {
  wa_free(ir->argv);
  wa_free(ir->env);
  wa_free(ir->dirs);
  wa_free(ir->pwd);
}

/* invoke and run_start are not inlined into run_module: each holds a
 * wr_trap (1.7 KiB), which would otherwise sit on the stack above the
 * whole module load too (run's frame, the base of every start). */
__attribute__((noinline)) static int invoke(wr_instance *inst,
                                            const run_opts *o, wa_err *err) {
  wr_extern e;
  int rc = wr_instance_export(inst, o->invoke, strlen(o->invoke), &e, err);
  if (rc)
    return rc;
  if (e.kind != 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "export '%s' is not a function",
                   o->invoke);
  const wr_meta_type *t = wr_func_type(e.u.func);
  if ((uint32_t)o->n_args != t->n_params)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "'%s' takes %u arguments, %d given", o->invoke, t->n_params,
                   o->n_args);
  uint32_t n = t->n_params > t->n_results ? t->n_params : t->n_results;
  wr_val *vals = wa_calloc(n ? n : 1, sizeof *vals);
  if (!vals)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  for (uint32_t i = 0; i < t->n_params; i++)
    if (parse_arg(t->params[i], o->args[i], &vals[i])) {
      rc = wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "argument %u: '%s' is not a valid %s", i + 1, o->args[i],
                   wr_meta_valtype_name(t->params[i]));
      goto out;
    }
  wr_trap trap;
  rc = wr_call(e.u.func, vals, &trap, err);
  if (rc == WA_ETRAP) {
    rc = trap_status(&trap);
    goto out;
  }
  if (rc == 0)
    for (uint32_t i = 0; i < t->n_results; i++)
      print_result(t->results[i], &vals[i]);
out:
  wa_free(vals);
  return rc;
}

__attribute__((noinline)) static int run_start(wr_instance *inst, wa_err *err) {
  wr_extern e;
  wa_err absent;
  wa_err_init(&absent);
  int rc = wr_instance_export(inst, "_start", 6, &e, &absent);
  if (rc || e.kind != 0)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "module has no _start function; use --invoke NAME");
  const wr_meta_type *t = wr_func_type(e.u.func);
  if (t->n_params || t->n_results)
    return wa_fail(err, WA_EINVALID, WA_NOOFF, "_start is not [] -> []");
  wr_val v[1];
  wr_trap trap;
  rc = wr_call(e.u.func, v, &trap, err);
  return rc == WA_ETRAP ? trap_status(&trap) : rc;
}

/* Returns an exit status (>= 0) or a negative WA_E* code. */
static int run_module(const run_opts *o_cli, wa_err *err) {
  wl_module *mod = NULL;
  wr_artifact *a = NULL;
  wr_store *s = NULL;
  wr_extern *imports = NULL;
  const wr_meta *m;
  run_opts eff = *o_cli; /* plus what an image's config says */
  image_run ir;
  const run_opts *o = &eff;
  run_ctx ctx = {o, NULL, NULL};
  memset(&ir, 0, sizeof ir);
  int rc = open_module(o_cli, &mod, &a, err);
  if (rc)
    goto out;
  if ((rc = image_opts(o_cli, mod, &eff, &ir, err)))
    goto out;
  if ((rc = wr_store_new(&s, err)))
    goto out;
  m = wr_artifact_meta(a);
  imports = wa_calloc(m->n_imports ? m->n_imports : 1, sizeof *imports);
  if (!imports) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  ctx.store = s;
  if ((rc = resolve_imports(&ctx, m, imports, err)))
    goto out;
  wr_instance *inst;
  wr_trap trap;
  rc = wr_instance_new(s, a, imports, m->n_imports, &inst, &trap, err);
  if (rc == WA_ETRAP) {
    rc = trap_status(&trap);
    goto out;
  }
  if (rc)
    goto out;
#ifdef WL_HAVE_SECCOMP
  /* Last, so loading, compiling and opening preopens are not confined. */
  if (o->seccomp && (rc = wl_seccomp_install(err)))
    goto out;
#endif
  rc = o->invoke ? invoke(inst, o, err) : run_start(inst, err);
out:
  wa_free(imports);
  wr_store_free(s);
  if (ctx.wasi)
    wi_ctx_free(ctx.wasi); /* after the store: its functions refer to it */
  /* The artifact, then the bytes it borrows; after the store. */
  wl_module_close(mod);
  image_opts_free(&ir);
  return rc;
}

static int run(int argc, char **argv) {
  run_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse_opts(argc, argv, &o);
  if (rc) {
    rc = rc < 0 ? WL_EXIT_OK : rc;
    goto out;
  }
  wa_err err;
  wa_err_init(&err);
  rc = run_module(&o, &err);
  if (rc < 0) {
    wl_report_err(o.file, &err);
    rc = rc == WA_EUSAGE ? WL_EXIT_USAGE : WL_EXIT_FAIL;
  }
out:
  wa_free(o.env);
  wa_free(o.dirs);
  return rc;
}

const wl_cmd wl_cmd_run = {
    "run", run,
    "run [--invoke NAME] [--env K=V] [--env-inherit] [--dir[-ro] H[::G]] "
    "[--tcplisten H:P] [--trap-unknown-imports] [--bounds MODE] [--no-cache] "
    "[--platform OS/ARCH] [--plain-http] [--tls-no-verify] [--creds USER:PASS] "
    "[--store DIR] [--] FILE.wao|FILE.wasm|IMAGE [ARGS...]",
    "run a module: _start, or one export with --invoke"};
