/* Services the pouch core lends to every plugin, passed to init.
 * A plugin uses only what is reachable from here; it links nothing from the
 * core. Check host->size (or use POUCH_HOST_HAS) before calling a member that
 * a later minor version appended. */
#ifndef POUCH_HOST_H
#define POUCH_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels, as syslog(3) numbers them. Since 1.0. */
#define POUCH_LOG_ERROR 3
#define POUCH_LOG_WARN 4
#define POUCH_LOG_INFO 6
#define POUCH_LOG_DEBUG 7

/* One event on the core's event bus. Strings are borrowed for the duration of
 * the call that passes them. */
typedef struct pouch_event {
    uint32_t size;          /* 1.0: sizeof(struct pouch_event) as built */
    uint32_t reserved;      /* 1.0: must be 0 */
    const char *type;       /* 1.0: "container", "image", "daemon", "plugin", ... */
    const char *action;     /* 1.0: "start", "reload", "enable", ... */
    const char *actor_id;   /* 1.0: id of the object the event is about */
    const char *attributes; /* 1.0: JSON object of string values, or NULL */
    const char *scope;      /* 1.0: "local" (NULL means "local") */
    int64_t time_nano;      /* 1.0: Unix time in ns; 0 on publish = now */
} pouch_event;

/* Called once per event. Runs on the publisher's thread with the bus locked:
 * it must not block and must not call the event functions. */
typedef void (*pouch_event_fn)(void *user, const pouch_event *event);

struct pouch_engine_api;

/* The host table. Each plugin gets its own instance; every function takes it
 * as first argument so the core knows which plugin is calling. */
typedef struct pouch_host {
    uint32_t size;           /* 1.0: sizeof(struct pouch_host) as the core built it */
    uint16_t abi_major;      /* 1.0: the core's POUCH_ABI_MAJOR */
    uint16_t abi_minor;      /* 1.0: the core's POUCH_ABI_MINOR */
    void *ctx;               /* 1.0: opaque to the plugin */
    const char *plugin_name; /* 1.0: the name this plugin was loaded as */

    /* 1.0: write a structured log line attributed to the plugin. */
    void (*log)(const struct pouch_host *host, int32_t level, const char *fmt, ...);
    /* 1.0: record what failed (printf-style) and return err unchanged, so a
     * plugin can `return host->error(host, -EINVAL, "...")`. The core reports
     * the message once, where the failure surfaces. */
    int32_t (*error)(const struct pouch_host *host, int32_t err, const char *fmt, ...);
    /* 1.0: message recorded by the last failing host or engine call on this
     * thread, or "" when none. Valid until the next call on this thread. */
    const char *(*last_error)(const struct pouch_host *host);
    /* 1.0: the plugin's configuration section as JSON object text ("{}" when
     * the configuration has none). Valid until fini. */
    const char *(*config)(const struct pouch_host *host);
    /* 1.0: a persistent directory owned by the plugin (under --data-root),
     * created before init. Valid until fini. */
    const char *(*state_dir)(const struct pouch_host *host);
    /* 1.0: a runtime directory owned by the plugin (under --exec-root),
     * created before init. Valid until fini. */
    const char *(*run_dir)(const struct pouch_host *host);
    /* 1.0: publish an event to every subscriber and keep it in the replay
     * buffer. Returns 0 or a negative errno. */
    int32_t (*event_publish)(const struct pouch_host *host, const pouch_event *event);
    /* 1.0: subscribe fn to events. When since_nano >= 0, buffered events with
     * time_nano >= since_nano are first replayed to fn, with no gap or
     * duplicate between replay and live delivery. *ret_id names the
     * subscription. Returns 0 or a negative errno. */
    int32_t (*event_subscribe)(const struct pouch_host *host, int64_t since_nano, pouch_event_fn fn, void *user,
                               uint64_t *ret_id);
    /* 1.0: end a subscription; once it returns fn is never called again. */
    int32_t (*event_unsubscribe)(const struct pouch_host *host, uint64_t id);
    /* 1.0: set a gauge or counter named name (Prometheus naming) with labels
     * ("k=\"v\",..." or NULL) to value. Returns 0 or a negative errno. */
    int32_t (*metric_set)(const struct pouch_host *host, const char *name, const char *labels, int64_t value);
    /* 1.0: add delta to a counter, creating it at 0. */
    int32_t (*metric_add)(const struct pouch_host *host, const char *name, const char *labels, int64_t delta);
    /* 1.0: free memory the host returned to the plugin (char **ret_json ...). */
    void (*free)(void *ptr);
    /* 1.0: the engine API (engine.h); set for frontend plugins, else NULL. */
    const struct pouch_engine_api *engine;
    /* 1.0: runtimes report that container id's process ended, from any
     * thread: status_json {"exit_code":N,"oom_killed":bool,"finished_at":ns,
     * "error":"…"}. Safe to call while the engine is calling the runtime. */
    int32_t (*container_exited)(const struct pouch_host *host, const char *id, const char *status_json);
} pouch_host;

/* True when table t (starting with uint32_t size) has member m. */
#define POUCH_HAS(t, type, m) ((t) != NULL && (t)->size >= offsetof(type, m) + sizeof((t)->m))
#define POUCH_HOST_HAS(host, m) POUCH_HAS(host, struct pouch_host, m)

#ifdef __cplusplus
}
#endif

#endif
