/*
 * validate.c: Wasm 2.0 validation (spec chapter 3): module-level rules and
 * the operand/control stack algorithm of the spec's appendix A.3 for every
 * function body. Ops with a fixed signature are typed from their
 * opcodes.def row; only control, variable, reference, table and call ops
 * are typed by name. Stacks are reused across functions, so a body costs
 * no allocation once the stacks have grown.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN 0 /* the bottom type of unreachable code */

/* The frame kinds of the control stack. */
enum { K_FUNC, K_BLOCK, K_LOOP, K_IF, K_ELSE };

typedef struct ctrl {
  const uint8_t *params, *results;
  uint32_t n_params, n_results;
  uint32_t height; /* operand stack height when the frame was entered */
  uint8_t kind;
  bool unreachable;
} ctrl;

typedef struct val {
  wm_module *m;
  wa_err *err;
  uint32_t off; /* offset of the instruction being checked */
  wm_op op;

  uint8_t *vals;
  uint32_t n_vals, cap_vals;
  ctrl *ctrls;
  uint32_t n_ctrls, cap_ctrls;

  /* Local types: expanded for ordinary functions, else group ends for a
   * binary search (a body may declare 2^32-1 locals in a few bytes). */
  uint8_t *ltypes;
  uint32_t cap_ltypes;
  uint32_t *gends;
  uint32_t cap_gends;
  const wm_code *code;
  const wm_functype *ft;
  uint64_t n_locals; /* params included */

  uint8_t *refs; /* C.refs: bitmap of functions ref.func may name */
  uint32_t features;
} val;

#define LTYPES_MAX (1u << 16)

/* one_type[t] is t: a one-element type vector for a single-result block. */
#define I1(i) (uint8_t)(i)
#define I4(i) I1(i), I1(i + 1), I1(i + 2), I1(i + 3)
#define I16(i) I4(i), I4(i + 4), I4(i + 8), I4(i + 12)
#define I64_(i) I16(i), I16(i + 16), I16(i + 32), I16(i + 48)
static const uint8_t one_type[256] = {I64_(0), I64_(64), I64_(128),
                                      I64_(192)};

static int verr(val *v, const char *fmt, ...) WA_PRINTF(2, 3);
static int verr(val *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = wa_vfail(v->err, WA_EINVALID, v->off, fmt, ap);
  va_end(ap);
  return rc;
}

static const char *tname(uint8_t t) {
  return t == UNKNOWN ? "nothing" : wm_valtype_name(t);
}

static int nomem(val *v) {
  return wa_fail(v->err, WA_ENOMEM, WA_NOOFF, "out of memory");
}

static int grow(void **p, uint32_t *cap, uint64_t need, size_t size) {
  uint64_t n = *cap ? *cap : 64;
  while (n < need)
    n *= 2;
  if (n > UINT32_MAX || n * size > SIZE_MAX)
    return -1;
  void *q = wa_realloc(*p, (size_t)(n * size));
  if (!q)
    return -1;
  *p = q;
  *cap = (uint32_t)n;
  return 0;
}

/* ------------------------------------------------------- operand stack */

static inline int push(val *v, uint8_t t) {
  if (v->n_vals == v->cap_vals &&
      grow((void **)&v->vals, &v->cap_vals, (uint64_t)v->n_vals + 1, 1))
    return nomem(v);
  v->vals[v->n_vals++] = t;
  return 0;
}

static int mismatch(val *v, uint8_t want, uint8_t got) {
  return verr(v, "type mismatch in %s: expected %s, got %s",
              wm_opinfos[v->op].text, want ? wm_valtype_name(want) : "a value",
              tname(got));
}

/* spec A.3 pop_val: returns UNKNOWN below the frame of unreachable code. */
static inline int pop(val *v, uint8_t want, uint8_t *out) {
  ctrl *c = &v->ctrls[v->n_ctrls - 1];
  if (v->n_vals == c->height) {
    if (c->unreachable) {
      *out = UNKNOWN;
      return 0;
    }
    return mismatch(v, want, UNKNOWN);
  }
  uint8_t t = v->vals[--v->n_vals];
  if (t != want && t != UNKNOWN && want != UNKNOWN)
    return mismatch(v, want, t);
  *out = t;
  return 0;
}

static inline int pop_t(val *v, uint8_t want) {
  uint8_t t;
  return pop(v, want, &t);
}

static int pop_n(val *v, const uint8_t *types, uint32_t n) {
  for (uint32_t i = n; i-- > 0;) {
    int rc = pop_t(v, types[i]);
    if (rc)
      return rc;
  }
  return 0;
}

static int push_n(val *v, const uint8_t *types, uint32_t n) {
  if (n == 0)
    return 0;
  if ((uint64_t)v->n_vals + n > v->cap_vals &&
      grow((void **)&v->vals, &v->cap_vals, (uint64_t)v->n_vals + n, 1))
    return nomem(v);
  memcpy(v->vals + v->n_vals, types, n);
  v->n_vals += n;
  return 0;
}

