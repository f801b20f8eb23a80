/* The in-core event bus: plugins publish, subscribers (frontends streaming
 * /events, monitors) receive. Keeps the last EVENTS_KEEP events so late
 * subscribers can ask for the past ("since"). */
#ifndef POUCH_ENGINE_EVENTS_H
#define POUCH_ENGINE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <pouch/host.h>

#define EVENTS_KEEP 1024

struct event_bus;

int event_bus_new(struct event_bus **ret);
void event_bus_free(struct event_bus *bus);

/* Copies the event; fills time_nano with now when 0. */
int event_bus_publish(struct event_bus *bus, const pouch_event *ev);
/* internal subscriptions (the core feeding monitors) are not counted as listeners. */
int event_bus_subscribe(struct event_bus *bus, int64_t since_nano, pouch_event_fn fn, void *user, bool internal,
                        uint64_t *ret_id);
int event_bus_unsubscribe(struct event_bus *bus, uint64_t id);
unsigned event_bus_listeners(struct event_bus *bus);

int64_t now_nano(void);

#endif
