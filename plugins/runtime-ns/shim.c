/* pouch-shim: one per container. Creates the container (cgroup, clone into
 * new namespaces, sync until ready), then stays as its monitor: subreaper,
 * stdio and logs, attach and control sockets, exit status in exit.json.
 * Single-threaded on purpose; never exits while its container runs. */
#include "container.h"
#include "exec.h"
#include "seccomp-filter.h"
#include "shim.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void slog(shim *sh, const char *fmt, ...)
{
    if (!sh || sh->log_fd < 0)
        return;
    char buf[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(buf + n, sizeof(buf) - (size_t)n, ".%06ldZ ", ts.tv_nsec / 1000);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : n + m;
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    if (write(sh->log_fd, buf, (size_t)n) < 0) {
        /* best effort */
    }
}

static void ready_reply(int fd, int err, const char *msg, pid_t pid)
{
    if (fd < 0)
        return;
    json_t *o = err ? json_pack("{s:b,s:i,s:s}", "ok", 0, "errno", -err, "error", msg)
                    : json_pack("{s:b,s:i}", "ok", 1, "pid", (int)pid);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s) {
        rns_write_all(fd, s, strlen(s));
        rns_write_all(fd, "\n", 1);
    }
    free(s);
    json_decref(o);
}

static const char *status_name(int st)
{
    return st == ST_CREATED ? "created" : st == ST_RUNNING ? "running" : st == ST_PAUSED ? "paused" : "stopped";
}

static char *state_json(shim *sh, int with_ok)
{
    json_t *o = json_pack("{s:s,s:i,s:i,s:b,s:I,s:I}", "status", status_name(sh->status), "pid", (int)sh->pid,
                          "exit_code", sh->exit_code, "oom_killed", sh->oom_killed, "started_at",
                          (json_int_t)sh->started_at, "finished_at", (json_int_t)sh->finished_at);
    if (with_ok)
        json_object_set_new(o, "ok", json_true());
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static void write_exit_json(shim *sh)
{
    json_t *o =
        json_pack("{s:i,s:b,s:I,s:I,s:i}", "exit_code", sh->exit_code, "oom_killed", sh->oom_killed, "finished_at",
                  (json_int_t)sh->finished_at, "started_at", (json_int_t)sh->started_at, "pid", (int)sh->pid);
    _cleanup_free_ char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/exit.json", sh->state_dir);
    int r = rns_write_atomic(path, s, strlen(s), 0644);
    if (r < 0)
        slog(sh, "write %s: %s", path, strerror(-r));
    if (sh->exit_file && (r = rns_write_atomic(sh->exit_file, s, strlen(s), 0644)) < 0)
        slog(sh, "write %s: %s", sh->exit_file, strerror(-r));
}

static void reply(shim *sh, client *c, const char *line)
{
    client_send(sh, c, line, strlen(line));
    client_send(sh, c, "\n", 1);
    c->closing = 1;
    client_flush(sh, c);
}

static void reply_err(shim *sh, client *c, int err, const char *msg)
{
    _cleanup_free_ char *s = ctl_error_reply(err, msg);
    reply(sh, c, s ? s : "{\"ok\":false,\"errno\":5,\"error\":\"out of memory\"}");
}

static void cleanup(shim *sh)
{
    slog(sh, "deleting container %s", sh->id);
    if (sh->cg) {
        int r = cgroup_destroy(sh->cg);
        if (r < 0)
            slog(sh, "remove cgroup %s: %s", sh->cg->path, strerror(-r));
    }
    rns_rm_rf(sh->state_dir);
}

static _Noreturn void cleanup_and_exit(shim *sh, int code)
{
    cleanup(sh);
    exit(code);
}

/* The container's init has exited: drain output, record, tell watchers. */
static void finish(shim *sh, int wstatus)
{
    sh->finished_at = rns_now_ns();
    sh->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    sh->oom_killed = sh->cg ? cgroup_oom_killed(sh->cg) : 0;
    int64_t deadline = rns_now_ns() + 2000000000LL;
    while ((sh->out_fd >= 0 || sh->err_fd >= 0 || sh->pty_master >= 0) && rns_now_ns() < deadline) {
        struct pollfd p[3] = {{.fd = sh->out_fd, .events = POLLIN},
                              {.fd = sh->err_fd, .events = POLLIN},
                              {.fd = sh->pty_master, .events = POLLIN}};
        if (poll(p, 3, 100) <= 0)
            break;
        if (p[0].revents && !io_read_stream(sh, &sh->out_fd, 1))
            continue;
        if (p[1].revents && !io_read_stream(sh, &sh->err_fd, 2))
            continue;
        if (p[2].revents)
            io_read_stream(sh, &sh->pty_master, 1);
    }
    io_flush_lines(sh);
    io_close_log(sh);
    /* A container killed while paused (v2 kills frozen tasks) must not
     * leave a frozen cgroup behind for whatever runs in it next. */
    if (sh->status == ST_PAUSED && sh->cg && cgroup_freeze(sh->cg, 0, NULL) < 0)
        slog(sh, "thaw the cgroup of the exited container failed");
    sh->status = ST_STOPPED;
    write_exit_json(sh);
    slog(sh, "container exited: code %d%s", sh->exit_code, sh->oom_killed ? " (OOM killed)" : "");
    _cleanup_free_ char *st = state_json(sh, 1);
    for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
        client *c = &sh->clients[i];
        if (c->fd < 0)
            continue;
        if (c->kind == CL_CONTROL && c->watching)
            reply(sh, c, st);
        else if (c->kind == CL_ATTACH && c->handshake_done && !c->ex) {
            /* (an exec's clients end with their exec, reaped on its own) */
            c->closing = 1;
            client_flush(sh, c);
        }
    }
    if (sh->in_fd >= 0)
        close(sh->in_fd);
    sh->in_fd = -1;
}

