/* docker exec: in-memory exec records (dockerd does not persist them), the
 * OCI process each one runs, derived from the container's own config.json so
 * it keeps the container's caps, rlimits and noNewPrivileges, and exits polled
 * from the runtime. The exec lock is never held across a runtime call. */
#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <pouch/runtime.h>

#include "cleanup.h"
#include "daemon.h"
#include "error.h"
#include "lifecycle-internal.h"
#include "log.h"
#include "rootfs.h"
#include "spec.h"

#define EXEC_ID_LEN 65
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* What a process that ended with its container reports (SIGKILL). */
#define EXIT_KILLED 137
/* dockerd's exit code for an exec that could not be started. */
#define EXIT_START_FAILED 126

enum exec_state { EXEC_CREATED, EXEC_PREPARING, EXEC_STARTING, EXEC_RUNNING, EXEC_EXITED };

struct exec_rec {
    struct exec_rec *next;
    char id[EXEC_ID_LEN];
    char cid[CONTAINER_ID_LEN];
    json_t *cmd; /* ["entrypoint", args…] */
    json_t *env; /* the exec's own Env (may be NULL) */
    char *user, *workdir, *detach_keys;
    unsigned char keys[32];
    size_t n_keys;
    bool tty, privileged, in, out, err;
    bool prepared; /* the runtime has it */
    enum exec_state state;
    int exit_code, pid;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct exec_rec *head;
    struct container_store *store; /* for the watcher */
    pthread_t watcher;
    bool watching, stopping;
} execs = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void exec_free(struct exec_rec *e)
{
    if (!e)
        return;
    json_decref(e->cmd);
    json_decref(e->env);
    free(e->user);
    free(e->workdir);
    free(e->detach_keys);
    free(e);
}

/* Exec lock held. Exact IDs only, as dockerd's exec store. */
static struct exec_rec *find(const char *id)
{
    for (struct exec_rec *e = execs.head; e; e = e->next)
        if (id && strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

/* "entrypoint arg1 arg2", as dockerd words exec events. */
static char *describe(json_t *cmd)
{
    size_t len = 1, i;
    json_t *a;
    json_array_foreach(cmd, i, a) len += strlen(json_string_value(a) ?: "") + 1;
    char *s = calloc(1, len + 1);
    if (!s)
        return NULL;
    json_array_foreach(cmd, i, a)
    {
        strcat(s, json_string_value(a) ?: "");
        if (i == 0 || i + 1 < json_array_size(cmd))
            strcat(s, " "); /* dockerd: entrypoint + " " + join(args) */
    }
    return s;
}

/* term.ToBytes: "ctrl-p,ctrl-q" -> bytes. */
static int detach_keys_bytes(const char *text, unsigned char *buf, size_t cap, size_t *ret_len)
{
    static const char ctrl[] = "@abcdefghijklmnopqrstuvwxyz[\\]^_";
    size_t n = 0;
    _cleanup_free_ char *copy = strdup(text);
    if (!copy)
        return -ENOMEM;
    char *save = NULL;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        int code = -1;
        if (strlen(k) == 1)
            code = (unsigned char)k[0];
        else if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6 && strchr(ctrl, k[5]) && k[5])
            code = (int)(strchr(ctrl, k[5]) - ctrl);
        else if (strcmp(k, "DEL") == 0)
            code = 127;
        if (code < 0 || n >= cap)
            return -EINVAL;
        buf[n++] = (unsigned char)code;
    }
    *ret_len = n;
    return 0;
}

static json_t *base64_of(const unsigned char *in, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[64] = "";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < sizeof(out); i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = 0;
    return json_string(out);
}

/* dockerd's checks before exec create/start (store lock held). */
static int check_active(struct container *c, const char *ref)
{
    if (c->status == STATUS_RESTARTING)
        return err_set(-EBUSY, "Container %s is restarting, wait until the container is running", c->id);
    if (!container_running(c))
        return err_set(-EBUSY, "Container %s is not running", c->id);
    if (c->status == STATUS_PAUSED)
        return err_set(-EBUSY, "Container %s is paused, unpause the container before exec", ref);
    return 0;
}

