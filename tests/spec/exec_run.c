/*
 * exec_run.c: the spec runner's execution back end. Compiles each module
 * (exec_compile.h; bounds mode from $WASMAOT_SPEC_BOUNDS: guard, the
 * default, or explicit), loads it with wr_artifact_load, links its imports
 * against the standard "spectest" host module and registered instances,
 * instantiates it in one wr_store per .json file, and runs actions and
 * assertions through wr_call.
 *
 * Split for cross testing (spec_exec_opts): --compile-only writes every
 * module's artifact for a target and runs nothing; --artifacts loads
 * those instead of compiling, in a runner that may have no compiler.
 */
#include "exec.h"
#include "exec_compile.h"
#include "wr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct named {
  char *name; /* "$M" for modules, "M" for registrations */
  wr_instance *inst;
  struct named *next;
} named;

typedef struct spectest_item {
  const char *field;
  wr_extern ext;
} spectest_item;

struct spec_exec {
  wr_store *store;
  uint8_t bounds;
  wr_instance *current;
  named *modules, *registered;
  /* compiled artifacts and their bytes live as long as the store */
  wr_artifact **arts;
  uint8_t **codes;
  size_t n_arts, cap_arts;
  spectest_item spectest[13];
  size_t n_spectest;
};

static uint8_t bounds_mode(void) {
  const char *b = getenv("WASMAOT_SPEC_BOUNDS");
  return b && strcmp(b, "explicit") == 0 ? WR_BOUNDS_EXPLICIT
                                         : WR_BOUNDS_GUARD;
}

static spec_exec_opts opts;

int spec_exec_setup(const spec_exec_opts *o, char *msg, size_t n) {
  if (o->compile_only && o->artifacts) {
    snprintf(msg, n, "--compile-only and --artifacts exclude each other");
    return -1;
  }
  if (o->target && !o->compile_only) {
    snprintf(msg, n,
             "--target needs --compile-only (the runtime runs "
             "host artifacts only)");
    return -1;
  }
  if (!o->artifacts && !spec_compile_available()) {
    snprintf(msg, n, "this runner has no compiler: give --artifacts DIR");
    return -1;
  }
  if (o->compile_only) {
    wa_err err;
    wa_err_init(&err);
    if (wa_mkdirs(o->compile_only, 0755, &err)) {
      snprintf(msg, n, "%s", err.msg);
      return -1;
    }
  }
  opts = *o;
  return 0;
}

const char *spec_exec_describe(void) {
  static char buf[4200];
  const char *b = bounds_mode() == WR_BOUNDS_EXPLICIT ? "explicit bounds checks"
                                                      : "guard-page bounds";
  if (opts.compile_only)
    snprintf(buf, sizeof buf, "compile only: wc_compile for %s into %s, %s",
             opts.target ? opts.target : "the host", opts.compile_only, b);
  else if (opts.artifacts)
    snprintf(buf, sizeof buf,
             "execution: artifacts from %s + wr_runtime (%s), %s",
             opts.artifacts, wr_host_arch(), b);
  else
    snprintf(buf, sizeof buf, "execution: wc_compile + wr_runtime, %s", b);
  return buf;
}

/* DIR/NAME.wao for module file NAME.wasm (its name in the JSON dir). */
static int artifact_path(const char *dir, const char *module, char *out,
                         size_t n, wa_err *err) {
  const char *base = strrchr(module, '/');
  base = base ? base + 1 : module;
  size_t len = strlen(base);
  if (len > 5 && strcmp(base + len - 5, ".wasm") == 0)
    len -= 5;
  int w = snprintf(out, n, "%s/%.*s.wao", dir, (int)len, base);
  if (w < 0 || (size_t)w >= n)
    return wa_fail(err, WA_ELIMIT, WA_NOOFF, "artifact path too long: %s", dir);
  return 0;
}

