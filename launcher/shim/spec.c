/*
 * spec.c: reads the OCI runtime spec (BUNDLE/config.json) with jansson into
 * a wl__spec: process args/env/cwd/rlimits, root, mounts, namespaces,
 * cgroupsPath and resources. Unknown fields are ignored; a field of the
 * wrong type is an error naming its JSON path.
 */
#include "shim_internal.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* process.rlimits[].type names, as runc maps them. */
#define WL_RLIMIT_MAP(X)                                                       \
  X(AS)                                                                        \
  X(CORE)                                                                      \
  X(CPU)                                                                       \
  X(DATA)                                                                      \
  X(FSIZE)                                                                     \
  X(LOCKS)                                                                     \
  X(MEMLOCK)                                                                   \
  X(MSGQUEUE)                                                                  \
  X(NICE)                                                                      \
  X(NOFILE)                                                                    \
  X(NPROC)                                                                     \
  X(RSS)                                                                       \
  X(RTPRIO)                                                                    \
  X(RTTIME)                                                                    \
  X(SIGPENDING)                                                                \
  X(STACK)

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
#define WL__X(n) {"RLIMIT_" #n, RLIMIT_##n},
    WL_RLIMIT_MAP(WL__X)
#undef WL__X
};

static const char *const ns_names[WL_NS_COUNT] = {
#define WL__X(name, json, flag) json,
    WL_NS_MAP(WL__X)
#undef WL__X
};

typedef struct parser {
  wl__spec *s;
  wa_err *err;
} parser;

static int type_err(parser *p, const char *path, const char *want) {
  return wa_fail(p->err, WA_EMALFORMED, WA_NOOFF, "config.json: %s must be %s",
                 path, want);
}

static int nomem(parser *p) {
  return wa_fail(p->err, WA_ENOMEM, WA_NOOFF, "config.json: out of memory");
}

/* An optional string member; *out stays NULL when absent or null. */
static int get_str(parser *p, json_t *obj, const char *key, const char *path,
                   const char **out) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v))
    return 0;
  if (!json_is_string(v))
    return type_err(p, path, "a string");
  *out = wa_arena_strndup(&p->s->arena, json_string_value(v),
                          json_string_length(v));
  return *out ? 0 : nomem(p);
}

/* Numbers are decoded as doubles (JSON_DECODE_INT_AS_REAL) because the
 * spec writes "unlimited" rlimits as 2^64-1, which jansson's integers
 * reject; limits below 2^53 stay exact. */
static int get_num(parser *p, json_t *obj, const char *key, const char *path,
                   double *out) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v))
    return 1;
  if (!json_is_number(v))
    return type_err(p, path, "a number");
  double d = json_number_value(v);
  if (!(d >= -9.2e18 && d <= 1.9e19)) /* also catches NaN */
    return type_err(p, path, "an integer in range");
  if (d < 9.2e18 && (double)(int64_t)d != d)
    return type_err(p, path, "an integer");
  *out = d;
  return 0;
}

static int get_int(parser *p, json_t *obj, const char *key, const char *path,
                   int64_t *out) {
  double d;
  int rc = get_num(p, obj, key, path, &d);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  *out = d >= 9.2e18 ? INT64_MAX : (int64_t)d;
  return 0;
}

static int get_u64(parser *p, json_t *obj, const char *key, const char *path,
                   uint64_t *out) {
  double d;
  int rc = get_num(p, obj, key, path, &d);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  if (d < 0)
    return type_err(p, path, "a non-negative integer");
  *out = d >= 1.8e19 ? UINT64_MAX : (uint64_t)d;
  return 0;
}

static int get_bool(parser *p, json_t *obj, const char *key, const char *path,
                    bool *out) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v))
    return 0;
  if (!json_is_boolean(v))
    return type_err(p, path, "a boolean");
  *out = json_is_true(v);
  return 0;
}

