/* json: a tokenizer for generated JSON-like text: a character-class switch,
 * string scanning with escapes, number parsing and a nesting stack. Very
 * branchy, byte at a time. size = number of passes over a 2 MiB document. */
#include "bench.h"

#define DOC (2u << 20)

typedef struct {
  uint8_t *p;
  uint32_t n, cap;
  bench_rng rng;
} gen;

static void put(gen *g, const char *s) {
  while (*s && g->n < g->cap)
    g->p[g->n++] = (uint8_t)*s++;
}

/* Same text as printf's %d. */
static char *put_int(char *p, int32_t v) {
  if (v < 0)
    *p++ = '-';
  return bench_put_dec(p, v < 0 ? (uint64_t)-(int64_t)v : (uint64_t)v, 1);
}

static void put_number(gen *g) {
  char tmp[48];
  uint32_t kind = bench_below(&g->rng, 4);
  int32_t v = (int32_t)bench_below(&g->rng, 2000000) - 1000000;
  char *p = tmp;
  if (kind == 0) {
    p = put_int(p, v);
  } else if (kind == 1) {
    p = put_int(p, v);
    *p++ = '.';
    p = bench_put_dec(p, bench_below(&g->rng, 1000), 3);
  } else if (kind == 2) {
    p = put_int(p, v % 1000);
    *p++ = 'e';
    p = put_int(p, (int32_t)bench_below(&g->rng, 40) - 20);
  } else {
    p = bench_put_dec(p, bench_below(&g->rng, 100), 1);
  }
  *p = 0;
  put(g, tmp);
}

static void put_string(gen *g) {
  static const char *const parts[] = {"name", "id",    "value", "wasm",
                                      "\\n",  "\\\"",  "x",     "\\u00e9",
                                      "data", "kernel", " ",     "\\t"};
  put(g, "\"");
  uint32_t k = 1 + bench_below(&g->rng, 5);
  for (uint32_t i = 0; i < k; i++)
    put(g, parts[bench_below(&g->rng, 12)]);
  put(g, "\"");
}

static void put_value(gen *g, uint32_t depth) {
  uint32_t c = bench_below(&g->rng, depth > 6 ? 6 : 8);
  switch (c) {
  case 0:
  case 1:
    put_number(g);
    break;
  case 2:
  case 3:
    put_string(g);
    break;
  case 4:
    put(g, bench_below(&g->rng, 2) ? "true" : "false");
    break;
  case 5:
    put(g, "null");
    break;
  case 6: {
    put(g, "[");
    uint32_t n = bench_below(&g->rng, 6);
    for (uint32_t i = 0; i < n; i++) {
      if (i)
        put(g, ", ");
      put_value(g, depth + 1);
    }
    put(g, "]");
    break;
  }
  default: {
    put(g, "{\n");
    uint32_t n = bench_below(&g->rng, 6);
    for (uint32_t i = 0; i < n; i++) {
      if (i)
        put(g, ",\n");
      put(g, "  ");
      put_string(g);
      put(g, ": ");
      put_value(g, depth + 1);
    }
    put(g, "\n}");
  }
  }
}

enum { T_PUNCT, T_STRING, T_INT, T_REAL, T_LITERAL, T_COUNT };

typedef struct {
  uint64_t count[T_COUNT];
  uint64_t hash;
  int64_t ints;
} stats;

static int tokenize(const uint8_t *s, uint32_t n, stats *st) {
  uint8_t stack[256];
  uint32_t depth = 0;
  uint8_t buf[512];
  uint32_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    switch (c) {
    case ' ':
    case '\n':
    case '\t':
    case '\r':
      i++;
      break;
    case '{':
    case '[':
      if (depth == sizeof stack)
        return -1;
      stack[depth++] = c;
      st->count[T_PUNCT]++;
      i++;
      break;
    case '}':
    case ']':
      if (depth == 0 || stack[depth - 1] != (c == '}' ? '{' : '['))
        return -1;
      depth--;
      st->count[T_PUNCT]++;
      i++;
      break;
    case ':':
    case ',':
      st->count[T_PUNCT]++;
      i++;
      break;
    case '"': {
      uint32_t len = 0;
      uint64_t h = 1469598103934665603ULL;
      for (i++; i < n && s[i] != '"'; i++) {
        uint8_t ch = s[i];
        if (ch == '\\' && i + 1 < n) {
          uint8_t e = s[++i];
          switch (e) {
          case 'n':
            ch = '\n';
            break;
          case 't':
            ch = '\t';
            break;
          case 'u': {
            uint32_t cp = 0;
            for (int k = 0; k < 4 && i + 1 < n; k++) {
              uint8_t x = s[++i];
              cp = cp * 16 + (uint32_t)(x <= '9' ? x - '0' : (x | 32) - 'a' + 10);
            }
            ch = (uint8_t)cp;
            break;
          }
          default:
            ch = e;
          }
        }
        if (len < sizeof buf)
          buf[len++] = ch;
        h = (h ^ ch) * 1099511628211ULL;
      }
      i++;
      st->count[T_STRING]++;
      st->hash = bench_mix(st->hash, h ^ len);
      break;
    }
    case 't':
    case 'f':
    case 'n': {
      uint32_t len = c == 'f' ? 5 : 4;
      if (i + len > n)
        return -1;
      st->count[T_LITERAL]++;
      st->hash = bench_mix(st->hash, c);
      i += len;
      break;
    }
    default: {
      if (c != '-' && (c < '0' || c > '9'))
        return -1;
      int neg = c == '-';
      if (neg)
        i++;
      int64_t mant = 0;
      int32_t exp10 = 0;
      int real = 0;
      while (i < n && s[i] >= '0' && s[i] <= '9')
        mant = mant * 10 + (s[i++] - '0');
      if (i < n && s[i] == '.') {
        real = 1;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
          mant = mant * 10 + (s[i] - '0');
          exp10--;
        }
      }
      if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        real = 1;
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '-' || s[i] == '+'))
          eneg = s[i++] == '-';
        int32_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
          e = e * 10 + (s[i++] - '0');
        exp10 += eneg ? -e : e;
      }
      if (neg)
        mant = -mant;
      if (real) {
        st->count[T_REAL]++;
        st->hash = bench_mix(st->hash, (uint64_t)mant ^ (uint64_t)exp10 << 48);
      } else {
        st->count[T_INT]++;
        st->ints += mant;
      }
    }
    }
  }
  return depth == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  uint32_t passes = bench_size(argc, argv, 180, 2);
  gen g = {bench_alloc(DOC), 0, DOC - 64, {99}};
  put(&g, "[");
  for (uint32_t k = 0; g.n < g.cap - 4096; k++) {
    if (k)
      put(&g, ",\n");
    put_value(&g, 0);
  }
  put(&g, "]");
  uint64_t sum = 0;
  for (uint32_t r = 0; r < passes; r++) {
    stats st = {{0}, r, 0};
    if (tokenize(g.p, g.n, &st) != 0) {
      bench_error("json:", " malformed document", UINT64_MAX);
      return 1;
    }
    for (int t = 0; t < T_COUNT; t++)
      sum = bench_mix(sum, st.count[t]);
    sum = bench_mix(sum, st.hash);
    sum = bench_mix(sum, (uint64_t)st.ints);
  }
  free(g.p);
  return bench_result("json", passes, sum);
}
