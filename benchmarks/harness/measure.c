/* measure: runs a command (or a sequence of commands) N times and prints one
 * line per repetition: wall time, peak RSS, CPU time, exit status. It exists
 * so that the timed interval holds nothing but posix_spawn + wait4 of the
 * engine, with no interpreter or shell in between (start-up times are ~1 ms).
 *
 *   measure [-n REPS] [-o STDOUT_FILE] [-e STDERR_FILE] [-t TIMEOUT_S]
 *           [-r RESET_DIR] -- CMD ARGS... [';;' CMD ARGS...]...
 *
 * Output per repetition: "wall_ns maxrss_kib user_us sys_us status same"
 * where status is the exit status of the first failing command (0 if all
 * succeeded, 128+N for signal N, 124 for a timeout) and `same` is 1 when the
 * repetition's stdout equals the first repetition's. RESET_DIR is emptied
 * (the directory itself stays) before every repetition, outside the timed
 * interval: cold-cache runs. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CMDS 8

typedef struct {
  char **argv[MAX_CMDS];
  int count;
} sequence;

typedef struct {
  uint64_t wall_ns, user_us, sys_us;
  long maxrss_kib;
  int status;
} sample;

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_us(struct timeval tv) {
  return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st, (void)flag;
  if (ftw->level == 0)
    return 0; /* keep the directory, empty it */
  if (remove(path) != 0 && errno != ENOENT) {
    fprintf(stderr, "measure: cannot remove %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

static int reset_dir(const char *dir) {
  if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 &&
      errno != ENOENT)
    return -1;
  return 0;
}

/* Runs one command with stdout/stderr appended to the given fds. */
static int run_one(char **argv, int out_fd, int err_fd, unsigned timeout_s,
                   sample *s) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    fprintf(stderr, "measure: cannot run %s: %s\n", argv[0], strerror(rc));
    s->status = 127;
    return -1;
  }
  timed_out = 0;
  if (timeout_s)
    alarm(timeout_s);
  int status = 0;
  struct rusage ru;
  for (;;) {
    if (wait4(pid, &status, 0, &ru) == pid)
      break;
    if (errno != EINTR) {
      fprintf(stderr, "measure: wait4: %s\n", strerror(errno));
      s->status = 127;
      return -1;
    }
    if (timed_out)
      kill(pid, SIGKILL);
  }
  alarm(0);
  s->user_us += tv_us(ru.ru_utime);
  s->sys_us += tv_us(ru.ru_stime);
  if (ru.ru_maxrss > s->maxrss_kib)
    s->maxrss_kib = ru.ru_maxrss;
  if (timed_out)
    s->status = 124;
  else if (WIFSIGNALED(status))
    s->status = 128 + WTERMSIG(status);
  else
    s->status = WEXITSTATUS(status);
  return s->status == 0 ? 0 : -1;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0, r;
  char *buf = malloc(cap);
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      char *grown = realloc(buf, cap * 2);
      if (!grown)
        free(buf);
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

static int usage(void) {
  fprintf(stderr, "usage: measure [-n REPS] [-o OUT] [-e ERR] [-t TIMEOUT_S] "
                  "[-r RESET_DIR] -- CMD ARGS... [';;' CMD ARGS...]\n");
  return 2;
}

int main(int argc, char **argv) {
  int reps = 1;
  unsigned timeout_s = 0;
  const char *out_path = "/dev/null", *err_path = "/dev/null";
  const char *reset = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "+n:o:e:t:r:")) != -1) {
    switch (opt) {
    case 'n':
      reps = atoi(optarg);
      break;
    case 'o':
      out_path = optarg;
      break;
    case 'e':
      err_path = optarg;
      break;
    case 't':
      timeout_s = (unsigned)atoi(optarg);
      break;
    case 'r':
      reset = optarg;
      break;
    default:
      return usage();
    }
  }
  if (reps < 1 || optind >= argc)
    return usage();

  sequence seq = {.count = 0};
  seq.argv[seq.count++] = &argv[optind];
  for (int i = optind; i < argc; i++)
    if (strcmp(argv[i], ";;") == 0) {
      argv[i] = NULL;
      if (seq.count == MAX_CMDS || i + 1 >= argc)
        return usage();
      seq.argv[seq.count++] = &argv[i + 1];
    }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: wait4 must see EINTR */
  sigaction(SIGALRM, &sa, NULL);

  char *first = NULL;
  size_t first_len = 0;
  int compare = strcmp(out_path, "/dev/null") != 0;
  for (int r = 0; r < reps; r++) {
    if (reset && reset_dir(reset) != 0)
      return 1;
    int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0 || err_fd < 0) {
      fprintf(stderr, "measure: cannot open output files: %s\n",
              strerror(errno));
      return 1;
    }
    sample s = {0, 0, 0, 0, 0};
    uint64_t t0 = now_ns();
    for (int c = 0; c < seq.count; c++)
      if (run_one(seq.argv[c], out_fd, err_fd, timeout_s, &s) != 0)
        break;
    s.wall_ns = now_ns() - t0;
    close(out_fd);
    close(err_fd);
    int same = 1;
    if (compare) {
      size_t len = 0;
      char *text = slurp(out_path, &len);
      if (r == 0) {
        first = text;
        first_len = len;
      } else {
        same = text && first && len == first_len &&
               memcmp(text, first, len) == 0;
        free(text);
      }
    }
    printf("%llu %ld %llu %llu %d %d\n", (unsigned long long)s.wall_ns,
           s.maxrss_kib, (unsigned long long)s.user_us,
           (unsigned long long)s.sys_us, s.status, same);
    fflush(stdout);
    if (s.status != 0)
      break; /* a failing engine is reported once, not timed */
  }
  free(first);
  return 0;
}