/* An optional array of strings; a NULL-terminated copy in the arena. */
static int get_strv(parser *p, json_t *obj, const char *key, const char *path,
                    const char ***out, size_t *n_out) {
  json_t *v = json_object_get(obj, key);
  *out = NULL;
  *n_out = 0;
  if (!v || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return type_err(p, path, "an array of strings");
  size_t n = json_array_size(v);
  const char **a = wa_arena_alloc(&p->s->arena, (n + 1) * sizeof *a);
  if (!a)
    return nomem(p);
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(v, i);
    if (!json_is_string(e))
      return type_err(p, path, "an array of strings");
    a[i] = wa_arena_strndup(&p->s->arena, json_string_value(e),
                            json_string_length(e));
    if (!a[i])
      return nomem(p);
  }
  a[n] = NULL;
  *out = a;
  *n_out = n;
  return 0;
}

static int parse_process(parser *p, json_t *proc) {
  wl__spec *s = p->s;
  int rc;
  if (!json_is_object(proc))
    return type_err(p, "process", "an object");
  if ((rc = get_bool(p, proc, "terminal", "process.terminal", &s->terminal)) ||
      (rc = get_strv(p, proc, "args", "process.args", &s->args, &s->n_args)) ||
      (rc = get_strv(p, proc, "env", "process.env", &s->env, &s->n_env)) ||
      (rc = get_str(p, proc, "cwd", "process.cwd", &s->cwd)))
    return rc;
  json_t *rl = json_object_get(proc, "rlimits");
  if (rl && !json_is_null(rl)) {
    if (!json_is_array(rl))
      return type_err(p, "process.rlimits", "an array");
    size_t n = json_array_size(rl);
    s->rlimits = wa_arena_alloc(&s->arena, (n + 1) * sizeof *s->rlimits);
    if (!s->rlimits)
      return nomem(p);
    for (size_t i = 0; i < n; i++) {
      json_t *e = json_array_get(rl, i);
      const char *type = NULL;
      uint64_t soft = 0, hard = 0;
      if (!json_is_object(e))
        return type_err(p, "process.rlimits[]", "an object");
      if ((rc = get_str(p, e, "type", "process.rlimits[].type", &type)) ||
          (rc = get_u64(p, e, "soft", "process.rlimits[].soft", &soft)) ||
          (rc = get_u64(p, e, "hard", "process.rlimits[].hard", &hard)))
        return rc;
      size_t k = 0;
      while (k < sizeof rlimit_names / sizeof rlimit_names[0] && type &&
             strcmp(rlimit_names[k].name, type) != 0)
        k++;
      if (k == sizeof rlimit_names / sizeof rlimit_names[0])
        return wa_fail(p->err, WA_EMALFORMED, WA_NOOFF,
                       "config.json: process.rlimits[%zu]: unknown type %s", i,
                       type ? type : "(none)");
      s->rlimits[s->n_rlimits++] =
          (wl__rlimit){rlimit_names[k].resource, soft, hard};
    }
  }
  return 0;
}

static int parse_mounts(parser *p, json_t *mounts) {
  wl__spec *s = p->s;
  if (!json_is_array(mounts))
    return type_err(p, "mounts", "an array");
  size_t n = json_array_size(mounts);
  s->mounts = wa_arena_alloc(&s->arena, (n + 1) * sizeof *s->mounts);
  if (!s->mounts)
    return nomem(p);
  for (size_t i = 0; i < n; i++) {
    json_t *m = json_array_get(mounts, i);
    wl__spec_mount *o = &s->mounts[i];
    int rc;
    if (!json_is_object(m))
      return type_err(p, "mounts[]", "an object");
    if ((rc = get_str(p, m, "destination", "mounts[].destination", &o->dest)) ||
        (rc = get_str(p, m, "type", "mounts[].type", &o->type)) ||
        (rc = get_str(p, m, "source", "mounts[].source", &o->source)) ||
        (rc = get_strv(p, m, "options", "mounts[].options", &o->options,
                       &o->n_options)))
      return rc;
    if (!o->dest)
      return wa_fail(p->err, WA_EMALFORMED, WA_NOOFF,
                     "config.json: mounts[%zu] has no destination", i);
  }
  s->n_mounts = n;
  return 0;
}

