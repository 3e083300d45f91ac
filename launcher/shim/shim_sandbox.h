/*
 * shim_sandbox.h: the seccomp allowlist of a Wasm task's process (prefix
 * wl_). Built as the wl_seccomp library, which `wasmaot run --seccomp`
 * links; the rows live in launcher/shim/seccomp.def.
 */
#ifndef WL_SHIM_SANDBOX_H
#define WL_SHIM_SANDBOX_H

#include "wa.h"

/*
 * Confines the calling process (all its threads) to the system calls a
 * running module needs: WASI I/O beneath already-open descriptors, memory
 * management without PROT_EXEC, signals to itself, threads but no fork,
 * no exec, no new sockets. Any other call kills the whole process with
 * SIGSYS. Call it last before the module starts: after the artifact is
 * loaded and mapped executable, the preopens are open and the signal
 * handlers are installed. Sets no_new_privs. Irreversible.
 * Errors: WA_EUNSUPPORTED when the kernel lacks seccomp filters, WA_EIO
 * when loading the filter fails.
 */
int wl_seccomp_install(wa_err *err) WA_MUST_CHECK;

/* What the precompiled filter has in place of the pid kill and tgkill may
 * target (above any pid_max, so never a real pid). */
#define WL_SECCOMP_PID_PLACEHOLDER 0x3EC0DE5u

/* Writes the filter for a process with pid self, as libseccomp generates
 * it, to fd (raw struct sock_filter instructions): for the build-time
 * generator and the tests. */
int wl_seccomp_export(uint32_t self, int fd, wa_err *err) WA_MUST_CHECK;

/* The precompiled filter with its pid set to self, in out (cap bytes);
 * returns its number of instructions, or 0 when the build has none (a
 * cross build) or cap is too small. */
size_t wl_seccomp_program(uint32_t self, void *out, size_t cap);

/* The number of rows in the allowlist, and row i's system call name and
 * rule ("ANY", "NOEXEC", ...), for tests and `docs/shim.md`. */
int wl_seccomp_rule_count(void);
void wl_seccomp_rule(int i, const char **out_name, const char **out_rule);

#endif
