/*
 * prog.c: the WASI module the launcher tests run (built with clang-19
 * --target=wasm32-wasi). argv[1] picks what it does, so one module covers
 * the cache and image tests:
 *   hello         prints "hello from wasm"
 *   wait          prints "waiting", then blocks reading stdin until EOF
 *                 (the test reads /proc/PID/maps meanwhile)
 *   env NAME      prints NAME's value
 *   cat PATH      prints the file
 *   args          prints argc and each argument
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "hello";
  if (strcmp(mode, "hello") == 0) {
    printf("hello from wasm\n");
  } else if (strcmp(mode, "wait") == 0) {
    printf("waiting\n");
    fflush(stdout);
    char buf[256];
    while (fread(buf, 1, sizeof buf, stdin) > 0)
      ;
    printf("done\n");
  } else if (strcmp(mode, "env") == 0 && argc > 2) {
    const char *v = getenv(argv[2]);
    printf("%s=%s\n", argv[2], v ? v : "(unset)");
  } else if (strcmp(mode, "cat") == 0 && argc > 2) {
    FILE *f = fopen(argv[2], "r");
    if (!f) {
      perror(argv[2]);
      return 3;
    }
    int c;
    while ((c = fgetc(f)) != EOF)
      putchar(c);
    fclose(f);
  } else if (strcmp(mode, "args") == 0) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
      printf("argv[%d]=%s\n", i, argv[i]);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  return 0;
}
