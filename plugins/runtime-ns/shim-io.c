/* pouch-shim's stdio side: container output to the log plugin's writer and
 * to attached clients, attach handshakes, stdin from clients. Never blocks
 * on a client or on the container: everything here is non-blocking. */
#include "shim.h"

#include "exec.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int buf_append(iobuf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        char *nd = realloc(b->data, cap);
        if (!nd)
            return -ENOMEM;
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

void buf_consume(iobuf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_free(iobuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

int io_open_log(shim *sh, const char *plugin, const char *path, const char *opts_json, rns_error *e)
{
    void *dl = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        return rns_err(e, -ENOENT, "log plugin %s: %s", plugin, dlerror());
    typedef const pouch_plugin_descriptor *(*query_fn)(void);
    query_fn q;
    *(void **)&q = dlsym(dl, POUCH_PLUGIN_QUERY_SYMBOL);
    const pouch_plugin_descriptor *d = q ? q() : NULL;
    if (!d || d->abi_major != POUCH_ABI_MAJOR || d->kind != POUCH_KIND_LOG || !d->ops) {
        dlclose(dl);
        return rns_err(e, -EINVAL, "log plugin %s: not a pouch log plugin of ABI %d", plugin, POUCH_ABI_MAJOR);
    }
    const pouch_log_ops *ops = d->ops;
    if (!POUCH_HAS(ops, pouch_log_ops, writer_close) || !ops->writer_open || !ops->writer_write || !ops->writer_close) {
        dlclose(dl);
        return rns_err(e, -ENOTSUP, "log plugin %s (%s) has no writer", plugin, d->name);
    }
    void *w = NULL;
    int r = ops->writer_open(path, opts_json ? opts_json : "{}", &w);
    if (r < 0) {
        dlclose(dl);
        return rns_err(e, r, "log driver %s: open %s: %s", d->name, path, strerror(-r));
    }
    sh->log_dl = dl;
    sh->log_ops = ops;
    sh->log_writer = w;
    return 0;
}

void io_close_log(shim *sh)
{
    if (sh->log_writer)
        sh->log_ops->writer_close(sh->log_writer);
    sh->log_writer = NULL;
    /* The plugin stays mapped: a writer may have left atexit state behind. */
}

static void log_msg(shim *sh, int stream, int64_t now, const char *data, size_t len, int partial)
{
    if (!sh->log_writer)
        return;
    int r = sh->log_ops->writer_write(sh->log_writer, stream, now, data, (uint32_t)len, partial);
    if (r < 0)
        slog(sh, "log writer: %s", strerror(-r));
}

static void log_lines(shim *sh, int stream, const char *data, size_t len)
{
    iobuf *lb = &sh->line[stream];
    int64_t now = rns_now_ns();
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) + 1 : len;
        if (lb->len + n > SHIM_LINE_MAX && !nl) {
            size_t room = SHIM_LINE_MAX > lb->len ? SHIM_LINE_MAX - lb->len : 0;
            buf_append(lb, data, room);
            log_msg(sh, stream, now, lb->data, lb->len, 1);
            lb->len = 0;
            data += room;
            len -= room;
            continue;
        }
        if (lb->len == 0 && nl) {
            log_msg(sh, stream, now, data, n, 0);
        } else {
            buf_append(lb, data, n);
            if (nl) {
                log_msg(sh, stream, now, lb->data, lb->len, 0);
                lb->len = 0;
            }
        }
        data += n;
        len -= n;
    }
}

void io_flush_lines(shim *sh)
{
    for (int s = 1; s <= 2; s++) {
        if (sh->line[s].len)
            log_msg(sh, s, rns_now_ns(), sh->line[s].data, sh->line[s].len, 1);
        sh->line[s].len = 0;
    }
}

void client_send_output(shim *sh, client *c, int raw, int stream, const char *data, size_t len)
{
    if (!raw) {
        unsigned char hdr[8] = {(unsigned char)stream,
                                0,
                                0,
                                0,
                                (unsigned char)(len >> 24),
                                (unsigned char)(len >> 16),
                                (unsigned char)(len >> 8),
                                (unsigned char)len};
        client_send(sh, c, hdr, sizeof(hdr));
    }
    client_send(sh, c, data, len);
}

void io_output(shim *sh, int stream, const char *data, size_t len)
{
    log_lines(sh, stream, data, len);
    for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
        client *c = &sh->clients[i];
        /* An exec's clients get only that exec's output (exec.c). */
        if (c->fd < 0 || c->kind != CL_ATTACH || !c->handshake_done || c->closing || c->ex)
            continue;
        if ((stream == 1 && !c->ar.out) || (stream == 2 && !c->ar.err))
            continue;
        client_send_output(sh, c, sh->tty, stream, data, len);
    }
}

/* Static, not on the stack: the compiler probes every page of a large stack
 * frame on entry, which would make each idle shim keep 64 KiB resident. */
static char io_buf[65536];