static void reap(shim *sh)
{
    for (;;) {
        int ws;
        pid_t p = waitpid(-1, &ws, WNOHANG);
        if (p <= 0)
            return;
        if (p == sh->pid && sh->status != ST_STOPPED)
            finish(sh, ws);
        else if (p != sh->pid)
            exec_reaped(sh, p, ws);
    }
}

static void do_start(shim *sh, client *c)
{
    if (sh->status != ST_CREATED)
        return reply_err(sh, c, -EINVAL,
                         sh->status == ST_RUNNING ? "container is already running"
                                                  : "container has exited: create it again");
    char b = SYNC_START;
    if (send(sh->sync_fd, &b, 1, MSG_NOSIGNAL) != 1)
        return reply_err(sh, c, -EPIPE, "the container's init is gone");
    /* EOF means exec succeeded (the socket is close-on-exec); a message is
     * exec's failure. */
    sync_msg m;
    struct timeval tv = {.tv_sec = 30};
    setsockopt(sh->sync_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n;
    do
        n = recv(sh->sync_fd, &m, sizeof(m), 0);
    while (n < 0 && errno == EINTR);
    close(sh->sync_fd);
    sh->sync_fd = -1;
    sh->started_at = rns_now_ns();
    if (sh->status == ST_CREATED)
        sh->status = ST_RUNNING;
    if (n == (ssize_t)sizeof(m) && m.err != 0) {
        m.msg[sizeof(m.msg) - 1] = '\0';
        slog(sh, "start: %s", m.msg);
        return reply_err(sh, c, m.err, m.msg);
    }
    slog(sh, "started pid %d", (int)sh->pid);
    reply(sh, c, "{\"ok\":true}");
}

static void do_kill(shim *sh, client *c, const ctl_request *rq)
{
    if (sh->status == ST_STOPPED)
        return reply_err(sh, c, -ESRCH, "container is not running");
    int n = 0;
    if (rq->all && sh->cg)
        n = cgroup_kill_all(sh->cg, rq->signal);
    if (!rq->all || n == 0) {
        if (kill(sh->pid, rq->signal) < 0)
            return reply_err(sh, c, -errno, strerror(errno));
    }
    /* As dockerd: a signalled paused container is thawed so that the signal
     * is delivered (a v1 freezer holds even SIGKILL until then). */
    if (sh->status == ST_PAUSED && rq->signal != 0) {
        rns_error e = {0};
        if (cgroup_freeze(sh->cg, 0, &e) < 0)
            slog(sh, "kill: thaw: %s", e.msg);
        else
            sh->status = ST_RUNNING;
    }
    reply(sh, c, "{\"ok\":true}");
}

static void do_delete(shim *sh, client *c, const ctl_request *rq)
{
    if (sh->status == ST_STOPPED) {
        /* clean up first: the caller finds nothing left once answered */
        cleanup(sh);
        reply(sh, c, "{\"ok\":true}");
        exit(0);
    }
    if (sh->status == ST_RUNNING && !rq->force)
        return reply_err(sh, c, -EBUSY, "container is running: stop it before deleting it, or force");
    sh->deleting = 1;
    c->watching = 1; /* answered once the container is gone */
    if (sh->cg)
        cgroup_kill_all(sh->cg, SIGKILL);
    kill(sh->pid, SIGKILL);
    if (sh->status == ST_PAUSED && cgroup_freeze(sh->cg, 0, NULL) == 0)
        sh->status = ST_RUNNING;
}

static void do_pause(shim *sh, client *c, int freeze)
{
    if (sh->status != ST_RUNNING && sh->status != ST_PAUSED)
        return reply_err(sh, c, -EINVAL, "container is not running");
    if (!sh->cg)
        return reply_err(sh, c, -ENOTSUP, "the container has no cgroup (no linux.cgroupsPath): cannot pause it");
    if ((sh->status == ST_PAUSED) == freeze)
        return reply(sh, c, "{\"ok\":true}");
    rns_error e = {0};
    if (cgroup_freeze(sh->cg, freeze, &e) < 0)
        return reply_err(sh, c, e.code, e.msg);
    sh->status = freeze ? ST_PAUSED : ST_RUNNING;
    slog(sh, "%s", freeze ? "paused" : "resumed");
    reply(sh, c, "{\"ok\":true}");
}

static void do_update(shim *sh, client *c, const ctl_request *rq)
{
    if (sh->status == ST_STOPPED)
        return reply_err(sh, c, -EINVAL, "container is not running");
    if (!sh->cg)
        return reply_err(sh, c, -ENOTSUP, "the container has no cgroup (no linux.cgroupsPath): cannot update it");
    rns_error e = {0};
    _cleanup_(spec_freep) spec *res = NULL;
    int r = spec_parse_resources(rq->resources, &res, &e);
    if (r >= 0)
        r = cgroup_apply(sh->cg, &res->resources, &e);
    if (r == -EBUSY && strstr(e.msg, "memory")) {
        char msg[sizeof(e.msg) + 80];
        snprintf(msg, sizeof(msg), "%s (the new memory limit is below what the container uses now)", e.msg);
        return reply_err(sh, c, r, msg);
    }
    if (r < 0)
        return reply_err(sh, c, r, e.msg);
    reply(sh, c, "{\"ok\":true}");
}

/* Answer {"ok":true,"<key>":<json>} with json (taken) from a reader. */
static void reply_json(shim *sh, client *c, const char *key, int r, char *json)
{
    _cleanup_free_ char *own = json;
    if (r < 0 || !json)
        return reply_err(sh, c, r < 0 ? r : -ENOMEM, strerror(r < 0 ? -r : ENOMEM));
    size_t len = strlen(key) + strlen(json) + 32;
    _cleanup_free_ char *line = malloc(len);
    if (!line)
        return reply_err(sh, c, -ENOMEM, "out of memory");
    snprintf(line, len, "{\"ok\":true,\"%s\":%s}", key, json);
    reply(sh, c, line);
}

static void do_exec_op(shim *sh, client *c, const ctl_request *rq)
{
    rns_error e = {0};
    int r = 0;
    switch (rq->op) {
    case CTL_EXEC_CREATE:
        r = exec_create(sh, rq, &e);
        break;
    case CTL_EXEC_START:
        r = exec_start(sh, rq->exec_id, &e);
        break;
    case CTL_EXEC_STATE: {
        _cleanup_free_ char *st = NULL;
        if ((r = exec_state(sh, rq->exec_id, &st, &e)) >= 0)
            return reply(sh, c, st);
        break;
    }
    case CTL_EXEC_RESIZE:
        r = exec_resize(sh, rq->exec_id, rq->rows, rq->cols, &e);
        break;
    }
    if (r < 0)
        return reply_err(sh, c, r, e.msg[0] ? e.msg : strerror(-r));
    reply(sh, c, "{\"ok\":true}");
}

static void control_input(shim *sh, client *c)
{
    char data[4096];
    ssize_t n = recv(c->fd, data, sizeof(data), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        client_close(sh, c);
        return;
    }
    if (c->watching || c->closing)
        return;
    buf_append(&c->in, data, (size_t)n);
    char *nl = memchr(c->in.data, '\n', c->in.len);
    if (!nl) {
        if (c->in.len > (1u << 20))
            client_close(sh, c);
        return;
    }
    *nl = '\0';
    _cleanup_(ctl_request_free) ctl_request rq = {0};
    rns_error e = {0};
    if (ctl_parse(c->in.data, &rq, &e) < 0)
        return reply_err(sh, c, e.code, e.msg);
    switch (rq.op) {
    case CTL_START:
        return do_start(sh, c);
    case CTL_KILL:
        return do_kill(sh, c, &rq);
    case CTL_STATE: {
        _cleanup_free_ char *st = state_json(sh, 1);
        return reply(sh, c, st);
    }
    case CTL_RESIZE: {
        if (!sh->tty || sh->pty_master < 0)
            return reply_err(sh, c, -ENOTTY, "the container has no terminal");
        struct winsize ws = {.ws_row = (unsigned short)rq.rows, .ws_col = (unsigned short)rq.cols};
        if (ioctl(sh->pty_master, TIOCSWINSZ, &ws) < 0)
            return reply_err(sh, c, -errno, strerror(errno));
        return reply(sh, c, "{\"ok\":true}");
    }
    case CTL_WATCH:
        if (sh->status == ST_STOPPED) {
            _cleanup_free_ char *st = state_json(sh, 1);
            return reply(sh, c, st);
        }
        c->watching = 1;
        return;
    case CTL_DELETE:
        return do_delete(sh, c, &rq);
    case CTL_PAUSE:
    case CTL_RESUME:
        return do_pause(sh, c, rq.op == CTL_PAUSE);
    case CTL_EXEC_CREATE:
    case CTL_EXEC_START:
    case CTL_EXEC_STATE:
    case CTL_EXEC_RESIZE:
        return do_exec_op(sh, c, &rq);
    case CTL_UPDATE:
        return do_update(sh, c, &rq);
    case CTL_STATS: {
        char *json = NULL;
        int r = sh->cg && sh->status != ST_STOPPED ? cgroup_stats(sh->cg, &json) : cgroup_stats_zero(&json);
        return reply_json(sh, c, "stats", r, json);
    }
    case CTL_PIDS: {
        char *json = NULL;
        int r = 0;
        if (sh->cg && sh->status != ST_STOPPED)
            r = cgroup_pids(sh->cg, &json);
        else if ((json = malloc(32)))
            snprintf(json, 32, sh->status == ST_STOPPED ? "[]" : "[%d]", (int)sh->pid);
        return reply_json(sh, c, "pids", r, json);
    }
    }
}

static void accept_client(shim *sh, int lfd, int kind)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
        client *c = &sh->clients[i];
        if (c->fd < 0) {
            memset(c, 0, sizeof(*c));
            c->fd = fd;
            c->kind = kind;
            return;
        }
    }
    slog(sh, "too many clients: refused one");
    close(fd);
}

