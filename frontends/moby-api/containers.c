/* The /containers endpoints that answer in one piece (create, start, stop,
 * kill, remove, list, inspect ...) and /wait, whose headers go out before it
 * blocks. HTTP only: the engine decides and words every container error;
 * nothing here may hold engine state across requests. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "filters.h"
#include "json-out.h"
#include "moby-api.h"

#define ENGINE(req) ((req)->srv->host->engine)
#define HAS(req, m) (POUCH_ENGINE_HAS(ENGINE(req), m) && ENGINE(req)->m)

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

/* An engine result in JSON, sent with status ok. */
static int reply_json(struct request *req, int rc, char *out, unsigned ok)
{
    const pouch_host *h = req->srv->host;
    if (rc < 0)
        return http_send_errno(req, rc);
    json_auto_t *j = json_loads(out ? out : "", JSON_DECODE_ANY, NULL);
    h->free(out);
    if (!j)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "engine returned invalid JSON");
    return http_send_json(req, ok, j);
}

/* Optional integer query parameter read as strconv.Atoi; dockerd answers a
 * bad one with a 500 for t/limit and a 400 for h/w. 1: answered. */
static int query_int(struct request *req, const char *key, long long *ret, bool *ret_set, unsigned bad_status)
{
    _cleanup_free_ char *v = http_query(req, key);
    *ret_set = false;
    if (!v || !*v)
        return 0;
    char msg[256];
    if (go_atoi(v, ret, msg, sizeof(msg)) < 0)
        return http_send_error(req, bad_status, "%s", msg) < 0 ? -EIO : 1;
    *ret_set = true;
    return 0;
}

/* Content-Type must be JSON whenever there is a body (httputils.CheckForJSON). */
static bool content_type_is_json(struct request *req, const char **ret_ct)
{
    const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    *ret_ct = ct ? ct : "";
    if ((!ct || !*ct) && req->body_len == 0)
        return true;
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    return n == strlen("application/json") && strncasecmp(ct, "application/json", n) == 0;
}

int handle_containers_create(struct request *req)
{
    if (!HAS(req, container_create))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    const char *ct;
    if (!content_type_is_json(req, &ct))
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "Content-Type specified (%s) must be 'application/json'", ct);
    /* dockerd decodes the first JSON value of the body and ignores the rest;
     * its decoder errors are 500s with Go's wording. */
    char msg[256];
    size_t start, end;
    if (go_json_first_value(req->body ? req->body : "", req->body_len, &start, &end, msg, sizeof(msg)) < 0)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", msg);
    json_error_t jerr;
    json_auto_t *cfg = json_loadb(req->body + start, end - start, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!cfg) /* valid for Go but not for jansson: a number out of range */
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "invalid container config: %s", jerr.text);
    if (json_is_null(cfg)) {
        json_decref(cfg);
        cfg = json_object();
    }
    if (!json_is_object(cfg)) {
        const char *kind = json_is_array(cfg)     ? "array"
                           : json_is_string(cfg)  ? "string"
                           : json_is_boolean(cfg) ? "bool"
                                                  : "number";
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                               "json: cannot unmarshal %s into Go value of type runconfig.ContainerConfigWrapper",
                               kind);
    }
    _cleanup_free_ char *text = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    _cleanup_free_ char *name = http_query(req, "name");
    if (!text)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    char *out = NULL;
    int rc = ENGINE(req)->container_create(h, name, text, &out);
    return reply_json(req, rc, out, MHD_HTTP_CREATED);
}

int handle_containers_start(struct request *req)
{
    if (!HAS(req, container_start))
        return not_implemented(req);
    /* API >= 1.24 refuses a host config in the start body (bodyOnStartError). */
    const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if ((cl && strtoull(cl, NULL, 10) > 7) || (te && strcasestr(te, "chunked")))
        return http_send_error(req, MHD_HTTP_BAD_REQUEST,
                               "starting container with non-empty request body was deprecated since API v1.22 and "
                               "removed in v1.24");
    const pouch_host *h = req->srv->host;
    int rc = ENGINE(req)->container_start(h, id_of(req));
    if (rc == -EALREADY)
        return send_empty(req, MHD_HTTP_NOT_MODIFIED);
    return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_NO_CONTENT);
}

