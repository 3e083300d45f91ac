// One concern: the command line (args_sizes_get, args_get).
// wasi-test: args=one two%20words  %C3%A9t%C3%A9 last
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++)
    printf("argv[%d]=<%s> len=%zu\n", i, argv[i], strlen(argv[i]));
  printf("argv[argc] is %s\n", argv[argc] ? "set" : "NULL");
  return 0;
}
