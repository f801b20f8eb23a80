/* GET /containers/{id}/logs: engine->container_logs runs on a worker thread
 * writing into a pipe that the client's MHD thread drains. The worker must
 * never outlive the request: a client that leaves raises the stop flag and
 * the request's end joins the worker. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "events-filter.h"
#include "moby-api.h"

struct logs_job {
    const pouch_host *host;
    char *id;
    char *options;
    pthread_t thread;
    bool started;
    int wfd;     /* the worker's end */
    int rfd;     /* the response's end */
    int conn_fd; /* borrowed from MHD */
    volatile int32_t stop;
};

static void *logs_main(void *arg)
{
    struct logs_job *j = arg;
    const pouch_host *h = j->host;
    int rc = h->engine->container_logs(h, j->id, j->options, j->wfd, &j->stop);
    if (rc < 0 && !j->stop)
        h->log(h, POUCH_LOG_DEBUG, "logs of %s ended: %s", j->id, h->last_error(h));
    close(j->wfd); /* the client sees the end of the stream */
    j->wfd = -1;
    return NULL;
}

static void logs_free(struct request *req)
{
    struct logs_job *j = req->job;
    if (!j)
        return;
    j->stop = 1;
    if (j->rfd >= 0)
        close(j->rfd); /* a worker blocked writing gets EPIPE */
    if (j->started)
        pthread_join(j->thread, NULL);
    if (j->wfd >= 0)
        close(j->wfd);
    free(j->id);
    free(j->options);
    free(j);
    req->job = NULL;
}

static ssize_t read_logs(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct logs_job *j = cls;
    for (;;) {
        struct pollfd p[2] = {{.fd = j->rfd, .events = POLLIN}, {.fd = j->conn_fd, .events = POLLRDHUP}};
        int r = poll(p, j->conn_fd >= 0 ? 2 : 1, -1);
        if (r < 0 && errno != EINTR)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (r > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
            j->stop = 1; /* the client left, or pouchd stops */
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (r <= 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = read(j->rfd, buf, max);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n > 0)
            return n;
        return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

/* Build the engine's options, or answer the client. 1: answered. */
static int logs_options(struct request *req, char **ret)
{
    bool out = http_query_bool(req, "stdout"), err = http_query_bool(req, "stderr");
    if (!out && !err)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "Bad parameters: you must choose at least one stream") < 0
                   ? -EIO
                   : 1;
    _cleanup_free_ char *since = http_query(req, "since");
    _cleanup_free_ char *until = http_query(req, "until");
    _cleanup_free_ char *tail = http_query(req, "tail");
    _cleanup_free_ char *msg = NULL;
    int64_t since_ns = 0, until_ns = 0;
    bool set;
    /* dockerd's timestamp errors come out of the backend as 500s. */
    if (event_time_parse(since, &since_ns, &set, &msg) < 0 || event_time_parse(until, &until_ns, &set, &msg) < 0)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", msg ? msg : "invalid timestamp") < 0 ? -EIO
                                                                                                               : 1;
    json_auto_t *o =
        json_pack("{s:b, s:b, s:I, s:I, s:I, s:b, s:b}", "stdout", out, "stderr", err, "since", (json_int_t)since_ns,
                  "until", (json_int_t)until_ns, "tail", (json_int_t)logs_tail_parse(tail), "timestamps",
                  http_query_bool(req, "timestamps"), "follow", http_query_bool(req, "follow"));
    *ret = o ? json_dumps(o, JSON_COMPACT) : NULL;
    return *ret ? 0 : -ENOMEM;
}

int handle_containers_logs(struct request *req)
{
    const pouch_host *h = req->srv->host;
    const pouch_engine_api *e = h->engine;
    if (!POUCH_ENGINE_HAS(e, container_logs) || !e->container_logs || !POUCH_ENGINE_HAS(e, container_inspect) ||
        !e->container_inspect)
        return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED,
                               "%s %s: not implemented: this pouchd has no container support", req->method, req->url);
    const char *id = route_param(&req->route.params, "id");
    _cleanup_free_ char *options = NULL;
    int r = logs_options(req, &options);
    if (r != 0)
        return r < 0 ? r : 0;
    /* Errors that have a status must come before the 200. */
    char *out = NULL;
    r = e->container_inspect(h, id, 0, &out);
    if (r < 0)
        return http_send_errno(req, r);
    json_auto_t *info = json_loads(out, 0, NULL);
    h->free(out);
    const char *driver =
        json_string_value(json_object_get(json_object_get(json_object_get(info, "HostConfig"), "LogConfig"), "Type"));
    if (driver && strcmp(driver, "none") == 0)
        return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED, "configured logging driver does not support reading");

    struct logs_job *j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->host = h;
    j->wfd = j->rfd = -1;
    j->id = strdup(id);
    j->options = TAKE_PTR(options);
    req->job = j;
    req->job_free = logs_free;
    int p[2];
    if (!j->id || pipe2(p, O_CLOEXEC) < 0)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "logs: %s", strerror(j->id ? errno : ENOMEM));
    j->rfd = p[0];
    j->wfd = p[1];
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    j->conn_fd = ci ? ci->connect_fd : -1;
    r = pthread_create(&j->thread, NULL, logs_main, j);
    if (r != 0)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "logs: cannot start a thread: %s", strerror(r));
    j->started = true;
    /* dockerd 20.10 sends no Content-Type on logs (the raw-stream type came
     * with API 1.42), so neither do we. */
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, read_logs, j, NULL);
    if (!resp)
        return -ENOMEM;
    return http_queue(req, MHD_HTTP_OK, resp);
}
