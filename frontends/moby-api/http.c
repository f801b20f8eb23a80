/* Request plumbing for the Moby API: MHD callbacks, body accumulation, query
 * parameters, and responses with dockerd's headers, statuses and error JSON.
 * Handlers go through here to answer; nothing here may block on the engine. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cleanup.h"
#include "containers-archive.h"
#include "containers-ops.h"
#include "json-out.h"
#include "moby-api.h"

/* The route table. Later endpoints are one line each. */
const struct route moby_routes[] = {
    {"GET", "/_ping", handle_ping, 0},
    {"HEAD", "/_ping", handle_ping, 0},
    {"GET", "/version", handle_version, 0},
    {"GET", "/info", handle_info, 0},
    {"GET", "/events", handle_events, 0},
    {"GET", "/system/df", handle_system_df, 0},
    {"GET", "/images/json", handle_images_list, 0},
    {"POST", "/images/load", handle_images_load, ROUTE_STREAM},
    {"POST", "/images/create", handle_images_create, ROUTE_STREAM},
    {"POST", "/images/prune", handle_images_prune, 0},
    {"GET", "/images/get", handle_images_save_many, 0},
    {"GET", "/images/{name*}/get", handle_images_save_one, 0},
    {"GET", "/images/{name*}/json", handle_images_inspect, 0},
    {"GET", "/images/{name*}/history", handle_images_history, 0},
    {"POST", "/images/{name*}/tag", handle_images_tag, 0},
    {"DELETE", "/images/{name*}", handle_images_delete, 0},
    {"POST", "/containers/create", handle_containers_create, ROUTE_BODY},
    {"POST", "/containers/prune", handle_containers_prune, 0},
    {"GET", "/containers/json", handle_containers_list, 0},
    {"GET", "/containers/{id}/json", handle_containers_inspect, 0},
    {"GET", "/containers/{id}/logs", handle_containers_logs, 0},
    {"POST", "/containers/{id}/start", handle_containers_start, 0},
    {"POST", "/containers/{id}/stop", handle_containers_stop, 0},
    {"POST", "/containers/{id}/restart", handle_containers_restart, 0},
    {"POST", "/containers/{id}/kill", handle_containers_kill, 0},
    {"POST", "/containers/{id}/wait", handle_containers_wait, 0},
    {"POST", "/containers/{id}/rename", handle_containers_rename, 0},
    {"POST", "/containers/{id}/resize", handle_containers_resize, 0},
    {"POST", "/containers/{id}/attach", handle_containers_attach, 0},
    {"POST", "/containers/{id}/exec", handle_exec_create, ROUTE_BODY},
    {"POST", "/containers/{id}/pause", handle_containers_pause, 0},
    {"POST", "/containers/{id}/unpause", handle_containers_unpause, 0},
    {"POST", "/containers/{id}/update", handle_containers_update, ROUTE_BODY},
    {"GET", "/containers/{id}/stats", handle_containers_stats, 0},
    {"GET", "/containers/{id}/top", handle_containers_top, 0},
    {"POST", "/exec/{id}/start", handle_exec_start, ROUTE_BODY},
    {"GET", "/exec/{id}/json", handle_exec_inspect, 0},
    {"POST", "/exec/{id}/resize", handle_exec_resize, 0},
    {"DELETE", "/containers/{id}", handle_containers_delete, 0},
    {"HEAD", "/containers/{id}/archive", handle_containers_archive_head, 0},
    {"GET", "/containers/{id}/archive", handle_containers_archive_get, 0},
    {"PUT", "/containers/{id}/archive", handle_containers_archive_put, ROUTE_STREAM},
    {"GET", "/containers/{id}/export", handle_containers_export, 0},
    {"GET", "/containers/{id}/changes", handle_containers_changes, 0},
    {"POST", "/commit", handle_commit, ROUTE_BODY},
};
const size_t moby_routes_n = ARRAY_SIZE(moby_routes);

void http_common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Api-Version", MOBY_API_VERSION_MAX);
    MHD_add_response_header(resp, "Docker-Experimental", "false");
    MHD_add_response_header(resp, "Ostype", "linux");
    MHD_add_response_header(resp, "Server", "pouch/" MOBY_API_PLUGIN_VERSION " (linux)");
}

int http_queue(struct request *req, unsigned status, struct MHD_Response *resp)
{
    if (!resp)
        return -ENOMEM;
    http_common_headers(resp);
    enum MHD_Result r = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    req->responded = true;
    req->status = status;
    const pouch_host *h = req->srv->host;
    h->log(h, POUCH_LOG_DEBUG, "%s %s -> %u", req->method, req->url, status);
    return r == MHD_YES ? 0 : -EIO;
}

static int send_buffer(struct request *req, unsigned status, const char *ctype, char *take_buf, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, take_buf, take_buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(take_buf);
        return -ENOMEM;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    return http_queue(req, status, resp);
}

int http_send_json(struct request *req, unsigned status, const json_t *body)
{
    size_t len;
    char *text = json_dump_go(body, &len);
    if (!text)
        return -ENOMEM;
    return send_buffer(req, status, "application/json", text, len);
}