static _Noreturn void main_loop(shim *sh, int sigfd, int ctl_fd, int att_fd)
{
    for (;;) {
        struct pollfd p[6 + SHIM_MAX_CLIENTS + 3 * EXEC_MAX_LIVE];
        exec_proc *who[3 * EXEC_MAX_LIVE];
        int n = 0;
        p[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
        p[n++] = (struct pollfd){.fd = ctl_fd, .events = POLLIN};
        p[n++] = (struct pollfd){.fd = att_fd, .events = POLLIN};
        /* Backpressure: while a client is behind, the output fds are left
         * out of the poll (fd -1: not even a hang-up wakes us). */
        short out_ev = io_clients_behind(sh, NULL) ? 0 : POLLIN;
        p[n++] = (struct pollfd){.fd = out_ev ? sh->out_fd : -1, .events = out_ev};
        p[n++] = (struct pollfd){.fd = out_ev ? sh->err_fd : -1, .events = out_ev};
        short pty_ev = (short)(sh->pty_master >= 0 && sh->tty && sh->stdin_buf.len ? POLLOUT : 0);
        int in_side = sh->tty && !(out_ev | pty_ev) ? -1 : sh->tty ? sh->pty_master : sh->in_fd;
        p[n++] = (struct pollfd){.fd = in_side,
                                 .events = (short)(sh->tty ? out_ev | pty_ev : (sh->stdin_buf.len ? POLLOUT : 0))};
        for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
            client *c = &sh->clients[i];
            short ev = (short)((c->in_eof ? 0 : POLLIN) | (c->out.len ? POLLOUT : 0));
            p[n++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        int n_exec = exec_poll_fill(sh, p + n, who, 3 * EXEC_MAX_LIVE);
        if (poll(p, (nfds_t)(n + n_exec), exec_poll_timeout(sh)) < 0) {
            if (errno == EINTR)
                continue;
            slog(sh, "poll: %s", strerror(errno));
            sleep(1);
            continue;
        }
        /* Execs first: nothing below has freed a record named in who[] yet. */
        exec_poll_handle(sh, p + n, who, n_exec);
        exec_tick(sh);
        if (p[0].revents) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
            }
            reap(sh);
        }
        if (p[1].revents)
            accept_client(sh, ctl_fd, CL_CONTROL);
        if (p[2].revents)
            accept_client(sh, att_fd, CL_ATTACH);
        if (p[3].revents)
            io_read_stream(sh, &sh->out_fd, 1);
        if (p[4].revents)
            io_read_stream(sh, &sh->err_fd, 2);
        if (p[5].revents) {
            if (sh->tty && (p[5].revents & (POLLIN | POLLHUP | POLLERR)) && out_ev)
                io_read_stream(sh, &sh->pty_master, 1);
            io_flush_stdin(sh);
        }
        for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
            client *c = &sh->clients[i];
            short re = p[6 + i].revents;
            if (c->fd < 0 || p[6 + i].fd != c->fd || !re)
                continue;
            if (re & POLLOUT)
                client_flush(sh, c);
            if (c->fd >= 0 && (re & (POLLIN | POLLHUP | POLLERR))) {
                if (c->in_eof && !(re & POLLIN))
                    client_close(sh, c);
                else if (c->kind == CL_CONTROL)
                    control_input(sh, c);
                else
                    io_attach_input(sh, c);
            }
        }
        if (sh->deleting && sh->status == ST_STOPPED) {
            for (int i = 0; i < SHIM_MAX_CLIENTS; i++)
                if (sh->clients[i].fd >= 0)
                    client_flush(sh, &sh->clients[i]);
            cleanup_and_exit(sh, 0);
        }
    }
}