static int stop_or_restart(struct request *req, bool restart)
{
    const pouch_host *h = req->srv->host;
    long long t = -1;
    bool set;
    int r = query_int(req, "t", &t, &set, MHD_HTTP_INTERNAL_SERVER_ERROR);
    if (r != 0)
        return r < 0 ? r : 0;
    if (t < -1 || t > INT32_MAX)
        t = t < 0 ? -1 : INT32_MAX; /* dockerd: a negative timeout waits forever; we use the default */
    int rc = restart ? ENGINE(req)->container_restart(h, id_of(req), (int32_t)t)
                     : ENGINE(req)->container_stop(h, id_of(req), (int32_t)t);
    if (rc == -EALREADY)
        return send_empty(req, restart ? MHD_HTTP_NO_CONTENT : MHD_HTTP_NOT_MODIFIED);
    return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_NO_CONTENT);
}

int handle_containers_stop(struct request *req)
{
    return HAS(req, container_stop) ? stop_or_restart(req, false) : not_implemented(req);
}

int handle_containers_restart(struct request *req)
{
    return HAS(req, container_restart) ? stop_or_restart(req, true) : not_implemented(req);
}

int handle_containers_kill(struct request *req)
{
    if (!HAS(req, container_kill))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    _cleanup_free_ char *sig_text = http_query(req, "signal");
    char sig[16];
    const char *sigp = NULL;
    if (sig_text && *sig_text) {
        int n;
        if (container_signal_parse(sig_text, &n) < 0)
            return http_send_error(req, MHD_HTTP_BAD_REQUEST, "Invalid signal: %s", sig_text);
        snprintf(sig, sizeof(sig), "%d", n);
        sigp = sig;
    }
    int rc = ENGINE(req)->container_kill(h, id_of(req), sigp);
    if (rc < 0) {
        const char *msg = h->last_error(h);
        return http_send_error(req, http_status_for_errno(rc), "Cannot kill container: %s: %s", id_of(req),
                               msg && *msg ? msg : strerror(-rc));
    }
    return send_empty(req, MHD_HTTP_NO_CONTENT);
}

int handle_containers_delete(struct request *req)
{
    if (!HAS(req, container_remove))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    /* link=1 removes a legacy link, which pouch does not have: the engine
     * then reports the name as not found, as dockerd does for a non-link. */
    int rc = ENGINE(req)->container_remove(h, id_of(req), http_query_bool(req, "force"), http_query_bool(req, "v"));
    return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_NO_CONTENT);
}

int handle_containers_rename(struct request *req)
{
    if (!HAS(req, container_rename))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    _cleanup_free_ char *name = http_query(req, "name");
    int rc = ENGINE(req)->container_rename(h, id_of(req), name ? name : "");
    return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_NO_CONTENT);
}

/* dockerd answers bad filter JSON with a 400 (prune) or 500 (list). 1: answered. */
static int parse_filters(struct request *req, unsigned status, json_t **ret)
{
    _cleanup_free_ char *text = http_query(req, "filters");
    _cleanup_free_ char *msg = NULL;
    if (filters_parse(text, NULL, 0, ret, &msg) < 0)
        return http_send_error(req, status, "%s", msg ? msg : "invalid filters") < 0 ? -EIO : 1;
    return 0;
}

int handle_containers_prune(struct request *req)
{
    if (!HAS(req, container_prune))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    json_auto_t *filters = NULL;
    int r = parse_filters(req, MHD_HTTP_BAD_REQUEST, &filters);
    if (r != 0)
        return r < 0 ? r : 0;
    _cleanup_free_ char *text = json_dumps(filters, JSON_COMPACT);
    char *out = NULL;
    int rc = ENGINE(req)->container_prune(h, text, &out);
    return reply_json(req, rc, out, MHD_HTTP_OK);
}

