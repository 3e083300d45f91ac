/*
 * runner.c: the spec conformance runner. Reads the wast2json output of
 * every root .wast (see run.sh), decodes and validates each module with
 * the front end and dispatches the commands: modules must be accepted,
 * binary assert_malformed rejected as WA_EMALFORMED, assert_invalid as
 * WA_EINVALID. Commands that need execution go to exec.h. Prints a table
 * per file, the files wast2json could not convert, and ends with
 * "N passed, N failed"; the exit status is 1 when anything failed.
 *
 *   spec_runner [-v] [-f SUBSTRING] [--fork]
 *               [--compile-only DIR [--target TRIPLE]] [--artifacts DIR]
 *               JSON_DIR
 *
 * --compile-only and --artifacts split compiling from running for cross
 * testing (tests/cross/run.sh); see spec_exec_opts in exec.h. --fork runs
 * each file in a child process: under qemu-user every 8 GiB guard
 * reservation costs emulator bookkeeping that munmap never returns, so one
 * process for the whole suite runs out of memory; a crash then also fails
 * one file instead of the run.
 */
#include "exec.h"
#include "values.h"
#include "wm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct counts {
  unsigned modules, malformed, invalid; /* front-end checks that passed */
  unsigned exec_passed;                 /* commands the back end ran */
  unsigned text;                        /* text-form modules: n/a */
  unsigned not_run;
  unsigned failed;
} counts;

typedef struct runner {
  const char *dir;
  bool verbose;
  bool fork;
  unsigned shown; /* failure lines printed */
  counts total;
} runner;

static unsigned passed_of(const counts *c) {
  return c->modules + c->malformed + c->invalid + c->exec_passed;
}

static void add_counts(counts *to, const counts *c) {
  to->modules += c->modules;
  to->malformed += c->malformed;
  to->invalid += c->invalid;
  to->exec_passed += c->exec_passed;
  to->text += c->text;
  to->not_run += c->not_run;
  to->failed += c->failed;
}

static void report_fail(runner *r, counts *c, const char *file,
                        unsigned line, const char *what, const char *msg) {
  c->failed++;
  if (!r->verbose && r->shown >= 50) {
    if (r->shown++ == 50)
      printf("  (more failures: run with -v)\n");
    return;
  }
  r->shown++;
  printf("  FAIL %s:%u: %s: %s\n", file, line, what, msg);
}

/* Decodes and validates a module file; fills err on rejection. The bytes
 * stay alive in *bytes (caller frees) for the exec back end. */
static int load(runner *r, const char *name, uint8_t **bytes, size_t *len,
                wm_module **m, wa_err *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", r->dir, name);
  *m = NULL;
  *bytes = NULL;
  int rc = wa_file_read(path, bytes, len, err);
  if (rc)
    return rc;
  return wm_load(*bytes, *len, name, m, err);
}

static const char *errtext(const wa_err *err, char *buf, size_t n) {
  char f[1024];
  snprintf(buf, n, "%s (%s)", wa_err_format(err, f, sizeof f),
           wa_err_name(err->code));
  return buf;
}

static void count_exec(runner *r, counts *c, spec_result res,
                       const char *file, unsigned line, const char *type,
                       const char *msg) {
  if (res == SPEC_PASS)
    c->exec_passed++;
  else if (res == SPEC_NOT_RUN)
    c->not_run++;
  else
    report_fail(r, c, file, line, type, msg[0] ? msg : "failed");
}

/* module, assert_malformed, assert_invalid, and the module half of
 * assert_unlinkable / assert_uninstantiable. */
