/* A container's stdio: attach, tty resize and logs. Only hands out where
 * the bytes are; copying them is the front end's and the runtime's job. */
#include "lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <pouch/log.h>
#include <pouch/runtime.h>

#include "cleanup.h"
#include "daemon.h"
#include "error.h"
#include "label-filter.h"
#include "layer-store.h"
#include "lifecycle-internal.h"
#include "log.h"
#include "rootfs.h"
#include "spec.h"
#include "sysinfo.h"
#include "views.h"

/* --- stdio, logs -------------------------------------------------------- */

int ctr_attach(struct container_store *s, const char *ref, json_t **ret)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    if (c->status == STATUS_EXITED || c->status == STATUS_DEAD)
        r = err_set(-EBUSY, "You cannot attach to a stopped container, start it first");
    else if (c->status == STATUS_CREATED && ctr_prepare(s, c) < 0) {
        /* docker run attaches before it starts: a container that cannot be
         * set up still attaches (to nothing), and start reports the error,
         * whose text decides docker's exit code (126/127). */
        log_debug("container %.12s: attach before start: %s", c->id, err_get());
        pthread_mutex_lock(&s->lock);
        *ret = json_pack("{s:s, s:b, s:b}", "path", "", "tty", json_is_true(json_object_get(cfg_of(c), "Tty")),
                         "stdin_once", json_is_true(json_object_get(cfg_of(c), "StdinOnce")));
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_unlock(&c->op);
        container_unref(s, c);
        return 0;
    }
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    char *path = NULL;
    if (r >= 0)
        r = ctr_runtime_of(s, c, &rt, &ops);
    if (r >= 0)
        r = ops->attach_path(rt->state, c->id, &path);
    if (r >= 0) {
        pthread_mutex_lock(&s->lock);
        *ret = json_pack("{s:s, s:b, s:b}", "path", path, "tty", json_is_true(json_object_get(cfg_of(c), "Tty")),
                         "stdin_once", json_is_true(json_object_get(cfg_of(c), "StdinOnce")));
        ctr_event(s, c, "attach", NULL);
        pthread_mutex_unlock(&s->lock);
        ops->free(rt->state, path);
    }
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_resize(struct container_store *s, const char *ref, int rows, int cols)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    if (!c->prepared)
        r = err_set(-EBUSY, "Container %s is not running", c->id);
    else if ((r = ctr_runtime_of(s, c, &rt, &ops)) >= 0)
        r = ops->resize(rt->state, c->id, rows, cols);
    container_unref(s, c);
    return r;
}

int ctr_logs(struct container_store *s, const char *ref, json_t *options, int out_fd, const volatile int32_t *stop)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    const char *driver = json_string_value(json_object_get(json_object_get(hc_of(c), "LogConfig"), "Type"));
    char path[4200];
    snprintf(path, sizeof(path), "%s", json_string_value(json_object_get(c->rec, "LogPath")) ?: "");
    json_auto_t *opts = json_deep_copy(options);
    json_object_set_new(opts, "raw", json_boolean(json_is_true(json_object_get(cfg_of(c), "Tty"))));
    bool running = c->status == STATUS_RUNNING || c->status == STATUS_RESTARTING || c->status == STATUS_CREATED;
    if (!running) /* nothing more will come: a follower drains and ends */
        json_object_set_new(opts, "follow", json_false());
    pthread_mutex_unlock(&s->lock);
    struct plugin *lp = driver && strcmp(driver, "none") ? ctr_log_plugin(s, driver) : NULL;
    const pouch_log_ops *ops = lp ? lp->desc.ops : NULL;
    if (!ops || !POUCH_HAS(ops, pouch_log_ops, read) || !ops->read)
        r = err_set(-ENOTSUP, "configured logging driver does not support reading");
    else {
        _cleanup_free_ char *text = json_dumps(opts, JSON_COMPACT);
        r = ops->read(lp->state, path, text, out_fd, stop);
    }
    container_unref(s, c);
    return r;
}