/* --compile-only: the module's artifact, written for the other side. */
static spec_result write_artifact(const spec_cmd *cmd, char *msg, size_t n) {
  wa_err err;
  wa_err_init(&err);
  char path[4096];
  uint8_t *code = NULL;
  size_t len;
  int rc = artifact_path(opts.compile_only, cmd->path, path, sizeof path, &err);
  if (!rc)
    rc = spec_compile(cmd->bytes, cmd->len, cmd->path, opts.target,
                      bounds_mode(), &code, &len, &err);
  if (!rc)
    rc = wa_file_publish(path, code, len, 0644, &err);
  wa_free(code);
  if (rc) {
    char buf[1024];
    snprintf(msg, n, "%s", wa_err_format(&err, buf, sizeof buf));
    return SPEC_FAIL;
  }
  return SPEC_NOT_RUN;
}

/* ------------------------------------------------------------- spectest */

/* print* functions print nothing: the suite only checks they link. */
static uint32_t spectest_print(void *env, wr_caller *c, wr_val *v) {
  (void)env, (void)c, (void)v;
  return 0;
}

static const uint8_t t_i32[] = {0x7f}, t_i64[] = {0x7e}, t_f32[] = {0x7d},
                     t_f64[] = {0x7c}, t_i32_f32[] = {0x7f, 0x7d},
                     t_f64_f64[] = {0x7c, 0x7c};

static int spectest_add(spec_exec *x, const char *field, wr_extern e) {
  x->spectest[x->n_spectest++] = (spectest_item){field, e};
  return 0;
}

static int spectest_new(spec_exec *x, wa_err *err) {
  static const struct {
    const char *field;
    wr_meta_type type;
  } prints[] = {
      {"print", {0, 0, NULL, NULL}},
      {"print_i32", {1, 0, t_i32, NULL}},
      {"print_i64", {1, 0, t_i64, NULL}},
      {"print_f32", {1, 0, t_f32, NULL}},
      {"print_f64", {1, 0, t_f64, NULL}},
      {"print_i32_f32", {2, 0, t_i32_f32, NULL}},
      {"print_f64_f64", {2, 0, t_f64_f64, NULL}},
  };
  for (size_t i = 0; i < sizeof prints / sizeof prints[0]; i++) {
    wr_extern e = {.kind = 0};
    int rc = wr_func_new_host(x->store, &prints[i].type, spectest_print, NULL,
                              &e.u.func, err);
    if (rc)
      return rc;
    spectest_add(x, prints[i].field, e);
  }
  /* 666, 666.6f and 666.6 as the reference interpreter defines them */
  static const struct {
    const char *field;
    uint8_t type;
    uint64_t bits;
  } globals[] = {{"global_i32", 0x7f, 666},
                 {"global_i64", 0x7e, 666},
                 {"global_f32", 0x7d, 0x4426a666u},
                 {"global_f64", 0x7c, 0x4084d4cccccccccdull}};
  for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
    wr_extern e = {.kind = 3};
    wr_val v;
    memset(&v, 0, sizeof v);
    v.i64 = globals[i].bits;
    int rc = wr_global_new(x->store, globals[i].type, false, v, &e.u.global,
                           err);
    if (rc)
      return rc;
    spectest_add(x, globals[i].field, e);
  }
  wr_extern t = {.kind = 1}, m = {.kind = 2};
  int rc = wr_table_new(x->store, 0x70, 10, 20, true, NULL, &t.u.table, err);
  if (!rc)
    rc = wr_memory_new(x->store, 1, 2, true, x->bounds, &m.u.memory, err);
  if (rc)
    return rc;
  spectest_add(x, "table", t);
  spectest_add(x, "memory", m);
  return 0;
}

/* ---------------------------------------------------------- the exec */

