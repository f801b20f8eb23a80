/* runtime-ns: the runtime plugin pouchd loads. It spawns one pouch-shim per
 * container, talks to it over its control socket, and watches it from one
 * monitor thread. Never clones or mounts in the daemon, and never kills a
 * container on init or fini: containers outlive the daemon. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pouch/host.h>
#include <pouch/plugin.h>
#include <pouch/runtime.h>

#include "cgroup.h"
#include "proto.h"
#include "util.h"

extern char **environ;

#define CTL_TIMEOUT_MS 30000

typedef struct watch {
    char id[256];
    int fd;
    struct watch *next;
} watch;

typedef struct rns {
    const pouch_host *host;
    char run_dir[2048];
    char shim[4096];
    char cgroup_root[1024];
    int create_timeout_ms;
    pthread_mutex_t lock;
    watch *watches;
    int wake[2];
    int stop;
    pthread_t thread;
    int thread_started;
} rns;

static int valid_id(const char *id)
{
    if (!id || !*id || strlen(id) > 200 || id[0] == '.')
        return 0;
    for (const char *p = id; *p; p++)
        if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* A container's state dir is named by the first STATE_KEY_LEN characters of
 * its id: sun_path holds 108 bytes, and <run_dir>/<64-hex id>/control.sock
 * does not fit once the exec root is a little longer than /run/pouch. */
#define STATE_KEY_LEN 16

static void path_of(rns *st, const char *id, const char *file, char *buf, size_t len)
{
    if (file)
        snprintf(buf, len, "%s/%.*s/%s", st->run_dir, STATE_KEY_LEN, id, file);
    else
        snprintf(buf, len, "%s/%.*s", st->run_dir, STATE_KEY_LEN, id);
}

/* The full id of the container whose state dir is key (the shim records it). */
static int id_of_key(rns *st, const char *key, char *buf, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/id", st->run_dir, key);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;
    if (n <= 0)
        return -ENOENT;
    buf[n] = '\0';
    return valid_id(buf) ? 0 : -EINVAL;
}

static int report(rns *st, rns_error *e)
{
    return st->host->error(st->host, e->code ? e->code : -EIO, "%s", e->msg);
}

/* Exit status from exit.json, for a shim that is gone. */
static json_t *exit_json(rns *st, const char *id)
{
    char path[4096];
    path_of(st, id, "exit.json", path, sizeof(path));
    return json_load_file(path, 0, NULL);
}

static void report_exit(rns *st, const char *id, json_t *status)
{
    json_t *o = json_pack("{s:O?,s:O?,s:O?}", "exit_code", json_object_get(status, "exit_code"), "oom_killed",
                          json_object_get(status, "oom_killed"), "finished_at", json_object_get(status, "finished_at"));
    const char *err = json_string_value(json_object_get(status, "error"));
    if (o && err)
        json_object_set_new(o, "error", json_string(err));
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s && POUCH_HOST_HAS(st->host, container_exited) && st->host->container_exited)
        st->host->container_exited(st->host, id, s);
    free(s);
    json_decref(o);
}

static void watch_done(rns *st, watch *w)
{
    _cleanup_free_ char *line = NULL;
    int r = rns_read_line(w->fd, 1000, &line);
    json_t *status = r == 0 ? json_loads(line, 0, NULL) : NULL;
    if (!status) {
        /* Shim gone without answering: deleted, or died. */
        char dir[4096];
        path_of(st, w->id, NULL, dir, sizeof(dir));
        if (access(dir, F_OK) == 0) {
            status = exit_json(st, w->id);
            if (!status)
                status = json_pack("{s:i,s:b,s:I,s:s}", "exit_code", 255, "oom_killed", 0, "finished_at",
                                   (json_int_t)rns_now_ns(), "error", "the container's monitor (pouch-shim) died");
        }
    }
    if (status)
        report_exit(st, w->id, status);
    json_decref(status);
}

