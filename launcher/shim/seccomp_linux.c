/*
 * seccomp_linux.c: builds and loads the task process's seccomp filter from
 * seccomp.def with libseccomp. The default action kills the process, so a
 * module that reaches an unexpected system call through a runtime bug is
 * stopped and reported (exit 159, SIGSYS) instead of acting.
 *
 * Building the filter with libseccomp costs every task start 2-3 ms of CPU
 * (API probing, rule database, BPF generation), so the build runs
 * libseccomp once (seccomp_gen.c) and embeds the program it generates,
 * with a placeholder for the one value that differs per process (the pid
 * that kill and tgkill may target). Installing patches the placeholder and
 * loads the program; test_seccomp.c checks that the result is byte for
 * byte what libseccomp builds at run time. Cross builds, which cannot run
 * the generator, build the filter at run time.
 */
#include "shim_sandbox.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

enum { R_ANY, R_NOEXEC, R_THREAD, R_SELF, R_TTY, R_GETONLY, R_ENOSYS };
static const char rule_names[][8] = {"ANY", "NOEXEC",  "THREAD", "SELF",
                                     "TTY", "GETONLY", "ENOSYS"};

/* Names inline, not pointers: a table of pointers is relocated (its pages
 * copied) at every start of the static-pie front, which links this file
 * although only --seccomp reads it. */
#define SC_NAME_MAX 24
static const struct {
  char name[SC_NAME_MAX];
  int rule;
} rows[] = {
#define WL_SC(n, rule, why) {#n, R_##rule},
#include "seccomp.def"
#undef WL_SC
};
#define N_ROWS (int)(sizeof rows / sizeof rows[0])

/* A name that filled its array exactly would lose its NUL silently. */
#define WL_SC(n, rule, why)                                                    \
  _Static_assert(sizeof #n <= SC_NAME_MAX, "raise SC_NAME_MAX: " #n);
#include "seccomp.def"
#undef WL_SC

int wl_seccomp_rule_count(void) {
  return N_ROWS;
}

void wl_seccomp_rule(int i, const char **out_name, const char **out_rule) {
  *out_name = i >= 0 && i < N_ROWS ? rows[i].name : NULL;
  *out_rule = i >= 0 && i < N_ROWS ? rule_names[rows[i].rule] : NULL;
}

/* libseccomp's SCMP_An() leave datum_b to the compiler's zeroing, which
 * clang's -Wmissing-field-initializers rejects; spell every field. */
#define ARG(n, op_, a, b)                                                      \
  ((struct scmp_arg_cmp){                                                      \
      .arg = (n), .op = (op_), .datum_a = (a), .datum_b = (b)})

static int add(scmp_filter_ctx ctx, int nr, int rule, uint32_t self) {
  uint32_t allow = SCMP_ACT_ALLOW;
  switch (rule) {
  case R_NOEXEC:
    return seccomp_rule_add(ctx, allow, nr, 1,
                            ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  case R_THREAD:
    return seccomp_rule_add(
        ctx, allow, nr, 1,
        ARG(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  case R_SELF:
    return seccomp_rule_add(ctx, allow, nr, 1,
                            ARG(0, SCMP_CMP_EQ, (scmp_datum_t)self, 0));
  case R_TTY: {
    static const unsigned long reqs[] = {TCGETS, TIOCGWINSZ, FIONREAD};
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
      int rc = seccomp_rule_add(ctx, allow, nr, 1,
                                ARG(1, SCMP_CMP_EQ, (scmp_datum_t)reqs[i], 0));
      if (rc != 0)
        return rc;
    }
    return 0;
  }
  case R_GETONLY:
    return seccomp_rule_add(ctx, allow, nr, 1, ARG(2, SCMP_CMP_EQ, 0, 0));
  case R_ENOSYS:
    return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
  default:
    return seccomp_rule_add(ctx, allow, nr, 0);
  }
}

/* The filter for the process whose pid is self, as a libseccomp context. */
static int build(uint32_t self, scmp_filter_ctx *out, wa_err *err) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (!ctx)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF,
                   "seccomp: cannot allocate a "
                   "filter");
  int rc = 0;
  /* Every thread of the runtime, not just the caller. */
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0) {
    rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                 "seccomp: the kernel cannot synchronise threads");
    goto out;
  }
  /* Log the violation in the kernel audit log where available. */
  (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
  for (int i = 0; i < N_ROWS; i++) {
    int nr = seccomp_syscall_resolve_name(rows[i].name);
    if (nr < 0)
      continue; /* not a system call on this architecture */
    int e = add(ctx, nr, rows[i].rule, self);
    if (e != 0) {
      rc = wa_fail(err, WA_EIO, WA_NOOFF, "seccomp: rule for %s: %s",
                   rows[i].name, strerror(-e));
      goto out;
    }
  }
  *out = ctx;
  return 0;
out:
  seccomp_release(ctx);
  return rc;
}

