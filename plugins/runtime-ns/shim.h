/* pouch-shim internals shared by its source files: the monitor's state and
 * the stdio/attach/log side (shim-io.c) used by the main loop (shim.c).
 * Single-threaded by design: the shim clones the container. */
#ifndef RUNTIME_NS_SHIM_H
#define RUNTIME_NS_SHIM_H

#include <stdint.h>
#include <sys/types.h>

#include <pouch/host.h>
#include <pouch/log.h>

#include "cgroup.h"
#include "proto.h"
#include "spec.h"

#define SHIM_MAX_CLIENTS 64
#define SHIM_CLIENT_BUF_MAX (4u << 20) /* a client this far behind is dropped */
/* An attach client this far behind stops the reading of the output it
 * takes, so the process blocks on its stdout as with dockerd, instead of
 * the client being dropped with output lost. */
#define SHIM_CLIENT_BUF_HIGH (256u << 10)
#define SHIM_LINE_MAX (16u << 10)      /* longer lines are logged as partials */

enum { ST_CREATED, ST_RUNNING, ST_STOPPED, ST_PAUSED };
enum { CL_CONTROL = 1, CL_ATTACH };

typedef struct iobuf {
    char *data;
    size_t len, cap;
} iobuf;

struct exec_proc;

typedef struct client {
    int fd;
    int kind;
    int handshake_done;
    int watching;
    int closing; /* close once out is flushed */
    int in_eof;
    attach_request ar;
    struct exec_proc *ex; /* attached to this exec's stdio, not the container's */
    iobuf in, out;
} client;

typedef struct shim {
    char *id, *bundle, *state_dir, *exit_file;
    int log_fd; /* the shim's own log (shim.log) */
    spec *s;
    cgroup *cg;
    pid_t pid;
    int status;
    int exit_code, oom_killed;
    int64_t started_at, finished_at;
    int sync_fd;
    int tty, want_stdin;
    int pty_master;     /* tty: read/write end */
    int out_fd, err_fd; /* read ends of the container's stdout/stderr */
    int in_fd;          /* write end of the container's stdin, or -1 */
    iobuf stdin_buf;
    int stdin_close_pending;
    iobuf line[3]; /* partial lines per stream (1 = stdout, 2 = stderr) */
    const pouch_log_ops *log_ops;
    void *log_writer;
    void *log_dl;
    client clients[SHIM_MAX_CLIENTS];
    int deleting;
    struct exec_proc *execs; /* newest first (exec.c) */
    int self_pidns_fd;       /* the shim's own pid namespace, to return to after an exec's fork */
} shim;

void slog(shim *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int buf_append(iobuf *b, const void *data, size_t len);
void buf_consume(iobuf *b, size_t n);
void buf_free(iobuf *b);

/* shim-io.c */
int io_open_log(shim *sh, const char *plugin, const char *path, const char *opts_json, rns_error *e);
void io_close_log(shim *sh);
/* Output from stream (1/2) read at now: to the log and every attached client. */
void io_output(shim *sh, int stream, const char *data, size_t len);
/* Log what is left of unterminated lines. */
void io_flush_lines(shim *sh);
/* Read from the container's fd for stream; returns 0 on EOF (fd closed). */
int io_read_stream(shim *sh, int *fd, int stream);
/* An attach client sent data (handshake, then stdin bytes). */
void io_attach_input(shim *sh, client *c);
/* Move buffered stdin bytes to the container; closes stdin when asked. */
void io_flush_stdin(shim *sh);
void client_close(shim *sh, client *c);
/* Queue bytes to a client; drops the client when it is too far behind. */
void client_send(shim *sh, client *c, const void *data, size_t len);
/* Some attach client of the exec ex (NULL: of the container) is more than
 * SHIM_CLIENT_BUF_HIGH behind: hold off reading that output. */
int io_clients_behind(const shim *sh, const struct exec_proc *ex);
void client_flush(shim *sh, client *c);
/* Frame output for c (8-byte header unless raw) and queue it. */
void client_send_output(shim *sh, client *c, int raw, int stream, const char *data, size_t len);
int set_nonblock(int fd);

#endif
