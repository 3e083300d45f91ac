/*
 * chunk.c: parallel compilation. The defined functions are cut into chunks
 * of similar code size (the cut depends on the module only, so the output
 * does not depend on the thread count); worker threads take chunks from a
 * shared counter and compile each in its own LLVMContext and target
 * machine. elf.c then merges the chunk objects into the one artifact.
 */
#include "internal.h"
#include "wr_prelink.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Below SPLIT_MIN bytes of code a module is one chunk (cross-function
 * inlining stays possible); above, chunks of about CHUNK_BYTES. */
#define SPLIT_MIN (256u * 1024u)
#define CHUNK_BYTES (128u * 1024u)
#define MAX_CHUNKS 512u
#define WORKER_STACK (64u << 20) /* LLVM recurses deeply on huge functions */

uint32_t wc__chunk_bytes;

typedef struct chunk {
  uint32_t first, count; /* defined-function (code) indices */
  uint8_t *obj;
  size_t len;
  wa_err err;
  int rc;
} chunk;

typedef struct job {
  const wm_module *m;
  const wc_resolved *r;
  const wc_config *cfg;
  chunk *chunks;
  uint32_t n_chunks;
  bool split;
  pthread_mutex_t lock;
  uint32_t next, done, total;
  bool failed;
} job;

static void progress(job *j) {
  pthread_mutex_lock(&j->lock);
  j->done++;
  if (j->cfg->progress)
    j->cfg->progress(j->cfg->progress_ud, j->done, j->total);
  pthread_mutex_unlock(&j->lock);
}

static int compile_chunk(job *j, uint32_t k) {
  chunk *c = &j->chunks[k];
  wa_err *err = &c->err;
  LLVMTargetMachineRef tm = NULL;
  wc_unit u;
  memset(&u, 0, sizeof u);
  char name[32];
  snprintf(name, sizeof name, "chunk%u", k);
  int rc = wc__tm_create(j->r, &tm, err);
  if (rc < 0)
    return rc;
  if ((rc = wc__unit_init(&u, j->m, j->r, tm, j->split, name, err)) < 0)
    goto out;
  for (uint32_t i = 0; i < c->count; i++) {
    if ((rc = wc__lower_func(&u, j->m->n_func_imports + c->first + i, err)) < 0)
      goto out;
    progress(j);
  }
  if (k == 0 && (rc = wc__emit_glue(&u, err)) < 0)
    goto out;
  rc = wc__unit_emit(&u, tm, &c->obj, &c->len, err);
out:
  wc__unit_free(&u);
  LLVMDisposeTargetMachine(tm);
  return rc;
}

static void *worker(void *arg) {
  job *j = arg;
  for (;;) {
    pthread_mutex_lock(&j->lock);
    uint32_t k = j->next++;
    bool stop = j->failed || k >= j->n_chunks;
    pthread_mutex_unlock(&j->lock);
    if (stop)
      return NULL;
    int rc = compile_chunk(j, k);
    j->chunks[k].rc = rc;
    if (rc < 0) {
      pthread_mutex_lock(&j->lock);
      j->failed = true;
      pthread_mutex_unlock(&j->lock);
    }
  }
}

/* Cuts the defined functions into chunks of about CHUNK_BYTES. */
static int partition(job *j, wa_err *err) {
  const wm_module *m = j->m;
  uint32_t n = m->n_funcs - m->n_func_imports;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++)
    total += (uint64_t)(m->codes[i].end - m->codes[i].body);
  uint32_t want = 1;
  uint64_t split_min = wc__chunk_bytes ? wc__chunk_bytes : SPLIT_MIN;
  uint64_t per_chunk = wc__chunk_bytes ? wc__chunk_bytes : CHUNK_BYTES;
  if (total >= split_min) {
    uint64_t w = (total + per_chunk - 1) / per_chunk;
    want = w > MAX_CHUNKS ? MAX_CHUNKS : (uint32_t)w;
  }
  if (want > n)
    want = n ? n : 1;
  j->chunks = wa_calloc(want, sizeof *j->chunks);
  if (!j->chunks)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  uint64_t per = (total + want - 1) / want, acc = 0;
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    chunk *c = &j->chunks[k];
    if (c->count == 0)
      c->first = i;
    c->count++;
    acc += (uint64_t)(m->codes[i].end - m->codes[i].body);
    if (acc >= per * (k + 1) && k + 1 < want && i + 1 < n)
      k++;
  }
  j->n_chunks = k + 1;
  j->split = j->n_chunks > 1;
  j->total = n;
  return 0;
}

static uint32_t thread_count(const wc_config *cfg, uint32_t n_chunks) {
  long n = cfg->threads ? (long)cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1)
    n = 1;
  return n > (long)n_chunks ? n_chunks : (uint32_t)n;
}

int wc__compile_chunks(const wm_module *m, const wc_resolved *r,
                       const wc_target *t, const wc_config *cfg, wa_buf *out,
                       wa_err *err) {
  job j;
  memset(&j, 0, sizeof j);
  j.m = m;
  j.r = r;
  j.cfg = cfg;
  wc_blobs blobs;
  memset(&blobs, 0, sizeof blobs);
  wc_obj *objs = NULL;
  pthread_t *threads = NULL;
  uint32_t n_threads = 0;
  int rc = partition(&j, err);
  if (rc < 0)
    return rc;
  pthread_mutex_init(&j.lock, NULL);
  for (uint32_t k = 0; k < j.n_chunks; k++)
    wa_err_init(&j.chunks[k].err);

  uint32_t want = thread_count(cfg, j.n_chunks);
  threads = wa_calloc(want, sizeof *threads);
  if (!threads) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, WORKER_STACK);
  for (; n_threads < want; n_threads++)
    if (pthread_create(&threads[n_threads], &attr, worker, &j) != 0)
      break;
  pthread_attr_destroy(&attr);
  if (n_threads == 0) {
    rc = wa_fail(err, WA_ELIMIT, WA_NOOFF, "cannot start a compiler thread");
    goto out;
  }
  /* Meanwhile, the metadata. */
  rc = wc__artifact_blobs(m, r, &blobs, err);
  for (uint32_t i = 0; i < n_threads; i++)
    pthread_join(threads[i], NULL);
  if (rc < 0)
    goto out;
  for (uint32_t k = 0; k < j.n_chunks; k++)
    if (j.chunks[k].rc < 0) {
      *err = j.chunks[k].err;
      rc = j.chunks[k].rc;
      goto out;
    }

  objs = wa_calloc(j.n_chunks, sizeof *objs);
  if (!objs) {
    rc = wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
    goto out;
  }
  for (uint32_t k = 0; k < j.n_chunks; k++)
    objs[k] = (wc_obj){j.chunks[k].obj, j.chunks[k].len};
  rc = wc__elf_merge(objs, j.n_chunks, &blobs, t->data_align, t->elf_machine,
                     out, err);
  if (!rc)
    rc = wr_prelink_append(out, err);
out:
  wc__blobs_free(&blobs);
  wa_free(objs);
  wa_free(threads);
  for (uint32_t k = 0; k < j.n_chunks; k++)
    wa_free(j.chunks[k].obj);
  wa_free(j.chunks);
  pthread_mutex_destroy(&j.lock);
  return rc;
}
