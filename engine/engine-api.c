/* The engine API lent to frontends: system facts as JSON text. Holds the
 * config lock only while copying, so a slow client never blocks a reload. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/engine.h>

#include "build-config.h"
#include "daemon.h"
#include "error.h"
#include "sysinfo.h"

static struct daemon *daemon_of(const pouch_host *h)
{
    return h && h->ctx ? ((struct plugin *)h->ctx)->daemon : NULL;
}

static int32_t dump(json_t *obj, char **ret_json)
{
    if (!ret_json) {
        json_decref(obj);
        return err_set(-EINVAL, "engine API: ret_json is required");
    }
    char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!s)
        return err_set(-ENOMEM, "engine API: out of memory");
    *ret_json = s;
    return 0;
}

static json_t *plugin_list(struct daemon *d)
{
    json_t *list = json_array();
    for (size_t i = 0; i < d->plugins.n; i++) {
        const struct plugin *p = d->plugins.v[i];
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:s}", "Name", p->name, "Kind", plugin_kind_name(p->desc.kind),
                                        "Version", p->desc.version ? p->desc.version : "", "File", p->file));
    }
    return list;
}

static int32_t e_version(const pouch_host *h, char **ret_json)
{
    struct daemon *d = daemon_of(h);
    if (!d)
        return err_set(-EINVAL, "engine API: no host");
    json_t *components = json_array();
    for (size_t i = 0; i < d->plugins.n; i++) {
        const struct plugin *p = d->plugins.v[i];
        char abi[32];
        snprintf(abi, sizeof(abi), "%u.%u", p->desc.abi_major, p->desc.abi_minor);
        json_array_append_new(components, json_pack("{s:s, s:s, s:{s:s, s:s}}", "Name", p->name, "Version",
                                                    p->desc.version ? p->desc.version : "", "Details", "Kind",
                                                    plugin_kind_name(p->desc.kind), "PluginABI", abi));
    }
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "Version", POUCH_VERSION, "GitCommit",
                          POUCH_GIT_COMMIT, "BuildTime", POUCH_BUILD_TIME, "Compiler", POUCH_COMPILER, "KernelVersion",
                          sysinfo_kernel_version(), "Os", "linux", "Arch", sysinfo_arch(), "Components", components);
    return dump(v, ret_json);
}

static int32_t e_info(const pouch_host *h, char **ret_json)
{
    struct daemon *d = daemon_of(h);
    if (!d)
        return err_set(-EINVAL, "engine API: no host");
    json_t *info = json_object();
    sysinfo_fill(info);
    pthread_mutex_lock(&d->cfg_lock);
    json_object_set_new(info, "ID", json_string(d->engine_id));
    json_object_set_new(info, "DataRoot", json_string(d->cfg.data_root));
    json_object_set_new(info, "ExecRoot", json_string(d->cfg.exec_root));
    json_object_set_new(info, "Debug", json_boolean(d->cfg.debug));
    json_object_set(info, "Labels", json_object_get(d->cfg.root, "labels"));
    json_object_set_new(info, "UsernsRemap", json_boolean(d->remap != NULL)); /* docker info: name=userns */
    pthread_mutex_unlock(&d->cfg_lock);
    json_object_set_new(info, "NEventsListener", json_integer(event_bus_listeners(d->bus)));
    json_object_set_new(info, "Plugins", plugin_list(d));
    json_int_t total = 0, running = 0, paused = 0;
    if (d->containers) {
        pthread_mutex_lock(&d->containers->lock);
        total = (json_int_t)d->containers->n;
        for (size_t i = 0; i < d->containers->n; i++) {
            running += d->containers->v[i]->status == STATUS_RUNNING;
            paused += d->containers->v[i]->status == STATUS_PAUSED;
        }
        pthread_mutex_unlock(&d->containers->lock);
    }
    json_object_set_new(info, "Containers",
                        json_pack("{s:I, s:I, s:I, s:I}", "Total", total, "Running", running, "Paused", paused,
                                  "Stopped", total - running - paused));
    json_int_t n_images = 0;
    if (d->images) {
        pthread_rwlock_rdlock(&d->images->lock);
        n_images = (json_int_t)d->images->n;
        pthread_rwlock_unlock(&d->images->lock);
    }
    json_object_set_new(info, "Images", json_integer(n_images));
    json_object_set_new(info, "Warnings", json_array());
    json_object_set_new(info, "ServerVersion", json_string(POUCH_VERSION));
    return dump(info, ret_json);
}

static int32_t e_daemon_config(const pouch_host *h, char **ret_json)
{
    struct daemon *d = daemon_of(h);
    if (!d)
        return err_set(-EINVAL, "engine API: no host");
    pthread_mutex_lock(&d->cfg_lock);
    json_t *copy = json_deep_copy(d->cfg.root);
    pthread_mutex_unlock(&d->cfg_lock);
    json_object_del(copy, "plugin-config");
    return dump(copy, ret_json);
}

#include "container-api.h"
#include "container-fs-api.h"
#include "exec-api.h"
#include "image-api.h"

const pouch_engine_api engine_api = {
    .size = sizeof(pouch_engine_api),
    .version = e_version,
    .info = e_info,
    .daemon_config = e_daemon_config,
    IMAGE_API_ENTRIES,
    CONTAINER_API_ENTRIES,
    CONTAINER_FS_API_ENTRIES,
    CONTAINER_OPS_API_ENTRIES,
    EXEC_API_ENTRIES,
};
