/* The image half of the engine API: argument checks, store locking, and the
 * image events dockerd publishes (load, save, import, tag, untag, delete).
 * Store work itself lives in images/. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive-load.h"
#include "archive-save.h"
#include "cleanup.h"
#include "daemon.h"
#include "error.h"
#include "image-views.h"
#include "image-api.h"
#include "import.h"

static struct image_store *store_of(const pouch_host *h)
{
    struct plugin *p = h ? (struct plugin *)h->ctx : NULL;
    return p ? p->daemon->images : NULL;
}

static struct daemon *daemon_of(const pouch_host *h)
{
    return h && h->ctx ? ((struct plugin *)h->ctx)->daemon : NULL;
}

static int32_t dump(json_t *obj, char **ret_json)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!s)
        return err_set(-ENOMEM, "engine API: out of memory");
    if (ret_json)
        *ret_json = s;
    else
        free(s);
    return 0;
}

static json_t *parse_options(const char *text)
{
    if (!text || !*text)
        return json_object();
    json_t *j = json_loads(text, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* dockerd's image events: Actor.ID is the image ID, attribute name the ref. */
static void image_event(struct daemon *d, const char *action, const char *id, const char *name)
{
    json_auto_t *attrs = json_pack("{s:s}", "name", name ? name : id);
    _cleanup_free_ char *text = attrs ? json_dumps(attrs, JSON_COMPACT) : NULL;
    pouch_event ev = {
        .size = sizeof(ev), .type = "image", .action = action, .actor_id = id, .attributes = text, .scope = "local"};
    event_bus_publish(d->bus, &ev);
}

struct progress_relay {
    pouch_progress_fn fn;
    void *user;
};

static void relay(void *user, json_t *msg)
{
    struct progress_relay *r = user;
    if (!r->fn)
        return;
    _cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
    if (text)
        r->fn(r->user, text);
}

int32_t image_api_image_load(const pouch_host *h, int32_t in_fd, pouch_progress_fn progress, void *user,
                             char **ret_json)
{
    struct image_store *s = store_of(h);
    if (!s || in_fd < 0)
        return err_set(-EINVAL, "image load: no input");
    struct progress_relay r = {progress, user};
    json_t *loaded = NULL;
    int rc = archive_load(s, in_fd, relay, &r, &loaded);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *e;
    json_array_foreach(loaded, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        json_t *refs = json_object_get(e, "refs");
        image_event(daemon_of(h), "load", id, json_array_size(refs) ? json_string_value(json_array_get(refs, 0)) : id);
    }
    return dump(loaded, ret_json);
}

int32_t image_api_image_save(const pouch_host *h, const char *names_json, int32_t out_fd)
{
    struct image_store *s = store_of(h);
    json_auto_t *names = names_json ? json_loads(names_json, 0, NULL) : NULL;
    if (!s || !json_is_array(names) || json_array_size(names) == 0 || out_fd < 0)
        return err_set(-EINVAL, "image save: give a non-empty list of image names");
    json_t *ids = NULL;
    int rc = archive_save(s, names, out_fd, &ids);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) image_event(daemon_of(h), "save", json_string_value(id), NULL);
    json_decref(ids);
    return 0;
}

int32_t image_api_image_import(const pouch_host *h, int32_t in_fd, const char *options_json, char **ret_json)
{
    struct image_store *s = store_of(h);
    json_auto_t *opts = parse_options(options_json);
    if (!s || !opts || in_fd < 0)
        return err_set(-EINVAL, "image import: bad options or no input");
    char id[DIGEST_LEN];
    int rc = image_import(s, in_fd, opts, id);
    if (rc < 0)
        return rc;
    image_event(daemon_of(h), "import", id, NULL);
    return dump(json_pack("{s:s}", "id", id), ret_json);
}

