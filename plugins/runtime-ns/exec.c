/* docker exec inside pouch-shim (see exec.h). One fork per exec: the shim
 * points its pid_for_children at the container's pid namespace, forks, and
 * the child joins the other namespaces and the cgroup itself before it runs
 * anything of the user's. No helper binaries, no sleeps: speed matters here. */
#include "exec.h"

#include "container.h"
#include "seccomp-filter.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static char exec_buf[16384];

static exec_proc *exec_find(shim *sh, const char *id)
{
    for (exec_proc *ex = sh->execs; ex; ex = ex->next)
        if (!strcmp(ex->id, id))
            return ex;
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void exec_free(exec_proc *ex)
{
    close_fd(&ex->pty_master);
    close_fd(&ex->out_fd);
    close_fd(&ex->err_fd);
    close_fd(&ex->in_fd);
    buf_free(&ex->stdin_buf);
    spec_free(ex->proc);
    free(ex->error);
    free(ex);
}

static void exec_forget(shim *sh, exec_proc **pp)
{
    exec_proc *ex = *pp;
    *pp = ex->next;
    for (int i = 0; i < SHIM_MAX_CLIENTS; i++)
        if (sh->clients[i].ex == ex) {
            sh->clients[i].ex = NULL;
            sh->clients[i].closing = 1;
            client_flush(sh, &sh->clients[i]);
        }
    exec_free(ex);
}

/* Forget the oldest finished execs beyond EXEC_KEEP_DONE. A client still
 * flushing the output of one is detached first (it is closing already). */
static void trim_done(shim *sh)
{
    int done = 0;
    for (exec_proc *ex = sh->execs; ex; ex = ex->next)
        done += ex->status == ST_STOPPED;
    while (done > EXEC_KEEP_DONE) {
        exec_proc **oldest = NULL;
        for (exec_proc **pp = &sh->execs; *pp; pp = &(*pp)->next)
            if ((*pp)->status == ST_STOPPED)
                oldest = pp;
        exec_forget(sh, oldest);
        done--;
    }
}

static const char *container_unavailable(shim *sh)
{
    static char msg[512];
    if (sh->status == ST_PAUSED)
        snprintf(msg, sizeof(msg), "Container %s is paused, unpause the container before exec", sh->id);
    else if (sh->status != ST_RUNNING)
        snprintf(msg, sizeof(msg), "Container %s is not running", sh->id);
    else
        return NULL;
    return msg;
}

int exec_create(shim *sh, const ctl_request *rq, rns_error *e)
{
    const char *why = container_unavailable(sh);
    if (why)
        return rns_err(e, sh->status == ST_PAUSED ? -EBUSY : -EINVAL, "%s", why);
    if (exec_find(sh, rq->exec_id))
        return rns_err(e, -EEXIST, "exec %s already exists in container %s", rq->exec_id, sh->id);
    int live = 0;
    exec_proc **never_started = NULL; /* the oldest, made room for first */
    for (exec_proc **pp = &sh->execs; *pp; pp = &(*pp)->next) {
        live += (*pp)->status != ST_STOPPED;
        if ((*pp)->status == ST_CREATED)
            never_started = pp;
    }
    if (live >= EXEC_MAX_LIVE && never_started) {
        slog(sh, "exec %s: forgotten, never started, to make room", (*never_started)->id);
        exec_forget(sh, never_started);
    } else if (live >= EXEC_MAX_LIVE) {
        return rns_err(e, -EAGAIN, "container %s already runs %d exec processes: wait for one to end", sh->id, live);
    }
    spec *proc = NULL;
    int r = spec_parse_process(rq->process, &proc, e);
    if (r < 0)
        return r;
    exec_proc *ex = calloc(1, sizeof(*ex));
    if (!ex) {
        spec_free(proc);
        return -ENOMEM;
    }
    snprintf(ex->id, sizeof(ex->id), "%s", rq->exec_id);
    ex->proc = proc;
    ex->status = ST_CREATED;
    ex->tty = rq->tty || proc->terminal;
    ex->want_stdin = rq->in;
    ex->pty_master = ex->out_fd = ex->err_fd = ex->in_fd = -1;
    ex->next = sh->execs;
    sh->execs = ex;
    trim_done(sh);
    return 0;
}

/* ---- the child: runs between fork and execve, in the container */

static const struct {
    int type;
    const char *name;
} ns_order[] = {
    /* user first: it grants the rights to join the others */
    {CLONE_NEWUSER, "user"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWIPC, "ipc"},
    {CLONE_NEWUTS, "uts"},   {CLONE_NEWNET, "net"},       {CLONE_NEWNS, "mnt"},
};

static int in_spec(const spec *s, int type)
{
    for (size_t i = 0; i < s->n_namespaces; i++)
        if (s->namespaces[i].type == type)
            return 1;
    return 0;
}

/* Join every namespace the container's init has (as listed in its spec);
 * all fds are opened first since /proc changes once mnt is joined. */
static int join_container_ns(shim *sh, rns_error *e)
{
    int fds[ARRAY_SIZE(ns_order)];
    for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++) {
        fds[i] = -1;
        if (!in_spec(sh->s, ns_order[i].type))
            continue;
        char path[64], self[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)sh->pid, ns_order[i].name);
        snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_order[i].name);
        struct stat a, b;
        if (stat(path, &a) < 0)
            return rns_err(e, -errno, "exec: namespace %s of the container: %s", path, strerror(errno));
        if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            continue;
        if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            return rns_err(e, -errno, "exec: open %s: %s", path, strerror(errno));
    }
    for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++)
        if (fds[i] >= 0 && setns(fds[i], ns_order[i].type) < 0)
            return rns_err(e, -errno, "exec: join the container's %s namespace: %s", ns_order[i].name,
                           strerror(errno));
    return 0;
}