int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -errno : fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

/* The container's end of stdio goes in child_fds; the shim keeps the others. */
/* Pipes for the init's stdio; with a tty the init allocates the pty in the
 * container and sends the master (create_container receives it). */
static int open_stdio(shim *sh, int child_fds[3], rns_error *e)
{
    if (sh->tty)
        return 0;
    int p[2];
    if (sh->want_stdin) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return rns_err(e, -errno, "pipe: %s", strerror(errno));
        child_fds[0] = p[0];
        sh->in_fd = p[1];
        set_nonblock(sh->in_fd);
    } else if ((child_fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        return rns_err(e, -errno, "open /dev/null: %s", strerror(errno));
    }
    for (int i = 1; i <= 2; i++) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return rns_err(e, -errno, "pipe: %s", strerror(errno));
        child_fds[i] = p[1];
        *(i == 1 ? &sh->out_fd : &sh->err_fd) = p[0];
        set_nonblock(p[0]);
    }
    return 0;
}

static int prepare_namespaces(const spec *s, container_ctx *ctx, unsigned long *ret_flags, rns_error *e)
{
    unsigned long flags = 0;
    for (size_t i = 0; i < s->n_namespaces; i++) {
        const spec_ns *ns = &s->namespaces[i];
        if (!ns->path) {
            if (ns->type == CLONE_NEWCGROUP)
                ctx->unshare_cgroupns = 1; /* after joining the cgroup */
            else
                flags |= (unsigned long)ns->type;
            continue;
        }
        int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return rns_err(e, -errno, "open namespace %s: %s", ns->path, strerror(errno));
        if (ns->type == CLONE_NEWPID || (s->n_uid_mappings && ns->type == CLONE_NEWIPC)) {
            /* A pid namespace is entered by the children of the caller. An
             * IPC one, with a new user namespace, too: from inside it the
             * child may not join a namespace another user namespace owns. */
            int r = setns(fd, ns->type);
            close(fd);
            if (r < 0)
                return rns_err(e, -errno, "join namespace %s: %s", ns->path, strerror(errno));
            continue;
        }
        if (ctx->n_join >= (int)ARRAY_SIZE(ctx->join_fds)) {
            close(fd);
            return rns_err(e, -E2BIG, "too many namespaces to join");
        }
        ctx->join_fds[ctx->n_join] = fd;
        ctx->join_types[ctx->n_join++] = ns->type;
    }
    *ret_flags = flags;
    return 0;
}

