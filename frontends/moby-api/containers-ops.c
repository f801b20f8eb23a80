/* POST /containers/{id}/pause, /unpause, /update, GET /containers/{id}/stats
 * and /top. The engine gives one stats sample per call; the stream (one
 * sample a second, each carrying the previous one's CPU figures as precpu)
 * is made here, in the connection's own thread (MHD runs one per client). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers-ops.h"
#include "json-out.h"
#include "moby-api.h"

#define ENGINE(req) ((req)->srv->host->engine)
#define HAS(req, m) (POUCH_ENGINE_HAS(ENGINE(req), m) && ENGINE(req)->m)
/* stream=false: dockerd waits for the next sample so precpu is filled; a
 * shorter wait measures the same thing sooner. */
#define NO_STREAM_INTERVAL_MS 500
#define STREAM_INTERVAL_MS 1000
#define ZERO_TIME "0001-01-01T00:00:00Z"

static int not_implemented(struct request *req)
{
    return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED,
                           "%s %s: not implemented: this pouchd has no container support", req->method, req->url);
}

static const char *id_of(struct request *req)
{
    return route_param(&req->route.params, "id");
}

static int send_empty(struct request *req, unsigned status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
    return http_queue(req, status, resp);
}

/* An engine JSON answer (taken) as a 200. */
static int reply_json(struct request *req, int rc, char *out)
{
    const pouch_host *h = req->srv->host;
    if (rc < 0)
        return http_send_errno(req, rc);
    json_auto_t *j = json_loads(out ? out : "", 0, NULL);
    h->free(out);
    return j ? http_send_json(req, MHD_HTTP_OK, j)
             : http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "engine returned invalid JSON");
}

int handle_containers_pause(struct request *req)
{
    if (!HAS(req, container_pause))
        return not_implemented(req);
    int rc = ENGINE(req)->container_pause(req->srv->host, id_of(req));
    return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_NO_CONTENT);
}

int handle_containers_unpause(struct request *req)
{
    if (!HAS(req, container_unpause))
        return not_implemented(req);
    int rc = ENGINE(req)->container_unpause(req->srv->host, id_of(req));
    return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_NO_CONTENT);
}

static const char *go_json_kind(json_t *v)
{
    return json_is_array(v)     ? "array"
           : json_is_object(v)  ? "object"
           : json_is_string(v)  ? "string"
           : json_is_boolean(v) ? "bool"
                                : "number";
}

/* Go's decoder refuses a wrong type in a typed field; dockerd answers 500
 * with its text. NULL: the body's fields have the types UpdateConfig has. */
static char *update_type_error(json_t *body)
{
    static const struct {
        const char *name, *type;
    } fields[] = {{"Memory", "int64"},        {"MemorySwap", "int64"},        {"MemoryReservation", "int64"},
                  {"KernelMemory", "int64"},  {"NanoCpus", "int64"},          {"CpuShares", "int64"},
                  {"CpuPeriod", "int64"},     {"CpuQuota", "int64"},          {"CpuRealtimePeriod", "int64"},
                  {"CpuRealtimeRuntime", "int64"}, {"BlkioWeight", "uint16"}, {"PidsLimit", "int64"},
                  {"CpusetCpus", "string"},   {"CpusetMems", "string"},       {"RestartPolicy", "container.RestartPolicy"}};
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        json_t *v = json_object_get(body, fields[i].name);
        if (!v || json_is_null(v))
            continue;
        bool ok = !strcmp(fields[i].type, "string")    ? json_is_string(v)
                  : fields[i].type[0] == 'c'           ? json_is_object(v)
                  : !strcmp(fields[i].type, "uint16") ? json_is_integer(v) && json_integer_value(v) >= 0 &&
                                                             json_integer_value(v) <= 65535
                                                       : json_is_integer(v);
        if (ok)
            continue;
        char *msg = NULL;
        if (asprintf(&msg, "json: cannot unmarshal %s into Go struct field UpdateConfig.%s of type %s",
                     go_json_kind(v), fields[i].name, fields[i].type) < 0)
            return NULL;
        return msg;
    }
    return NULL;
}

int handle_containers_update(struct request *req)
{
    if (!HAS(req, container_update))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    _cleanup_free_ char *body = req->body_len ? strndup(req->body, req->body_len) : strdup("{}");
    if (!body)
        return -ENOMEM;
    json_error_t jerr;
    json_auto_t *check = json_loads(body, JSON_DECODE_ANY, &jerr);
    if (!check)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "invalid JSON body: %s", jerr.text);
    if (!json_is_object(check) && !json_is_null(check))
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                               "json: cannot unmarshal %s into Go value of type container.UpdateConfig",
                               go_json_kind(check));
    _cleanup_free_ char *type_error = update_type_error(check);
    if (type_error)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", type_error);
    char *out = NULL;
    int rc = ENGINE(req)->container_update(h, id_of(req), json_is_null(check) ? "{}" : body, &out);
    if (rc < 0)
        return http_send_errno(req, rc);
    json_auto_t *j = json_loads(out ? out : "", 0, NULL);
    h->free(out);
    json_t *w = json_object_get(j, "Warnings");
    json_auto_t *reply = json_pack("{s:O}", "Warnings", json_array_size(w) ? w : json_null());
    return http_send_json(req, MHD_HTTP_OK, reply);
}

