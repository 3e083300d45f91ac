/*
 * dispatch.c: the link table, expanded from wasi.def. Each row gets a
 * thunk that unpacks wr_val arguments into the typed implementation and
 * stores its errno result, plus the Wasm signature used to check imports.
 * Needs no runtime library: link.c turns rows into wr_funcs.
 */
#include "internal.h"

#include <stdio.h>

#define WI__VT_I32 0x7f /* Wasm valtype bytes */
#define WI__VT_I64 0x7e
#define WI__VTS_0() 0
#define WI__VTS_1(a) WI__VT_##a
#define WI__VTS_2(a, b) WI__VTS_1(a), WI__VT_##b
#define WI__VTS_3(a, b, c) WI__VTS_2(a, b), WI__VT_##c
#define WI__VTS_4(a, b, c, d) WI__VTS_3(a, b, c), WI__VT_##d
#define WI__VTS_5(a, b, c, d, e) WI__VTS_4(a, b, c, d), WI__VT_##e
#define WI__VTS_6(a, b, c, d, e, f) WI__VTS_5(a, b, c, d, e), WI__VT_##f
#define WI__VTS_7(a, b, c, d, e, f, g) WI__VTS_6(a, b, c, d, e, f), WI__VT_##g
#define WI__VTS_8(a, b, c, d, e, f, g, h)                                      \
  WI__VTS_7(a, b, c, d, e, f, g), WI__VT_##h
#define WI__VTS_9(a, b, c, d, e, f, g, h, i)                                   \
  WI__VTS_8(a, b, c, d, e, f, g, h), WI__VT_##i

#define WI__V_I32(i) v[i].i32
#define WI__V_I64(i) v[i].i64
#define WI__ARGS_0()
#define WI__ARGS_1(a) , WI__V_##a(0)
#define WI__ARGS_2(a, b) WI__ARGS_1(a), WI__V_##b(1)
#define WI__ARGS_3(a, b, c) WI__ARGS_2(a, b), WI__V_##c(2)
#define WI__ARGS_4(a, b, c, d) WI__ARGS_3(a, b, c), WI__V_##d(3)
#define WI__ARGS_5(a, b, c, d, e) WI__ARGS_4(a, b, c, d), WI__V_##e(4)
#define WI__ARGS_6(a, b, c, d, e, f) WI__ARGS_5(a, b, c, d, e), WI__V_##f(5)
#define WI__ARGS_7(a, b, c, d, e, f, g)                                        \
  WI__ARGS_6(a, b, c, d, e, f), WI__V_##g(6)
#define WI__ARGS_8(a, b, c, d, e, f, g, h)                                     \
  WI__ARGS_7(a, b, c, d, e, f, g), WI__V_##h(7)
#define WI__ARGS_9(a, b, c, d, e, f, g, h, i)                                  \
  WI__ARGS_8(a, b, c, d, e, f, g, h), WI__V_##i(8)

static uint32_t res_errno(wr_val *v, uint32_t r) {
  if (r == WI__EXIT)
    return WR_TRAP_EXIT;
  v[0].i64 = 0;
  v[0].i32 = r;
  return WR_TRAP_NONE;
}
static uint32_t res_none(uint32_t r) {
  return r == WI__EXIT ? WR_TRAP_EXIT : WR_TRAP_NONE;
}
#define WI__RES_ERRNO(v, r) res_errno(v, r)
#define WI__RES_NONE(v, r) res_none(r)
#define WI__NRES_ERRNO 1
#define WI__NRES_NONE 0

#define X(name, impl, n, params, res)                                          \
  static uint32_t thunk_##name(wi_ctx *ctx, const wi_mem *m, wr_val *v) {      \
    uint32_t r = impl(ctx, m WI__CAT(WI__ARGS_, n) params);                    \
    return WI__RES_##res(v, r);                                                \
  }                                                                            \
  static const uint8_t params_##name[] = {WI__CAT(WI__VTS_, n) params};
#include "wasi.def"
#undef X

static const uint8_t i32_result[] = {WI__VT_I32};

const wi__fn wi__fns[] = {
#define X(name, impl, n, params, res)                                          \
  {#name,                                                                      \
   n,                                                                          \
   WI__NRES_##res,                                                             \
   {n, WI__NRES_##res, params_##name, i32_result},                             \
   thunk_##name},
#include "wasi.def"
#undef X
};
const uint32_t wi__n_fns = sizeof wi__fns / sizeof wi__fns[0];

const wi__fn *wi__fn_find(const char *field, size_t len) {
  for (uint32_t i = 0; i < wi__n_fns; i++)
    if (strlen(wi__fns[i].name) == len &&
        memcmp(wi__fns[i].name, field, len) == 0)
      return &wi__fns[i];
  return NULL;
}

bool wi_is_wasi_module(const char *module, size_t len) {
  return len == sizeof WI_MODULE - 1 && memcmp(module, WI_MODULE, len) == 0;
}

const wr_meta_type *wi_func_type(const char *field, size_t len) {
  const wi__fn *f = wi__fn_find(field, len);
  return f ? &f->type : NULL;
}

/* "(i32, i64) -> (i32)" into buf. */
static const char *type_str(const wr_meta_type *t, char *buf, size_t n) {
  size_t at = 0;
  const uint32_t counts[2] = {t->n_params, t->n_results};
  const uint8_t *lists[2] = {t->params, t->results};
  for (int side = 0; side < 2; side++) {
    at += (size_t)snprintf(buf + at, at < n ? n - at : 0, "%s(",
                           side ? " -> " : "");
    for (uint32_t i = 0; i < counts[side]; i++)
      at +=
          (size_t)snprintf(buf + at, at < n ? n - at : 0, "%s%s", i ? ", " : "",
                           wr_meta_valtype_name(lists[side][i]));
    at += (size_t)snprintf(buf + at, at < n ? n - at : 0, ")");
  }
  return buf;
}

/* The field name with anything unprintable as '?', for messages. */
static const char *printable(const char *s, size_t len, char *buf, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < len && k + 1 < n; i++)
    buf[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
  buf[k] = 0;
  return buf;
}

int wi_check_import(const char *field, size_t len, const wr_meta_type *type,
                    wa_err *err) {
  char name[64];
  const wi__fn *f = wi__fn_find(field, len);
  if (!f)
    return wa_fail(err, WA_ELINK, WA_NOOFF,
                   "%s.%s: unknown WASI preview1 function", WI_MODULE,
                   printable(field, len, name, sizeof name));
  bool same = type->n_params == f->type.n_params &&
              type->n_results == f->type.n_results &&
              (!type->n_params ||
               memcmp(type->params, f->type.params, type->n_params) == 0) &&
              (!type->n_results ||
               memcmp(type->results, f->type.results, type->n_results) == 0);
  if (!same) {
    char got[160], want[160];
    return wa_fail(err, WA_ELINK, WA_NOOFF,
                   "%s.%s: imported as %s, but WASI defines %s", WI_MODULE,
                   f->name, type_str(type, got, sizeof got),
                   type_str(&f->type, want, sizeof want));
  }
  return 0;
}