static char *dup_str(json_t *v)
{
    const char *s = json_string_value(v);
    return strdup(s ? s : "");
}

int ctr_exec_create(struct container_store *s, const char *ref, json_t *body, json_t **ret)
{
    json_t *cmd = json_object_get(body, "Cmd");
    if (!json_is_array(cmd) || json_array_size(cmd) == 0)
        return err_set(-EINVAL, "No exec command specified");
    size_t i;
    json_t *a;
    json_array_foreach(cmd, i, a) if (!json_is_string(a)) return err_set(-EINVAL, "Cmd must be a list of strings");
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    r = check_active(c, ref);
    pthread_mutex_unlock(&s->lock);
    struct exec_rec *e = r < 0 ? NULL : calloc(1, sizeof(*e));
    if (r >= 0 && !e)
        r = err_set(-ENOMEM, "exec: out of memory");
    const char *keys = json_string_value(json_object_get(body, "DetachKeys"));
    if (r >= 0 && keys && *keys && detach_keys_bytes(keys, e->keys, sizeof(e->keys), &e->n_keys) < 0)
        r = err_set(-EIO, "Invalid escape keys (%s) provided", keys);
    unsigned char rnd[32];
    if (r >= 0 && getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        r = err_set(-EIO, "exec: no random bytes for an ID: %s", strerror(errno));
    if (r < 0) {
        exec_free(e);
        container_unref(s, c);
        return r;
    }
    for (size_t k = 0; k < sizeof(rnd); k++)
        snprintf(e->id + 2 * k, 3, "%02x", rnd[k]);
    memcpy(e->cid, c->id, sizeof(e->cid));
    e->cmd = json_deep_copy(cmd);
    json_t *env = json_object_get(body, "Env");
    e->env = json_is_array(env) ? json_deep_copy(env) : NULL;
    e->user = dup_str(json_object_get(body, "User"));
    e->workdir = dup_str(json_object_get(body, "WorkingDir"));
    e->detach_keys = dup_str(json_object_get(body, "DetachKeys"));
    e->tty = json_is_true(json_object_get(body, "Tty"));
    e->privileged = json_is_true(json_object_get(body, "Privileged"));
    e->in = json_is_true(json_object_get(body, "AttachStdin"));
    e->out = json_is_true(json_object_get(body, "AttachStdout"));
    e->err = json_is_true(json_object_get(body, "AttachStderr"));
    pthread_mutex_lock(&execs.lock);
    e->next = execs.head;
    execs.head = e;
    pthread_mutex_unlock(&execs.lock);

    _cleanup_free_ char *what = describe(e->cmd);
    char action[4200];
    snprintf(action, sizeof(action), "exec_create: %s", what ? what : "");
    ctr_event_locking(s, c, action, json_pack("{s:s}", "execID", e->id));
    *ret = json_pack("{s:s}", "Id", e->id);
    container_unref(s, c);
    return 0;
}

/* dockerd's ReplaceOrAppendEnvValues: "K=V" replaces K, a bare "K" removes it. */
static void env_merge(json_t *env, json_t *over)
{
    size_t i;
    json_t *o;
    json_array_foreach(over, i, o)
    {
        const char *kv = json_string_value(o);
        if (!kv)
            continue;
        size_t klen = strcspn(kv, "=");
        bool found = false;
        for (size_t k = 0; k < json_array_size(env); k++) {
            const char *cur = json_string_value(json_array_get(env, k));
            if (cur && strncmp(cur, kv, klen) == 0 && (cur[klen] == '=' || cur[klen] == 0)) {
                if (kv[klen] == '=')
                    json_array_set_new(env, k, json_string(kv));
                else
                    json_array_remove(env, k--);
                found = true;
            }
        }
        if (!found && kv[klen] == '=')
            json_array_append_new(env, json_string(kv));
    }
}

static bool env_has(json_t *env, const char *key)
{
    size_t i, klen = strlen(key);
    json_t *e;
    json_array_foreach(env, i, e) if (strncmp(json_string_value(e) ?: "", key, klen) == 0) return true;
    return false;
}

/* A copy of what prepare needs, taken under the exec lock. */
struct exec_view {
    char id[EXEC_ID_LEN];
    json_t *cmd, *env;
    char *user, *workdir, *detach_keys;
    bool tty, privileged, in;
};

static void view_clear(struct exec_view *v)
{
    json_decref(v->cmd);
    json_decref(v->env);
    free(v->user);
    free(v->workdir);
    free(v->detach_keys);
}

/* The exec's OCI process: the container's process with this command, env,
 * cwd, user and terminal (and every cap of the daemon's set when privileged). */
static int build_process(struct container_store *s, struct container *c, const struct exec_view *v, json_t **ret)
{
    char path[4200];
    container_run_path(s, c, "config.json", path, sizeof(path));
    json_error_t jerr;
    json_auto_t *spec = json_load_file(path, 0, &jerr);
    json_t *cproc = json_object_get(spec, "process");
    if (!json_is_object(cproc))
        return err_set(-EIO, "exec in container %.12s: cannot read its process from %s: %s", c->id, path, jerr.text);
    json_auto_t *proc = json_deep_copy(cproc);
    json_object_set_new(proc, "terminal", json_boolean(v->tty));
    json_object_del(proc, "consoleSize");
    json_object_set(proc, "args", v->cmd);
    if (v->workdir && *v->workdir)
        json_object_set_new(proc, "cwd", json_string(v->workdir));

    _cleanup_free_ char *home = NULL;
    if (v->user && *v->user) {
        /* The create-time resolver reads Config.User and GroupAdd from a
         * record: hand it one that names the exec's user. */
        pthread_mutex_lock(&s->lock);
        json_auto_t *rec = json_pack("{s:{s:s}, s:O}", "Config", "User", v->user, "HostConfig", hc_of(c));
        pthread_mutex_unlock(&s->lock);
        struct container tmp = {.rec = rec};
        memcpy(tmp.id, c->id, sizeof(tmp.id));
        int uid = 0, gid = 0;
        json_auto_t *gids = NULL;
        int r = rootfs_resolve_user(s, &tmp, &uid, &gid, &gids, &home);
        if (r < 0)
            return r;
        json_t *user = json_pack("{s:i, s:i}", "uid", uid, "gid", gid);
        if (gids && json_array_size(gids))
            json_object_set(user, "additionalGids", gids);
        json_object_set_new(proc, "user", user);
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(cproc, "env"), i, e) if (strncmp(json_string_value(e) ?: "", "HOME=", 5) ==
                                                                     0) home = strdup(json_string_value(e) + 5);
    }

    /* dockerd's CreateDaemonEnvironment, then the container's Env, then the exec's. */
    json_t *env = json_array();
    json_object_set_new(proc, "env", env);
    json_array_append_new(env, json_string(DEFAULT_PATH));
    pthread_mutex_lock(&s->lock);
    char host[300];
    snprintf(host, sizeof(host), "HOSTNAME=%s", json_string_value(json_object_get(cfg_of(c), "Hostname")) ?: "");
    json_array_append_new(env, json_string(host));
    if (v->tty)
        json_array_append_new(env, json_string("TERM=xterm"));
    env_merge(env, json_object_get(cfg_of(c), "Env"));
    pthread_mutex_unlock(&s->lock);
    env_merge(env, v->env);
    if (!env_has(env, "HOME=")) {
        char h[4200];
        snprintf(h, sizeof(h), "HOME=%s", home && *home ? home : "/");
        json_array_append_new(env, json_string(h));
    }

    if (v->privileged) {
        json_t *caps = ctr_own_bounding_caps();
        json_object_set_new(proc, "capabilities",
                            json_pack("{s:O, s:O, s:O, s:[]}", "bounding", caps, "effective", caps, "permitted", caps,
                                      "inheritable"));
        json_decref(caps);
        json_object_del(proc, "apparmorProfile");
    }
    *ret = json_incref(proc);
    return 0;
}