spec_exec *spec_exec_new(const char *json_file) {
  (void)json_file;
  spec_exec *x = calloc(1, sizeof *x);
  if (!x)
    return NULL;
  x->bounds = bounds_mode();
  wa_err err;
  wa_err_init(&err);
  if (wr_store_new(&x->store, &err) || spectest_new(x, &err)) {
    fprintf(stderr, "spec exec: %s\n", err.msg);
    spec_exec_free(x);
    return NULL;
  }
  return x;
}

static void free_named(named *n) {
  while (n) {
    named *next = n->next;
    free(n->name);
    free(n);
    n = next;
  }
}

void spec_exec_free(spec_exec *x) {
  if (!x)
    return;
  wr_store_free(x->store);
  for (size_t i = 0; i < x->n_arts; i++) {
    wr_artifact_free(x->arts[i]); /* before the bytes it borrows */
    wa_free(x->codes[i]);
  }
  free(x->arts);
  free(x->codes);
  free_named(x->modules);
  free_named(x->registered);
  free(x);
}

static int keep_artifact(spec_exec *x, wr_artifact *a, uint8_t *code) {
  if (x->n_arts == x->cap_arts) {
    size_t cap = x->cap_arts ? 2 * x->cap_arts : 16;
    wr_artifact **arts = realloc(x->arts, cap * sizeof *arts);
    if (arts)
      x->arts = arts;
    uint8_t **codes = realloc(x->codes, cap * sizeof *codes);
    if (codes)
      x->codes = codes;
    if (!arts || !codes)
      return -1;
    x->cap_arts = cap;
  }
  x->arts[x->n_arts] = a;
  x->codes[x->n_arts++] = code;
  return 0;
}

static int add_named(named **list, const char *name, wr_instance *inst) {
  named *n = calloc(1, sizeof *n);
  if (!n || !(n->name = strdup(name))) {
    free(n);
    return -1;
  }
  n->inst = inst;
  n->next = *list;
  *list = n;
  return 0;
}

static wr_instance *find_named(named *list, const char *name, size_t len) {
  for (named *n = list; n; n = n->next)
    if (strlen(n->name) == len && memcmp(n->name, name, len) == 0)
      return n->inst;
  return NULL;
}

/* ----------------------------------------------------- instantiation */

enum { STAGE_OK, STAGE_COMPILE, STAGE_LINK, STAGE_TRAP, STAGE_OTHER };

static int lookup_import(spec_exec *x, const wr_meta_import *im,
                         wr_extern *out, wa_err *err) {
  if (im->module.len == 8 && memcmp(im->module.ptr, "spectest", 8) == 0) {
    for (size_t i = 0; i < x->n_spectest; i++)
      if (strlen(x->spectest[i].field) == im->field.len &&
          memcmp(x->spectest[i].field, im->field.ptr, im->field.len) == 0) {
        *out = x->spectest[i].ext;
        return 0;
      }
  } else {
    wr_instance *inst = find_named(x->registered, im->module.ptr,
                                   im->module.len);
    wa_err ignored;
    wa_err_init(&ignored);
    if (inst && wr_instance_export(inst, im->field.ptr, im->field.len, out,
                                   &ignored) == 0)
      return 0;
  }
  return wa_fail(err, WA_ELINK, WA_NOOFF, "unknown import %.*s.%.*s",
                 (int)im->module.len, im->module.ptr, (int)im->field.len,
                 im->field.ptr);
}