int io_read_stream(shim *sh, int *fd, int stream)
{
    char *data = io_buf;
    ssize_t n = read(*fd, data, sizeof(io_buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 1;
    if (n <= 0) {
        /* EIO on a pty master means every slave is closed. */
        close(*fd);
        *fd = -1;
        return 0;
    }
    io_output(sh, stream, data, (size_t)n);
    return 1;
}

void client_close(shim *sh, client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_free(&c->in);
    buf_free(&c->out);
    memset(&c->ar, 0, sizeof(c->ar));
    c->ex = NULL;
    c->kind = c->handshake_done = c->watching = c->closing = c->in_eof = 0;
}

void client_flush(shim *sh, client *c)
{
    while (c->out.len > 0) {
        ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) {
            client_close(sh, c);
            return;
        }
        buf_consume(&c->out, (size_t)n);
    }
    if (c->closing)
        client_close(sh, c);
}

int io_clients_behind(const shim *sh, const struct exec_proc *ex)
{
    for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
        const client *c = &sh->clients[i];
        if (c->fd >= 0 && c->kind == CL_ATTACH && c->ex == ex && c->out.len > SHIM_CLIENT_BUF_HIGH)
            return 1;
    }
    return 0;
}

void client_send(shim *sh, client *c, const void *data, size_t len)
{
    if (c->fd < 0)
        return;
    if (c->out.len + len > SHIM_CLIENT_BUF_MAX || buf_append(&c->out, data, len) < 0) {
        slog(sh, "attach client fd %d is too slow (%zu bytes queued): dropped", c->fd, c->out.len);
        client_close(sh, c);
        return;
    }
    client_flush(sh, c);
}

void io_flush_stdin(shim *sh)
{
    int fd = sh->tty ? sh->pty_master : sh->in_fd;
    while (fd >= 0 && sh->stdin_buf.len > 0) {
        ssize_t n = write(fd, sh->stdin_buf.data, sh->stdin_buf.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) {
            sh->stdin_buf.len = 0; /* the container closed its stdin */
            break;
        }
        buf_consume(&sh->stdin_buf, (size_t)n);
    }
    if (sh->stdin_close_pending && sh->stdin_buf.len == 0 && !sh->tty && sh->in_fd >= 0) {
        close(sh->in_fd);
        sh->in_fd = -1;
    }
}

static void attach_handshake(shim *sh, client *c)
{
    char *nl = memchr(c->in.data, '\n', c->in.len);
    if (!nl) {
        if (c->in.len > 4096)
            client_close(sh, c);
        return;
    }
    *nl = '\0';
    rns_error e = {0};
    if (attach_parse(c->in.data, &c->ar, &e) < 0) {
        slog(sh, "attach: %s", e.msg);
        client_close(sh, c);
        return;
    }
    c->handshake_done = 1;
    buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
    if (c->ar.exec_id[0]) {
        exec_attach(sh, c);
        return;
    }
    if (sh->status == ST_STOPPED) {
        c->closing = 1;
        client_flush(sh, c);
    }
}

void io_attach_input(shim *sh, client *c)
{
    char *data = io_buf; /* (see io_buf) */
    ssize_t n = recv(c->fd, data, 16384, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 && c->ex) {
        c->in_eof = 1;
        exec_client_eof(sh, c);
        if (n < 0 || c->ex->status == ST_STOPPED)
            client_close(sh, c);
        return;
    }
    if (n <= 0) {
        c->in_eof = 1;
        /* A half-close (shutdown SHUT_WR) is the client's stdin EOF and
         * closes a pipe stdin. A full close is a client that left (detach
         * keys, killed, or a container without StdinOnce, as dockerd): stdin
         * stays open for the next attach. A tty's stdin is never closed. */
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        bool gone = n < 0 || (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)));
        if (c->handshake_done && c->ar.in && sh->want_stdin && !c->closing && !sh->tty && !gone) {
            sh->stdin_close_pending = 1;
            io_flush_stdin(sh);
        }
        if (gone || !c->handshake_done || sh->status == ST_STOPPED)
            client_close(sh, c);
        return;
    }
    if (!c->handshake_done) {
        buf_append(&c->in, data, (size_t)n);
        attach_handshake(sh, c);
        if (c->fd < 0 || !c->handshake_done || c->in.len == 0)
            return;
        /* Bytes after the handshake line are already stdin. */
        memcpy(data, c->in.data, c->in.len);
        n = (ssize_t)c->in.len;
        c->in.len = 0;
    }
    if (c->ex) {
        exec_client_input(sh, c, data, (size_t)n);
        return;
    }
    if (c->closing || !c->ar.in || !sh->want_stdin || sh->stdin_close_pending)
        return;
    if (sh->stdin_buf.len + (size_t)n > SHIM_CLIENT_BUF_MAX) {
        slog(sh, "stdin: the container does not read; %zd bytes dropped", n);
        return;
    }
    buf_append(&sh->stdin_buf, data, (size_t)n);
    io_flush_stdin(sh);
}
