/*
 * test_store.c: cache/store.c and get.c — misses fill once, hits map the
 * published bytes, publication is atomic even when the writer is killed at
 * any step.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(cache_store, .init = fk_setup, .fini = fk_teardown);

static int get(wk_cache *c, fk_fill *f, bool with_fill, wk_entry **out,
               wa_err *warn, wa_err *e) {
  wa_err_init(e);
  return wk_get(c, f->digest, &f->cfg, with_fill ? fk_fill_fn : NULL, f, out,
                warn, e);
}

Test(cache_store, miss_fills_once_then_hits_map_the_same_bytes) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 1);
  wk_entry *e1, *e2;
  wa_err warn, err;
  cr_assert_eq(get(c, &f, true, &e1, &warn, &err), 0, "%s", err.msg);
  cr_assert(wk_entry_filled(e1));
  cr_assert_eq(warn.code, 0);
  cr_assert_eq(f.calls, 1);
  cr_assert_eq(get(c, &f, true, &e2, &warn, &err), 0, "%s", err.msg);
  cr_assert(!wk_entry_filled(e2));
  cr_assert_eq(f.calls, 1, "a hit called fill");

  wa_buf want;
  wa_buf_init(&want);
  fk_artifact(f.digest, &f.cfg, f.payload, &want);
  cr_assert_eq(wk_entry_size(e2), want.len);
  cr_assert_eq(memcmp(wk_entry_data(e2), want.data, want.len), 0);
  cr_assert_eq((uintptr_t)wk_entry_data(e2) % 4096, 0,
               "the artifact must start page aligned");
  cr_assert(!wk_entry_imported(e2));

  struct stat st;
  cr_assert_eq(stat(wk_entry_path(e2), &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0400);
  cr_assert_eq((size_t)st.st_size, want.len + WK_TRAILER_SIZE);
  char root[160];
  snprintf(root, sizeof root, "%s/objects", fk_cache_dir);
  cr_assert_eq(stat(root, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0700);
  cr_assert_eq(fk_files_with(".lock"), 0, "the fill lock file was left");
  cr_assert_eq(fk_files_with(".tmp."), 0);
  wk_entry_release(e1);
  wk_entry_release(e2);
  wa_buf_free(&want);
  wk_close(c);
}

Test(cache_store, lookup_without_fill_reports_a_miss) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 2);
  wk_entry *e = NULL;
  wa_err err;
  cr_assert_eq(get(c, &f, false, &e, NULL, &err), WA_ENOTFOUND);
  cr_assert_null(e);
  cr_assert_eq(f.calls, 0);
  wk_close(c);
}

Test(cache_store, different_configurations_are_different_entries) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 3);
  wk_entry *e1, *e2;
  wa_err err;
  cr_assert_eq(get(c, &f, true, &e1, NULL, &err), 0, "%s", err.msg);
  f.cfg.opt_level = 0;
  cr_assert_eq(get(c, &f, true, &e2, NULL, &err), 0, "%s", err.msg);
  cr_assert_eq(f.calls, 2);
  cr_assert_str_neq(wk_entry_path(e1), wk_entry_path(e2));
  wk_entry_release(e1);
  wk_entry_release(e2);
  wk_close(c);
}

/* The fill callback must not get a wrong artifact into the cache. */
Test(cache_store, an_artifact_for_another_configuration_is_not_published) {
  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 4);
  wk_config asked = f.cfg;
  f.cfg.triple = "aarch64-unknown-linux-gnu"; /* what the "compiler" made */
  wk_entry *e = NULL;
  wa_err err;
  wa_err_init(&err);
  int rc = wk_get(c, f.digest, &asked, fk_fill_fn, &f, &e, NULL, &err);
  cr_assert_eq(rc, WA_EMISMATCH, "%s", err.msg);
  cr_assert(strstr(err.msg, "triple"), "%s", err.msg);
  cr_assert_eq(fk_files_with(".wao"), 0);
  wk_close(c);
}

static int failing_fill(void *ud, const wk_key *k, wa_buf *out, wa_err *err) {
  (void)ud;
  (void)k;
  (void)out;
  return wa_fail(err, WA_EINVALID, 12, "type mismatch in function 3");
}

