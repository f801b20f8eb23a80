/* /events query handling: the filters parameter, since/until timestamps and
 * dockerd's event JSON. Pure code over jansson, fed hostile input from the
 * network: it must never trust a length or shape it has not checked. */
#ifndef MOBY_API_EVENTS_FILTER_H
#define MOBY_API_EVENTS_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <pouch/host.h>

/* Parsed filters, always in dockerd's map form {"key":{"value":bool}}. */
struct event_filter {
    json_t *fields;
};

/* Parse the filters parameter (NULL or "" means none). Accepts the map form
 * and the legacy list form {"type":["container"]}; rejects bad JSON, wrong
 * shapes and keys /events does not know. On failure returns -EINVAL and sets
 * *ret_msg to a malloc'd message for the client. */
int event_filter_parse(const char *text, struct event_filter *ret, char **ret_msg);
void event_filter_done(struct event_filter *f);

/* Whether ev (with its attributes already parsed, an object or NULL) passes
 * f, by dockerd's daemon/events/filter.go rules. */
bool event_filter_match(const struct event_filter *f, const pouch_event *ev, const json_t *attrs);

/* Parse a since/until value: "sec", "sec.frac" (dockerd) or RFC 3339 (for
 * robustness). "" leaves *ret_nano untouched and returns 0 with
 * *ret_set=false. Failure: -EINVAL and a malloc'd message in *ret_msg. */
int event_time_parse(const char *text, int64_t *ret_nano, bool *ret_set, char **ret_msg);

/* One event as dockerd prints it, newline-terminated, malloc'd; NULL on
 * allocation failure. attrs may be NULL. */
char *event_render(const pouch_event *ev, const json_t *attrs);

/* Familiar image name without tag or digest ("docker.io/library/a:1" -> "a"). */
void image_strip_tag(const char *image, char *buf, size_t cap);

#endif
