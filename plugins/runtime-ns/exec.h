/* Extra processes in a running container (docker exec), kept by pouch-shim:
 * each is forked by the shim straight into the container's namespaces and
 * cgroup, and its stdio goes only to attach clients that named it. */
#ifndef RUNTIME_NS_EXEC_H
#define RUNTIME_NS_EXEC_H

#include <poll.h>

#include "shim.h"

#define EXEC_MAX_LIVE 64  /* created or running at once */
#define EXEC_KEEP_DONE 256 /* finished records kept for exec_state */

typedef struct exec_proc {
    struct exec_proc *next;
    char id[EXEC_ID_MAX + 1];
    spec *proc; /* the parsed process, until started */
    int status; /* ST_CREATED, ST_RUNNING, ST_STOPPED */
    int tty, want_stdin;
    pid_t pid;
    int exit_code;
    char *error;
    int pty_master, out_fd, err_fd, in_fd; /* the shim's ends, -1 once closed */
    iobuf stdin_buf;
    int stdin_close_pending;
    int exited;             /* reaped; output is being drained */
    int64_t drain_deadline; /* then finished even if something still holds the output open */
} exec_proc;

int exec_create(shim *sh, const ctl_request *rq, rns_error *e);
/* Runs the process; returns once it has exec'd (or failed to, with e). */
int exec_start(shim *sh, const char *id, rns_error *e);
int exec_state(shim *sh, const char *id, char **ret_json, rns_error *e);
int exec_resize(shim *sh, const char *id, int rows, int cols, rns_error *e);
/* A child was reaped: 1 when it was an exec process. */
int exec_reaped(shim *sh, pid_t pid, int wstatus);

/* Main loop: the execs' fds to poll (who[i] names the owner of p[i]), the
 * poll timeout their draining needs (-1: none), handling, and deadlines. */
int exec_poll_fill(shim *sh, struct pollfd *p, exec_proc **who, int max);
void exec_poll_handle(shim *sh, const struct pollfd *p, exec_proc *const *who, int n);
int exec_poll_timeout(shim *sh);
void exec_tick(shim *sh);

/* Attach clients whose handshake named an exec. */
void exec_attach(shim *sh, client *c);
void exec_client_input(shim *sh, client *c, const char *data, size_t len);
void exec_client_eof(shim *sh, client *c);

#endif