/* ------------------------------------------------------- control stack */

static int push_ctrl(val *v, uint8_t kind, const uint8_t *params,
                     uint32_t n_params, const uint8_t *results,
                     uint32_t n_results) {
  if (v->n_ctrls == v->cap_ctrls &&
      grow((void **)&v->ctrls, &v->cap_ctrls, (uint64_t)v->n_ctrls + 1,
           sizeof(ctrl)))
    return nomem(v);
  v->ctrls[v->n_ctrls++] = (ctrl){params,   results, n_params, n_results,
                                  v->n_vals, kind,    false};
  return push_n(v, params, n_params);
}

static int pop_ctrl(val *v, ctrl *out) {
  ctrl *c = &v->ctrls[v->n_ctrls - 1];
  int rc = pop_n(v, c->results, c->n_results);
  if (rc)
    return rc;
  if (v->n_vals != c->height)
    return verr(v,
                "type mismatch in %s: %u value(s) left on the stack at the "
                "end of the block",
                wm_opinfos[v->op].text, v->n_vals - c->height);
  *out = *c;
  v->n_ctrls--;
  return 0;
}

static void set_unreachable(val *v) {
  ctrl *c = &v->ctrls[v->n_ctrls - 1];
  v->n_vals = c->height;
  c->unreachable = true;
}

static inline void label_types(const ctrl *c, const uint8_t **types,
                               uint32_t *n) {
  if (c->kind == K_LOOP)
    *types = c->params, *n = c->n_params;
  else
    *types = c->results, *n = c->n_results;
}

static int label(val *v, uint32_t depth, const ctrl **out) {
  if (depth >= v->n_ctrls)
    return verr(v, "unknown label %u in %s", depth, wm_opinfos[v->op].text);
  *out = &v->ctrls[v->n_ctrls - 1 - depth];
  return 0;
}

/* ---------------------------------------------------------------- locals */

static int setup_locals(val *v, const wm_functype *ft, const wm_code *c) {
  v->ft = ft;
  v->code = c;
  v->n_locals = (uint64_t)ft->n_params + c->n_locals;
  if (v->n_locals <= LTYPES_MAX) {
    if (v->n_locals > v->cap_ltypes &&
        grow((void **)&v->ltypes, &v->cap_ltypes, v->n_locals, 1))
      return nomem(v);
    if (ft->n_params)
      memcpy(v->ltypes, ft->params, ft->n_params);
    uint32_t k = ft->n_params;
    for (uint32_t g = 0; g < c->n_groups; g++) {
      if (c->groups[g].count == 0)
        continue; /* ltypes may still be NULL */
      memset(v->ltypes + k, c->groups[g].type, c->groups[g].count);
      k += c->groups[g].count;
    }
    return 0;
  }
  if (c->n_groups > v->cap_gends &&
      grow((void **)&v->gends, &v->cap_gends, c->n_groups, sizeof(uint32_t)))
    return nomem(v);
  uint32_t end = 0;
  for (uint32_t g = 0; g < c->n_groups; g++)
    v->gends[g] = end += c->groups[g].count;
  return 0;
}

static int local_type(val *v, uint32_t idx, uint8_t *out) {
  if (idx >= v->n_locals)
    return verr(v, "unknown local %u in %s", idx, wm_opinfos[v->op].text);
  if (v->n_locals <= LTYPES_MAX) {
    *out = v->ltypes[idx];
    return 0;
  }
  if (idx < v->ft->n_params) {
    *out = v->ft->params[idx];
    return 0;
  }
  idx -= v->ft->n_params;
  uint32_t lo = 0, hi = v->code->n_groups - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (idx < v->gends[mid])
      hi = mid;
    else
      lo = mid + 1;
  }
  *out = v->code->groups[lo].type;
  return 0;
}

/* ------------------------------------------------------- instructions */

static int blocktype(val *v, const wm_instr *in, const uint8_t **params,
                     uint32_t *n_params, const uint8_t **results,
                     uint32_t *n_results) {
  int64_t ti = in->u.block.type_index;
  *params = *results = NULL;
  *n_params = *n_results = 0;
  if (ti == WM_BLOCK_EMPTY)
    return 0;
  if (ti == WM_BLOCK_VALTYPE) {
    *results = &one_type[in->u.block.valtype];
    *n_results = 1;
    return 0;
  }
  if (ti >= v->m->n_types)
    return verr(v, "unknown type %lld in %s", (long long)ti,
                wm_opinfos[v->op].text);
  const wm_functype *ft = &v->m->types[ti];
  *params = ft->params, *n_params = ft->n_params;
  *results = ft->results, *n_results = ft->n_results;
  v->features |= WM_FEATURE_MULTI_VALUE;
  return 0;
}

