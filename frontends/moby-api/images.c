/* The /images endpoints and /system/df. Archive bodies stream through a pipe
 * into the engine running on a worker thread (load, import) and archives
 * stream out the same way (save), so no archive is ever held in memory and
 * a long transfer blocks only its own connection. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "filters.h"
#include "json-out.h"
#include "moby-api.h"

#define PIPE_SIZE (1 << 20)

enum job_kind { JOB_LOAD, JOB_IMPORT, JOB_SAVE };

/* A worker running one engine call that reads or writes a pipe. */
struct job {
    enum job_kind kind;
    const pouch_host *host;
    pthread_t thread;
    bool started;
    int fd;        /* the worker's end: read end for load/import, write end for save */
    int client_fd; /* save: the read end the response drains */
    bool quiet;
    json_t *args; /* names (save) or options (import) */

    pthread_mutex_t lock;
    char *out; /* JSON lines produced so far (load) */
    size_t out_len;
    int rc;
    char *err;    /* the engine's message when rc < 0 */
    char *result; /* the engine's JSON result */
};

static void append_line(struct job *j, json_t *msg)
{
    size_t len;
    _cleanup_free_ char *text = json_dump_go(msg, &len);
    if (!text)
        return;
    /* dockerd's JSON message streams end each message with \r\n */
    if (len > 0 && text[len - 1] == '\n')
        len--;
    pthread_mutex_lock(&j->lock);
    char *grown = realloc(j->out, j->out_len + len + 3);
    if (grown) {
        memcpy(grown + j->out_len, text, len);
        memcpy(grown + j->out_len + len, "\r\n", 3);
        j->out = grown;
        j->out_len += len + 2;
    }
    pthread_mutex_unlock(&j->lock);
}

static void human_size(double bytes, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        u++;
    }
    snprintf(buf, cap, u ? "%.3g%s" : "%.0f%s", bytes, units[u]);
}

/* Engine progress -> dockerd's load messages. */
static void on_load_progress(void *user, const char *text)
{
    struct job *j = user;
    json_auto_t *m = json_loads(text, 0, NULL);
    const char *kind = json_string_value(json_object_get(m, "kind"));
    if (!kind)
        return;
    if (strcmp(kind, "layer") == 0) {
        if (j->quiet)
            return;
        json_int_t cur = json_integer_value(json_object_get(m, "current"));
        json_int_t total = json_integer_value(json_object_get(m, "total"));
        char bar[64], a[16], b[16], progress[128];
        int width = 50, done = total > 0 ? (int)(cur * width / total) : width;
        memset(bar, ' ', (size_t)width);
        for (int i = 0; i < done && i < width; i++)
            bar[i] = '=';
        if (done < width)
            bar[done] = '>';
        bar[width] = '\0';
        human_size((double)cur, a, sizeof(a));
        human_size((double)total, b, sizeof(b));
        snprintf(progress, sizeof(progress), "[%s]  %s/%s", bar, a, b);
        json_auto_t *out =
            json_pack("{s:s, s:{s:I, s:I}, s:s, s:O}", "status", "Loading layer", "progressDetail", "current", cur,
                      "total", total, "progress", progress, "id", json_object_get(m, "id"));
        append_line(j, out);
    } else if (strcmp(kind, "loaded") == 0 || strcmp(kind, "loaded-id") == 0) {
        char line[1400];
        if (kind[6] == '\0')
            snprintf(line, sizeof(line), "Loaded image: %s\n", json_string_value(json_object_get(m, "ref")));
        else
            snprintf(line, sizeof(line), "Loaded image ID: %s\n", json_string_value(json_object_get(m, "id")));
        json_auto_t *out = json_pack("{s:s}", "stream", line);
        append_line(j, out);
    }
}