static void module_cmd(runner *r, spec_exec *x, counts *c, const char *file,
                       const char *type, const json_t *cmd, unsigned line) {
  const char *filename = json_string_value(json_object_get(cmd, "filename"));
  const char *mtype = json_string_value(json_object_get(cmd, "module_type"));
  const char *text = json_string_value(json_object_get(cmd, "text"));
  char buf[1536], msg[1024] = "";
  if (mtype && strcmp(mtype, "text") == 0) {
    c->text++;
    return;
  }
  if (!filename) {
    report_fail(r, c, file, line, type, "command without a filename");
    return;
  }
  wa_err err;
  wa_err_init(&err);
  uint8_t *bytes;
  size_t len;
  wm_module *m;
  int rc = load(r, filename, &bytes, &len, &m, &err);
  bool is_malformed = strcmp(type, "assert_malformed") == 0;
  bool is_invalid = strcmp(type, "assert_invalid") == 0;
  if (is_malformed || is_invalid) {
    int want = is_malformed ? WA_EMALFORMED : WA_EINVALID;
    if (rc == want) {
      if (is_malformed)
        c->malformed++;
      else
        c->invalid++;
    } else if (rc == 0) {
      snprintf(buf, sizeof buf, "%s accepted (expected \"%s\")", filename,
               text ? text : "");
      report_fail(r, c, file, line, type, buf);
    } else {
      char e[1024];
      snprintf(buf, sizeof buf, "expected %s \"%s\", got %s",
               wa_err_name(want), text ? text : "",
               errtext(&err, e, sizeof e));
      report_fail(r, c, file, line, type, buf);
    }
    goto out;
  }
  if (rc) {
    char e[1024];
    snprintf(buf, sizeof buf, "valid module rejected: %s",
             errtext(&err, e, sizeof e));
    report_fail(r, c, file, line, type, buf);
    goto out;
  }
  spec_cmd sc = {.file = file, .line = line, .text = text};
  sc.path = filename, sc.bytes = bytes, sc.len = len, sc.module = m;
  if (strcmp(type, "module") == 0) {
    const char *name = json_string_value(json_object_get(cmd, "name"));
    spec_result res = spec_exec_module(x, &sc, name, msg, sizeof msg);
    if (res == SPEC_FAIL)
      report_fail(r, c, file, line, type, msg[0] ? msg : "failed");
    else
      c->modules++; /* decoded and validated; NOT_RUN: not instantiated */
    goto out;
  }
  sc.kind = strcmp(type, "assert_unlinkable") == 0
                ? SPEC_CMD_ASSERT_UNLINKABLE
                : SPEC_CMD_ASSERT_UNINSTANTIABLE;
  count_exec(r, c, spec_exec_command(x, &sc, msg, sizeof msg), file, line,
             type, msg);
out:
  wm_module_free(m);
  wa_free(bytes);
}

static void action_cmd(runner *r, spec_exec *x, counts *c, const char *file,
                       const char *type, const json_t *cmd, unsigned line) {
  static const struct {
    const char *name;
    spec_cmd_kind kind;
  } kinds[] = {{"action", SPEC_CMD_ACTION},
               {"assert_return", SPEC_CMD_ASSERT_RETURN},
               {"assert_trap", SPEC_CMD_ASSERT_TRAP},
               {"assert_exhaustion", SPEC_CMD_ASSERT_EXHAUSTION}};
  spec_cmd sc = {.file = file, .line = line};
  sc.text = json_string_value(json_object_get(cmd, "text"));
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i].name, type) == 0)
      sc.kind = kinds[i].kind;
  char msg[1024] = "";
  spec_value *expected = NULL;
  size_t n_expected = 0;
  if (spec_action_parse(json_object_get(cmd, "action"), &sc.action, msg,
                        sizeof msg) ||
      spec_values_parse(json_object_get(cmd, "expected"), &expected,
                        &n_expected, msg, sizeof msg)) {
    report_fail(r, c, file, line, type, msg);
    goto out;
  }
  sc.expected = expected;
  sc.n_expected = n_expected;
  count_exec(r, c, spec_exec_command(x, &sc, msg, sizeof msg), file, line,
             type, msg);
out:
  spec_action_free(&sc.action);
  free(expected);
}

