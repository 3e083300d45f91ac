/*
 * wi.h: WASI preview1 (wasi_snapshot_preview1) for wasmaot (prefix wi_).
 * A wi_ctx is one guest process's view of the host: args, environment,
 * stdio, preopened directories and listening sockets, behind a sandbox
 * that only reaches beneath the preopens. wi_link turns an artifact's
 * wasi_snapshot_preview1 imports into host functions of a wr_store.
 * Supported functions, sandbox rules and errno mapping: docs/wasi.md.
 */
#ifndef WI_H
#define WI_H

#include "wa.h"
#include "wr.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct wi_ctx wi_ctx;

#define WI_MODULE "wasi_snapshot_preview1"

/* A host directory the guest may reach, seen by the guest as guest_path
 * (what fd_prestat_dir_name returns; wasi-libc matches paths against it).
 * A read-only preopen drops every right that writes, creates or removes,
 * on itself and on everything opened beneath it. */
typedef struct wi_preopen {
  const char *host_path;
  const char *guest_path;
  bool read_only;
} wi_preopen;

/*
 * Everything a context starts from. Strings and arrays are borrowed for
 * the duration of wi_ctx_new only (the context copies them). The stdio fds
 * are duplicated, so the guest closing its fd 1 does not close the host's.
 * A stdio fd of -1 leaves that guest fd closed.
 *
 * Guest fd numbering: 0-2 stdio, then the preopens in order, then the
 * listening sockets (tcplisten first, then listen_fds). wasi-libc scans
 * fds from 3 up to the first EBADF of fd_prestat_get, so sockets after the
 * directories do not hide any of them.
 */
typedef struct wi_config {
  uint32_t argc;
  const char *const *argv; /* argv[0] is the program name */
  uint32_t n_env;
  const char *const *env; /* "KEY=VALUE" */
  uint32_t n_preopens;
  const wi_preopen *preopens;
  int stdin_fd, stdout_fd, stderr_fd;
  /* "HOST:PORT" (numeric IPv4, or [IPv6]); the context binds and listens
   * (SO_REUSEADDR, backlog 128). Port 0 picks a free port, see
   * wi_ctx_sock_port. */
  uint32_t n_tcplisten;
  const char *const *tcplisten;
  /* Sockets the embedder already listens on (duplicated). */
  uint32_t n_listen_fds;
  const int *listen_fds;
} wi_config;

/* Zeroes c and sets the stdio fds to 0, 1 and 2. */
void wi_config_init(wi_config *c);

/*
 * Opens the preopens (O_DIRECTORY; a missing or non-directory host path is
 * WA_ENOTFOUND/WA_EINVALID naming it), creates the listening sockets
 * (WA_EIO naming the address), copies args and env. *out is freed with
 * wi_ctx_free, which closes every host fd the context holds.
 */
int wi_ctx_new(const wi_config *cfg, wi_ctx **out, wa_err *err) WA_MUST_CHECK;
void wi_ctx_free(wi_ctx *ctx);

/* True once the guest called proc_exit (or a proc_raise that terminates);
 * *code receives the exit status. */
bool wi_ctx_exited(const wi_ctx *ctx, int32_t *code);

/* The local port of listening socket i (in the order of wi_config), or -1. */
int wi_ctx_sock_port(const wi_ctx *ctx, uint32_t i);

/* --------------------------------------------------------------- linking */

/* True if an import's module name is wasi_snapshot_preview1. */
bool wi_is_wasi_module(const char *module, size_t len);

/*
 * Checks one function import against the preview1 table: WA_ELINK naming
 * "wasi_snapshot_preview1.field" if the field is unknown, or naming both
 * the import's type and the expected one if they differ. Needs no runtime.
 */
int wi_check_import(const char *field, size_t len, const wr_meta_type *type,
                    wa_err *err) WA_MUST_CHECK;

/* The expected type of a preview1 function, or NULL if there is none.
 * The pointers stay valid for the life of the program. */
const wr_meta_type *wi_func_type(const char *field, size_t len);

/*
 * For every import of 'meta' whose module is wasi_snapshot_preview1:
 * checks it (wi_check_import; a non-function import is WA_ELINK too),
 * creates the host function in 's' with wr_func_new_host and stores it in
 * imports[i] (kind 0). Entries for other modules, and preview1 fields that
 * preview1 does not define, are left untouched, so the embedder fills them
 * before or after (or reports them as unresolved). 'imports' has
 * meta->n_imports entries. The functions refer to ctx, which must outlive the
 * store's use of them. proc_exit traps with WR_TRAP_EXIT and the exit code.
 * Defined in link.c, the only file that needs the runtime library.
 */
int wi_link(wi_ctx *ctx, wr_store *s, const wr_meta *meta, wr_extern *imports,
            wa_err *err) WA_MUST_CHECK;

#endif