static void mark_exited(const char *id, int code)
{
    pthread_mutex_lock(&execs.lock);
    struct exec_rec *e = find(id);
    if (e) {
        e->state = EXEC_EXITED;
        e->exit_code = code;
    }
    pthread_mutex_unlock(&execs.lock);
}

int ctr_exec_prepare(struct container_store *s, const char *exec_id, json_t **ret)
{
    struct exec_view v = {0};
    pthread_mutex_lock(&execs.lock);
    struct exec_rec *e = find(exec_id);
    int r = 0;
    if (!e)
        r = err_set(-ENOENT, "No such exec instance: %s", exec_id);
    else if (e->state == EXEC_EXITED)
        r = err_set(-EBUSY, "Error: Exec command %s has already run", e->id);
    else if (e->state != EXEC_CREATED)
        r = err_set(-EBUSY, "Error: Exec command %s is already running", e->id);
    char cid[CONTAINER_ID_LEN] = "";
    bool again = false;
    if (r >= 0) {
        again = e->prepared;
        e->state = again ? EXEC_CREATED : EXEC_PREPARING;
        memcpy(v.id, e->id, sizeof(v.id));
        memcpy(cid, e->cid, sizeof(cid));
        v.cmd = json_incref(e->cmd);
        v.env = json_incref(e->env);
        v.user = strdup(e->user);
        v.workdir = strdup(e->workdir);
        v.detach_keys = strdup(e->detach_keys);
        v.tty = e->tty;
        v.privileged = e->privileged;
        v.in = e->in;
    }
    pthread_mutex_unlock(&execs.lock);
    if (r < 0)
        return r;

    struct container *c;
    r = container_get(s, cid, &c);
    if (r < 0) {
        mark_exited(v.id, EXIT_KILLED);
        view_clear(&v);
        return r;
    }
    pthread_mutex_lock(&c->op);
    pthread_mutex_lock(&s->lock);
    r = check_active(c, c->id);
    pthread_mutex_unlock(&s->lock);
    bool checked = r >= 0;
    struct plugin *rt = NULL;
    const pouch_runtime_ops *ops = NULL;
    if (r >= 0)
        r = ctr_runtime_of(s, c, &rt, &ops);
    if (r >= 0 && (!POUCH_HAS(ops, pouch_runtime_ops, exec_create) || !ops->exec_create || !ops->attach_path))
        r = err_set(-ENOTSUP, "exec: the container's runtime \"%s\" cannot run extra processes", rt->name);
    json_auto_t *proc = NULL;
    if (r >= 0 && !again)
        r = build_process(s, c, &v, &proc);
    if (r >= 0 && !again) {
        _cleanup_free_ char *proc_text = json_dumps(proc, JSON_COMPACT);
        char opts[64];
        snprintf(opts, sizeof(opts), "{\"stdin\":%s,\"tty\":%s}", v.in ? "true" : "false", v.tty ? "true" : "false");
        err_clear();
        r = proc_text ? ops->exec_create(rt->state, c->id, v.id, proc_text, opts)
                      : err_set(-ENOMEM, "exec: out of memory");
    }
    char *path = NULL;
    if (r >= 0)
        r = ops->attach_path(rt->state, c->id, &path);
    pthread_mutex_unlock(&c->op);
    if (r >= 0) {
        *ret = json_pack("{s:s, s:b, s:s, s:s}", "path", path, "tty", v.tty, "exec", v.id, "detach_keys",
                         v.detach_keys ? v.detach_keys : "");
        ops->free(rt->state, path);
    }
    pthread_mutex_lock(&execs.lock);
    e = find(v.id);
    if (e && r >= 0) {
        e->prepared = true;
        e->state = EXEC_CREATED;
    } else if (e && checked) {
        /* dockerd: an exec that could not start has run, with 126 */
        e->state = EXEC_EXITED;
        e->exit_code = EXIT_START_FAILED;
    } else if (e) {
        e->state = EXEC_CREATED;
    }
    pthread_mutex_unlock(&execs.lock);
    container_unref(s, c);
    view_clear(&v);
    return r;
}

