// One concern: the preview1 calls without libc in between: argument and
// struct conventions, errno values, and proc_raise, which ends the run
// (SIGTERM: exit status 128 + 15).
// wasi-test: args=a bc
// wasi-test: env=K=V
// wasi-test: exit=143
// wasi-test: expect
// wasi-test: node-differs=uvwasi: errnos differ, no proc_raise (docs/wasi.md)
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

__attribute__((import_module("wasi_snapshot_preview1"),
               import_name("proc_raise"))) int32_t
raw_proc_raise(int32_t sig);

int main(int argc, char **argv) {
  __wasi_size_t n, sz;
  /* argv[0] is the module's path, which depends on where the harness
   * works: the bytes are shown without it. */
  size_t arg0 = argc > 0 ? strlen(argv[0]) + 1 : 0;
  __wasi_errno_t e = __wasi_args_sizes_get(&n, &sz);
  printf("args_sizes_get: %d argc=%u bytes=argv0+%zu\n", e, n, sz - arg0);
  printf("environ_sizes_get: %d n=%u bytes=%u\n",
         __wasi_environ_sizes_get(&n, &sz), n, sz);
  __wasi_timestamp_t t;
  printf("clock_res_get(9): %d\n", __wasi_clock_res_get(9, &t));
  printf("clock_time_get(monotonic): %d\n",
         __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t));
  __wasi_prestat_t ps;
  printf("prestat_get(3): %d tag=%d len=%u\n", __wasi_fd_prestat_get(3, &ps),
         ps.tag, ps.u.dir.pr_name_len);
  char name[16] = {0};
  printf("prestat_dir_name(3): %d \"%s\"\n",
         __wasi_fd_prestat_dir_name(3, (uint8_t *)name, sizeof name), name);
  printf("prestat_get(0): %d\n", __wasi_fd_prestat_get(0, &ps));
  printf("prestat_get(4): %d\n", __wasi_fd_prestat_get(4, &ps));
  uint8_t rnd[4];
  printf("random_get(0 bytes): %d\n", __wasi_random_get(rnd, 0));
  printf("sched_yield: %d\n", __wasi_sched_yield());
  /* Files by raw path_open. */
  __wasi_fd_t fd;
  printf("path_open bad oflags: %d\n",
         __wasi_path_open(3, 0, "x", 0x10, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  printf("path_open create: %d\n",
         __wasi_path_open(3, 0, "x", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL,
                          __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ |
                              __WASI_RIGHTS_FD_SEEK |
                              __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |
                              __WASI_RIGHTS_FD_FILESTAT_GET,
                          0, 0, &fd));
  __wasi_ciovec_t iov[2] = {{(const uint8_t *)"abc", 3},
                            {(const uint8_t *)"de", 2}};
  printf("fd_write 2 iovecs: %d n=%u\n", __wasi_fd_write(fd, iov, 2, &sz), sz);
  __wasi_filesize_t pos;
  printf("fd_seek bad whence: %d\n", __wasi_fd_seek(fd, 0, 3, &pos));
  printf("fd_seek end: %d pos=%llu\n",
         __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos),
         (unsigned long long)pos);
  printf("fd_filestat_set_times ATIM|ATIM_NOW: %d\n",
         __wasi_fd_filestat_set_times(
             fd, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
  __wasi_filestat_t fs;
  printf("fd_filestat_get: %d type=%d size=%llu nlink=%llu\n",
         __wasi_fd_filestat_get(fd, &fs), fs.filetype,
         (unsigned long long)fs.size, (unsigned long long)fs.nlink);
  printf("sock_shutdown on a file: %d\n",
         __wasi_sock_shutdown(fd, __WASI_SDFLAGS_WR));
  printf("sock_accept on a dir: %d\n", __wasi_sock_accept(3, 0, &fd));
  printf("path_symlink absolute: %d\n", __wasi_path_symlink("/etc", 3, "l"));
  printf("path_filestat_get dotdot: %d\n",
         __wasi_path_filestat_get(3, 0, "..", &fs));
  printf("fd_close(99): %d\n", __wasi_fd_close(99));
  /* poll_oneoff: a bad fd completes at once with its error. */
  __wasi_subscription_t sub[2];
  memset(sub, 0, sizeof sub);
  sub[0].userdata = 11;
  sub[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  sub[0].u.u.fd_read.file_descriptor = 77;
  sub[1].userdata = 22;
  sub[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  sub[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub[1].u.u.clock.timeout = 5000000000ull;
  __wasi_event_t ev[2];
  printf("poll_oneoff: %d", __wasi_poll_oneoff(sub, ev, 2, &n));
  printf(" n=%u ud=%llu err=%d type=%d\n", n,
         (unsigned long long)ev[0].userdata, ev[0].error, ev[0].type);
  printf("poll_oneoff(0 subs): %d\n", __wasi_poll_oneoff(sub, ev, 0, &n));
  /* fd_readdir with a tiny buffer: the first entry is cut. */
  uint8_t dbuf[30];
  printf("fd_readdir(30 bytes): %d used=",
         __wasi_fd_readdir(3, dbuf, 30, 0, &sz));
  printf("%u\n", sz);
  printf("proc_raise(0): %d\n", raw_proc_raise(0));
  printf("proc_raise(SIGCHLD): %d\n", raw_proc_raise(16));
  printf("proc_raise(99): %d\n", raw_proc_raise(99));
  printf("proc_raise(SIGTERM) ends the run\n");
  fflush(stdout);
  raw_proc_raise(15);
  printf("not reached\n");
  return 0;
}
