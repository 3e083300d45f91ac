// One concern: directories (path_create_directory, path_remove_directory)
// and their errors.
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  SHOW("mkdir a", mkdir("a", 0755));
  SHOW("mkdir a again", mkdir("a", 0755));
  SHOW("mkdir a/b", mkdir("a/b", 0755));
  SHOW("mkdir a/b/c/", mkdir("a/b/c/", 0755));
  SHOW("mkdir x/y", mkdir("x/y", 0755));
  int fd = open("a/file", O_WRONLY | O_CREAT, 0644);
  close(fd);
  SHOW("mkdir a/file/z", mkdir("a/file/z", 0755));
  SHOW("rmdir a (not empty)", rmdir("a"));
  SHOW("rmdir a/file", rmdir("a/file"));
  SHOW("rmdir a/b/c", rmdir("a/b/c"));
  SHOW("rmdir a/b/", rmdir("a/b/"));
  SHOW("rmdir missing", rmdir("missing"));
  SHOW("unlink a/file", unlink("a/file"));
  SHOW("rmdir a", rmdir("a"));
  struct stat st;
  SHOW("stat a", stat("a", &st));
  SHOW("mkdir deep", mkdir("deep", 0755) | mkdir("deep/1", 0755) |
                         mkdir("deep/1/2", 0755) | mkdir("deep/1/2/3", 0755));
  return 0;
}
