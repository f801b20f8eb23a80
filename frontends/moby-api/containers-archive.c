/* docker cp, export, diff and commit over the Moby API: HEAD/GET/PUT
 * /containers/{id}/archive, GET /containers/{id}/export and /changes, POST
 * /commit. Archives stream through a pipe to or from the engine call on a
 * worker thread, so none is ever held in memory. HTTP only: the engine
 * resolves every path and words every error. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers-archive.h"
#include "json-out.h"
#include "moby-api.h"

#define PIPE_SIZE (1 << 20)
#define ENGINE(req) ((req)->srv->host->engine)
#define HAS(req, m) (POUCH_ENGINE_HAS(ENGINE(req), m) && ENGINE(req)->m)

enum cp_kind { CP_GET, CP_PUT, CP_EXPORT };

struct cp_job {
    enum cp_kind kind;
    const pouch_host *host;
    pthread_t thread;
    bool started;
    int fd;        /* the worker's end of the pipe */
    int client_fd; /* GET/export: the read end the response drains */
    char *id, *path, *opts;
    int rc;
    char *err;
};

static void *cp_main(void *arg)
{
    struct cp_job *j = arg;
    const pouch_host *h = j->host;
    const pouch_engine_api *e = h->engine;
    switch (j->kind) {
    case CP_GET:
        j->rc = e->container_archive_get(h, j->id, j->path, j->fd);
        break;
    case CP_PUT:
        j->rc = e->container_archive_put(h, j->id, j->path, j->fd, j->opts);
        break;
    default:
        j->rc = e->container_export(h, j->id, j->fd);
        break;
    }
    if (j->rc < 0) {
        const char *msg = h->last_error(h);
        j->err = strdup(msg && *msg ? msg : strerror(-j->rc));
    }
    close(j->fd); /* a GET's client sees EOF; a PUT's writer sees EPIPE */
    j->fd = -1;
    return NULL;
}

static void cp_free(struct request *req)
{
    struct cp_job *j = req->job;
    if (!j)
        return;
    if (j->client_fd >= 0)
        close(j->client_fd);
    if (j->started)
        pthread_join(j->thread, NULL);
    if (j->fd >= 0)
        close(j->fd);
    free(j->id);
    free(j->path);
    free(j->opts);
    free(j->err);
    free(j);
    req->job = NULL;
}

/* Start the worker; *ret_other is the end the HTTP side uses. */
static int cp_start(struct request *req, enum cp_kind kind, const char *path, char *opts, int *ret_other)
{
    struct cp_job *j = calloc(1, sizeof(*j));
    if (!j) {
        free(opts);
        return -ENOMEM;
    }
    j->kind = kind;
    j->host = req->srv->host;
    j->fd = j->client_fd = -1;
    j->id = strdup(route_param(&req->route.params, "id"));
    j->path = path ? strdup(path) : NULL;
    j->opts = opts;
    req->job = j;
    req->job_free = cp_free;
    if (!j->id)
        return -ENOMEM;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE);
    bool reads = kind == CP_PUT;
    j->fd = reads ? p[0] : p[1];
    *ret_other = reads ? p[1] : p[0];
    if (!reads)
        j->client_fd = p[0];
    int r = pthread_create(&j->thread, NULL, cp_main, j);
    if (r != 0) {
        if (!reads)
            j->client_fd = -1;
        close(*ret_other);
        return -r;
    }
    j->started = true;
    return 0;
}

static ssize_t read_pipe(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct cp_job *j = cls;
    (void)pos;
    for (;;) {
        ssize_t n = read(j->client_fd, buf, max);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            return n;
        if (n == 0 && j->started) {
            /* EOF: a failed walk must not look like a complete archive. */
            pthread_join(j->thread, NULL);
            j->started = false;
        }
        return n == 0 && j->rc >= 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static int not_implemented(struct request *req, const char *what)
{
    return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED, "%s: not implemented by this pouchd", what);
}

/* dockerd 20.10 answers "not a directory" and "read-only" with a 500. */
static int send_fs_error(struct request *req, int rc, const char *msg)
{
    unsigned status = rc == -ENOTDIR || rc == -EROFS ? MHD_HTTP_INTERNAL_SERVER_ERROR : http_status_for_errno(rc);
    return http_send_error(req, status, "%s", msg && *msg ? msg : strerror(-rc));
}

/* The path-stat header for path; 1 when an error was already answered. */
static int stat_header(struct request *req, const char *path, struct MHD_Response **ret_resp_or_null, char **ret_b64)
{
    const pouch_host *h = req->srv->host;
    char *out = NULL;
    int rc = ENGINE(req)->container_path_stat(h, route_param(&req->route.params, "id"), path, &out);
    (void)ret_resp_or_null;
    if (rc < 0)
        return send_fs_error(req, rc, h->last_error(h)) < 0 ? -EIO : 1;
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(out);
    char *b = malloc(4 * ((n + 2) / 3) + 1);
    if (!b) {
        h->free(out);
        return -ENOMEM;
    }
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)out;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        b[o++] = tbl[(v >> 18) & 63];
        b[o++] = tbl[(v >> 12) & 63];
        b[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        b[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    b[o] = '\0';
    h->free(out);
    *ret_b64 = b;
    return 0;
}

static int archive_path(struct request *req, char **ret)
{
    char *path = http_query(req, "path");
    if (!path || !*path) {
        free(path);
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "bad parameter: pathcannot be empty") < 0 ? -EIO : 1;
    }
    *ret = path;
    return 0;
}

int handle_containers_archive_head(struct request *req)
{
    if (!HAS(req, container_path_stat))
        return not_implemented(req, "docker cp");
    _cleanup_free_ char *path = NULL, *b64 = NULL;
    int r = archive_path(req, &path);
    if (r == 0)
        r = stat_header(req, path, NULL, &b64);
    if (r != 0)
        return r < 0 ? r : 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return -ENOMEM;
    MHD_add_response_header(resp, "X-Docker-Container-Path-Stat", b64);
    return http_queue(req, MHD_HTTP_OK, resp);
}

int handle_containers_archive_get(struct request *req)
{
    if (!HAS(req, container_path_stat) || !HAS(req, container_archive_get))
        return not_implemented(req, "docker cp");
    _cleanup_free_ char *path = NULL, *b64 = NULL;
    int r = archive_path(req, &path);
    if (r == 0)
        r = stat_header(req, path, NULL, &b64);
    if (r != 0)
        return r < 0 ? r : 0;
    int client_fd;
    r = cp_start(req, CP_GET, path, NULL, &client_fd);
    if (r < 0)
        return http_send_error(req, 500, "docker cp: cannot start: %s", strerror(-r));
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_pipe, req->job, NULL);
    if (!resp)
        return -ENOMEM;
    MHD_add_response_header(resp, "X-Docker-Container-Path-Stat", b64);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-tar");
    return http_queue(req, MHD_HTTP_OK, resp);
}