static void *monitor_main(void *arg)
{
    rns *st = arg;
    for (;;) {
        struct pollfd p[1024];
        char ids[1024][256];
        nfds_t n = 0;
        pthread_mutex_lock(&st->lock);
        if (st->stop) {
            pthread_mutex_unlock(&st->lock);
            return NULL;
        }
        p[n++] = (struct pollfd){.fd = st->wake[0], .events = POLLIN};
        for (watch *w = st->watches; w && n < ARRAY_SIZE(p); w = w->next) {
            snprintf(ids[n], sizeof(ids[n]), "%s", w->id);
            p[n++] = (struct pollfd){.fd = w->fd, .events = POLLIN};
        }
        pthread_mutex_unlock(&st->lock);
        if (poll(p, n, -1) < 0 && errno != EINTR)
            sleep(1);
        if (p[0].revents) {
            char b[64];
            while (read(st->wake[0], b, sizeof(b)) > 0) {
            }
        }
        for (nfds_t i = 1; i < n; i++) {
            if (!p[i].revents)
                continue;
            watch *found = NULL;
            pthread_mutex_lock(&st->lock);
            for (watch **pp = &st->watches; *pp; pp = &(*pp)->next)
                if ((*pp)->fd == p[i].fd && !strcmp((*pp)->id, ids[i])) {
                    found = *pp;
                    *pp = found->next;
                    break;
                }
            pthread_mutex_unlock(&st->lock);
            if (!found)
                continue;
            watch_done(st, found);
            close(found->fd);
            free(found);
        }
    }
}

static void wake(rns *st)
{
    char b = 1;
    if (write(st->wake[1], &b, 1) < 0) {
        /* the pipe is full: the thread wakes anyway */
    }
}

static int watching(rns *st, const char *id)
{
    for (watch *w = st->watches; w; w = w->next)
        if (!strcmp(w->id, id))
            return 1;
    return 0;
}

static int add_watch(rns *st, const char *id)
{
    pthread_mutex_lock(&st->lock);
    int already = watching(st, id);
    pthread_mutex_unlock(&st->lock);
    if (already)
        return 0;
    char sock[4096];
    path_of(st, id, "control.sock", sock, sizeof(sock));
    int fd = rns_unix_connect(sock);
    if (fd < 0)
        return fd;
    if (rns_write_all(fd, "{\"op\":\"watch\"}\n", 15) < 0) {
        close(fd);
        return -EPIPE;
    }
    watch *w = calloc(1, sizeof(*w));
    if (!w) {
        close(fd);
        return -ENOMEM;
    }
    snprintf(w->id, sizeof(w->id), "%s", id);
    w->fd = fd;
    pthread_mutex_lock(&st->lock);
    w->next = st->watches;
    st->watches = w;
    pthread_mutex_unlock(&st->lock);
    wake(st);
    return 0;
}

static int ctl(rns *st, const char *id, const char *req, char **ret_reply)
{
    if (!valid_id(id))
        return st->host->error(st->host, -EINVAL, "invalid container id \"%s\"", id ? id : "");
    char sock[4096];
    path_of(st, id, "control.sock", sock, sizeof(sock));
    rns_error e = {0};
    _cleanup_free_ char *reply = NULL;
    int r = ctl_call(sock, req, CTL_TIMEOUT_MS, &reply, &e);
    /* An errno the shim answered (ENOENT: no such exec) is not a missing socket. */
    if (!reply && (r == -ENOENT || r == -ECONNREFUSED)) {
        char dir[4096];
        path_of(st, id, NULL, dir, sizeof(dir));
        if (access(dir, F_OK) < 0)
            return st->host->error(st->host, -ENOENT, "no such container: %s", id);
        return st->host->error(st->host, -ESRCH, "container %s is not running (its monitor has exited)", id);
    }
    if (r < 0)
        return report(st, &e);
    if (ret_reply)
        *ret_reply = TAKE_PTR(reply);
    return 0;
}