static int need_memory(val *v) {
  if (v->m->n_memories == 0)
    return verr(v, "unknown memory 0 in %s", wm_opinfos[v->op].text);
  return 0;
}

static int need_table(val *v, uint32_t idx, uint8_t *elemtype) {
  if (idx >= v->m->n_tables)
    return verr(v, "unknown table %u in %s", idx, wm_opinfos[v->op].text);
  if (elemtype)
    *elemtype = v->m->tables[idx].type.elemtype;
  if (idx)
    v->features |= WM_FEATURE_REFERENCE_TYPES;
  return 0;
}

static int need_data(val *v, uint32_t idx) {
  const wm_module *m = v->m;
  if (m->has_data_count) {
    if (idx >= m->data_count)
      return verr(v, "unknown data segment %u in %s", idx,
                  wm_opinfos[v->op].text);
    return 0;
  }
  /* spec 5.5.13: data indices in code need the data count section, else
   * the binary is malformed. An index no segment has is reported as the
   * validation error it is in the text format (memory_init.wast does). */
  if (idx >= m->n_datas)
    return verr(v, "unknown data segment %u in %s", idx,
                wm_opinfos[v->op].text);
  return wa_fail(v->err, WA_EMALFORMED, v->off,
                 "%s needs a data count section (data count section "
                 "required)",
                 wm_opinfos[v->op].text);
}

static int need_elem(val *v, uint32_t idx, uint8_t *elemtype) {
  if (idx >= v->m->n_elems)
    return verr(v, "unknown elem segment %u in %s", idx,
                wm_opinfos[v->op].text);
  if (elemtype)
    *elemtype = v->m->elems[idx].elemtype;
  return 0;
}

/* Memory, lane and shuffle immediates (spec 3.3.7, 3.3.3). */
static int check_imm(val *v, const wm_instr *in, const wm_opinfo *info) {
  int rc;
  switch (info->imm) {
  case WM_IMM_MEMARG:
  case WM_IMM_MEMARG_LANE:
    if ((rc = need_memory(v)))
      return rc;
    if ((1u << in->u.mem.align) > info->size)
      return verr(v,
                  "alignment 2^%u of %s is larger than natural (%u) "
                  "(alignment must not be larger than natural)",
                  in->u.mem.align, info->text, info->size);
    if (info->imm == WM_IMM_MEMARG_LANE && in->u.mem.lane >= 16 / info->size)
      return verr(v, "invalid lane index %u in %s", in->u.mem.lane,
                  info->text);
    return 0;
  case WM_IMM_LANE:
    if (in->u.lane >= info->size)
      return verr(v, "invalid lane index %u in %s", in->u.lane, info->text);
    return 0;
  case WM_IMM_SHUFFLE:
    for (int i = 0; i < 16; i++)
      if (in->u.shuffle[i] >= 32)
        return verr(v, "invalid lane index %u in %s", in->u.shuffle[i],
                    info->text);
    return 0;
  case WM_IMM_MEMIDX:
  case WM_IMM_MEM_COPY:
    return need_memory(v);
  case WM_IMM_MEM_INIT:
    if ((rc = need_memory(v)))
      return rc;
    return need_data(v, in->u.pair.a);
  default:
    return 0;
  }
}

static uint32_t op_feature(wm_op op) {
  if (op <= WM_OP_I64_EXTEND32_S)
    return WM_FEATURE_SIGN_EXT;
  if (op <= WM_OP_REF_FUNC)
    return WM_FEATURE_REFERENCE_TYPES;
  if (op <= WM_OP_I64_TRUNC_SAT_F64_U)
    return WM_FEATURE_SAT_FLOAT_TO_INT;
  if (op <= WM_OP_TABLE_COPY)
    return WM_FEATURE_BULK_MEMORY;
  if (op <= WM_OP_TABLE_FILL)
    return WM_FEATURE_REFERENCE_TYPES;
  return WM_FEATURE_SIMD;
}

static int check_call(val *v, uint32_t typeidx) {
  const wm_functype *ft = &v->m->types[typeidx];
  int rc = pop_n(v, ft->params, ft->n_params);
  return rc ? rc : push_n(v, ft->results, ft->n_results);
}

/* Checks that the top of the stack matches 'types' without popping: the
 * same verdict as spec A.3's push_vals(pop_vals(types)), since an unknown
 * pushed back matches anything, as the bottom of unreachable code does. */
static int peek_n(val *v, const uint8_t *types, uint32_t n) {
  const ctrl *c = &v->ctrls[v->n_ctrls - 1];
  uint32_t avail = v->n_vals - c->height;
  for (uint32_t k = 0; k < n; k++) {
    uint8_t want = types[n - 1 - k];
    if (k >= avail) {
      if (c->unreachable)
        return 0;
      return mismatch(v, want, UNKNOWN);
    }
    uint8_t t = v->vals[v->n_vals - 1 - k];
    if (t != want && t != UNKNOWN)
      return mismatch(v, want, t);
  }
  return 0;
}

