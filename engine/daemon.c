/* Brings pouchd up and down: lock the data root, find and check plugins,
 * init them in load order (front ends last), serve until a signal, then stop
 * front ends first and the rest in reverse. Nothing here runs per request. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "build-config.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "lifecycle.h"
#include "state-store.h"

int mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* Tell a service manager about our state, when one is listening. */
static void notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || (path[0] != '/' && path[0] != '@'))
        return;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if (len >= sizeof(sa.sun_path))
        return;
    memcpy(sa.sun_path, path, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
        log_warn("sd_notify %s to %s: %s", state, path, strerror(errno));
}

/* Take the data root's lock, so two daemons never share one store. */
static int lock_data_root(struct daemon *d)
{
    int r = mkdir_p(d->cfg.data_root, 0711);
    if (r < 0)
        return err_set(r, "data root %s: cannot create it: %s", d->cfg.data_root, strerror(-r));
    d->data_fd = open(d->cfg.data_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->data_fd < 0)
        return err_set(-errno, "data root %s: %s", d->cfg.data_root, strerror(errno));
    d->lock_fd = openat(d->data_fd, "pouchd.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0)
        return err_set(-errno, "data root %s: cannot open its lock file: %s", d->cfg.data_root, strerror(errno));
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        char pid[32] = "";
        ssize_t n = pread(d->lock_fd, pid, sizeof(pid) - 1, 0);
        if (n > 0)
            pid[strcspn(pid, "\n")] = '\0';
        return err_set(-EBUSY,
                       "data root %s is in use by another pouchd (pid %s); stop that daemon first, or give this "
                       "one its own --data-root",
                       d->cfg.data_root, pid[0] ? pid : "unknown");
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%d\n", getpid());
    if (ftruncate(d->lock_fd, 0) < 0 || pwrite(d->lock_fd, pid, (size_t)len, 0) != len)
        log_warn("data root %s: cannot record our pid in the lock file: %s", d->cfg.data_root, strerror(errno));
    return 0;
}

static int write_pidfile(const char *path)
{
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%d\n", getpid());
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, pid, (size_t)len) != len)
        return err_set(-errno, "pidfile %s: %s; check the directory exists and is writable", path, strerror(errno));
    return 0;
}

/* The engine ID: generated once, kept in the data root (what dockerd's
 * engine-id file is). */
static int load_engine_id(struct daemon *d)
{
    _cleanup_free_ char *id = NULL;
    if (state_read(d->data_fd, "engine-id", &id, NULL) >= 0 && strlen(id) > 8 && strlen(id) < sizeof(d->engine_id)) {
        id[strcspn(id, "\n")] = '\0';
        snprintf(d->engine_id, sizeof(d->engine_id), "%s", id);
        return 0;
    }
    uint8_t b[16];
    if (getrandom(b, sizeof(b), 0) != sizeof(b))
        return err_set(-EIO, "engine id: no randomness available: %s", strerror(errno));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(d->engine_id, sizeof(d->engine_id), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return state_write(d->data_fd, "engine-id", d->engine_id, strlen(d->engine_id));
}

/* SIGHUP: re-read the config file, apply what can change live, and publish
 * dockerd's daemon reload event. A bad file keeps the running config. */
static void reload(struct daemon *d)
{
    pthread_mutex_lock(&d->cfg_lock);
    int r = config_reload(&d->cfg, d->flags);
    json_t *attrs = NULL;
    if (r >= 0) {
        log_set_level(d->cfg.log_level);
        _cleanup_free_ char *labels = json_dumps(json_object_get(d->cfg.root, "labels"), JSON_COMPACT);
        attrs = json_pack("{s:s, s:s, s:s, s:s}", "debug", d->cfg.debug ? "true" : "false", "log-level",
                          log_level_name(d->cfg.log_level), "labels", labels ? labels : "[]", "config-file",
                          d->cfg.config_file);
    }
    pthread_mutex_unlock(&d->cfg_lock);
    if (r < 0) {
        log_error("reload: %s; keeping the running configuration", err_get());
        return;
    }
    _cleanup_free_ char *text = json_dumps(attrs, JSON_COMPACT);
    json_decref(attrs);
    pouch_event ev = {.size = sizeof(ev),
                      .type = "daemon",
                      .action = "reload",
                      .actor_id = d->engine_id,
                      .attributes = text,
                      .scope = "local"};
    event_bus_publish(d->bus, &ev);
    log_info("configuration reloaded from %s", d->cfg.config_file);
}

static int wait_for_stop(struct daemon *d, const sigset_t *set)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(set, &si);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            return err_set(-errno, "waiting for signals: %s", strerror(errno));
        }
        if (sig == SIGHUP) {
            reload(d);
            continue;
        }
        log_info("received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        return 0;
    }
}

