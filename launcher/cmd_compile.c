/*
 * cmd_compile.c: `wasmaot compile IN.wasm [-o OUT.wao] [options]`. Compiles
 * a module ahead of time through the dlopen()ed compiler and publishes
 * the artifact atomically (readers see the old file or the new one).
 */
#include "internal.h"
#include "wc.h"
#include "wr_abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Compiles a WebAssembly module to a native artifact (.wao).\n\n"
    "options:\n"
    "  -o OUT.wao            output (default: IN with .wao for .wasm)\n"
    "  -O0 -O1 -O2 -O3       optimization level (default -O2)\n"
    "  --bounds guard|explicit\n"
    "                        memory bounds checks: guard pages (default) or\n"
    "                        explicit compare-and-trap\n"
    "  --target TRIPLE       x86_64-unknown-linux-gnu or\n"
    "                        aarch64-unknown-linux-gnu (default: the host)\n"
    "  --cpu NAME            LLVM CPU name; default 'native' for the host,\n"
    "                        the portable baseline for other targets\n"
    "  --portable            the target's portable baseline CPU even for the\n"
    "                        host: x86-64-v2 (x86_64), generic (aarch64)\n"
    "  --cpu-features LIST   LLVM features to add or remove, e.g. +avx2,-bmi2\n"
    "  --threads N           compiler threads (default: all cores)\n";

typedef struct opts {
  const char *in, *out;
  const char *triple, *cpu, *features;
  bool portable;
  int opt_level, bounds; /* -1: the library's default */
  uint32_t threads;
} opts;

/* The value of option argv[*i] ("--x V" or "--x=V"), or NULL. */
static const char *value(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0)
    return NULL;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] != 0)
    return NULL;
  if (*i + 1 >= argc)
    return "";
  return argv[++*i];
}

static int parse(int argc, char **argv, opts *o) {
  o->opt_level = o->bounds = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "-o") == 0) {
      if (i + 1 >= argc)
        return wl_usage_error("compile", "-o needs a file name");
      o->out = argv[++i];
    } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' &&
               a[3] == 0) {
      o->opt_level = a[2] - '0';
    } else if ((v = value(argc, argv, &i, "--bounds"))) {
      if (strcmp(v, "guard") == 0)
        o->bounds = WR_BOUNDS_GUARD;
      else if (strcmp(v, "explicit") == 0)
        o->bounds = WR_BOUNDS_EXPLICIT;
      else
        return wl_usage_error("compile",
                              "--bounds is guard or explicit, not '%s'", v);
    } else if ((v = value(argc, argv, &i, "--target"))) {
      o->triple = v;
    } else if ((v = value(argc, argv, &i, "--cpu"))) {
      o->cpu = v;
    } else if ((v = value(argc, argv, &i, "--cpu-features"))) {
      o->features = v;
    } else if (strcmp(a, "--portable") == 0) {
      o->portable = true;
    } else if ((v = value(argc, argv, &i, "--threads"))) {
      char *end;
      unsigned long t = strtoul(v, &end, 10);
      if (!*v || *end || t > 1024)
        return wl_usage_error("compile", "--threads needs a number, not '%s'",
                              v);
      o->threads = (uint32_t)t;
    } else if (a[0] == '-' && a[1] != 0) {
      return wl_usage_error("compile", "unknown option '%s'", a);
    } else if (!o->in) {
      o->in = a;
    } else {
      return wl_usage_error("compile", "more than one input ('%s', '%s')",
                            o->in, a);
    }
  }
  if (!o->in)
    return wl_usage_error("compile", "missing IN.wasm");
  if (o->portable && o->cpu)
    return wl_usage_error("compile", "--portable and --cpu %s conflict",
                          o->cpu);
  if (o->cpu && !*o->cpu)
    return wl_usage_error("compile", "--cpu needs a CPU name");
  /* The compiler's name for the target's baseline CPU. */
  if (o->portable)
    o->cpu = "portable";
  return 0;
}

/* IN.wasm -> IN.wao; anything else -> IN.wao appended. */
static char *default_out(const char *in) {
  size_t n = strlen(in);
  char *s = malloc(n + 5);
  if (!s)
    return NULL;
  memcpy(s, in, n + 1);
  if (n > 5 && strcmp(in + n - 5, ".wasm") == 0)
    s[n - 5] = 0;
  strcat(s, ".wao");
  return s;
}

static void on_progress(void *ud, uint32_t done, uint32_t total) {
  wl_progress_update(ud, done, total);
}

static int run(int argc, char **argv) {
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                    strcmp(argv[1], "-h") == 0)) {
    printf("usage: wasmaot %s\n\n%s", wl_cmd_usage("compile"), usage_text);
    return WL_EXIT_OK;
  }
  opts o;
  memset(&o, 0, sizeof o);
  int rc = parse(argc, argv, &o);
  if (rc)
    return rc;
  wa_err err;
  wa_err_init(&err);
  const wc_api *api;
  if (wl_compiler_get(&api, &err)) {
    wl_report_err("compile", &err);
    return WL_EXIT_FAIL;
  }
  wc_config cfg;
  api->config_default(&cfg);
  if (o.opt_level >= 0)
    cfg.opt_level = (uint8_t)o.opt_level;
  if (o.bounds >= 0)
    cfg.bounds = (uint8_t)o.bounds;
  cfg.triple = o.triple;
  cfg.cpu = o.cpu;
  cfg.features = o.features;
  cfg.threads = o.threads;
  char *out = o.out ? NULL : default_out(o.in);
  const char *out_path = o.out ? o.out : out;
  wa_map map = {0};
  uint8_t *art = NULL;
  size_t len = 0;
  wl_progress prog;
  wl_progress_init(&prog, "compiling");
  cfg.progress = on_progress;
  cfg.progress_ud = &prog;
  if (!out_path) {
    rc = wa_fail(&err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  if ((rc = wa_file_map(o.in, &map, &err)))
    goto out;
  rc = api->compile(map.data, map.len, o.in, &cfg, &art, &len, &err);
  wl_progress_done(&prog);
  if (rc)
    goto out;
  if ((rc = wa_file_publish(out_path, art, len, 0644, &err)))
    goto out;
out:
  if (rc)
    wl_report_err("compile", &err);
  if (art)
    api->free(art);
  wa_file_unmap(&map);
  free(out);
  return rc ? WL_EXIT_FAIL : WL_EXIT_OK;
}

const wl_cmd wl_cmd_compile = {
    "compile", run,
    "compile IN.wasm [-o OUT.wao] [-O0..-O3] [--bounds guard|explicit] "
    "[--target TRIPLE] [--cpu NAME | --portable] [--cpu-features LIST] "
    "[--threads N]",
    "compile a module ahead of time to an artifact"};