static void run_file(runner *r, const char *json_name, counts *c) {
  char path[4096], wast[256];
  snprintf(path, sizeof path, "%s/%s", r->dir, json_name);
  snprintf(wast, sizeof wast, "%.*s.wast", (int)(strlen(json_name) - 5),
           json_name);
  json_error_t jerr;
  json_t *doc = json_load_file(path, JSON_ALLOW_NUL, &jerr);
  const json_t *cmds = doc ? json_object_get(doc, "commands") : NULL;
  if (!json_is_array(cmds)) {
    report_fail(r, c, wast, 0, "json", doc ? "no commands" : jerr.text);
    json_decref(doc);
    return;
  }
  spec_exec *x = spec_exec_new(path);
  if (!x) {
    report_fail(r, c, wast, 0, "exec", "out of memory");
    json_decref(doc);
    return;
  }
  size_t i;
  const json_t *cmd;
  json_array_foreach(cmds, i, cmd) {
    const char *type = json_string_value(json_object_get(cmd, "type"));
    unsigned line = (unsigned)json_integer_value(json_object_get(cmd, "line"));
    if (!type) {
      report_fail(r, c, wast, line, "json", "command without a type");
    } else if (strcmp(type, "module") == 0 ||
               strcmp(type, "assert_malformed") == 0 ||
               strcmp(type, "assert_invalid") == 0 ||
               strcmp(type, "assert_unlinkable") == 0 ||
               strcmp(type, "assert_uninstantiable") == 0) {
      module_cmd(r, x, c, wast, type, cmd, line);
    } else if (strcmp(type, "register") == 0) {
      char msg[1024] = "";
      const char *name = json_string_value(json_object_get(cmd, "name"));
      const char *as = json_string_value(json_object_get(cmd, "as"));
      count_exec(r, c, spec_exec_register(x, name, as, msg, sizeof msg),
                 wast, line, type, msg);
    } else if (strcmp(type, "action") == 0 ||
               strcmp(type, "assert_return") == 0 ||
               strcmp(type, "assert_trap") == 0 ||
               strcmp(type, "assert_exhaustion") == 0) {
      action_cmd(r, x, c, wast, type, cmd, line);
    } else {
      report_fail(r, c, wast, line, type, "unknown command type");
    }
  }
  spec_exec_free(x);
  json_decref(doc);
}

/* What a --fork child sends back through its pipe. */
typedef struct file_result {
  counts c;
  unsigned shown;
} file_result;

