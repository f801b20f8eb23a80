/* docker exec and the running-container operations (pause, update, stats,
 * top): the engine side, between the engine API and the runtime's 1.1
 * methods. Exec records live in memory only, as dockerd keeps them. */
#ifndef POUCH_CONTAINERS_EXEC_H
#define POUCH_CONTAINERS_EXEC_H

#include "container.h"

/* exec.c */
int ctr_exec_create(struct container_store *s, const char *ref, json_t *body, json_t **ret);
/* Hand the exec to the runtime (not started): {"path","tty","exec","detach_keys"}. */
int ctr_exec_prepare(struct container_store *s, const char *exec_id, json_t **ret);
int ctr_exec_start(struct container_store *s, const char *exec_id);
int ctr_exec_inspect(struct container_store *s, const char *exec_id, json_t **ret);
int ctr_exec_resize(struct container_store *s, const char *exec_id, int rows, int cols);
/* IDs of the container's execs that have not ended, or JSON null (for inspect's ExecIDs). */
json_t *ctr_exec_ids(const char *container_id);
/* The container is removed: its exec records go with it. */
void ctr_exec_forget(const char *container_id);
/* Stop the exit watcher (the daemon stops; exec processes keep running). */
void ctr_exec_shutdown(void);

/* ops.c */
int ctr_pause(struct container_store *s, const char *ref);
int ctr_unpause(struct container_store *s, const char *ref);
int ctr_update(struct container_store *s, const char *ref, json_t *body, json_t **ret);
int ctr_stats(struct container_store *s, const char *ref, json_t **ret);
int ctr_top(struct container_store *s, const char *ref, const char *ps_args, json_t **ret);

#endif
