/*
 * violator.c: a deliberately misbehaving task runner for the shim's
 * seccomp test. It confines itself with the real allowlist, as
 * `wasmaot run --seccomp` does, then makes a system call outside it (a new
 * socket), which must end the task with SIGSYS reported by the shim.
 */
#include "shim_sandbox.h"

#include <stdio.h>
#include <sys/socket.h>

int main(void) {
  wa_err err;
  wa_err_init(&err);
  if (wl_seccomp_install(&err) != 0) {
    fprintf(stderr, "violator: %s\n", err.msg);
    return 1;
  }
  printf("confined\n");
  fflush(stdout);
  socket(AF_INET, SOCK_STREAM, 0);
  printf("still alive\n");
  return 0;
}
