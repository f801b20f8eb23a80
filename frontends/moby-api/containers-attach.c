/* POST /containers/{id}/attach: the connection is hijacked (101 UPGRADED
 * through MHD's upgrade support) and a proxy thread copies bytes between the
 * client and the runtime's attach socket, in both directions, until either
 * side ends. The proxy must never hold MHD's socket after it hands it back
 * with MHD_UPGRADE_ACTION_CLOSE, and must end when MHD shuts sockets down. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers-ops.h"
#include "moby-api.h"

#define RAW_STREAM "application/vnd.docker.raw-stream"
#define COPY_BUF (32 * 1024)

struct attach {
    struct attach *next; /* in the registry while a hijacked proxy runs */
    struct server *srv;
    atomic_int refs;
    const pouch_host *host;
    char *id;
    bool want_stdin, want_stdout, want_stderr, stream, logs, tty;
    struct escape_matcher esc;
    int afd;     /* the runtime's attach socket, -1 when not streaming */
    int cfd;     /* upgrade: the client socket (MHD's); pipe mode: the pipe's write end */
    int rfd;     /* pipe mode: the read end the response drains */
    int conn_fd; /* pipe mode: MHD's socket, watched for the client leaving */
    struct MHD_UpgradeResponseHandle *urh;
    char *extra; /* bytes MHD read past the request: early stdin */
    size_t extra_len;
    pthread_t thread;
    bool joinable;
    volatile int32_t stop;
    char *exec_id;    /* exec start: the exec this session runs (containers-exec.c) */
    char *exec_error; /* exec start: why it cannot run, written instead of output */
    bool detached;    /* the detach keys ended it */
    bool stdin_once;  /* the container's StdinOnce: the client's EOF closes its stdin */
};

/* Hijacked proxies, so stop can end them: MHD does not wait for upgraded
 * connections, and frees their handles when the daemon stops. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t registry_cond = PTHREAD_COND_INITIALIZER;
static struct attach *registry;

static void registry_add(struct attach *a)
{
    pthread_mutex_lock(&registry_lock);
    a->next = registry;
    registry = a;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(struct attach *a)
{
    pthread_mutex_lock(&registry_lock);
    for (struct attach **p = &registry; *p; p = &(*p)->next)
        if (*p == a) {
            *p = a->next;
            break;
        }
    pthread_cond_broadcast(&registry_cond);
    pthread_mutex_unlock(&registry_lock);
}

void attach_stop_all(struct server *srv)
{
    pthread_mutex_lock(&registry_lock);
    for (struct attach *a = registry; a; a = a->next)
        if (a->srv == srv) {
            a->stop = 1;
            if (a->afd >= 0)
                shutdown(a->afd, SHUT_RDWR);
            shutdown(a->cfd, SHUT_RDWR); /* wakes a blocked write or poll */
        }
    for (;;) {
        bool left = false;
        for (struct attach *a = registry; a; a = a->next)
            left |= a->srv == srv;
        if (!left)
            break;
        pthread_cond_wait(&registry_cond, &registry_lock);
    }
    pthread_mutex_unlock(&registry_lock);
}

static void attach_unref(struct attach *a)
{
    if (!a || atomic_fetch_sub(&a->refs, 1) != 1)
        return;
    if (a->afd >= 0)
        close(a->afd);
    if (a->rfd >= 0)
        close(a->rfd);
    if (!a->urh && a->cfd >= 0)
        close(a->cfd); /* a pipe end; MHD's socket is never ours to close */
    free(a->id);
    free(a->extra);
    free(a->exec_id);
    free(a->exec_error);
    free(a);
}

bool attach_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK)
            n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static void set_blocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* Client bytes to the container's stdin, through the detach-key filter on a
 * tty. false: stop proxying. */
static bool forward_stdin(struct attach *a, const unsigned char *buf, size_t n)
{
    if (!a->want_stdin || a->afd < 0)
        return true; /* dockerd reads nothing from a client without stdin */
    unsigned char out[COPY_BUF + DETACH_KEYS_MAX];
    bool detached = false;
    size_t m = a->tty ? escape_feed(&a->esc, buf, n, out, &detached) : n;
    if (!attach_write_all(a->afd, a->tty ? out : buf, m))
        return false;
    a->detached = detached;
    return !detached;
}