int handle_containers_archive_put(struct request *req)
{
    if (req->phase == 0) {
        if (!HAS(req, container_archive_put))
            return not_implemented(req, "docker cp");
        _cleanup_free_ char *path = NULL;
        int r = archive_path(req, &path);
        if (r != 0)
            return r < 0 ? r : 0;
        json_t *o = json_pack("{s:b, s:b}", "noOverwriteDirNonDir", http_query_bool(req, "noOverwriteDirNonDir"),
                              "copyUIDGID", http_query_bool(req, "copyUIDGID"));
        char *opts = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        r = cp_start(req, CP_PUT, path, opts, &req->body_fd);
        return r < 0 ? http_send_error(req, 500, "docker cp: cannot start: %s", strerror(-r)) : 0;
    }
    struct cp_job *j = req->job;
    if (!j || req->responded)
        return 0;
    if (req->body_fd >= 0) {
        close(req->body_fd); /* end of the body: the extractor sees EOF */
        req->body_fd = -1;
    }
    pthread_join(j->thread, NULL);
    j->started = false;
    if (j->rc < 0)
        return send_fs_error(req, j->rc, j->err);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
    return http_queue(req, MHD_HTTP_OK, resp);
}

int handle_containers_export(struct request *req)
{
    const pouch_host *h = req->srv->host;
    if (!HAS(req, container_export))
        return not_implemented(req, "docker export");
    char *out = NULL;
    int r = ENGINE(req)->container_inspect(h, route_param(&req->route.params, "id"), 0, &out);
    if (r < 0)
        return http_send_errno(req, r);
    h->free(out);
    int client_fd;
    r = cp_start(req, CP_EXPORT, NULL, NULL, &client_fd);
    if (r < 0)
        return http_send_error(req, 500, "docker export: cannot start: %s", strerror(-r));
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_pipe, req->job, NULL);
    if (!resp)
        return -ENOMEM;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-tar");
    return http_queue(req, MHD_HTTP_OK, resp);
}

static int reply_engine_json(struct request *req, int rc, char *out)
{
    const pouch_host *h = req->srv->host;
    if (rc < 0)
        return http_send_errno(req, rc);
    json_auto_t *j = json_loads(out ? out : "", JSON_DECODE_ANY, NULL);
    h->free(out);
    if (!j)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "engine returned invalid JSON");
    return http_send_json(req, req->route.route->flags & ROUTE_BODY ? MHD_HTTP_CREATED : MHD_HTTP_OK, j);
}

int handle_containers_changes(struct request *req)
{
    if (!HAS(req, container_changes))
        return not_implemented(req, "docker diff");
    char *out = NULL;
    int rc = ENGINE(req)->container_changes(req->srv->host, route_param(&req->route.params, "id"), &out);
    return reply_engine_json(req, rc, out);
}

/* POST /commit: the query names the container and the new image, the body
 * (optional, may be "null") is a Config that replaces the container's. */
int handle_commit(struct request *req)
{
    if (!HAS(req, container_commit))
        return not_implemented(req, "docker commit");
    json_auto_t *config = NULL;
    if (req->body && req->body_len) {
        size_t start, end;
        char msg[256];
        if (go_json_first_value(req->body, req->body_len, &start, &end, msg, sizeof(msg)) == 0)
            config = json_loadb(req->body + start, end - start, JSON_DECODE_ANY, NULL);
        else if (strspn(req->body, " \t\r\n") != req->body_len)
            return http_send_error(req, MHD_HTTP_BAD_REQUEST, "%s", msg);
    }
    _cleanup_free_ char *container = http_query(req, "container");
    _cleanup_free_ char *repo = http_query(req, "repo");
    _cleanup_free_ char *tag = http_query(req, "tag");
    _cleanup_free_ char *comment = http_query(req, "comment");
    _cleanup_free_ char *author = http_query(req, "author");
    _cleanup_free_ char *pause = http_query(req, "pause");
    bool do_pause = !pause || !*pause || http_query_bool(req, "pause");
    json_auto_t *opts = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:O}", "container", container ? container : "",
                                  "repo", repo ? repo : "", "tag", tag ? tag : "", "comment", comment ? comment : "",
                                  "author", author ? author : "", "pause", do_pause, "changes",
                                  http_query_all(req, "changes"), "config", config ? config : json_null());
    _cleanup_free_ char *text = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
    if (!text)
        return -ENOMEM;
    char *out = NULL;
    int rc = ENGINE(req)->container_commit(req->srv->host, text, &out);
    return reply_engine_json(req, rc, out);
}
