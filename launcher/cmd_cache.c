/*
 * cmd_cache.c: `wasmaot cache dir|ls|stats|verify|gc|limit|clear|export|
 * import`: inspection and upkeep of the artifact cache (cache/, wk_). The
 * rules it applies (trust, locking, eviction) are the library's; this file
 * parses options and prints.
 */
#include "internal.h"
#include "wk.h"
#include "wr.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Entries are checked with the runtime's metadata reader that accepts any
 * architecture: warm and import keep entries for other targets. */

#define USAGE                                                                  \
  "cache [--dir DIR | --system] "                                              \
  "dir|ls|stats|verify|gc|limit|clear|export|import ..."

static const char help_text[] =
    "usage: wasmaot cache [--dir DIR | --system] COMMAND [ARGS]\n"
    "\n"
    "  dir                   print the cache directory\n"
    "  ls [--long]           list entries, most recently used first\n"
    "                        (--long: target, cpu, opt level, bounds)\n"
    "  stats                 entries, size against the limit, leftovers\n"
    "  verify [--keep]       rehash every entry; remove bad ones unless "
    "--keep\n"
    "  gc [--max-size SIZE]  evict least recently used entries down to the\n"
    "                        limit (or SIZE, once); sweep leftovers\n"
    "  limit [SIZE]          show or set the size limit (stored in "
    "DIR/config)\n"
    "  clear                 remove every entry not in use\n"
    "  export [--sign-key KEY] FILE\n"
    "                        write all valid entries to FILE (tar + zstd),\n"
    "                        signed with KEY (from 'wasmaot key generate')\n"
    "  import [--trust] [--trusted-keys DIR] FILE\n"
    "                        add the entries of an exported FILE\n"
    "\n"
    "  --dir DIR   the cache directory (default $WASMAOT_CACHE_DIR,\n"
    "              $XDG_CACHE_HOME/wasmaot, ~/.cache/wasmaot)\n"
    "  --system    the shim's cache, " WK_SYSTEM_DIR "\n"
    "\n"
    "SIZE is bytes or a number with K, M, G, T (binary): 512M, 2G, 1.5G.\n"
    "Imported entries are native code built elsewhere: each must be signed\n"
    "by a key in the trusted-keys directory (every *.pub in it; default\n"
    "$WASMAOT_TRUSTED_KEYS, $XDG_CONFIG_HOME/wasmaot/trusted-keys,\n"
    "~/.config/wasmaot/trusted-keys), or --trust says you vouch for the\n"
    "archive (import FILE --trust).\n";

typedef struct cli {
  const char *dir;
  wk_cache *c;
  wa_err err;
} cli;

static int fail(cli *x, const char *context) {
  wl_report_err(context, &x->err);
  return WL_EXIT_FAIL;
}

static int open_cache(cli *x) {
  wk_options o = {.read_meta = wr_artifact_describe};
  if (wk_open(x->dir, &o, &x->c, &x->err) != 0)
    return fail(x, "opening the cache");
  return WL_EXIT_OK;
}

/* "5s ago", "3m ago", "2h ago", "4d ago", or a date past a month. */
static const char *ago(struct timespec t, char *buf, size_t n) {
  time_t now = time(NULL);
  long long d = (long long)(now - t.tv_sec);
  if (t.tv_sec == 0)
    snprintf(buf, n, "-");
  else if (d < 0)
    snprintf(buf, n, "in the future");
  else if (d < 60)
    snprintf(buf, n, "%llds ago", d);
  else if (d < 3600)
    snprintf(buf, n, "%lldm ago", d / 60);
  else if (d < 86400)
    snprintf(buf, n, "%lldh ago", d / 3600);
  else if (d < 30 * 86400)
    snprintf(buf, n, "%lldd ago", d / 86400);
  else {
    struct tm tm;
    time_t s = t.tv_sec;
    if (localtime_r(&s, &tm))
      strftime(buf, n, "%Y-%m-%d", &tm);
    else
      snprintf(buf, n, "-");
  }
  return buf;
}

