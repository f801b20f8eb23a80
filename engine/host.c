/* The host-services table each plugin receives. Every entry checks its
 * arguments, because a plugin is third-party code: bad input from it gets
 * -EINVAL and a message, never a crash of the core. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "daemon.h"
#include "error.h"
#include "lifecycle.h"
#include "log.h"

static struct plugin *plugin_of(const pouch_host *h)
{
    return h ? (struct plugin *)h->ctx : NULL;
}

static void h_log(const pouch_host *h, int32_t level, const char *fmt, ...)
{
    struct plugin *p = plugin_of(h);
    if (!fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_writev(level, p ? p->name : "?", fmt, ap);
    va_end(ap);
}

static int32_t h_error(const pouch_host *h, int32_t err, const char *fmt, ...)
{
    if (!fmt)
        return err;
    va_list ap;
    va_start(ap, fmt);
    err_setv(err, fmt, ap);
    va_end(ap);
    return err;
}

static const char *h_last_error(const pouch_host *h)
{
    return err_get();
}

static const char *h_config(const pouch_host *h)
{
    struct plugin *p = plugin_of(h);
    return p && p->config_json ? p->config_json : "{}";
}

static const char *h_state_dir(const pouch_host *h)
{
    struct plugin *p = plugin_of(h);
    return p ? p->state_dir : NULL;
}

static const char *h_run_dir(const pouch_host *h)
{
    struct plugin *p = plugin_of(h);
    return p ? p->run_dir : NULL;
}

static int32_t h_event_publish(const pouch_host *h, const pouch_event *ev)
{
    struct plugin *p = plugin_of(h);
    if (!p || !ev || ev->size < offsetof(pouch_event, time_nano) + sizeof(int64_t))
        return err_set(-EINVAL, "event_publish: no event, or an event table smaller than ABI 1.0's");
    return event_bus_publish(p->daemon->bus, ev);
}

static int32_t h_event_subscribe(const pouch_host *h, int64_t since_nano, pouch_event_fn fn, void *user,
                                 uint64_t *ret_id)
{
    struct plugin *p = plugin_of(h);
    if (!p || !fn || !ret_id)
        return err_set(-EINVAL, "event_subscribe: callback and ret_id are required");
    return event_bus_subscribe(p->daemon->bus, since_nano, fn, user, false, ret_id);
}

static int32_t h_event_unsubscribe(const pouch_host *h, uint64_t id)
{
    struct plugin *p = plugin_of(h);
    if (!p)
        return err_set(-EINVAL, "event_unsubscribe: no host");
    return event_bus_unsubscribe(p->daemon->bus, id);
}

static int32_t h_metric_set(const pouch_host *h, const char *name, const char *labels, int64_t value)
{
    struct plugin *p = plugin_of(h);
    return p ? metrics_update(p->daemon->metrics, name, labels, value, false) : -EINVAL;
}

static int32_t h_metric_add(const pouch_host *h, const char *name, const char *labels, int64_t delta)
{
    struct plugin *p = plugin_of(h);
    return p ? metrics_update(p->daemon->metrics, name, labels, delta, true) : -EINVAL;
}

static int32_t h_container_exited(const pouch_host *h, const char *id, const char *status_json)
{
    struct plugin *p = plugin_of(h);
    if (!p || !id || !p->daemon->containers)
        return err_set(-EINVAL, "container_exited: no container id or no container store");
    ctr_exited(p->daemon->containers, id, status_json);
    return 0;
}

static void h_free(void *ptr)
{
    free(ptr);
}

void host_setup(struct plugin *p, struct daemon *d)
{
    p->daemon = d;
    p->host = (pouch_host){
        .size = sizeof(pouch_host),
        .abi_major = POUCH_ABI_MAJOR,
        .abi_minor = POUCH_ABI_MINOR,
        .ctx = p,
        .plugin_name = p->name,
        .log = h_log,
        .error = h_error,
        .last_error = h_last_error,
        .config = h_config,
        .state_dir = h_state_dir,
        .run_dir = h_run_dir,
        .event_publish = h_event_publish,
        .event_subscribe = h_event_subscribe,
        .event_unsubscribe = h_event_unsubscribe,
        .metric_set = h_metric_set,
        .metric_add = h_metric_add,
        .free = h_free,
        .engine = p->desc.kind == POUCH_KIND_FRONTEND ? &engine_api : NULL,
        .container_exited = h_container_exited,
    };
}