static void *job_main(void *arg)
{
    struct job *j = arg;
    const pouch_host *h = j->host;
    const pouch_engine_api *e = h->engine;
    char *result = NULL;
    int rc;
    _cleanup_free_ char *args = j->args ? json_dumps(j->args, JSON_COMPACT) : NULL;
    switch (j->kind) {
    case JOB_LOAD:
        rc = POUCH_ENGINE_HAS(e, image_load) && e->image_load ? e->image_load(h, j->fd, on_load_progress, j, &result)
                                                              : -ENOTSUP;
        break;
    case JOB_IMPORT:
        rc = POUCH_ENGINE_HAS(e, image_import) && e->image_import ? e->image_import(h, j->fd, args, &result) : -ENOTSUP;
        break;
    default:
        rc = POUCH_ENGINE_HAS(e, image_save) && e->image_save ? e->image_save(h, args, j->fd) : -ENOTSUP;
        break;
    }
    const char *msg = rc < 0 ? h->last_error(h) : NULL;
    pthread_mutex_lock(&j->lock);
    j->rc = rc;
    j->result = result;
    j->err = rc < 0 ? strdup(msg && *msg ? msg : strerror(-rc)) : NULL;
    pthread_mutex_unlock(&j->lock);
    /* Readers of a load/import stop here; a save's client sees EOF. */
    close(j->fd);
    j->fd = -1;
    return NULL;
}

static void job_free(struct request *req)
{
    struct job *j = req->job;
    if (!j)
        return;
    if (j->client_fd >= 0)
        close(j->client_fd); /* a save worker still writing gets EPIPE */
    if (j->started)
        pthread_join(j->thread, NULL);
    if (j->fd >= 0)
        close(j->fd);
    json_decref(j->args);
    free(j->out);
    free(j->err);
    if (j->host && j->result)
        j->host->free(j->result);
    pthread_mutex_destroy(&j->lock);
    free(j);
    req->job = NULL;
}

/* Make a pipe, give one end to the worker and start it. *ret_other gets the
 * end the HTTP side uses. */
static int job_start(struct request *req, enum job_kind kind, json_t *args, bool quiet, int *ret_other)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j) {
        json_decref(args);
        return -ENOMEM;
    }
    pthread_mutex_init(&j->lock, NULL);
    j->kind = kind;
    j->host = req->srv->host;
    j->args = args;
    j->quiet = quiet;
    j->fd = j->client_fd = -1;
    req->job = j;
    req->job_free = job_free;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE);
    bool reads = kind != JOB_SAVE;
    j->fd = reads ? p[0] : p[1];
    *ret_other = reads ? p[1] : p[0];
    if (kind == JOB_SAVE)
        j->client_fd = p[0];
    int r = pthread_create(&j->thread, NULL, job_main, j);
    if (r != 0) {
        close(*ret_other);
        if (kind == JOB_SAVE)
            j->client_fd = -1;
        return -r;
    }
    j->started = true;
    return 0;
}

static int send_engine_error(struct request *req, int rc, const char *msg)
{
    return http_send_error(req, http_status_for_errno(rc), "%s", msg && *msg ? msg : strerror(-rc));
}

/* Serve a finished job's output lines. */
static ssize_t read_buffer(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct job *j = cls;
    if (pos >= j->out_len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = j->out_len - (size_t)pos < max ? j->out_len - (size_t)pos : max;
    memcpy(buf, j->out + pos, n);
    return (ssize_t)n;
}

/* POST /images/load: always 200; failures are reported in the stream, as
 * dockerd does once it has started answering. */
int handle_images_load(struct request *req)
{
    if (req->phase == 0) {
        int r = job_start(req, JOB_LOAD, NULL, http_query_bool(req, "quiet"), &req->body_fd);
        return r < 0 ? http_send_error(req, 500, "image load: cannot start: %s", strerror(-r)) : 0;
    }
    struct job *j = req->job;
    pthread_join(j->thread, NULL);
    j->started = false;
    if (j->rc < 0) {
        json_auto_t *m = json_pack("{s:{s:s}, s:s}", "errorDetail", "message", j->err, "error", j->err);
        append_line(j, m);
    }
    /* Chunked, as dockerd streams it: docker-py splits the JSON lines of a
     * load reply only when it is chunked. */
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_buffer, j, NULL);
    if (!resp)
        return -ENOMEM;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return http_queue(req, MHD_HTTP_OK, resp);
}