/* Whether the client's stdin EOF (or its leaving) closes the container's
 * stdin: dockerd closes it for StdinOnce without a tty, and for an exec.
 * Otherwise the socket is closed without a half-close first, which the
 * runtime reads as a client that left, not as EOF (runtime.h). */
static bool eof_closes_stdin(const struct attach *a)
{
    return a->want_stdin && (a->exec_id || (a->stdin_once && !a->tty));
}

/* The copy loop. In pipe mode there is no client input to read. */
static void proxy(struct attach *a)
{
    bool client_in = a->urh != NULL, stdin_open = true;
    if (a->extra_len > 0 && !forward_stdin(a, (unsigned char *)a->extra, a->extra_len))
        return;
    unsigned char *buf = malloc(COPY_BUF);
    if (!buf)
        return;
    for (;;) {
        struct pollfd p[2] = {{.fd = a->afd, .events = POLLIN}, {.fd = -1}};
        if (a->urh) /* after the client's EOF, only its hang-up still counts */
            p[1] = (struct pollfd){.fd = a->cfd, .events = client_in ? POLLIN | POLLRDHUP : 0};
        else
            p[1] = (struct pollfd){.fd = a->rfd >= 0 ? a->conn_fd : -1, .events = POLLRDHUP};
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || a->stop)
            break;
        if (p[1].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            if (stdin_open && client_in && eof_closes_stdin(a)) {
                /* docker run -i killed: its stdin ends. The runtime takes
                 * a hang-up for a client that left, so give it a moment
                 * to read the half-close first (output is dropped). */
                shutdown(a->afd, SHUT_WR);
                struct pollfd d = {.fd = a->afd, .events = POLLIN};
                for (int i = 0; i < 30 && !a->stop && poll(&d, 1, 10) >= 0; i++)
                    if ((d.revents & (POLLIN | POLLHUP)) && read(a->afd, buf, COPY_BUF) <= 0)
                        break;
            }
            break;
        }
        if (!a->urh && (p[1].revents & POLLRDHUP))
            break; /* pipe mode: the client left */
        if (a->urh && (p[1].revents & (POLLIN | POLLRDHUP))) {
            ssize_t n = recv(a->cfd, buf, COPY_BUF, MSG_DONTWAIT);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n < 0)
                break;
            if (n == 0) {
                /* The client closed its write side (docker run -i on EOF):
                 * that closes the container's stdin if StdinOnce. Output goes on. */
                client_in = false;
                if (stdin_open && eof_closes_stdin(a))
                    shutdown(a->afd, SHUT_WR);
                stdin_open = false;
            } else if (!forward_stdin(a, buf, (size_t)n)) {
                break;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(a->afd, buf, COPY_BUF);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break; /* the container's output ended */
            if (!attach_write_all(a->cfd, buf, (size_t)n))
                break;
        }
    }
    free(buf);
}

static void *attach_main(void *arg)
{
    struct attach *a = arg;
    const pouch_host *h = a->host;
    const pouch_engine_api *e = h->engine;
    if (a->urh)
        set_blocking(a->cfd);
    if (a->logs && !a->stop && POUCH_ENGINE_HAS(e, container_logs) && e->container_logs) {
        json_auto_t *o = json_pack("{s:b, s:b, s:I, s:I, s:I, s:b, s:b}", "stdout", a->want_stdout, "stderr",
                                   a->want_stderr, "since", (json_int_t)0, "until", (json_int_t)0, "tail",
                                   (json_int_t)-1, "timestamps", 0, "follow", 0);
        _cleanup_free_ char *opts = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (opts && e->container_logs(h, a->id, opts, a->cfd, &a->stop) < 0)
            h->log(h, POUCH_LOG_DEBUG, "attach %s: logs: %s", a->id, h->last_error(h));
    }
    bool run = !a->exec_id || exec_session_begin(h, a->exec_id, a->exec_error, a->cfd, a->tty);
    if (run && a->afd >= 0 && !a->stop)
        proxy(a);
    if (run && a->exec_id && !a->detached)
        exec_session_end(h, a->exec_id, &a->stop);
    if (a->urh) {
        /* Tell the client we are done (dockerd closes the connection), then
         * give the socket back to MHD, which closes it. */
        shutdown(a->cfd, SHUT_RDWR);
        MHD_upgrade_action(a->urh, MHD_UPGRADE_ACTION_CLOSE);
        registry_remove(a);
    } else {
        close(a->cfd); /* the response sees the end */
        a->cfd = -1;
    }
    attach_unref(a);
    return NULL;
}

