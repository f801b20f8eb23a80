/* The container model: one record per container, kept as the JSON document
 * that is persisted (Config, HostConfig, State …) plus the few fields the
 * engine needs fast. Every record change is written atomically before it is
 * acknowledged. */
#ifndef POUCH_CONTAINERS_CONTAINER_H
#define POUCH_CONTAINERS_CONTAINER_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define CONTAINER_ID_LEN 65

enum container_status {
    STATUS_CREATED,
    STATUS_RUNNING,
    STATUS_PAUSED,
    STATUS_RESTARTING,
    STATUS_REMOVING,
    STATUS_EXITED,
    STATUS_DEAD,
};

struct container {
    char id[CONTAINER_ID_LEN];
    pthread_mutex_t op; /* serialises life-cycle operations on this container */
    bool prepared;      /* the runtime has it (created, maybe started) */
    bool starting;      /* between the runtime's start and our RUNNING */
    json_t *rec;        /* the persisted document; guarded by the store lock */
    enum container_status status;
    int64_t created_ns; /* the record's Created, parsed once */
    int pid;
    bool rootfs_mounted;
    bool manually_stopped; /* docker stop/kill: no restart (unless-stopped stays down) */
    bool removed;          /* gone from the store; waiters see it */
    uint64_t exits;        /* bumped on every exit, for next-exit waiters */
    uint64_t starts;
    int restart_delay_ms; /* current back-off */
    int64_t restart_at;   /* ns, when a pending restart is due (0: none) */
    unsigned refs;        /* in-flight operations holding it */
};

struct daemon;

struct container_store {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* broadcast on every state change */
    struct container **v;
    size_t n;
    int dir_fd;     /* <data-root>/containers */
    char *data_dir; /* <data-root>/containers */
    char *run_dir;  /* <exec-root>/containers */
    struct daemon *daemon;
    bool shutting_down;  /* waiters give up: the daemon is stopping */
    uint64_t generation; /* bumped by every change, for caches of views */
};

const char *container_status_name(enum container_status s);

/* Its process is alive (running or paused). Store lock held. */
static inline bool container_running(const struct container *c)
{
    return c->status == STATUS_RUNNING || c->status == STATUS_PAUSED;
}
enum container_status container_status_parse(const char *s);

/* containers.c: the store */
int container_store_open(struct daemon *d, struct container_store **ret);
void container_store_free(struct container_store *s);
/* By full ID, unique ID prefix or name (with or without "/"); store lock held. */
int container_lookup(struct container_store *s, const char *ref, struct container **ret);
/* Same, taking a reference the caller drops with container_unref. */
int container_get(struct container_store *s, const char *ref, struct container **ret);
void container_unref(struct container_store *s, struct container *c);
/* Persist c's record (store lock held). */
int container_save(struct container_store *s, struct container *c);
/* <data-root>/containers/<id>/name and <exec-root>/containers/<id>/name */
void container_data_path(struct container_store *s, const struct container *c, const char *name, char *buf, size_t cap);
void container_run_path(struct container_store *s, const struct container *c, const char *name, char *buf, size_t cap);
/* The record's State object, and helpers to set it from c's fields. */
void container_sync_state(struct container *c);
/* "/name" valid and unused (store lock held); dockerd's messages otherwise. */
int container_name_check(struct container_store *s, const char *name, const struct container *self);
void container_generate_name(struct container_store *s, char *buf, size_t cap);
int container_add(struct container_store *s, struct container *c);
void container_drop(struct container_store *s, struct container *c);
/* RFC 3339 with nanoseconds, as Go prints time.Time (0 -> 0001-01-01T00:00:00Z) */
void format_time(int64_t ns, char *buf, size_t cap);
int64_t parse_time(const char *s);

#endif
