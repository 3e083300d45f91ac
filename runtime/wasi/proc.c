/*
 * proc.c: args, environment, proc_exit, proc_raise, sched_yield and
 * random_get. proc_exit and a terminating proc_raise end the guest with
 * WI__EXIT (WR_TRAP_EXIT in the runtime); the host process never gets a
 * signal or an exit() from here.
 */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/random.h>

/* The shared body of args_get and environ_get: n pointers at 'ptrs', the
 * NUL-terminated strings packed at 'buf'. */
static uint32_t put_strings(const wi_mem *m, char *const *v, uint32_t n,
                            size_t bytes, uint32_t ptrs, uint32_t buf) {
  if (!wi__mem_ok(m, ptrs, (uint64_t)n * 4) || !wi__mem_ok(m, buf, bytes))
    return WI_EFAULT;
  uint32_t at = buf; /* buf + bytes <= memory size <= 4 GiB: no overflow */
  for (uint32_t i = 0; i < n; i++) {
    size_t len = strlen(v[i]) + 1;
    wi__st32(wi__mem_at(m, ptrs + 4 * i), at);
    memcpy(wi__mem_at(m, at), v[i], len);
    at += (uint32_t)len;
  }
  return WI_ESUCCESS;
}

static uint32_t put_sizes(const wi_mem *m, uint32_t n, size_t bytes,
                          uint32_t count_ptr, uint32_t size_ptr) {
  if (!wi__mem_ok(m, count_ptr, 4) || !wi__mem_ok(m, size_ptr, 4))
    return WI_EFAULT;
  wi__st32(wi__mem_at(m, count_ptr), n);
  wi__st32(wi__mem_at(m, size_ptr), (uint32_t)bytes);
  return WI_ESUCCESS;
}

uint32_t wi__args_get(wi_ctx *ctx, const wi_mem *m, uint32_t argv,
                      uint32_t buf) {
  return put_strings(m, ctx->argv, ctx->argc, ctx->argv_bytes, argv, buf);
}

uint32_t wi__args_sizes_get(wi_ctx *ctx, const wi_mem *m, uint32_t count,
                            uint32_t size) {
  return put_sizes(m, ctx->argc, ctx->argv_bytes, count, size);
}

uint32_t wi__environ_get(wi_ctx *ctx, const wi_mem *m, uint32_t env,
                         uint32_t buf) {
  return put_strings(m, ctx->env, ctx->n_env, ctx->env_bytes, env, buf);
}

uint32_t wi__environ_sizes_get(wi_ctx *ctx, const wi_mem *m, uint32_t count,
                               uint32_t size) {
  return put_sizes(m, ctx->n_env, ctx->env_bytes, count, size);
}

uint32_t wi__proc_exit(wi_ctx *ctx, const wi_mem *m, uint32_t code) {
  ctx->exited = true;
  ctx->exit_code = (int32_t)code;
  return WI__EXIT;
}

/*
 * proc_raise emulates the default action of the signal on the guest alone:
 * a signal that terminates a POSIX process ends the guest with exit status
 * 128 + the Linux signal number (what a shell reports for a death by that
 * signal); one that is ignored by default, and the job-control stops (there
 * is no job control in the sandbox), return SUCCESS; 0 ("none") is SUCCESS
 * as kill(pid, 0) is; a value past the witx enum is INVAL.
 */
uint32_t wi__proc_raise(wi_ctx *ctx, const wi_mem *m, uint32_t sig) {
  /* Indexed by the witx `signal` enum; 0 = ignored by default. */
  static const int host[] = {
      0,       SIGHUP,    SIGINT,  SIGQUIT, SIGILL,  SIGTRAP, SIGABRT, SIGBUS,
      SIGFPE,  SIGKILL,   SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,
      0,       0,         0,       0,       0,       0,       0,       SIGXCPU,
      SIGXFSZ, SIGVTALRM, SIGPROF, 0,       SIGPOLL, SIGPWR,  SIGSYS};
  if (sig >= sizeof host / sizeof host[0])
    return WI_EINVAL;
  if (host[sig] == 0)
    return WI_ESUCCESS;
  ctx->exited = true;
  ctx->exit_code = 128 + host[sig];
  return WI__EXIT;
}

uint32_t wi__sched_yield(wi_ctx *ctx, const wi_mem *m) {
  return sched_yield() == 0 ? WI_ESUCCESS : wi__errno(errno);
}

uint32_t wi__random_get(wi_ctx *ctx, const wi_mem *m, uint32_t buf,
                        uint32_t len) {
  if (!wi__mem_ok(m, buf, len))
    return WI_EFAULT;
  uint8_t *p = wi__mem_at(m, buf);
  size_t done = 0;
  while (done < len) {
    ssize_t r = getrandom(p + done, len - done, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return wi__errno(errno);
    }
    done += (size_t)r;
  }
  return WI_ESUCCESS;
}