/* Parses a subcommand's options: 'long_opt' is the one flag it takes
 * (NULL for none); a value goes to *val when 'has_arg'. Returns the index
 * of the first operand, or -1 after printing a usage error. */
static int sub_opts(int argc, char **argv, const char *long_opt, int has_arg,
                    bool *flag, const char **val) {
  struct option opts[3] = {{0}};
  int k = 0;
  if (long_opt)
    opts[k++] = (struct option){long_opt, has_arg, NULL, 'o'};
  opts[k] = (struct option){"help", no_argument, NULL, 'h'};
  int ch;
  optind = 0; /* 0, not 1: glibc then forgets the '+' of the outer parse */
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (ch == 'o') {
      if (flag)
        *flag = true;
      if (val)
        *val = optarg;
    } else if (ch == 'h') {
      fputs(help_text, stdout);
      return -2;
    } else {
      wl_usage_error("cache", "%s: unknown option", argv[0]);
      return -1;
    }
  }
  return optind;
}

/* ------------------------------------------------------------------ ls */

typedef struct ls_ctx {
  cli *x;
  bool longer;
  unsigned n;
} ls_ctx;

static void describe(cli *x, const wk_info *info, char *buf, size_t n) {
  wk_entry *e = NULL;
  wa_err err;
  wa_err_init(&err);
  if (wk_open_key(x->c, &info->key, &e, &err) != 0) {
    snprintf(buf, n, "(%s: run 'wasmaot cache verify')", wa_err_text(err.code));
    return;
  }
  wa_arena a;
  wa_arena_init(&a, 4096);
  wr_meta m;
  if (wr_artifact_describe(wk_entry_data(e), wk_entry_size(e), wk_entry_path(e),
                           &a, &m, &err) == 0)
    snprintf(buf, n, "%.*s %.*s O%u %s", (int)m.triple.len, m.triple.ptr,
             (int)m.cpu.len, m.cpu.ptr, m.opt_level,
             m.bounds == WR_BOUNDS_EXPLICIT ? "explicit" : "guard");
  else
    snprintf(buf, n, "(%.200s)", err.msg);
  wa_arena_free(&a);
  wk_entry_release(e);
}

static int ls_one(void *ud, const wk_info *info, wa_err *err) {
  ls_ctx *l = ud;
  char key[65], mod[65], size[32], when[32], extra[256] = "";
  (void)err;
  if (l->n++ == 0)
    printf("%-16s  %-16s  %10s  %-10s  %s\n", "KEY", "MODULE", "SIZE",
           "LAST USED", l->longer ? "ORIGIN    TARGET" : "ORIGIN");
  wk_key_hex(&info->key, key);
  wa_hex(info->module_sha256, 32, mod);
  if (l->longer && !info->damaged)
    describe(l->x, info, extra, sizeof extra);
  const char *origin = info->damaged                       ? "damaged"
                       : (info->flags & WK_ENTRY_IMPORTED) ? "imported"
                                                           : "local";
  printf("%-16.16s  %-16.16s  %10s  %-10s  ", key, info->damaged ? "?" : mod,
         wk_size_format(info->file_size, size, sizeof size),
         ago(info->last_used, when, sizeof when));
  if (extra[0])
    printf("%-8s  %s\n", origin, extra);
  else
    printf("%s\n", origin);
  return 0;
}

static int cmd_ls(cli *x, int argc, char **argv) {
  ls_ctx l = {.x = x};
  int i = sub_opts(argc, argv, "long", no_argument, &l.longer, NULL);
  if (i < 0)
    return i == -2 ? WL_EXIT_OK : WL_EXIT_USAGE;
  if (i != argc)
    return wl_usage_error("cache", "ls takes no arguments");
  if (open_cache(x))
    return WL_EXIT_FAIL;
  if (wk_list(x->c, ls_one, &l, &x->err) != 0)
    return fail(x, "listing the cache");
  if (l.n == 0)
    printf("the cache at %s is empty\n", wk_dir(x->c));
  return WL_EXIT_OK;
}

/* --------------------------------------------------------------- stats */

