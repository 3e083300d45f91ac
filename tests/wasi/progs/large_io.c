// One concern: large transfers: a 24 MiB file written through stdio and
// raw writes of odd sizes, read back and checksummed (fd_write/fd_read
// with many iovecs, short reads).
#include "common.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

int main(void) {
  static uint8_t buf[1 << 20];
  uint32_t x = 12345, wh = 2166136261u;
  FILE *f = fopen("big.bin", "wb");
  CHECK(f);
  size_t total = 0;
  for (int round = 0; round < 24; round++) {
    for (size_t i = 0; i < sizeof buf; i++) {
      x = x * 1103515245u + 12345u;
      buf[i] = (uint8_t)(x >> 16);
    }
    size_t chunk = 1 + (size_t)round * 4099 % 65536;
    for (size_t at = 0; at < sizeof buf; at += chunk) {
      size_t n = at + chunk > sizeof buf ? sizeof buf - at : chunk;
      CHECK(fwrite(buf + at, 1, n, f) == n);
    }
    wh = fnv(wh, buf, sizeof buf);
    total += sizeof buf;
  }
  CHECK(fclose(f) == 0);
  int fd = open("big.bin", O_RDONLY);
  uint32_t rh = 2166136261u;
  size_t got = 0, reads = 0;
  ssize_t n;
  while ((n = read(fd, buf, 333333)) > 0) {
    rh = fnv(rh, buf, (size_t)n);
    got += (size_t)n;
    reads++;
  }
  close(fd);
  printf("wrote %zu read %zu hash match %d hash %08x\n", total, got, wh == rh,
         rh);
  CHECK(unlink("big.bin") == 0);
  return 0;
}
