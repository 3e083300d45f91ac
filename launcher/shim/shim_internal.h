/*
 * shim_internal.h: shared by the files of containerd-shim-wasmaot-v1
 * (launcher/shim/, prefix wl__ / wl_shim_). ttrpc framing, the Task
 * service, events, the OCI runtime spec, mounts, cgroups and the per-task
 * process. Only main.c exits the process.
 */
#ifndef WL_SHIM_INTERNAL_H
#define WL_SHIM_INTERNAL_H

#include "wa.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define WL_SHIM_VERSION "wasmaot-shim " WA_VERSION

/* ------------------------------------------------------------- logging */

/* Writes "time level msg" lines to the shim log (containerd's BUNDLE/log
 * FIFO once serving, stderr before). Never blocks: lines are dropped when
 * the FIFO is full. */
enum { WL_LOG_DEBUG, WL_LOG_INFO, WL_LOG_WARN, WL_LOG_ERROR };
void wl__log_set_fd(int fd, bool debug);
void wl__log(int level, const char *fmt, ...) WA_PRINTF(2, 3);

/* ------------------------------------------------------------- ttrpc */

/* gRPC status codes (google.rpc.Code) the shim answers with. */
#define WL_GRPC_MAP(X)                                                         \
  X(OK, 0)                                                                     \
  X(CANCELLED, 1)                                                              \
  X(UNKNOWN, 2)                                                                \
  X(INVALID_ARGUMENT, 3)                                                       \
  X(DEADLINE_EXCEEDED, 4)                                                      \
  X(NOT_FOUND, 5)                                                              \
  X(ALREADY_EXISTS, 6)                                                         \
  X(PERMISSION_DENIED, 7)                                                      \
  X(RESOURCE_EXHAUSTED, 8)                                                     \
  X(FAILED_PRECONDITION, 9)                                                    \
  X(UNIMPLEMENTED, 12)                                                         \
  X(INTERNAL, 13)                                                              \
  X(UNAVAILABLE, 14)

enum {
#define WL__X(name, value) WL_GRPC_##name = value,
  WL_GRPC_MAP(WL__X)
#undef WL__X
};

/* The 10-byte ttrpc frame header (big-endian): data length, stream id,
 * message type, flags. Data is at most WL_TTRPC_MAX bytes. */
#define WL_TTRPC_HDR 10
#define WL_TTRPC_MAX (4u << 20)
enum { WL_TTRPC_REQUEST = 1, WL_TTRPC_RESPONSE = 2 };

typedef struct wl__frame_hdr {
  uint32_t len;
  uint32_t sid;
  uint8_t type;
  uint8_t flags;
} wl__frame_hdr;

void wl__ttrpc_hdr_encode(const wl__frame_hdr *h, uint8_t out[WL_TTRPC_HDR]);
void wl__ttrpc_hdr_decode(const uint8_t in[WL_TTRPC_HDR], wl__frame_hdr *h);

/* Reads exactly n bytes. Returns 0, 1 on a clean EOF before the first
 * byte, or -1 with errno (EPIPE for EOF in the middle). */
int wl__read_full(int fd, void *p, size_t n);
int wl__write_full(int fd, const void *p, size_t n);

/* The answer to one request: a gRPC status and, when OK, the packed
 * response message (wa_malloc'd, owned by the reply). */
typedef struct wl__reply {
  int code;
  char msg[512];
  uint8_t *payload;
  size_t len;
  bool wake_after; /* wake the main loop once the reply is sent (Shutdown) */
} wl__reply;

void wl__reply_init(wl__reply *r);
void wl__reply_free(wl__reply *r);
/* Sets an error status (first one wins); returns the code. */
int wl__reply_err(wl__reply *r, int code, const char *fmt, ...) WA_PRINTF(3, 4);
/* Packs m as the payload; an allocation failure becomes an error status. */
void wl__reply_msg(wl__reply *r, const ProtobufCMessage *m);

/* Serves one request. Runs on its own thread; may block (Wait does). */
typedef void (*wl__ttrpc_handler)(void *ud, const char *service,
                                  const char *method, const uint8_t *payload,
                                  size_t len, wl__reply *out);

