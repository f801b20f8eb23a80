/* The container half of the engine API: JSON in and out, the store's
 * functions in between. Nothing here holds a lock across a call that may
 * block on a container (wait, logs). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "container-api.h"
#include "api-common.h"
#include "daemon.h"
#include "error.h"
#include "lifecycle.h"
#include "views.h"

int32_t container_api_create(const pouch_host *h, const char *name, const char *config_json, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_error_t jerr;
    json_auto_t *body = json_loads(config_json ? config_json : "", 0, &jerr);
    if (!body)
        return err_set(-EINVAL, "invalid create request: %s", jerr.text);
    json_t *out = NULL;
    int r = ctr_create(s, name, body, &out);
    return r < 0 ? r : api_dump(0, out, ret_json);
}

int32_t container_api_start(const pouch_host *h, const char *id)
{
    STORE_OR_FAIL(h);
    return ctr_start(s, id);
}

int32_t container_api_stop(const pouch_host *h, const char *id, int32_t timeout)
{
    STORE_OR_FAIL(h);
    return ctr_stop(s, id, timeout);
}

int32_t container_api_kill(const pouch_host *h, const char *id, const char *signal)
{
    STORE_OR_FAIL(h);
    return ctr_kill(s, id, signal);
}

int32_t container_api_restart(const pouch_host *h, const char *id, int32_t timeout)
{
    STORE_OR_FAIL(h);
    return ctr_restart(s, id, timeout);
}

int32_t container_api_wait(const pouch_host *h, const char *id, const char *condition, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_t *out = NULL;
    int r = ctr_wait(s, id, condition, &out);
    return r < 0 ? r : api_dump(0, out, ret_json);
}

int32_t container_api_remove(const pouch_host *h, const char *id, int32_t force, int32_t volumes)
{
    STORE_OR_FAIL(h);
    return ctr_remove(s, id, force != 0);
}

int32_t container_api_rename(const pouch_host *h, const char *id, const char *new_name)
{
    STORE_OR_FAIL(h);
    return ctr_rename(s, id, new_name);
}

int32_t container_api_prune(const pouch_host *h, const char *filters_json, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_auto_t *filters = filters_json && *filters_json ? json_loads(filters_json, 0, NULL) : json_object();
    json_t *out = NULL;
    int r = ctr_prune(s, filters, &out);
    return r < 0 ? r : api_dump(0, out, ret_json);
}

int32_t container_api_list(const pouch_host *h, const char *options_json, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_auto_t *opts = options_json && *options_json ? json_loads(options_json, 0, NULL) : json_object();
    if (!json_is_object(opts))
        return err_set(-EINVAL, "container list: options must be a JSON object");
    /* docker ps is the hot read: reuse the last answer while nothing changed
     * and the "Up 5 seconds" texts still read the same (same second). */
    static char *cache_opts, *cache_text;
    static uint64_t cache_gen;
    static time_t cache_sec;
    static const struct container_store *cache_store;
    const char *key = options_json ? options_json : "";
    pthread_mutex_lock(&s->lock);
    /* Only "Up 5 seconds" / "Exited (0) 3 minutes ago" age: a list of created
     * containers reads the same until something changes. */
    time_t sec = 0;
    for (size_t i = 0; i < s->n && !sec; i++)
        if (s->v[i]->status != STATUS_CREATED)
            sec = time(NULL);
    if (cache_text && cache_store == s && cache_gen == s->generation && cache_sec == sec && !strcmp(cache_opts, key)) {
        *ret_json = strdup(cache_text);
        pthread_mutex_unlock(&s->lock);
        return *ret_json ? 0 : err_set(-ENOMEM, "container list: out of memory");
    }
    json_t *out = NULL;
    int r = view_list(s, opts, &out);
    if (r >= 0)
        r = api_dump(0, out, ret_json);
    if (r >= 0) {
        free(cache_opts);
        free(cache_text);
        cache_opts = strdup(key);
        cache_text = strdup(*ret_json);
        cache_gen = s->generation;
        cache_sec = sec;
        cache_store = s;
        if (!cache_opts || !cache_text) {
            free(cache_opts);
            free(cache_text);
            cache_opts = cache_text = NULL;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

int32_t container_api_inspect(const pouch_host *h, const char *id, int32_t size, char **ret_json)
{
    STORE_OR_FAIL(h);
    pthread_mutex_lock(&s->lock);
    struct container *c;
    int r = container_lookup(s, id, &c);
    json_t *out = r >= 0 ? view_inspect(s, c, size != 0) : NULL;
    pthread_mutex_unlock(&s->lock);
    if (r < 0)
        return r;
    return api_dump(0, out, ret_json);
}

int32_t container_api_logs(const pouch_host *h, const char *id, const char *options_json, int32_t out_fd,
                           const volatile int32_t *stop)
{
    STORE_OR_FAIL(h);
    json_auto_t *opts = options_json && *options_json ? json_loads(options_json, 0, NULL) : json_object();
    if (!json_is_object(opts))
        return err_set(-EINVAL, "logs: options must be a JSON object");
    return ctr_logs(s, id, opts, out_fd, stop);
}

int32_t container_api_attach(const pouch_host *h, const char *id, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_t *out = NULL;
    int r = ctr_attach(s, id, &out);
    return r < 0 ? r : api_dump(0, out, ret_json);
}

int32_t container_api_resize(const pouch_host *h, const char *id, int32_t rows, int32_t cols)
{
    STORE_OR_FAIL(h);
    return ctr_resize(s, id, rows, cols);
}
