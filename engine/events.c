/* Event bus: a ring of recent events plus a subscriber list, under one mutex
 * so a subscriber's replay and its live feed never gap or overlap. Callbacks
 * run with the lock held and must only enqueue. */
#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"

struct stored_event {
    pouch_event ev;
    char *strings; /* one allocation holding type, action, actor_id, attributes, scope */
};

struct subscriber {
    uint64_t id;
    pouch_event_fn fn;
    void *user;
    bool internal;
};

struct event_bus {
    pthread_mutex_t lock;
    struct stored_event ring[EVENTS_KEEP];
    size_t head; /* next slot to write */
    size_t count;
    struct subscriber *subs;
    size_t n_subs;
    uint64_t next_id;
};

int64_t now_nano(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int event_bus_new(struct event_bus **ret)
{
    struct event_bus *bus = calloc(1, sizeof(*bus));
    if (!bus)
        return err_set(-ENOMEM, "event bus: out of memory");
    pthread_mutex_init(&bus->lock, NULL);
    bus->next_id = 1;
    *ret = bus;
    return 0;
}

void event_bus_free(struct event_bus *bus)
{
    if (!bus)
        return;
    for (size_t i = 0; i < EVENTS_KEEP; i++)
        free(bus->ring[i].strings);
    free(bus->subs);
    pthread_mutex_destroy(&bus->lock);
    free(bus);
}

/* Copy ev's strings into one buffer owned by dst. */
static int store_event(struct stored_event *dst, const pouch_event *ev)
{
    const char *src[5] = {ev->type ? ev->type : "", ev->action ? ev->action : "", ev->actor_id ? ev->actor_id : "",
                          ev->attributes ? ev->attributes : "{}", ev->scope ? ev->scope : "local"};
    size_t len[5], total = 0;
    for (int i = 0; i < 5; i++)
        total += (len[i] = strlen(src[i]) + 1);
    char *buf = malloc(total);
    if (!buf)
        return -ENOMEM;
    const char *out[5];
    char *p = buf;
    for (int i = 0; i < 5; i++) {
        memcpy(p, src[i], len[i]);
        out[i] = p;
        p += len[i];
    }
    free(dst->strings);
    dst->strings = buf;
    dst->ev = (pouch_event){.size = sizeof(pouch_event),
                            .type = out[0],
                            .action = out[1],
                            .actor_id = out[2],
                            .attributes = out[3],
                            .scope = out[4],
                            .time_nano = ev->time_nano ? ev->time_nano : now_nano()};
    return 0;
}

int event_bus_publish(struct event_bus *bus, const pouch_event *ev)
{
    if (!ev || !ev->type || !ev->action)
        return err_set(-EINVAL, "event: type and action are required");
    pthread_mutex_lock(&bus->lock);
    struct stored_event *slot = &bus->ring[bus->head];
    int r = store_event(slot, ev);
    if (r < 0) {
        pthread_mutex_unlock(&bus->lock);
        return err_set(r, "event %s/%s: out of memory", ev->type, ev->action);
    }
    bus->head = (bus->head + 1) % EVENTS_KEEP;
    if (bus->count < EVENTS_KEEP)
        bus->count++;
    for (size_t i = 0; i < bus->n_subs; i++)
        bus->subs[i].fn(bus->subs[i].user, &slot->ev);
    pthread_mutex_unlock(&bus->lock);
    return 0;
}

int event_bus_subscribe(struct event_bus *bus, int64_t since_nano, pouch_event_fn fn, void *user, bool internal,
                        uint64_t *ret_id)
{
    if (!fn)
        return err_set(-EINVAL, "event subscription: no callback");
    pthread_mutex_lock(&bus->lock);
    struct subscriber *subs = realloc(bus->subs, (bus->n_subs + 1) * sizeof(*subs));
    if (!subs) {
        pthread_mutex_unlock(&bus->lock);
        return err_set(-ENOMEM, "event subscription: out of memory");
    }
    bus->subs = subs;
    if (since_nano >= 0) {
        size_t first = (bus->head + EVENTS_KEEP - bus->count) % EVENTS_KEEP;
        for (size_t i = 0; i < bus->count; i++) {
            const pouch_event *ev = &bus->ring[(first + i) % EVENTS_KEEP].ev;
            if (ev->time_nano >= since_nano)
                fn(user, ev);
        }
    }
    uint64_t id = bus->next_id++;
    bus->subs[bus->n_subs++] = (struct subscriber){.id = id, .fn = fn, .user = user, .internal = internal};
    pthread_mutex_unlock(&bus->lock);
    if (ret_id)
        *ret_id = id;
    return 0;
}

int event_bus_unsubscribe(struct event_bus *bus, uint64_t id)
{
    int r = -ENOENT;
    pthread_mutex_lock(&bus->lock);
    for (size_t i = 0; i < bus->n_subs; i++)
        if (bus->subs[i].id == id) {
            memmove(&bus->subs[i], &bus->subs[i + 1], (bus->n_subs - i - 1) * sizeof(*bus->subs));
            bus->n_subs--;
            r = 0;
            break;
        }
    pthread_mutex_unlock(&bus->lock);
    if (r < 0)
        return err_set(r, "event subscription %llu: no such subscription", (unsigned long long)id);
    return 0;
}

unsigned event_bus_listeners(struct event_bus *bus)
{
    unsigned n = 0;
    pthread_mutex_lock(&bus->lock);
    for (size_t i = 0; i < bus->n_subs; i++)
        n += !bus->subs[i].internal;
    pthread_mutex_unlock(&bus->lock);
    return n;
}
