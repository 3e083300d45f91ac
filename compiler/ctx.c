/*
 * ctx.c: LLVM setup. Target registration, config resolution (triple, CPU,
 * features), target machines, and the per-chunk unit (LLVMContext, module,
 * builders, cached types). LLVM error strings become wa_err here.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const wc_target *const targets[] = {&wc__target_x86_64,
                                           &wc__target_aarch64};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_all(void) {
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    targets[i]->init();
}

void wc__llvm_init(void) { pthread_once(&init_once, init_all); }

const wc_target *wc__target_for_arch(const char *arch, size_t len) {
  static const struct {
    const char *alias, *arch;
  } aliases[] = {{"amd64", "x86_64"}, {"arm64", "aarch64"}};
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strlen(aliases[i].alias) == len &&
        memcmp(arch, aliases[i].alias, len) == 0) {
      arch = aliases[i].arch;
      len = strlen(arch);
    }
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strlen(targets[i]->arch) == len &&
        memcmp(arch, targets[i]->arch, len) == 0)
      return targets[i];
  return NULL;
}

int wc__fail_llvm(wa_err *err, int code, const char *ctx, char *llvm_msg) {
  int rc = wa_fail(err, code, WA_NOOFF, "%s: %s", ctx,
                   llvm_msg ? llvm_msg : "unknown LLVM error");
  if (llvm_msg)
    LLVMDisposeMessage(llvm_msg);
  return rc;
}

/* ------------------------------------------------------ config resolution */

typedef struct feat {
  char sign;
  const char *name;
  size_t len;
  bool from_host;
} feat;

static int feat_cmp(const void *a, const void *b) {
  const feat *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->name, y->name, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Parses "+a,-b" into fs (replacing earlier entries for the same name). */
static int feats_add(feat *fs, size_t *n, size_t cap, const char *s,
                     bool from_host, wa_err *err) {
  while (s && *s) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len > 0) {
      if ((s[0] != '+' && s[0] != '-') || len < 2)
        return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                       "CPU feature '%.*s' must start with + or -",
                       (int)len, s);
      size_t i;
      for (i = 0; i < *n; i++)
        if (fs[i].len == len - 1 && memcmp(fs[i].name, s + 1, len - 1) == 0)
          break;
      if (i == *n) {
        if (*n == cap)
          return wa_fail(err, WA_ELIMIT, WA_NOOFF, "too many CPU features");
        (*n)++;
      }
      fs[i] = (feat){s[0], s + 1, len - 1, from_host};
    }
    s = e ? e + 1 : NULL;
  }
  return 0;
}

/* Joins features sorted by name. The host list can be long; if it does
 * not fit, the host's disabled features go first (the CPU name implies
 * most of them). */
static int feats_join(feat *fs, size_t n, char *out, size_t cap,
                      wa_err *err) {
  qsort(fs, n, sizeof *fs, feat_cmp);
  for (int pass = 0; pass < 2; pass++) {
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
      if (pass == 1 && fs[i].from_host && fs[i].sign == '-')
        continue;
      int w = snprintf(out + len, cap - len, "%s%c%.*s", len ? "," : "",
                       fs[i].sign, (int)fs[i].len, fs[i].name);
      if (w < 0 || (size_t)w >= cap - len) {
        len = cap;
        break;
      }
      len += (size_t)w;
    }
    if (len < cap)
      return 0;
  }
  return wa_fail(err, WA_ELIMIT, WA_NOOFF,
                 "CPU feature list longer than %zu bytes", cap - 1);
}

