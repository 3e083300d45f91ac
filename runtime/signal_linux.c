/*
 * signal_linux.c: SIGSEGV/SIGBUS handling on an alternate stack. A fault
 * is a Wasm trap (out of bounds memory access) only when the pc is inside
 * registered compiled code, the address inside a registered guard-mode
 * reservation, and a wr_call is active on this thread. Anything else is a
 * host bug: the default action is restored and the fault re-raised, so it
 * crashes loudly. Also the per-thread setup (alternate stack, bounds).
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define ALT_STACK_SIZE (64u << 10)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t alt_key;
static int init_errno;

static WR_TLS bool thread_ready;

static void on_fault(int sig, siginfo_t *si, void *uc) {
  wr__frame *f = wr__top;
  wr__fault_regs r;
  wr__fault_regs_get(uc, &r);
  uintptr_t addr = (uintptr_t)si->si_addr;
  if (f && f->armed && si->si_code > 0 &&
      wr__registry_find(WR__REG_CODE, r.pc) &&
      wr__registry_find(WR__REG_MEMORY, addr)) {
    wr_trap *t = f->trap;
    t->kind = WR_TRAP_OOB_MEMORY;
    t->exit_code = 0;
    t->msg[0] = 0;
    wr__backtrace(t, r.pc, r.fp, r.sp, f->stack_top);
    f->armed = 0;
    siglongjmp(f->jb, 1);
  }
  /* Not ours. Returning re-executes the faulting instruction, which now
   * takes the default action with the original fault details; a signal
   * sent by kill() is re-sent instead. */
  signal(sig, SIG_DFL);
  if (si->si_code <= 0)
    raise(sig);
}

static void alt_free(void *p) {
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, NULL);
  munmap(p, ALT_STACK_SIZE);
}

static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  /* SA_NODEFER: the handler leaves by siglongjmp without restoring a
   * signal mask (wr_call's sigsetjmp does not save one, to stay cheap). */
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) != 0 || sigaction(SIGBUS, &sa, NULL) != 0)
    init_errno = errno;
  else if (pthread_key_create(&alt_key, alt_free) != 0)
    init_errno = ENOMEM;
}

int wr__signals_init(wa_err *err) {
  pthread_once(&once, install);
  if (init_errno) {
    errno = init_errno;
    return wa_fail_errno(err, WA_EINTERNAL, "installing the fault handler");
  }
  return 0;
}

/* The handler runs on an alternate stack, so a fault near the end of the
 * thread's stack can still be handled. Keep one the host installed. */
int wr__thread_init(wa_err *err) {
  if (thread_ready)
    return 0;
  int rc = wr__signals_init(err);
  if (rc)
    return rc;
  stack_t old;
  if (sigaltstack(NULL, &old) != 0)
    return wa_fail_errno(err, WA_EINTERNAL, "reading the signal stack");
  if ((old.ss_flags & SS_DISABLE) || old.ss_size < ALT_STACK_SIZE / 2) {
    void *p = mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED)
      return wa_fail_errno(err, WA_ENOMEM, "allocating a signal stack");
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = p;
    ss.ss_size = ALT_STACK_SIZE;
    if (sigaltstack(&ss, NULL) != 0) {
      munmap(p, ALT_STACK_SIZE);
      return wa_fail_errno(err, WA_EINTERNAL, "installing a signal stack");
    }
    pthread_setspecific(alt_key, p);
  }
  thread_ready = true;
  return 0;
}

/*
 * The main thread's stack without pthread_getattr_np, which for that thread
 * opens and parses /proc/self/maps (five system calls and the kernel
 * formatting every mapping: a visible part of a cached start). The kernel
 * places the exec file name (AT_EXECFN) at the very top of the stack
 * mapping, and the stack may grow down to RLIMIT_STACK below that top.
 * Every ordinary mmap lies at least 128 MiB (plus the guard gap and the
 * stack randomization) below the top, whatever the limit was at exec (the
 * kernel's mmap_base), so a limit under 128 MiB is a range nothing else
 * occupies: glibc's answer from /proc, without reading it. False (use
 * pthread_getattr_np) for a larger or infinite limit, or when the caller's
 * frame is not in that range (another thread, or a stack of its own).
 */
#define MAIN_STACK_SURE (128u << 20)

static bool main_stack_bounds(uintptr_t sp, uintptr_t *lo, uintptr_t *hi) {
  const char *fn = (const char *)getauxval(AT_EXECFN);
  long page = sysconf(_SC_PAGESIZE);
  struct rlimit rl;
  if (!fn || page <= 0 || getrlimit(RLIMIT_STACK, &rl) != 0 ||
      rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= MAIN_STACK_SURE)
    return false;
  uintptr_t mask = (uintptr_t)page - 1;
  uintptr_t top = ((uintptr_t)fn + strlen(fn) + 1 + mask) & ~mask;
  uintptr_t size = (uintptr_t)rl.rlim_cur & ~mask;
  if (top < size || sp >= top || sp <= top - size)
    return false;
  *lo = top - size;
  *hi = top;
  return true;
}

int wr__stack_bounds(uintptr_t *lo, uintptr_t *hi, wa_err *err) {
  if (main_stack_bounds((uintptr_t)__builtin_frame_address(0), lo, hi))
    return 0;
  pthread_attr_t attr;
  void *addr;
  size_t size;
  if (pthread_getattr_np(pthread_self(), &attr) != 0)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "reading the thread's stack");
  int rc = pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_destroy(&attr);
  if (rc != 0)
    return wa_fail(err, WA_EINTERNAL, WA_NOOFF, "reading the thread's stack");
  *lo = (uintptr_t)addr;
  *hi = (uintptr_t)addr + size;
  return 0;
}