static int spawn_shim(rns *st, const char *id, const char *bundle, const char *options, pid_t *ret_pid, int *ret_fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return st->host->error(st->host, -errno, "pipe: %s", strerror(errno));
    char dir[4096];
    path_of(st, id, NULL, dir, sizeof(dir));
    const char *argv[16];
    int n = 0;
    argv[n++] = st->shim;
    argv[n++] = "--id";
    argv[n++] = id;
    argv[n++] = "--bundle";
    argv[n++] = bundle;
    argv[n++] = "--state-dir";
    argv[n++] = dir;
    argv[n++] = "--options";
    argv[n++] = options && *options ? options : "{}";
    argv[n++] = "--ready-fd";
    argv[n++] = "3";
    if (st->cgroup_root[0]) {
        argv[n++] = "--cgroup-root";
        argv[n++] = st->cgroup_root;
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 3);
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    int r = posix_spawn(&pid, st->shim, &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(p[1]);
    if (r != 0) {
        close(p[0]);
        return st->host->error(st->host, -r, "spawn %s: %s (set \"shim\" in the runtime-ns config)", st->shim,
                               strerror(r));
    }
    *ret_pid = pid;
    *ret_fd = p[0];
    return 0;
}

static int32_t rns_create(void *state, const char *id, const char *bundle_dir, const char *options_json)
{
    rns *st = state;
    if (!valid_id(id))
        return st->host->error(st->host, -EINVAL, "invalid container id \"%s\"", id ? id : "");
    char dir[4096], sock[4096];
    path_of(st, id, NULL, dir, sizeof(dir));
    path_of(st, id, "control.sock", sock, sizeof(sock));
    int live = rns_unix_connect(sock);
    if (live >= 0) {
        close(live);
        return st->host->error(st->host, -EEXIST, "container %s already exists in runtime-ns", id);
    }
    rns_rm_rf(dir); /* a stale state dir of a deleted container */
    pid_t pid = -1;
    _cleanup_close_ int fd = -1;
    int r = spawn_shim(st, id, bundle_dir, options_json, &pid, &fd);
    if (r < 0)
        return r;
    /* The spawned process forks the real shim and exits at once. */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    _cleanup_free_ char *line = NULL;
    r = rns_read_line(fd, st->create_timeout_ms, &line);
    if (r < 0)
        return st->host->error(st->host, r, "create %s: no answer from pouch-shim (%s); see %s/shim.log", id,
                               r == -ETIMEDOUT ? "timed out" : "it exited", dir);
    _cleanup_(json_decrefp) json_t *o = json_loads(line, 0, NULL);
    if (!json_is_true(json_object_get(o, "ok"))) {
        int err = (int)json_integer_value(json_object_get(o, "errno"));
        const char *msg = json_string_value(json_object_get(o, "error"));
        return st->host->error(st->host, err > 0 ? -err : -EIO, "%s", msg ? msg : line);
    }
    r = add_watch(st, id);
    if (r < 0)
        st->host->log(st->host, POUCH_LOG_WARN, "container %s: cannot watch its shim: %s", id, strerror(-r));
    return 0;
}

static int32_t rns_start(void *state, const char *id)
{
    return ctl(state, id, "{\"op\":\"start\"}", NULL);
}

static int32_t rns_kill(void *state, const char *id, int32_t signal, int32_t all)
{
    char req[96];
    snprintf(req, sizeof(req), "{\"op\":\"kill\",\"signal\":%d,\"all\":%s}", (int)signal, all ? "true" : "false");
    return ctl(state, id, req, NULL);
}

static int32_t rns_resize(void *state, const char *id, int32_t rows, int32_t cols)
{
    char req[96];
    snprintf(req, sizeof(req), "{\"op\":\"resize\",\"rows\":%d,\"cols\":%d}", (int)rows, (int)cols);
    return ctl(state, id, req, NULL);
}

static int32_t rns_delete(void *state, const char *id, int32_t force)
{
    rns *st = state;
    if (!valid_id(id))
        return st->host->error(st->host, -EINVAL, "invalid container id \"%s\"", id ? id : "");
    char dir[4096], sock[4096];
    path_of(st, id, NULL, dir, sizeof(dir));
    path_of(st, id, "control.sock", sock, sizeof(sock));
    if (access(dir, F_OK) < 0)
        return st->host->error(st->host, -ENOENT, "no such container: %s", id);
    char req[64];
    snprintf(req, sizeof(req), "{\"op\":\"delete\",\"force\":%s}", force ? "true" : "false");
    rns_error e = {0};
    int r = ctl_call(sock, req, CTL_TIMEOUT_MS, NULL, &e);
    if (r < 0 && r != -ENOENT && r != -ECONNREFUSED && r != -ECONNRESET)
        return report(st, &e);
    /* The shim removes its cgroup and state dir after answering; finish
     * the job for a shim that is gone. */
    for (int i = 0; i < 2000 && access(dir, F_OK) == 0 && r == 0; i++) {
        struct timespec ts = {0, 1000 * 1000}; /* 1 ms: this is on docker run --rm's path */
        nanosleep(&ts, NULL);
    }
    char cgfile[4096];
    path_of(st, id, "cgroup", cgfile, sizeof(cgfile));
    cgroup_remove_listed(cgfile);
    rns_rm_rf(dir);
    return 0;
}

static json_t *state_of(rns *st, const char *id)
{
    char sock[4096];
    path_of(st, id, "control.sock", sock, sizeof(sock));
    _cleanup_free_ char *reply = NULL;
    rns_error e = {0};
    json_t *o = NULL;
    if (ctl_call(sock, "{\"op\":\"state\"}", CTL_TIMEOUT_MS, &reply, &e) == 0 && (o = json_loads(reply, 0, NULL))) {
        json_object_del(o, "ok");
        return o;
    }
    json_t *ex = exit_json(st, id);
    if (ex) {
        json_object_set_new(ex, "status", json_string("stopped"));
        return ex;
    }
    return json_pack("{s:s,s:i,s:i,s:b,s:s}", "status", "stopped", "pid", 0, "exit_code", 255, "oom_killed", 0, "error",
                     "the container's monitor (pouch-shim) died without recording an exit status");
}

static int dump(rns *st, json_t *o, char **ret)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (!s)
        return st->host->error(st->host, -ENOMEM, "out of memory");
    *ret = s;
    return 0;
}

