/* Event bus: replay of buffered events by time, no gap or duplicate between
 * replay and live delivery, unsubscribe stops delivery, the ring forgets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"

struct seen {
    int n;
    char last_action[32];
};

static void record(void *user, const pouch_event *ev)
{
    struct seen *s = user;
    s->n++;
    snprintf(s->last_action, sizeof(s->last_action), "%s", ev->action);
}

static void publish(struct event_bus *bus, const char *action, int64_t t)
{
    pouch_event ev = {.size = sizeof(ev), .type = "daemon", .action = action, .actor_id = "x", .time_nano = t};
    assert_int_equal(event_bus_publish(bus, &ev), 0);
}

static void replay_then_live(void **state)
{
    struct event_bus *bus;
    assert_int_equal(event_bus_new(&bus), 0);
    publish(bus, "a", 100);
    publish(bus, "b", 200);
    publish(bus, "c", 300);

    struct seen s = {0};
    uint64_t id;
    assert_int_equal(event_bus_subscribe(bus, 200, record, &s, false, &id), 0);
    assert_int_equal(s.n, 2); /* b and c */
    assert_string_equal(s.last_action, "c");
    assert_int_equal(event_bus_listeners(bus), 1);

    publish(bus, "d", 400);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.last_action, "d");

    assert_int_equal(event_bus_unsubscribe(bus, id), 0);
    publish(bus, "e", 500);
    assert_int_equal(s.n, 3);
    assert_int_equal(event_bus_unsubscribe(bus, id), -ENOENT);
    assert_int_equal(event_bus_listeners(bus), 0);
    event_bus_free(bus);
}

static void no_replay_when_negative(void **state)
{
    struct event_bus *bus;
    assert_int_equal(event_bus_new(&bus), 0);
    publish(bus, "a", 100);
    struct seen s = {0};
    uint64_t id;
    assert_int_equal(event_bus_subscribe(bus, -1, record, &s, true, &id), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(event_bus_listeners(bus), 0); /* internal ones are not listeners */
    event_bus_free(bus);
}

static void ring_keeps_the_newest(void **state)
{
    struct event_bus *bus;
    assert_int_equal(event_bus_new(&bus), 0);
    for (int i = 0; i < EVENTS_KEEP + 10; i++)
        publish(bus, i == EVENTS_KEEP + 9 ? "last" : "x", 1000 + i);
    struct seen s = {0};
    uint64_t id;
    assert_int_equal(event_bus_subscribe(bus, 0, record, &s, false, &id), 0);
    assert_int_equal(s.n, EVENTS_KEEP);
    assert_string_equal(s.last_action, "last");
    event_bus_free(bus);
}

static void missing_fields_are_refused(void **state)
{
    struct event_bus *bus;
    assert_int_equal(event_bus_new(&bus), 0);
    pouch_event ev = {.size = sizeof(ev), .type = "daemon"};
    assert_int_equal(event_bus_publish(bus, &ev), -EINVAL);
    assert_int_equal(event_bus_publish(bus, NULL), -EINVAL);
    event_bus_free(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_then_live),
        cmocka_unit_test(no_replay_when_negative),
        cmocka_unit_test(ring_keeps_the_newest),
        cmocka_unit_test(missing_fields_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
