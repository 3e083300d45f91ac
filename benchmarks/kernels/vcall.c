/* vcall: random expression trees whose nodes carry an eval function pointer,
 * evaluated over and over with changing variables: nearly every node visit
 * is an indirect call (call_indirect in Wasm) whose target depends on data.
 * size = tree evaluations in units of 10000. */
#include "bench.h"

typedef struct node node;
typedef uint64_t (*eval_fn)(const node *n, const uint64_t *vars);
struct node {
  eval_fn eval;
  const node *a, *b;
  uint64_t k;
};

static uint64_t ev_const(const node *n, const uint64_t *v) {
  (void)v;
  return n->k;
}
static uint64_t ev_var(const node *n, const uint64_t *v) {
  return v[n->k];
}
static uint64_t ev_add(const node *n, const uint64_t *v) {
  return n->a->eval(n->a, v) + n->b->eval(n->b, v);
}
static uint64_t ev_sub(const node *n, const uint64_t *v) {
  return n->a->eval(n->a, v) - n->b->eval(n->b, v);
}
static uint64_t ev_mul(const node *n, const uint64_t *v) {
  return n->a->eval(n->a, v) * n->b->eval(n->b, v);
}
static uint64_t ev_xor(const node *n, const uint64_t *v) {
  return n->a->eval(n->a, v) ^ n->b->eval(n->b, v);
}
static uint64_t ev_min(const node *n, const uint64_t *v) {
  uint64_t x = n->a->eval(n->a, v), y = n->b->eval(n->b, v);
  return x < y ? x : y;
}
static uint64_t ev_rot(const node *n, const uint64_t *v) {
  uint64_t x = n->a->eval(n->a, v);
  uint32_t s = (uint32_t)(n->b->eval(n->b, v) & 63);
  return s ? (x << s) | (x >> (64 - s)) : x;
}
static uint64_t ev_neg(const node *n, const uint64_t *v) {
  return 0 - n->a->eval(n->a, v);
}
static uint64_t ev_sel(const node *n, const uint64_t *v) {
  /* lazily evaluates one side, so the call pattern itself varies */
  return (v[0] & 1) ? n->a->eval(n->a, v) : n->b->eval(n->b, v);
}

static const eval_fn BINARY[] = {ev_add, ev_sub, ev_mul, ev_xor,
                                 ev_min, ev_rot, ev_sel};
#define NBINARY (sizeof BINARY / sizeof BINARY[0])
#define NVARS 4
#define TREES 64
#define POOL (TREES * 256)

static node pool[POOL];
static uint32_t used;

static const node *build(bench_rng *rng, uint32_t depth) {
  node *n = &pool[used++];
  uint32_t r = bench_below(rng, 16);
  if (depth == 0 || r < 2) {
    if (bench_below(rng, 2)) {
      n->eval = ev_var;
      n->k = bench_below(rng, NVARS);
    } else {
      n->eval = ev_const;
      n->k = bench_next(rng) >> 40;
    }
  } else if (r < 3) {
    n->eval = ev_neg;
    n->a = build(rng, depth - 1);
  } else {
    n->eval = BINARY[bench_below(rng, NBINARY)];
    n->a = build(rng, depth - 1);
    n->b = build(rng, depth - 1);
  }
  return n;
}

int main(int argc, char **argv) {
  uint32_t size = bench_size(argc, argv, 250, 2);
  bench_rng rng = {5};
  const node *trees[TREES];
  for (uint32_t t = 0; t < TREES; t++) {
    /* depth 7 keeps each tree under the 256-node share of the pool */
    trees[t] = build(&rng, 7);
    if (used > POOL)
      return 1;
  }
  uint64_t vars[NVARS] = {1, 2, 3, 4};
  uint64_t sum = 0;
  for (uint32_t r = 0; r < size * 10000u; r++) {
    const node *t = trees[r % TREES];
    uint64_t v = t->eval(t, vars);
    vars[r & (NVARS - 1)] ^= v + r;
    sum += v;
  }
  return bench_result("vcall", size, bench_mix(sum, used));
}