static int check_br_table(val *v, const wm_instr *in) {
  const ctrl *c = NULL;
  const uint8_t *types, *ttypes;
  uint32_t arity, n;
  int rc = pop_t(v, WM_I32);
  if (rc || (rc = label(v, in->u.br_table.default_target, &c)))
    return rc;
  label_types(c, &types, &arity);
  const uint8_t *cur = in->u.br_table.targets;
  for (uint32_t i = 0; i < in->u.br_table.n_targets; i++) {
    if ((rc = label(v, wm_br_table_next(&cur), &c)))
      return rc;
    label_types(c, &ttypes, &n);
    if (n != arity)
      return verr(v,
                  "type mismatch in br_table: target %u has %u values, the "
                  "default %u",
                  i, n, arity);
    if ((rc = peek_n(v, ttypes, n)))
      return rc;
  }
  if ((rc = pop_n(v, types, arity)))
    return rc;
  set_unreachable(v);
  return 0;
}

static int check_select(val *v, const wm_instr *in) {
  uint8_t t1 = 0, t2 = 0;
  int rc;
  if (in->op == WM_OP_SELECT_T) {
    if (in->u.select_t.n != 1)
      return verr(v, "invalid result arity %u in select",
                  in->u.select_t.n);
    uint8_t t = in->u.select_t.types[0];
    v->features |= WM_FEATURE_REFERENCE_TYPES;
    if ((rc = pop_t(v, WM_I32)) || (rc = pop_t(v, t)) || (rc = pop_t(v, t)))
      return rc;
    return push(v, t);
  }
  if ((rc = pop_t(v, WM_I32)) || (rc = pop(v, UNKNOWN, &t1)) ||
      (rc = pop(v, UNKNOWN, &t2)))
    return rc;
  /* spec 3.3.4: untyped select only takes numeric and vector operands. */
  if (wm_is_reftype(t1) || wm_is_reftype(t2))
    return verr(v, "type mismatch in select: %s operand needs a typed "
                   "select",
                wm_valtype_name(wm_is_reftype(t1) ? t1 : t2));
  if (t1 != t2 && t1 != UNKNOWN && t2 != UNKNOWN)
    return verr(v, "type mismatch in select: %s and %s", wm_valtype_name(t2),
                wm_valtype_name(t1));
  return push(v, t1 == UNKNOWN ? t2 : t1);
}

static int check_end(val *v) {
  ctrl c;
  int rc = pop_ctrl(v, &c);
  if (rc)
    return rc;
  if (c.kind == K_IF &&
      (c.n_params != c.n_results ||
       (c.n_params && memcmp(c.params, c.results, c.n_params) != 0)))
    return verr(v, "type mismatch in if: no else branch, but the block "
                   "type changes the stack");
  return push_n(v, c.results, c.n_results);
}

