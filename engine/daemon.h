/* The running daemon: its options, plugins, bus and locks, and the steps
 * that bring it up and down. One instance per process. */
#ifndef POUCH_ENGINE_DAEMON_H
#define POUCH_ENGINE_DAEMON_H

#include <pthread.h>
#include <sys/types.h>

#include <pouch/engine.h>

#include "config.h"
#include "events.h"
#include "container.h"
#include "image-store.h"
#include "loader.h"
#include "metrics.h"
#include "userns.h"

struct daemon {
    struct config cfg;
    json_t *flags;             /* borrowed from the command line, reapplied on reload */
    pthread_mutex_t cfg_lock;  /* guards cfg against a reload while it is read */
    struct plugin_set plugins; /* chosen plugins, in load order */
    struct event_bus *bus;
    struct metrics *metrics;
    struct image_store *images;
    struct container_store *containers;
    char engine_id[64];
    int lock_fd;
    int data_fd;
    int64_t started_nano;
    bool pidfile_written;
    struct userns_remap *remap; /* --userns-remap, or NULL */
};

/* Run the daemon until SIGTERM/SIGINT. Returns 0 on a clean stop, or a
 * negative errno after logging why it could not start. */
int daemon_main(struct cmdline *cmd);
/* `pouchd plugins`: print every plugin found on the search path. */
int daemon_list_plugins(struct cmdline *cmd);

/* lifecycle.c */
int plugin_prepare(struct daemon *d, struct plugin *p);
int plugins_init(struct daemon *d);
int plugins_serve(struct daemon *d);
/* plugins_init then plugins_serve */
int plugins_start(struct daemon *d);
void plugins_stop_frontends(struct daemon *d);
void plugins_fini(struct daemon *d);
void plugins_publish_enabled(struct daemon *d);

/* daemon.c: mkdir -p, the last component with mode. */
int mkdir_p(const char *path, mode_t mode);

/* host.c: fill p->host for plugin p of daemon d. */
void host_setup(struct plugin *p, struct daemon *d);
/* engine-api.c: the table lent to frontends. */
extern const pouch_engine_api engine_api;

#endif