int wl_seccomp_export(uint32_t self, int fd, wa_err *err) {
  scmp_filter_ctx ctx;
  int rc = build(self, &ctx, err);
  if (rc != 0)
    return rc;
  int e = seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  if (e != 0)
    return wa_fail(err, WA_EIO, WA_NOOFF, "seccomp: exporting the filter: %s",
                   strerror(-e));
  return 0;
}

static int install_libseccomp(wa_err *err) {
  scmp_filter_ctx ctx;
  int rc = build((uint32_t)getpid(), &ctx, err);
  if (rc != 0)
    return rc;
  int e = seccomp_load(ctx);
  if (e != 0)
    rc = wa_fail(err, e == -EINVAL ? WA_EUNSUPPORTED : WA_EIO, WA_NOOFF,
                 "seccomp: loading the filter: %s", strerror(-e));
  seccomp_release(ctx);
  return rc;
}

#ifdef WL_SECCOMP_PRECOMPILED
/* seccomp_bpf.c, written by seccomp_gen at build time. */
extern const struct sock_filter wl__seccomp_bpf[];
extern const unsigned wl__seccomp_bpf_len;

size_t wl_seccomp_program(uint32_t self, void *out, size_t cap) {
  size_t n = wl__seccomp_bpf_len;
  if (cap < n * sizeof(struct sock_filter))
    return 0;
  struct sock_filter *f = out;
  memcpy(f, wl__seccomp_bpf, n * sizeof *f);
  size_t patched = 0;
  for (size_t i = 0; i < n; i++)
    if (f[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
        f[i].k == WL_SECCOMP_PID_PLACEHOLDER) {
      f[i].k = self;
      patched++;
    }
  /* The generator made sure the placeholder is there (kill, tgkill). */
  return patched ? n : 0;
}

/* Loads the precompiled program as libseccomp's seccomp_load would:
 * no_new_privs, then seccomp(2) with TSYNC and, where the kernel has it,
 * LOG. Returns 1 when the program is unusable (then libseccomp builds
 * the filter). */
static int install_precompiled(wa_err *err) {
  struct sock_filter prog[BPF_MAXINSNS];
  size_t n = wl_seccomp_program((uint32_t)getpid(), prog, sizeof prog);
  if (n == 0)
    return 1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return wa_fail_errno(err, WA_EIO, "seccomp: setting no_new_privs");
  struct sock_fprog fp = {.len = (unsigned short)n, .filter = prog};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG, &fp);
  if (rc < 0 && errno == EINVAL) /* a kernel without the LOG flag */
    rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                 SECCOMP_FILTER_FLAG_TSYNC, &fp);
  if (rc > 0)
    return wa_fail(err, WA_EIO, WA_NOOFF,
                   "seccomp: thread %ld could not be synchronised", rc);
  if (rc < 0)
    return wa_fail_errno(
        err, errno == EINVAL || errno == ENOSYS ? WA_EUNSUPPORTED : WA_EIO,
        "seccomp: loading the filter");
  return 0;
}
#else
size_t wl_seccomp_program(uint32_t self, void *out, size_t cap) {
  (void)self;
  (void)out;
  (void)cap;
  return 0;
}
#endif

int wl_seccomp_install(wa_err *err) {
#ifdef WL_SECCOMP_PRECOMPILED
  int rc = install_precompiled(err);
  if (rc <= 0)
    return rc;
#endif
  return install_libseccomp(err);
}
