// The large program: lzh, a deflate-style compressor (LZ77 with hash
// chains, then canonical Huffman codes per block) written for this suite.
// "lzh t DIR OUTDIR" compresses every regular file of DIR into OUTDIR,
// decompresses each file back from disk and checks it byte for byte;
// "lzh c IN OUT" and "lzh d IN OUT" do one file. The workload is real
// text and binaries copied from the host by the setup line.
// clang-format off
// wasi-test: args=t input packed
// wasi-test: setup=mkdir input && cp /usr/share/common-licenses/GPL-3 /usr/share/common-licenses/Apache-2.0 input/ && cat /usr/include/*.h > input/headers.txt && cp /bin/bash input/bash.bin && head -c 300000 /dev/zero > input/zeros.bin && : > input/empty
// clang-format on
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------- utilities */

static uint32_t crc_table[256];

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++)
    c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static uint8_t *read_all(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return NULL;
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  uint8_t *p = malloc((size_t)st.st_size + 1);
  CHECK(p);
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
    CHECK(n > 0);
    got += (size_t)n;
  }
  close(fd);
  *len = got;
  return p;
}

static void write_all(const char *path, const uint8_t *p, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  while (n) {
    ssize_t w = write(fd, p, n);
    CHECK(w > 0);
    p += w;
    n -= (size_t)w;
  }
  CHECK(close(fd) == 0);
}

/* ------------------------------------------------------------- bit I/O */

typedef struct bw {
  uint8_t *p;
  size_t len, cap;
  uint64_t acc;
  int n;
} bw;

static void bw_put(bw *w, uint32_t bits, int n) {
  w->acc |= (uint64_t)bits << w->n;
  w->n += n;
  while (w->n >= 8) {
    if (w->len == w->cap) {
      w->cap = w->cap ? w->cap * 2 : 4096;
      w->p = realloc(w->p, w->cap);
      CHECK(w->p);
    }
    w->p[w->len++] = (uint8_t)w->acc;
    w->acc >>= 8;
    w->n -= 8;
  }
}

static void bw_flush(bw *w) {
  if (w->n > 0)
    bw_put(w, 0, 8 - w->n);
}

typedef struct br {
  const uint8_t *p;
  size_t len, at;
  uint64_t acc;
  int n;
} br;

static uint32_t br_get(br *r, int n) {
  while (r->n < n) {
    CHECK(r->at < r->len); /* truncated input */
    r->acc |= (uint64_t)r->p[r->at++] << r->n;
    r->n += 8;
  }
  uint32_t v = (uint32_t)(r->acc & ((1ull << n) - 1));
  r->acc >>= n;
  r->n -= n;
  return v;
}

/* --------------------------------------------------- deflate's alphabets */

#define NLIT 286 /* 0-255 literals, 256 end of block, 257-285 lengths */
#define NDIST 30
#define MAXBITS 15

