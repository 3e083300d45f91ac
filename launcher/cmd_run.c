/*
 * cmd_run.c: `wasmaot run [--invoke NAME] [--bounds MODE] FILE [ARGS...]`.
 * Loads an artifact (or compiles a .wasm in memory through the dlopen()ed
 * compiler), resolves imports through a list of providers, instantiates,
 * then calls NAME with ARGS parsed by its parameter types and prints the
 * results, or calls _start. A trap exits 134 with its kind and backtrace
 * on stderr (WASI's proc_exit becomes the process's exit status).
 */
#include "internal.h"
#include "wasi/wi.h"
#include "wc.h"
#include "wr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* compiler_dl.c may be absent from a build; then .wasm input is refused.
 * Likewise runtime/wasi: without it, WASI imports stay unresolved. */
#pragma weak wl_compiler_get
#pragma weak wi_config_init
#pragma weak wi_ctx_new
#pragma weak wi_ctx_free
#pragma weak wi_link

/* ------------------------------------------------------------- linkers */

typedef struct run_opts {
  const char *invoke; /* NULL: _start */
  const char *file;
  uint8_t bounds;
  int n_args;
  char **args; /* after FILE */
  uint32_t n_env, n_dirs;
  const char **env;    /* KEY=VALUE */
  wi_preopen *dirs;
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

/* wasi_snapshot_preview1 through runtime/wasi: argv is FILE then, without
 * --invoke, ARGS; --env and --dir give the environment and preopens. */
static int link_wasi(run_ctx *ctx, const wr_meta *m, wr_extern *imports,
                     wa_err *err) {
  bool used = false;
  for (uint32_t i = 0; i < m->n_imports; i++)
    if (m->imports[i].module.len == strlen(WI_MODULE) &&
        memcmp(m->imports[i].module.ptr, WI_MODULE, strlen(WI_MODULE)) == 0)
      used = true;
  if (!used || !wi_link || !wi_ctx_new || !wi_config_init)
    return 0;
  const run_opts *o = ctx->o;
  wi_config cfg;
  wi_config_init(&cfg);
  uint32_t argc = o->invoke ? 1 : (uint32_t)o->n_args + 1;
  cfg.argc = argc;
  cfg.argv = (const char *const *)(o->args - 1); /* FILE, ARGS... */
  cfg.n_env = o->n_env;
  cfg.env = o->env;
  cfg.n_preopens = o->n_dirs;
  cfg.preopens = o->dirs;
  int rc = wi_ctx_new(&cfg, &ctx->wasi, err);
  return rc ? rc : wi_link(ctx->wasi, ctx->store, m, imports, err);
}

static const linker_fn linkers[] = {link_wasi};

static const char *vt(uint8_t t) {
  switch (t) {
  case 0x7f:
    return "i32";
  case 0x7e:
    return "i64";
  case 0x7d:
    return "f32";
  case 0x7c:
    return "f64";
  case 0x7b:
    return "v128";
  case 0x70:
    return "funcref";
  case 0x6f:
    return "externref";
  default:
    return "?";
  }
}

static void fmt_type(char *buf, size_t n, const wr_meta_type *t) {
  size_t at = (size_t)snprintf(buf, n, "func [");
  for (uint32_t i = 0; i < t->n_params && at < n; i++)
    at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? " " : "",
                           vt(t->params[i]));
  if (at < n)
    at += (size_t)snprintf(buf + at, n - at, "] -> [");
  for (uint32_t i = 0; i < t->n_results && at < n; i++)
    at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? " " : "",
                           vt(t->results[i]));
  if (at < n)
    snprintf(buf + at, n - at, "]");
}