int32_t image_api_image_list(const pouch_host *h, const char *options_json, char **ret_json)
{
    struct image_store *s = store_of(h);
    json_auto_t *opts = parse_options(options_json);
    if (!s || !opts)
        return err_set(-EINVAL, "image list: options must be a JSON object");
    /* docker images is the hot read: the last answer is kept until the store
     * changes (any write lock bumps the generation) or the options differ. */
    static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
    static char *cache_opts, *cache_text;
    static uint64_t cache_gen;
    static const struct image_store *cache_store;
    const char *key = options_json ? options_json : "";
    pthread_rwlock_rdlock(&s->lock);
    uint64_t gen = __atomic_load_n(&s->generation, __ATOMIC_RELAXED);
    pthread_mutex_lock(&cache_lock);
    if (cache_text && cache_store == s && cache_gen == gen && strcmp(cache_opts, key) == 0) {
        *ret_json = strdup(cache_text);
        pthread_mutex_unlock(&cache_lock);
        pthread_rwlock_unlock(&s->lock);
        return *ret_json ? 0 : err_set(-ENOMEM, "image list: out of memory");
    }
    pthread_mutex_unlock(&cache_lock);
    json_t *out = NULL;
    int rc = image_view_list(s, opts, &out);
    pthread_rwlock_unlock(&s->lock);
    if (rc < 0)
        return rc;
    rc = dump(out, ret_json);
    if (rc >= 0) {
        pthread_mutex_lock(&cache_lock);
        free(cache_opts);
        free(cache_text);
        cache_opts = strdup(key);
        cache_text = strdup(*ret_json);
        cache_gen = gen;
        cache_store = s;
        if (!cache_opts || !cache_text) {
            free(cache_opts);
            free(cache_text);
            cache_opts = cache_text = NULL;
        }
        pthread_mutex_unlock(&cache_lock);
    }
    return rc;
}

int32_t image_api_image_inspect(const pouch_host *h, const char *name, char **ret_json)
{
    struct image_store *s = store_of(h);
    if (!s)
        return err_set(-EINVAL, "image inspect: no store");
    json_t *out = NULL;
    pthread_rwlock_rdlock(&s->lock);
    int rc = image_view_inspect(s, name, &out);
    pthread_rwlock_unlock(&s->lock);
    return rc < 0 ? rc : dump(out, ret_json);
}

int32_t image_api_image_history(const pouch_host *h, const char *name, char **ret_json)
{
    struct image_store *s = store_of(h);
    if (!s)
        return err_set(-EINVAL, "image history: no store");
    json_t *out = NULL;
    pthread_rwlock_rdlock(&s->lock);
    int rc = image_view_history(s, name, &out);
    pthread_rwlock_unlock(&s->lock);
    return rc < 0 ? rc : dump(out, ret_json);
}

int32_t image_api_image_tag(const pouch_host *h, const char *source, const char *target)
{
    struct image_store *s = store_of(h);
    if (!s || !source || !target)
        return err_set(-EINVAL, "image tag: source and target are required");
    image_store_wrlock(s);
    int rc = image_tag(s, source, target);
    struct image *img = NULL;
    char id[DIGEST_LEN] = "";
    if (rc >= 0 && image_lookup(s, source, &img) >= 0)
        memcpy(id, img->id, DIGEST_LEN);
    pthread_rwlock_unlock(&s->lock);
    if (rc < 0)
        return rc;
    char full[1200], fam[1200];
    image_normalize_ref(target, full, sizeof(full));
    image_familiar_ref(full, fam, sizeof(fam));
    image_event(daemon_of(h), "tag", id, fam);
    return 0;
}

int32_t image_api_image_remove(const pouch_host *h, const char *name, int32_t force, int32_t noprune, char **ret_json)
{
    struct image_store *s = store_of(h);
    if (!s || !name)
        return err_set(-EINVAL, "image remove: no name given");
    json_t *report = NULL;
    image_store_wrlock(s);
    char id[DIGEST_LEN] = "";
    struct image *img = NULL;
    if (image_lookup(s, name, &img) >= 0)
        memcpy(id, img->id, DIGEST_LEN);
    int rc = image_remove(s, name, force != 0, noprune != 0, &report);
    pthread_rwlock_unlock(&s->lock);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *e;
    json_array_foreach(report, i, e)
    {
        const char *untagged = json_string_value(json_object_get(e, "Untagged"));
        const char *deleted = json_string_value(json_object_get(e, "Deleted"));
        if (untagged)
            image_event(daemon_of(h), "untag", id, untagged);
        else if (deleted && strcmp(deleted, id) == 0)
            image_event(daemon_of(h), "delete", id, NULL);
    }
    return dump(report, ret_json);
}