/* The pre-1.x before/since parameters become the filters of the same names,
 * as the CLI sends them today, unless filters already say. */
static void legacy_filter(struct request *req, json_t *filters, const char *key)
{
    _cleanup_free_ char *v = http_query(req, key);
    if (!v || !*v || json_object_get(filters, key))
        return;
    json_object_set_new(filters, key, json_pack("{s:b}", v, 1));
}

int handle_containers_list(struct request *req)
{
    if (!HAS(req, container_list))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    json_t *filters = NULL;
    int r = parse_filters(req, MHD_HTTP_INTERNAL_SERVER_ERROR, &filters);
    if (r != 0)
        return r < 0 ? r : 0;
    json_auto_t *owned = filters;
    long long limit = 0;
    bool set;
    r = query_int(req, "limit", &limit, &set, MHD_HTTP_INTERNAL_SERVER_ERROR);
    if (r != 0)
        return r < 0 ? r : 0;
    if (!set && http_query_bool(req, "latest"))
        limit = 1; /* docker ps -l before the CLI sent limit */
    legacy_filter(req, filters, "before");
    legacy_filter(req, filters, "since");
    json_auto_t *opts =
        json_pack("{s:b, s:I, s:b, s:O}", "all", http_query_bool(req, "all"), "limit",
                  (json_int_t)(limit < 0 ? 0 : limit), "size", http_query_bool(req, "size"), "filters", filters);
    _cleanup_free_ char *text = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
    if (!text)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    char *out = NULL;
    int rc = ENGINE(req)->container_list(h, text, &out);
    if (rc < 0)
        return http_send_errno(req, rc);
    static struct render_cache cache = {.lock = PTHREAD_MUTEX_INITIALIZER};
    rc = http_send_engine_json(req, &cache, out);
    h->free(out);
    return rc;
}

int handle_containers_inspect(struct request *req)
{
    if (!HAS(req, container_inspect))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    char *out = NULL;
    int rc = ENGINE(req)->container_inspect(h, id_of(req), http_query_bool(req, "size"), &out);
    return reply_json(req, rc, out, MHD_HTTP_OK);
}

int handle_containers_resize(struct request *req)
{
    if (!HAS(req, container_resize))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    long long rows, cols;
    char msg[256];
    _cleanup_free_ char *hv = http_query(req, "h");
    _cleanup_free_ char *wv = http_query(req, "w");
    if (go_atoi(hv, &rows, msg, sizeof(msg)) < 0 || go_atoi(wv, &cols, msg, sizeof(msg)) < 0)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "%s", msg);
    if (rows < 0 || cols < 0 || rows > UINT16_MAX || cols > UINT16_MAX)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "invalid terminal size %lldx%lld", rows, cols);
    int rc = ENGINE(req)->container_resize(h, id_of(req), (int32_t)rows, (int32_t)cols);
    return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_OK);
}

/* ---- POST /containers/{id}/wait ---- */

/* Shared by the response (the client's side) and the thread blocked in the
 * engine: whichever lets go last frees it, so a client that hangs up never
 * waits for the container. */
struct waiter {
    atomic_int refs;
    const pouch_host *host;
    char *id;
    char *condition;
    int done_fd; /* eventfd, readable once the result is in */
    int conn_fd; /* borrowed from MHD, watched for the client leaving */
    pthread_mutex_t lock;
    bool done;
    char *body; /* the JSON line to send */
    size_t len, sent;
};