/* Everything not typed by its opcodes.def signature. */
static int check_special(val *v, const wm_instr *in) {
  wm_module *m = v->m;
  const uint8_t *params, *results, *types;
  uint32_t n_params, n_results, n;
  const ctrl *c = NULL;
  uint8_t t = 0, t2 = 0;
  int rc = 0;
  switch (in->op) {
  case WM_OP_UNREACHABLE:
    set_unreachable(v);
    return 0;
  case WM_OP_NOP:
    return 0;
  case WM_OP_BLOCK:
  case WM_OP_LOOP:
  case WM_OP_IF:
    if ((rc = blocktype(v, in, &params, &n_params, &results, &n_results)))
      return rc;
    if (in->op == WM_OP_IF && (rc = pop_t(v, WM_I32)))
      return rc;
    if ((rc = pop_n(v, params, n_params)))
      return rc;
    return push_ctrl(v,
                     in->op == WM_OP_BLOCK  ? K_BLOCK
                     : in->op == WM_OP_LOOP ? K_LOOP
                                            : K_IF,
                     params, n_params, results, n_results);
  case WM_OP_ELSE: {
    ctrl f;
    if (v->ctrls[v->n_ctrls - 1].kind != K_IF)
      return wa_fail(v->err, WA_EMALFORMED, v->off,
                     "else without a matching if");
    if ((rc = pop_ctrl(v, &f)))
      return rc;
    return push_ctrl(v, K_ELSE, f.params, f.n_params, f.results,
                     f.n_results);
  }
  case WM_OP_END:
    return check_end(v);
  case WM_OP_BR:
    if ((rc = label(v, in->u.index, &c)))
      return rc;
    label_types(c, &types, &n);
    if ((rc = pop_n(v, types, n)))
      return rc;
    set_unreachable(v);
    return 0;
  case WM_OP_BR_IF:
    if ((rc = label(v, in->u.index, &c)))
      return rc;
    label_types(c, &types, &n);
    if ((rc = pop_t(v, WM_I32)) || (rc = pop_n(v, types, n)))
      return rc;
    return push_n(v, types, n);
  case WM_OP_BR_TABLE:
    return check_br_table(v, in);
  case WM_OP_RETURN:
    if ((rc = pop_n(v, v->ctrls[0].results, v->ctrls[0].n_results)))
      return rc;
    set_unreachable(v);
    return 0;
  case WM_OP_CALL:
    if (in->u.index >= m->n_funcs)
      return verr(v, "unknown function %u in call", in->u.index);
    return check_call(v, m->func_types[in->u.index]);
  case WM_OP_CALL_INDIRECT:
    if ((rc = need_table(v, in->u.call_indirect.table, &t)))
      return rc;
    if (t != WM_FUNCREF)
      return verr(v, "type mismatch in call_indirect: table %u holds %s",
                  in->u.call_indirect.table, wm_valtype_name(t));
    if (in->u.call_indirect.type >= m->n_types)
      return verr(v, "unknown type %u in call_indirect",
                  in->u.call_indirect.type);
    if ((rc = pop_t(v, WM_I32)))
      return rc;
    return check_call(v, in->u.call_indirect.type);
  case WM_OP_DROP:
    return pop(v, UNKNOWN, &t);
  case WM_OP_SELECT:
  case WM_OP_SELECT_T:
    return check_select(v, in);
  case WM_OP_LOCAL_GET:
    if ((rc = local_type(v, in->u.index, &t)))
      return rc;
    return push(v, t);
  case WM_OP_LOCAL_SET:
    if ((rc = local_type(v, in->u.index, &t)))
      return rc;
    return pop_t(v, t);
  case WM_OP_LOCAL_TEE:
    if ((rc = local_type(v, in->u.index, &t)) || (rc = pop_t(v, t)))
      return rc;
    return push(v, t);
  case WM_OP_GLOBAL_GET:
    if (in->u.index >= m->n_globals)
      return verr(v, "unknown global %u in global.get", in->u.index);
    return push(v, m->globals[in->u.index].type.type);
  case WM_OP_GLOBAL_SET:
    if (in->u.index >= m->n_globals)
      return verr(v, "unknown global %u in global.set", in->u.index);
    if (!m->globals[in->u.index].type.mut)
      return verr(v, "global %u is immutable (global.set)", in->u.index);
    return pop_t(v, m->globals[in->u.index].type.type);
  case WM_OP_TABLE_GET:
    v->features |= WM_FEATURE_REFERENCE_TYPES;
    if ((rc = need_table(v, in->u.index, &t)) || (rc = pop_t(v, WM_I32)))
      return rc;
    return push(v, t);
  case WM_OP_TABLE_SET:
    v->features |= WM_FEATURE_REFERENCE_TYPES;
    if ((rc = need_table(v, in->u.index, &t)) || (rc = pop_t(v, t)))
      return rc;
    return pop_t(v, WM_I32);
  case WM_OP_TABLE_SIZE:
    if ((rc = need_table(v, in->u.index, NULL)))
      return rc;
    return push(v, WM_I32);
  case WM_OP_TABLE_GROW:
    if ((rc = need_table(v, in->u.index, &t)) || (rc = pop_t(v, WM_I32)) ||
        (rc = pop_t(v, t)))
      return rc;
    return push(v, WM_I32);
  case WM_OP_TABLE_FILL:
    if ((rc = need_table(v, in->u.index, &t)) || (rc = pop_t(v, WM_I32)) ||
        (rc = pop_t(v, t)))
      return rc;
    return pop_t(v, WM_I32);
  case WM_OP_TABLE_COPY:
    if ((rc = need_table(v, in->u.pair.a, &t)) ||
        (rc = need_table(v, in->u.pair.b, &t2)))
      return rc;
    if (t != t2)
      return verr(v, "type mismatch in table.copy: %s table from %s table",
                  wm_valtype_name(t), wm_valtype_name(t2));
    return 0;
  case WM_OP_TABLE_INIT:
    if ((rc = need_table(v, in->u.pair.b, &t)) ||
        (rc = need_elem(v, in->u.pair.a, &t2)))
      return rc;
    if (t != t2)
      return verr(v, "type mismatch in table.init: %s table from %s segment",
                  wm_valtype_name(t), wm_valtype_name(t2));
    return 0;
  case WM_OP_ELEM_DROP:
    return need_elem(v, in->u.index, NULL);
  case WM_OP_DATA_DROP:
    return need_data(v, in->u.index);
  case WM_OP_REF_NULL:
    return push(v, in->u.reftype);
  case WM_OP_REF_IS_NULL:
    if ((rc = pop(v, UNKNOWN, &t)))
      return rc;
    if (t != UNKNOWN && !wm_is_reftype(t))
      return verr(v, "type mismatch in ref.is_null: expected a reference, "
                     "got %s",
                  wm_valtype_name(t));
    return push(v, WM_I32);
  case WM_OP_REF_FUNC:
    if (in->u.index >= m->n_funcs)
      return verr(v, "unknown function %u in ref.func", in->u.index);
    if (!(v->refs[in->u.index / 8] & (1u << (in->u.index % 8))))
      return verr(v,
                  "undeclared function reference %u in ref.func (not in an "
                  "element segment, export or global)",
                  in->u.index);
    return push(v, WM_FUNCREF);
  default:
    return 0;
  }
}