static void watcher_kick(struct container_store *s);

int ctr_exec_start(struct container_store *s, const char *exec_id)
{
    pthread_mutex_lock(&execs.lock);
    struct exec_rec *e = find(exec_id);
    bool prepared = e && e->prepared;
    pthread_mutex_unlock(&execs.lock);
    if (e && !prepared) {
        json_t *info = NULL;
        int r = ctr_exec_prepare(s, exec_id, &info);
        json_decref(info);
        if (r < 0)
            return r;
    }
    char cid[CONTAINER_ID_LEN] = "", id[EXEC_ID_LEN] = "";
    _cleanup_free_ char *what = NULL;
    int r = 0;
    pthread_mutex_lock(&execs.lock);
    e = find(exec_id);
    if (!e)
        r = err_set(-ENOENT, "No such exec instance: %s", exec_id);
    else if (e->state == EXEC_EXITED)
        r = err_set(-EBUSY, "Error: Exec command %s has already run", e->id);
    else if (e->state != EXEC_CREATED || !e->prepared)
        r = err_set(-EBUSY, "Error: Exec command %s is already running", e->id);
    if (r >= 0) {
        e->state = EXEC_STARTING;
        memcpy(cid, e->cid, sizeof(cid));
        memcpy(id, e->id, sizeof(id));
        what = describe(e->cmd);
    }
    pthread_mutex_unlock(&execs.lock);
    if (r < 0)
        return r;
    struct container *c;
    r = container_get(s, cid, &c);
    if (r < 0) {
        mark_exited(id, EXIT_KILLED);
        return r;
    }
    char action[4200];
    snprintf(action, sizeof(action), "exec_start: %s", what ? what : "");
    ctr_event_locking(s, c, action, json_pack("{s:s}", "execID", id));
    struct plugin *rt = NULL;
    const pouch_runtime_ops *ops = NULL;
    r = ctr_runtime_of(s, c, &rt, &ops);
    if (r >= 0 && (!POUCH_HAS(ops, pouch_runtime_ops, exec_start) || !ops->exec_start))
        r = err_set(-ENOTSUP, "exec: the container's runtime \"%s\" cannot start extra processes", rt->name);
    if (r >= 0) {
        err_clear();
        r = ops->exec_start(rt->state, c->id, id);
        if (r < 0) { /* a bad command is the caller's mistake: dockerd answers 400 */
            _cleanup_free_ char *why = strdup(err_get());
            r = err_set(-EINVAL, "%s", why && *why ? why : "exec: the runtime could not start the process");
        }
    }
    int pid = 0;
    if (r >= 0 && POUCH_HAS(ops, pouch_runtime_ops, exec_state) && ops->exec_state) {
        char *text = NULL;
        if (ops->exec_state(rt->state, c->id, id, &text) >= 0) {
            json_auto_t *st = json_loads(text, 0, NULL);
            pid = (int)json_integer_value(json_object_get(st, "pid"));
            ops->free(rt->state, text);
        }
    }
    pthread_mutex_lock(&execs.lock);
    e = find(id);
    if (e && e->state == EXEC_STARTING) {
        e->state = r >= 0 ? EXEC_RUNNING : EXEC_EXITED;
        e->exit_code = r >= 0 ? 0 : EXIT_START_FAILED;
        e->pid = pid;
    }
    pthread_mutex_unlock(&execs.lock);
    if (r >= 0)
        watcher_kick(s);
    container_unref(s, c);
    return r;
}

