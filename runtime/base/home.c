/*
 * home.c: the home directory, from $HOME or the password database (NSS).
 * Alone in its file for the same reason as dl.c.
 */
#include "wa.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *wa_home_dir(char *buf, size_t n) {
  const char *home = getenv("HOME");
  if (home && home[0])
    return home;
  struct passwd pw, *res = NULL;
  char tmp[4096];
  if (getpwuid_r(geteuid(), &pw, tmp, sizeof tmp, &res) != 0 || !res ||
      !res->pw_dir || !res->pw_dir[0])
    return NULL;
  int w = snprintf(buf, n, "%s", res->pw_dir);
  return w > 0 && (size_t)w < n ? buf : NULL;
}