static const uint16_t len_base[29] = {
    3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
    31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                                      1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                                      4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {
    1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0,  0,  1,  1,  2,  2,  3,  3,
                                       4, 4, 5,  5,  6,  6,  7,  7,  8,  8,
                                       9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static int len_code(int len) {
  int c = 28;
  while (len_base[c] > len)
    c--;
  return c;
}

static int dist_code(int d) {
  int c = 29;
  while (dist_base[c] > d)
    c--;
  return c;
}

/* ------------------------------------------------------------- Huffman */

/* Code lengths for n symbols from their frequencies, at most MAXBITS:
 * plain Huffman by repeated merging; if too deep, flatten the
 * frequencies and build again. */
static void huff_lengths(const uint32_t *freq, int n, uint8_t *lens) {
  uint32_t f[NLIT];
  memcpy(f, freq, (size_t)n * sizeof *f);
  for (;;) {
    int parent[2 * NLIT], nodes = n;
    uint64_t w[2 * NLIT];
    int alive[2 * NLIT], na = 0;
    for (int i = 0; i < n; i++) {
      w[i] = f[i];
      parent[i] = -1;
      if (f[i])
        alive[na++] = i;
    }
    memset(lens, 0, (size_t)n);
    if (na == 0)
      return;
    if (na == 1) {
      lens[alive[0]] = 1;
      return;
    }
    while (na > 1) {
      int a = 0, b = 1; /* the two lightest, ties by index for determinism */
      if (w[alive[b]] < w[alive[a]] ||
          (w[alive[b]] == w[alive[a]] && alive[b] < alive[a])) {
        a = 1;
        b = 0;
      }
      for (int i = 2; i < na; i++) {
        uint64_t wi = w[alive[i]];
        if (wi < w[alive[a]] || (wi == w[alive[a]] && alive[i] < alive[a])) {
          b = a;
          a = i;
        } else if (wi < w[alive[b]] ||
                   (wi == w[alive[b]] && alive[i] < alive[b])) {
          b = i;
        }
      }
      int x = alive[a], y = alive[b];
      w[nodes] = w[x] + w[y];
      parent[nodes] = -1;
      parent[x] = parent[y] = nodes;
      int hi = a > b ? a : b, lo = a > b ? b : a;
      alive[hi] = alive[--na];
      alive[lo] = nodes++;
    }
    int deepest = 0;
    for (int i = 0; i < n; i++) {
      if (!f[i])
        continue;
      int d = 0;
      for (int k = i; parent[k] >= 0; k = parent[k])
        d++;
      lens[i] = (uint8_t)d;
      if (d > deepest)
        deepest = d;
    }
    if (deepest <= MAXBITS)
      return;
    for (int i = 0; i < n; i++)
      if (f[i])
        f[i] = (f[i] >> 1) | 1;
  }
}

/* Canonical codes from lengths, bit-reversed for LSB-first output. */
static void huff_codes(const uint8_t *lens, int n, uint16_t *codes) {
  int count[MAXBITS + 1] = {0}, next[MAXBITS + 2];
  for (int i = 0; i < n; i++)
    count[lens[i]]++;
  count[0] = 0;
  int code = 0;
  for (int b = 1; b <= MAXBITS; b++) {
    code = (code + count[b - 1]) << 1;
    next[b] = code;
  }
  for (int i = 0; i < n; i++) {
    if (!lens[i])
      continue;
    int c = next[lens[i]]++, r = 0;
    for (int k = 0; k < lens[i]; k++)
      r |= ((c >> k) & 1) << (lens[i] - 1 - k);
    codes[i] = (uint16_t)r;
  }
}

typedef struct huff_dec {
  int count[MAXBITS + 1];
  int symbol[NLIT];
} huff_dec;

static void huff_dec_init(huff_dec *h, const uint8_t *lens, int n) {
  int offs[MAXBITS + 2];
  memset(h->count, 0, sizeof h->count);
  for (int i = 0; i < n; i++)
    h->count[lens[i]]++;
  h->count[0] = 0;
  offs[1] = 0;
  for (int b = 1; b <= MAXBITS; b++)
    offs[b + 1] = offs[b] + h->count[b];
  for (int i = 0; i < n; i++)
    if (lens[i])
      h->symbol[offs[lens[i]]++] = i;
}

static int huff_decode(br *r, const huff_dec *h) {
  int code = 0, first = 0, index = 0;
  for (int b = 1; b <= MAXBITS; b++) {
    code |= (int)br_get(r, 1);
    int c = h->count[b];
    if (code - first < c)
      return h->symbol[index + code - first];
    index += c;
    first = (first + c) << 1;
    code <<= 1;
  }
  CHECK(!"bad Huffman code");
  return -1;
}

/* ---------------------------------------------------------- compressor */

#define WSIZE 32768
#define HBITS 15
#define MAXCHAIN 64
#define BLOCK 65536 /* tokens per block */

typedef struct token {
  uint16_t len; /* 0: literal */
  uint16_t dist;
  uint8_t lit;
} token;

static void emit_block(bw *w, const token *t, int nt, int last) {
  uint32_t lf[NLIT] = {0}, df[NDIST] = {0};
  for (int i = 0; i < nt; i++) {
    if (t[i].len) {
      lf[257 + len_code(t[i].len)]++;
      df[dist_code(t[i].dist)]++;
    } else {
      lf[t[i].lit]++;
    }
  }
  lf[256]++;
  uint8_t ll[NLIT], dl[NDIST];
  uint16_t lc[NLIT], dc[NDIST];
  huff_lengths(lf, NLIT, ll);
  huff_lengths(df, NDIST, dl);
  huff_codes(ll, NLIT, lc);
  huff_codes(dl, NDIST, dc);
  bw_put(w, (uint32_t)last, 1);
  for (int i = 0; i < NLIT; i++)
    bw_put(w, ll[i], 4);
  for (int i = 0; i < NDIST; i++)
    bw_put(w, dl[i], 4);
  for (int i = 0; i < nt; i++) {
    if (!t[i].len) {
      bw_put(w, lc[t[i].lit], ll[t[i].lit]);
      continue;
    }
    int c = len_code(t[i].len), d = dist_code(t[i].dist);
    bw_put(w, lc[257 + c], ll[257 + c]);
    bw_put(w, (uint32_t)(t[i].len - len_base[c]), len_extra[c]);
    bw_put(w, dc[d], dl[d]);
    bw_put(w, (uint32_t)(t[i].dist - dist_base[d]), dist_extra[d]);
  }
  bw_put(w, lc[256], ll[256]);
}

static uint8_t *compress(const uint8_t *in, size_t n, size_t *out_len) {
  bw w = {0};
  uint32_t hdr[3] = {0x31485a4c /* "LZH1" */, (uint32_t)n, crc32(in, n)};
  for (int i = 0; i < 3; i++)
    bw_put(&w, hdr[i] & 0xffff, 16), bw_put(&w, hdr[i] >> 16, 16);
  int32_t *head = malloc(sizeof(int32_t) << HBITS);
  int32_t *prev = malloc(sizeof(int32_t) * WSIZE);
  token *t = malloc(sizeof(token) * BLOCK);
  CHECK(head && prev && t);
  for (int i = 0; i < 1 << HBITS; i++)
    head[i] = -1;
  int nt = 0;
  size_t i = 0;
  while (i < n) {
    int best = 0, bdist = 0;
    if (i + 3 <= n) {
      uint32_t h =
          ((uint32_t)in[i] << 10 ^ (uint32_t)in[i + 1] << 5 ^ in[i + 2]) &
          ((1u << HBITS) - 1);
      int32_t cand = head[h];
      int chain = MAXCHAIN;
      size_t maxlen = n - i < 258 ? n - i : 258;
      while (cand >= 0 && i - (size_t)cand <= WSIZE && chain--) {
        size_t l = 0;
        while (l < maxlen && in[(size_t)cand + l] == in[i + l])
          l++;
        if ((int)l > best) {
          best = (int)l;
          bdist = (int)(i - (size_t)cand);
          if (l == maxlen)
            break;
        }
        cand = prev[cand % WSIZE];
      }
      prev[i % WSIZE] = head[h];
      head[h] = (int32_t)i;
    }
    if (best >= 3) {
      t[nt++] = (token){(uint16_t)best, (uint16_t)bdist, 0};
      /* Insert the skipped positions so later matches can find them. */
      for (size_t k = i + 1; k < i + (size_t)best && k + 3 <= n; k++) {
        uint32_t h =
            ((uint32_t)in[k] << 10 ^ (uint32_t)in[k + 1] << 5 ^ in[k + 2]) &
            ((1u << HBITS) - 1);
        prev[k % WSIZE] = head[h];
        head[h] = (int32_t)k;
      }
      i += (size_t)best;
    } else {
      t[nt++] = (token){0, 0, in[i]};
      i++;
    }
    if (nt == BLOCK) {
      emit_block(&w, t, nt, i == n);
      nt = 0;
    }
  }
  if (nt > 0 || n == 0)
    emit_block(&w, t, nt, 1);
  bw_flush(&w);
  free(head);
  free(prev);
  free(t);
  *out_len = w.len;
  return w.p;
}

static uint8_t *decompress(const uint8_t *in, size_t n, size_t *out_len) {
  br r = {in, n, 0, 0, 0};
  uint32_t hdr[3];
  for (int i = 0; i < 3; i++) {
    hdr[i] = br_get(&r, 16);
    hdr[i] |= br_get(&r, 16) << 16;
  }
  CHECK(hdr[0] == 0x31485a4c);
  uint8_t *out = malloc(hdr[1] + 1u);
  CHECK(out);
  size_t at = 0;
  int last = 0;
  static huff_dec lit, dist;
  while (!last) {
    last = (int)br_get(&r, 1);
    uint8_t ll[NLIT], dl[NDIST];
    for (int i = 0; i < NLIT; i++)
      ll[i] = (uint8_t)br_get(&r, 4);
    for (int i = 0; i < NDIST; i++)
      dl[i] = (uint8_t)br_get(&r, 4);
    huff_dec_init(&lit, ll, NLIT);
    huff_dec_init(&dist, dl, NDIST);
    for (;;) {
      int s = huff_decode(&r, &lit);
      if (s == 256)
        break;
      if (s < 256) {
        CHECK(at < hdr[1]);
        out[at++] = (uint8_t)s;
        continue;
      }
      int c = s - 257;
      int len = len_base[c] + (int)br_get(&r, len_extra[c]);
      int d = huff_decode(&r, &dist);
      int dd = dist_base[d] + (int)br_get(&r, dist_extra[d]);
      CHECK((size_t)dd <= at && at + (size_t)len <= hdr[1]);
      for (int k = 0; k < len; k++, at++)
        out[at] = out[at - (size_t)dd];
    }
  }
  CHECK(at == hdr[1]);
  CHECK(crc32(out, at) == hdr[2]);
  *out_len = at;
  return out;
}

/* ---------------------------------------------------------------- main */

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, const char *outdir) {
  DIR *d = opendir(dir);
  CHECK(d);
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256)
    if (e->d_name[0] != '.')
      names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, cmp);
  if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
    CHECK(!"mkdir outdir");
  size_t tin = 0, tout = 0;
  for (int i = 0; i < n; i++) {
    char src[512], dst[512];
    snprintf(src, sizeof src, "%s/%s", dir, names[i]);
    snprintf(dst, sizeof dst, "%s/%s.lzh", outdir, names[i]);
    size_t len, clen, dlen, rlen;
    uint8_t *data = read_all(src, &len);
    CHECK(data);
    uint8_t *packed = compress(data, len, &clen);
    write_all(dst, packed, clen);
    free(packed);
    uint8_t *again = read_all(dst, &rlen);
    uint8_t *back = decompress(again, rlen, &dlen);
    int same = dlen == len && memcmp(back, data, len) == 0;
    printf("%-14s %9zu -> %9zu (%5.1f%%) crc %08x roundtrip %s\n", names[i],
           len, clen, len ? 100.0 * (double)clen / (double)len : 0.0,
           crc32(data, len), same ? "ok" : "MISMATCH");
    tin += len;
    tout += clen;
    free(data);
    free(again);
    free(back);
    free(names[i]);
    if (!same)
      return 1;
  }
  printf("total %zu -> %zu in %d files\n", tin, tout, n);
  return 0;
}

int main(int argc, char **argv) {
  crc_init();
  if (argc == 4 && strcmp(argv[1], "t") == 0)
    return run_dir(argv[2], argv[3]);
  if (argc == 4 && (strcmp(argv[1], "c") == 0 || strcmp(argv[1], "d") == 0)) {
    size_t len, olen;
    uint8_t *in = read_all(argv[2], &len);
    CHECK(in);
    uint8_t *out = argv[1][0] == 'c' ? compress(in, len, &olen)
                                     : decompress(in, len, &olen);
    write_all(argv[3], out, olen);
    printf("%zu -> %zu\n", len, olen);
    return 0;
  }
  fprintf(stderr, "usage: lzh t DIR OUTDIR | lzh c IN OUT | lzh d IN OUT\n");
  return 2;
}