/* Compiles, links and instantiates cmd's module; returns a STAGE_*. */
static int instantiate(spec_exec *x, const spec_cmd *cmd, wr_instance **out,
                       wr_trap *trap, wa_err *err) {
  uint8_t *code = NULL;
  size_t len;
  wr_artifact *a = NULL;
  *out = NULL;
  if (opts.artifacts) {
    char path[4096];
    if (artifact_path(opts.artifacts, cmd->path, path, sizeof path, err) ||
        wr_artifact_open(path, &a, err))
      return STAGE_COMPILE;
  } else {
    if (spec_compile(cmd->bytes, cmd->len, cmd->path, NULL, x->bounds, &code,
                     &len, err))
      return STAGE_COMPILE;
    if (wr_artifact_load(code, len, cmd->path, &a, err)) {
      wa_free(code);
      return STAGE_COMPILE;
    }
  }
  if (keep_artifact(x, a, code)) {
    wr_artifact_free(a);
    wa_free(code);
    wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    return STAGE_OTHER;
  }
  const wr_meta *m = wr_artifact_meta(a);
  wr_extern *imports = calloc(m->n_imports ? m->n_imports : 1,
                              sizeof *imports);
  if (!imports) {
    wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    return STAGE_OTHER;
  }
  int stage = STAGE_OK;
  for (uint32_t i = 0; i < m->n_imports && stage == STAGE_OK; i++)
    if (lookup_import(x, &m->imports[i], &imports[i], err))
      stage = STAGE_LINK;
  if (stage == STAGE_OK) {
    int rc = wr_instance_new(x->store, a, imports, m->n_imports, out, trap,
                             err);
    stage = rc == 0           ? STAGE_OK
            : rc == WA_ELINK  ? STAGE_LINK
            : rc == WA_ETRAP  ? STAGE_TRAP
                              : STAGE_OTHER;
  }
  free(imports);
  return stage;
}

static void describe(const wa_err *err, char *msg, size_t n) {
  char buf[1024];
  snprintf(msg, n, "%s", wa_err_format(err, buf, sizeof buf));
}

spec_result spec_exec_module(spec_exec *x, const spec_cmd *cmd,
                             const char *name, char *msg, size_t n) {
  if (opts.compile_only)
    return write_artifact(cmd, msg, n);
  wa_err err;
  wa_err_init(&err);
  wr_instance *inst;
  wr_trap trap;
  int stage = instantiate(x, cmd, &inst, &trap, &err);
  if (stage != STAGE_OK) {
    describe(&err, msg, n);
    return SPEC_FAIL;
  }
  x->current = inst;
  if (name && add_named(&x->modules, name, inst)) {
    snprintf(msg, n, "out of memory");
    return SPEC_FAIL;
  }
  return SPEC_PASS;
}

spec_result spec_exec_register(spec_exec *x, const char *name,
                               const char *as, char *msg, size_t n) {
  if (opts.compile_only)
    return SPEC_NOT_RUN;
  wr_instance *inst =
      name ? find_named(x->modules, name, strlen(name)) : x->current;
  if (!inst || !as) {
    snprintf(msg, n, "register: no module %s", name ? name : "(current)");
    return SPEC_FAIL;
  }
  if (add_named(&x->registered, as, inst)) {
    snprintf(msg, n, "out of memory");
    return SPEC_FAIL;
  }
  return SPEC_PASS;
}

/* ------------------------------------------------------------- actions */

/* externref N travels as the pointer N + 1, so that ref.extern 0 is not
 * null. */
static int to_val(const spec_value *s, wr_val *v, char *msg, size_t n) {
  memset(v, 0, sizeof *v);
  switch (s->type) {
  case 0x7f:
  case 0x7d:
    v->i32 = s->u.i32;
    return 0;
  case 0x7e:
  case 0x7c:
    v->i64 = s->u.i64;
    return 0;
  case 0x7b:
    memcpy(v->v128, s->u.v128, 16);
    return 0;
  case 0x6f:
    v->ref = s->is_null ? NULL : (void *)(uintptr_t)(s->u.ref + 1);
    return 0;
  default:
    if (s->is_null)
      return 0;
    snprintf(msg, n, "funcref arguments other than null are not supported");
    return -1;
  }
}

