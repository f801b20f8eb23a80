/* The container's seccomp filter: linux.seccomp compiled to BPF with
 * libseccomp once, in the shim before it forks, so that a child (the
 * container's init, or an exec'd process) only has to hand the kernel a
 * ready program: no allocation and no libseccomp after fork.
 *
 * For exec (H1): the compiled program lives in the spec (s->seccomp_filter)
 * for as long as the shim does. In the exec child, call
 *     seccomp_filter_load(sh->s, &e);
 * right before execve when the process has noNewPrivileges, or before
 * dropping privileges (setgroups/setresuid/capset) otherwise, as
 * container.c does. seccomp_filter_prepare(sh->s, ...) has already run at create;
 * calling it again is a no-op.
 *
 * (Named seccomp-filter.h: a "seccomp.h" here would hide libseccomp's
 * <seccomp.h> from every file of this directory.) */
#ifndef RUNTIME_NS_SECCOMP_FILTER_H
#define RUNTIME_NS_SECCOMP_FILTER_H

#include "spec.h"

/* Compile s->seccomp (the linux.seccomp object) into s->seccomp_filter.
 * Syscall names unknown on this architecture or to libseccomp are skipped,
 * as runc does; bad actions, operators or architectures fail naming the
 * entry. Nothing to do without linux.seccomp. Shim only, before fork.
 * state_dir (this container's) lets compiled programs be shared through a
 * cache in its parent directory; NULL compiles without one. */
int seccomp_filter_prepare(spec *s, const char *state_dir, rns_error *e);

/* Install the prepared filter on the calling thread (and what it execs).
 * Without no_new_privs the caller must still hold CAP_SYS_ADMIN. Safe
 * after fork: makes one prctl/seccomp call, allocates nothing. 0 without
 * a filter. */
int seccomp_filter_load(const spec *s, rns_error *e);

#endif
