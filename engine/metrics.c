/* A small locked table of named series. Linear search is fine at the scale
 * of engine metrics (tens of series); it never grows per request. */
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct series {
    char *name;
    char *labels;
    int64_t value;
};

struct metrics {
    pthread_mutex_t lock;
    struct series *v;
    size_t n;
};

int metrics_new(struct metrics **ret)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return err_set(-ENOMEM, "metrics: out of memory");
    pthread_mutex_init(&m->lock, NULL);
    *ret = m;
    return 0;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        free(m->v[i].labels);
    }
    free(m->v);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static struct series *find(struct metrics *m, const char *name, const char *labels)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].name, name) == 0 && strcmp(m->v[i].labels, labels) == 0)
            return &m->v[i];
    return NULL;
}

static bool valid_metric_name(const char *name)
{
    if (!name || !*name || (*name >= '0' && *name <= '9'))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == ':'))
            return false;
    return true;
}

int metrics_update(struct metrics *m, const char *name, const char *labels, int64_t value, bool add)
{
    if (!valid_metric_name(name))
        return err_set(-EINVAL, "metric \"%s\": not a valid Prometheus metric name", name ? name : "(null)");
    if (!labels)
        labels = "";
    int r = 0;
    pthread_mutex_lock(&m->lock);
    struct series *s = find(m, name, labels);
    if (!s) {
        struct series *grown = realloc(m->v, (m->n + 1) * sizeof(*grown));
        char *n = strdup(name), *l = strdup(labels);
        if (!grown || !n || !l) {
            free(n);
            free(l);
            if (grown)
                m->v = grown;
            r = err_set(-ENOMEM, "metric %s: out of memory", name);
        } else {
            m->v = grown;
            s = &m->v[m->n++];
            *s = (struct series){.name = n, .labels = l};
        }
    }
    if (s)
        s->value = add ? s->value + value : value;
    pthread_mutex_unlock(&m->lock);
    return r;
}

int metrics_get(struct metrics *m, const char *name, const char *labels, int64_t *ret_value)
{
    int r = -ENOENT;
    pthread_mutex_lock(&m->lock);
    struct series *s = find(m, name, labels ? labels : "");
    if (s) {
        *ret_value = s->value;
        r = 0;
    }
    pthread_mutex_unlock(&m->lock);
    return r;
}