/* Everything up to serving; on failure the caller unwinds what was done. */
static int bring_up(struct daemon *d)
{
    int r = lock_data_root(d);
    if (r < 0)
        return r;
    r = mkdir_p(d->cfg.exec_root, 0700);
    if (r < 0)
        return err_set(r, "exec root %s: cannot create it: %s", d->cfg.exec_root, strerror(-r));
    r = state_repair(d->data_fd);
    if (r > 0)
        log_info("data root %s: removed %d unfinished record(s) left by a crash", d->cfg.data_root, r);
    r = load_engine_id(d);
    if (r < 0)
        return r;
    r = image_store_open(d->cfg.data_root, &d->images);
    if (r < 0)
        return r;
    r = container_store_open(d, &d->containers);
    if (r < 0)
        return r;
    d->images->image_used = ctr_image_used;
    r = userns_remap_setup(json_string_value(json_object_get(d->cfg.root, "userns-remap")), d->cfg.data_root,
                           d->cfg.exec_root, &d->remap);
    if (r < 0)
        return r;
    d->images->used_user = d->containers;

    json_t *path = NULL;
    struct plugin_set found = {0};
    loader_search_path(d->cfg.plugin_dirs, &path);
    r = loader_scan(path, &found);
    json_decref(path);
    if (r >= 0)
        r = loader_choose(&found, d->cfg.plugins, &d->plugins);
    plugin_set_done(&found, true);
    if (r < 0)
        return r;
    for (size_t i = 0; i < d->plugins.n && r >= 0; i++)
        r = plugin_prepare(d, d->plugins.v[i]);
    if (r < 0)
        return r;
    r = write_pidfile(d->cfg.pidfile);
    if (r < 0)
        return r;
    d->pidfile_written = true;
    r = plugins_init(d);
    if (r < 0)
        return r;
    /* Runtimes are up: find the containers that outlived the last daemon
     * before any client can see a half-restored list. */
    r = ctr_restore(d->containers);
    return r < 0 ? r : plugins_serve(d);
}

int daemon_main(struct cmdline *cmd)
{
    struct daemon d = {.flags = cmd->flags, .lock_fd = -1, .data_fd = -1, .started_nano = now_nano()};
    pthread_mutex_init(&d.cfg_lock, NULL);

    json_t *file = NULL;
    const char *cf = json_string_value(json_object_get(cmd->flags, "config-file"));
    int r = config_load_file(cf ? cf : CONFIG_DEFAULT_FILE, cf != NULL, &file);
    if (r >= 0)
        r = config_build(file, cmd->flags, &d.cfg);
    json_decref(file);
    if (r < 0) {
        log_error("%s", err_get());
        return r;
    }
    log_set_level(d.cfg.log_level);

    /* Block the signals we wait for before any plugin starts a thread. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    event_bus_new(&d.bus);
    metrics_new(&d.metrics);
    r = bring_up(&d);
    if (r >= 0) {
        plugins_publish_enabled(&d);
        log_info("pouchd %s ready: %zu plugin(s), data root %s", POUCH_VERSION, d.plugins.n, d.cfg.data_root);
        notify("READY=1");
        r = wait_for_stop(&d, &set);
        notify("STOPPING=1");
    } else {
        log_error("%s", err_get());
    }
    if (d.containers)
        ctr_wake_waiters(d.containers); /* or front ends would wait for their waits */
    plugins_stop_frontends(&d);
    if (d.containers)
        ctr_shutdown(d.containers); /* containers keep running; only our worker stops */
    plugins_fini(&d);
    if (d.pidfile_written)
        unlink(d.cfg.pidfile);
    if (d.lock_fd >= 0)
        close(d.lock_fd);
    if (d.data_fd >= 0)
        close(d.data_fd);
    plugin_set_done(&d.plugins, false);
    container_store_free(d.containers);
    userns_remap_free(d.remap);
    image_store_free(d.images);
    event_bus_free(d.bus);
    metrics_free(d.metrics);
    config_done(&d.cfg);
    pthread_mutex_destroy(&d.cfg_lock);
    return r;
}

int daemon_list_plugins(struct cmdline *cmd)
{
    json_t *file = NULL;
    const char *cf = json_string_value(json_object_get(cmd->flags, "config-file"));
    struct config cfg = {0};
    int r = config_load_file(cf ? cf : CONFIG_DEFAULT_FILE, cf != NULL, &file);
    if (r >= 0)
        r = config_build(file, cmd->flags, &cfg);
    json_decref(file);
    if (r < 0) {
        log_error("%s", err_get());
        return r;
    }
    json_t *path = NULL;
    struct plugin_set found = {0};
    loader_search_path(cfg.plugin_dirs, &path);
    r = loader_scan(path, &found);
    json_decref(path);
    if (r < 0) {
        log_error("%s", err_get());
        config_done(&cfg);
        return r;
    }
    printf("%-20s %-9s %-10s %-5s %s\n", "NAME", "KIND", "VERSION", "ABI", "FILE");
    for (size_t i = 0; i < found.n; i++) {
        const struct plugin *p = found.v[i];
        if (p->error) {
            printf("%-20s %-9s %-10s %-5s %s\n    error: %s\n", p->name, "-", "-", "-", p->file, p->error);
            continue;
        }
        char abi[16];
        snprintf(abi, sizeof(abi), "%u.%u", p->desc.abi_major, p->desc.abi_minor);
        printf("%-20s %-9s %-10s %-5s %s\n", p->name, plugin_kind_name(p->desc.kind),
               p->desc.version ? p->desc.version : "", abi, p->file);
    }
    plugin_set_done(&found, true);
    config_done(&cfg);
    return 0;
}
