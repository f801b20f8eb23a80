/* The shim's control protocol (one JSON request line on control.sock, one
 * JSON reply line back) and the attach handshake line on attach.sock.
 * Parsing only; never does I/O except in ctl_call, the client side. */
#ifndef RUNTIME_NS_PROTO_H
#define RUNTIME_NS_PROTO_H

#include "util.h"

enum { CTL_START = 1, CTL_KILL, CTL_STATE, CTL_RESIZE, CTL_WATCH, CTL_DELETE };

typedef struct ctl_request {
    int op;
    int signal;     /* kill: 1..64 (default SIGTERM) */
    int all;        /* kill: every process in the cgroup */
    int rows, cols; /* resize */
    int force;      /* delete: kill a running container first */
} ctl_request;

int ctl_parse(const char *line, ctl_request *ret, rns_error *e);
/* {"ok":false,"errno":N,"error":"…"} (malloc'd, no newline). */
char *ctl_error_reply(int err, const char *msg);

typedef struct attach_request {
    int in, out, err, stream;
} attach_request;

int attach_parse(const char *line, attach_request *ret, rns_error *e);

/* Send one request line to the shim's control socket and read its reply
 * within timeout_ms. A reply {"ok":false,...} becomes its negative errno
 * with e filled; *ret_reply gets the reply line either way when non-NULL. */
int ctl_call(const char *sock_path, const char *request, int timeout_ms, char **ret_reply, rns_error *e);

#endif