static int cmd_stats(cli *x, int argc, char **argv) {
  int i = sub_opts(argc, argv, NULL, no_argument, NULL, NULL);
  if (i < 0)
    return i == -2 ? WL_EXIT_OK : WL_EXIT_USAGE;
  if (i != argc)
    return wl_usage_error("cache", "stats takes no arguments");
  if (open_cache(x))
    return WL_EXIT_FAIL;
  wk_stats st;
  if (wk_stats_get(x->c, &st, &x->err) != 0)
    return fail(x, "reading the cache");
  char used[32], max[32], t1[32], t2[32], tb[32];
  printf("directory:  %s\n", wk_dir(x->c));
  printf("entries:    %llu (%llu imported)\n", (unsigned long long)st.n_entries,
         (unsigned long long)st.n_imported);
  printf("size:       %s of %s (%.0f%%)\n",
         wk_size_format(st.bytes, used, sizeof used),
         wk_size_format(st.max_size, max, sizeof max),
         st.max_size ? 100.0 * (double)st.bytes / (double)st.max_size : 100.0);
  if (st.n_entries)
    printf("last used:  %s (least recent %s)\n",
           ago(st.newest_use, t1, sizeof t1),
           ago(st.oldest_use, t2, sizeof t2));
  if (st.n_damaged)
    printf("damaged:    %llu (run 'wasmaot cache verify')\n",
           (unsigned long long)st.n_damaged);
  if (st.n_temp)
    printf("leftovers:  %llu temp file%s, %s (run 'wasmaot cache gc')\n",
           (unsigned long long)st.n_temp, st.n_temp == 1 ? "" : "s",
           wk_size_format(st.temp_bytes, tb, sizeof tb));
  return WL_EXIT_OK;
}

/* -------------------------------------------------------------- verify */

static void on_problem(void *ud, const char *path, const wa_err *why,
                       bool removed) {
  char buf[1024];
  (void)ud;
  (void)path;
  wa_err_format(why, buf, sizeof buf);
  printf("bad: %s (%s)\n", buf, removed ? "removed" : "kept");
}

static int cmd_verify(cli *x, int argc, char **argv) {
  bool keep = false;
  int i = sub_opts(argc, argv, "keep", no_argument, &keep, NULL);
  if (i < 0)
    return i == -2 ? WL_EXIT_OK : WL_EXIT_USAGE;
  if (i != argc)
    return wl_usage_error("cache", "verify takes no arguments");
  if (open_cache(x))
    return WL_EXIT_FAIL;
  wk_verify_report rep;
  if (wk_verify(x->c, !keep, on_problem, NULL, &rep, &x->err) != 0)
    return fail(x, "verifying the cache");
  printf("%llu ok, %llu bad, %llu removed%s\n", (unsigned long long)rep.n_ok,
         (unsigned long long)rep.n_bad, (unsigned long long)rep.n_removed,
         rep.n_busy ? " (some bad entries are being refilled)" : "");
  if (!rep.meta_checked)
    printf("note: this build cannot read artifact metadata; only integrity "
           "was checked\n");
  /* Nonzero while anything bad remains, so scripts notice. */
  return rep.n_bad > rep.n_removed ? WL_EXIT_FAIL : WL_EXIT_OK;
}

/* ----------------------------------------------------------- gc, clear */

static void print_gc(const wk_gc_report *r) {
  char freed[32], left[32];
  printf("removed %llu entr%s (%s), %llu left (%s)",
         (unsigned long long)r->n_removed, r->n_removed == 1 ? "y" : "ies",
         wk_size_format(r->bytes_removed, freed, sizeof freed),
         (unsigned long long)r->n_left,
         wk_size_format(r->bytes_left, left, sizeof left));
  if (r->n_busy)
    printf(", %llu in use kept", (unsigned long long)r->n_busy);
  if (r->n_temp_removed || r->n_locks_removed)
    printf(", swept %llu temp and %llu lock files",
           (unsigned long long)r->n_temp_removed,
           (unsigned long long)r->n_locks_removed);
  printf("\n");
}