int wc__resolve(const wc_config *c, wc_resolved *out, const wc_target **tgt,
                wa_err *err) {
  int rc = 0;
  char *host_triple = LLVMGetDefaultTargetTriple();
  char *host_cpu = NULL, *host_feats = NULL;
  feat *fs = NULL;
  memset(out, 0, sizeof *out);

  const char *dash = strchr(host_triple, '-');
  const wc_target *host = wc__target_for_arch(
      host_triple, dash ? (size_t)(dash - host_triple) : strlen(host_triple));

  const char *triple = c->triple;
  const wc_target *t = host;
  if (triple && *triple) {
    dash = strchr(triple, '-');
    size_t alen = dash ? (size_t)(dash - triple) : strlen(triple);
    t = wc__target_for_arch(triple, alen);
    if (!t) {
      rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "target '%s' is not supported (x86_64 and aarch64 Linux "
                   "are)",
                   triple);
      goto out;
    }
    if (dash && !strstr(dash, "linux")) {
      rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                   "target '%s' is not supported: only Linux targets are",
                   triple);
      goto out;
    }
  } else if (!t) {
    rc = wa_fail(err, WA_EUNSUPPORTED, WA_NOOFF,
                 "host '%s' is not a supported target", host_triple);
    goto out;
  }
  /* One spelling per target, so artifacts and cache keys compare. */
  snprintf(out->triple, sizeof out->triple, "%s-unknown-linux-gnu", t->arch);

  bool is_host = t == host;
  const char *cpu = c->cpu && *c->cpu ? c->cpu : NULL;
  /* "portable" names the baseline without knowing it, so the launcher's
   * --portable needs no per-target table of its own. */
  if (cpu && strcmp(cpu, "portable") == 0)
    cpu = t->baseline_cpu;
  if (!cpu)
    cpu = is_host ? "native" : t->baseline_cpu;
  size_t cap = 512, n = 0;
  fs = wa_calloc(cap, sizeof *fs);
  if (!fs) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  if (strcmp(cpu, "native") == 0) {
    if (!is_host) {
      rc = wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "cpu 'native' needs the host target, not %s",
                   out->triple);
      goto out;
    }
    host_cpu = LLVMGetHostCPUName();
    host_feats = LLVMGetHostCPUFeatures();
    cpu = host_cpu;
    if ((rc = feats_add(fs, &n, cap, host_feats, true, err)) < 0)
      goto out;
  }
  if (wa_strlcpy(out->cpu, cpu, sizeof out->cpu) < 0) {
    rc = wa_fail(err, WA_EUSAGE, WA_NOOFF, "cpu name '%s' is too long", cpu);
    goto out;
  }
  if ((rc = feats_add(fs, &n, cap, c->features, false, err)) < 0)
    goto out;
  if ((rc = feats_join(fs, n, out->features, sizeof out->features, err)) < 0)
    goto out;

  if (c->bounds != WR_BOUNDS_GUARD && c->bounds != WR_BOUNDS_EXPLICIT) {
    rc = wa_fail(err, WA_EUSAGE, WA_NOOFF, "bounds mode %u is not 0 or 1",
                 c->bounds);
    goto out;
  }
  if (c->opt_level > 3) {
    rc = wa_fail(err, WA_EUSAGE, WA_NOOFF, "optimization level %u is not 0-3",
                 c->opt_level);
    goto out;
  }
  out->bounds = c->bounds;
  out->opt_level = c->opt_level;
  if (tgt)
    *tgt = t;
out:
  wa_free(fs);
  LLVMDisposeMessage(host_triple);
  if (host_cpu)
    LLVMDisposeMessage(host_cpu);
  if (host_feats)
    LLVMDisposeMessage(host_feats);
  return rc;
}

int wc__tm_create(const wc_resolved *r, LLVMTargetMachineRef *out,
                  wa_err *err) {
  wc__llvm_init();
  LLVMTargetRef target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(r->triple, &target, &msg))
    return wc__fail_llvm(err, WA_EUNSUPPORTED, r->triple, msg);
  static const LLVMCodeGenOptLevel levels[] = {
      LLVMCodeGenLevelNone, LLVMCodeGenLevelLess, LLVMCodeGenLevelDefault,
      LLVMCodeGenLevelAggressive};
  /* PIC: the runtime maps code anywhere; calls to memcpy and friends are
   * the only references that leave the object. */
  *out = LLVMCreateTargetMachine(target, r->triple, r->cpu, r->features,
                                 levels[r->opt_level & 3], LLVMRelocPIC,
                                 LLVMCodeModelSmall);
  if (!*out)
    return wa_fail(err, WA_ECODEGEN, WA_NOOFF,
                   "cannot create a target machine for %s (cpu %s)",
                   r->triple, r->cpu);
  return 0;
}

/* ------------------------------------------------------------------- units */

static void on_diag(LLVMDiagnosticInfoRef di, void *ud) {
  wc_unit *u = ud;
  if (LLVMGetDiagInfoSeverity(di) != LLVMDSError || u->diag[0])
    return;
  char *d = LLVMGetDiagInfoDescription(di);
  wa_strlcpy(u->diag, d, sizeof u->diag);
  LLVMDisposeMessage(d);
}

static LLVMValueRef md_str(wc_unit *u, const char *s) {
  return LLVMMetadataAsValue(u->ctx,
                             LLVMMDStringInContext2(u->ctx, s, strlen(s)));
}

static LLVMValueRef md_node(wc_unit *u, LLVMValueRef *vals, unsigned n) {
  LLVMMetadataRef ms[4];
  for (unsigned i = 0; i < n; i++)
    ms[i] = LLVMValueAsMetadata(vals[i]);
  return LLVMMetadataAsValue(u->ctx, LLVMMDNodeInContext2(u->ctx, ms, n));
}

/* Scalar TBAA type nodes under one root; each access tag is
 * !{type, type, 0}. */