static void waiter_unref(struct waiter *w)
{
    if (!w || atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    if (w->done_fd >= 0)
        close(w->done_fd);
    pthread_mutex_destroy(&w->lock);
    free(w->id);
    free(w->condition);
    free(w->body);
    free(w);
}

static void waiter_unref_cb(void *cls)
{
    waiter_unref(cls);
}

/* The body dockerd writes: the engine's {"StatusCode","Error"}, or an error
 * of the wait itself in the same shape. */
static char *wait_body(const pouch_host *h, int rc, char *out, size_t *ret_len)
{
    json_auto_t *j = rc >= 0 && out ? json_loads(out, 0, NULL) : NULL;
    if (!j) {
        const char *msg = rc < 0 ? h->last_error(h) : "engine returned invalid JSON";
        j = json_pack("{s:n, s:i}", "Error", "StatusCode", -1);
        json_object_set_new(j, "Error", json_pack("{s:s}", "Message", msg && *msg ? msg : strerror(-rc)));
    }
    if (out)
        h->free(out);
    return json_dump_go(j, ret_len);
}

static void *wait_main(void *arg)
{
    struct waiter *w = arg;
    const pouch_host *h = w->host;
    char *out = NULL;
    int rc = h->engine->container_wait(h, w->id, w->condition, &out);
    size_t len = 0;
    char *body = wait_body(h, rc, out, &len);
    pthread_mutex_lock(&w->lock);
    w->body = body;
    w->len = len;
    w->done = true;
    pthread_mutex_unlock(&w->lock);
    uint64_t one = 1;
    ssize_t wr = write(w->done_fd, &one, sizeof(one));
    (void)wr;
    waiter_unref(w);
    return NULL;
}

static ssize_t read_wait(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct waiter *w = cls;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        bool done = w->done;
        size_t n = 0;
        if (done && w->body) {
            n = w->len - w->sent < max ? w->len - w->sent : max;
            memcpy(buf, w->body + w->sent, n);
            w->sent += n;
        }
        pthread_mutex_unlock(&w->lock);
        if (done)
            return n > 0 ? (ssize_t)n
                         : (w->body ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR);
        struct pollfd p[2] = {{.fd = w->done_fd, .events = POLLIN}, {.fd = w->conn_fd, .events = POLLRDHUP}};
        int r = poll(p, w->conn_fd >= 0 ? 2 : 1, -1);
        if (r < 0 && errno != EINTR)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (r > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
            return MHD_CONTENT_READER_END_WITH_ERROR; /* the client left (or pouchd stops) */
    }
}

int handle_containers_wait(struct request *req)
{
    if (!HAS(req, container_wait) || !HAS(req, container_inspect))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    _cleanup_free_ char *cond = http_query(req, "condition");
    const char *condition = "not-running";
    bool legacy = req->route.version[0] && version_compare(req->route.version, "1.30") < 0;
    if (!legacy && cond && (strcmp(cond, "next-exit") == 0 || strcmp(cond, "removed") == 0))
        condition = cond; /* dockerd 20.10 reads anything else as not-running */

    /* A missing container is a 404 before any header, as in dockerd. */
    char *out = NULL;
    int rc = ENGINE(req)->container_inspect(h, id_of(req), 0, &out);
    if (rc < 0)
        return http_send_errno(req, rc);
    h->free(out);

    if (legacy) { /* API < 1.30: headers only with the result */
        out = NULL;
        rc = ENGINE(req)->container_wait(h, id_of(req), condition, &out);
        if (rc < 0)
            return http_send_errno(req, rc);
        return reply_json(req, rc, out, MHD_HTTP_OK);
    }

    struct waiter *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    atomic_init(&w->refs, 1);
    pthread_mutex_init(&w->lock, NULL);
    w->host = h;
    w->id = strdup(id_of(req));
    w->condition = strdup(condition);
    w->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    w->conn_fd = ci ? ci->connect_fd : -1;
    if (!w->id || !w->condition || w->done_fd < 0) {
        waiter_unref(w);
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "wait: %s", strerror(errno ? errno : ENOMEM));
    }
    atomic_fetch_add(&w->refs, 1);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&t, &attr, wait_main, w);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        atomic_fetch_sub(&w->refs, 1);
        waiter_unref(w);
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "wait: cannot start a thread: %s", strerror(r));
    }
    /* MHD sends the headers before it first calls read_wait, so the client
     * (docker run) can go on to start the container while we block. */
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_wait, w, waiter_unref_cb);
    if (!resp) {
        waiter_unref(w);
        return -ENOMEM;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return http_queue(req, MHD_HTTP_OK, resp);
}