static int check_instr(val *v, const wm_instr *in) {
  const wm_opinfo *info = &wm_opinfos[in->op];
  int rc;
  if (info->imm != WM_IMM_NONE && (rc = check_imm(v, in, info)))
    return rc;
  if (in->op >= WM_OP_I32_EXTEND8_S)
    v->features |= op_feature(in->op);
  if (info->params[0] || info->result) {
    /* A fixed signature from opcodes.def: pop operands top first. */
    for (int i = 2; i >= 0; i--)
      if (info->params[i] && (rc = pop_t(v, info->params[i])))
        return rc;
    if (info->result && (rc = push(v, info->result)))
      return rc;
    /* A few rows pair a signature with extra rules. */
    if (in->op >= WM_OP_MEMORY_INIT && in->op <= WM_OP_TABLE_COPY)
      return check_special(v, in);
    return 0;
  }
  return check_special(v, in);
}

/* wm_instr_next with the common cases inline: most instructions are one
 * opcode byte, or one byte plus a one-byte index (locals, globals, labels,
 * calls). Validation is the front end's hot loop, and the call plus the
 * immediate switch cost more than the typing itself. */
static inline int next_instr(wm_reader *r, wm_instr *in, wa_err *err) {
  if (r->end - r->p >= 2) {
    uint16_t e = wm__op_byte1[r->p[0]];
    if (e) {
      wm_op op = (wm_op)(e - 1);
      uint8_t imm = wm_opinfos[op].imm;
      if (imm == WM_IMM_NONE) {
        in->op = op;
        in->off = (uint32_t)(r->p - r->base);
        r->p++;
        return 0;
      }
      if ((imm == WM_IMM_LOCAL || imm == WM_IMM_GLOBAL ||
           imm == WM_IMM_LABEL || imm == WM_IMM_FUNC) &&
          r->p[1] < 0x80) {
        in->op = op;
        in->off = (uint32_t)(r->p - r->base);
        in->u.index = r->p[1];
        r->p += 2;
        return 0;
      }
    }
  }
  return wm_instr_next(r, in, err);
}

static int check_body(val *v, uint32_t codeidx) {
  wm_module *m = v->m;
  uint32_t funcidx = m->n_func_imports + codeidx;
  const wm_code *c = &m->codes[codeidx];
  const wm_functype *ft = &m->types[m->func_types[funcidx]];
  int rc = setup_locals(v, ft, c);
  if (rc)
    return rc;
  v->n_vals = v->n_ctrls = 0;
  v->op = WM_OP_BLOCK;
  v->off = c->body_off;
  if ((rc = push_ctrl(v, K_FUNC, NULL, 0, ft->results, ft->n_results)))
    return rc;
  wm_reader r = wm_code_reader(m, codeidx);
  wm_instr in;
  while (v->n_ctrls) {
    if (r.p >= r.end)
      return wm__malformed(&r, r.p, v->err,
                           "body ends inside a block (END opcode expected)");
    if ((rc = next_instr(&r, &in, v->err)))
      return rc;
    v->op = in.op;
    v->off = in.off;
    if ((rc = check_instr(v, &in)))
      return rc;
  }
  if (r.p != r.end)
    return wm__malformed(&r, r.p, v->err,
                         "%u bytes after the function's final end "
                         "(section size mismatch)",
                         (unsigned)(r.end - r.p));
  return 0;
}

/* ---------------------------------------------------------- module level */

static int check_const(val *v, const wm_constexpr *c, uint8_t want,
                       const char *what, uint32_t idx) {
  const wm_module *m = v->m;
  uint8_t got = c->type;
  v->off = c->off;
  switch (c->kind) {
  case WM_CONST_INVALID:
    if (c->index == WM_CONST_BAD_NONCONST)
      return verr(v, "%s %u: constant expression required", what, idx);
    return verr(v,
                "%s %u: type mismatch: a constant expression must be "
                "exactly one constant instruction",
                what, idx);
  case WM_CONST_GLOBAL_GET:
    /* spec 3.4 (Wasm 2.0): only imported globals are in scope. */
    if (c->index >= m->n_global_imports)
      return verr(v, "%s %u: unknown global %u (constant expressions see "
                     "imported globals only)",
                  what, idx, c->index);
    if (m->globals[c->index].type.mut)
      return verr(v, "%s %u: constant expression required (global %u is "
                     "mutable)",
                  what, idx, c->index);
    got = m->globals[c->index].type.type;
    break;
  case WM_CONST_REF_FUNC:
    if (c->index >= m->n_funcs)
      return verr(v, "%s %u: unknown function %u", what, idx, c->index);
    break;
  default:
    break;
  }
  if (got != want)
    return verr(v, "%s %u: type mismatch: expected %s, got %s", what, idx,
                wm_valtype_name(want), wm_valtype_name(got));
  return 0;
}