static int32_t rns_state(void *state, const char *id, char **ret_json)
{
    rns *st = state;
    if (!valid_id(id))
        return st->host->error(st->host, -EINVAL, "invalid container id \"%s\"", id ? id : "");
    char dir[4096];
    path_of(st, id, NULL, dir, sizeof(dir));
    if (access(dir, F_OK) < 0)
        return st->host->error(st->host, -ENOENT, "no such container: %s", id);
    _cleanup_(json_decrefp) json_t *o = state_of(st, id);
    return dump(st, o, ret_json);
}

static int32_t rns_attach_path(void *state, const char *id, char **ret_path)
{
    rns *st = state;
    if (!valid_id(id))
        return st->host->error(st->host, -EINVAL, "invalid container id \"%s\"", id ? id : "");
    char path[4096];
    path_of(st, id, "attach.sock", path, sizeof(path));
    if (access(path, F_OK) < 0)
        return st->host->error(st->host, -ENOENT, "container %s has no attach socket (not created by runtime-ns?)", id);
    *ret_path = strdup(path);
    return *ret_path ? 0 : -ENOMEM;
}

static int32_t rns_list(void *state, char **ret_json)
{
    rns *st = state;
    _cleanup_(json_decrefp) json_t *arr = json_array();
    _cleanup_closedir_ DIR *d = opendir(st->run_dir);
    struct dirent *de;
    while (d && arr && (de = readdir(d))) {
        char id[256];
        if (!valid_id(de->d_name) || id_of_key(st, de->d_name, id, sizeof(id)) < 0)
            continue;
        char pid[4096], ex[4096];
        path_of(st, id, "shim.pid", pid, sizeof(pid));
        path_of(st, id, "exit.json", ex, sizeof(ex));
        if (access(pid, F_OK) < 0 && access(ex, F_OK) < 0)
            continue;
        json_t *o = state_of(st, id);
        if (!o)
            continue;
        json_object_set_new(o, "id", json_string(id));
        const char *s = json_string_value(json_object_get(o, "status"));
        if (s && strcmp(s, "stopped"))
            add_watch(st, id);
        json_array_append_new(arr, o);
    }
    return dump(st, arr, ret_json);
}

static void rns_free(void *state, void *ptr)
{
    free(ptr);
}

/* ---- ABI 1.1 */

static int32_t rns_pause(void *state, const char *id)
{
    return ctl(state, id, "{\"op\":\"pause\"}", NULL);
}

static int32_t rns_resume(void *state, const char *id)
{
    return ctl(state, id, "{\"op\":\"resume\"}", NULL);
}

/* Send req (a JSON object, borrowed) and hand back the reply object. */
static int ctl_json(rns *st, const char *id, json_t *req, json_t **ret_reply)
{
    _cleanup_free_ char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
    if (!line)
        return st->host->error(st->host, -ENOMEM, "out of memory");
    _cleanup_free_ char *reply = NULL;
    int r = ctl(st, id, line, ret_reply ? &reply : NULL);
    if (r < 0 || !ret_reply)
        return r;
    if (!(*ret_reply = json_loads(reply, 0, NULL)))
        return st->host->error(st->host, -EIO, "container %s: unreadable reply from pouch-shim: %.200s", id, reply);
    return 0;
}

static int exec_id_ok(rns *st, const char *exec_id)
{
    if (exec_id_valid(exec_id))
        return 0;
    return st->host->error(st->host, -EINVAL, "invalid exec id \"%s\"", exec_id ? exec_id : "");
}

