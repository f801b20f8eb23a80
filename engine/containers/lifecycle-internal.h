/* Shared by the files of the container life cycle (lifecycle.c, create.c,
 * exits.c, stdio.c); nothing outside engine/containers includes it. The
 * locking rules are lifecycle.c's. */
#ifndef POUCH_CONTAINERS_LIFECYCLE_INTERNAL_H
#define POUCH_CONTAINERS_LIFECYCLE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "container.h"
#include "events.h"
#include "loader.h"

#define DEFAULT_RUNTIME "runtime-ns"
#define INIT_BINARY "/usr/bin/tini-static"

#define now_ns now_nano

static inline json_t *hc_of(struct container *c)
{
    return json_object_get(c->rec, "HostConfig");
}

static inline json_t *cfg_of(struct container *c)
{
    return json_object_get(c->rec, "Config");
}

struct pouch_runtime_ops;

/* Publish a container event (store lock held); takes extra. */
void ctr_event(struct container_store *s, struct container *c, const char *action, json_t *extra);
/* The same, taking the store lock around it. */
void ctr_event_locking(struct container_store *s, struct container *c, const char *action, json_t *extra);
struct plugin *ctr_find_plugin(struct daemon *d, uint32_t kind, const char *name);
int ctr_runtime_of(struct container_store *s, struct container *c, struct plugin **ret_p,
                   const struct pouch_runtime_ops **ret_ops);
struct plugin *ctr_log_plugin(struct container_store *s, const char *driver);

/* The daemon's own bounding set as capability names: what --privileged
 * (and a privileged exec) gets here, no more. */
json_t *ctr_own_bounding_caps(void);

/* With c's op mutex held: */
int ctr_prepare(struct container_store *s, struct container *c);
void ctr_unprepare(struct container_store *s, struct container *c);
int ctr_start_locked(struct container_store *s, struct container *c);
int ctr_remove_locked(struct container_store *s, struct container *c);
int ctr_send_signal(struct container_store *s, struct container *c, int sig);
/* Store lock held: wait until c is not running, or timeout_ms. */
bool ctr_wait_not_running(struct container_store *s, struct container *c, int timeout_ms);

/* exits.c: nudge the exit worker (store lock held). */
void ctr_worker_wake(void);

#endif