static int child_stdio(const int stdio[3], int slave, rns_error *e)
{
    if (setsid() < 0)
        return rns_err(e, -errno, "exec: setsid: %s", strerror(errno));
    if (slave >= 0) {
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
            return rns_err(e, -errno, "exec: set controlling tty: %s", strerror(errno));
        for (int i = 0; i < 3; i++)
            if (dup2(slave, i) < 0)
                return rns_err(e, -errno, "exec: dup2 tty: %s", strerror(errno));
        return 0;
    }
    for (int i = 0; i < 3; i++)
        if (dup3(stdio[i], i, 0) < 0)
            return rns_err(e, -errno, "exec: dup2 stdio %d: %s", i, strerror(errno));
    return 0;
}

/* runc words its errors like Go: lower-case errno text. */
static const char *go_strerror(int err, char *buf, size_t len)
{
    snprintf(buf, len, "%s", strerror(err));
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

static int child_setup(shim *sh, exec_proc *ex, const int stdio[3], int sync_fd, char *exe, size_t exe_len,
                       rns_error *e)
{
    int slave = -1;
    const spec *p = ex->proc;
    container_reset_signals();
    /* Into the cgroup while the host's cgroupfs is still in view, and before
     * anything of the user's runs. */
    int r = sh->cg ? cgroup_enter(sh->cg, 0, e) : 0;
    if (r < 0)
        return r;
    r = join_container_ns(sh, e);
    char pty_name[128];
    if (r >= 0 && ex->tty && (r = slave = container_open_pty(sync_fd, pty_name, sizeof(pty_name), e)) >= 0)
        r = 0;
    if (r < 0 || (r = child_stdio(stdio, slave, e)) < 0 || (r = container_set_rlimits(p, e)) < 0)
        return r;
    /* The container's seccomp filter (sh->s: an exec's process object
     * carries none), where the init loads it: without no_new_privs while
     * still privileged, as the kernel wants; else just before execve. */
    if (!p->no_new_privileges && (r = seccomp_filter_load(sh->s, e)) < 0)
        return r;
    if ((r = container_set_user_and_caps(p, e)) < 0)
        return r;
    if (chdir(p->cwd) < 0) {
        char b[128];
        return rns_err(e, -errno, "chdir to cwd (\"%s\") set in config.json failed: %s", p->cwd,
                       go_strerror(errno, b, sizeof(b)));
    }
    return container_lookup(p->args[0], p->env, exe, exe_len, e);
}

static void child_report(int fd, int err, const char *msg)
{
    sync_msg m = {.err = err};
    snprintf(m.msg, sizeof(m.msg), "%s", msg);
    while (send(fd, &m, sizeof(m), MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

static _Noreturn void exec_child(shim *sh, exec_proc *ex, const int stdio[3], int sync_fd)
{
    rns_error e = {0};
    char exe[4096];
    int r = child_setup(sh, ex, stdio, sync_fd, exe, sizeof(exe), &e);
    if (r < 0) {
        child_report(sync_fd, r, e.msg[0] ? e.msg : strerror(-r));
        _exit(126);
    }
    if (ex->proc->no_new_privileges && (r = seccomp_filter_load(sh->s, &e)) < 0) {
        child_report(sync_fd, r, e.msg);
        _exit(126);
    }
    /* Nothing of the shim's may leak into the container: every fd but
     * 0-2 goes at execve (the sync socket's EOF tells the shim it worked). */
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(exe, (char *const *)ex->proc->args, (char *const *)ex->proc->env);
    int err = errno;
    char b[128], msg[1024];
    snprintf(msg, sizeof(msg), "exec: \"%s\": %s", ex->proc->args[0], go_strerror(err, b, sizeof(b)));
    child_report(sync_fd, -err, msg);
    _exit(err == ENOENT ? 127 : 126);
}

/* ---- the shim's side */

static void exec_output(shim *sh, exec_proc *ex, int stream, const char *data, size_t len)
{
    for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
        client *c = &sh->clients[i];
        if (c->fd < 0 || c->ex != ex || !c->handshake_done || c->closing)
            continue;
        if ((stream == 1 && !c->ar.out) || (stream == 2 && !c->ar.err))
            continue;
        client_send_output(sh, c, ex->tty, stream, data, len);
    }
}

/* Read what fd has now; 0 once it is closed (EOF, or EIO from a pty whose
 * slave side is gone). */
static int exec_read(shim *sh, exec_proc *ex, int *fd, int stream)
{
    for (int rounds = 0; *fd >= 0 && rounds < 16; rounds++) {
        ssize_t n = read(*fd, exec_buf, sizeof(exec_buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 1;
        if (n <= 0) {
            close_fd(fd);
            return 0;
        }
        exec_output(sh, ex, stream, exec_buf, (size_t)n);
    }
    return *fd >= 0;
}

static void exec_flush_stdin(exec_proc *ex)
{
    int fd = ex->tty ? ex->pty_master : ex->in_fd;
    while (fd >= 0 && ex->stdin_buf.len > 0) {
        ssize_t n = write(fd, ex->stdin_buf.data, ex->stdin_buf.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) {
            ex->stdin_buf.len = 0; /* the process closed its stdin */
            break;
        }
        buf_consume(&ex->stdin_buf, (size_t)n);
    }
    if (ex->stdin_close_pending && ex->stdin_buf.len == 0 && !ex->tty)
        close_fd(&ex->in_fd);
}

/* The process is gone and its output read: record, end its clients. */
static void exec_finish(shim *sh, exec_proc *ex)
{
    close_fd(&ex->pty_master);
    close_fd(&ex->out_fd);
    close_fd(&ex->err_fd);
    close_fd(&ex->in_fd);
    buf_free(&ex->stdin_buf);
    spec_free(ex->proc);
    ex->proc = NULL;
    ex->status = ST_STOPPED;
    ex->exited = 0;
    for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
        client *c = &sh->clients[i];
        if (c->fd >= 0 && c->ex == ex) {
            c->closing = 1;
            client_flush(sh, c);
        }
    }
}

static int output_open(const exec_proc *ex)
{
    return ex->pty_master >= 0 || ex->out_fd >= 0 || ex->err_fd >= 0;
}

int exec_reaped(shim *sh, pid_t pid, int wstatus)
{
    exec_proc *ex = NULL;
    for (exec_proc *x = sh->execs; x && !ex; x = x->next)
        if (x->pid == pid && x->status == ST_RUNNING && !x->exited)
            ex = x;
    if (!ex) {
        for (exec_proc *x = sh->execs; x; x = x->next)
            if (x->pid == pid)
                return 1; /* one whose start failed: already recorded */
        return 0;
    }
    ex->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    ex->exited = 1;
    /* A pipe holds everything written before the exit; a pty may still be
     * moving it to the master side, so that one gets a short grace. */
    exec_read(sh, ex, &ex->out_fd, 1);
    exec_read(sh, ex, &ex->err_fd, 2);
    exec_read(sh, ex, &ex->pty_master, 1);
    if (!output_open(ex))
        exec_finish(sh, ex);
    else
        ex->drain_deadline = rns_now_ns() + (ex->tty ? 500 : 100) * 1000000LL;
    return 1;
}

/* stdio for the child: pipe ends in child[] (a tty is the child's to
 * open, in the container: container_open_pty). */
static int open_exec_stdio(exec_proc *ex, int child[3], rns_error *e)
{
    if (ex->tty)
        return 0;
    int p[2];
    if (ex->want_stdin) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return rns_err(e, -errno, "exec: pipe: %s", strerror(errno));
        child[0] = p[0];
        ex->in_fd = p[1];
        set_nonblock(ex->in_fd);
    } else if ((child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        return rns_err(e, -errno, "exec: open /dev/null: %s", strerror(errno));
    }
    for (int i = 1; i <= 2; i++) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return rns_err(e, -errno, "exec: pipe: %s", strerror(errno));
        child[i] = p[1];
        *(i == 1 ? &ex->out_fd : &ex->err_fd) = p[0];
        set_nonblock(p[0]);
    }
    return 0;
}

/* Fork with pid_for_children set to the container's pid namespace, so the
 * child is born in it and is still the shim's own child (reaped here). */
static pid_t fork_in_pidns(shim *sh, rns_error *e)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)sh->pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rns_err(e, -errno, "exec: open %s: %s", path, strerror(errno));
    struct stat a, b;
    int same = fstat(fd, &a) == 0 && sh->self_pidns_fd >= 0 && fstat(sh->self_pidns_fd, &b) == 0 &&
               a.st_ino == b.st_ino && a.st_dev == b.st_dev;
    if (!same && setns(fd, CLONE_NEWPID) < 0)
        return rns_err(e, -errno, "exec: enter the container's pid namespace: %s", strerror(errno));
    pid_t pid = fork();
    int err = errno;
    if (pid != 0 && !same && setns(sh->self_pidns_fd, CLONE_NEWPID) < 0)
        slog(sh, "exec: return to the shim's pid namespace: %s", strerror(errno));
    if (pid < 0)
        return rns_err(e, -err, "exec: fork: %s", strerror(err));
    return pid;
}

static int start_failed(shim *sh, exec_proc *ex, int err, const char *msg, rns_error *e)
{
    char full[1200];
    snprintf(full, sizeof(full), "OCI runtime exec failed: exec failed: unable to start container process: %s: unknown",
             msg);
    free(ex->error);
    ex->error = strdup(full);
    ex->exit_code = 126;
    slog(sh, "exec %s: %s", ex->id, msg);
    exec_finish(sh, ex);
    return rns_err(e, err, "%s", full);
}

int exec_start(shim *sh, const char *id, rns_error *e)
{
    exec_proc *ex = exec_find(sh, id);
    if (!ex)
        return rns_err(e, -ENOENT, "No such exec instance: %s", id);
    if (ex->status != ST_CREATED)
        return rns_err(e, -EBUSY, "Error: Exec command %s is already running", id);
    const char *why = container_unavailable(sh);
    if (why)
        return rns_err(e, sh->status == ST_PAUSED ? -EBUSY : -EINVAL, "%s", why);
    int child[3] = {-1, -1, -1}, sp[2] = {-1, -1};
    int r = open_exec_stdio(ex, child, e);
    if (r >= 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
        r = rns_err(e, -errno, "exec: socketpair: %s", strerror(errno));
    pid_t pid = r < 0 ? -1 : fork_in_pidns(sh, e);
    if (pid == 0) {
        close(sp[0]);
        exec_child(sh, ex, child, sp[1]);
    }
    for (int i = 0; i < 3; i++)
        close_fd(&child[i]);
    close_fd(&sp[1]);
    if (pid < 0) {
        close_fd(&sp[0]);
        rns_error why_e = *e;
        *e = (rns_error){0};
        return start_failed(sh, ex, why_e.code ? why_e.code : -EIO, why_e.msg, e);
    }
    ex->pid = pid;
    ex->status = ST_RUNNING;
    /* EOF: execve worked (the socket is close-on-exec); a message: it failed,
     * or (first, with a tty) the pty's master. */
    struct timeval tv = {.tv_sec = 30};
    setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sync_msg m;
    ssize_t n;
    for (;;) {
        int fd = -1;
        n = rns_recv_fd(sp[0], &m, sizeof(m), &fd);
        if (n < 0 && errno == EINTR)
            continue;
        if (fd < 0)
            break;
        close_fd(&ex->pty_master);
        ex->pty_master = fd;
        set_nonblock(fd);
    }
    close_fd(&sp[0]);
    if (n == (ssize_t)sizeof(m) && m.err != 0) {
        m.msg[sizeof(m.msg) - 1] = '\0';
        return start_failed(sh, ex, m.err, m.msg, e);
    }
    if (n < 0)
        slog(sh, "exec %s: no word from pid %d within 30 s; treating it as started", id, (int)pid);
    spec_free(ex->proc); /* only the child needed it */
    ex->proc = NULL;
    exec_flush_stdin(ex);
    return 0;
}

int exec_state(shim *sh, const char *id, char **ret_json, rns_error *e)
{
    exec_proc *ex = exec_find(sh, id);
    if (!ex)
        return rns_err(e, -ENOENT, "No such exec instance: %s", id);
    const char *st = ex->status == ST_CREATED ? "created" : ex->status == ST_STOPPED ? "stopped" : "running";
    json_t *o = json_pack("{s:b,s:s,s:i,s:i}", "ok", 1, "status", st, "pid", (int)ex->pid, "exit_code",
                          ex->status == ST_STOPPED ? ex->exit_code : 0);
    if (o && ex->error)
        json_object_set_new(o, "error", json_string(ex->error));
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        return -ENOMEM;
    *ret_json = s;
    return 0;
}

int exec_resize(shim *sh, const char *id, int rows, int cols, rns_error *e)
{
    exec_proc *ex = exec_find(sh, id);
    if (!ex)
        return rns_err(e, -ENOENT, "No such exec instance: %s", id);
    if (!ex->tty)
        return rns_err(e, -ENOTTY, "exec %s has no terminal (it was created without tty)", id);
    if (ex->pty_master < 0)
        return rns_err(e, -ESRCH, "exec %s is not running", id);
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    if (ioctl(ex->pty_master, TIOCSWINSZ, &ws) < 0)
        return rns_err(e, -errno, "exec %s: resize the terminal: %s", id, strerror(errno));
    return 0;
}

/* ---- main loop glue */

int exec_poll_fill(shim *sh, struct pollfd *p, exec_proc **who, int max)
{
    int n = 0;
    for (exec_proc *ex = sh->execs; ex; ex = ex->next) {
        if (ex->status != ST_RUNNING || n + 3 > max)
            continue;
        short want_out = (short)(ex->stdin_buf.len ? POLLOUT : 0);
        int behind = io_clients_behind(sh, ex); /* backpressure, as for the container */
        if (ex->out_fd >= 0 && !behind)
            who[n] = ex, p[n++] = (struct pollfd){.fd = ex->out_fd, .events = POLLIN};
        if (ex->err_fd >= 0 && !behind)
            who[n] = ex, p[n++] = (struct pollfd){.fd = ex->err_fd, .events = POLLIN};
        if (ex->pty_master >= 0 && (!behind || want_out))
            who[n] = ex, p[n++] = (struct pollfd){.fd = ex->pty_master,
                                                  .events = (short)((behind ? 0 : POLLIN) | want_out)};
        if (ex->in_fd >= 0 && want_out)
            who[n] = ex, p[n++] = (struct pollfd){.fd = ex->in_fd, .events = POLLOUT};
    }
    return n;
}

void exec_poll_handle(shim *sh, const struct pollfd *p, exec_proc *const *who, int n)
{
    for (int i = 0; i < n; i++) {
        exec_proc *ex = who[i];
        short re = p[i].revents;
        if (!re || ex->status != ST_RUNNING)
            continue;
        if (p[i].fd == ex->out_fd)
            exec_read(sh, ex, &ex->out_fd, 1);
        else if (p[i].fd == ex->err_fd)
            exec_read(sh, ex, &ex->err_fd, 2);
        else if (p[i].fd == ex->pty_master) {
            if (re & (POLLIN | POLLHUP | POLLERR))
                exec_read(sh, ex, &ex->pty_master, 1);
            if (re & POLLOUT)
                exec_flush_stdin(ex);
        } else if (p[i].fd == ex->in_fd) {
            if (re & (POLLERR | POLLHUP)) {
                ex->stdin_buf.len = 0;
                close_fd(&ex->in_fd);
            } else {
                exec_flush_stdin(ex);
            }
        }
        if (ex->exited && !output_open(ex))
            exec_finish(sh, ex);
    }
}

int exec_poll_timeout(shim *sh)
{
    int64_t best = -1, now = 0;
    for (exec_proc *ex = sh->execs; ex; ex = ex->next) {
        if (!ex->exited || io_clients_behind(sh, ex))
            continue;
        if (!now)
            now = rns_now_ns();
        int64_t ms = ex->drain_deadline > now ? (ex->drain_deadline - now) / 1000000 + 1 : 0;
        if (best < 0 || ms < best)
            best = ms;
    }
    return (int)best;
}

void exec_tick(shim *sh)
{
    int64_t now = 0;
    for (exec_proc *ex = sh->execs; ex; ex = ex->next) {
        if (!ex->exited)
            continue;
        if (!now)
            now = rns_now_ns();
        /* a client still behind holds the drain: its POLLOUT wakes us */
        if (now >= ex->drain_deadline && !io_clients_behind(sh, ex))
            exec_finish(sh, ex);
    }
}

void exec_attach(shim *sh, client *c)
{
    exec_proc *ex = exec_find(sh, c->ar.exec_id);
    if (!ex) {
        slog(sh, "attach: no exec %s", c->ar.exec_id);
        client_close(sh, c);
        return;
    }
    c->ex = ex;
    if (ex->status == ST_STOPPED) {
        c->closing = 1;
        client_flush(sh, c);
    }
}

void exec_client_input(shim *sh, client *c, const char *data, size_t len)
{
    exec_proc *ex = c->ex;
    if (!ex || !c->ar.in || !ex->want_stdin || ex->stdin_close_pending || ex->status == ST_STOPPED)
        return;
    if (ex->stdin_buf.len + len > SHIM_CLIENT_BUF_MAX) {
        slog(sh, "exec %s: stdin is not read; %zu bytes dropped", ex->id, len);
        return;
    }
    buf_append(&ex->stdin_buf, data, len);
    if (ex->status == ST_RUNNING)
        exec_flush_stdin(ex);
}

void exec_client_eof(shim *sh, client *c)
{
    exec_proc *ex = c->ex;
    if (!ex || !c->ar.in || !ex->want_stdin || ex->status == ST_STOPPED)
        return;
    ex->stdin_close_pending = 1;
    if (ex->status == ST_RUNNING)
        exec_flush_stdin(ex);
}