static void tbaa_init(wc_unit *u) {
  static const char *const names[WC_TBAA_COUNT] = {
      [WC_TBAA_VMCTX] = "wasmaot vmctx",
      [WC_TBAA_MEMOBJ] = "wasmaot memory object",
      [WC_TBAA_TABLE] = "wasmaot table object",
      [WC_TBAA_ELEMS] = "wasmaot table elements",
      [WC_TBAA_FUNCREF] = "wasmaot funcref",
      [WC_TBAA_GLOBAL] = "wasmaot global",
      [WC_TBAA_MEM] = "wasmaot linear memory",
      [WC_TBAA_VALS] = "wasmaot value array",
  };
  LLVMValueRef root_name = md_str(u, "wasmaot tbaa");
  LLVMValueRef root = md_node(u, &root_name, 1);
  LLVMValueRef zero = LLVMConstInt(u->t_i64, 0, 0);
  for (int i = 0; i < WC_TBAA_COUNT; i++) {
    LLVMValueRef tv[3] = {md_str(u, names[i]), root, zero};
    LLVMValueRef type = md_node(u, tv, 3);
    LLVMValueRef av[3] = {type, type, zero};
    u->tbaa[i] = md_node(u, av, 3);
  }
}

static LLVMTypeRef ret_type(wc_unit *u, const wm_functype *ft) {
  if (ft->n_results == 0)
    return u->t_void;
  if (ft->n_results == 1)
    return wc__valtype(u, ft->results[0]);
  LLVMTypeRef *ts = wa_arena_alloc(&u->arena, ft->n_results * sizeof *ts);
  if (!ts)
    return NULL;
  for (uint32_t i = 0; i < ft->n_results; i++)
    ts[i] = wc__valtype(u, ft->results[i]);
  return LLVMStructTypeInContext(u->ctx, ts, ft->n_results, 0);
}

static const char *const helper_sigs[WR_HELPER_COUNT] = {
    /* result, then params after vmctx: i = i32, p = ptr */
    [WR_HELPER_TRAP] = "vi",         [WR_HELPER_MEMORY_GROW] = "ii",
    [WR_HELPER_MEMORY_FILL] = "viii", [WR_HELPER_MEMORY_COPY] = "viii",
    [WR_HELPER_MEMORY_INIT] = "viiii", [WR_HELPER_DATA_DROP] = "vi",
    [WR_HELPER_TABLE_GROW] = "iipi",  [WR_HELPER_TABLE_FILL] = "viipi",
    [WR_HELPER_TABLE_COPY] = "viiiii", [WR_HELPER_TABLE_INIT] = "viiiii",
    [WR_HELPER_ELEM_DROP] = "vi",     [WR_HELPER_HOST_CALL] = "vip",
};

static LLVMTypeRef sig_type(wc_unit *u, char c) {
  return c == 'v' ? u->t_void : c == 'i' ? u->t_i32 : u->t_ptr;
}

