/* Exits and restart policies, and finding containers again after a daemon
 * restart. Runtimes report exits from their own threads; one worker here
 * records them (so waiters see them at once), releases the runtime's
 * resources, and restarts by policy with dockerd's back-off. */
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
#include "exec.h"
#include "label-filter.h"
#include "layer-store.h"
#include "lifecycle-internal.h"
#include "log.h"
#include "rootfs.h"
#include "spec.h"
#include "sysinfo.h"
#include "views.h"

struct exit_item {
    struct exit_item *next;
    char id[CONTAINER_ID_LEN];
    json_t *status;
};

/* The worker that turns exits into state and applies restart policies. */
static struct {
    pthread_t thread;
    bool running, stopping;
    pthread_cond_t wake;
    struct exit_item *head, *tail;
} worker = {.wake = PTHREAD_COND_INITIALIZER};

void ctr_worker_wake(void)
{
    pthread_cond_signal(&worker.wake);
}

/* --- exits and restart policies -------------------------------------- */

void ctr_exited(struct container_store *s, const char *id, const char *status_json)
{
    struct exit_item *it = calloc(1, sizeof(*it));
    if (!it)
        return;
    snprintf(it->id, sizeof(it->id), "%s", id);
    it->status = status_json ? json_loads(status_json, 0, NULL) : NULL;
    if (!it->status)
        it->status = json_object();
    pthread_mutex_lock(&s->lock);
    if (worker.tail)
        worker.tail->next = it;
    else
        worker.head = it;
    worker.tail = it;
    pthread_cond_signal(&worker.wake);
    pthread_mutex_unlock(&s->lock);
}

static bool should_restart(struct container *c, int exit_code)
{
    json_t *rp = json_object_get(hc_of(c), "RestartPolicy");
    const char *name = json_string_value(json_object_get(rp, "Name"));
    if (!name || c->manually_stopped || worker.stopping)
        return false;
    if (!strcmp(name, "always") || !strcmp(name, "unless-stopped"))
        return true;
    if (!strcmp(name, "on-failure")) {
        json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
        json_int_t count = json_integer_value(json_object_get(c->rec, "RestartCount"));
        return exit_code != 0 && (max == 0 || count < max);
    }
    return false;
}

