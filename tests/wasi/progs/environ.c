// One concern: the environment (environ_sizes_get, environ_get).
// wasi-test: env=ALPHA=1 BETA=two%20words EMPTY= EQ=a=b
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  const char *names[] = {"ALPHA", "BETA", "EMPTY", "EQ", "MISSING"};
  for (int i = 0; i < 5; i++) {
    const char *v = getenv(names[i]);
    printf("%s=%s%s\n", names[i], v ? "<" : "(unset)", v ? v : "");
  }
  int n = 0;
  while (environ[n])
    n++;
  qsort(environ, (size_t)n, sizeof *environ, cmp);
  printf("count=%d\n", n);
  for (int i = 0; i < n; i++)
    printf("  %s\n", environ[i]);
  setenv("NEW", "value", 1);
  printf("NEW=%s\n", getenv("NEW"));
  return 0;
}
