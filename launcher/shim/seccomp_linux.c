/*
 * seccomp_linux.c: builds and loads the task process's seccomp filter from
 * seccomp.def with libseccomp. The default action kills the process, so a
 * module that reaches an unexpected system call through a runtime bug is
 * stopped and reported (exit 159, SIGSYS) instead of acting.
 */
#include "shim_sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

enum { R_ANY, R_NOEXEC, R_THREAD, R_SELF, R_TTY, R_GETONLY, R_ENOSYS };

static const struct {
  const char *name;
  int rule;
  const char *rule_name;
} rows[] = {
#define WL_SC(n, rule, why) {#n, R_##rule, #rule},
#include "seccomp.def"
#undef WL_SC
};
#define N_ROWS (int)(sizeof rows / sizeof rows[0])

int wl_seccomp_rule_count(void) {
  return N_ROWS;
}

void wl_seccomp_rule(int i, const char **out_name, const char **out_rule) {
  *out_name = i >= 0 && i < N_ROWS ? rows[i].name : NULL;
  *out_rule = i >= 0 && i < N_ROWS ? rows[i].rule_name : NULL;
}

/* libseccomp's SCMP_An() leave datum_b to the compiler's zeroing, which
 * clang's -Wmissing-field-initializers rejects; spell every field. */
#define ARG(n, op_, a, b)                                                      \
  ((struct scmp_arg_cmp){                                                      \
      .arg = (n), .op = (op_), .datum_a = (a), .datum_b = (b)})

static int add(scmp_filter_ctx ctx, int nr, int rule) {
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
                            ARG(0, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
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

int wl_seccomp_install(wa_err *err) {
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
    int e = add(ctx, nr, rows[i].rule);
    if (e != 0) {
      rc = wa_fail(err, WA_EIO, WA_NOOFF, "seccomp: rule for %s: %s",
                   rows[i].name, strerror(-e));
      goto out;
    }
  }
  int e = seccomp_load(ctx);
  if (e != 0) {
    rc = wa_fail(err, e == -EINVAL ? WA_EUNSUPPORTED : WA_EIO, WA_NOOFF,
                 "seccomp: loading the filter: %s", strerror(-e));
    goto out;
  }
out:
  seccomp_release(ctx);
  return rc;
}
