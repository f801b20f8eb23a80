/* Container operations. Locking: a container's op mutex serialises its
 * life-cycle steps; the store lock guards records and is held only briefly;
 * an exit is first recorded under the store lock alone (so stop/wait see it
 * while holding op) and cleaned up afterwards under op by the worker (exits.c). */
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

void ctr_event(struct container_store *s, struct container *c, const char *action, json_t *extra)
{
    json_t *attrs = json_object();
    const char *name = json_string_value(json_object_get(c->rec, "Name"));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(cfg_of(c), "Labels"), k, v) json_object_set(attrs, k, v);
    json_object_set(attrs, "image", json_object_get(cfg_of(c), "Image"));
    json_object_set_new(attrs, "name", json_string(name ? name + (name[0] == '/') : ""));
    json_object_foreach(extra, k, v) json_object_set(attrs, k, v);
    json_decref(extra);
    _cleanup_free_ char *text = json_dumps(attrs, JSON_COMPACT);
    json_decref(attrs);
    pouch_event ev = {.size = sizeof(ev),
                      .type = "container",
                      .action = action,
                      .actor_id = c->id,
                      .attributes = text,
                      .scope = "local"};
    event_bus_publish(s->daemon->bus, &ev);
}

void ctr_event_locking(struct container_store *s, struct container *c, const char *action, json_t *extra)
{
    pthread_mutex_lock(&s->lock);
    ctr_event(s, c, action, extra);
    pthread_mutex_unlock(&s->lock);
}

struct plugin *ctr_find_plugin(struct daemon *d, uint32_t kind, const char *name)
{
    for (size_t i = 0; i < d->plugins.n; i++) {
        struct plugin *p = d->plugins.v[i];
        if (p->desc.kind == kind && (!name || strcmp(p->name, name) == 0))
            return p;
    }
    return NULL;
}

int ctr_runtime_of(struct container_store *s, struct container *c, struct plugin **ret_p,
                   const pouch_runtime_ops **ret_ops)
{
    const char *name = json_string_value(json_object_get(hc_of(c), "Runtime"));
    struct plugin *p = ctr_find_plugin(s->daemon, POUCH_KIND_RUNTIME, name && *name ? name : DEFAULT_RUNTIME);
    const pouch_runtime_ops *ops = p ? p->desc.ops : NULL;
    if (!p || !ops || !POUCH_HAS(ops, pouch_runtime_ops, free))
        return err_set(-ENOTSUP, "unknown or incomplete runtime \"%s\": load it with pouchd --plugins=...,%s",
                       name && *name ? name : DEFAULT_RUNTIME, name && *name ? name : DEFAULT_RUNTIME);
    *ret_p = p;
    *ret_ops = ops;
    return 0;
}

struct plugin *ctr_log_plugin(struct container_store *s, const char *driver)
{
    char name[128];
    snprintf(name, sizeof(name), "log-%s", driver);
    return ctr_find_plugin(s->daemon, POUCH_KIND_LOG, name);
}

/* --- runtime side -------------------------------------------------------- */

static int write_text(const char *path, const char *text)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len)
        return -errno ? -errno : -EIO;
    return 0;
}

