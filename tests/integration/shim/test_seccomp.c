/*
 * test_seccomp.c: the task process's allowlist (launcher/shim/
 * seccomp_linux.c). Each case forks, installs the filter in the child and
 * does what the runtime does while a module runs, or one thing it must
 * never do, which has to end in SIGSYS.
 */
#include "shim_sandbox.h"

#include <criterion/criterion.h>

#ifndef WL_TEST_DOCS
#error "WL_TEST_DOCS must name docs/shim.md"
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs fn in a child under the filter; returns the wait status. */
static int run_confined(void (*fn)(void)) {
  fflush(NULL);
  pid_t p = fork();
  cr_assert_geq(p, 0);
  if (p == 0) {
    wa_err err;
    wa_err_init(&err);
    if (wl_seccomp_install(&err) != 0) {
      fprintf(stderr, "install: %s\n", err.msg);
      _exit(10);
    }
    fn();
    _exit(0);
  }
  int st;
  cr_assert_eq(waitpid(p, &st, 0), p);
  return st;
}

static void expect_sigsys(void (*fn)(void), const char *what) {
  int st = run_confined(fn);
  cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
            "%s: expected SIGSYS, got status 0x%x", what, st);
}

/* ------------------------------------------------------- allowed work */

static sigjmp_buf trap_jmp;
static void on_segv(int sig) {
  siglongjmp(trap_jmp, 1);
}

static void *thread_fn(void *arg) {
  return arg;
}

static void runtime_work(void) {
  /* A guard-mode linear memory: 8 GiB reserved, the first pages made
   * read-write by memory.grow, the rest faults. */
  size_t resv = (size_t)8 << 30;
  uint8_t *mem = mmap(NULL, resv, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED)
    _exit(20);
  if (mprotect(mem, 1 << 20, PROT_READ | PROT_WRITE) != 0)
    _exit(21);
  memset(mem, 0x5a, 1 << 20);
  if (madvise(mem, 1 << 20, MADV_DONTNEED) != 0 || mem[0] != 0)
    _exit(22);

  /* An out-of-bounds access is a trap: SIGSEGV on an alternate stack,
   * then siglongjmp back into the runtime. */
  stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
  if (sigaltstack(&ss, NULL) != 0)
    _exit(23);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sa.sa_flags = SA_ONSTACK | SA_NODEFER;
  if (sigaction(SIGSEGV, &sa, NULL) != 0)
    _exit(24);
  if (sigsetjmp(trap_jmp, 1) == 0) {
    volatile uint8_t *oob = mem + ((size_t)4 << 30);
    *oob = 1;
    _exit(25);
  }
  if (munmap(mem, resv) != 0)
    _exit(26);

  /* WASI file work beneath a preopen. */
  char dir[] = "/tmp/wl-seccomp-XXXXXX";
  if (!mkdtemp(dir))
    _exit(27);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = openat(dfd, "f", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (dfd < 0 || fd < 0 || write(fd, "hello", 5) != 5 ||
      lseek(fd, 0, SEEK_SET) != 0)
    _exit(28);
  char buf[8];
  struct stat st;
  if (pread(fd, buf, 5, 0) != 5 || fstat(fd, &st) != 0 || st.st_size != 5 ||
      ftruncate(fd, 2) != 0 || fsync(fd) != 0)
    _exit(29);
  if (mkdirat(dfd, "d", 0755) != 0 || renameat(dfd, "f", dfd, "d/g") != 0 ||
      fstatat(dfd, "d/g", &st, AT_SYMLINK_NOFOLLOW) != 0)
    _exit(30);
  DIR *dd = fdopendir(dup(dfd));
  int entries = 0;
  while (dd && readdir(dd))
    entries++;
  if (!dd || entries != 3)
    _exit(31);
  closedir(dd);
  if (unlinkat(dfd, "d/g", 0) != 0 || unlinkat(dfd, "d", AT_REMOVEDIR) != 0)
    _exit(32);
  close(fd);
  close(dfd);
  if (rmdir(dir) != 0)
    _exit(33);

  /* Clocks, randomness, sleeping and polling. */
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 ||
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0 ||
      clock_getres(CLOCK_REALTIME, &ts) != 0)
    _exit(34);
  uint8_t rnd[16];
  if (syscall(SYS_getrandom, rnd, sizeof rnd, 0) != (long)sizeof rnd)
    _exit(35);
  nanosleep(&(struct timespec){0, 1000000}, NULL);
  struct pollfd pf = {.fd = 1, .events = POLLOUT};
  if (poll(&pf, 1, 0) < 0)
    _exit(36);

  /* A thread (clone3 is refused with ENOSYS, libc falls back to clone). */
  pthread_t t;
  void *ret;
  if (pthread_create(&t, NULL, thread_fn, (void *)7) != 0 ||
      pthread_join(t, &ret) != 0 || ret != (void *)7)
    _exit(37);
  if (isatty(1) < 0 || getpid() <= 0)
    _exit(38);
  /* Signals to itself (raise, the runtime's own wakeups): the rule that
   * carries this process's pid. */
  if (kill(getpid(), 0) != 0 ||
      syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), 0) != 0)
    _exit(39);
  free(ss.ss_sp);
}