/* Phase 1 of an exit, store lock held: record it so waiters see it at once. */
static void record_exit(struct container_store *s, struct container *c, json_t *status)
{
    int code = (int)json_integer_value(json_object_get(status, "exit_code"));
    bool oom = json_is_true(json_object_get(status, "oom_killed"));
    int64_t fin = json_integer_value(json_object_get(status, "finished_at"));
    char finished[64];
    format_time(fin > 0 ? fin : now_ns(), finished, sizeof(finished));
    json_t *st = json_object_get(c->rec, "State");
    json_object_set_new(st, "ExitCode", json_integer(code));
    json_object_set_new(st, "OOMKilled", json_boolean(oom));
    json_object_set_new(st, "FinishedAt", json_string(finished));
    const char *err = json_string_value(json_object_get(status, "error"));
    json_object_set_new(st, "Error", json_string(err ? err : ""));
    int64_t started = parse_time(json_string_value(json_object_get(st, "StartedAt")));
    bool restart = should_restart(c, code);
    if (restart) {
        /* dockerd's back-off: 100 ms doubling to 1 min, reset after 10 s of running */
        if (started > 0 && (fin > 0 ? fin : now_ns()) - started >= 10LL * 1000000000LL)
            c->restart_delay_ms = 0;
        c->restart_delay_ms = c->restart_delay_ms ? c->restart_delay_ms * 2 : 100;
        if (c->restart_delay_ms > 60000)
            c->restart_delay_ms = 60000;
        c->restart_at = now_ns() + (int64_t)c->restart_delay_ms * 1000000LL;
        c->status = STATUS_RESTARTING;
    } else {
        c->status = STATUS_EXITED;
        c->restart_at = 0;
    }
    c->pid = 0;
    c->exits++;
    container_sync_state(c);
    container_save(s, c);
    /* The runtime reports an exit once the output is drained: tell log
     * followers that nothing more will come (log.h's "<path>.closed"). */
    const char *log_path = json_string_value(json_object_get(c->rec, "LogPath"));
    if (log_path && *log_path) {
        char marker[4200];
        snprintf(marker, sizeof(marker), "%s.closed", log_path);
        int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    pthread_cond_broadcast(&s->changed);
    char code_text[16];
    snprintf(code_text, sizeof(code_text), "%d", code);
    if (oom)
        ctr_event(s, c, "oom", NULL);
    ctr_event(s, c, "die", json_pack("{s:s}", "exitCode", code_text));
}

/* Phase 2, op held: release the runtime's resources, then --rm or restart. */
static void finish_exit(struct container_store *s, struct container *c, uint64_t starts_at_exit)
{
    pthread_mutex_lock(&c->op);
    if (!c->removed && c->starts == starts_at_exit && c->status != STATUS_RUNNING) {
        ctr_unprepare(s, c);
        if (json_is_true(json_object_get(hc_of(c), "AutoRemove")) && c->status == STATUS_EXITED)
            ctr_remove_locked(s, c);
    }
    pthread_mutex_unlock(&c->op);
}

/* Restart containers whose back-off is due. */
static void run_due_restarts(struct container_store *s)
{
    for (;;) {
        struct container *due = NULL;
        pthread_mutex_lock(&s->lock);
        int64_t now = now_ns();
        for (size_t i = 0; i < s->n && !due; i++)
            if (s->v[i]->status == STATUS_RESTARTING && s->v[i]->restart_at && s->v[i]->restart_at <= now) {
                due = s->v[i];
                due->refs++;
                due->restart_at = 0;
            }
        pthread_mutex_unlock(&s->lock);
        if (!due)
            return;
        pthread_mutex_lock(&due->op);
        if (!due->removed && due->status == STATUS_RESTARTING) {
            pthread_mutex_lock(&s->lock);
            json_object_set_new(due->rec, "RestartCount",
                                json_integer(json_integer_value(json_object_get(due->rec, "RestartCount")) + 1));
            pthread_mutex_unlock(&s->lock);
            if (ctr_start_locked(s, due) < 0)
                log_warn("container %.12s: restart failed: %s", due->id, err_get());
        }
        pthread_mutex_unlock(&due->op);
        container_unref(s, due);
    }
}

static void *worker_main(void *arg)
{
    struct container_store *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!worker.stopping) {
        struct exit_item *it = worker.head;
        struct container *starting = NULL;
        if (it && container_lookup(s, it->id, &starting) >= 0 && starting->starting) {
            /* its start has not finished yet: look again shortly */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 10 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&worker.wake, &s->lock, &ts);
            continue;
        }
        if (it) {
            worker.head = it->next;
            if (!worker.head)
                worker.tail = NULL;
            struct container *c = NULL;
            uint64_t starts = 0;
            if (container_lookup(s, it->id, &c) >= 0 && strcmp(c->id, it->id) == 0 && container_running(c)) {
                record_exit(s, c, it->status);
                c->refs++;
                starts = c->starts;
            } else {
                c = NULL;
            }
            pthread_mutex_unlock(&s->lock);
            if (c) {
                finish_exit(s, c, starts);
                container_unref(s, c);
            }
            json_decref(it->status);
            free(it);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        pthread_mutex_unlock(&s->lock);
        run_due_restarts(s);
        pthread_mutex_lock(&s->lock);
        if (worker.head || worker.stopping)
            continue;
        int64_t next = 0;
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i]->restart_at && (!next || s->v[i]->restart_at < next))
                next = s->v[i]->restart_at;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t deadline = next ? next : (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + 1000000000LL;
        ts.tv_sec = deadline / 1000000000LL;
        ts.tv_nsec = deadline % 1000000000LL;
        pthread_cond_timedwait(&worker.wake, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* --- live restore ------------------------------------------------------------ */

/* What every runtime still has: {"id": state object}. */
static json_t *runtime_inventory(struct container_store *s)
{
    json_t *all = json_object();
    struct daemon *d = s->daemon;
    for (size_t i = 0; i < d->plugins.n; i++) {
        struct plugin *p = d->plugins.v[i];
        const pouch_runtime_ops *ops = p->desc.ops;
        char *text = NULL;
        if (p->desc.kind != POUCH_KIND_RUNTIME || !POUCH_HAS(ops, pouch_runtime_ops, free) || !ops->list ||
            ops->list(p->state, &text) < 0)
            continue;
        json_auto_t *list = json_loads(text, 0, NULL);
        ops->free(p->state, text);
        size_t k;
        json_t *e;
        json_array_foreach(list, k, e)
        {
            const char *id = json_string_value(json_object_get(e, "id"));
            if (id)
                json_object_set(all, id, e);
        }
    }
    return all;
}

int ctr_restore(struct container_store *s)
{
    json_auto_t *inv = runtime_inventory(s);
    json_auto_t *to_start = json_array();
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        struct container *c = s->v[i];
        json_t *st = json_object_get(inv, c->id);
        const char *rs = json_string_value(json_object_get(st, "status"));
        bool was_running = container_running(c);
        if (st && rs && (!strcmp(rs, "running") || !strcmp(rs, "paused"))) {
            c->prepared = true;
            c->rootfs_mounted = true;
            c->status = !strcmp(rs, "paused") ? STATUS_PAUSED : STATUS_RUNNING;
            c->pid = (int)json_integer_value(json_object_get(st, "pid"));
            container_sync_state(c);
            continue;
        }
        if (st) {
            c->prepared = true;
            c->rootfs_mounted = true;
        }
        if (was_running) {
            /* It ended while pouchd was away: its real status if the runtime kept it. */
            json_t *status = st ? json_pack("{s:O, s:O, s:O}", "exit_code", json_object_get(st, "exit_code"),
                                            "oom_killed", json_object_get(st, "oom_killed") ?: json_false(),
                                            "finished_at", json_object_get(st, "finished_at") ?: json_integer(0))
                                : json_pack("{s:i, s:s}", "exit_code", 255, "error",
                                            "the container's monitor was not found after the daemon restarted");
            c->status = STATUS_RUNNING; /* so the exit is processed like any other */
            _cleanup_free_ char *text = json_dumps(status, JSON_COMPACT);
            json_decref(status);
            pthread_mutex_unlock(&s->lock);
            ctr_exited(s, c->id, text);
            pthread_mutex_lock(&s->lock);
        } else if (c->status == STATUS_EXITED) {
            const char *policy = json_string_value(json_object_get(json_object_get(hc_of(c), "RestartPolicy"), "Name"));
            if (policy && (!strcmp(policy, "always") || (!strcmp(policy, "unless-stopped") && !c->manually_stopped)))
                json_array_append_new(to_start, json_string(c->id));
        }
    }
    worker.stopping = false;
    int r = pthread_create(&worker.thread, NULL, worker_main, s);
    worker.running = r == 0;
    pthread_mutex_unlock(&s->lock);
    if (r != 0)
        return err_set(-r, "container store: cannot start its worker thread");
    size_t k;
    json_t *id;
    json_array_foreach(to_start, k, id) if (ctr_start(s, json_string_value(id)) < 0)
        log_warn("container %.12s: restart at boot failed: %s", json_string_value(id), err_get());
    return 0;
}

void ctr_wake_waiters(struct container_store *s)
{
    pthread_mutex_lock(&s->lock);
    s->shutting_down = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

void ctr_shutdown(struct container_store *s)
{
    ctr_exec_shutdown();
    pthread_mutex_lock(&s->lock);
    bool running = worker.running;
    worker.stopping = true;
    pthread_cond_broadcast(&worker.wake);
    pthread_mutex_unlock(&s->lock);
    if (running)
        pthread_join(worker.thread, NULL);
    worker.running = false;
    while (worker.head) {
        struct exit_item *it = worker.head;
        worker.head = it->next;
        json_decref(it->status);
        free(it);
    }
    worker.tail = NULL;
}
