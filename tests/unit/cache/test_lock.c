/*
 * test_lock.c: cache/lock.c — processes missing the same key together
 * compile it once; the others wait for the fill and load its result.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(cache_lock, .init = fk_setup, .fini = fk_teardown);

enum { N_PROCS = 8 };

/* Child: wait for the start signal, get the entry, check its bytes.
 * Exit 0 on success, 10+ on a failure (no Criterion asserts in children). */
static int child(int start_fd, const char *counter, int seed) {
  char go;
  if (read(start_fd, &go, 1) != 0)
    return 10;
  wk_cache *c = NULL;
  wa_err err, warn;
  wa_err_init(&err);
  wk_options o = {.read_meta = fk_read_meta};
  if (wk_open(fk_cache_dir, &o, &c, &err) != 0)
    return 11;
  fk_fill f;
  fk_fill_init(&f, seed);
  f.counter = counter;
  f.delay_ms = 300; /* everyone else arrives while this fill runs */
  wk_entry *e = NULL;
  if (wk_get(c, f.digest, &f.cfg, fk_fill_fn, &f, &e, &warn, &err) != 0) {
    fprintf(stderr, "child: %s\n", err.msg);
    return 12;
  }
  wa_buf want;
  wa_buf_init(&want);
  fk_artifact(f.digest, &f.cfg, f.payload, &want);
  int rc = wk_entry_size(e) == want.len &&
                   memcmp(wk_entry_data(e), want.data, want.len) == 0 &&
                   warn.code == 0
               ? 0
               : 13;
  wa_buf_free(&want);
  wk_entry_release(e);
  wk_close(c);
  return rc;
}

static void race(int seed, const char *counter) {
  int start[2];
  pid_t pids[N_PROCS];
  cr_assert_eq(pipe(start), 0);
  for (int i = 0; i < N_PROCS; i++) {
    pids[i] = fork();
    cr_assert_geq(pids[i], 0);
    if (pids[i] == 0) {
      close(start[1]);
      _exit(child(start[0], counter, seed));
    }
  }
  close(start[0]);
  close(start[1]); /* EOF releases all children at once */
  for (int i = 0; i < N_PROCS; i++) {
    int status;
    cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "process %d failed (status 0x%x)", i, status);
  }
}

Test(cache_lock, eight_processes_missing_one_key_fill_it_once) {
  char counter[128];
  snprintf(counter, sizeof counter, "%s/fills", fk_dir);
  wk_cache *c = fk_open(0); /* create the directory before the race */
  wk_close(c);
  race(1, counter);
  cr_assert_eq(fk_count(counter), 1, "fill ran %d times", fk_count(counter));
  cr_assert_eq(fk_files_with(".wao"), 1);
  cr_assert_eq(fk_files_with(".lock"), 0);
  cr_assert_eq(fk_files_with(".tmp."), 0);
}

Test(cache_lock, racing_on_a_fresh_cache_directory_also_fills_once) {
  char counter[128];
  snprintf(counter, sizeof counter, "%s/fills", fk_dir);
  race(2, counter); /* every process creates the directories */
  cr_assert_eq(fk_count(counter), 1, "fill ran %d times", fk_count(counter));
}

Test(cache_lock, different_keys_fill_in_parallel) {
  char counter[128];
  snprintf(counter, sizeof counter, "%s/fills", fk_dir);
  wk_cache *c = fk_open(0);
  wk_close(c);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pids[4];
  for (int i = 0; i < 4; i++) {
    pids[i] = fork();
    cr_assert_geq(pids[i], 0);
    if (pids[i] == 0) {
      int p[2];
      if (pipe(p) != 0)
        _exit(9);
      close(p[1]);
      _exit(child(p[0], counter, 100 + i));
    }
  }
  for (int i = 0; i < 4; i++) {
    int status;
    cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  cr_assert_eq(fk_count(counter), 4);
  cr_assert_eq(fk_files_with(".wao"), 4);
  /* four 300 ms fills one after another would take 1200 ms */
  cr_assert_lt(ms, 1000.0, "fills of different keys were serialized (%.0f ms)",
               ms);
}

/* A process waiting on a fill lock whose holder is killed takes over. */
Test(cache_lock, a_killed_filler_releases_the_key_to_a_waiter) {
  char counter[128];
  snprintf(counter, sizeof counter, "%s/fills", fk_dir);
  wk_cache *c = fk_open(0);
  pid_t killer = fork();
  cr_assert_geq(killer, 0);
  if (killer == 0) {
    fk_fill f;
    fk_fill_init(&f, 3);
    f.counter = counter;
    f.delay_ms = 300;
    f.kill_mid_fill = true;
    wk_entry *e;
    wa_err err;
    wa_err_init(&err);
    int rc = wk_get(c, f.digest, &f.cfg, fk_fill_fn, &f, &e, NULL, &err);
    _exit(rc == 0 ? 3 : 4);
  }
  usleep(100 * 1000); /* the child now holds the lock, sleeping in fill */
  fk_fill f;
  fk_fill_init(&f, 3);
  f.counter = counter;
  wk_entry *e;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_get(c, f.digest, &f.cfg, fk_fill_fn, &f, &e, NULL, &err), 0,
               "%s", err.msg);
  cr_assert_eq(fk_count(counter), 2, "the waiter did not fill after the kill");
  cr_assert(wk_entry_filled(e));
  int status;
  cr_assert_eq(waitpid(killer, &status, 0), killer);
  cr_assert(WIFSIGNALED(status));
  wk_entry_release(e);
  wk_close(c);
}