int handle_containers_top(struct request *req)
{
    if (!HAS(req, container_top))
        return not_implemented(req);
    _cleanup_free_ char *args = http_query(req, "ps_args");
    char *out = NULL;
    int rc = ENGINE(req)->container_top(req->srv->host, id_of(req), args, &out);
    return reply_json(req, rc, out);
}

/* --- stats ------------------------------------------------------------------ */

struct stats_job {
    const pouch_host *host;
    struct server *srv;
    char *id;
    json_t *prev;   /* the last sample sent */
    char *buf;      /* rendered sample not yet fully sent */
    size_t len, off;
    int conn_fd;    /* borrowed from MHD, watched for the client leaving */
};

static json_t *sample(const pouch_host *h, const char *id, int *rc)
{
    char *out = NULL;
    *rc = h->engine->container_stats(h, id, &out);
    if (*rc < 0)
        return NULL;
    json_t *j = json_loads(out ? out : "", 0, NULL);
    h->free(out);
    if (!j)
        *rc = -EIO;
    return j;
}

/* The previous sample's read time and CPU figures become cur's pre*. */
static void chain(json_t *cur, json_t *prev)
{
    if (!prev || !strcmp(json_string_value(json_object_get(prev, "read")) ?: ZERO_TIME, ZERO_TIME))
        return;
    json_object_set(cur, "preread", json_object_get(prev, "read"));
    json_object_set(cur, "precpu_stats", json_object_get(prev, "cpu_stats"));
}

static bool stopped_sample(json_t *s)
{
    return !strcmp(json_string_value(json_object_get(s, "read")) ?: ZERO_TIME, ZERO_TIME);
}

static void stats_free(void *cls)
{
    struct stats_job *j = cls;
    json_decref(j->prev);
    free(j->buf);
    free(j->id);
    free(j);
}

static ssize_t read_stats(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct stats_job *j = cls;
    if (j->off == j->len) {
        free(j->buf);
        j->buf = NULL;
        j->len = j->off = 0;
        /* wait a second, unless the client leaves meanwhile */
        struct pollfd p = {.fd = j->conn_fd, .events = POLLRDHUP};
        int r = poll(&p, j->conn_fd >= 0 ? 1 : 0, STREAM_INTERVAL_MS);
        if ((r > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) || j->srv->stopping)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        int rc;
        json_t *cur = sample(j->host, j->id, &rc);
        if (!cur) /* removed meanwhile */
            return MHD_CONTENT_READER_END_OF_STREAM;
        chain(cur, j->prev);
        json_decref(j->prev);
        j->prev = cur;
        j->buf = json_dump_go(cur, &j->len);
        if (!j->buf)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = j->len - j->off < max ? j->len - j->off : max;
    memcpy(out, j->buf + j->off, n);
    j->off += n;
    return (ssize_t)n;
}

int handle_containers_stats(struct request *req)
{
    if (!HAS(req, container_stats))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    _cleanup_free_ char *stream_text = http_query(req, "stream");
    bool stream = !stream_text || http_query_bool(req, "stream");
    bool one_shot = http_query_bool(req, "one-shot");
    if (stream && one_shot)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "cannot have stream=true and one-shot=true");
    int rc;
    json_auto_t *first = sample(h, id_of(req), &rc);
    if (!first)
        return http_send_errno(req, rc);
    if (!stream) {
        if (!one_shot && !stopped_sample(first)) {
            struct timespec ts = {.tv_sec = 0, .tv_nsec = NO_STREAM_INTERVAL_MS * 1000000L};
            nanosleep(&ts, NULL);
            json_auto_t *second = sample(h, id_of(req), &rc);
            if (second) {
                chain(second, first);
                return http_send_json(req, MHD_HTTP_OK, second);
            }
        }
        return http_send_json(req, MHD_HTTP_OK, first);
    }
    struct stats_job *j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->host = h;
    j->srv = req->srv;
    j->id = strdup(id_of(req));
    j->buf = json_dump_go(first, &j->len);
    j->prev = json_incref(first);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    j->conn_fd = ci ? ci->connect_fd : -1;
    if (!j->id || !j->buf) {
        stats_free(j);
        return -ENOMEM;
    }
    /* dockerd streams stats with no Content-Type */
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, read_stats, j, stats_free);
    if (!resp) {
        stats_free(j);
        return -ENOMEM;
    }
    return http_queue(req, MHD_HTTP_OK, resp);
}