static int32_t rns_exec_create(void *state, const char *id, const char *exec_id, const char *process_json,
                               const char *options_json)
{
    rns *st = state;
    int r = exec_id_ok(st, exec_id);
    if (r < 0)
        return r;
    json_t *proc = json_loads(process_json ? process_json : "", 0, NULL);
    if (!json_is_object(proc)) {
        json_decref(proc);
        return st->host->error(st->host, -EINVAL, "exec %s: the process is not an OCI process JSON object", exec_id);
    }
    _cleanup_(json_decrefp) json_t *opts = json_loads(options_json ? options_json : "{}", 0, NULL);
    _cleanup_(json_decrefp) json_t *req =
        json_pack("{s:s,s:s,s:o,s:b,s:b}", "op", "exec_create", "exec_id", exec_id, "process", proc, "stdin",
                  json_is_true(json_object_get(opts, "stdin")), "tty", json_is_true(json_object_get(opts, "tty")));
    return ctl_json(st, id, req, NULL);
}

static int32_t rns_exec_start(void *state, const char *id, const char *exec_id)
{
    rns *st = state;
    int r = exec_id_ok(st, exec_id);
    if (r < 0)
        return r;
    _cleanup_(json_decrefp) json_t *req = json_pack("{s:s,s:s}", "op", "exec_start", "exec_id", exec_id);
    return ctl_json(st, id, req, NULL);
}

static int32_t rns_exec_state(void *state, const char *id, const char *exec_id, char **ret_json)
{
    rns *st = state;
    int r = exec_id_ok(st, exec_id);
    if (r < 0)
        return r;
    _cleanup_(json_decrefp) json_t *req = json_pack("{s:s,s:s}", "op", "exec_state", "exec_id", exec_id);
    _cleanup_(json_decrefp) json_t *o = NULL;
    if ((r = ctl_json(st, id, req, &o)) < 0)
        return r;
    json_object_del(o, "ok");
    return dump(st, o, ret_json);
}

static int32_t rns_exec_resize(void *state, const char *id, const char *exec_id, int32_t rows, int32_t cols)
{
    rns *st = state;
    int r = exec_id_ok(st, exec_id);
    if (r < 0)
        return r;
    _cleanup_(json_decrefp) json_t *req =
        json_pack("{s:s,s:s,s:i,s:i}", "op", "exec_resize", "exec_id", exec_id, "rows", (int)rows, "cols", (int)cols);
    return ctl_json(st, id, req, NULL);
}

static int32_t rns_update(void *state, const char *id, const char *resources_json)
{
    rns *st = state;
    json_t *res = json_loads(resources_json ? resources_json : "", 0, NULL);
    if (!json_is_object(res)) {
        json_decref(res);
        return st->host->error(st->host, -EINVAL, "update %s: the resources are not an OCI linux.resources object",
                               id);
    }
    _cleanup_(json_decrefp) json_t *req = json_pack("{s:s,s:o}", "op", "update", "resources", res);
    return ctl_json(st, id, req, NULL);
}

/* stats and pids: a container whose shim is gone has used nothing. */
static int32_t usage_call(rns *st, const char *id, const char *op, char **ret_json)
{
    if (!valid_id(id))
        return st->host->error(st->host, -EINVAL, "invalid container id \"%s\"", id ? id : "");
    char sock[4096], req[64];
    path_of(st, id, "control.sock", sock, sizeof(sock));
    snprintf(req, sizeof(req), "{\"op\":\"%s\"}", op);
    _cleanup_free_ char *reply = NULL;
    rns_error e = {0};
    int r = ctl_call(sock, req, CTL_TIMEOUT_MS, &reply, &e);
    if (r == -ENOENT || r == -ECONNREFUSED) {
        char dir[4096];
        path_of(st, id, NULL, dir, sizeof(dir));
        if (access(dir, F_OK) < 0)
            return st->host->error(st->host, -ENOENT, "no such container: %s", id);
        if (!strcmp(op, "pids"))
            return (*ret_json = strdup("[]")) ? 0 : -ENOMEM;
        return cgroup_stats_zero(ret_json);
    }
    if (r < 0)
        return report(st, &e);
    _cleanup_(json_decrefp) json_t *o = json_loads(reply, 0, NULL);
    json_t *v = json_object_get(o, op);
    if (!v)
        return st->host->error(st->host, -EIO, "container %s: pouch-shim's %s reply lacks \"%s\"", id, op, op);
    return dump(st, v, ret_json);
}

