/* The container store: records under <data-root>/containers/<id>/, names,
 * lookups, and reference counting so a container being removed is never
 * freed under an operation still using it. */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "state-store.h"

#define RECORD "config.v2.json"

static const char *const status_names[] = {
    [STATUS_CREATED] = "created",   [STATUS_RUNNING] = "running",
    [STATUS_PAUSED] = "paused",     [STATUS_RESTARTING] = "restarting",
    [STATUS_REMOVING] = "removing", [STATUS_EXITED] = "exited",
    [STATUS_DEAD] = "dead",
};

const char *container_status_name(enum container_status s)
{
    return status_names[s];
}

enum container_status container_status_parse(const char *s)
{
    for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
        if (s && strcmp(status_names[i], s) == 0)
            return (enum container_status)i;
    return STATUS_EXITED;
}

void format_time(int64_t ns, char *buf, size_t cap)
{
    if (ns <= 0) {
        snprintf(buf, cap, "0001-01-01T00:00:00Z");
        return;
    }
    time_t secs = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    long frac = (long)(ns % 1000000000LL);
    if (frac) {
        char f[16];
        snprintf(f, sizeof(f), "%09ld", frac);
        for (int i = 8; i > 0 && f[i] == '0'; i--)
            f[i] = '\0'; /* Go's RFC3339Nano trims trailing zeros */
        n += (size_t)snprintf(buf + n, cap - n, ".%s", f);
    }
    snprintf(buf + n, cap - n, "Z");
}

int64_t parse_time(const char *s)
{
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest || tm.tm_year < 70)
        return 0;
    int64_t ns = (int64_t)timegm(&tm) * 1000000000LL;
    if (*rest == '.') {
        int64_t frac = 0, scale = 100000000;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
            frac += (*rest - '0') * scale;
        ns += frac;
    }
    return ns;
}

void container_data_path(struct container_store *s, const struct container *c, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s%s%s", s->data_dir, c->id, name ? "/" : "", name ? name : "");
}

void container_run_path(struct container_store *s, const struct container *c, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s%s%s", s->run_dir, c->id, name ? "/" : "", name ? name : "");
}

void container_sync_state(struct container *c)
{
    /* (callers that change state also save; save bumps the generation) */
    json_t *st = json_object_get(c->rec, "State");
    if (!st) {
        st = json_object();
        json_object_set_new(c->rec, "State", st);
    }
    json_object_set_new(st, "Status", json_string(container_status_name(c->status)));
    json_object_set_new(
        st, "Running",
        json_boolean(c->status == STATUS_RUNNING || c->status == STATUS_PAUSED || c->status == STATUS_RESTARTING));
    json_object_set_new(st, "Paused", json_boolean(c->status == STATUS_PAUSED));
    json_object_set_new(st, "Restarting", json_boolean(c->status == STATUS_RESTARTING));
    json_object_set_new(st, "Dead", json_boolean(c->status == STATUS_DEAD));
    json_object_set_new(st, "Pid",
                        json_integer(c->status == STATUS_RUNNING || c->status == STATUS_PAUSED ? c->pid : 0));
}

int container_save(struct container_store *s, struct container *c)
{
    s->generation++;
    char dir[4096];
    container_data_path(s, c, NULL, dir, sizeof(dir));
    json_object_set_new(c->rec, "HasBeenManuallyStopped", json_boolean(c->manually_stopped));
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return err_set(-errno, "container %.12s: its directory %s is missing: %s", c->id, dir, strerror(errno));
    _cleanup_free_ char *text = json_dumps(c->rec, JSON_COMPACT);
    if (!text)
        return err_set(-ENOMEM, "container %.12s: out of memory", c->id);
    return state_write(fd, RECORD, text, strlen(text));
}

static void container_free(struct container *c)
{
    if (!c)
        return;
    json_decref(c->rec);
    pthread_mutex_destroy(&c->op);
    free(c);
}

int container_add(struct container_store *s, struct container *c)
{
    s->generation++;
    struct container **v = realloc(s->v, (s->n + 1) * sizeof(*v));
    if (!v)
        return err_set(-ENOMEM, "container store: out of memory");
    s->v = v;
    s->v[s->n++] = c;
    return 0;
}

/* Take c out of the index; freed when the last reference goes. */
void container_drop(struct container_store *s, struct container *c)
{
    s->generation++;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == c) {
            memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
            s->n--;
            break;
        }
    c->removed = true;
    pthread_cond_broadcast(&s->changed);
}

static int load_one(struct container_store *s, const char *id)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", s->data_dir, id);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    state_repair(fd);
    _cleanup_free_ char *text = NULL;
    int r = state_read(fd, RECORD, &text, NULL);
    if (r < 0)
        return r;
    json_t *rec = json_loads(text, 0, NULL);
    if (!json_is_object(rec)) {
        json_decref(rec);
        return -EBADMSG;
    }
    struct container *c = calloc(1, sizeof(*c));
    if (!c) {
        json_decref(rec);
        return -ENOMEM;
    }
    pthread_mutex_init(&c->op, NULL);
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->rec = rec;
    json_t *st = json_object_get(rec, "State");
    c->status = container_status_parse(json_string_value(json_object_get(st, "Status")));
    c->pid = (int)json_integer_value(json_object_get(st, "Pid"));
    c->manually_stopped = json_is_true(json_object_get(rec, "HasBeenManuallyStopped"));
    c->created_ns = parse_time(json_string_value(json_object_get(rec, "Created")));
    if (c->status == STATUS_REMOVING || c->status == STATUS_RESTARTING)
        c->status = STATUS_EXITED;
    r = container_add(s, c);
    if (r < 0)
        container_free(c);
    return r;
}