/* A user namespace may not mount the mqueue of an IPC namespace it does not
 * own (the host's, or the one of --ipc container:X): mount it here, as root
 * outside and already in that namespace, for the child to attach. */
static int shared_mqueue(shim *sh)
{
    _cleanup_close_ int fs = fsopen("mqueue", FSOPEN_CLOEXEC);
    int m = fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0
                ? -1
                : fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (m < 0)
        slog(sh, "mqueue for the shared IPC namespace: %s; the container tries itself", strerror(errno));
    return m;
}

/* A hard limit above the shim's own cannot be granted without
 * CAP_SYS_RESOURCE: say so before cloning. */
static int check_rlimits(const spec *s, rns_error *e)
{
    for (size_t i = 0; i < s->n_rlimits; i++) {
        struct rlimit cur;
        if (getrlimit(s->rlimits[i].resource, &cur) < 0 || s->rlimits[i].hard <= cur.rlim_max ||
            cur.rlim_max == RLIM_INFINITY)
            continue;
        struct rlimit probe = {.rlim_cur = cur.rlim_cur, .rlim_max = s->rlimits[i].hard};
        if (setrlimit(s->rlimits[i].resource, &probe) == 0) {
            setrlimit(s->rlimits[i].resource, &cur);
            continue;
        }
        return rns_err(e, -EPERM,
                       "ulimit %s: requested hard limit %llu is above this host's hard limit %llu for the "
                       "runtime (it lacks CAP_SYS_RESOURCE); lower the ulimit",
                       s->rlimits[i].name, (unsigned long long)s->rlimits[i].hard, (unsigned long long)cur.rlim_max);
    }
    return 0;
}