static void from_val(uint8_t type, const wr_val *v, spec_value *s) {
  memset(s, 0, sizeof *s);
  s->type = type;
  s->has_value = true;
  switch (type) {
  case 0x7f:
  case 0x7d:
    s->u.i32 = v->i32;
    break;
  case 0x7e:
  case 0x7c:
    s->u.i64 = v->i64;
    break;
  case 0x7b:
    memcpy(s->u.v128, v->v128, 16);
    s->lane_type = SPEC_LANE_I32;
    break;
  case 0x6f:
    s->is_null = !v->ref;
    s->u.ref = v->ref ? (uint64_t)(uintptr_t)v->ref - 1 : 0;
    break;
  default:
    s->is_null = !v->ref;
    s->u.ref = v->ref ? ((const wr_funcref *)v->ref)->func_index : 0;
  }
}

typedef struct outcome {
  int rc; /* 0, WA_ETRAP, or another error */
  wr_trap trap;
  uint32_t n_results;
  const uint8_t *types;
  wr_val *vals;
  uint8_t global_type; /* 'types' of a get */
} outcome;

static spec_result perform(spec_exec *x, const spec_action *act,
                           outcome *o, char *msg, size_t n) {
  memset(o, 0, sizeof *o);
  wr_instance *inst = act->module ? find_named(x->modules, act->module,
                                               strlen(act->module))
                                  : x->current;
  if (!inst) {
    snprintf(msg, n, "no module %s", act->module ? act->module : "(current)");
    return SPEC_FAIL;
  }
  wa_err err;
  wa_err_init(&err);
  wr_extern e;
  if (wr_instance_export(inst, act->field, act->field_len, &e, &err)) {
    describe(&err, msg, n);
    return SPEC_FAIL;
  }
  if (act->kind == SPEC_ACT_GET) {
    if (e.kind != 3) {
      snprintf(msg, n, "export %s is not a global", act->field);
      return SPEC_FAIL;
    }
    o->global_type = wr_global_type(e.u.global);
    o->vals = calloc(1, sizeof *o->vals);
    if (!o->vals)
      return SPEC_FAIL;
    o->vals[0] = wr_global_get(e.u.global);
    o->n_results = 1;
    o->types = &o->global_type;
    return SPEC_PASS;
  }
  if (e.kind != 0) {
    snprintf(msg, n, "export %s is not a function", act->field);
    return SPEC_FAIL;
  }
  const wr_meta_type *t = wr_func_type(e.u.func);
  if (t->n_params != act->n_args) {
    snprintf(msg, n, "%s takes %u arguments, the script gives %zu",
             act->field, t->n_params, act->n_args);
    return SPEC_FAIL;
  }
  uint32_t slots = t->n_params > t->n_results ? t->n_params : t->n_results;
  o->vals = calloc(slots ? slots : 1, sizeof *o->vals);
  if (!o->vals)
    return SPEC_FAIL;
  for (uint32_t i = 0; i < t->n_params; i++)
    if (to_val(&act->args[i], &o->vals[i], msg, n))
      return SPEC_FAIL;
  o->rc = wr_call(e.u.func, o->vals, &o->trap, &err);
  if (o->rc && o->rc != WA_ETRAP) {
    describe(&err, msg, n);
    return SPEC_FAIL;
  }
  o->n_results = t->n_results;
  o->types = t->results;
  return SPEC_PASS;
}