static int check_limits(val *v, const wm_limits *l, uint32_t bound,
                        const char *what, uint32_t idx, uint32_t off) {
  v->off = off;
  if (l->min > bound || (l->has_max && l->max > bound))
    return verr(v, "%s %u: memory size must be at most 65536 pages (4GiB)",
                what, idx);
  if (l->has_max && l->min > l->max)
    return verr(v,
                "%s %u: size minimum must not be greater than maximum "
                "(%u > %u)",
                what, idx, l->min, l->max);
  return 0;
}

static const wm_section *find_section(const wm_module *m, uint8_t id) {
  for (uint32_t i = 0; i < m->n_sections; i++)
    if (m->sections[i].id == id)
      return &m->sections[i];
  return NULL;
}

static uint32_t sec_off(const wm_module *m, uint8_t id) {
  const wm_section *s = find_section(m, id);
  return s ? s->off : 0;
}

static int check_imports(val *v) {
  wm_module *m = v->m;
  uint32_t t = 0, mem = 0;
  for (uint32_t i = 0; i < m->n_imports; i++) {
    const wm_import *im = &m->imports[i];
    int rc = 0;
    v->off = im->off;
    switch (im->kind) {
    case WM_EXTERN_FUNC:
      if (im->u.func_type >= m->n_types)
        rc = verr(v, "import %u: unknown type %u", i, im->u.func_type);
      break;
    case WM_EXTERN_TABLE:
      rc = check_limits(v, &im->u.table.limits, UINT32_MAX, "table", t++,
                        im->off);
      break;
    case WM_EXTERN_MEMORY:
      rc = check_limits(v, &im->u.memory, 65536, "memory", mem++, im->off);
      break;
    default:
      break;
    }
    if (rc) {
      wa_err_wrap(v->err, "import section: ");
      return rc;
    }
  }
  return 0;
}

static int check_defs(val *v) {
  wm_module *m = v->m;
  int rc;
  v->off = sec_off(m, 3);
  for (uint32_t i = m->n_func_imports; i < m->n_funcs; i++)
    if (m->func_types[i] >= m->n_types)
      return verr(v, "function section: function %u: unknown type %u", i,
                  m->func_types[i]);
  for (uint32_t i = m->n_table_imports; i < m->n_tables; i++)
    if ((rc = check_limits(v, &m->tables[i].type.limits, UINT32_MAX, "table",
                           i, sec_off(m, 4)))) {
      wa_err_wrap(v->err, "table section: ");
      return rc;
    }
  for (uint32_t i = m->n_memory_imports; i < m->n_memories; i++)
    if ((rc = check_limits(v, &m->memories[i].limits, 65536, "memory", i,
                           sec_off(m, 5)))) {
      wa_err_wrap(v->err, "memory section: ");
      return rc;
    }
  if (m->n_memories > 1) {
    v->off = sec_off(m, 5);
    return verr(v, "memory section: %u memories (multiple memories need "
                   "the multi-memory proposal)",
                m->n_memories);
  }
  for (uint32_t i = m->n_global_imports; i < m->n_globals; i++)
    if ((rc = check_const(v, &m->globals[i].init, m->globals[i].type.type,
                          "global", i))) {
      wa_err_wrap(v->err, "global section: ");
      return rc;
    }
  return 0;
}

static int check_elems(val *v) {
  wm_module *m = v->m;
  for (uint32_t i = 0; i < m->n_elems; i++) {
    const wm_elem *e = &m->elems[i];
    int rc = 0;
    v->off = e->off;
    if (e->mode == WM_SEG_ACTIVE) {
      if (e->table >= m->n_tables)
        rc = verr(v, "segment %u: unknown table %u", i, e->table);
      else if (m->tables[e->table].type.elemtype != e->elemtype)
        rc = verr(v, "segment %u: type mismatch: %s segment for %s table", i,
                  wm_valtype_name(e->elemtype),
                  wm_valtype_name(m->tables[e->table].type.elemtype));
      else
        rc = check_const(v, &e->offset, WM_I32, "segment", i);
    }
    for (uint32_t k = 0; rc == 0 && k < e->n_items; k++)
      rc = check_const(v, &e->items[k], e->elemtype, "segment", i);
    if (rc) {
      wa_err_wrap(v->err, "element section: ");
      return rc;
    }
  }
  return 0;
}