/* --device host[:ctr[:perms]] and --device-cgroup-rule, resolved now. */
static int devices_of(json_t *hc, json_t *devices, json_t *rules)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(hc, "Devices"), i, d)
    {
        const char *host = json_string_value(json_object_get(d, "PathOnHost"));
        const char *ctr = json_string_value(json_object_get(d, "PathInContainer"));
        const char *perms = json_string_value(json_object_get(d, "CgroupPermissions"));
        struct stat st;
        if (!host || stat(host, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            return err_set(-EINVAL,
                           "error gathering device information while adding custom device \"%s\": no such "
                           "file or directory or not a device",
                           host ? host : "");
        const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
        json_array_append_new(devices, json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path",
                                                 ctr && *ctr ? ctr : host, "type", type, "major",
                                                 (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev),
                                                 "fileMode", (int)(st.st_mode & 07777), "uid", 0, "gid", 0));
        json_array_append_new(rules, json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type, "major",
                                               (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev),
                                               "access", perms && *perms ? perms : "rwm"));
    }
    json_array_foreach(json_object_get(hc, "DeviceCgroupRules"), i, d)
    {
        char type[4], maj[16], min[16], access[8];
        const char *rule = json_string_value(d);
        if (!rule || sscanf(rule, "%3s %15[^:]:%15s %7s", type, maj, min, access) != 4 || !strchr("abc", type[0]))
            return err_set(-EINVAL, "invalid device cgroup rule format: '%s'", rule ? rule : "");
        json_t *r = json_pack("{s:b, s:s, s:s}", "allow", 1, "type", type, "access", access);
        if (strcmp(maj, "*"))
            json_object_set_new(r, "major", json_integer(atoll(maj)));
        if (strcmp(min, "*"))
            json_object_set_new(r, "minor", json_integer(atoll(min)));
        json_array_append_new(rules, r);
    }
    return 0;
}

/* The host's device nodes, which a --privileged container sees (as runc
 * gives it); the terminal devices stay the container's own. */
static json_t *host_devices(void)
{
    json_t *out = json_array();
    _cleanup_closedir_ DIR *d = opendir("/dev");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        static const char *const skip[] = {"console", "tty", "ptmx", "null", "zero", "full", "random", "urandom"};
        bool skipped = false;
        for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
            skipped |= !strcmp(de->d_name, skip[i]);
        char path[300];
        snprintf(path, sizeof(path), "/dev/%s", de->d_name);
        struct stat st;
        if (skipped || lstat(path, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            continue;
        json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", path, "type",
                                             S_ISCHR(st.st_mode) ? "c" : "b", "major", (json_int_t)major(st.st_rdev),
                                             "minor", (json_int_t)minor(st.st_rdev), "fileMode",
                                             (int)(st.st_mode & 07777), "uid", (int)st.st_uid, "gid", (int)st.st_gid));
    }
    return out;
}

json_t *ctr_own_bounding_caps(void)
{
    unsigned long long bnd = 0;
    _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "CapBnd: %llx", &bnd) == 1)
            break;
    json_t *caps = json_array();
    for (size_t i = 0; spec_all_caps[i]; i++)
        if (bnd & (1ULL << i))
            json_array_append_new(caps, json_string(spec_all_caps[i]));
    return caps;
}

/* Resolve --ipc container:X to a namespace path. Store lock held. */
static int ipc_path(struct container_store *s, json_t *hc)
{
    const char *ipc = json_string_value(json_object_get(hc, "IpcMode"));
    if (!ipc || strncmp(ipc, "container:", 10) != 0)
        return 0;
    struct container *other;
    int r = container_lookup(s, ipc + 10, &other);
    if (r < 0 || other->status != STATUS_RUNNING)
        return err_set(-EINVAL, "cannot join IPC of a non running container: %s", ipc + 10);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/ipc", other->pid);
    json_object_set_new(hc, "_IpcPath", json_string(path));
    return 0;
}

