// One concern: reading piped stdin to EOF (fd_read on fd 0).
// wasi-test: stdin=file:lines.txt
#include <stdio.h>
#include <string.h>

int main(void) {
  char line[256];
  int n = 0;
  size_t bytes = 0;
  while (fgets(line, sizeof line, stdin)) {
    n++;
    bytes += strlen(line);
    printf("%3d| %s", n, line);
  }
  printf("lines=%d bytes=%zu eof=%d\n", n, bytes, feof(stdin) ? 1 : 0);
  return 0;
}