int container_store_open(struct daemon *d, struct container_store **ret)
{
    struct container_store *s = calloc(1, sizeof(*s));
    if (!s)
        return err_set(-ENOMEM, "container store: out of memory");
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    s->daemon = d;
    s->dir_fd = -1;
    if (asprintf(&s->data_dir, "%s/containers", d->cfg.data_root) < 0 ||
        asprintf(&s->run_dir, "%s/containers", d->cfg.exec_root) < 0) {
        container_store_free(s);
        return err_set(-ENOMEM, "container store: out of memory");
    }
    int r = mkdir_p(s->data_dir, 0710);
    if (r >= 0)
        r = mkdir_p(s->run_dir, 0710);
    if (r < 0) {
        r = err_set(r, "container store: cannot create %s or %s: %s", s->data_dir, s->run_dir, strerror(-r));
        container_store_free(s);
        return r;
    }
    _cleanup_closedir_ DIR *dir = opendir(s->data_dir);
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (strlen(de->d_name) != 64)
            continue;
        r = load_one(s, de->d_name);
        if (r < 0)
            log_warn("container %.12s: record unreadable (%s); leaving its directory for inspection", de->d_name,
                     strerror(-r));
    }
    *ret = s;
    return 0;
}

void container_store_free(struct container_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        container_free(s->v[i]);
    free(s->v);
    free(s->data_dir);
    free(s->run_dir);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const char *name_of(const struct container *c)
{
    return json_string_value(json_object_get(c->rec, "Name"));
}

int container_lookup(struct container_store *s, const char *ref, struct container **ret)
{
    if (!ref || !*ref)
        return err_set(-EINVAL, "no container name or ID given");
    const char *bare = ref[0] == '/' ? ref + 1 : ref;
    for (size_t i = 0; i < s->n; i++) /* exact ID, then exact name */
        if (strcmp(s->v[i]->id, ref) == 0) {
            *ret = s->v[i];
            return 0;
        }
    for (size_t i = 0; i < s->n; i++) {
        const char *n = name_of(s->v[i]);
        if (n && strcmp(n + (n[0] == '/'), bare) == 0) {
            *ret = s->v[i];
            return 0;
        }
    }
    struct container *hit = NULL;
    size_t len = strlen(ref);
    for (size_t i = 0; i < s->n; i++)
        if (strncmp(s->v[i]->id, ref, len) == 0) {
            if (hit)
                return err_set(-EINVAL, "multiple IDs found with provided prefix: %s", ref);
            hit = s->v[i];
        }
    if (!hit)
        return err_set(-ENOENT, "No such container: %s", ref);
    *ret = hit;
    return 0;
}

int container_get(struct container_store *s, const char *ref, struct container **ret)
{
    pthread_mutex_lock(&s->lock);
    int r = container_lookup(s, ref, ret);
    if (r >= 0)
        (*ret)->refs++;
    pthread_mutex_unlock(&s->lock);
    return r;
}

void container_unref(struct container_store *s, struct container *c)
{
    pthread_mutex_lock(&s->lock);
    bool gone = --c->refs == 0 && c->removed;
    pthread_mutex_unlock(&s->lock);
    if (gone)
        container_free(c);
}

int container_name_check(struct container_store *s, const char *name, const struct container *self)
{
    const char *bare = name[0] == '/' ? name + 1 : name;
    bool ok = strlen(bare) >= 2 && ((bare[0] >= 'a' && bare[0] <= 'z') || (bare[0] >= 'A' && bare[0] <= 'Z') ||
                                    (bare[0] >= '0' && bare[0] <= '9'));
    for (const char *p = bare + 1; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
             *p == '.' || *p == '-';
    if (!ok)
        return err_set(-EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", bare);
    for (size_t i = 0; i < s->n; i++) {
        const char *n = name_of(s->v[i]);
        if (s->v[i] != self && n && strcmp(n + 1, bare) == 0)
            return err_set(-EEXIST,
                           "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to "
                           "remove (or rename) that container to be able to reuse that name.",
                           bare, s->v[i]->id);
    }
    return 0;
}

void container_generate_name(struct container_store *s, char *buf, size_t cap)
{
    static const char *const left[] = {"admiring", "brave",      "clever",   "dreamy",   "eager",    "focused",
                                       "gallant",  "happy",      "jolly",    "keen",     "lucid",    "modest",
                                       "nifty",    "optimistic", "peaceful", "quirky",   "relaxed",  "serene",
                                       "tender",   "upbeat",     "vibrant",  "wizardly", "youthful", "zealous"};
    static const char *const right[] = {"turing",  "hopper",   "lovelace", "ritchie",  "thompson",  "torvalds",
                                        "knuth",   "dijkstra", "liskov",   "hamilton", "kernighan", "pike",
                                        "shannon", "babbage",  "noether",  "curie",    "lamport",   "tanenbaum"};
    for (int attempt = 0; attempt < 64; attempt++) {
        unsigned rnd[2] = {0, 0};
        if (getrandom(rnd, sizeof(rnd), 0) < 0)
            rnd[0] = (unsigned)attempt * 7u, rnd[1] = (unsigned)attempt * 13u;
        if (attempt < 8)
            snprintf(buf, cap, "%s_%s", left[rnd[0] % ARRAY_SIZE(left)], right[rnd[1] % ARRAY_SIZE(right)]);
        else
            snprintf(buf, cap, "%s_%s%u", left[rnd[0] % ARRAY_SIZE(left)], right[rnd[1] % ARRAY_SIZE(right)],
                     rnd[0] % 10);
        if (container_name_check(s, buf, NULL) == 0)
            return;
    }
}
