/* mandelbrot: escape-time iteration over a size x size grid in double
 * precision: dependent multiply-add chains with a data-dependent exit.
 * Checksum: every pixel's iteration count. */
#include "bench.h"

#define MAX_ITER 400

int main(int argc, char **argv) {
  uint32_t side = bench_size(argc, argv, 2200, 128);
  uint64_t sum = 0, total = 0;
  for (uint32_t py = 0; py < side; py++) {
    double ci = -1.25 + 2.5 * (double)py / (double)side;
    uint64_t row = 0;
    for (uint32_t px = 0; px < side; px++) {
      double cr = -2.1 + 2.8 * (double)px / (double)side;
      double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
      uint32_t it = 0;
      while (it < MAX_ITER && zr2 + zi2 <= 4.0) {
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        it++;
      }
      total += it;
      row = row * 31 + it;
    }
    sum = bench_mix(sum, row);
  }
  return bench_result("mandelbrot", side, bench_mix(sum, total));
}
