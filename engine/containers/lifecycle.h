/* Container life cycle: create, start, stop, kill, wait, remove, rename,
 * exits and restart policies, and re-attaching after a daemon restart. */
#ifndef POUCH_CONTAINERS_LIFECYCLE_H
#define POUCH_CONTAINERS_LIFECYCLE_H

#include "container.h"

int ctr_create(struct container_store *s, const char *name, json_t *body, json_t **ret);
int ctr_start(struct container_store *s, const char *ref);
int ctr_stop(struct container_store *s, const char *ref, int timeout);
int ctr_kill(struct container_store *s, const char *ref, const char *signal);
int ctr_restart(struct container_store *s, const char *ref, int timeout);
int ctr_wait(struct container_store *s, const char *ref, const char *condition, json_t **ret);
int ctr_remove(struct container_store *s, const char *ref, bool force);
int ctr_rename(struct container_store *s, const char *ref, const char *name);
int ctr_attach(struct container_store *s, const char *ref, json_t **ret);
int ctr_resize(struct container_store *s, const char *ref, int rows, int cols);
int ctr_logs(struct container_store *s, const char *ref, json_t *options, int out_fd, const volatile int32_t *stop);
int ctr_prune(struct container_store *s, json_t *filters, json_t **ret);

/* Runtimes report exits here (any thread). */
void ctr_exited(struct container_store *s, const char *id, const char *status_json);
/* Start the exit/restart worker and reconcile records with the runtimes
 * (live restore). Called once plugins are up. */
int ctr_restore(struct container_store *s);
/* Release every blocked wait (the daemon is stopping), before front ends stop. */
void ctr_wake_waiters(struct container_store *s);
/* Stop the worker (containers keep running). */
void ctr_shutdown(struct container_store *s);
/* For the image store: is image id used by a container? */
bool ctr_image_used(void *user, const char *id, char *ret_container, size_t cap);

#endif