/* POST /images/create: import from the body (fromSrc=-). */
int handle_images_create(struct request *req)
{
    if (req->phase == 0) {
        _cleanup_free_ char *from_src = http_query(req, "fromSrc");
        _cleanup_free_ char *from_image = http_query(req, "fromImage");
        if (!from_src || !*from_src) {
            if (from_image && *from_image)
                return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED,
                                       "pulling %s: this pouchd cannot pull from registries yet; load the image with "
                                       "docker load instead",
                                       from_image);
            return http_send_error(req, MHD_HTTP_BAD_REQUEST, "fromSrc or fromImage is required");
        }
        if (strcmp(from_src, "-") != 0)
            return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED,
                                   "importing from %s: only fromSrc=- (the request body) is supported; download the "
                                   "file and pipe it to docker import",
                                   from_src);
        _cleanup_free_ char *repo = http_query(req, "repo");
        _cleanup_free_ char *tag = http_query(req, "tag");
        _cleanup_free_ char *message = http_query(req, "message");
        json_t *opts =
            json_pack("{s:s, s:s, s:s, s:o, s:s}", "repo", repo ? repo : "", "tag", tag ? tag : "", "message",
                      message ? message : "", "changes", http_query_all(req, "changes"), "source", "-");
        int r = job_start(req, JOB_IMPORT, opts, false, &req->body_fd);
        return r < 0 ? http_send_error(req, 500, "image import: cannot start: %s", strerror(-r)) : 0;
    }
    struct job *j = req->job;
    if (!j) /* phase 0 already answered */
        return 0;
    pthread_join(j->thread, NULL);
    j->started = false;
    if (j->rc < 0)
        return send_engine_error(req, j->rc, j->err);
    json_auto_t *res = json_loads(j->result, 0, NULL);
    json_auto_t *m = json_pack("{s:O}", "status", json_object_get(res, "id"));
    append_line(j, m);
    struct MHD_Response *resp = MHD_create_response_from_buffer(j->out_len, j->out, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return -ENOMEM;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return http_queue(req, MHD_HTTP_OK, resp);
}

static ssize_t read_pipe(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct job *j = cls;
    for (;;) {
        ssize_t n = read(j->client_fd, buf, max);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            return n;
        return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

/* Check every name exists, so a typo is a 404 before any byte is sent. */
static int check_names(struct request *req, json_t *names)
{
    const pouch_host *h = req->srv->host;
    const pouch_engine_api *e = h->engine;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        char *out = NULL;
        int r = e->image_inspect(h, json_string_value(n), &out);
        if (r < 0)
            return send_engine_error(req, r, h->last_error(h)) < 0 ? -EIO : 1;
        h->free(out);
    }
    return 0;
}

static int save(struct request *req, json_t *names)
{
    const pouch_engine_api *e = req->srv->host->engine;
    if (!POUCH_ENGINE_HAS(e, image_save) || !e->image_save) {
        json_decref(names);
        return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED, "this pouchd cannot save images");
    }
    int r = check_names(req, names);
    if (r != 0) {
        json_decref(names);
        return r < 0 ? r : 0;
    }
    int client_fd;
    r = job_start(req, JOB_SAVE, names, false, &client_fd);
    if (r < 0)
        return http_send_error(req, 500, "image save: cannot start: %s", strerror(-r));
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_pipe, req->job, NULL);
    if (!resp)
        return -ENOMEM;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-tar");
    return http_queue(req, MHD_HTTP_OK, resp);
}

int handle_images_save_one(struct request *req)
{
    return save(req, json_pack("[s]", route_param(&req->route.params, "name")));
}

int handle_images_save_many(struct request *req)
{
    json_t *names = http_query_all(req, "names");
    if (json_array_size(names) == 0) {
        json_decref(names);
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "give at least one image with names=");
    }
    return save(req, names);
}

/* Run an engine call returning JSON and send it with status ok. */
static int reply_json(struct request *req, int rc, char *out, unsigned ok)
{
    const pouch_host *h = req->srv->host;
    if (rc < 0)
        return http_send_errno(req, rc);
    json_auto_t *j = json_loads(out, JSON_DECODE_ANY, NULL);
    h->free(out);
    if (!j)
        return http_send_error(req, 500, "engine returned invalid JSON");
    return http_send_json(req, ok, j);
}

/* dockerd answers bad filter JSON with a 400 naming the problem. */
static int parse_filters(struct request *req, json_t **ret)
{
    _cleanup_free_ char *text = http_query(req, "filters");
    _cleanup_free_ char *msg = NULL;
    int r = filters_parse(text, NULL, 0, ret, &msg);
    if (r < 0)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "%s", msg ? msg : "invalid filters") < 0 ? -EIO : 1;
    return 0;
}