static int parse_resources(parser *p, json_t *res) {
  wl__spec *s = p->s;
  int rc;
  if (!json_is_object(res))
    return type_err(p, "linux.resources", "an object");
  json_t *mem = json_object_get(res, "memory");
  if (mem && json_is_object(mem)) {
    if ((rc = get_int(p, mem, "limit", "linux.resources.memory.limit",
                      &s->mem_limit)) ||
        (rc = get_int(p, mem, "swap", "linux.resources.memory.swap",
                      &s->mem_swap)))
      return rc;
  }
  json_t *pids = json_object_get(res, "pids");
  if (pids && json_is_object(pids) &&
      (rc = get_int(p, pids, "limit", "linux.resources.pids.limit",
                    &s->pids_limit)))
    return rc;
  json_t *cpu = json_object_get(res, "cpu");
  if (cpu && json_is_object(cpu)) {
    if ((rc = get_int(p, cpu, "shares", "linux.resources.cpu.shares",
                      &s->cpu_shares)) ||
        (rc = get_int(p, cpu, "quota", "linux.resources.cpu.quota",
                      &s->cpu_quota)) ||
        (rc = get_int(p, cpu, "period", "linux.resources.cpu.period",
                      &s->cpu_period)) ||
        (rc = get_str(p, cpu, "cpus", "linux.resources.cpu.cpus",
                      &s->cpuset_cpus)) ||
        (rc = get_str(p, cpu, "mems", "linux.resources.cpu.mems",
                      &s->cpuset_mems)))
      return rc;
  }
  return 0;
}

static int parse_linux(parser *p, json_t *lx) {
  wl__spec *s = p->s;
  int rc;
  if (!json_is_object(lx))
    return type_err(p, "linux", "an object");
  json_t *nss = json_object_get(lx, "namespaces");
  if (nss && !json_is_null(nss)) {
    if (!json_is_array(nss))
      return type_err(p, "linux.namespaces", "an array");
    for (size_t i = 0; i < json_array_size(nss); i++) {
      json_t *e = json_array_get(nss, i);
      const char *type = NULL, *path = NULL;
      if (!json_is_object(e))
        return type_err(p, "linux.namespaces[]", "an object");
      if ((rc = get_str(p, e, "type", "linux.namespaces[].type", &type)) ||
          (rc = get_str(p, e, "path", "linux.namespaces[].path", &path)))
        return rc;
      int k = 0;
      while (k < WL_NS_COUNT && (!type || strcmp(ns_names[k], type) != 0))
        k++;
      if (k == WL_NS_COUNT)
        return wa_fail(p->err, WA_EMALFORMED, WA_NOOFF,
                       "config.json: linux.namespaces[%zu]: unknown type %s", i,
                       type ? type : "(none)");
      s->ns[k].wanted = true;
      s->ns[k].path = path && path[0] ? path : NULL;
    }
  }
  if ((rc = get_str(p, lx, "cgroupsPath", "linux.cgroupsPath",
                    &s->cgroups_path)))
    return rc;
  json_t *res = json_object_get(lx, "resources");
  if (res && !json_is_null(res) && (rc = parse_resources(p, res)))
    return rc;
  return 0;
}