static bool start_thread(struct attach *a, bool detached)
{
    atomic_fetch_add(&a->refs, 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (detached)
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&a->thread, &attr, attach_main, a);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        atomic_fetch_sub(&a->refs, 1);
        return false;
    }
    a->joinable = !detached;
    return true;
}

/* MHD has sent the 101 and hands over the socket. In thread-per-connection
 * mode the connection thread then waits for MHD_UPGRADE_ACTION_CLOSE. */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    struct attach *a = cls;
    a->cfd = sock;
    a->urh = urh;
    if (extra_in_size > 0) {
        a->extra = malloc(extra_in_size);
        if (a->extra) {
            memcpy(a->extra, extra_in, extra_in_size);
            a->extra_len = extra_in_size;
        }
    }
    registry_add(a);
    pthread_mutex_lock(&a->srv->lock); /* after stop's sweep, the flag says it */
    if (a->srv->stopping)
        a->stop = 1;
    pthread_mutex_unlock(&a->srv->lock);
    if (!start_thread(a, true)) {
        a->host->log(a->host, POUCH_LOG_ERROR, "attach %s: cannot start the proxy thread", a->id);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        registry_remove(a);
    }
}

/* The request is over: a pipe-mode proxy is stopped and joined. */
static void attach_request_free(struct request *req)
{
    struct attach *a = req->job;
    if (!a)
        return;
    if (a->joinable) {
        a->stop = 1;
        if (a->rfd >= 0) {
            close(a->rfd); /* the proxy's next write fails */
            a->rfd = -1;
        }
        if (a->afd >= 0)
            shutdown(a->afd, SHUT_RDWR); /* and its poll wakes */
        pthread_join(a->thread, NULL);
        a->joinable = false;
    }
    attach_unref(a);
    req->job = NULL;
}

static ssize_t read_attach(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct attach *a = cls;
    for (;;) {
        ssize_t n = read(a->rfd, buf, max);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            return n;
        return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

/* dockerd's attach errors are written on the hijacked connection as raw
 * text; a plain response with the same status, type and text is the same
 * thing to a client. */
static int send_raw_error(struct request *req, unsigned status, const char *msg)
{
    char *text = NULL;
    if (asprintf(&text, "%s\r\n", msg) < 0)
        return -ENOMEM;
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return -ENOMEM;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, RAW_STREAM);
    return http_queue(req, status, resp);
}

static int send_raw_errno(struct request *req, int rc)
{
    const pouch_host *h = req->srv->host;
    const char *msg = h->last_error(h);
    return send_raw_error(req, http_status_for_errno(rc), msg && *msg ? msg : strerror(-rc));
}

/* Connect to the runtime and say which streams we want, before answering:
 * docker run starts the container as soon as it has our 101. */
static int connect_runtime(struct attach *a, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    char line[256];
    int n = snprintf(line, sizeof(line), "{\"stdin\":%s,\"stdout\":%s,\"stderr\":%s,\"stream\":true%s%s%s}\n",
                     a->want_stdin ? "true" : "false", a->want_stdout ? "true" : "false",
                     a->want_stderr ? "true" : "false", a->exec_id ? ",\"exec\":\"" : "", a->exec_id ? a->exec_id : "",
                     a->exec_id ? "\"" : "");
    if (!attach_write_all(fd, line, (size_t)n))
        return -errno ? -errno : -EPIPE;
    a->afd = TAKE_FD(fd);
    return 0;
}

static int hijack(struct request *req, struct attach *a, const char *path);

int handle_containers_attach(struct request *req)
{
    const pouch_host *h = req->srv->host;
    const pouch_engine_api *e = h->engine;
    if (!POUCH_ENGINE_HAS(e, container_attach) || !e->container_attach)
        return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED,
                               "%s %s: not implemented: this pouchd has no container support", req->method, req->url);
    const char *id = route_param(&req->route.params, "id");
    struct attach *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    atomic_init(&a->refs, 1);
    a->srv = req->srv;
    a->host = h;
    a->afd = a->cfd = a->rfd = a->conn_fd = -1;
    req->job = a;
    req->job_free = attach_request_free;
    a->id = strdup(id);
    if (!a->id)
        return -ENOMEM;
    a->want_stdin = http_query_bool(req, "stdin");
    a->want_stdout = http_query_bool(req, "stdout");
    a->want_stderr = http_query_bool(req, "stderr");
    a->stream = http_query_bool(req, "stream");
    a->logs = http_query_bool(req, "logs");
    _cleanup_free_ char *keys = http_query(req, "detachKeys");
    if (detach_keys_parse(keys && *keys ? keys : DETACH_KEYS_DEFAULT, a->esc.keys, sizeof(a->esc.keys),
                          &a->esc.n_keys) < 0) {
        char msg[600];
        snprintf(msg, sizeof(msg), "Invalid detach keys (%s) provided", keys);
        return send_raw_error(req, MHD_HTTP_BAD_REQUEST, msg);
    }

    char *out = NULL;
    int rc = e->container_attach(h, id, &out);
    if (rc < 0)
        return send_raw_errno(req, rc);
    json_auto_t *info = json_loads(out ? out : "", 0, NULL);
    h->free(out);
    const char *path = json_string_value(json_object_get(info, "path"));
    a->tty = json_is_true(json_object_get(info, "tty"));
    a->stdin_once = json_is_true(json_object_get(info, "stdin_once"));
    if (!path)
        return send_raw_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "engine returned no attach path");
    return hijack(req, a, path);
}

