/*
 * report.c: the launcher's only printer of errors and progress.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool wl_need_full;

void wl_report_err(const char *context, const wa_err *err) {
  if (wl_need_full)
    return;
  char buf[1024];
  wa_err_format(err, buf, sizeof buf);
  /* Errors that name their file already (wa_err_where) need no prefix. */
  size_t n = context ? strlen(context) : 0;
  if (n && strncmp(buf, context, n) == 0 && buf[n] == ':')
    context = NULL;
  if (context && context[0])
    fprintf(stderr, "wasmaot: error: %s: %s\n", context, buf);
  else
    fprintf(stderr, "wasmaot: error: %s\n", buf);
}

int wl_creds_split(const char *cmd, const char *arg, char user[WL_USER_MAX],
                   const char **pass) {
  const char *colon = strchr(arg, ':');
  if (!colon || colon == arg)
    return wl_usage_error(cmd, "--creds wants USER:PASS");
  if ((size_t)(colon - arg) >= WL_USER_MAX)
    return wl_usage_error(cmd, "--creds: the user name is too long");
  memcpy(user, arg, (size_t)(colon - arg));
  user[colon - arg] = 0;
  *pass = colon + 1;
  return 0;
}

int wl_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "wasmaot %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nusage: wasmaot %s\n", wl_cmd_usage(cmd));
  return WL_EXIT_USAGE;
}

void wl_progress_init(wl_progress *p, const char *label) {
  p->label = label;
  p->tty = isatty(STDERR_FILENO);
  p->last_pct = -1;
}

void wl_progress_update(wl_progress *p, uint64_t done, uint64_t total) {
  if (!p->tty || total == 0)
    return;
  int pct = (int)(done * 100 / total);
  if (pct == p->last_pct)
    return;
  p->last_pct = pct;
  int filled = pct * 30 / 100;
  fprintf(stderr, "\r%-20s [", p->label);
  for (int i = 0; i < 30; i++)
    fputc(i < filled ? '#' : ' ', stderr);
  fprintf(stderr, "] %3d%%", pct);
  fflush(stderr);
}

void wl_progress_done(wl_progress *p) {
  if (p->tty && p->last_pct >= 0)
    fprintf(stderr, "\r\033[K");
  p->last_pct = -1;
}

void wl_put_quoted(const char *p, size_t len) {
  putchar('"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      printf("\\x%02x", c);
    else
      putchar(c);
  }
  putchar('"');
}