/* Mount, write the bundle and have the runtime create the container. Op held. */
int ctr_prepare(struct container_store *s, struct container *c)
{
    if (c->prepared)
        return 0;
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    int r = ctr_runtime_of(s, c, &rt, &ops);
    if (r < 0)
        return r;
    char bundle[4096], rootfs[4200], path[4200];
    container_run_path(s, c, NULL, bundle, sizeof(bundle));
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
    r = mkdir_p(bundle, 0700);
    if (r < 0)
        return err_set(r, "container %.12s: cannot create %s: %s", c->id, bundle, strerror(-r));
    pthread_mutex_lock(&s->lock);
    json_auto_t *hc = json_deep_copy(hc_of(c));
    json_auto_t *config = json_deep_copy(cfg_of(c));
    r = ipc_path(s, hc);
    pthread_mutex_unlock(&s->lock);
    if (r < 0)
        return r;
    r = rootfs_mount(s, c);
    if (r >= 0)
        r = rootfs_write_etc(s, c);
    int uid = 0, gid = 0;
    json_auto_t *gids = NULL;
    _cleanup_free_ char *home = NULL;
    if (r >= 0)
        r = rootfs_resolve_user(s, c, &uid, &gid, &gids, &home);
    json_auto_t *devices = json_array(), *rules = json_array();
    if (r >= 0)
        r = devices_of(hc, devices, rules);
    json_object_set(hc, "_Devices", devices);
    json_object_set(hc, "_DeviceRules", rules);
    char hosts[4200], hostname[4200], resolv[4200];
    container_data_path(s, c, "hosts", hosts, sizeof(hosts));
    container_data_path(s, c, "hostname", hostname, sizeof(hostname));
    container_data_path(s, c, "resolv.conf", resolv, sizeof(resolv));
    json_auto_t *bounding = ctr_own_bounding_caps();
    json_auto_t *hostdevs = json_is_true(json_object_get(hc, "Privileged")) ? host_devices() : NULL;
    json_auto_t *uidmap = NULL, *gidmap = NULL;
    rootfs_userns_maps(s, c, &uidmap, &gidmap);
    struct spec_input in = {.id = c->id,
                            .config = config,
                            .host_config = hc,
                            .rootfs = rootfs,
                            .hosts_path = hosts,
                            .hostname_path = hostname,
                            .resolv_path = resolv,
                            .init_path = access(INIT_BINARY, X_OK) == 0 ? INIT_BINARY : NULL,
                            .uid = uid,
                            .gid = gid,
                            .home = home,
                            .additional_gids = gids,
                            .cgroup_v2 = strcmp(sysinfo_cgroup_version(), "2") == 0,
                            .bounding_caps = bounding,
                            .host_devices = hostdevs,
                            .uid_mappings = uidmap,
                            .gid_mappings = gidmap};
    if (r >= 0 && json_is_true(json_object_get(hc, "Init")) && !in.init_path)
        r = err_set(-ENOENT, "--init needs %s (Debian package tini)", INIT_BINARY);
    json_auto_t *spec = NULL;
    if (r >= 0)
        r = spec_build(&in, &spec);
    _cleanup_free_ char *spec_text = spec ? json_dumps(spec, JSON_INDENT(1)) : NULL;
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    if (r >= 0 && (!spec_text || write_text(path, spec_text) < 0))
        r = err_set(-EIO, "container %.12s: writing %s failed", c->id, path);

    json_t *lc = json_object_get(hc, "LogConfig");
    const char *driver = json_string_value(json_object_get(lc, "Type"));
    struct plugin *lp = driver && strcmp(driver, "none") ? ctr_log_plugin(s, driver) : NULL;
    if (r >= 0 && driver && strcmp(driver, "none") && !lp)
        r = err_set(-EINVAL, "logging driver \"%s\" is not loaded: start pouchd with --plugins=...,log-%s", driver,
                    driver);
    json_auto_t *opts = json_pack(
        "{s:{s:s, s:s, s:s, s:O}, s:b, s:b}", "log", "driver", driver ? driver : "none", "plugin", lp ? lp->file : "",
        "path", json_string_value(json_object_get(c->rec, "LogPath")) ?: "", "opts",
        json_object_get(lc, "Config") ?: json_object(), "stdin", json_is_true(json_object_get(config, "OpenStdin")),
        "tty", json_is_true(json_object_get(config, "Tty")));
    _cleanup_free_ char *opts_text = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
    if (r >= 0) {
        err_clear();
        r = ops->create(rt->state, c->id, bundle, opts_text);
    }
    if (r < 0) {
        _cleanup_free_ char *why = strdup(err_get());
        rootfs_unmount(s, c);
        return err_set(r, "%s", why ? why : "runtime create failed");
    }
    c->prepared = true;
    return 0;
}

/* Undo prepare once the process is gone. Op held. */
void ctr_unprepare(struct container_store *s, struct container *c)
{
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    if (c->prepared && ctr_runtime_of(s, c, &rt, &ops) >= 0 && ops->destroy(rt->state, c->id, 1) < 0)
        log_warn("container %.12s: runtime delete: %s", c->id, err_get());
    c->prepared = false;
    if (rootfs_unmount(s, c) < 0)
        log_warn("%s", err_get());
}