/* Ask the runtime whether exec id of container cid ended, and record it. */
static void exec_poll(struct container_store *s, const char *cid, const char *id)
{
    struct container *c;
    if (container_get(s, cid, &c) < 0) {
        mark_exited(id, EXIT_KILLED);
        return;
    }
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    int code = -1;
    if (ctr_runtime_of(s, c, &rt, &ops) >= 0 && POUCH_HAS(ops, pouch_runtime_ops, exec_state) && ops->exec_state) {
        char *text = NULL;
        int r = ops->exec_state(rt->state, c->id, id, &text);
        if (r >= 0) {
            json_auto_t *st = json_loads(text, 0, NULL);
            ops->free(rt->state, text);
            if (!strcmp(json_string_value(json_object_get(st, "status")) ?: "", "stopped"))
                code = (int)json_integer_value(json_object_get(st, "exit_code"));
        } else {
            /* forgotten or unreachable: it ended with its container */
            pthread_mutex_lock(&s->lock);
            bool alive = container_running(c);
            pthread_mutex_unlock(&s->lock);
            if (!alive || r == -ENOENT)
                code = EXIT_KILLED;
        }
    }
    if (code >= 0) {
        bool ended = false;
        pthread_mutex_lock(&execs.lock);
        struct exec_rec *e = find(id);
        if (e && e->state == EXEC_RUNNING) {
            e->state = EXEC_EXITED;
            e->exit_code = code;
            ended = true;
        }
        pthread_mutex_unlock(&execs.lock);
        if (ended) {
            char num[16];
            snprintf(num, sizeof(num), "%d", code);
            ctr_event_locking(s, c, "exec_die", json_pack("{s:s, s:s}", "execID", id, "exitCode", num));
        }
    }
    container_unref(s, c);
}