int wl__spec_parse(const char *text, size_t len, wl__spec *s, wa_err *err) {
  memset(s, 0, sizeof *s);
  wa_arena_init(&s->arena, 16 << 10);
  s->mem_limit = s->mem_swap = s->pids_limit = s->cpu_quota = -1;
  s->cpu_shares = s->cpu_period = -1;
  parser p = {s, err};
  json_error_t je;
  json_t *root = json_loadb(
      text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
  int rc = 0;
  if (!root)
    return wa_fail(err, WA_EMALFORMED, (uint64_t)je.position,
                   "config.json: line %d: %s", je.line, je.text);
  if (!json_is_object(root)) {
    rc = type_err(&p, "the document", "an object");
    goto out;
  }
  json_t *proc = json_object_get(root, "process");
  if (proc && !json_is_null(proc) && (rc = parse_process(&p, proc)))
    goto out;
  json_t *rootobj = json_object_get(root, "root");
  if (rootobj && json_is_object(rootobj)) {
    if ((rc = get_str(&p, rootobj, "path", "root.path", &s->root_path)) ||
        (rc = get_bool(&p, rootobj, "readonly", "root.readonly",
                       &s->root_readonly)))
      goto out;
  }
  if ((rc = get_str(&p, root, "hostname", "hostname", &s->hostname)))
    goto out;
  json_t *mounts = json_object_get(root, "mounts");
  if (mounts && !json_is_null(mounts) && (rc = parse_mounts(&p, mounts)))
    goto out;
  json_t *lx = json_object_get(root, "linux");
  if (lx && !json_is_null(lx) && (rc = parse_linux(&p, lx)))
    goto out;
  json_t *ann = json_object_get(root, "annotations");
  if (ann && json_is_object(ann) &&
      ((rc = get_str(&p, ann, "io.kubernetes.cri.container-type", "annotations",
                     &s->container_type)) ||
       (rc =
            get_str(&p, ann, WL_ANN_CRI_IMAGE, "annotations", &s->cri_image)) ||
       (rc = get_str(&p, ann, WL_ANN_IMAGE, "annotations", &s->wasmaot_image))))
    goto out;
  if (!s->cwd)
    s->cwd = "/";
out:
  json_decref(root);
  if (rc != 0) {
    wl__spec_free(s);
    wa_arena_init(&s->arena, 16 << 10);
  }
  return rc;
}

int wl__spec_parse_resources(const char *text, size_t len, wl__spec *s,
                             wa_err *err) {
  memset(s, 0, sizeof *s);
  wa_arena_init(&s->arena, 1024);
  s->mem_limit = s->mem_swap = s->pids_limit = s->cpu_quota = -1;
  s->cpu_shares = s->cpu_period = -1;
  parser p = {s, err};
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &je);
  if (!root)
    return wa_fail(err, WA_EMALFORMED, (uint64_t)je.position,
                   "resources: line %d: %s", je.line, je.text);
  int rc = parse_resources(&p, root);
  json_decref(root);
  return rc;
}

int wl__spec_load(const char *bundle, wl__spec *out, wa_err *err) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/config.json", bundle) >= (int)sizeof path)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF, "bundle path too long: %s",
                   bundle);
  uint8_t *text;
  size_t len;
  int rc = wa_file_read(path, &text, &len, err);
  if (rc != 0)
    return rc;
  rc = wl__spec_parse((const char *)text, len, out, err);
  wa_free(text);
  if (rc != 0)
    wa_err_where(err, path);
  return rc;
}

void wl__spec_free(wl__spec *s) {
  wa_arena_free(&s->arena);
}

const char *wl__spec_getenv(const wl__spec *s, const char *name) {
  size_t n = strlen(name);
  for (size_t i = s->n_env; i-- > 0;)
    if (strncmp(s->env[i], name, n) == 0 && s->env[i][n] == '=')
      return s->env[i] + n + 1;
  return NULL;
}

int wl__shim_config_load(const char *path, wl__shim_config *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    return wa_fail(err, errno == ENOENT ? WA_ENOTFOUND : WA_EMALFORMED,
                   WA_NOOFF, "shim config %s: line %d: %s", path, je.line,
                   je.text);
  int rc = 0;
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    char *dst = strcmp(key, "runtime") == 0     ? out->runtime
                : strcmp(key, "cache_dir") == 0 ? out->cache_dir
                : strcmp(key, "store_dir") == 0 ? out->store_dir
                                                : NULL;
    if (!dst) {
      rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "shim config %s: unknown key %s (runtime, cache_dir, "
                   "store_dir)",
                   path, key);
      break;
    }
    if (!json_is_string(v) || json_string_value(v)[0] != '/') {
      rc = wa_fail(err, WA_EMALFORMED, WA_NOOFF,
                   "shim config %s: %s must be an absolute path", path, key);
      break;
    }
    if (wa_strlcpy(dst, json_string_value(v), sizeof out->runtime) != 0) {
      rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "shim config %s: %s too long",
                   path, key);
      break;
    }
  }
  json_decref(root);
  return rc;
}