Test(shim_seccomp, runtime_work_is_allowed) {
  int st = run_confined(runtime_work);
  cr_assert(WIFEXITED(st), "killed by signal %d", WTERMSIG(st));
  cr_assert_eq(WEXITSTATUS(st), 0, "step %d failed", WEXITSTATUS(st));
}

/* ------------------------------------------------------- refused */

static void do_socket(void) {
  socket(AF_INET, SOCK_STREAM, 0);
}
static void do_exec(void) {
  char *argv[] = {(char *)"/bin/true", NULL};
  execve("/bin/true", argv, NULL);
}
static void do_fork(void) {
  syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
}
static void do_mmap_exec(void) {
  mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
static void do_mprotect_exec(void) {
  void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(p, 4096, PROT_READ | PROT_EXEC);
}
static pid_t parent;
static void do_kill_other(void) {
  kill(parent, 0);
}
static void do_ptrace(void) {
  syscall(SYS_ptrace, 0, 0, 0, 0);
}
static void do_ioctl_other(void) {
  ioctl(0, 0x5412 /* TIOCSTI */, "x");
}
static void do_setrlimit(void) {
  struct rlimit rl = {1, 1};
  syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, NULL);
}

Test(shim_seccomp, escapes_end_in_sigsys) {
  parent = getpid();
  expect_sigsys(do_socket, "socket");
  expect_sigsys(do_exec, "execve");
  expect_sigsys(do_fork, "fork");
  expect_sigsys(do_mmap_exec, "mmap PROT_EXEC");
  expect_sigsys(do_mprotect_exec, "mprotect PROT_EXEC");
  expect_sigsys(do_kill_other, "kill of another process");
  expect_sigsys(do_ptrace, "ptrace");
  expect_sigsys(do_ioctl_other, "ioctl TIOCSTI");
  expect_sigsys(do_setrlimit, "prlimit64 set");
}

/* The precompiled program (seccomp_gen.c) is, for any pid, exactly what
 * libseccomp builds at run time from seccomp.def. */
Test(shim_seccomp, precompiled_program_is_what_libseccomp_builds) {
  static struct sock_filter pre[BPF_MAXINSNS];
  static uint8_t built[sizeof pre + 1];
  const uint32_t pids[] = {(uint32_t)getpid(), 1, 2, 4194304};
  for (size_t k = 0; k < sizeof pids / sizeof pids[0]; k++) {
    size_t n = wl_seccomp_program(pids[k], pre, sizeof pre);
    if (n == 0)
      cr_skip_test("this build has no precompiled filter (a cross build)");
    int fd = memfd_create("bpf", MFD_CLOEXEC);
    cr_assert_geq(fd, 0);
    wa_err err;
    wa_err_init(&err);
    cr_assert_eq(wl_seccomp_export(pids[k], fd, &err), 0, "%s", err.msg);
    ssize_t len = pread(fd, built, sizeof built, 0);
    close(fd);
    cr_assert_eq(len, (ssize_t)(n * sizeof pre[0]),
                 "pid %u: libseccomp built %zd bytes, precompiled %zu", pids[k],
                 len, n * sizeof pre[0]);
    for (size_t i = 0; i < n; i++)
      cr_assert_eq(memcmp(&pre[i], built + i * sizeof pre[0], sizeof pre[0]), 0,
                   "pid %u: instruction %zu differs", pids[k], i);
  }
  /* Too small a buffer gives nothing rather than a truncated program. */
  cr_assert_eq(wl_seccomp_program(1, pre, sizeof pre[0]), 0);
}

Test(shim_seccomp, table_rows_are_named) {
  int n = wl_seccomp_rule_count();
  cr_assert_gt(n, 50);
  for (int i = 0; i < n; i++) {
    const char *name, *rule;
    wl_seccomp_rule(i, &name, &rule);
    cr_assert_not_null(name);
    cr_assert_not_null(rule);
  }
}

Test(shim_seccomp, docs_list_every_row) {
  FILE *f = fopen(WL_TEST_DOCS, "r");
  cr_assert_not_null(f, "cannot open %s", WL_TEST_DOCS);
  static char text[1 << 17];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  for (int i = 0; i < wl_seccomp_rule_count(); i++) {
    const char *name, *rule;
    char want[64];
    wl_seccomp_rule(i, &name, &rule);
    if (strcmp(rule, "ANY") == 0)
      snprintf(want, sizeof want, "`%s`", name);
    else
      snprintf(want, sizeof want, "`%s` [%s]", name, rule);
    cr_expect(strstr(text, want), "docs/shim.md lacks %s", want);
  }
}