int handle_images_list(struct request *req)
{
    const pouch_host *h = req->srv->host;
    json_t *filters = NULL;
    int r = parse_filters(req, &filters);
    if (r != 0)
        return r < 0 ? r : 0;
    /* the legacy "filter" parameter is a reference pattern */
    _cleanup_free_ char *legacy = http_query(req, "filter");
    if (legacy && *legacy) {
        json_t *refs = json_object_get(filters, "reference");
        if (!refs) {
            refs = json_object();
            json_object_set_new(filters, "reference", refs);
        }
        json_object_set_new(refs, legacy, json_true());
    }
    json_auto_t *opts = json_pack("{s:b, s:b, s:o}", "all", http_query_bool(req, "all"), "digests",
                                  http_query_bool(req, "digests"), "filters", filters);
    _cleanup_free_ char *text = json_dumps(opts, JSON_COMPACT);
    char *out = NULL;
    r = h->engine->image_list(h, text, &out);
    if (r < 0)
        return http_send_errno(req, r);
    /* The engine answers an unchanged store with the same text: reuse the
     * Go-style rendering of it rather than parsing and printing again. */
    static struct render_cache cache = {.lock = PTHREAD_MUTEX_INITIALIZER};
    r = http_send_engine_json(req, &cache, out);
    h->free(out);
    return r;
}

int handle_images_inspect(struct request *req)
{
    const pouch_host *h = req->srv->host;
    const char *name = route_param(&req->route.params, "name");
    char *out = NULL;
    int rc = h->engine->image_inspect(h, name, &out);
    if (rc == -ENOENT) /* dockerd's inspect wraps the lookup error so */
        return http_send_error(req, MHD_HTTP_NOT_FOUND, "no such image: %s: %s", name, h->last_error(h));
    return reply_json(req, rc, out, MHD_HTTP_OK);
}

int handle_images_history(struct request *req)
{
    const pouch_host *h = req->srv->host;
    char *out = NULL;
    int rc = h->engine->image_history(h, route_param(&req->route.params, "name"), &out);
    return reply_json(req, rc, out, MHD_HTTP_OK);
}

int handle_images_tag(struct request *req)
{
    const pouch_host *h = req->srv->host;
    _cleanup_free_ char *repo = http_query(req, "repo");
    _cleanup_free_ char *tag = http_query(req, "tag");
    if (!repo || !*repo)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "repository name must have at least one component");
    char target[1200];
    snprintf(target, sizeof(target), "%s%s%s", repo, tag && *tag ? ":" : "", tag && *tag ? tag : "");
    int r = h->engine->image_tag(h, route_param(&req->route.params, "name"), target);
    if (r < 0)
        return http_send_errno(req, r);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
    return http_queue(req, MHD_HTTP_CREATED, resp);
}

int handle_images_delete(struct request *req)
{
    const pouch_host *h = req->srv->host;
    char *out = NULL;
    int r = h->engine->image_remove(h, route_param(&req->route.params, "name"), http_query_bool(req, "force"),
                                    http_query_bool(req, "noprune"), &out);
    return reply_json(req, r, out, MHD_HTTP_OK);
}

int handle_images_prune(struct request *req)
{
    const pouch_host *h = req->srv->host;
    json_t *filters = NULL;
    int r = parse_filters(req, &filters);
    if (r != 0)
        return r < 0 ? r : 0;
    json_auto_t *opts = json_pack("{s:o}", "filters", filters);
    _cleanup_free_ char *text = json_dumps(opts, JSON_COMPACT);
    char *out = NULL;
    int rc = h->engine->image_prune(h, text, &out);
    return reply_json(req, rc, out, MHD_HTTP_OK);
}

int handle_system_df(struct request *req)
{
    const pouch_host *h = req->srv->host;
    char *out = NULL;
    int r = h->engine->disk_usage(h, &out);
    if (r < 0)
        return http_send_errno(req, r);
    json_auto_t *images = json_loads(out, 0, NULL);
    h->free(out);
    json_auto_t *df =
        json_pack("{s:O, s:O, s:[], s:[], s:n, s:i}", "LayersSize", json_object_get(images, "LayersSize"), "Images",
                  json_object_get(images, "Images"), "Containers", "Volumes", "BuildCache", "BuilderSize", 0);
    return df ? http_send_json(req, MHD_HTTP_OK, df) : http_send_error(req, 500, "out of memory");
}