Test(cache_store, a_fill_error_is_returned_and_nothing_is_published) {
  wk_cache *c = fk_open(0);
  uint8_t d[32];
  fk_digest(5, d);
  wk_config cfg = fk_config();
  wk_entry *e = NULL;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_get(c, d, &cfg, failing_fill, NULL, &e, NULL, &err),
               WA_EINVALID);
  cr_assert(strstr(err.msg, "type mismatch in function 3"), "%s", err.msg);
  cr_assert_eq(fk_files_with(".wao"), 0);
  cr_assert_eq(fk_files_with(".lock"), 0);
  wk_close(c);
}

/* ----------------------------------------------- kill -9 at every step */

static const char *kill_step;
static void kill_hook(const char *step) {
  if (strcmp(step, kill_step) == 0)
    raise(SIGKILL);
}

/* Forks a writer that dies at 'step' (NULL: inside the fill callback). */
static void run_killed_writer(const char *step, int seed) {
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    wk_cache *c = fk_open(0);
    fk_fill f;
    fk_fill_init(&f, seed);
    f.kill_mid_fill = step == NULL;
    kill_step = step;
    wk__publish_hook = step ? kill_hook : NULL;
    wk_entry *e;
    wa_err err;
    wa_err_init(&err);
    int rc = wk_get(c, f.digest, &f.cfg, fk_fill_fn, &f, &e, NULL, &err);
    _exit(rc == 0 ? 3 : 4); /* not reached when the kill works */
  }
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
            "the writer was not killed at %s (status %d)", step ? step : "fill",
            status);
}

typedef struct kill_case {
  char step[16];
  bool visible; /* is a complete entry there after the kill? */
} kill_case;

ParameterizedTestParameters(cache_store, kill_during_publish) {
  static kill_case cases[] = {{"fill", false},
                              {"temp-created", false},
                              {"temp-written", false},
                              {"temp-synced", false},
                              {"renamed", true}};
  return cr_make_param_array(kill_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(kill_case *kc, cache_store, kill_during_publish) {
  bool in_fill = strcmp(kc->step, "fill") == 0;
  run_killed_writer(in_fill ? NULL : kc->step, 6);

  wk_cache *c = fk_open(0);
  fk_fill f;
  fk_fill_init(&f, 6);
  wk_entry *e = NULL;
  wa_err err, warn;
  int rc = get(c, &f, false, &e, &warn, &err);
  if (!kc->visible) {
    cr_assert_eq(rc, WA_ENOTFOUND,
                 "a partial entry is visible after a kill "
                 "at %s: %s",
                 kc->step, err.msg);
    cr_assert_eq(fk_files_with(".wao"), 0);
    cr_assert_eq(fk_files_with(".tmp."), in_fill ? 0 : 1);
  } else {
    cr_assert_eq(rc, 0, "the renamed entry is not usable: %s", err.msg);
    cr_assert_eq(warn.code, 0);
    wk_entry_release(e);
  }
  /* The killed writer's lock is gone with it: the next fill proceeds, and
   * cleans up what the writer left. */
  cr_assert_eq(get(c, &f, true, &e, &warn, &err), 0, "%s", err.msg);
  cr_assert_eq(f.calls, kc->visible ? 0 : 1);
  cr_assert_eq(warn.code, 0, "%s", warn.msg);
  wk_entry_release(e);
  cr_assert_eq(fk_files_with(".tmp."), 0, "temp file left after refill");
  cr_assert_eq(fk_files_with(".wao"), 1);
  wk_close(c);
}

Test(cache_store, gc_sweeps_temp_and_lock_files_of_killed_writers) {
  run_killed_writer("temp-synced", 8);
  cr_assert_eq(fk_files_with(".tmp."), 1);
  cr_assert_eq(fk_files_with(".lock"), 1);
  wk_cache *c = fk_open(0);
  wk_stats st;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wk_stats_get(c, &st, &err), 0, "%s", err.msg);
  cr_assert_eq(st.n_temp, 1);
  cr_assert_eq(st.n_entries, 0);
  wk_gc_report rep;
  cr_assert_eq(wk_gc(c, WK_LIMIT_CONFIGURED, &rep, &err), 0, "%s", err.msg);
  cr_assert_eq(rep.n_temp_removed, 1);
  cr_assert_eq(rep.n_locks_removed, 1);
  cr_assert_eq(fk_files_with(".tmp."), 0);
  cr_assert_eq(fk_files_with(".lock"), 0);
  wk_close(c);
}