static int check_datas(val *v) {
  wm_module *m = v->m;
  for (uint32_t i = 0; i < m->n_datas; i++) {
    const wm_data *s = &m->datas[i];
    int rc = 0;
    if (s->mode != WM_SEG_ACTIVE)
      continue;
    v->off = s->off;
    if (s->memory >= m->n_memories)
      rc = verr(v, "segment %u: unknown memory %u", i, s->memory);
    else
      rc = check_const(v, &s->offset, WM_I32, "segment", i);
    if (rc) {
      wa_err_wrap(v->err, "data section: ");
      return rc;
    }
  }
  return 0;
}

static int cmp_name(const void *a, const void *b) {
  const wm_name *x = a, *y = b;
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
  if (c)
    return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

static int check_exports(val *v) {
  wm_module *m = v->m;
  static const char *const kinds[] = {"function", "table", "memory",
                                      "global"};
  for (uint32_t i = 0; i < m->n_exports; i++) {
    const wm_export *ex = &m->exports[i];
    uint32_t n = ex->kind == WM_EXTERN_FUNC    ? m->n_funcs
                 : ex->kind == WM_EXTERN_TABLE ? m->n_tables
                 : ex->kind == WM_EXTERN_MEMORY ? m->n_memories
                                                 : m->n_globals;
    v->off = ex->off;
    if (ex->index >= n)
      return verr(v, "export section: export %u: unknown %s %u", i,
                  kinds[ex->kind], ex->index);
  }
  if (m->n_exports < 2)
    return 0;
  wm_name *names = wa_malloc(m->n_exports * sizeof *names);
  if (!names)
    return nomem(v);
  for (uint32_t i = 0; i < m->n_exports; i++)
    names[i] = m->exports[i].name;
  qsort(names, m->n_exports, sizeof *names, cmp_name);
  int rc = 0;
  for (uint32_t i = 1; i < m->n_exports; i++)
    if (cmp_name(&names[i - 1], &names[i]) == 0) {
      /* Point at the later of the two, whatever order qsort left. */
      const char *later = names[i].ptr > names[i - 1].ptr ? names[i].ptr
                                                          : names[i - 1].ptr;
      v->off = (uint32_t)((const uint8_t *)later - m->bytes);
      rc = verr(v, "export section: duplicate export name \"%.*s\"",
                (int)(names[i].len > 64 ? 64 : names[i].len), names[i].ptr);
      break;
    }
  wa_free(names);
  return rc;
}

static int check_start(val *v) {
  wm_module *m = v->m;
  if (!m->has_start)
    return 0;
  v->off = sec_off(m, 8);
  if (m->start >= m->n_funcs)
    return verr(v, "start section: unknown function %u", m->start);
  const wm_functype *ft = &m->types[m->func_types[m->start]];
  if (ft->n_params || ft->n_results)
    return verr(v, "start section: start function %u must take and return "
                   "nothing",
                m->start);
  return 0;
}

static void declare_ref(val *v, const wm_constexpr *c) {
  if (c->kind == WM_CONST_REF_FUNC && c->index < v->m->n_funcs)
    v->refs[c->index / 8] |= (uint8_t)(1u << (c->index % 8));
}

/* C.refs (spec 3.4.10): functions named outside function bodies. */
static int collect_refs(val *v) {
  wm_module *m = v->m;
  v->refs = wa_calloc((size_t)m->n_funcs / 8 + 1, 1);
  if (!v->refs)
    return nomem(v);
  for (uint32_t i = 0; i < m->n_exports; i++)
    if (m->exports[i].kind == WM_EXTERN_FUNC && m->exports[i].index < m->n_funcs)
      v->refs[m->exports[i].index / 8] |=
          (uint8_t)(1u << (m->exports[i].index % 8));
  for (uint32_t i = m->n_global_imports; i < m->n_globals; i++)
    declare_ref(v, &m->globals[i].init);
  for (uint32_t i = 0; i < m->n_elems; i++)
    for (uint32_t k = 0; k < m->elems[i].n_items; k++)
      declare_ref(v, &m->elems[i].items[k]);
  return 0;
}

int wm_validate(wm_module *m, wa_err *err) {
  val v = {.m = m, .err = err};
  int rc;
  if ((rc = check_imports(&v)) || (rc = check_defs(&v)) ||
      (rc = check_elems(&v)) || (rc = check_datas(&v)) ||
      (rc = check_start(&v)) || (rc = check_exports(&v)) ||
      (rc = collect_refs(&v)))
    goto out;
  for (uint32_t i = 0; i < m->n_funcs - m->n_func_imports; i++)
    if ((rc = check_body(&v, i))) {
      if (rc != WA_ENOMEM)
        wa_err_wrap(err, "code section, function %u: ",
                    m->n_func_imports + i);
      goto out;
    }
  m->features |= v.features;
out:
  if (rc)
    wa_err_where(err, m->what);
  wa_free(v.vals);
  wa_free(v.ctrls);
  wa_free(v.ltypes);
  wa_free(v.gends);
  wa_free(v.refs);
  return rc;
}