/* One thread polls running execs, so exec_die comes without a client asking. */
static void *watch_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&execs.lock);
    while (!execs.stopping) {
        size_t n = 0;
        for (struct exec_rec *e = execs.head; e; e = e->next)
            n += e->state == EXEC_RUNNING;
        if (n == 0) {
            pthread_cond_wait(&execs.wake, &execs.lock);
            continue;
        }
        struct pair {
            char cid[CONTAINER_ID_LEN], id[EXEC_ID_LEN];
        } *v = calloc(n, sizeof(*v));
        size_t k = 0;
        for (struct exec_rec *e = execs.head; e && v && k < n; e = e->next)
            if (e->state == EXEC_RUNNING) {
                memcpy(v[k].cid, e->cid, sizeof(v[k].cid));
                memcpy(v[k].id, e->id, sizeof(v[k].id));
                k++;
            }
        struct container_store *s = execs.store;
        pthread_mutex_unlock(&execs.lock);
        for (size_t i = 0; i < k; i++)
            exec_poll(s, v[i].cid, v[i].id);
        free(v);
        pthread_mutex_lock(&execs.lock);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (!execs.stopping)
            pthread_cond_timedwait(&execs.wake, &execs.lock, &ts);
    }
    pthread_mutex_unlock(&execs.lock);
    return NULL;
}

static void watcher_kick(struct container_store *s)
{
    pthread_mutex_lock(&execs.lock);
    execs.store = s;
    if (!execs.watching && !execs.stopping && pthread_create(&execs.watcher, NULL, watch_main, NULL) == 0)
        execs.watching = true;
    pthread_cond_broadcast(&execs.wake);
    pthread_mutex_unlock(&execs.lock);
}

void ctr_exec_shutdown(void)
{
    pthread_mutex_lock(&execs.lock);
    execs.stopping = true;
    bool watching = execs.watching;
    pthread_cond_broadcast(&execs.wake);
    pthread_mutex_unlock(&execs.lock);
    if (watching)
        pthread_join(execs.watcher, NULL);
    pthread_mutex_lock(&execs.lock);
    execs.watching = false;
    while (execs.head) {
        struct exec_rec *e = execs.head;
        execs.head = e->next;
        exec_free(e);
    }
    execs.stopping = false; /* a later store (tests) may start it again */
    pthread_mutex_unlock(&execs.lock);
}