int wc__unit_init(wc_unit *u, const wm_module *m, const wc_resolved *cfg,
                  LLVMTargetMachineRef tm, bool split, const char *name,
                  wa_err *err) {
  memset(u, 0, sizeof *u);
  u->m = m;
  u->cfg = cfg;
  u->explicit_bounds = cfg->bounds == WR_BOUNDS_EXPLICIT;
  u->split = split;
  wa_arena_init(&u->arena, 1 << 16);
  wa_arena_init(&u->scratch, 1 << 16);
  u->ctx = LLVMContextCreate();
  LLVMContextSetDiscardValueNames(u->ctx, 1);
  LLVMContextSetDiagnosticHandler(u->ctx, on_diag, u);
  u->mod = LLVMModuleCreateWithNameInContext(name, u->ctx);
  LLVMSetTarget(u->mod, cfg->triple);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(u->mod, td);
  LLVMDisposeTargetData(td);
  u->b = LLVMCreateBuilderInContext(u->ctx);
  u->pb = LLVMCreateBuilderInContext(u->ctx);

  u->t_void = LLVMVoidTypeInContext(u->ctx);
  u->t_i1 = LLVMInt1TypeInContext(u->ctx);
  u->t_i8 = LLVMInt8TypeInContext(u->ctx);
  u->t_i16 = LLVMInt16TypeInContext(u->ctx);
  u->t_i32 = LLVMInt32TypeInContext(u->ctx);
  u->t_i64 = LLVMInt64TypeInContext(u->ctx);
  u->t_f32 = LLVMFloatTypeInContext(u->ctx);
  u->t_f64 = LLVMDoubleTypeInContext(u->ctx);
  u->t_v128 = LLVMVectorType(u->t_i64, 2);
  u->t_ptr = LLVMPointerTypeInContext(u->ctx, 0);

  u->md_tbaa = LLVMGetMDKindIDInContext(u->ctx, "tbaa", 4);
  u->md_invariant = LLVMGetMDKindIDInContext(u->ctx, "invariant.load", 14);
  u->md_nonnull = LLVMGetMDKindIDInContext(u->ctx, "nonnull", 7);
  u->md_empty = LLVMMetadataAsValue(u->ctx, LLVMMDNodeInContext2(u->ctx, 0, 0));
  tbaa_init(u);

  const char *fp = "frame-pointer", *all = "all";
  u->fn_attrs[u->n_fn_attrs++] = LLVMCreateStringAttribute(
      u->ctx, fp, (unsigned)strlen(fp), all, (unsigned)strlen(all));
  /* No tail calls: neither tail-recursion elimination nor sibling calls,
   * which would turn runaway recursion into an endless loop instead of
   * exhausting the stack (spec call.wast). */
  const char *dtc = "disable-tail-calls", *yes = "true";
  u->fn_attrs[u->n_fn_attrs++] = LLVMCreateStringAttribute(
      u->ctx, dtc, (unsigned)strlen(dtc), yes, (unsigned)strlen(yes));
  unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
  u->fn_attrs[u->n_fn_attrs++] = LLVMCreateEnumAttribute(u->ctx, nounwind, 0);

  for (int i = 0; i < WR_HELPER_COUNT; i++) {
    const char *s = helper_sigs[i];
    LLVMTypeRef ps[8];
    unsigned np = 0;
    ps[np++] = u->t_ptr;
    for (const char *c = s + 1; *c; c++)
      ps[np++] = sig_type(u, *c);
    u->helper_types[i] = LLVMFunctionType(sig_type(u, s[0]), ps, np, 0);
  }

  u->fn_types = wa_arena_alloc(&u->arena, (m->n_types + 1) * sizeof(void *));
  u->ret_types = wa_arena_alloc(&u->arena, (m->n_types + 1) * sizeof(void *));
  u->funcs = wa_arena_alloc(&u->arena, (m->n_funcs + 1) * sizeof(void *));
  if (!u->fn_types || !u->ret_types || !u->funcs)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  for (uint32_t i = 0; i < m->n_types; i++) {
    const wm_functype *ft = &m->types[i];
    LLVMTypeRef *ps = wa_arena_alloc(&u->arena, (ft->n_params + 1) *
                                                    sizeof(LLVMTypeRef));
    u->ret_types[i] = ret_type(u, ft);
    if (!ps || !u->ret_types[i])
      return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    ps[0] = u->t_ptr;
    for (uint32_t j = 0; j < ft->n_params; j++)
      ps[j + 1] = wc__valtype(u, ft->params[j]);
    u->fn_types[i] = LLVMFunctionType(u->ret_types[i], ps, ft->n_params + 1, 0);
  }
  return 0;
}

void wc__unit_free(wc_unit *u) {
  if (u->b)
    LLVMDisposeBuilder(u->b);
  if (u->pb)
    LLVMDisposeBuilder(u->pb);
  if (u->mod)
    LLVMDisposeModule(u->mod);
  if (u->ctx)
    LLVMContextDispose(u->ctx);
  wa_arena_free(&u->scratch);
  wa_arena_free(&u->arena);
  memset(u, 0, sizeof *u);
}

LLVMTypeRef wc__valtype(wc_unit *u, uint8_t t) {
  switch (t) {
  case WM_I32:
    return u->t_i32;
  case WM_I64:
    return u->t_i64;
  case WM_F32:
    return u->t_f32;
  case WM_F64:
    return u->t_f64;
  case WM_V128:
    return u->t_v128;
  default: /* funcref, externref */
    return u->t_ptr;
  }
}

void wc__fn_attrs(wc_unit *u, LLVMValueRef fn) {
  for (unsigned i = 0; i < u->n_fn_attrs; i++)
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, u->fn_attrs[i]);
}

LLVMValueRef wc__func_decl(wc_unit *u, uint32_t idx) {
  if (u->funcs[idx])
    return u->funcs[idx];
  char name[32];
  snprintf(name, sizeof name, WC_FUNC_FMT, idx);
  LLVMValueRef fn =
      LLVMAddFunction(u->mod, name, u->fn_types[u->m->func_types[idx]]);
  if (u->split) {
    LLVMSetLinkage(fn, LLVMExternalLinkage);
    LLVMSetVisibility(fn, LLVMHiddenVisibility);
  } else {
    LLVMSetLinkage(fn, LLVMInternalLinkage);
  }
  wc__fn_attrs(u, fn);
  u->funcs[idx] = fn;
  return fn;
}

LLVMValueRef wc__intrinsic(wc_unit *u, const char *name, LLVMTypeRef *types,
                           unsigned n, LLVMTypeRef *fn_type) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  *fn_type = LLVMIntrinsicGetType(u->ctx, id, types, n);
  return LLVMGetIntrinsicDeclaration(u->mod, id, types, n);
}