int http_send_error(struct request *req, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    json_t *o = json_pack("{s:s}", "message", msg ? msg : "out of memory");
    if (!o)
        o = json_pack("{s:s}", "message", "error message is not valid UTF-8");
    int r = http_send_json(req, status, o);
    json_decref(o);
    return r;
}

static int send_copy(struct request *req, const char *buf, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    memcpy(copy, buf, len);
    return send_buffer(req, MHD_HTTP_OK, "application/json", copy, len);
}

int http_send_engine_json(struct request *req, struct render_cache *cache, const char *text)
{
    pthread_mutex_lock(&cache->lock);
    if (cache->in && strcmp(cache->in, text) == 0) {
        int r = send_copy(req, cache->out, cache->out_len);
        pthread_mutex_unlock(&cache->lock);
        return r;
    }
    pthread_mutex_unlock(&cache->lock);
    json_auto_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    size_t len = 0;
    _cleanup_free_ char *go = j ? json_dump_go(j, &len) : NULL;
    if (!go)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "engine returned invalid JSON");
    pthread_mutex_lock(&cache->lock);
    free(cache->in);
    free(cache->out);
    cache->in = strdup(text);
    cache->out = malloc(len ? len : 1);
    if (cache->in && cache->out) {
        memcpy(cache->out, go, len);
        cache->out_len = len;
    } else {
        free(cache->in);
        free(cache->out);
        cache->in = cache->out = NULL;
    }
    pthread_mutex_unlock(&cache->lock);
    return send_copy(req, go, len);
}

/* dockerd's errdefs mapping, from the errno the engine reports. */
unsigned http_status_for_errno(int err)
{
    switch (-err) {
    case ENOENT:
    case ESRCH:
        return MHD_HTTP_NOT_FOUND;
    case EINVAL:
    case E2BIG:
    case ENAMETOOLONG:
        return MHD_HTTP_BAD_REQUEST;
    case EEXIST:
    case EBUSY:
    case ENOTEMPTY:
        return MHD_HTTP_CONFLICT;
    case EPERM:
    case EACCES:
        return MHD_HTTP_FORBIDDEN;
    case ENOTSUP:
    case ENOSYS:
        return MHD_HTTP_NOT_IMPLEMENTED;
    case EAGAIN:
    case ECONNREFUSED:
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

int http_send_errno(struct request *req, int err)
{
    const pouch_host *h = req->srv->host;
    const char *msg = h->last_error(h);
    if (!msg || !*msg)
        msg = strerror(-err);
    return http_send_error(req, http_status_for_errno(err), "%s", msg);
}

struct query_lookup {
    const char *key;
    char *value;
};

static enum MHD_Result query_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct query_lookup *q = cls;
    char dkey[256];
    if (url_decode(key, strlen(key), dkey, sizeof(dkey)) < 0 || strcmp(dkey, q->key) != 0)
        return MHD_YES;
    const char *v = value ? value : "";
    size_t cap = strlen(v) + 1;
    char *dv = malloc(cap);
    /* A value that does not decode is kept raw: the handler's own parser
     * then reports it with the text the client sent. */
    if (dv && url_decode(v, strlen(v), dv, cap) < 0)
        snprintf(dv, cap, "%s", v);
    q->value = dv;
    return MHD_NO; /* dockerd's r.Form.Get: the first value wins */
}

char *http_query(struct request *req, const char *key)
{
    struct query_lookup q = {.key = key};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_iter, &q);
    return q.value;
}

struct query_all {
    const char *key;
    json_t *values;
};

static enum MHD_Result query_all_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct query_all *q = cls;
    char dkey[256];
    if (url_decode(key, strlen(key), dkey, sizeof(dkey)) < 0 || strcmp(dkey, q->key) != 0)
        return MHD_YES;
    const char *v = value ? value : "";
    size_t cap = strlen(v) + 1;
    _cleanup_free_ char *dv = malloc(cap);
    if (dv && url_decode(v, strlen(v), dv, cap) < 0)
        snprintf(dv, cap, "%s", v);
    if (dv)
        json_array_append_new(q->values, json_string(dv));
    return MHD_YES;
}

json_t *http_query_all(struct request *req, const char *key)
{
    struct query_all q = {.key = key, .values = json_array()};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_all_iter, &q);
    return q.values;
}

bool http_query_bool(struct request *req, const char *key)
{
    _cleanup_free_ char *v = http_query(req, key);
    if (!v)
        return false;
    static const char *const falsy[] = {"", "0", "no", "false", "none"};
    for (size_t i = 0; i < ARRAY_SIZE(falsy); i++)
        if (strcasecmp(v, falsy[i]) == 0)
            return false;
    return true;
}

/* With tlsverify, every request proves its client certificate chains to our
 * CA; MHD only asks for one, so a client without one would otherwise pass. */