static int cmd_gc(cli *x, int argc, char **argv) {
  const char *size = NULL;
  uint64_t max = WK_LIMIT_CONFIGURED;
  int i = sub_opts(argc, argv, "max-size", required_argument, NULL, &size);
  if (i < 0)
    return i == -2 ? WL_EXIT_OK : WL_EXIT_USAGE;
  if (i != argc)
    return wl_usage_error("cache", "gc takes no arguments");
  if (size && wk_size_parse(size, &max, &x->err) != 0) {
    wl_report_err("gc --max-size", &x->err);
    return WL_EXIT_USAGE;
  }
  if (open_cache(x))
    return WL_EXIT_FAIL;
  wk_gc_report rep;
  if (wk_gc(x->c, max, &rep, &x->err) != 0)
    return fail(x, "collecting the cache");
  print_gc(&rep);
  return WL_EXIT_OK;
}

static int cmd_clear(cli *x, int argc, char **argv) {
  int i = sub_opts(argc, argv, NULL, no_argument, NULL, NULL);
  if (i < 0)
    return i == -2 ? WL_EXIT_OK : WL_EXIT_USAGE;
  if (i != argc)
    return wl_usage_error("cache", "clear takes no arguments");
  if (open_cache(x))
    return WL_EXIT_FAIL;
  wk_gc_report rep;
  if (wk_clear(x->c, &rep, &x->err) != 0)
    return fail(x, "clearing the cache");
  print_gc(&rep);
  return WL_EXIT_OK;
}

static int cmd_limit(cli *x, int argc, char **argv) {
  int i = sub_opts(argc, argv, NULL, no_argument, NULL, NULL);
  uint64_t max;
  char buf[32];
  if (i < 0)
    return i == -2 ? WL_EXIT_OK : WL_EXIT_USAGE;
  if (argc - i > 1)
    return wl_usage_error("cache", "limit takes at most one SIZE");
  if (argc - i == 1 && wk_size_parse(argv[i], &max, &x->err) != 0) {
    wl_report_err("limit", &x->err);
    return WL_EXIT_USAGE;
  }
  if (open_cache(x))
    return WL_EXIT_FAIL;
  if (argc - i == 1 && wk_set_max_size(x->c, max, &x->err) != 0)
    return fail(x, "setting the limit");
  printf("%s\n", wk_size_format(wk_max_size(x->c), buf, sizeof buf));
  return WL_EXIT_OK;
}

/* ------------------------------------------------------ export, import */

static int cmd_export(cli *x, int argc, char **argv) {
  const char *key = NULL;
  int i = sub_opts(argc, argv, "sign-key", required_argument, NULL, &key);
  if (i < 0)
    return i == -2 ? WL_EXIT_OK : WL_EXIT_USAGE;
  if (argc - i != 1)
    return wl_usage_error("cache", "export takes one FILE");
  wk_signer signer;
  if (key && wk_signer_read(key, &signer, &x->err) != 0)
    return fail(x, "reading the signing key");
  if (open_cache(x)) {
    wk_signer_wipe(&signer);
    return WL_EXIT_FAIL;
  }
  wk_xfer_report rep;
  char size[32];
  int rc = wk_export_signed(x->c, argv[i], key ? &signer : NULL, &rep, &x->err);
  if (key)
    wk_signer_wipe(&signer);
  if (rc != 0)
    return fail(x, "exporting the cache");
  printf("exported %llu entr%s (%s) to %s", (unsigned long long)rep.n_entries,
         rep.n_entries == 1 ? "y" : "ies",
         wk_size_format(rep.bytes, size, sizeof size), argv[i]);
  if (rep.n_refused)
    printf("; skipped %llu bad entr%s (run 'wasmaot cache verify')",
           (unsigned long long)rep.n_refused, rep.n_refused == 1 ? "y" : "ies");
  printf("\n");
  return WL_EXIT_OK;
}

static void warn_key(void *ud, const char *msg) {
  (void)ud;
  fprintf(stderr, "wasmaot: warning: %s\n", msg);
}

static void on_refusal(void *ud, const wa_err *why) {
  char buf[1024];
  (void)ud;
  wa_err_format(why, buf, sizeof buf);
  fprintf(stderr, "wasmaot: refused %s\n", buf);
}

