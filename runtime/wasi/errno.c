/*
 * errno.c: host errno -> WASI errno, generated from WI_ERRNO_MAP (every
 * WASI name X is the Linux errno EX). Host errnos WASI lacks become EIO.
 */
#include "internal.h"

#include <errno.h>

uint32_t wi__errno(int host) {
  switch (host) {
  case 0:
    return WI_ESUCCESS;
#define WI__X(name, v)                                                         \
  case E##name:                                                                \
    return v;
    WI_ERRNO_MAP(WI__X)
#undef WI__X
  default:
    return WI_EIO;
  }
}

const char *wi__errno_name(uint32_t v) {
  switch (v) {
  case WI_ESUCCESS:
    return "SUCCESS";
  case WI_ENOTCAPABLE:
    return "NOTCAPABLE";
#define WI__X(name, val)                                                       \
  case val:                                                                    \
    return #name;
    WI_ERRNO_MAP(WI__X)
#undef WI__X
  default:
    return NULL;
  }
}
