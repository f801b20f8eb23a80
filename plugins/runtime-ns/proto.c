/* Control and attach protocol parsing (see proto.h). Input comes from local
 * clients but is still checked field by field; never trusts a length. */
#include "proto.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctl_parse(const char *line, ctl_request *ret, rns_error *e)
{
    json_error_t je;
    _cleanup_(json_decrefp) json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o))
        return rns_err(e, -EINVAL, "control request is not a JSON object: %s", o ? "wrong type" : je.text);
    const char *op = json_string_value(json_object_get(o, "op"));
    if (!op)
        return rns_err(e, -EINVAL, "control request has no \"op\"");
    static const struct {
        const char *name;
        int op;
    } ops[] = {{"start", CTL_START},
               {"kill", CTL_KILL},
               {"state", CTL_STATE},
               {"resize", CTL_RESIZE},
               {"watch", CTL_WATCH},
               {"delete", CTL_DELETE},
               {"pause", CTL_PAUSE},
               {"resume", CTL_RESUME},
               {"exec_create", CTL_EXEC_CREATE},
               {"exec_start", CTL_EXEC_START},
               {"exec_state", CTL_EXEC_STATE},
               {"exec_resize", CTL_EXEC_RESIZE},
               {"update", CTL_UPDATE},
               {"stats", CTL_STATS},
               {"pids", CTL_PIDS}};
    ctl_request r = {.signal = 15};
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
        if (!strcmp(op, ops[i].name))
            r.op = ops[i].op;
    if (!r.op)
        return rns_err(e, -EOPNOTSUPP, "unknown control op \"%s\"", op);
    json_t *v;
    if ((v = json_object_get(o, "signal"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 64)
            return rns_err(e, -EINVAL, "kill: \"signal\" must be a signal number 0..64");
        r.signal = (int)json_integer_value(v);
    }
    r.all = json_is_true(json_object_get(o, "all"));
    r.force = json_is_true(json_object_get(o, "force"));
    if (r.op >= CTL_EXEC_CREATE && r.op <= CTL_EXEC_RESIZE) {
        const char *id = json_string_value(json_object_get(o, "exec_id"));
        if (!exec_id_valid(id))
            return rns_err(e, -EINVAL, "%s: \"exec_id\" must be 1-%d characters of [A-Za-z0-9_.-]", op,
                           EXEC_ID_MAX);
        snprintf(r.exec_id, sizeof(r.exec_id), "%s", id);
    }
    if (r.op == CTL_EXEC_CREATE) {
        json_t *p = json_object_get(o, "process");
        if (!json_is_object(p))
            return rns_err(e, -EINVAL, "exec_create: \"process\" must be an OCI process object");
        r.in = json_is_true(json_object_get(o, "stdin"));
        r.tty = json_is_true(json_object_get(o, "tty"));
        if (!(r.process = json_dumps(p, JSON_COMPACT)))
            return -ENOMEM;
    }
    if (r.op == CTL_UPDATE) {
        json_t *res = json_object_get(o, "resources");
        if (!json_is_object(res))
            return rns_err(e, -EINVAL, "update: \"resources\" must be an OCI linux.resources object");
        if (!(r.resources = json_dumps(res, JSON_COMPACT)))
            return -ENOMEM;
    }
    if (r.op == CTL_RESIZE || r.op == CTL_EXEC_RESIZE) {
        json_t *rows = json_object_get(o, "rows"), *cols = json_object_get(o, "cols");
        if (!json_is_integer(rows) || !json_is_integer(cols) || json_integer_value(rows) < 0 ||
            json_integer_value(cols) < 0 || json_integer_value(rows) > 65535 || json_integer_value(cols) > 65535)
            return rns_err(e, -EINVAL, "resize: \"rows\" and \"cols\" must be integers 0..65535");
        r.rows = (int)json_integer_value(rows);
        r.cols = (int)json_integer_value(cols);
    }
    *ret = r;
    return 0;
}

void ctl_request_free(ctl_request *r)
{
    free(r->process);
    free(r->resources);
    r->process = r->resources = NULL;
}

int exec_id_valid(const char *id)
{
    if (!id || !*id || strlen(id) > EXEC_ID_MAX || id[0] == '.')
        return 0;
    for (const char *p = id; *p; p++)
        if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

char *ctl_error_reply(int err, const char *msg)
{
    json_t *o = json_pack("{s:b,s:i,s:s}", "ok", 0, "errno", err < 0 ? -err : err, "error", msg ? msg : "");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

int attach_parse(const char *line, attach_request *ret, rns_error *e)
{
    json_error_t je;
    _cleanup_(json_decrefp) json_t *o = json_loads(line, 0, &je);
    if (!json_is_object(o))
        return rns_err(e, -EINVAL, "attach request is not a JSON object");
    attach_request r = {
        .in = json_is_true(json_object_get(o, "stdin")),
        .out = json_is_true(json_object_get(o, "stdout")),
        .err = json_is_true(json_object_get(o, "stderr")),
        .stream = json_object_get(o, "stream") ? json_is_true(json_object_get(o, "stream")) : 1,
    };
    json_t *ex = json_object_get(o, "exec");
    if (ex && !json_is_null(ex)) {
        if (!exec_id_valid(json_string_value(ex)))
            return rns_err(e, -EINVAL, "attach request: \"exec\" is not a valid exec id");
        snprintf(r.exec_id, sizeof(r.exec_id), "%s", json_string_value(ex));
    }
    *ret = r;
    return 0;
}

int ctl_call(const char *sock_path, const char *request, int timeout_ms, char **ret_reply, rns_error *e)
{
    _cleanup_close_ int fd = rns_unix_connect(sock_path);
    if (fd < 0)
        return rns_err(e, fd, "connect to shim %s: %s", sock_path, strerror(-fd));
    size_t len = strlen(request);
    _cleanup_free_ char *line = malloc(len + 2);
    if (!line)
        return -ENOMEM;
    memcpy(line, request, len);
    line[len] = '\n';
    int r = rns_write_all(fd, line, len + 1);
    if (r < 0)
        return rns_err(e, r, "send to shim %s: %s", sock_path, strerror(-r));
    _cleanup_free_ char *reply = NULL;
    r = rns_read_line(fd, timeout_ms, &reply);
    if (r < 0)
        return rns_err(e, r, "no reply from shim %s: %s", sock_path,
                       r == -ECONNRESET ? "connection closed" : strerror(-r));
    json_t *o = json_loads(reply, 0, NULL);
    int ok = json_is_true(json_object_get(o, "ok"));
    if (!ok) {
        int err = (int)json_integer_value(json_object_get(o, "errno"));
        const char *msg = json_string_value(json_object_get(o, "error"));
        r = rns_err(e, err > 0 ? -err : -EIO, "%s", msg ? msg : reply);
    }
    json_decref(o);
    if (ret_reply)
        *ret_reply = TAKE_PTR(reply);
    return r;
}
