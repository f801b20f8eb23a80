/* The moby-api frontend plugin: descriptor, configuration, and one MHD
 * daemon per listener. It talks to pouchd only through the public ABI; it
 * must never include an engine header nor leave a thread behind after stop. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/frontend.h>
#include <pouch/plugin.h>

#include "cleanup.h"
#include "moby-api.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

#define PEM_MAX (1024 * 1024)

static void server_free(struct server *srv);
DEFINE_POINTER_CLEANUP(struct server, server_free)

static int read_pem(const pouch_host *h, const char *what, const char *path, char **ret)
{
    if (!path || !*path)
        return h->error(h, -EINVAL, "moby-api: TLS is on but no %s file is configured; set --%s", what, what);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return h->error(h, -errno, "moby-api: --%s %s: %s", what, path, strerror(errno));
    _cleanup_free_ char *buf = malloc(PEM_MAX + 1);
    if (!buf)
        return -ENOMEM;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, PEM_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return h->error(h, -errno, "moby-api: reading --%s %s: %s", what, path, strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == PEM_MAX)
            return h->error(h, -EFBIG, "moby-api: --%s %s is larger than 1 MiB; is it really a PEM file?", what, path);
    }
    buf[len] = '\0';
    if (!strstr(buf, "-----BEGIN "))
        return h->error(h, -EINVAL, "moby-api: --%s %s is not PEM (no '-----BEGIN' line)", what, path);
    *ret = TAKE_PTR(buf);
    return 0;
}

static int load_daemon_config(struct server *srv)
{
    const pouch_host *h = srv->host;
    _cleanup_free_ char *text = NULL;
    char *raw = NULL;
    int r = h->engine->daemon_config(h, &raw);
    if (r < 0)
        return r;
    text = raw ? strdup(raw) : NULL;
    h->free(raw);
    json_error_t jerr;
    _cleanup_json_ json_t *cfg = text ? json_loads(text, 0, &jerr) : NULL;
    if (!json_is_object(cfg))
        return h->error(h, -EINVAL, "moby-api: the daemon configuration is not a JSON object; this is a pouch bug");

    srv->tlsverify = json_is_true(json_object_get(cfg, "tlsverify"));
    srv->tls = srv->tlsverify || json_is_true(json_object_get(cfg, "tls"));
    srv->debug = json_is_true(json_object_get(cfg, "debug"));
    json_t *hosts = json_object_get(cfg, "hosts");
    if (!json_is_array(hosts) || json_array_size(hosts) == 0)
        return h->error(h, -EINVAL, "moby-api: no host to listen on; give one with -H unix:///run/pouchd.sock");
    srv->listeners = calloc(json_array_size(hosts), sizeof(*srv->listeners));
    if (!srv->listeners)
        return -ENOMEM;
    bool any_tls = false;
    size_t i;
    json_t *v;
    json_array_foreach(hosts, i, v)
    {
        struct listener *l = &srv->listeners[srv->n_listeners];
        _cleanup_free_ char *msg = NULL;
        if (!json_is_string(v))
            return h->error(h, -EINVAL,
                            "moby-api: hosts[%zu] is not a string; write it like \"unix:///run/pouchd.sock\"", i);
        if (listen_spec_parse(json_string_value(v), srv->tls, &l->spec, &msg) < 0)
            return h->error(h, -EINVAL, "moby-api: %s", msg ? msg : "bad host");
        for (size_t k = 0; k < srv->n_listeners; k++)
            if (strcmp(srv->listeners[k].spec.uri, l->spec.uri) == 0)
                return h->error(h, -EINVAL, "moby-api: host %s is given twice; drop one", l->spec.uri);
        l->fd = -1;
        l->srv = srv;
        /* dockerd serves TLS on tcp only; the unix socket is guarded by its
         * file permissions. */
        l->tls = srv->tls && l->spec.kind == LISTEN_TCP;
        any_tls |= l->tls;
        srv->n_listeners++;
    }
    if (!any_tls)
        return 0;
    if ((r = read_pem(h, "tlscert", json_string_value(json_object_get(cfg, "tlscert")), &srv->tls_cert)) < 0 ||
        (r = read_pem(h, "tlskey", json_string_value(json_object_get(cfg, "tlskey")), &srv->tls_key)) < 0)
        return r;
    if (srv->tlsverify &&
        (r = read_pem(h, "tlscacert", json_string_value(json_object_get(cfg, "tlscacert")), &srv->tls_ca)) < 0)
        return r;
    return 0;
}

static int load_plugin_config(struct server *srv)
{
    const pouch_host *h = srv->host;
    const char *text = h->config(h);
    json_error_t jerr;
    _cleanup_json_ json_t *cfg = json_loads(text && *text ? text : "{}", 0, &jerr);
    if (!json_is_object(cfg))
        return h->error(h, -EINVAL, "moby-api: its configuration section is not a JSON object (%s)", jerr.text);
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v)
    {
        if (strcmp(key, "socket-group") == 0 && json_is_string(v)) {
            free(srv->socket_group);
            srv->socket_group = strdup(json_string_value(v));
            if (!srv->socket_group)
                return -ENOMEM;
        } else {
            return h->error(
                h, -EINVAL,
                "moby-api: unknown or mistyped setting '%s'; the one known key is \"socket-group\" (a group name)",
                key);
        }
    }
    return 0;
}