/* "until": a Unix time, RFC 3339, or a duration ago ("10m", "24h"). */
static int parse_until(const char *v, int64_t *ret)
{
    char *end;
    double num = strtod(v, &end);
    if (end != v && *end == '\0') {
        *ret = (int64_t)num;
        return 0;
    }
    if (end != v && (end[0] == 's' || end[0] == 'm' || end[0] == 'h') && end[1] == '\0') {
        double mul = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : 3600;
        *ret = (int64_t)time(NULL) - (int64_t)(num * mul);
        return 0;
    }
    struct tm tm = {0};
    if (strptime(v, "%Y-%m-%dT%H:%M:%S", &tm) || strptime(v, "%Y-%m-%d", &tm)) {
        *ret = (int64_t)timegm(&tm);
        return 0;
    }
    return err_set(-EINVAL, "failed to parse value %s, give a Unix time, an RFC 3339 time or a duration like 24h", v);
}

int32_t image_api_image_prune(const pouch_host *h, const char *options_json, char **ret_json)
{
    struct image_store *s = store_of(h);
    json_auto_t *opts = parse_options(options_json);
    if (!s || !opts)
        return err_set(-EINVAL, "image prune: options must be a JSON object");
    json_t *filters = json_object_get(opts, "filters");
    const char *key;
    json_t *v;
    int64_t until = 0;
    json_object_foreach(filters, key, v)
    {
        if (strcmp(key, "until") == 0) {
            const char *val = json_object_iter_key(json_object_iter(v));
            int rc = val ? parse_until(val, &until) : 0;
            if (rc < 0)
                return rc;
        } else if (strcmp(key, "label") && strcmp(key, "label!") && strcmp(key, "dangling")) {
            return err_set(-EINVAL, "Invalid filter '%s'", key);
        }
    }
    bool all = json_is_true(json_object_get(opts, "all"));
    json_t *dangling = json_object_get(filters, "dangling");
    if (json_object_get(dangling, "false") || json_object_get(dangling, "0"))
        all = true;
    json_t *report = NULL;
    image_store_wrlock(s);
    int rc = image_prune(s, all, filters, until, &report);
    pthread_rwlock_unlock(&s->lock);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(report, "ImagesDeleted"), i, e)
    {
        const char *deleted = json_string_value(json_object_get(e, "Deleted"));
        if (deleted && json_array_size(json_object_get(report, "ImagesDeleted")))
            image_event(daemon_of(h), "delete", deleted, NULL);
    }
    json_t *prune_ev =
        json_pack("{s:s}", "reclaimed", "0"); /* dockerd publishes an "image prune" event with reclaimed bytes */
    char reclaimed[32];
    snprintf(reclaimed, sizeof(reclaimed), "%lld",
             (long long)json_integer_value(json_object_get(report, "SpaceReclaimed")));
    json_object_set_new(prune_ev, "reclaimed", json_string(reclaimed));
    _cleanup_free_ char *text = json_dumps(prune_ev, JSON_COMPACT);
    json_decref(prune_ev);
    pouch_event ev = {
        .size = sizeof(ev), .type = "image", .action = "prune", .actor_id = "", .attributes = text, .scope = "local"};
    event_bus_publish(daemon_of(h)->bus, &ev);
    return dump(report, ret_json);
}

int32_t image_api_disk_usage(const pouch_host *h, char **ret_json)
{
    struct image_store *s = store_of(h);
    if (!s)
        return err_set(-EINVAL, "disk usage: no store");
    json_t *out = NULL;
    pthread_rwlock_rdlock(&s->lock);
    int rc = image_view_disk_usage(s, &out);
    pthread_rwlock_unlock(&s->lock);
    return rc < 0 ? rc : dump(out, ret_json);
}
