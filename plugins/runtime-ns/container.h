/* The container's init before exec: runs in the cloned child of pouch-shim,
 * sets up namespaces joined by path, stdio, rootfs, sysctls, limits, user and
 * capabilities, checks that the command exists, reports ready and waits for
 * start. Never returns; never runs in a process that has threads. */
#ifndef RUNTIME_NS_CONTAINER_H
#define RUNTIME_NS_CONTAINER_H

#include <stdint.h>

#include "spec.h"

/* Messages on the sync socket (SOCK_SEQPACKET). */
#define SYNC_CGROUP_READY 'C' /* shim → child: you are in your cgroup */
#define SYNC_START 'S'        /* shim → child: exec now */

typedef struct sync_msg {
    int32_t err; /* 0: ready; else negative errno of the failure */
    int32_t pad;
    char msg[1016]; /* the error, as a user should read it */
} sync_msg;

typedef struct container_ctx {
    const spec *s;
    int sync_fd;           /* child's end of the sync socketpair */
    int stdio[3];          /* fds for 0/1/2 when no tty */
    int tty;               /* 1: the init opens a pty of its own devpts and hands the master over */
    int log_fd;            /* the shim's own log, for notes */
    int cgroup_version;    /* for the cgroup mount */
    int join_fds[8];       /* namespaces to join (opened before clone) */
    int join_types[8];
    int n_join;
    int unshare_cgroupns; /* unshare(CLONE_NEWCGROUP) once in the cgroup */
    int mqueue_fd;        /* > 0: a detached mqueue mount to attach on /dev/mqueue */
} container_ctx;

_Noreturn void container_child(container_ctx *c);

/* Resolve args[0] as exec(3p) would with PATH from env, inside the current
 * root. Fills ret (size len) or returns -ENOENT/-EACCES with e filled the way
 * runc/dockerd word it. */
int container_lookup(const char *arg0, const char *const *env, char *ret, size_t len, rns_error *e);

/* The init's steps, reused by an exec's child: signal dispositions back to
 * default; process.rlimits; user, groups, capabilities, no_new_privs. */
void container_reset_signals(void);
int container_set_rlimits(const spec *s, rns_error *e);
int container_set_user_and_caps(const spec *s, rns_error *e);

/* In the container (its /dev/pts mounted): allocate a pty, send the master
 * to the shim over sync_fd as a sync_msg "pty" carrying the fd, and return
 * the slave (its path in ret_name). */
int container_open_pty(int sync_fd, char *ret_name, size_t name_len, rns_error *e);

/* Root filesystem (mounts.c): everything up to and including pivot_root. */
int rootfs_setup(const container_ctx *c, rns_error *e);
/* After sysctls: maskedPaths, readonlyPaths, readonly root. */
int rootfs_finish(const spec *s, rns_error *e);

#endif
