/* Plugin life cycle: give each chosen plugin its directories and host table,
 * init back ends then front ends, start front ends; and the reverse. A
 * failure leaves the already-started ones for plugins_stop_frontends and
 * plugins_fini to unwind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/frontend.h>
#include <pouch/monitor.h>

#include "cleanup.h"
#include "daemon.h"
#include "error.h"
#include "log.h"

/* Directories, config section and host table of one chosen plugin. */
int plugin_prepare(struct daemon *d, struct plugin *p)
{
    if (asprintf(&p->state_dir, "%s/plugins/%s", d->cfg.data_root, p->name) < 0 ||
        asprintf(&p->run_dir, "%s/plugins/%s", d->cfg.exec_root, p->name) < 0)
        return err_set(-ENOMEM, "plugin %s: out of memory", p->name);
    int r = mkdir_p(p->state_dir, 0700);
    if (r >= 0)
        r = mkdir_p(p->run_dir, 0700);
    if (r < 0)
        return err_set(r, "plugin %s: cannot create its directories under %s and %s: %s", p->name, d->cfg.data_root,
                       d->cfg.exec_root, strerror(-r));
    p->config_json = config_plugin_section(&d->cfg, p->name);
    host_setup(p, d);
    return 0;
}

static void monitor_event(void *user, const pouch_event *ev)
{
    struct plugin *p = user;
    const pouch_monitor_ops *ops = p->desc.ops;
    if (POUCH_HAS(ops, pouch_monitor_ops, on_event) && ops->on_event)
        ops->on_event(p->state, ev);
}

static int init_plugin(struct daemon *d, struct plugin *p)
{
    err_clear();
    if (p->desc.init) {
        int r = p->desc.init(&p->host, &p->state);
        if (r < 0) {
            _cleanup_free_ char *why = strdup(err_get());
            return err_set(r, "plugin %s (%s) failed to start: %s", p->name, p->file,
                           why && why[0] ? why : strerror(-r));
        }
    }
    p->initialized = true;
    log_debug("plugin %s %s (%s, ABI %u.%u) initialised from %s", p->name, p->desc.version,
              plugin_kind_name(p->desc.kind), p->desc.abi_major, p->desc.abi_minor, p->file);
    if (p->desc.kind == POUCH_KIND_MONITOR)
        return event_bus_subscribe(d->bus, -1, monitor_event, p, true, &p->monitor_subscription);
    return 0;
}

void plugins_stop_frontends(struct daemon *d)
{
    for (size_t i = d->plugins.n; i-- > 0;) {
        struct plugin *p = d->plugins.v[i];
        const pouch_frontend_ops *ops = p->desc.ops;
        if (p->started && POUCH_HAS(ops, pouch_frontend_ops, stop) && ops->stop)
            ops->stop(p->state);
        p->started = false;
    }
}

void plugins_fini(struct daemon *d)
{
    for (size_t i = d->plugins.n; i-- > 0;) {
        struct plugin *p = d->plugins.v[i];
        if (!p->initialized)
            continue;
        if (p->monitor_subscription)
            event_bus_unsubscribe(d->bus, p->monitor_subscription);
        if (p->desc.fini)
            p->desc.fini(p->state);
        p->initialized = false;
        log_debug("plugin %s stopped", p->name);
    }
}

/* Init back ends in load order, then front ends; start nothing yet. */
int plugins_init(struct daemon *d)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < d->plugins.n; i++) {
            struct plugin *p = d->plugins.v[i];
            if ((p->desc.kind == POUCH_KIND_FRONTEND) != (pass == 1))
                continue;
            int r = init_plugin(d, p);
            if (r < 0)
                return r;
        }
    return 0;
}

/* Open the front ends to clients: the last step of start-up. */
int plugins_serve(struct daemon *d)
{
    for (size_t i = 0; i < d->plugins.n; i++) {
        struct plugin *p = d->plugins.v[i];
        const pouch_frontend_ops *ops = p->desc.ops;
        if (p->desc.kind != POUCH_KIND_FRONTEND || !POUCH_HAS(ops, pouch_frontend_ops, start) || !ops->start)
            continue;
        err_clear();
        int r = ops->start(p->state);
        if (r < 0) {
            _cleanup_free_ char *why = strdup(err_get());
            return err_set(r, "plugin %s (%s) failed to start serving: %s", p->name, p->file,
                           why && why[0] ? why : strerror(-r));
        }
        p->started = true;
    }
    return 0;
}

int plugins_start(struct daemon *d)
{
    int r = plugins_init(d);
    return r < 0 ? r : plugins_serve(d);
}

void plugins_publish_enabled(struct daemon *d)
{
    for (size_t i = 0; i < d->plugins.n; i++) {
        struct plugin *p = d->plugins.v[i];
        json_t *attrs = json_pack("{s:s, s:s, s:s}", "name", p->name, "kind", plugin_kind_name(p->desc.kind), "version",
                                  p->desc.version ? p->desc.version : "");
        _cleanup_free_ char *text = json_dumps(attrs, JSON_COMPACT);
        json_decref(attrs);
        pouch_event ev = {.size = sizeof(ev),
                          .type = "plugin",
                          .action = "enable",
                          .actor_id = p->name,
                          .attributes = text,
                          .scope = "local"};
        event_bus_publish(d->bus, &ev);
    }
}
