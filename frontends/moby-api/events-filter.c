/* /events query handling: filters, since/until and dockerd's event JSON.
 * Everything here parses client input: it must never assume a shape it has
 * not checked, and never read past a string it was handed. */
#include "events-filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "filters.h"
#include "json-out.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* Keys dockerd's events filter knows (daemon/events/filter.go). */
static const char *const filter_keys[] = {"config", "container", "daemon", "event",  "image",   "label", "network",
                                          "node",   "plugin",    "scope",  "secret", "service", "type",  "volume"};

static int fail(char **ret_msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **ret_msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ret_msg && vasprintf(ret_msg, fmt, ap) < 0)
        *ret_msg = NULL;
    va_end(ap);
    return -EINVAL;
}

int event_filter_parse(const char *text, struct event_filter *ret, char **ret_msg)
{
    return filters_parse(text, filter_keys, ARRAY_SIZE(filter_keys), &ret->fields, ret_msg);
}

void event_filter_done(struct event_filter *f)
{
    if (!f)
        return;
    json_decref(f->fields);
    f->fields = NULL;
}

/* dockerd's filters.Args methods, on the map form. */
static json_t *values_of(const struct event_filter *f, const char *key)
{
    json_t *v = f->fields ? json_object_get(f->fields, key) : NULL;
    return json_object_size(v) ? v : NULL;
}

static bool exact_match(const struct event_filter *f, const char *key, const char *source)
{
    json_t *vals = values_of(f, key);
    if (!vals)
        return true;
    return json_is_true(json_object_get(vals, source ? source : ""));
}

static bool fuzzy_match(const struct event_filter *f, const char *key, const char *source)
{
    json_t *vals = values_of(f, key);
    if (!vals)
        return true;
    source = source ? source : "";
    if (json_is_true(json_object_get(vals, source)))
        return true;
    const char *prefix;
    json_t *b;
    json_object_foreach(vals, prefix, b)
    {
        if (strncmp(source, prefix, strlen(prefix)) == 0)
            return true;
    }
    return false;
}

static const char *attr(const json_t *attrs, const char *key)
{
    return attrs ? json_string_value(json_object_get(attrs, key)) : NULL;
}

static bool match_labels(const struct event_filter *f, const json_t *attrs)
{
    json_t *vals = values_of(f, "label");
    if (!vals)
        return true;
    if (json_object_size(attrs) == 0)
        return false;
    const char *want;
    json_t *b;
    json_object_foreach(vals, want, b)
    {
        const char *eq = strchr(want, '=');
        size_t klen = eq ? (size_t)(eq - want) : strlen(want);
        _cleanup_free_ char *k = strndup(want, klen);
        if (!k)
            return false;
        const char *have = attr(attrs, k);
        if (!have || (eq && strcmp(have, eq + 1) != 0))
            return false;
    }
    return true;
}

static bool match_event(const struct event_filter *f, const char *action)
{
    /* dockerd (moby#25798): "health_status", "exec_create" and "exec_start"
     * also select their "health_status: healthy"-style variants. */
    json_t *vals = values_of(f, "event");
    if (vals && (json_object_get(vals, "health_status") || json_object_get(vals, "exec_create") ||
                 json_object_get(vals, "exec_start")))
        return fuzzy_match(f, "event", action);
    return exact_match(f, "event", action);
}

static bool fuzzy_name(const struct event_filter *f, const char *key, const pouch_event *ev, const json_t *attrs)
{
    return fuzzy_match(f, key, ev->actor_id) || fuzzy_match(f, key, attr(attrs, "name"));
}

void image_strip_tag(const char *image, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    snprintf(buf, cap, "%s", image ? image : "");
    char *at = strchr(buf, '@');
    if (at)
        *at = '\0';
    char *slash = strrchr(buf, '/');
    char *colon = strrchr(slash ? slash : buf, ':');
    if (colon)
        *colon = '\0';
    /* Uppercase never appears in a valid reference: dockerd then leaves the
     * string as it was. */
    for (char *p = buf; *p; p++)
        if (isupper((unsigned char)*p)) {
            snprintf(buf, cap, "%s", image ? image : "");
            return;
        }
    static const char *const registries[] = {"docker.io/", "index.docker.io/"};
    for (size_t i = 0; i < ARRAY_SIZE(registries); i++) {
        size_t l = strlen(registries[i]);
        if (strncmp(buf, registries[i], l) == 0) {
            memmove(buf, buf + l, strlen(buf + l) + 1);
            break;
        }
    }
    if (strncmp(buf, "library/", 8) == 0 && !strchr(buf + 8, '/'))
        memmove(buf, buf + 8, strlen(buf + 8) + 1);
}

static bool match_image(const struct event_filter *f, const pouch_event *ev, const json_t *attrs)
{
    if (!values_of(f, "image"))
        return true;
    const char *id = ev->actor_id ? ev->actor_id : "";
    bool is_image = ev->type && strcmp(ev->type, "image") == 0;
    const char *name = attr(attrs, is_image ? "name" : "image");
    name = name ? name : "";
    char sid[512], sname[512];
    image_strip_tag(id, sid, sizeof(sid));
    image_strip_tag(name, sname, sizeof(sname));
    return exact_match(f, "image", id) || exact_match(f, "image", name) || exact_match(f, "image", sid) ||
           exact_match(f, "image", sname);
}

