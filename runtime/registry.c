/*
 * registry.c: the address ranges of compiled code and of guard-mode memory
 * reservations, which the signal handler consults to tell a Wasm trap from
 * a host crash. Slots live in chunks that are allocated on demand and
 * never freed, so a lookup from a signal handler needs no lock: it reads
 * atomics only. Registration and removal take a mutex.
 */
#include "internal.h"

#include <pthread.h>

#define CHUNK 64
#define MAX_CHUNKS 1024 /* 65536 ranges of each kind */

typedef struct slot {
  _Atomic uintptr_t start, end; /* start == 0: free */
  _Atomic(void *) owner;
} slot;

typedef struct reg {
  _Atomic(slot *) chunks[MAX_CHUNKS];
  atomic_int n_chunks;
} reg;

/* The first chunk of each kind is static: a process that runs one module
 * touches no heap page for it (every fresh page is a fault at start-up). */
static slot first[2][CHUNK];
static reg regs[2] = {{.chunks = {first[0]}, .n_chunks = 1},
                      {.chunks = {first[1]}, .n_chunks = 1}};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int wr__registry_add(int which, uintptr_t start, uintptr_t end, void *owner,
                     wa_err *err) {
  reg *r = &regs[which];
  int rc = 0;
  pthread_mutex_lock(&lock);
  int n = atomic_load(&r->n_chunks);
  for (int c = 0; c <= n && c < MAX_CHUNKS; c++) {
    slot *s = atomic_load(&r->chunks[c]);
    if (!s) {
      /* calloc, not the arena: chunks outlive every store */
      s = wa_calloc(CHUNK, sizeof *s);
      if (!s) {
        rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory registering "
                     "an address range");
        goto out;
      }
      atomic_store(&r->chunks[c], s);
      atomic_store(&r->n_chunks, c + 1);
    }
    for (int i = 0; i < CHUNK; i++) {
      if (atomic_load(&s[i].start) != 0)
        continue;
      atomic_store(&s[i].owner, owner);
      atomic_store(&s[i].end, end);
      atomic_store(&s[i].start, start); /* published last */
      rc = c * CHUNK + i;
      goto out;
    }
  }
  rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "more than %d live %s", CHUNK *
               MAX_CHUNKS, which == WR__REG_CODE ? "artifacts" : "memories");
out:
  pthread_mutex_unlock(&lock);
  return rc;
}

void wr__registry_remove(int which, int id) {
  reg *r = &regs[which];
  pthread_mutex_lock(&lock);
  slot *s = atomic_load(&r->chunks[id / CHUNK]);
  atomic_store(&s[id % CHUNK].start, 0);
  pthread_mutex_unlock(&lock);
}

void *wr__registry_find(int which, uintptr_t addr) {
  reg *r = &regs[which];
  int n = atomic_load(&r->n_chunks);
  for (int c = 0; c < n; c++) {
    slot *s = atomic_load(&r->chunks[c]);
    for (int i = 0; s && i < CHUNK; i++) {
      uintptr_t start = atomic_load(&s[i].start);
      if (start && addr >= start && addr < atomic_load(&s[i].end))
        return atomic_load(&s[i].owner);
    }
  }
  return NULL;
}
