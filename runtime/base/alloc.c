/*
 * alloc.c: the single allocator hook. Release builds pay one predictable
 * branch per call for the fault-injection counter that tests use.
 */
#include "wa.h"

#include <stdlib.h>
#include <string.h>

static long fail_countdown = -1;

void wa_alloc_fail_after(long n) { fail_countdown = n; }

static int should_fail(void) {
  if (fail_countdown < 0)
    return 0;
  if (fail_countdown == 0) {
    fail_countdown = -1;
    return 1;
  }
  fail_countdown--;
  return 0;
}

void *wa_malloc(size_t n) {
  if (should_fail())
    return NULL;
  return malloc(n ? n : 1);
}

void *wa_calloc(size_t count, size_t size) {
  if (should_fail())
    return NULL;
  if (count == 0 || size == 0)
    count = size = 1;
  return calloc(count, size);
}

void *wa_realloc(void *p, size_t n) {
  if (should_fail())
    return NULL;
  return realloc(p, n ? n : 1);
}

void wa_free(void *p) { free(p); }

char *wa_strndup(const char *s, size_t n) {
  size_t len = strnlen(s, n);
  char *d = wa_malloc(len + 1);
  if (!d)
    return NULL;
  memcpy(d, s, len);
  d[len] = 0;
  return d;
}
