// One concern: long listings that take several fd_readdir calls (cookies),
// rewinddir, and telldir/seekdir positions.
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define N 600

static int count(DIR *d, unsigned long *sum) {
  int n = 0;
  struct dirent *e;
  *sum = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    int k;
    CHECK(sscanf(e->d_name, "a-rather-long-file-name-number-%d.dat", &k) == 1);
    *sum += (unsigned long)k * (unsigned long)k;
    n++;
  }
  return n;
}

int main(void) {
  CHECK(mkdir("many", 0755) == 0);
  char p[128];
  for (int i = 0; i < N; i++) {
    snprintf(p, sizeof p, "many/a-rather-long-file-name-number-%d.dat", i);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close(fd);
  }
  DIR *d = opendir("many");
  CHECK(d);
  /* count() runs before sum is read: the order in which a call's
   * arguments are evaluated is unspecified (gcc and clang differ). */
  unsigned long sum;
  int n = count(d, &sum);
  printf("first pass: %d entries, sum %lu\n", n, sum);
  rewinddir(d);
  n = count(d, &sum);
  printf("after rewind: %d entries, sum %lu\n", n, sum);
  rewinddir(d);
  /* Remember the position after 100 names, read on, then go back. */
  struct dirent *e;
  int seen = 0;
  long pos = -1;
  char at_pos[300] = "";
  while ((e = readdir(d))) {
    if (++seen == 100)
      pos = telldir(d);
    if (seen == 101)
      snprintf(at_pos, sizeof at_pos, "%s", e->d_name);
  }
  seekdir(d, pos);
  e = readdir(d);
  printf("seekdir returns the same entry: %d\n",
         e && strcmp(e->d_name, at_pos) == 0);
  closedir(d);
  /* Delete half while listing afresh. */
  for (int i = 0; i < N; i += 2) {
    snprintf(p, sizeof p, "many/a-rather-long-file-name-number-%d.dat", i);
    CHECK(unlink(p) == 0);
  }
  d = opendir("many");
  n = count(d, &sum);
  printf("after deleting evens: %d entries, sum %lu\n", n, sum);
  closedir(d);
  return 0;
}