static int32_t rns_stats(void *state, const char *id, char **ret_json)
{
    return usage_call(state, id, "stats", ret_json);
}

static int32_t rns_pids(void *state, const char *id, char **ret_json)
{
    return usage_call(state, id, "pids", ret_json);
}

static void default_shim_path(rns *st)
{
    Dl_info info;
    if (dladdr((void *)default_shim_path, &info) && info.dli_fname) {
        char copy[4096];
        snprintf(copy, sizeof(copy), "%s", info.dli_fname);
        snprintf(st->shim, sizeof(st->shim), "%s/pouch-shim", dirname(copy));
    } else {
        snprintf(st->shim, sizeof(st->shim), "pouch-shim");
    }
}

static void rns_fini(void *state)
{
    rns *st = state;
    if (!st)
        return;
    if (st->thread_started) {
        pthread_mutex_lock(&st->lock);
        st->stop = 1;
        pthread_mutex_unlock(&st->lock);
        wake(st);
        pthread_join(st->thread, NULL);
    }
    while (st->watches) {
        watch *w = st->watches;
        st->watches = w->next;
        close(w->fd);
        free(w);
    }
    close(st->wake[0]);
    close(st->wake[1]);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static int32_t rns_init(const pouch_host *host, void **ret_state)
{
    rns *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->host = host;
    st->wake[0] = st->wake[1] = -1;
    st->create_timeout_ms = 60000;
    pthread_mutex_init(&st->lock, NULL);
    snprintf(st->run_dir, sizeof(st->run_dir), "%s", host->run_dir(host));
    default_shim_path(st);
    json_error_t je;
    _cleanup_(json_decrefp) json_t *cfg = json_loads(host->config(host), 0, &je);
    const char *v;
    if ((v = json_string_value(json_object_get(cfg, "shim"))))
        snprintf(st->shim, sizeof(st->shim), "%s", v);
    if ((v = json_string_value(json_object_get(cfg, "cgroup_root"))))
        snprintf(st->cgroup_root, sizeof(st->cgroup_root), "%s", v);
    if (json_is_integer(json_object_get(cfg, "create_timeout_ms")))
        st->create_timeout_ms = (int)json_integer_value(json_object_get(cfg, "create_timeout_ms"));
    if (access(st->shim, X_OK) < 0) {
        int r = host->error(host, -errno, "runtime-ns: pouch-shim not found at %s: %s (set \"shim\" in the config)",
                            st->shim, strerror(errno));
        rns_fini(st);
        return r;
    }
    if (pipe2(st->wake, O_CLOEXEC | O_NONBLOCK) < 0 || pthread_create(&st->thread, NULL, monitor_main, st) != 0) {
        int r =
            host->error(host, -errno ? -errno : -EAGAIN, "runtime-ns: start the monitor thread: %s", strerror(errno));
        rns_fini(st);
        return r;
    }
    st->thread_started = 1;
    *ret_state = st;
    return 0;
}

static const pouch_runtime_ops rns_ops = {
    .size = sizeof(pouch_runtime_ops),
    .create = rns_create,
    .start = rns_start,
    .kill = rns_kill,
    .destroy = rns_delete,
    .state = rns_state,
    .attach_path = rns_attach_path,
    .resize = rns_resize,
    .list = rns_list,
    .free = rns_free,
    .pause = rns_pause,
    .resume = rns_resume,
    .exec_create = rns_exec_create,
    .exec_start = rns_exec_start,
    .exec_state = rns_exec_state,
    .exec_resize = rns_exec_resize,
    .update = rns_update,
    .stats = rns_stats,
    .pids = rns_pids,
};

static const pouch_plugin_descriptor rns_descriptor = {
    .size = sizeof(pouch_plugin_descriptor),
    .abi_major = POUCH_ABI_MAJOR,
    .abi_minor = POUCH_ABI_MINOR,
    .name = "runtime-ns",
    .version = "0.1.0",
    .license = "Apache-2.0",
    .summary = "containers isolated by Linux namespaces and cgroups, one pouch-shim monitor each",
    .kind = POUCH_KIND_RUNTIME,
    .init = rns_init,
    .fini = rns_fini,
    .ops = &rns_ops,
};

POUCH_PLUGIN_DEFINE(rns_descriptor)
