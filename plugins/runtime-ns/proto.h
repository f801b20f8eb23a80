/* The shim's control protocol (one JSON request line on control.sock, one
 * JSON reply line back) and the attach handshake line on attach.sock.
 * Parsing only; never does I/O except in ctl_call, the client side. */
#ifndef RUNTIME_NS_PROTO_H
#define RUNTIME_NS_PROTO_H

#include "util.h"

enum {
    CTL_START = 1,
    CTL_KILL,
    CTL_STATE,
    CTL_RESIZE,
    CTL_WATCH,
    CTL_DELETE,
    /* ABI 1.1 */
    CTL_PAUSE,
    CTL_RESUME,
    CTL_EXEC_CREATE,
    CTL_EXEC_START,
    CTL_EXEC_STATE,
    CTL_EXEC_RESIZE,
    CTL_UPDATE,
    CTL_STATS,
    CTL_PIDS,
};

#define EXEC_ID_MAX 128

typedef struct ctl_request {
    int op;
    int signal;     /* kill: 1..64 (default SIGTERM) */
    int all;        /* kill: every process in the cgroup */
    int rows, cols; /* resize, exec_resize */
    int force;      /* delete: kill a running container first */
    char exec_id[EXEC_ID_MAX + 1]; /* exec_*: which exec */
    int in, tty;                   /* exec_create: "stdin", "tty" */
    char *process;                 /* exec_create: the OCI process object, as JSON text */
    char *resources;               /* update: the OCI linux.resources object, as JSON text */
} ctl_request;

/* Requests carrying process/resources own that text: ctl_request_free. */
int ctl_parse(const char *line, ctl_request *ret, rns_error *e);
void ctl_request_free(ctl_request *r);
/* Exec ids travel in socket paths' neighbours and logs: [A-Za-z0-9_.-]{1,128}. */
int exec_id_valid(const char *id);
/* {"ok":false,"errno":N,"error":"…"} (malloc'd, no newline). */
char *ctl_error_reply(int err, const char *msg);

typedef struct attach_request {
    int in, out, err, stream;
    char exec_id[EXEC_ID_MAX + 1]; /* "exec": attach to that exec's stdio, "" = the container's */
} attach_request;

int attach_parse(const char *line, attach_request *ret, rns_error *e);

/* Send one request line to the shim's control socket and read its reply
 * within timeout_ms. A reply {"ok":false,...} becomes its negative errno
 * with e filled; *ret_reply gets the reply line either way when non-NULL. */
int ctl_call(const char *sock_path, const char *request, int timeout_ms, char **ret_reply, rns_error *e);

#endif