static bool client_verified(struct request *req)
{
    if (!req->lst || !req->lst->tls || !req->srv->tlsverify)
        return true;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return false;
    gnutls_session_t session = (gnutls_session_t)ci->tls_session;
    unsigned status = 0;
    int r = gnutls_certificate_verify_peers2(session, &status);
    if (r < 0 || status != 0) {
        const pouch_host *h = req->srv->host;
        h->log(h, POUCH_LOG_WARN, "%s: refused a client without a certificate signed by the configured CA (%s)",
               req->lst->spec.uri, r < 0 ? gnutls_strerror(r) : "certificate not trusted");
        return false;
    }
    return true;
}

static enum MHD_Result begin(struct request *req)
{
    if (!client_verified(req))
        return MHD_NO; /* closes the connection: no response to a stranger */
    router_resolve(moby_routes, moby_routes_n, req->method, req->url, &req->route);
    if (req->route.status == ROUTE_OK && (req->route.route->flags & ROUTE_STREAM))
        return req->route.route->fn(req) < 0 ? MHD_NO : MHD_YES; /* phase 0: sets up body_fd */
    if (req->route.status == ROUTE_OK && (req->route.route->flags & ROUTE_BODY)) {
        const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > MOBY_API_BODY_MAX)
            return http_send_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
                                   "request body of %s bytes is larger than the %u bytes this endpoint accepts", cl,
                                   MOBY_API_BODY_MAX) < 0
                       ? MHD_NO
                       : MHD_YES;
    }
    return MHD_YES;
}

/* Hand a chunk to a streaming handler's consumer. If the consumer stopped
 * reading (it failed), the rest of the body is dropped. */
static void stream_body(struct request *req, const char *data, size_t len)
{
    while (req->body_fd >= 0 && len > 0) {
        ssize_t n = write(req->body_fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(req->body_fd);
            req->body_fd = -1;
            break;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void take_body(struct request *req, const char *data, size_t len)
{
    if (req->route.status == ROUTE_OK && (req->route.route->flags & ROUTE_STREAM)) {
        stream_body(req, data, len);
        return;
    }
    /* A body on a route that takes none is read and dropped, as dockerd
     * ignores it; past the limit we keep reading so the answer is a clean
     * 413 rather than a reset. */
    if (req->route.status != ROUTE_OK || !(req->route.route->flags & ROUTE_BODY) || req->body_too_large)
        return;
    if (req->body_len + len > MOBY_API_BODY_MAX) {
        req->body_too_large = true;
        free(req->body);
        req->body = NULL;
        req->body_len = 0;
        return;
    }
    char *nb = realloc(req->body, req->body_len + len + 1);
    if (!nb) {
        req->body_too_large = true;
        return;
    }
    memcpy(nb + req->body_len, data, len);
    req->body = nb;
    req->body_len += len;
    req->body[req->body_len] = '\0';
}

static int dispatch(struct request *req)
{
    switch (req->route.status) {
    case ROUTE_NOT_FOUND:
        return http_send_error(req, MHD_HTTP_NOT_FOUND, "page not found");
    case ROUTE_TOO_NEW:
        return http_send_error(req, MHD_HTTP_BAD_REQUEST,
                               "client version %s is too new. Maximum supported API version is %s", req->route.version,
                               MOBY_API_VERSION_MAX);
    case ROUTE_TOO_OLD: {
        /* dockerd answers clients older than 1.24 in plain text: JSON errors
         * only exist from API 1.24 on. */
        char *text = NULL;
        if (asprintf(&text,
                     "client version %s is too old. Minimum supported API version is %s, please upgrade "
                     "your client to a newer version\n",
                     req->route.version, MOBY_API_VERSION_MIN) < 0)
            return -ENOMEM;
        struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
            free(text);
            return -ENOMEM;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        return http_queue(req, MHD_HTTP_BAD_REQUEST, resp);
    }
    case ROUTE_OK:
        break;
    }
    if (req->body_too_large)
        return http_send_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
                               "request body is larger than the %u bytes this endpoint accepts", MOBY_API_BODY_MAX);
    if (req->route.route->flags & ROUTE_STREAM) {
        if (req->body_fd >= 0)
            close(req->body_fd); /* end of body: the consumer sees EOF */
        req->body_fd = -1;
        req->phase = 1;
    }
    return req->route.route->fn(req);
}

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct listener *lst = cls;
    struct request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        req->srv = lst->srv;
        req->lst = lst;
        req->conn = conn;
        req->method = method;
        req->body_fd = -1;
        req->url = strdup(url);
        *con_cls = req;
        if (!req->url)
            return MHD_NO;
        return begin(req);
    }
    if (req->responded) {
        *upload_data_size = 0; /* an early 413: drop the rest */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        take_body(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(req) < 0 ? MHD_NO : MHD_YES;
}

void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct request *req = *con_cls;
    if (!req)
        return;
    if (req->body_fd >= 0)
        close(req->body_fd);
    req->body_fd = -1;
    if (req->job_free)
        req->job_free(req);
    free(req->body);
    free(req->url);
    free(req);
    *con_cls = NULL;
}