static int32_t moby_init(const pouch_host *host, void **ret_state)
{
    if (!POUCH_HOST_HAS(host, engine) || !host->engine)
        return host && POUCH_HOST_HAS(host, error)
                   ? host->error(host, -ENOTSUP, "moby-api: this pouchd lends no engine API to frontends")
                   : -ENOTSUP;
    if (!POUCH_ENGINE_HAS(host->engine, daemon_config))
        return host->error(host, -ENOTSUP, "moby-api: the engine API is older than ABI 1.0; upgrade pouchd");
    _cleanup_(server_freep) struct server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return host->error(host, -ENOMEM, "moby-api: out of memory");
    srv->host = host;
    pthread_mutex_init(&srv->lock, NULL);
    int r = load_plugin_config(srv);
    if (r < 0)
        return r;
    r = load_daemon_config(srv);
    if (r < 0)
        return r;
    *ret_state = TAKE_PTR(srv);
    return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const pouch_host *h = cls;
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    h->log(h, POUCH_LOG_DEBUG, "libmicrohttpd: %s", buf);
}

/* MHD would percent-decode the path before we see it, losing the segment
 * boundaries of an encoded "/" in an id; the router decodes parameters. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

static int start_daemon(struct server *srv, struct listener *l)
{
    const pouch_host *h = srv->host;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem tls_opts[4] = {{MHD_OPTION_END, 0, NULL}};
    size_t n = 0;
    if (l->tls) {
        flags |= MHD_USE_TLS;
        tls_opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key};
        tls_opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert};
        if (srv->tlsverify)
            tls_opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, srv->tls_ca};
        tls_opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    }
    l->mhd =
        MHD_start_daemon(flags, 0, NULL, NULL, http_on_request, l, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)h,
                         MHD_OPTION_LISTEN_SOCKET, l->fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
                         MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
                         MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, l, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped,
                         NULL, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!l->mhd)
        return h->error(h, -EIO,
                        "listen %s: libmicrohttpd could not start serving%s; run pouchd with --debug for its reason",
                        l->spec.uri, l->tls ? " (check that the TLS key matches the certificate)" : "");
    return 0;
}

static void moby_stop(void *state);

static int32_t moby_start(void *state)
{
    struct server *srv = state;
    pthread_mutex_lock(&srv->lock);
    srv->stopping = false;
    pthread_mutex_unlock(&srv->lock);
    srv->started = true;
    for (size_t i = 0; i < srv->n_listeners; i++) {
        struct listener *l = &srv->listeners[i];
        int r = listener_open(srv, l);
        if (r >= 0)
            r = start_daemon(srv, l);
        if (r < 0) {
            moby_stop(srv);
            return r;
        }
        srv->host->log(srv->host, POUCH_LOG_INFO, "API listening on %s%s", l->spec.uri, l->tls ? " (TLS)" : "");
    }
    return 0;
}

static void moby_stop(void *state)
{
    struct server *srv = state;
    if (!srv || !srv->started)
        return;
    /* Stop accepting first, then end the streams that would otherwise keep
     * their connection threads (and so MHD_stop_daemon) waiting forever. */
    for (size_t i = 0; i < srv->n_listeners; i++)
        if (srv->listeners[i].mhd)
            MHD_quiesce_daemon(srv->listeners[i].mhd);
    events_stop_all(srv);
    attach_stop_all(srv);
    for (size_t i = 0; i < srv->n_listeners; i++) {
        struct listener *l = &srv->listeners[i];
        if (l->mhd)
            MHD_stop_daemon(l->mhd);
        l->mhd = NULL;
        /* A quiesced daemon leaves the listening socket to us. */
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
        listener_remove_socket(l);
    }
    srv->started = false;
}

static void server_free(struct server *srv)
{
    if (!srv)
        return;
    moby_stop(srv);
    free(srv->listeners);
    free(srv->socket_group);
    free(srv->tls_key);
    free(srv->tls_cert);
    free(srv->tls_ca);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

static void moby_fini(void *state)
{
    server_free(state);
}

static const pouch_frontend_ops moby_ops = {
    .size = sizeof(pouch_frontend_ops),
    .start = moby_start,
    .stop = moby_stop,
};

static const pouch_plugin_descriptor moby_descriptor = {
    .size = sizeof(pouch_plugin_descriptor),
    .abi_major = POUCH_ABI_MAJOR,
    .abi_minor = POUCH_ABI_MINOR,
    .name = "moby-api",
    .version = MOBY_API_PLUGIN_VERSION,
    .license = "Apache-2.0",
    .summary = "Docker Engine REST API v1.41 on unix and tcp(+TLS) sockets",
    .kind = POUCH_KIND_FRONTEND,
    .init = moby_init,
    .fini = moby_fini,
    .ops = &moby_ops,
};

POUCH_PLUGIN_DEFINE(moby_descriptor)
