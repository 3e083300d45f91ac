/*
 * arena.c: bump allocation in chunks; everything is released at once.
 * Requests larger than the chunk size get a chunk of their own.
 */
#include "wa.h"

#include <string.h>

struct wa_arena_chunk {
  wa_arena_chunk *next;
  size_t size, used;
  _Alignas(16) uint8_t data[];
};

void wa_arena_init(wa_arena *a, size_t chunk_size) {
  a->head = NULL;
  a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

void *wa_arena_alloc(wa_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n == 0)
    n = 16;
  wa_arena_chunk *c = a->head;
  if (!c || c->size - c->used < n) {
    size_t size = n > a->chunk_size ? n : a->chunk_size;
    if (size > SIZE_MAX - sizeof *c)
      return NULL;
    c = wa_malloc(sizeof *c + size);
    if (!c)
      return NULL;
    c->size = size;
    c->used = 0;
    /* Keep a partly used head in front when the new chunk is a one-off. */
    if (a->head && n > a->chunk_size) {
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  void *p = c->data + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

char *wa_arena_strndup(wa_arena *a, const char *s, size_t n) {
  char *d = wa_arena_alloc(a, n + 1);
  if (!d)
    return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

void wa_arena_reset(wa_arena *a) {
  if (!a->head)
    return;
  /* Free all but the last chunk in the list, the oldest, usually full size. */
  wa_arena_chunk *c = a->head;
  while (c->next) {
    wa_arena_chunk *next = c->next;
    wa_free(c);
    c = next;
  }
  c->used = 0;
  a->head = c;
}

void wa_arena_free(wa_arena *a) {
  wa_arena_chunk *c = a->head;
  while (c) {
    wa_arena_chunk *next = c->next;
    wa_free(c);
    c = next;
  }
  a->head = NULL;
}