/* Connect to the stdio socket at path (unless empty) and answer: 101 and a
 * proxy on the client's socket when it asked for an upgrade, else a raw 200. */
static int hijack(struct request *req, struct attach *a, const char *path)
{
    const char *id = a->id;
    int rc;
    /* An empty path: the container could not be set up; the stream stays
     * empty and start reports why (engine.h). */
    if (a->stream && *path) {
        rc = connect_runtime(a, path);
        if (rc < 0) {
            char msg[300];
            snprintf(msg, sizeof(msg), "attach %s: cannot connect to the container's stdio: %s", id, strerror(-rc));
            return send_raw_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
        }
    }

    struct MHD_Response *resp;
    if (MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Upgrade")) {
        /* No reference for the response: MHD calls on_upgrade (which takes
         * one for the proxy) before it reports this request complete, and
         * never calls it once the request failed. */
        resp = MHD_create_response_for_upgrade(on_upgrade, a);
        if (!resp)
            return -ENOMEM;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, RAW_STREAM);
        /* MHD writes "Connection: Upgrade" itself; the status line says
         * "Switching Protocols" where dockerd says "UPGRADED", which
         * clients do not read. */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "tcp");
        return http_queue(req, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    }
    /* Without Upgrade dockerd answers 200 and streams on the bare connection;
     * MHD gives us no raw socket then, so the output goes through a pipe as
     * an unchunked body that ends with the connection, and stdin is not read. */
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return send_raw_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(errno));
    a->rfd = p[0];
    a->cfd = p[1];
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    a->conn_fd = ci ? ci->connect_fd : -1;
    if (!start_thread(a, false))
        return send_raw_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "attach: cannot start the proxy thread");
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, COPY_BUF, read_attach, a, NULL);
    if (!resp)
        return -ENOMEM;
    MHD_set_response_options(resp, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, RAW_STREAM);
    return http_queue(req, MHD_HTTP_OK, resp);
}

int attach_exec_hijack(struct request *req, const struct exec_hijack *x)
{
    const pouch_host *h = req->srv->host;
    struct attach *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    atomic_init(&a->refs, 1);
    a->srv = req->srv;
    a->host = h;
    a->afd = a->cfd = a->rfd = a->conn_fd = -1;
    req->job = a;
    req->job_free = attach_request_free;
    a->id = strdup(x->exec_id);
    a->exec_id = strdup(x->exec_id);
    a->exec_error = x->error ? strdup(x->error) : NULL;
    if (!a->id || !a->exec_id || (x->error && !a->exec_error))
        return -ENOMEM;
    a->want_stdin = x->in;
    a->want_stdout = x->out;
    a->want_stderr = x->err;
    a->stream = true;
    a->tty = x->tty;
    const char *keys = x->detach_keys && *x->detach_keys ? x->detach_keys : DETACH_KEYS_DEFAULT;
    if (detach_keys_parse(keys, a->esc.keys, sizeof(a->esc.keys), &a->esc.n_keys) < 0)
        a->esc.n_keys = 0; /* the engine checked them at create */
    return hijack(req, a, x->error ? "" : x->path);
}
