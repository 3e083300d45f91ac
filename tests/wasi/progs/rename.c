// One concern: renaming (path_rename) files and directories, replacing,
// and the errors.
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *p, const char *s) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
  close(fd);
}

static void get(const char *p) {
  char buf[64] = {0};
  int fd = open(p, O_RDONLY);
  if (fd < 0) {
    printf("%s: %s\n", p, errname(errno));
    return;
  }
  CHECK(read(fd, buf, sizeof buf - 1) >= 0);
  close(fd);
  printf("%s: \"%s\"\n", p, buf);
}

int main(void) {
  put("a", "A");
  put("b", "B");
  SHOW("rename a c", rename("a", "c"));
  get("a");
  get("c");
  SHOW("rename c b (replace)", rename("c", "b"));
  get("b");
  SHOW("rename missing x", rename("missing", "x"));
  CHECK(mkdir("d1", 0755) == 0);
  CHECK(mkdir("d2", 0755) == 0);
  put("d2/inner", "I");
  SHOW("rename b d1/b", rename("b", "d1/b"));
  get("d1/b");
  SHOW("rename d1 d3", rename("d1", "d3"));
  get("d3/b");
  SHOW("rename d3 d2 (not empty)", rename("d3", "d2"));
  SHOW("rename file onto dir", rename("d3/b", "d2"));
  SHOW("rename dir onto file", rename("d2", "d3/b"));
  SHOW("rename into own child", rename("d3", "d3/sub"));
  SHOW("rename to x/ (trailing slash)", rename("d3/b", "x/"));
  SHOW("rename same", rename("d3/b", "d3/b"));
  get("d3/b");
  return 0;
}
