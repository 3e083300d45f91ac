/* report.c: prints its argv, its environment and the file msg.txt read
 * relative to the working directory, then writes a line to stderr and
 * exits with the number of arguments. WASI preview1 programs start in "/";
 * the shim passes the container's working directory as $PWD. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  const char *pwd = getenv("PWD");
  if (pwd && chdir(pwd) != 0)
    printf("chdir %s failed\n", pwd);
  for (int i = 0; i < argc; i++)
    printf("argv[%d]=%s\n", i, argv[i]);
  for (char **e = environ; *e; e++)
    printf("env=%s\n", *e);
  FILE *f = fopen("msg.txt", "r");
  char line[128] = "(none)";
  if (f) {
    if (!fgets(line, sizeof line, f))
      line[0] = 0;
    fclose(f);
  }
  printf("msg.txt=%s\n", line);
  fflush(stdout);
  fprintf(stderr, "report: %d args\n", argc);
  return argc;
}