/* The maps of a new user namespace, written by us (root outside) while the
 * child waits: an unprivileged process could not write several ranges. */
static int write_idmaps(pid_t pid, const spec *s, rns_error *e)
{
    const char *files[2] = {"uid_map", "gid_map"};
    const spec_idmap *maps[2] = {s->uid_mappings, s->gid_mappings};
    size_t counts[2] = {s->n_uid_mappings, s->n_gid_mappings};
    for (int k = 0; k < 2; k++) {
        char text[4096] = "", path[64];
        size_t len = 0;
        for (size_t i = 0; i < counts[k] && len < sizeof(text); i++)
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%u %u %u\n", maps[k][i].container_id,
                                    maps[k][i].host_id, maps[k][i].size);
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[k]);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
            return rns_err(e, -errno, "write %s of the container's user namespace: %s", files[k], strerror(errno));
    }
    return 0;
}

static int create_container(shim *sh, const char *cgroup_root, rns_error *e)
{
    const spec *s = sh->s;
    int r = check_rlimits(s, e);
    if (r < 0 || (r = seccomp_filter_prepare(sh->s, sh->state_dir, e)) < 0) /* compiled once, before any fork */
        return r;
    const char *root = cgroup_default_root(cgroup_root);
    int version = cgroup_detect(root);
    if (s->cgroups_path && *s->cgroups_path) {
        if ((r = cgroup_create(root, version, s->cgroups_path, &sh->cg, e)) < 0)
            return r;
        char file[4096];
        snprintf(file, sizeof(file), "%s/cgroup", sh->state_dir);
        cgroup_save(sh->cg, file);
        if ((r = cgroup_apply(sh->cg, &s->resources, e)) < 0)
            return r;
        if (version == 2 && s->resources.n_devices > 0)
            slog(sh, "cgroup v2: device rules are not enforced (needs an eBPF device filter)");
    }
    container_ctx ctx = {.s = s, .stdio = {-1, -1, -1}, .log_fd = sh->log_fd, .cgroup_version = version};
    if ((r = open_stdio(sh, ctx.stdio, e)) < 0)
        return r;
    ctx.tty = sh->tty;
    unsigned long flags = 0;
    if ((r = prepare_namespaces(s, &ctx, &flags, e)) < 0)
        return r;
    if (s->n_uid_mappings && !(flags & CLONE_NEWIPC))
        ctx.mqueue_fd = shared_mqueue(sh);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
        return rns_err(e, -errno, "socketpair: %s", strerror(errno));
    ctx.sync_fd = sp[1];
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0)
        return rns_err(e, -errno, "clone with namespaces 0x%lx: %s", flags, strerror(errno));
    if (pid == 0) {
        close(sp[0]);
        container_child(&ctx);
    }
    sh->pid = pid;
    sh->sync_fd = sp[0];
    close(sp[1]);
    for (int i = 0; i < 3; i++)
        if (ctx.stdio[i] >= 0)
            close(ctx.stdio[i]);
    for (int i = 0; i < ctx.n_join; i++)
        close(ctx.join_fds[i]);
    if (ctx.mqueue_fd > 0)
        close(ctx.mqueue_fd);
    if (sh->cg && (r = cgroup_enter(sh->cg, pid, e)) < 0)
        return r;
    if ((flags & CLONE_NEWUSER) && (r = write_idmaps(pid, s, e)) < 0)
        return r;
    char b = SYNC_CGROUP_READY;
    if (send(sh->sync_fd, &b, 1, MSG_NOSIGNAL) != 1)
        return rns_err(e, -EPIPE, "the container's init died before setup");
    sync_msg m;
    ssize_t n;
    for (;;) {
        int fd = -1;
        do
            n = rns_recv_fd(sh->sync_fd, &m, sizeof(m), &fd);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(m) || fd < 0)
            break;
        /* the init's pty master: the container's terminal from now on */
        if (!sh->tty || sh->pty_master >= 0) {
            close(fd);
            return rns_err(e, -EPROTO, "the container's init sent an unexpected terminal");
        }
        sh->pty_master = fd;
        set_nonblock(fd);
    }
    if (n != (ssize_t)sizeof(m))
        return rns_err(e, -EPIPE, "the container's init died during setup (see %s/shim.log)", sh->state_dir);
    if (m.err == 0 && sh->tty && sh->pty_master < 0)
        return rns_err(e, -EPROTO, "the container's init reported ready without a terminal");
    if (m.err != 0) {
        m.msg[sizeof(m.msg) - 1] = '\0';
        return rns_err(e, m.err, "%s", m.msg);
    }
    return 0;
}

