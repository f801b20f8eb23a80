/* event-logger: an example out-of-tree pouch plugin. It is a monitor that
 * writes one log line per engine event through the host's logger. It uses
 * nothing but the installed SDK (pkg-config pouch-plugin). */
#include <errno.h>
#include <stdlib.h>

#include <pouch/host.h>
#include <pouch/monitor.h>
#include <pouch/plugin.h>

struct logger {
    const pouch_host *host;
    unsigned long seen;
};

static int32_t logger_init(const pouch_host *host, void **ret_state)
{
    struct logger *l = calloc(1, sizeof(*l));
    if (!l)
        return host->error(host, -ENOMEM, "event-logger: out of memory");
    l->host = host;
    host->log(host, POUCH_LOG_INFO, "event-logger started (host ABI %u.%u)", host->abi_major, host->abi_minor);
    *ret_state = l;
    return 0;
}

static void logger_fini(void *state)
{
    struct logger *l = state;
    l->host->log(l->host, POUCH_LOG_INFO, "event-logger stopped after %lu events", l->seen);
    free(l);
}

/* Runs on the publisher's thread: log and return, never block. */
static void logger_on_event(void *state, const pouch_event *ev)
{
    struct logger *l = state;
    l->seen++;
    l->host->log(l->host, POUCH_LOG_INFO, "event type=%s action=%s actor=%s attributes=%s", ev->type, ev->action,
                 ev->actor_id ? ev->actor_id : "", ev->attributes ? ev->attributes : "{}");
    if (POUCH_HOST_HAS(l->host, metric_add))
        l->host->metric_add(l->host, "pouch_example_events_total", NULL, 1);
}

static const pouch_monitor_ops ops = {
    sizeof(pouch_monitor_ops), /* size */
    0,                         /* reserved */
    logger_on_event,           /* on_event */
};

static const pouch_plugin_descriptor descriptor = {
    sizeof(pouch_plugin_descriptor), /* size */
    POUCH_ABI_MAJOR,                 /* abi_major */
    POUCH_ABI_MINOR,                 /* abi_minor */
    "event-logger",                  /* name */
    "1.0.0",                         /* version */
    "Apache-2.0",                    /* license */
    "logs every engine event",       /* summary */
    POUCH_KIND_MONITOR,              /* kind */
    0,                               /* flags */
    logger_init,                     /* init */
    logger_fini,                     /* fini */
    &ops,                            /* ops */
};

POUCH_PLUGIN_DEFINE(descriptor)
