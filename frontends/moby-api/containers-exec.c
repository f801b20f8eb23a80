/* The /exec endpoints: create, start (detached, or hijacked like attach:
 * containers-attach.c runs the session and calls back here to start the
 * process and to wait for its exit code), inspect and resize. HTTP only:
 * the engine decides and words every error. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers-ops.h"
#include "moby-api.h"

#define ENGINE(req) ((req)->srv->host->engine)
#define HAS(req, m) (POUCH_ENGINE_HAS(ENGINE(req), m) && ENGINE(req)->m)

static int not_implemented(struct request *req)
{
    return http_send_error(req, MHD_HTTP_NOT_IMPLEMENTED, "%s %s: not implemented: this pouchd has no exec support",
                           req->method, req->url);
}

static int send_empty(struct request *req, unsigned status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
    return http_queue(req, status, resp);
}

/* The request body as JSON; an empty body is {}. NULL: answered (400). */
static json_t *body_json(struct request *req)
{
    if (!req->body || req->body_len == 0)
        return json_object();
    json_error_t jerr;
    json_t *j = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, &jerr);
    if (!j) {
        http_send_error(req, MHD_HTTP_BAD_REQUEST, "invalid JSON body: %s", jerr.text);
        return NULL;
    }
    if (json_is_null(j)) /* Go decodes null into an empty struct */
        return json_object();
    if (!json_is_object(j)) {
        http_send_error(req, MHD_HTTP_BAD_REQUEST, "json: cannot unmarshal %s into Go value of type %s",
                        json_is_array(j)    ? "array"
                        : json_is_string(j) ? "string"
                        : json_is_boolean(j) ? "bool"
                                             : "number",
                        req->route.route->fn == handle_exec_create ? "types.ExecConfig" : "types.ExecStartCheck");
        json_decref(j);
        return NULL;
    }
    return j;
}

int handle_exec_create(struct request *req)
{
    if (!HAS(req, exec_create))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    json_auto_t *body = body_json(req);
    if (!body)
        return 0;
    _cleanup_free_ char *text = json_dumps(body, JSON_COMPACT);
    char *out = NULL;
    int rc = ENGINE(req)->exec_create(h, route_param(&req->route.params, "id"), text, &out);
    if (rc < 0)
        return http_send_errno(req, rc);
    json_auto_t *j = json_loads(out ? out : "", 0, NULL);
    h->free(out);
    return j ? http_send_json(req, MHD_HTTP_CREATED, j)
             : http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "engine returned invalid JSON");
}

/* The exec as GET /exec/{id}/json shows it, or NULL with the errno in *rc. */
static json_t *inspect(const pouch_host *h, const char *id, int *rc)
{
    char *out = NULL;
    *rc = h->engine->exec_inspect(h, id, &out);
    if (*rc < 0)
        return NULL;
    json_t *j = json_loads(out ? out : "", 0, NULL);
    h->free(out);
    if (!j)
        *rc = -EIO;
    return j;
}

int handle_exec_inspect(struct request *req)
{
    if (!HAS(req, exec_inspect))
        return not_implemented(req);
    int rc;
    json_auto_t *j = inspect(req->srv->host, route_param(&req->route.params, "id"), &rc);
    return j ? http_send_json(req, MHD_HTTP_OK, j) : http_send_errno(req, rc);
}

int handle_exec_resize(struct request *req)
{
    if (!HAS(req, exec_resize))
        return not_implemented(req);
    long long rows, cols;
    char msg[256];
    _cleanup_free_ char *hv = http_query(req, "h");
    _cleanup_free_ char *wv = http_query(req, "w");
    if (go_atoi(hv, &rows, msg, sizeof(msg)) < 0 || go_atoi(wv, &cols, msg, sizeof(msg)) < 0)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "%s", msg);
    if (rows < 0 || cols < 0 || rows > UINT16_MAX || cols > UINT16_MAX)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "invalid terminal size %lldx%lld", rows, cols);
    int rc = ENGINE(req)->exec_resize(req->srv->host, route_param(&req->route.params, "id"), (int32_t)rows,
                                      (int32_t)cols);
    return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_OK);
}

