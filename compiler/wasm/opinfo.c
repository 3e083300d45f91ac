/*
 * opinfo.c: expands opcodes.def into the wm_opinfos table and the reverse
 * lookups from encoding to wm_op; also the small valtype and feature name
 * tables. All data here is static and read-only.
 */
#include "internal.h"

#define T__ 0
#define T_I32 WM_I32
#define T_I64 WM_I64
#define T_F32 WM_F32
#define T_F64 WM_F64
#define T_V128 WM_V128
#define T(x) T_##x

#define ROW(name, pfx, code, text, imm, size, r, p1, p2, p3)                   \
  {code, pfx, WM_IMM_##imm, size, T(r), {T(p1), T(p2), T(p3)}, text},

/* A name that filled the array exactly would lose its NUL silently. */
#define WM_OP(name, code, text, ...)                                           \
  _Static_assert(sizeof text <= WM_OPTEXT_MAX, "raise WM_OPTEXT_MAX: " text);
#define WM_OP_FC WM_OP
#define WM_OP_FD WM_OP
#include "opcodes.def"
#undef WM_OP
#undef WM_OP_FC
#undef WM_OP_FD

const wm_opinfo wm_opinfos[WM_OP_COUNT] = {
#define WM_OP(name, ...) ROW(name, 0, __VA_ARGS__)
#define WM_OP_FC(name, ...) ROW(name, 0xfc, __VA_ARGS__)
#define WM_OP_FD(name, ...) ROW(name, 0xfd, __VA_ARGS__)
#include "opcodes.def"
#undef WM_OP
#undef WM_OP_FC
#undef WM_OP_FD
};

/* Reverse tables hold op + 1 so that the zero fill means "no opcode". */
const uint16_t wm__op_byte1[256] = {
#define WM_OP(name, code, ...) [code] = WM_OP_##name + 1,
#define WM_OP_FC(...)
#define WM_OP_FD(...)
#include "opcodes.def"
#undef WM_OP
#undef WM_OP_FC
#undef WM_OP_FD
};

static const uint16_t op_fc1[32] = {
#define WM_OP(...)
#define WM_OP_FC(name, code, ...) [code] = WM_OP_##name + 1,
#define WM_OP_FD(...)
#include "opcodes.def"
#undef WM_OP
#undef WM_OP_FC
#undef WM_OP_FD
};

static const uint16_t op_fd1[256] = {
#define WM_OP(...)
#define WM_OP_FC(...)
#define WM_OP_FD(name, code, ...) [code] = WM_OP_##name + 1,
#include "opcodes.def"
#undef WM_OP
#undef WM_OP_FC
#undef WM_OP_FD
};

wm_op wm__op_fc(uint32_t sub) {
  if (sub >= 32 || !op_fc1[sub])
    return WM_OP_COUNT;
  return (wm_op)(op_fc1[sub] - 1);
}

wm_op wm__op_fd(uint32_t sub) {
  if (sub >= 256 || !op_fd1[sub])
    return WM_OP_COUNT;
  return (wm_op)(op_fd1[sub] - 1);
}

const char *wm_valtype_name(uint8_t t) {
  switch (t) {
  case WM_I32:
    return "i32";
  case WM_I64:
    return "i64";
  case WM_F32:
    return "f32";
  case WM_F64:
    return "f64";
  case WM_V128:
    return "v128";
  case WM_FUNCREF:
    return "funcref";
  case WM_EXTERNREF:
    return "externref";
  default:
    return "?";
  }
}

bool wm_is_reftype(uint8_t t) {
  return t == WM_FUNCREF || t == WM_EXTERNREF;
}

bool wm_is_valtype(uint8_t t) {
  return wm__valtype_ok(t);
}

const char *wm_feature_name(uint32_t bit) {
  switch (bit) {
#define WM__X(n, s)                                                            \
  case WM_FEATURE_##n:                                                         \
    return s;
    WM_FEATURE_MAP(WM__X)
#undef WM__X
  default:
    return "?";
  }
}
