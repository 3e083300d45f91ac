/*
 * internal.h: shared by the launcher's files (prefix wl_). Only main.c and
 * shim_main.c call exit(); commands return their exit status.
 */
#ifndef WL_INTERNAL_H
#define WL_INTERNAL_H

#include "wa.h"

#include <stdbool.h>

/* Exit statuses of the CLI. */
enum {
  WL_EXIT_OK = 0,
  WL_EXIT_FAIL = 1,  /* the operation failed (invalid module, bad image) */
  WL_EXIT_USAGE = 2, /* bad command line */
  WL_EXIT_TRAP = 134 /* the module trapped */
};

/*
 * A subcommand. Each lives in launcher/cmd_<name>.c, which defines
 *   const wl_cmd wl_cmd_<name> = {"<name>", run, "usage", "summary"};
 * CMake finds the cmd_*.c files and generates the table main.c expands, so
 * adding a command touches no shared file. run() returns the exit status.
 */
typedef struct wl_cmd {
  const char *name;
  int (*run)(int argc, char **argv); /* argv[0] is the command name */
  const char *usage;                 /* "validate FILE.wasm" */
  const char *summary;               /* one line for --help */
} wl_cmd;

/* The usage line of a command, for wl_usage_error. */
const char *wl_cmd_usage(const char *cmd);
/* The command line (main.c); main() is in main_full.c or front.c. */
int wl_main(int argc, char **argv);
/* Set by the static front (front.c) when the command needs a library it
 * cannot load; errors are then not reported, since wasmaot-full will run
 * the command again from the start. Always false in wasmaot-full. */
extern bool wl_need_full;

/* compiler_dl.c: loads libwasmaot_compiler.so on first use (a cache miss
 * or `compile`); $WASMAOT_COMPILER overrides its path. */
struct wc_api;
int wl_compiler_get(const struct wc_api **out, wa_err *err) WA_MUST_CHECK;
/* The library wl_compiler_get would load, found without loading it (the
 * bare file name when only the linker's search path is left); true when
 * *st is that file's status (stat succeeded). */
struct stat;
bool wl_compiler_path(char *out, size_t n, struct stat *st);

/*
 * module.c: what `run` executes, as a loaded artifact. A .wasm file or an
 * image's module goes through the artifact cache (a hit never loads the
 * compiler); a .wao file is loaded as it is. Images (oci:DIR, oci-archive:
 * FILE, registry references) are pulled into the local store, verified, and
 * a rootfs image is unpacked into a temp dir that wl_module_close removes.
 */
typedef struct wl_module_opts {
  uint8_t bounds;       /* WR_BOUNDS_* when compiling */
  bool no_cache;        /* compile in memory, leave the cache alone */
  const char *platform; /* images: "os/arch"; NULL picks a Wasm platform */
  bool plain_http;      /* registry images: http:// */
  bool tls_no_verify;   /* registry images: accept any certificate */
  const char *username; /* registry images: credentials (with password); */
  const char *password; /* NULL: the docker config.json */
  const char *store;    /* images: store directory; NULL: the default */
} wl_module_opts;
/* o's registry access (transport, certificates, credentials) as pull
 * options: zeroed first, the platform left unset. */
struct wo_pull_opts;
void wl_module_pull_opts(const wl_module_opts *o, struct wo_pull_opts *out);
typedef struct wl_module wl_module;
struct wr_artifact;
struct wo_module;
/* Whether 'src' names an image rather than a file. */
bool wl_module_is_image(const char *src);
int wl_module_open(const char *src, const wl_module_opts *o, wl_module **out,
                   wa_err *err) WA_MUST_CHECK;
/* `wasmaot warm`: pulls image 'src' (always, even if stored) and fills
 * the artifact cache for its module under one target without loading the
 * artifact. triple NULL is the host configured as `run` configures it (so
 * a later run hits); another triple gets its portable baseline CPU. */
typedef struct wl_warm_target {
  const char *triple;
  uint8_t bounds;    /* WR_BOUNDS_* */
  uint8_t opt_level; /* 0..3; `run` uses 2 */
} wl_warm_target;
typedef struct wl_warm_result {
  bool compiled; /* false: the entry was already cached */
  char key[65];  /* the entry's key, hex */
  /* filled from a verified artifact the image carries, not compiled
   * (compiled is then true too: the entry is new) */
  bool precompiled;
  char module_digest[72];   /* "sha256:<hex>" of the image's module */
  char manifest_digest[72]; /* the image manifest it came from */
} wl_warm_result;
int wl_module_warm(const char *src, const wl_module_opts *o,
                   const wl_warm_target *t, wl_warm_result *res,
                   wa_err *err) WA_MUST_CHECK;
/* Owned by the module: valid until wl_module_close. */
struct wr_artifact *wl_module_artifact(const wl_module *m);
/* The image's module and config (Env, WorkingDir, Entrypoint, Cmd); NULL
 * for files. */
const struct wo_module *wl_module_image(const wl_module *m);
/* The unpacked rootfs of a rootfs image, else NULL. */
const char *wl_module_rootfs(const wl_module *m);
/* The image's canonical name ("" for files). */
const char *wl_module_name(const wl_module *m);
/* Frees everything, in order (artifact before the bytes it borrows); call
 * it after the store that instantiated the artifact is freed. NULL is ok. */
void wl_module_close(wl_module *m);

/* inspect_wao.c: `wasmaot inspect` of a .wao artifact. */
int wl_inspect_artifact(const char *path);

/* Prints "wasmaot: error: <context>: <formatted err>" on stderr. */
void wl_report_err(const char *context, const wa_err *err);

/* Prints a Wasm name (arbitrary bytes) on stdout, quoted, with escapes. */
void wl_put_quoted(const char *p, size_t len);
/* --creds USER:PASS: USER copied into user (argv stays as given: the
 * static front may hand the same command line to wasmaot-full), *pass
 * points into arg. 0, or a usage error of cmd. */
#define WL_USER_MAX 256
int wl_creds_split(const char *cmd, const char *arg, char user[WL_USER_MAX],
                   const char **pass);
/* Prints "wasmaot: <cmd>: <msg>" plus the usage line; returns WL_EXIT_USAGE. */
int wl_usage_error(const char *cmd, const char *fmt, ...) WA_PRINTF(2, 3);

/* Progress output on long work: a bar on a TTY, nothing otherwise. */
typedef struct wl_progress {
  const char *label;
  bool tty;
  int last_pct;
} wl_progress;
void wl_progress_init(wl_progress *p, const char *label);
void wl_progress_update(wl_progress *p, uint64_t done, uint64_t total);
void wl_progress_done(wl_progress *p);

#endif