static int parse_options(shim *sh, const char *text, char **ret_plugin, char **ret_path, char **ret_opts, rns_error *e)
{
    *ret_plugin = *ret_path = *ret_opts = NULL;
    if (!text || !*text)
        return 0;
    _cleanup_(json_decrefp) json_t *o = json_loads(text, 0, NULL);
    if (!json_is_object(o))
        return rns_err(e, -EINVAL, "--options must be a JSON object");
    sh->want_stdin = json_is_true(json_object_get(o, "stdin"));
    sh->tty |= json_is_true(json_object_get(o, "tty"));
    const char *ef = json_string_value(json_object_get(o, "exit_file"));
    if (ef && !(sh->exit_file = strdup(ef)))
        return -ENOMEM;
    json_t *log = json_object_get(o, "log");
    const char *driver = json_string_value(json_object_get(log, "driver"));
    const char *plugin = json_string_value(json_object_get(log, "plugin"));
    const char *path = json_string_value(json_object_get(log, "path"));
    if (!plugin || !*plugin || (driver && !strcmp(driver, "none")))
        return 0;
    if (!path)
        return rns_err(e, -EINVAL, "log driver %s: options.log.path is missing", driver ? driver : plugin);
    json_t *opts = json_object_get(log, "opts");
    *ret_plugin = strdup(plugin);
    *ret_path = strdup(path);
    *ret_opts = opts ? json_dumps(opts, JSON_COMPACT) : strdup("{}");
    return *ret_plugin && *ret_path && *ret_opts ? 0 : -ENOMEM;
}

static void usage(void)
{
    fprintf(stderr, "usage: pouch-shim --id ID --bundle DIR --state-dir DIR [--options JSON]\n"
                    "                  [--cgroup-root DIR] [--ready-fd N] [--foreground]\n");
}

static int setup_monitor(shim *sh, int *ret_sigfd)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, NULL);
    sigaction(SIGHUP, &ign, NULL);
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGTERM, &ign, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    *ret_sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return *ret_sigfd < 0 ? -errno : 0;
}