/* The exit code docker's CLI derives from a start failure's message. */
static int start_failure_code(const char *msg)
{
    if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory"))
        return 127;
    if (strstr(msg, "permission denied"))
        return 126;
    return 128;
}

/* Start with op held. */
int ctr_start_locked(struct container_store *s, struct container *c)
{
    if (container_running(c))
        return err_set(-EALREADY, "container %.12s is already running", c->id);
    if (c->status == STATUS_EXITED && c->prepared)
        ctr_unprepare(s, c);
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    int r = ctr_prepare(s, c);
    if (r >= 0)
        r = ctr_runtime_of(s, c, &rt, &ops);
    if (r >= 0) {
        /* A process that exits at once may be reported before we mark it
         * running: the worker holds such an exit until we are done. */
        pthread_mutex_lock(&s->lock);
        c->starting = true;
        pthread_mutex_unlock(&s->lock);
        err_clear();
        r = ops->start(rt->state, c->id);
        if (r < 0) {
            pthread_mutex_lock(&s->lock);
            c->starting = false;
            pthread_mutex_unlock(&s->lock);
        }
    }
    if (r < 0) {
        _cleanup_free_ char *why = strdup(err_get());
        ctr_unprepare(s, c);
        pthread_mutex_lock(&s->lock);
        json_t *st = json_object_get(c->rec, "State");
        json_object_set_new(st, "ExitCode", json_integer(start_failure_code(why ? why : "")));
        json_object_set_new(st, "Error", json_string(why ? why : ""));
        if (c->status == STATUS_RESTARTING)
            c->status = STATUS_EXITED;
        container_sync_state(c);
        container_save(s, c);
        pthread_mutex_unlock(&s->lock);
        return err_set(r == -ENOENT || r == -EACCES ? -EINVAL : r, "%s", why ? why : "start failed");
    }
    char *state_text = NULL;
    int pid = 0;
    if (ops->state(rt->state, c->id, &state_text) >= 0) {
        json_auto_t *stj = json_loads(state_text, 0, NULL);
        pid = (int)json_integer_value(json_object_get(stj, "pid"));
        ops->free(rt->state, state_text);
    }
    char started[64];
    format_time(now_ns(), started, sizeof(started));
    pthread_mutex_lock(&s->lock);
    c->status = STATUS_RUNNING;
    c->starting = false;
    ctr_worker_wake();
    c->pid = pid;
    c->starts++;
    c->restart_at = 0;
    c->manually_stopped = false;
    json_t *st = json_object_get(c->rec, "State");
    json_object_set_new(st, "StartedAt", json_string(started));
    json_object_set_new(st, "ExitCode", json_integer(0));
    json_object_set_new(st, "Error", json_string(""));
    json_object_set_new(st, "OOMKilled", json_false());
    container_sync_state(c);
    r = container_save(s, c);
    pthread_cond_broadcast(&s->changed);
    ctr_event(s, c, "start", NULL);
    pthread_mutex_unlock(&s->lock);
    return r;
}

int ctr_start(struct container_store *s, const char *ref)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    if (!c->removed && c->status != STATUS_RUNNING && c->status != STATUS_PAUSED) {
        /* a start by hand begins a new restart history, as in dockerd */
        pthread_mutex_lock(&s->lock);
        json_object_set_new(c->rec, "RestartCount", json_integer(0));
        c->restart_delay_ms = 0;
        pthread_mutex_unlock(&s->lock);
    }
    r = c->removed ? err_set(-ENOENT, "No such container: %s", ref) : ctr_start_locked(s, c);
    if (r < 0 && r != -EALREADY && !c->removed && json_is_true(json_object_get(hc_of(c), "AutoRemove"))) {
        /* dockerd removes an --rm container whose start failed */
        _cleanup_free_ char *why = strdup(err_get());
        ctr_remove_locked(s, c);
        err_set(r, "%s", why ? why : "start failed");
    }
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