/* Takes ownership of the connected socket fd and serves it on a detached
 * reader thread; every request runs on a thread of its own and responses
 * are written under a per-connection lock, so a pending Wait never blocks
 * State or Kill. */
int wl__ttrpc_serve(int fd, wl__ttrpc_handler h, void *ud,
                    wa_err *err) WA_MUST_CHECK;

/* Builds a complete Request frame for service/method with payload. */
int wl__ttrpc_request_frame(uint32_t sid, const char *service,
                            const char *method, const uint8_t *payload,
                            size_t len, int64_t timeout_ns, wa_buf *out,
                            wa_err *err) WA_MUST_CHECK;

/* Client side: one unary call on a connected socket, waiting at most
 * timeout_ms for the response (frames for other streams are skipped).
 * A transport failure is an error; a remote error status is in out. */
int wl__ttrpc_call(int fd, uint32_t sid, const char *service,
                   const char *method, const uint8_t *payload, size_t len,
                   int timeout_ms, wl__reply *out, wa_err *err) WA_MUST_CHECK;

/* Connects a SOCK_STREAM unix socket to path ("unix://" prefix allowed). */
int wl__unix_dial(const char *path, int *out_fd, wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------- protobuf */

/* Timestamp of now / of ts. */
void wl__ts_now(struct timespec *ts);

/* Packs a message into a wa_malloc'd buffer. */
int wl__pack(const ProtobufCMessage *m, uint8_t **out, size_t *out_len,
             wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------- events */

/* Starts the publisher thread forwarding events to containerd's ttrpc
 * Events service at addr (TTRPC_ADDRESS) under namespace ns. Events are
 * delivered in publish order; a failed forward is retried with back-off
 * (containerd may be restarting). */
int wl__events_start(const char *addr, const char *ns,
                     wa_err *err) WA_MUST_CHECK;
/* Queues an event; type_url is the bare proto name
 * ("containerd.events.TaskExit"). */
void wl__events_publish(const char *topic, const char *type_url,
                        const ProtobufCMessage *ev);
/* Waits until the queue is empty or timeout_ms passed. */
void wl__events_drain(int timeout_ms);

/* ------------------------------------------------------------- stdio */

/* Returns the write end of a pipe for the task's stdout or stderr; a
 * thread opens the client's FIFO (waiting for its reader) and copies the
 * pipe to it until the task side is closed, dropping output while the
 * FIFO has no reader. */
int wl__io_pipe(const char *fifo, int *out_task_fd, wa_err *err) WA_MUST_CHECK;
/* Waits until every copy has finished or timeout_ms passed. */
void wl__io_drain(int timeout_ms);

/* ------------------------------------------------------------- spec */

/* Linux namespaces a spec can ask for, in the order they are joined. */
#define WL_NS_MAP(X)                                                           \
  X(USER, "user", CLONE_NEWUSER)                                               \
  X(IPC, "ipc", CLONE_NEWIPC)                                                  \
  X(UTS, "uts", CLONE_NEWUTS)                                                  \
  X(NET, "network", CLONE_NEWNET)                                              \
  X(PID, "pid", CLONE_NEWPID)                                                  \
  X(CGROUP, "cgroup", CLONE_NEWCGROUP)                                         \
  X(MOUNT, "mount", CLONE_NEWNS)

enum {
#define WL__X(name, json, flag) WL_NS_##name,
  WL_NS_MAP(WL__X)
#undef WL__X
      WL_NS_COUNT
};

typedef struct wl__ns {
  bool wanted;      /* listed in linux.namespaces */
  const char *path; /* join this one, or NULL for a new namespace */
} wl__ns;

typedef struct wl__spec_mount {
  const char *dest, *type, *source;
  const char **options;
  size_t n_options;
} wl__spec_mount;

typedef struct wl__rlimit {
  int resource;
  uint64_t soft, hard;
} wl__rlimit;

/* The parts of an OCI runtime spec (config.json) the shim uses. Strings
 * live in the arena. Numeric limits are -1 when absent. */
typedef struct wl__spec {
  wa_arena arena;
  const char **args;
  size_t n_args;
  const char **env;
  size_t n_env;
  const char *cwd;
  bool terminal;
  const char *root_path;
  bool root_readonly;
  const char *hostname;
  wl__spec_mount *mounts;
  size_t n_mounts;
  wl__ns ns[WL_NS_COUNT];
  wl__rlimit *rlimits;
  size_t n_rlimits;
  const char *cgroups_path;
  int64_t mem_limit, mem_swap, pids_limit, cpu_quota;
  int64_t cpu_shares, cpu_period;
  const char *cpuset_cpus, *cpuset_mems;
  /* CRI: "sandbox" or "container", NULL outside Kubernetes. */
  const char *container_type;
  /* annotations naming the image: CRI's io.kubernetes.cri.image-name, and
   * io.wasmaot.image (ctr run --annotation) asking for a Wasm artifact of
   * the wasmaot image store. NULL when absent. */
  const char *cri_image;
  const char *wasmaot_image;
} wl__spec;

int wl__spec_parse(const char *json, size_t len, wl__spec *out,
                   wa_err *err) WA_MUST_CHECK;
/* Parses a LinuxResources object alone (the JSON of an Update request)
 * into the limit fields of out. */
int wl__spec_parse_resources(const char *json, size_t len, wl__spec *out,
                             wa_err *err) WA_MUST_CHECK;
/* Reads BUNDLE/config.json. */
int wl__spec_load(const char *bundle, wl__spec *out, wa_err *err) WA_MUST_CHECK;
void wl__spec_free(wl__spec *s);
/* The value of NAME in the spec's env, or NULL. */
const char *wl__spec_getenv(const wl__spec *s, const char *name);

/* The shim's own settings: a JSON file named by the runtime options
 * (runtimeoptions.v1.Options.config_path: CRI's ConfigPath, ctr's
 * --runtime-config-path). Unset strings stay empty. */
typedef struct wl__shim_config {
  char runtime[4096];   /* "runtime": the wasmaot binary */
  char cache_dir[4096]; /* "cache_dir": WASMAOT_CACHE_DIR for the task */
  char store_dir[4096]; /* "store_dir": the wasmaot image store */
} wl__shim_config;

int wl__shim_config_load(const char *path, wl__shim_config *out,
                         wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------- mounts */

/* One rootfs mount from CreateTaskRequest (containerd.types.Mount). */
typedef struct wl__mount {
  const char *type, *source;
  const char *const *options;
  size_t n_options;
} wl__mount;

/* Splits mount(8)-style options into MS_* flags and the data string
 * ("lowerdir=…,upperdir=…"). Propagation options are refused. */
int wl__mount_options(const char *const *opts, size_t n, unsigned long *flags,
                      char *data, size_t data_cap, wa_err *err) WA_MUST_CHECK;

/* Mounts the list on target in order (stacked). A read-only bind gets its
 * remount. On failure the ones already mounted are undone. */
int wl__rootfs_mount(const char *target, const wl__mount *m, size_t n,
                     wa_err *err) WA_MUST_CHECK;
/* Unmounts everything on target (lazily, until nothing is left). */
int wl__rootfs_unmount(const char *target, wa_err *err) WA_MUST_CHECK;
/* Classifies a spec mount. A bind (type bind/rbind or option bind/rbind)
 * fills out; with in_mount_ns its target is created inside the rootfs.
 * Other types (proc, sysfs, tmpfs, …) serve Linux processes, not WASI
 * guests, and are skipped by the caller. */
struct wl__bind;
int wl__bind_prepare(const char *rootfs, const wl__spec_mount *m,
                     bool in_mount_ns, struct wl__bind *out, bool *is_bind,
                     wa_err *err) WA_MUST_CHECK;
/* True when a file system is mounted exactly on path. */
bool wl__is_mountpoint(const char *path);

/* ------------------------------------------------------------- cgroups */

typedef struct wl__cgroup {
  int version;   /* 1 or 2; 0 = no cgroup (setup failed or not asked) */
  char rel[512]; /* the path below each hierarchy root, "/default/t1" */
} wl__cgroup;

/* Maps a spec cgroupsPath ("/a/b", "a/b", "slice:prefix:name") to the
 * relative path; an empty one becomes /wasmaot/<ns>/<id>. */
int wl__cgroup_path(const char *spec_path, const char *ns, const char *id,
                    char *out, size_t cap, wa_err *err) WA_MUST_CHECK;
/* Creates the cgroup (v2 if /sys/fs/cgroup is cgroup2, else the v1
 * memory, pids, cpu, cpuacct and freezer hierarchies) and applies the
 * limits of s. */
int wl__cgroup_create(wl__cgroup *cg, const char *rel, const wl__spec *s,
                      wa_err *err) WA_MUST_CHECK;
/* Applies the limits of s that are set (>= 0) to an existing cgroup. */
int wl__cgroup_update(const wl__cgroup *cg, const wl__spec *s,
                      wa_err *err) WA_MUST_CHECK;
/* Finds an existing cgroup for rel (the `delete` subcommand). */
void wl__cgroup_open(wl__cgroup *cg, const char *rel);
int wl__cgroup_attach(const wl__cgroup *cg, pid_t pid,
                      wa_err *err) WA_MUST_CHECK;
/* The pids in the cgroup (wa_malloc'd array). */
int wl__cgroup_pids(const wl__cgroup *cg, pid_t **out, size_t *n_out,
                    wa_err *err) WA_MUST_CHECK;
/* Sends sig to every process in the cgroup; returns how many. */
int wl__cgroup_signal(const wl__cgroup *cg, int sig);
/* Number of OOM kills recorded for the cgroup (0 if unknown). */
uint64_t wl__cgroup_oom_kills(const wl__cgroup *cg);
/* The memory limit in bytes, or 0 if none. */
uint64_t wl__cgroup_mem_limit(const wl__cgroup *cg);
int wl__cgroup_freeze(const wl__cgroup *cg, bool frozen,
                      wa_err *err) WA_MUST_CHECK;
/* Packs io.containerd.cgroups.v1.Metrics or .v2.Metrics. */
int wl__cgroup_stats(const wl__cgroup *cg, const char **out_type_url,
                     uint8_t **out, size_t *out_len, wa_err *err) WA_MUST_CHECK;
/* Removes the cgroup directories (waiting briefly for them to empty). */
int wl__cgroup_destroy(const wl__cgroup *cg, wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------- reaper */

/* Every child of the shim is reaped by the main loop (SIGCHLD through a
 * signalfd); a pid registered while holding the reaper lock cannot be
 * reaped before it is registered, so fork under the lock. */
typedef void (*wl__exit_fn)(void *ud, pid_t pid, int status);
void wl__reaper_lock(void);
void wl__reaper_unlock(void);
/* Under the lock: calls fn(ud, pid, status) from the main loop. */
void wl__reaper_watch(pid_t pid, wl__exit_fn fn, void *ud);
/* Reaps every exited child (called on SIGCHLD). */
void wl__reaper_run(void);
/* Runs argv (envp) with stdout+stderr captured (at most cap-1 bytes kept,
 * NUL-terminated), waiting at most timeout_ms before killing it. */
int wl__run_capture(char *const *argv, char *const *envp, char *out, size_t cap,
                    int timeout_ms, int *out_status, wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------- process */

/* A spec bind mount, placed in the task's mount namespace on dest inside
 * the rootfs. The shim created dest beforehand; the child resolves it with
 * RESOLVE_IN_ROOT, so a symlink in the image cannot redirect the mount. */
typedef struct wl__bind {
  const char *source, *dest;
  bool readonly, recursive;
} wl__bind;

/* What the shim hands the per-task process. All strings are prepared by
 * the caller: the child of a multi-threaded process must not allocate. */
typedef struct wl__launch {
  const wl__spec *spec;
  const char *rootfs;       /* host path of the mounted rootfs */
  const char *workdir;      /* host path of the cwd inside the rootfs */
  char *const *argv;        /* the wasmaot command line, NULL for pause */
  char *const *envp;        /* wasmaot's own environment */
  int stdio[3];             /* becomes fds 0, 1, 2 */
  const wl__cgroup *cgroup; /* joined before anything runs */
  const wl__bind *binds;
  size_t n_binds;
  int last_cap; /* /proc/sys/kernel/cap_last_cap */
} wl__launch;

typedef struct wl__proc {
  pid_t pid;    /* what containerd sees: supervisor or runner */
  int start_fd; /* write end: one byte starts the module */
  int sync_fd;  /* read end: setup and exec reports, EOF after exec */
} wl__proc;

/* Forks the task process with the namespaces, cgroup, mounts and limits
 * of the spec and waits until it is ready to exec (the module does not run
 * yet). The exit is reported to fn through the reaper. */
int wl__proc_create(const wl__launch *l, wl__exit_fn fn, void *ud,
                    wl__proc *out, wa_err *err) WA_MUST_CHECK;
/* Releases the process; returns once it has exec'd (or failed to). */
int wl__proc_start(wl__proc *p, wa_err *err) WA_MUST_CHECK;
void wl__proc_close(wl__proc *p);

/* Exit status containerd expects: the code, or 128+signal. */
uint32_t wl__exit_status(int wait_status);

/* ------------------------------------------------------------- module */

/* Resolves the spec's args[0] inside rootfs (never escaping it: symlinks
 * are followed as if rootfs were /), checks it is a Wasm module or a
 * wasmaot artifact and writes its host path. */
int wl__module_find(const char *rootfs, const wl__spec *s, char *out,
                    size_t cap, wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------- artifacts */

/* Annotation of the OCI spec that runs a Wasm artifact of the wasmaot
 * image store (a reference or digest as `wasmaot images` lists it). */
#define WL_ANN_IMAGE "io.wasmaot.image"
#define WL_ANN_CRI_IMAGE "io.kubernetes.cri.image-name"

/* Checks in Create that the artifact cache at dir is usable by the task's
 * runner (same uid, no capabilities): a private directory (created 0700
 * when missing), writable by its owner, on a writable file system with
 * space left. Errors start with "cache: " and name the path and cause. */
int wl__cache_check(const char *dir, wa_err *err) WA_MUST_CHECK;

/* Finds the Wasm artifact ref (reference or digest) in the wasmaot image
 * store at root (never created here; it must be owned by the shim's uid)
 * and writes the host path of its module blob (verified on the way).
 * WA_ENOTFOUND when the store or the image is missing; rootfs images are
 * refused (containerd unpacks those). */
int wl__store_module(const char *root, const char *ref, char *out, size_t cap,
                     wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------- task */

typedef struct wl__shim_opts {
  const char *ns;      /* -namespace */
  const char *address; /* -address (containerd's gRPC socket) */
  const char *publish; /* -publish-binary */
  const char *id;      /* -id */
  const char *bundle;  /* the bundle directory (cwd) */
  const char *runner;  /* the wasmaot binary */
  bool debug;
} wl__shim_opts;

/* The containerd.task.v2.Task service (one task per shim). */
void wl__task_init(const wl__shim_opts *o);
void wl__task_handle(void *ud, const char *service, const char *method,
                     const uint8_t *payload, size_t len, wl__reply *out);
/* True once Shutdown asked the shim to exit (main loop checks it). */
bool wl__task_shutdown_requested(void);
/* The main loop's eventfd, and a write to it (after Shutdown's reply). */
void wl__main_set_wake(int fd);
void wl__main_wake(void);

/* Files the shim keeps in the bundle (for the `delete` subcommand after a
 * crash): the task pid with its start time, and its exit status. */
#define WL_PIDFILE "wasmaot-task.pid"
#define WL_EXITFILE "wasmaot-task.exit"

/* Start time of pid from /proc/pid/stat (field 22), 0 if gone. */
uint64_t wl__proc_starttime(pid_t pid);

#endif