int ctr_exec_inspect(struct container_store *s, const char *exec_id, json_t **ret)
{
    pthread_mutex_lock(&execs.lock);
    struct exec_rec *e = find(exec_id);
    bool running = e && e->state == EXEC_RUNNING;
    char cid[CONTAINER_ID_LEN] = "";
    if (e)
        memcpy(cid, e->cid, sizeof(cid));
    pthread_mutex_unlock(&execs.lock);
    if (!e)
        return err_set(-ENOENT, "No such exec instance: %s", exec_id);
    if (running) /* the freshest answer: docker exec asks right after the stream ends */
        exec_poll(s, cid, exec_id);
    pthread_mutex_lock(&execs.lock);
    e = find(exec_id);
    if (!e) {
        pthread_mutex_unlock(&execs.lock);
        return err_set(-ENOENT, "No such exec instance: %s", exec_id);
    }
    json_t *args = json_array();
    for (size_t i = 1; i < json_array_size(e->cmd); i++)
        json_array_append(args, json_array_get(e->cmd, i));
    json_t *pc = json_pack("{s:b, s:O, s:o, s:b}", "tty", e->tty, "entrypoint", json_array_get(e->cmd, 0),
                           "arguments", args, "privileged", e->privileged);
    if (e->user && *e->user)
        json_object_set_new(pc, "user", json_string(e->user));
    *ret = json_pack("{s:s, s:b, s:o, s:o, s:b, s:b, s:b, s:b, s:s, s:o, s:i}", "ID", e->id, "Running",
                     e->state == EXEC_RUNNING || e->state == EXEC_STARTING, "ExitCode",
                     e->state == EXEC_EXITED ? json_integer(e->exit_code) : json_null(), "ProcessConfig", pc,
                     "OpenStdin", e->in, "OpenStderr", e->err, "OpenStdout", e->out, "CanRemove", 0, "ContainerID",
                     e->cid, "DetachKeys", base64_of(e->keys, e->n_keys), "Pid", e->pid);
    pthread_mutex_unlock(&execs.lock);
    return *ret ? 0 : err_set(-ENOMEM, "exec: out of memory");
}

int ctr_exec_resize(struct container_store *s, const char *exec_id, int rows, int cols)
{
    pthread_mutex_lock(&execs.lock);
    struct exec_rec *e = find(exec_id);
    char cid[CONTAINER_ID_LEN] = "";
    bool live = e && e->prepared && e->state != EXEC_EXITED;
    if (e)
        memcpy(cid, e->cid, sizeof(cid));
    pthread_mutex_unlock(&execs.lock);
    if (!e)
        return err_set(-ENOENT, "No such exec instance: %s", exec_id);
    if (!live) /* dockerd: a resize before start or after exit finds no process */
        return err_set(-ENOENT, "no such exec");
    struct container *c;
    int r = container_get(s, cid, &c);
    if (r < 0)
        return r;
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    r = ctr_runtime_of(s, c, &rt, &ops);
    if (r >= 0 && (!POUCH_HAS(ops, pouch_runtime_ops, exec_resize) || !ops->exec_resize))
        r = err_set(-ENOTSUP, "exec: the container's runtime \"%s\" cannot resize an exec's terminal", rt->name);
    if (r >= 0)
        r = ops->exec_resize(rt->state, c->id, exec_id, rows, cols);
    container_unref(s, c);
    return r;
}

json_t *ctr_exec_ids(const char *container_id)
{
    json_t *ids = json_array();
    pthread_mutex_lock(&execs.lock);
    for (struct exec_rec *e = execs.head; e; e = e->next)
        if (!strcmp(e->cid, container_id) && e->state != EXEC_EXITED)
            json_array_append_new(ids, json_string(e->id));
    pthread_mutex_unlock(&execs.lock);
    if (json_array_size(ids))
        return ids;
    json_decref(ids);
    return json_null();
}

void ctr_exec_forget(const char *container_id)
{
    pthread_mutex_lock(&execs.lock);
    for (struct exec_rec **p = &execs.head; *p;) {
        struct exec_rec *e = *p;
        if (!strcmp(e->cid, container_id)) {
            *p = e->next;
            exec_free(e);
        } else {
            p = &e->next;
        }
    }
    pthread_mutex_unlock(&execs.lock);
}