static int cmd_import(cli *x, int argc, char **argv) {
  static const struct option opts[] = {
      {"trust", no_argument, NULL, 't'},
      {"trusted-keys", required_argument, NULL, 'k'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  bool trust = false;
  const char *keydir = NULL;
  char dir[PATH_MAX];
  int ch;
  optind = 0; /* 0, not 1: glibc then forgets the '+' of the outer parse */
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (ch == 't')
      trust = true;
    else if (ch == 'k')
      keydir = optarg;
    else if (ch == 'h') {
      fputs(help_text, stdout);
      return WL_EXIT_OK;
    } else
      return wl_usage_error("cache", "%s: unknown option", argv[0]);
  }
  int i = optind;
  if (argc - i != 1)
    return wl_usage_error("cache", "import takes one FILE");
  if (!keydir) {
    if (wk_trusted_default_dir(dir, sizeof dir, &x->err) != 0)
      return fail(x, "locating the trusted keys");
    keydir = dir;
  }
  wk_trusted keys;
  if (wk_trusted_load(keydir, warn_key, NULL, &keys, &x->err) != 0)
    return fail(x, "reading the trusted keys");
  if (open_cache(x)) {
    wk_trusted_free(&keys);
    return WL_EXIT_FAIL;
  }
  wk_xfer_report rep;
  char size[32];
  int rc = wk_import_signed(x->c, argv[i], trust, &keys, on_refusal, NULL, &rep,
                            &x->err);
  wk_trusted_free(&keys);
  if (rep.n_entries || rep.n_skipped)
    printf("imported %llu entr%s (%s), %llu already present\n",
           (unsigned long long)rep.n_entries, rep.n_entries == 1 ? "y" : "ies",
           wk_size_format(rep.bytes, size, sizeof size),
           (unsigned long long)rep.n_skipped);
  if (rc != 0)
    return fail(x, "importing");
  return WL_EXIT_OK;
}

/* ---------------------------------------------------------------- main */

typedef struct sub {
  const char *name;
  int (*run)(cli *x, int argc, char **argv);
} sub;

static int cmd_dir(cli *x, int argc, char **argv) {
  int i = sub_opts(argc, argv, NULL, no_argument, NULL, NULL);
  if (i < 0)
    return i == -2 ? WL_EXIT_OK : WL_EXIT_USAGE;
  if (i != argc)
    return wl_usage_error("cache", "dir takes no arguments");
  printf("%s\n", x->dir);
  return WL_EXIT_OK;
}

static const sub subs[] = {
    {"dir", cmd_dir},       {"ls", cmd_ls},         {"stats", cmd_stats},
    {"verify", cmd_verify}, {"gc", cmd_gc},         {"limit", cmd_limit},
    {"clear", cmd_clear},   {"export", cmd_export}, {"import", cmd_import},
};

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                       {"system", no_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  char dir[PATH_MAX];
  cli x = {0};
  int ch, rc;
  wa_err_init(&x.err);
  optind = 1;
  /* '+': stop at the subcommand, whose options are its own. */
  while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    if (ch == 'd')
      x.dir = optarg;
    else if (ch == 's')
      x.dir = WK_SYSTEM_DIR;
    else if (ch == 'h') {
      fputs(help_text, stdout);
      return WL_EXIT_OK;
    } else
      return wl_usage_error("cache", "unknown option");
  }
  if (optind >= argc)
    return wl_usage_error("cache", "which command? (see --help)");
  if (!x.dir) {
    if (wk_default_dir(dir, sizeof dir, &x.err) != 0)
      return fail(&x, "locating the cache");
    x.dir = dir;
  }
  const char *name = argv[optind];
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
    if (strcmp(subs[i].name, name) == 0) {
      rc = subs[i].run(&x, argc - optind, argv + optind);
      wk_close(x.c);
      return rc;
    }
  return wl_usage_error("cache", "unknown command '%s'", name);
}

const wl_cmd wl_cmd_cache = {"cache", run, USAGE,
                             "inspect and maintain the compiled-code cache"};