static void fmt_import_type(char *buf, size_t n, const wr_meta *m,
                            const wr_meta_import *im) {
  switch (im->kind) {
  case 0:
    fmt_type(buf, n, &m->types[m->func_types[im->index]]);
    break;
  case 1:
    snprintf(buf, n, "table %s", vt(m->tables[im->index].elemtype));
    break;
  case 2:
    snprintf(buf, n, "memory");
    break;
  default:
    snprintf(buf, n, "global %s%s", m->globals[im->index].mut ? "mut " : "",
             vt(m->globals[im->index].type));
  }
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
    char type[160];
    fmt_import_type(type, sizeof type, m, im);
    return wa_fail(err, WA_ELINK, WA_NOOFF, "unresolved import %.*s.%.*s (%s)",
                   (int)(im->module.len > 80 ? 80 : im->module.len),
                   im->module.ptr,
                   (int)(im->field.len > 80 ? 80 : im->field.len),
                   im->field.ptr, type);
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


/* --dir HOST[:GUEST]: the guest sees HOST as GUEST (default: HOST). */
static void add_dir(run_opts *o, char *spec) {
  wi_preopen *d = &o->dirs[o->n_dirs++];
  char *colon = strchr(spec, ':');
  d->host_path = spec;
  d->guest_path = spec;
  d->read_only = false;
  if (colon) {
    *colon = 0;
    d->guest_path = colon + 1;
  }
}

static int parse_opts(int argc, char **argv, run_opts *o) {
  o->invoke = NULL;
  o->bounds = WR_BOUNDS_GUARD;
  o->n_env = o->n_dirs = 0;
  o->env = wa_calloc((size_t)argc, sizeof *o->env);
  o->dirs = wa_calloc((size_t)argc, sizeof *o->dirs);
  if (!o->env || !o->dirs)
    return wl_usage_error("run", "out of memory");
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else if (strcmp(argv[i], "--invoke") == 0 && i + 1 < argc) {
      o->invoke = argv[++i];
    } else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
      if (!strchr(argv[i + 1], '='))
        return wl_usage_error("run", "--env needs KEY=VALUE, not '%s'",
                              argv[i + 1]);
      o->env[o->n_env++] = argv[++i];
    } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      add_dir(o, argv[++i]);
    } else if (strcmp(argv[i], "--bounds") == 0 && i + 1 < argc) {
      const char *b = argv[++i];
      if (strcmp(b, "guard") == 0)
        o->bounds = WR_BOUNDS_GUARD;
      else if (strcmp(b, "explicit") == 0)
        o->bounds = WR_BOUNDS_EXPLICIT;
      else
        return wl_usage_error("run", "--bounds is guard or explicit, not '%s'",
                              b);
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf("usage: wasmaot %s\n"
             "  --invoke NAME     call export NAME with ARGS (ints, floats: "
             "nan, nan:0x.., inf, hex)\n"
             "  --bounds MODE     guard (default) or explicit, when "
             "compiling a .wasm\n"
             "  --env KEY=VALUE   WASI environment variable (repeatable)\n"
             "  --dir HOST[:GUEST] WASI preopened directory (repeatable)\n",
             wl_cmd_usage("run"));
      return -1;
    } else {
      return wl_usage_error("run", "unknown option '%s'", argv[i]);
    }
  }
  if (i >= argc)
    return wl_usage_error("run", "missing FILE");
  o->file = argv[i];
  o->n_args = argc - i - 1;
  o->args = argv + i + 1;
  return 0;
}

/* Opens FILE: an artifact directly, a .wasm through the compiler. On
 * success *compiled (if set) must be freed with (*api)->free after the
 * artifact. */
static int open_module(const run_opts *o, wa_map *map, wr_artifact **a,
                       uint8_t **compiled, const wc_api **api, wa_err *err) {
  int rc = wa_file_map(o->file, map, err);
  if (rc)
    return rc;
  if (map->len >= 4 && memcmp(map->data, "\0asm", 4) == 0) {
    if (!wl_compiler_get)
      return wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                     "this build cannot compile .wasm files");
    if ((rc = wl_compiler_get(api, err)))
      return rc;
    wc_config cfg;
    (*api)->config_default(&cfg);
    cfg.bounds = o->bounds;
    size_t len;
    if ((rc = (*api)->compile(map->data, map->len, o->file, &cfg, compiled,
                              &len, err)))
      return rc;
    return wr_artifact_load(*compiled, len, o->file, a, err);
  }
  return wr_artifact_open(o->file, a, err);
}

static int invoke(wr_instance *inst, const run_opts *o, wa_err *err) {
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
                   "'%s' takes %u arguments, %d given", o->invoke,
                   t->n_params, o->n_args);
  uint32_t n = t->n_params > t->n_results ? t->n_params : t->n_results;
  wr_val *vals = wa_calloc(n ? n : 1, sizeof *vals);
  if (!vals)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  for (uint32_t i = 0; i < t->n_params; i++)
    if (parse_arg(t->params[i], o->args[i], &vals[i])) {
      rc = wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "argument %u: '%s' is not a valid %s", i + 1, o->args[i],
                   vt(t->params[i]));
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

static int run_start(wr_instance *inst, wa_err *err) {
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
static int run_module(const run_opts *o, wa_err *err) {
  wa_map map = {0};
  wr_artifact *a = NULL;
  wr_store *s = NULL;
  uint8_t *compiled = NULL;
  const wc_api *api = NULL;
  wr_extern *imports = NULL;
  const wr_meta *m;
  run_ctx ctx = {o, NULL, NULL};
  int rc = open_module(o, &map, &a, &compiled, &api, err);
  if (rc)
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
  rc = o->invoke ? invoke(inst, o, err) : run_start(inst, err);
out:
  wa_free(imports);
  wr_store_free(s);
  if (ctx.wasi)
    wi_ctx_free(ctx.wasi); /* after the store: its functions refer to it */
  wr_artifact_free(a); /* before the bytes it may borrow */
  if (compiled)
    api->free(compiled);
  if (map.data)
    wa_file_unmap(&map);
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
    "run [--invoke NAME] [--env K=V] [--dir H[:G]] [--bounds MODE] "
    "FILE.wao|FILE.wasm [ARGS...]",
    "run a module: _start, or one export with --invoke"};
