// One concern: listing a directory (fd_readdir through opendir/readdir),
// entry types included. The count includes "." and ".." when the engine
// lists them, as Linux does.
// wasi-test: node-differs=uvwasi leaves "." and ".." out of fd_readdir
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

int main(void) {
  CHECK(mkdir("dir", 0755) == 0);
  CHECK(mkdir("dir/sub", 0755) == 0);
  close(open("dir/file.txt", O_WRONLY | O_CREAT, 0644));
  CHECK(symlink("file.txt", "dir/link") == 0);
  DIR *d = opendir("dir");
  CHECK(d);
  char names[16][300];
  int n = 0, total = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    total++;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    const char *t = e->d_type == DT_DIR   ? "dir"
                    : e->d_type == DT_REG ? "file"
                    : e->d_type == DT_LNK ? "symlink"
                                          : "other";
    snprintf(names[n++], sizeof names[0], "%s (%s)", e->d_name, t);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp);
  for (int i = 0; i < n; i++)
    printf("%s\n", names[i]);
  printf("entries with . and ..: %d\n", total);
  SHOW("opendir missing", opendir("missing") ? 0 : -1);
  SHOW("opendir file", opendir("dir/file.txt") ? 0 : -1);
  return 0;
}