/* --- stop, kill, wait ------------------------------------------------------ */

static int parse_signal(const char *sig)
{
    static const struct {
        const char *name;
        int num;
    } names[] = {{"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
                 {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
                 {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
                 {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
                 {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
                 {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"PWR", SIGPWR},   {"SYS", SIGSYS}};
    if (!sig || !*sig)
        return SIGKILL;
    if (sig[0] >= '0' && sig[0] <= '9') {
        int n = atoi(sig);
        return n > 0 && n < 65 ? n : -1;
    }
    const char *n = strncasecmp(sig, "SIG", 3) == 0 ? sig + 3 : sig;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcasecmp(names[i].name, n) == 0)
            return names[i].num;
    return -1;
}

int ctr_send_signal(struct container_store *s, struct container *c, int sig)
{
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    int r = ctr_runtime_of(s, c, &rt, &ops);
    if (r >= 0)
        r = ops->kill(rt->state, c->id, sig, 0);
    if (r >= 0 && sig == SIGKILL) {
        /* a frozen process dies only once thawed: dockerd resumes it too */
        pthread_mutex_lock(&s->lock);
        bool paused = c->status == STATUS_PAUSED;
        pthread_mutex_unlock(&s->lock);
        if (paused && POUCH_HAS(ops, pouch_runtime_ops, resume) && ops->resume && ops->resume(rt->state, c->id) < 0)
            log_warn("container %.12s: resume after SIGKILL: %s", c->id, err_get());
    }
    if (r >= 0) {
        char num[16];
        snprintf(num, sizeof(num), "%d", sig);
        ctr_event_locking(s, c, "kill", json_pack("{s:s}", "signal", num));
    }
    return r;
}

/* Wait (store lock held) until c is not running or timeout_ms passes. */
bool ctr_wait_not_running(struct container_store *s, struct container *c, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t deadline = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + (int64_t)timeout_ms * 1000000LL;
    ts.tv_sec = deadline / 1000000000LL;
    ts.tv_nsec = deadline % 1000000000LL;
    while (container_running(c))
        if (pthread_cond_timedwait(&s->changed, &s->lock, &ts) != 0)
            return !container_running(c);
    return true;
}

static int stop_locked(struct container_store *s, struct container *c, int timeout)
{
    pthread_mutex_lock(&s->lock);
    if (c->status == STATUS_RESTARTING) { /* cancel a pending restart */
        c->restart_at = 0;
        c->status = STATUS_EXITED;
        c->manually_stopped = true;
        container_sync_state(c);
        container_save(s, c);
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    if (c->status != STATUS_RUNNING && c->status != STATUS_PAUSED) {
        pthread_mutex_unlock(&s->lock);
        return err_set(-EALREADY, "container %.12s is not running", c->id);
    }
    c->manually_stopped = true;
    container_save(s, c);
    json_t *cfg = cfg_of(c);
    int sig = parse_signal(json_string_value(json_object_get(cfg, "StopSignal")) ?: "TERM");
    if (timeout < 0)
        timeout = json_is_integer(json_object_get(cfg, "StopTimeout"))
                      ? (int)json_integer_value(json_object_get(cfg, "StopTimeout"))
                      : 10;
    pthread_mutex_unlock(&s->lock);
    if (sig > 0)
        ctr_send_signal(s, c, sig);
    pthread_mutex_lock(&s->lock);
    bool stopped = ctr_wait_not_running(s, c, timeout * 1000);
    pthread_mutex_unlock(&s->lock);
    if (!stopped) {
        ctr_send_signal(s, c, SIGKILL);
        pthread_mutex_lock(&s->lock);
        stopped = ctr_wait_not_running(s, c, 30000);
        pthread_mutex_unlock(&s->lock);
        if (!stopped)
            return err_set(-EIO, "container %.12s did not stop after SIGKILL", c->id);
    }
    ctr_event_locking(s, c, "stop", NULL);
    return 0;
}

int ctr_stop(struct container_store *s, const char *ref, int timeout)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    r = stop_locked(s, c, timeout);
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_kill(struct container_store *s, const char *ref, const char *signal)
{
    int sig = parse_signal(signal);
    if (sig < 0)
        return err_set(-EINVAL, "Invalid signal: %s", signal);
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    pthread_mutex_lock(&s->lock);
    bool running = container_running(c);
    if (running && (sig == SIGKILL || sig == SIGTERM))
        c->manually_stopped = true;
    pthread_mutex_unlock(&s->lock);
    r = running ? ctr_send_signal(s, c, sig) : err_set(-EBUSY, "Container %s is not running", c->id);
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_restart(struct container_store *s, const char *ref, int timeout)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    r = stop_locked(s, c, timeout);
    if (r == -EALREADY)
        r = 0;
    if (r >= 0) {
        /* the exit's clean-up must not undo the new start */
        pthread_mutex_lock(&s->lock);
        bool exited = c->status == STATUS_EXITED;
        pthread_mutex_unlock(&s->lock);
        if (exited && c->prepared)
            ctr_unprepare(s, c);
        r = ctr_start_locked(s, c);
    }
    if (r >= 0) {
        ctr_event_locking(s, c, "restart", NULL);
    }
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_wait(struct container_store *s, const char *ref, const char *condition, json_t **ret)
{
    const char *cond = condition && *condition ? condition : "not-running";
    if (strcmp(cond, "not-running") && strcmp(cond, "next-exit") && strcmp(cond, "removed"))
        return err_set(-EINVAL, "invalid condition: \"%s\"", cond);
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    uint64_t exits = c->exits;
    for (;;) {
        if (s->shutting_down) {
            pthread_mutex_unlock(&s->lock);
            container_unref(s, c);
            return err_set(-ESHUTDOWN, "the daemon is shutting down; the container keeps running");
        }
        bool running = container_running(c) || c->status == STATUS_RESTARTING;
        if (!strcmp(cond, "removed")     ? c->removed
            : !strcmp(cond, "next-exit") ? c->exits > exits || c->removed
                                         : !running || c->removed)
            break;
        pthread_cond_wait(&s->changed, &s->lock);
    }
    json_t *st = json_object_get(c->rec, "State");
    json_int_t code = json_integer_value(json_object_get(st, "ExitCode"));
    *ret = json_pack("{s:I, s:n}", "StatusCode", code, "Error");
    pthread_mutex_unlock(&s->lock);
    container_unref(s, c);
    return 0;
}

/* --- remove, rename ------------------------------------------------------- */

int ctr_remove_locked(struct container_store *s, struct container *c)
{
    pthread_mutex_lock(&s->lock);
    c->status = STATUS_REMOVING;
    container_sync_state(c);
    pthread_mutex_unlock(&s->lock);
    ctr_unprepare(s, c);
    char dir[4096];
    container_run_path(s, c, NULL, dir, sizeof(dir));
    remove_tree_at(AT_FDCWD, dir);
    container_data_path(s, c, NULL, dir, sizeof(dir));
    int r = remove_tree_at(AT_FDCWD, dir);
    if (r < 0)
        log_warn("container %.12s: removing %s: %s", c->id, dir, strerror(-r));
    pthread_mutex_lock(&s->lock);
    ctr_exec_forget(c->id);
    ctr_event(s, c, "destroy", NULL);
    container_drop(s, c);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int ctr_remove(struct container_store *s, const char *ref, bool force)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    pthread_mutex_lock(&s->lock);
    bool running = container_running(c);
    bool removed = c->removed;
    if (c->status == STATUS_RESTARTING && force)
        c->restart_at = 0;
    pthread_mutex_unlock(&s->lock);
    if (removed)
        r = err_set(-ENOENT, "No such container: %s", ref);
    else if ((running || c->status == STATUS_RESTARTING) && !force)
        r = err_set(-EBUSY,
                    "You cannot remove a %s container %s. Stop the container before attempting removal or force "
                    "remove",
                    running ? "running" : "restarting", c->id);
    else if (running) {
        c->manually_stopped = true;
        /* It may be exiting on its own right now: then the kill finds
         * nothing to signal, which must not stop the removal. */
        int k = ctr_send_signal(s, c, SIGKILL);
        pthread_mutex_lock(&s->lock);
        bool stopped = ctr_wait_not_running(s, c, k < 0 ? 5000 : 30000);
        pthread_mutex_unlock(&s->lock);
        r = stopped ? 0 : k < 0 ? k : err_set(-EIO, "container %.12s: could not kill it for removal", c->id);
    }
    if (r >= 0)
        r = ctr_remove_locked(s, c);
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_rename(struct container_store *s, const char *ref, const char *name)
{
    if (!name || !*name)
        return err_set(-EINVAL, "Neither old nor new names may be empty");
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    char old[256];
    snprintf(old, sizeof(old), "%s", json_string_value(json_object_get(c->rec, "Name")) ?: "");
    r = container_name_check(s, name, c);
    if (r >= 0 && strcmp(old + 1, name[0] == '/' ? name + 1 : name) == 0)
        r = err_set(-EINVAL, "Renaming a container with the same name as its current name");
    if (r >= 0) {
        char bare[256];
        snprintf(bare, sizeof(bare), "/%s", name[0] == '/' ? name + 1 : name);
        json_object_set_new(c->rec, "Name", json_string(bare));
        r = container_save(s, c);
        if (r >= 0)
            ctr_event(s, c, "rename", json_pack("{s:s}", "oldName", old));
    }
    pthread_mutex_unlock(&s->lock);
    container_unref(s, c);
    return r;
}

static bool prune_match(struct container *c, json_t *filters, int64_t until)
{
    if (!labels_match(json_object_get(cfg_of(c), "Labels"), filters))
        return false;
    if (until > 0 && c->created_ns / 1000000000LL >= until)
        return false;
    return true;
}

int ctr_prune(struct container_store *s, json_t *filters, json_t **ret)
{
    int64_t until = 0;
    const char *key;
    json_t *v;
    json_object_foreach(filters, key, v)
    {
        if (!strcmp(key, "until")) {
            const char *val = json_object_iter_key(json_object_iter(v));
            char *end;
            until = val ? (int64_t)strtod(val, &end) : 0;
            if (val && *end) {
                int64_t t = parse_time(val);
                if (!t)
                    return err_set(-EINVAL, "failed to parse value %s, give a Unix time or RFC 3339 time", val);
                until = t / 1000000000LL;
            }
        } else if (strcmp(key, "label") && strcmp(key, "label!")) {
            return err_set(-EINVAL, "Invalid filter '%s'", key);
        }
    }
    json_t *deleted = json_array();
    for (;;) {
        struct container *pick = NULL;
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->n && !pick; i++) {
            struct container *c = s->v[i];
            bool seen = false;
            size_t k;
            json_t *d;
            json_array_foreach(deleted, k, d) seen |= !strcmp(json_string_value(d), c->id);
            if (!seen && (c->status == STATUS_EXITED || c->status == STATUS_CREATED || c->status == STATUS_DEAD) &&
                prune_match(c, filters, until)) {
                pick = c;
                pick->refs++;
            }
        }
        pthread_mutex_unlock(&s->lock);
        if (!pick)
            break;
        json_array_append_new(deleted, json_string(pick->id));
        pthread_mutex_lock(&pick->op);
        if (!pick->removed && pick->status != STATUS_RUNNING)
            ctr_remove_locked(s, pick);
        pthread_mutex_unlock(&pick->op);
        container_unref(s, pick);
    }
    *ret = json_pack("{s:o, s:i}", "ContainersDeleted",
                     json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()), "SpaceReclaimed", 0);
    return 0;
}

bool ctr_image_used(void *user, const char *id, char *ret_container, size_t cap)
{
    struct container_store *s = user;
    bool used = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n && !used; i++)
        if (!strcmp(json_string_value(json_object_get(s->v[i]->rec, "Image")) ?: "", id)) {
            used = true;
            if (ret_container)
                snprintf(ret_container, cap, "%.12s", s->v[i]->id);
        }
    pthread_mutex_unlock(&s->lock);
    return used;
}
