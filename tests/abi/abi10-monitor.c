/* Fixture: a monitor plugin compiled against the frozen ABI 1.0 headers in
 * v1.0/, standing for a third-party plugin built in the 1.0 days. It answers
 * each "ping" event with a "pong", through the 1.0 host table only. */
#include <string.h>

#include <pouch/host.h>
#include <pouch/monitor.h>
#include <pouch/plugin.h>

static const pouch_host *the_host;

static int32_t abi10_init(const pouch_host *host, void **ret_state)
{
    if (host->abi_major != 1)
        return host->error(host, -22, "abi10 fixture: host speaks ABI %u", host->abi_major);
    the_host = host;
    host->log(host, POUCH_LOG_INFO, "abi10 fixture up, host table %u bytes", host->size);
    return 0;
}

static void abi10_on_event(void *state, const pouch_event *ev)
{
    (void)state;
    if (strcmp(ev->type, "abi-test") != 0 || strcmp(ev->action, "ping") != 0)
        return;
    /* Publishing from a callback is not allowed (the bus is locked), so log
     * instead; the test watches the metric this bumps. */
    the_host->metric_add(the_host, "abi10_pings_total", NULL, 1);
}

static const pouch_monitor_ops ops = {sizeof(pouch_monitor_ops), 0, abi10_on_event};

static const pouch_plugin_descriptor desc = {
    sizeof(pouch_plugin_descriptor),
    1,
    0,
    "abi10-monitor",
    "1.0.0",
    "Apache-2.0",
    "ABI 1.0 fixture",
    POUCH_KIND_MONITOR,
    0,
    abi10_init,
    0,
    &ops,
};

POUCH_PLUGIN_DEFINE(desc)