bool event_filter_match(const struct event_filter *f, const pouch_event *ev, const json_t *attrs)
{
    static const char *const by_name[] = {"daemon", "container", "plugin", "volume", "network",
                                          "node",   "service",   "secret", "config"};
    if (!match_event(f, ev->action) || !exact_match(f, "type", ev->type) ||
        !exact_match(f, "scope", ev->scope ? ev->scope : "local"))
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(by_name); i++)
        if (!fuzzy_name(f, by_name[i], ev, attrs))
            return false;
    return match_image(f, ev, attrs) && match_labels(f, attrs);
}

/* strconv.ParseInt(s, 10, 64) as dockerd uses it: optional sign, digits,
 * nothing else. */
static bool parse_int64(const char *s, size_t len, int64_t *ret)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == len)
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return false;
    *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* "2006-01-02T15:04:05[.frac](Z|+hh:mm)" into ns; false when not RFC 3339. */
static bool parse_rfc3339(const char *s, int64_t *ret)
{
    int Y, M, D, h, m, sec, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%*[Tt]%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &used) != 6 || used != 19)
        return false;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 || h < 0 || m < 0 || sec < 0)
        return false;
    const char *p = s + used;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 9)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return false;
        for (; digits < 9; digits++)
            frac *= 10;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, n = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59)
            return false;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_min = m, .tm_sec = sec};
    int64_t t = (int64_t)timegm(&tm) - offset;
    *ret = t * 1000000000LL + frac;
    return true;
}

int event_time_parse(const char *text, int64_t *ret_nano, bool *ret_set, char **ret_msg)
{
    if (ret_msg)
        *ret_msg = NULL;
    *ret_set = false;
    if (!text || !*text)
        return 0;
    int64_t rfc;
    if (strchr(text, '-') && strchr(text, ':') && parse_rfc3339(text, &rfc)) {
        *ret_nano = rfc;
        *ret_set = true;
        return 0;
    }
    /* dockerd's timetypes.ParseTimestamps: "sec" or "sec.frac", where frac
     * is scaled to nanoseconds by its number of digits. */
    const char *dot = strchr(text, '.');
    size_t slen = dot ? (size_t)(dot - text) : strlen(text);
    int64_t sec, frac = 0;
    if (!parse_int64(text, slen, &sec))
        return fail(ret_msg, "strconv.ParseInt: parsing \"%.*s\": invalid syntax", (int)slen, text);
    if (dot) {
        size_t flen = strlen(dot + 1);
        if (!parse_int64(dot + 1, flen, &frac))
            return fail(ret_msg, "strconv.ParseInt: parsing \"%s\": invalid syntax", dot + 1);
        size_t digits = flen - (dot[1] == '+' || dot[1] == '-');
        for (size_t i = digits; i < 9; i++)
            frac *= 10;
        for (size_t i = 9; i < digits && frac != 0; i++)
            frac /= 10;
    }
    /* dockerd reads a bare "-1" as "not given". */
    if (sec == -1 && frac == 0)
        return 0;
    if (sec > INT64_MAX / 1000000000LL - 1 || sec < INT64_MIN / 1000000000LL + 1)
        return fail(ret_msg, "timestamp %s is out of range", text);
    *ret_nano = sec * 1000000000LL + frac;
    *ret_set = true;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Attributes with keys in byte order, as Go encodes a map[string]string. */
static json_t *sorted_attributes(const json_t *attrs)
{
    json_t *out = json_object();
    size_t n = json_object_size(attrs);
    if (!out || n == 0)
        return out;
    _cleanup_free_ const char **keys = calloc(n, sizeof(*keys));
    if (!keys) {
        json_decref(out);
        return NULL;
    }
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)attrs, k, v)
    {
        if (json_is_string(v) && i < n)
            keys[i++] = k;
    }
    qsort(keys, i, sizeof(*keys), cmp_str);
    for (size_t j = 0; j < i; j++)
        json_object_set(out, keys[j], json_object_get(attrs, keys[j]));
    return out;
}

char *event_render(const pouch_event *ev, const json_t *attrs)
{
    const char *type = ev->type ? ev->type : "";
    const char *action = ev->action ? ev->action : "";
    const char *id = ev->actor_id ? ev->actor_id : "";
    _cleanup_json_ json_t *o = json_object();
    if (!o)
        return NULL;
    /* The pre-1.22 status/id/from fields: dockerd fills them for container
     * and image events only, and omits empty ones. */
    bool is_container = strcmp(type, "container") == 0, is_image = strcmp(type, "image") == 0;
    if (is_container || is_image) {
        const char *from = is_container ? attr(attrs, "image") : NULL;
        if (*action)
            json_object_set_new(o, "status", json_string(action));
        if (*id)
            json_object_set_new(o, "id", json_string(id));
        if (from && *from)
            json_object_set_new(o, "from", json_string(from));
    }
    json_object_set_new(o, "Type", json_string(type));
    json_object_set_new(o, "Action", json_string(action));
    json_t *actor = json_object();
    json_object_set_new(actor, "ID", json_string(id));
    json_object_set_new(actor, "Attributes", sorted_attributes(attrs));
    json_object_set_new(o, "Actor", actor);
    const char *scope = ev->scope && *ev->scope ? ev->scope : "local";
    json_object_set_new(o, "scope", json_string(scope));
    if (ev->time_nano) {
        /* Go's Unix(): floor division, also for times before 1970. */
        int64_t sec = ev->time_nano / 1000000000LL;
        if (ev->time_nano % 1000000000LL < 0)
            sec--;
        json_object_set_new(o, "time", json_integer(sec));
        json_object_set_new(o, "timeNano", json_integer(ev->time_nano));
    }
    return json_dump_go(o, NULL);
}