/* Create the container and serve it; returns only on a create failure. */
static int run(shim *sh, const char *options, const char *cgroup_root, int ready_fd, rns_error *e)
{
    int sigfd = -1, r;
    char path[4096];
    _cleanup_free_ char *log_plugin = NULL, *log_path = NULL, *log_opts = NULL;
    if ((r = rns_mkdir_p(sh->state_dir, 0711)) < 0)
        return rns_err(e, r, "create state dir %s: %s", sh->state_dir, strerror(-r));
    snprintf(path, sizeof(path), "%s/shim.log", sh->state_dir);
    sh->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    char pidbuf[32];
    snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
    snprintf(path, sizeof(path), "%s/shim.pid", sh->state_dir);
    rns_write_atomic(path, pidbuf, strlen(pidbuf), 0644);
    /* The state dir is named by a prefix of the id (socket paths must stay
     * under 108 bytes); the whole id is kept here for list(). */
    snprintf(path, sizeof(path), "%s/id", sh->state_dir);
    rns_write_atomic(path, sh->id, strlen(sh->id), 0644);
    slog(sh, "pouch-shim for %s (bundle %s)", sh->id, sh->bundle);
    if ((r = setup_monitor(sh, &sigfd)) < 0)
        return rns_err(e, r, "signalfd: %s", strerror(-r));
    if ((r = spec_load(sh->bundle, &sh->s, e)) < 0)
        return r;
    sh->tty = sh->s->terminal;
    if ((r = parse_options(sh, options, &log_plugin, &log_path, &log_opts, e)) < 0 ||
        (r = create_container(sh, cgroup_root, e)) < 0)
        return r;
    snprintf(path, sizeof(path), "%s/control.sock", sh->state_dir);
    int ctl_fd = rns_unix_listen(path, 16);
    if (ctl_fd < 0)
        return rns_err(e, ctl_fd, "listen on %s: %s", path, strerror(-ctl_fd));
    snprintf(path, sizeof(path), "%s/attach.sock", sh->state_dir);
    int att_fd = rns_unix_listen(path, 16);
    if (att_fd < 0)
        return rns_err(e, att_fd, "listen on %s: %s", path, strerror(-att_fd));
    if (log_plugin && (r = io_open_log(sh, log_plugin, log_path, log_opts, e)) < 0)
        return r;
    slog(sh, "created: pid %d", (int)sh->pid);
    ready_reply(ready_fd, 0, NULL, sh->pid);
    /* Setup's parsing is done: hand its freed heap back, since this process
     * lives as long as the container and there is one per container. */
    malloc_trim(0);
    if (ready_fd >= 0)
        close(ready_fd);
    main_loop(sh, sigfd, ctl_fd, att_fd);
}

/* Daemons leak descriptors into what they spawn: keep only 0-2 and ready_fd. */
static void close_inherited(int keep)
{
    for (int fd = 3; fd < 1024; fd++)
        if (fd != keep)
            close(fd);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"id", required_argument, NULL, 'i'},          {"bundle", required_argument, NULL, 'b'},
        {"state-dir", required_argument, NULL, 's'},   {"options", required_argument, NULL, 'o'},
        {"cgroup-root", required_argument, NULL, 'c'}, {"ready-fd", required_argument, NULL, 'r'},
        {"foreground", no_argument, NULL, 'f'},        {NULL, 0, NULL, 0},
    };
    const char *options = NULL, *cgroup_root = NULL;
    int ready_fd = -1, foreground = 0, opt;
    static shim sh_storage;
    shim *sh = &sh_storage;
    sh->log_fd = sh->sync_fd = sh->pty_master = sh->out_fd = sh->err_fd = sh->in_fd = -1;
    sh->self_pidns_fd = -1;
    for (int i = 0; i < SHIM_MAX_CLIENTS; i++)
        sh->clients[i].fd = -1;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            sh->id = optarg;
            break;
        case 'b':
            sh->bundle = optarg;
            break;
        case 's':
            sh->state_dir = optarg;
            break;
        case 'o':
            options = optarg;
            break;
        case 'c':
            cgroup_root = optarg;
            break;
        case 'r':
            ready_fd = atoi(optarg);
            break;
        case 'f':
            foreground = 1;
            break;
        default:
            usage();
            return 2;
        }
    }
    if (!sh->id || !sh->bundle || !sh->state_dir) {
        usage();
        return 2;
    }
    close_inherited(ready_fd);
    if (ready_fd >= 0)
        fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
    if (!foreground) {
        /* Detach from whoever spawned us: the daemon may die, we may not. */
        pid_t p = fork();
        if (p < 0)
            return 1;
        if (p > 0)
            _exit(0);
        setsid();
    }
    /* Kept to come back to after forking an exec into the container's. */
    sh->self_pidns_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    rns_error e = {0};
    int r = run(sh, options, cgroup_root, ready_fd, &e);
    slog(sh, "create failed: %s", e.msg);
    /* Clean up first, answer last: whoever hears of the failure must find
     * no process, cgroup or state dir left. */
    if (sh->pid > 0) {
        kill(sh->pid, SIGKILL);
        waitpid(sh->pid, NULL, 0);
    }
    if (sh->cg)
        cgroup_destroy(sh->cg);
    if (sh->state_dir)
        rns_rm_rf(sh->state_dir);
    ready_reply(ready_fd, e.code ? e.code : (r < 0 ? r : -EIO), e.msg[0] ? e.msg : strerror(r < 0 ? -r : EIO), 0);
    return 1;
}
