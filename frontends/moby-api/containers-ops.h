/* The exec endpoints (containers-exec.c) and the running-container ones,
 * pause/unpause/update/stats/top (containers-ops.c), plus the hooks an exec
 * start's hijacked session calls (containers-attach.c runs the session). */
#ifndef MOBY_API_CONTAINERS_OPS_H
#define MOBY_API_CONTAINERS_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "moby-api.h"

/* containers-exec.c */
int handle_exec_create(struct request *req);
int handle_exec_start(struct request *req);
int handle_exec_inspect(struct request *req);
int handle_exec_resize(struct request *req);
/* In the session's thread, before copying: start the exec (or write error,
 * when it could not be prepared) and say whether output will follow; a
 * failure is written to out_fd as dockerd does (a stdout frame unless tty). */
/* Write all of buf to a blocking fd or socket; false when the peer is gone. */
bool attach_write_all(int fd, const void *buf, size_t len);
bool exec_session_begin(const pouch_host *h, const char *exec_id, const char *error, int out_fd, bool tty);
/* After the output ended: wait until the engine has the exit code, so the
 * client's next GET /exec/{id}/json sees it. */
void exec_session_end(const pouch_host *h, const char *exec_id, const volatile int32_t *stop);

/* containers-attach.c: hijack req's connection for an exec's stdio. */
struct exec_hijack {
    const char *exec_id;
    const char *path;  /* the runtime's stdio socket */
    const char *error; /* non-NULL: no socket, write this and end */
    const char *detach_keys;
    bool tty, in, out, err;
};
int attach_exec_hijack(struct request *req, const struct exec_hijack *x);

/* containers-ops.c */
int handle_containers_pause(struct request *req);
int handle_containers_unpause(struct request *req);
int handle_containers_update(struct request *req);
int handle_containers_stats(struct request *req);
int handle_containers_top(struct request *req);

#endif