static bool has_prefix(const char *s, const char *prefix) {
  return !prefix || strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The reference interpreter's rule is "the expected text is a prefix of
 * the message". Its messages sometimes name an operand ("uninitialized
 * element 2") that ours, which come from a trap kind, do not carry; so
 * our message being a prefix of the expected text matches too. */
static bool trap_text_matches(const char *got, const char *want) {
  return has_prefix(got, want) || (want && has_prefix(want, got));
}

static spec_result check_return(const spec_cmd *cmd, const outcome *o,
                                char *msg, size_t n) {
  if (o->rc == WA_ETRAP) {
    snprintf(msg, n, "trapped: %s", wr_trap_message(o->trap.kind));
    return SPEC_FAIL;
  }
  if (cmd->kind == SPEC_CMD_ACTION)
    return SPEC_PASS;
  if (o->n_results != cmd->n_expected) {
    snprintf(msg, n, "%u results, expected %zu", o->n_results,
             cmd->n_expected);
    return SPEC_FAIL;
  }
  for (uint32_t i = 0; i < o->n_results; i++) {
    spec_value actual;
    from_val(o->types[i], &o->vals[i], &actual);
    if (actual.type == 0x7b)
      actual.lane_type = cmd->expected[i].lane_type;
    if (!spec_value_matches(&cmd->expected[i], &actual)) {
      char want[256], got[256];
      snprintf(msg, n, "result %u: got %s, expected %s", i,
               spec_value_format(&actual, got, sizeof got),
               spec_value_format(&cmd->expected[i], want, sizeof want));
      return SPEC_FAIL;
    }
  }
  return SPEC_PASS;
}

static spec_result check_trap(const spec_cmd *cmd, const outcome *o,
                              uint32_t want, char *msg, size_t n) {
  if (o->rc != WA_ETRAP) {
    snprintf(msg, n, "returned normally, expected trap \"%s\"",
             cmd->text ? cmd->text : "");
    return SPEC_FAIL;
  }
  const char *got = wr_trap_message(o->trap.kind);
  if ((want && o->trap.kind != want) || !trap_text_matches(got, cmd->text)) {
    snprintf(msg, n, "trapped \"%s\", expected \"%s\"", got,
             cmd->text ? cmd->text : "");
    return SPEC_FAIL;
  }
  return SPEC_PASS;
}

/* assert_unlinkable / assert_uninstantiable */
static spec_result module_assert(spec_exec *x, const spec_cmd *cmd,
                                 char *msg, size_t n) {
  wa_err err;
  wa_err_init(&err);
  wr_instance *inst;
  wr_trap trap;
  int stage = instantiate(x, cmd, &inst, &trap, &err);
  bool unlinkable = cmd->kind == SPEC_CMD_ASSERT_UNLINKABLE;
  if (unlinkable && stage == STAGE_LINK) {
    if (has_prefix(err.msg, cmd->text))
      return SPEC_PASS;
    snprintf(msg, n, "link error \"%s\", expected \"%s\"", err.msg,
             cmd->text ? cmd->text : "");
    return SPEC_FAIL;
  }
  if (!unlinkable && stage == STAGE_TRAP) {
    outcome o = {.rc = WA_ETRAP, .trap = trap};
    return check_trap(cmd, &o, 0, msg, n);
  }
  if (stage == STAGE_OK)
    snprintf(msg, n, "instantiated, expected %s \"%s\"",
             unlinkable ? "link error" : "trap", cmd->text ? cmd->text : "");
  else
    describe(&err, msg, n);
  return SPEC_FAIL;
}

spec_result spec_exec_command(spec_exec *x, const spec_cmd *cmd, char *msg,
                              size_t n) {
  bool module = cmd->kind == SPEC_CMD_ASSERT_UNLINKABLE ||
                cmd->kind == SPEC_CMD_ASSERT_UNINSTANTIABLE;
  if (opts.compile_only)
    return module ? write_artifact(cmd, msg, n) : SPEC_NOT_RUN;
  if (module)
    return module_assert(x, cmd, msg, n);
  outcome o;
  spec_result r = perform(x, &cmd->action, &o, msg, n);
  if (r == SPEC_PASS) {
    switch (cmd->kind) {
    case SPEC_CMD_ASSERT_TRAP:
      r = check_trap(cmd, &o, 0, msg, n);
      break;
    case SPEC_CMD_ASSERT_EXHAUSTION:
      r = check_trap(cmd, &o, WR_TRAP_STACK_EXHAUSTED, msg, n);
      break;
    default:
      r = check_return(cmd, &o, msg, n);
    }
  }
  free(o.vals);
  return r;
}
