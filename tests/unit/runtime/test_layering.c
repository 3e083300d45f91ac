/* test_layering.c: the runtime never includes LLVM or compiler headers
 * (it must build and run where libLLVM is absent). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

static const char *const forbidden[] = {"llvm-c/", "llvm/", "\"wc.h\"",
                                        "<wc.h>", "\"wm.h\"", "<wm.h>",
                                        "compiler/"};

Test(runtime_layering, runtime_sources_include_no_llvm_or_compiler_headers) {
  DIR *d = opendir(WR_SRC_DIR);
  cr_assert_not_null(d, "%s", WR_SRC_DIR);
  struct dirent *e;
  int files = 0;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 3 || (strcmp(e->d_name + n - 2, ".c") != 0 &&
                  strcmp(e->d_name + n - 2, ".h") != 0))
      continue;
    char path[1024], line[1024];
    snprintf(path, sizeof path, "%s/%s", WR_SRC_DIR, e->d_name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    files++;
    for (int no = 1; fgets(line, sizeof line, f); no++) {
      const char *p = line;
      while (*p == ' ' || *p == '\t')
        p++;
      if (strncmp(p, "#include", 8) != 0)
        continue;
      for (size_t k = 0; k < sizeof forbidden / sizeof forbidden[0]; k++)
        cr_expect_null(strstr(p, forbidden[k]), "%s:%d includes %s",
                       e->d_name, no, forbidden[k]);
    }
    fclose(f);
  }
  closedir(d);
  cr_assert_gt(files, 10, "found the runtime sources");
}