int handle_exec_start(struct request *req)
{
    if (!HAS(req, exec_start) || !HAS(req, exec_prepare) || !HAS(req, exec_inspect))
        return not_implemented(req);
    const pouch_host *h = req->srv->host;
    const char *id = route_param(&req->route.params, "id");
    json_auto_t *body = body_json(req);
    if (!body)
        return 0;
    /* dockerd: only a missing exec is an HTTP error before the hijack */
    int rc;
    json_auto_t *info = inspect(h, id, &rc);
    if (!info)
        return http_send_errno(req, rc);
    if (json_is_true(json_object_get(body, "Detach"))) {
        rc = ENGINE(req)->exec_start(h, id);
        return rc < 0 ? http_send_errno(req, rc) : send_empty(req, MHD_HTTP_OK);
    }
    char *out = NULL;
    rc = ENGINE(req)->exec_prepare(h, id, &out);
    json_auto_t *prep = rc >= 0 ? json_loads(out ? out : "", 0, NULL) : NULL;
    if (out)
        h->free(out);
    if (rc == -ENOENT && !strncmp(h->last_error(h), "No such exec", 12))
        return http_send_errno(req, rc);
    const char *msg = rc < 0 ? h->last_error(h) : NULL;
    _cleanup_free_ char *err = rc < 0 ? strdup(msg && *msg ? msg : strerror(-rc)) : NULL;
    json_t *pc = json_object_get(info, "ProcessConfig");
    struct exec_hijack x = {
        .exec_id = id,
        .path = json_string_value(json_object_get(prep, "path")) ?: "",
        .error = rc < 0 ? (err ? err : "exec failed") : NULL,
        .detach_keys = json_string_value(json_object_get(prep, "detach_keys")),
        .tty = json_is_true(json_object_get(pc, "tty")),
        .in = json_is_true(json_object_get(info, "OpenStdin")),
        .out = json_is_true(json_object_get(info, "OpenStdout")),
        .err = json_is_true(json_object_get(info, "OpenStderr")),
    };
    return attach_exec_hijack(req, &x);
}

bool exec_session_begin(const pouch_host *h, const char *exec_id, const char *error, int out_fd, bool tty)
{
    _cleanup_free_ char *why = NULL;
    if (!error) {
        if (h->engine->exec_start(h, exec_id) >= 0)
            return true;
        const char *m = h->last_error(h);
        why = strdup(m && *m ? m : "exec failed");
        error = why ? why : "exec failed";
    }
    /* dockerd writes the error (plus CRLF) through its stdout writer */
    size_t len = strlen(error) + 2;
    _cleanup_free_ unsigned char *buf = malloc(len + 8);
    if (!buf)
        return false;
    size_t off = 0;
    if (!tty) {
        buf[0] = 1;
        buf[1] = buf[2] = buf[3] = 0;
        buf[4] = (unsigned char)(len >> 24);
        buf[5] = (unsigned char)(len >> 16);
        buf[6] = (unsigned char)(len >> 8);
        buf[7] = (unsigned char)len;
        off = 8;
    }
    memcpy(buf + off, error, len - 2);
    memcpy(buf + off + len - 2, "\r\n", 2);
    attach_write_all(out_fd, buf, off + len);
    return false;
}

void exec_session_end(const pouch_host *h, const char *exec_id, const volatile int32_t *stop)
{
    /* The runtime closes the stream once the process is gone; its exit code
     * is normally known by then, a moment later at worst. */
    long delay_us = 500, waited_us = 0;
    while (!*stop && waited_us < 10 * 1000000L) { /* bounded: the client may have left */
        char *out = NULL;
        if (h->engine->exec_inspect(h, exec_id, &out) < 0)
            return;
        json_auto_t *j = json_loads(out ? out : "", 0, NULL);
        h->free(out);
        if (!json_is_true(json_object_get(j, "Running")))
            return;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = delay_us * 1000};
        nanosleep(&ts, NULL);
        waited_us += delay_us;
        if (delay_us < 50000)
            delay_us *= 2;
    }
}