/* run_file in a child process. */
static void run_file_forked(runner *r, const char *json_name, counts *c) {
  char wast[256];
  snprintf(wast, sizeof wast, "%.*s.wast", (int)(strlen(json_name) - 5),
           json_name);
  int fds[2];
  fflush(stdout);
  if (pipe(fds) != 0) {
    report_fail(r, c, wast, 0, "fork", strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    report_fail(r, c, wast, 0, "fork", strerror(errno));
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    run_file(r, json_name, c);
    fflush(stdout);
    file_result res = {*c, r->shown};
    int ok = write(fds[1], &res, sizeof res) == (ssize_t)sizeof res;
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  file_result res;
  size_t got = 0;
  while (got < sizeof res) {
    ssize_t k = read(fds[0], (char *)&res + got, sizeof res - got);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      break;
    got += (size_t)k;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (got == sizeof res) {
    *c = res.c;
    r->shown = res.shown;
    return;
  }
  char msg[128];
  if (WIFSIGNALED(status))
    snprintf(msg, sizeof msg, "crashed with signal %d", WTERMSIG(status));
  else
    snprintf(msg, sizeof msg, "child exited with status %d",
             WEXITSTATUS(status));
  report_fail(r, c, wast, 0, "fork", msg);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with 'suffix'; malloc'd. */
static char **list_dir(const char *dir, const char *suffix, size_t *n_out) {
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0, cap = 0, sl = strlen(suffix);
  *n_out = 0;
  if (!d)
    return NULL;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len <= sl || strcmp(e->d_name + len - sl, suffix) != 0)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 256;
      char **p = realloc(names, cap * sizeof *p);
      if (!p)
        break;
      names = p;
    }
    if (!(names[n] = strdup(e->d_name)))
      break;
    n++;
  }
  closedir(d);
  if (n)
    qsort(names, n, sizeof *names, cmp_str);
  *n_out = n;
  return names;
}

static void free_list(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

static void print_row(const char *name, const counts *c) {
  printf("%-40s %6u %9u %7u %9u %7u %7u %6u\n", name, c->modules,
         c->malformed, c->invalid, c->text, c->not_run, passed_of(c),
         c->failed);
}

/* Files run.sh could not convert: NAME.skip holds wast2json's reason. */
static unsigned print_skipped(const char *dir) {
  size_t n;
  char **names = list_dir(dir, ".skip", &n);
  if (n)
    printf("\nskipped (wast2json cannot convert them):\n");
  for (size_t i = 0; i < n; i++) {
    char path[4096], reason[512] = "";
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    FILE *f = fopen(path, "r");
    if (f) {
      if (!fgets(reason, sizeof reason, f))
        reason[0] = 0;
      fclose(f);
    }
    reason[strcspn(reason, "\n")] = 0;
    printf("  %.*s.wast: %s\n", (int)(strlen(names[i]) - 5), names[i],
           reason);
  }
  free_list(names, n);
  return (unsigned)n;
}

int main(int argc, char **argv) {
  runner r = {0};
  const char *filter = NULL;
  spec_exec_opts xo = {0};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    bool has_value = i + 1 < argc;
    if (strcmp(argv[i], "-v") == 0)
      r.verbose = true;
    else if (strcmp(argv[i], "-f") == 0 && has_value)
      filter = argv[++i];
    else if (strcmp(argv[i], "--compile-only") == 0 && has_value)
      xo.compile_only = argv[++i];
    else if (strcmp(argv[i], "--target") == 0 && has_value)
      xo.target = argv[++i];
    else if (strcmp(argv[i], "--artifacts") == 0 && has_value)
      xo.artifacts = argv[++i];
    else if (strcmp(argv[i], "--fork") == 0)
      r.fork = true;
    else
      break;
  }
  if (i != argc - 1) {
    fprintf(stderr, "usage: spec_runner [-v] [-f SUBSTRING] [--fork] "
                    "[--compile-only DIR [--target TRIPLE]] [--artifacts "
                    "DIR] JSON_DIR\n");
    return 2;
  }
  char xmsg[512];
  if (spec_exec_setup(&xo, xmsg, sizeof xmsg)) {
    fprintf(stderr, "spec_runner: %s\n", xmsg);
    return 2;
  }
  r.dir = argv[i];
  size_t n;
  char **files = list_dir(r.dir, ".json", &n);
  if (!n) {
    fprintf(stderr, "spec_runner: no .json files in %s (run run.sh)\n",
            r.dir);
    return 2;
  }
  printf("spec conformance, %s\n\n", spec_exec_describe());
  printf("%-40s %6s %9s %7s %9s %7s %7s %6s\n", "file", "module",
         "malformed", "invalid", "text-form", "not-run", "passed", "failed");
  unsigned n_files = 0;
  for (size_t k = 0; k < n; k++) {
    if (filter && !strstr(files[k], filter))
      continue;
    counts c = {0};
    char wast[256];
    if (r.fork)
      run_file_forked(&r, files[k], &c);
    else
      run_file(&r, files[k], &c);
    snprintf(wast, sizeof wast, "%.*s.wast", (int)(strlen(files[k]) - 5),
             files[k]);
    print_row(wast, &c);
    add_counts(&r.total, &c);
    n_files++;
  }
  char label[64];
  snprintf(label, sizeof label, "total (%u files)", n_files);
  print_row(label, &r.total);
  printf("\ntext form, not applicable: %u (assert_malformed on .wat "
         "text)\nnot run yet: %u (need execution)\n",
         r.total.text, r.total.not_run);
  print_skipped(r.dir);
  free_list(files, n);
  printf("\n%u passed, %u failed\n", passed_of(&r.total), r.total.failed);
  return r.total.failed ? 1 : 0;
}
