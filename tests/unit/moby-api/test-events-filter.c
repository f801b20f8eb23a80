/* /events query parsing and event JSON of the moby-api frontend: filters in
 * both JSON forms, dockerd's matching rules, since/until, and the legacy
 * status/id/from fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "events-filter.h"

static pouch_event ev_of(const char *type, const char *action, const char *id, const char *attrs)
{
    return (pouch_event){.size = sizeof(pouch_event),
                         .type = type,
                         .action = action,
                         .actor_id = id,
                         .attributes = attrs,
                         .scope = "local",
                         .time_nano = 1700000000123456789LL};
}

/* Does the event pass the filters text? Fails the test on a parse error. */
static bool passes(const char *filters, const pouch_event *ev)
{
    struct event_filter f;
    char *msg = NULL;
    int r = event_filter_parse(filters, &f, &msg);
    if (r < 0)
        fail_msg("filters %s: %s", filters, msg);
    json_t *attrs = ev->attributes ? json_loads(ev->attributes, 0, NULL) : NULL;
    bool ok = event_filter_match(&f, ev, attrs);
    json_decref(attrs);
    event_filter_done(&f);
    return ok;
}

static char *parse_error(const char *filters)
{
    struct event_filter f = {0};
    char *msg = NULL;
    assert_int_equal(event_filter_parse(filters, &f, &msg), -EINVAL);
    assert_null(f.fields);
    assert_non_null(msg);
    return msg;
}

static void both_json_forms(void **st)
{
    pouch_event c = ev_of("container", "start", "abc123", "{\"image\":\"busybox\",\"name\":\"web\"}");
    pouch_event d = ev_of("daemon", "reload", "ID1", "{}");
    assert_true(passes("{\"type\":{\"container\":true}}", &c));
    assert_false(passes("{\"type\":{\"container\":true}}", &d));
    assert_true(passes("{\"type\":[\"container\"]}", &c));
    assert_false(passes("{\"type\":[\"container\"]}", &d));
    /* A false value selects nothing for exact matches, as in dockerd. */
    assert_false(passes("{\"type\":{\"container\":false}}", &c));
    assert_true(passes("{\"type\":[\"daemon\",\"container\"]}", &d));
    assert_true(passes("", &d));
    assert_true(passes(NULL, &d));
    assert_true(passes("{}", &d));
    assert_true(passes("null", &d));
    assert_true(passes("{\"type\":[]}", &d));
}

static void bad_filters(void **st)
{
    _cleanup_free_ char *m1 = parse_error("notjson");
    assert_non_null(strstr(m1, "invalid filters"));
    _cleanup_free_ char *m2 = parse_error("{\"foo\":[\"x\"]}");
    assert_string_equal(m2, "invalid filter 'foo'");
    _cleanup_free_ char *m3 = parse_error("[]");
    _cleanup_free_ char *m4 = parse_error("{\"type\":{\"container\":\"x\"}}");
    assert_non_null(strstr(m4, "'type'"));
    _cleanup_free_ char *m5 = parse_error("{\"type\":[1]}");
    _cleanup_free_ char *m6 = parse_error("{\"type\":\"container\"}");
    _cleanup_free_ char *m7 = parse_error("{\"type\":[\"a\"],\"type\":[\"b\"]}");
    _cleanup_free_ char *m8 = parse_error("{\"type\":[\"a\"]");
}

static void names_ids_and_events(void **st)
{
    pouch_event c = ev_of("container", "start", "abc123", "{\"image\":\"busybox\",\"name\":\"web\"}");
    assert_true(passes("{\"container\":[\"web\"]}", &c));
    assert_true(passes("{\"container\":[\"abc\"]}", &c)); /* id prefix */
    assert_true(passes("{\"container\":[\"we\"]}", &c));  /* name prefix too (fuzzy) */
    assert_false(passes("{\"container\":[\"db\"]}", &c));
    assert_true(passes("{\"event\":[\"start\"]}", &c));
    assert_false(passes("{\"event\":[\"sta\"]}", &c));
    pouch_event hs = ev_of("container", "health_status: healthy", "abc123", "{}");
    assert_true(passes("{\"event\":[\"health_status\"]}", &hs));
    assert_false(passes("{\"event\":[\"start\"]}", &hs));
    assert_true(passes("{\"scope\":[\"local\"]}", &c));
    assert_false(passes("{\"scope\":[\"swarm\"]}", &c));
    pouch_event d = ev_of("daemon", "reload", "ID1", "{\"name\":\"vm\"}");
    assert_true(passes("{\"daemon\":[\"vm\"]}", &d));
    assert_false(passes("{\"daemon\":[\"other\"]}", &d));
    /* Every filter must hold: type matches but event does not. */
    assert_false(passes("{\"type\":[\"daemon\"],\"event\":[\"start\"]}", &d));
}

static void images(void **st)
{
    pouch_event c = ev_of("container", "create", "abc", "{\"image\":\"docker.io/library/busybox:latest\"}");
    assert_true(passes("{\"image\":[\"busybox\"]}", &c));
    assert_true(passes("{\"image\":[\"docker.io/library/busybox:latest\"]}", &c));
    assert_false(passes("{\"image\":[\"alpine\"]}", &c));
    pouch_event i = ev_of("image", "pull", "busybox:1.36", "{\"name\":\"busybox:1.36\"}");
    assert_true(passes("{\"image\":[\"busybox\"]}", &i));
    assert_true(passes("{\"image\":[\"busybox:1.36\"]}", &i));
    char buf[128];
    image_strip_tag("localhost:5000/team/app:1@sha256:aa", buf, sizeof(buf));
    assert_string_equal(buf, "localhost:5000/team/app");
    image_strip_tag("library/busybox", buf, sizeof(buf));
    assert_string_equal(buf, "busybox");
    image_strip_tag("Upper:1", buf, sizeof(buf));
    assert_string_equal(buf, "Upper:1");
}

static void labels(void **st)
{
    pouch_event c = ev_of("container", "start", "abc", "{\"com.x\":\"1\",\"env\":\"prod\"}");
    assert_true(passes("{\"label\":[\"env\"]}", &c));
    assert_true(passes("{\"label\":[\"env=prod\"]}", &c));
    assert_true(passes("{\"label\":[\"env=prod\",\"com.x=1\"]}", &c));
    assert_false(passes("{\"label\":[\"env=dev\"]}", &c));
    assert_false(passes("{\"label\":[\"env=prod\",\"missing\"]}", &c));
    pouch_event bare = ev_of("container", "start", "abc", NULL);
    assert_false(passes("{\"label\":[\"env\"]}", &bare));
}

static int64_t parse_ok(const char *text)
{
    int64_t ns = 42;
    bool set = false;
    char *msg = NULL;
    assert_int_equal(event_time_parse(text, &ns, &set, &msg), 0);
    assert_true(set);
    assert_null(msg);
    return ns;
}

static void times(void **st)
{
    assert_int_equal(parse_ok("1700000000"), 1700000000000000000LL);
    assert_int_equal(parse_ok("1700000000.123456789"), 1700000000123456789LL);
    assert_int_equal(parse_ok("1.5"), 1500000000LL);
    assert_int_equal(parse_ok("0"), 0);
    assert_int_equal(parse_ok("-5"), -5000000000LL);
    assert_int_equal(parse_ok("2023-11-14T22:13:20Z"), 1700000000000000000LL);
    assert_int_equal(parse_ok("2023-11-14T23:13:20.5+01:00"), 1700000000500000000LL);

    int64_t ns = 42;
    bool set = true;
    char *msg = NULL;
    assert_int_equal(event_time_parse("", &ns, &set, &msg), 0);
    assert_false(set);
    assert_int_equal(ns, 42);
    assert_int_equal(event_time_parse(NULL, &ns, &set, &msg), 0);
    assert_int_equal(event_time_parse("-1", &ns, &set, &msg), 0); /* dockerd: "not given" */
    assert_false(set);

    const char *bad[] = {"abc", "1.", "1e3", "1.x", "2023-13-14T22:13:20Z", "99999999999999999999", " 1"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        msg = NULL;
        assert_int_equal(event_time_parse(bad[i], &ns, &set, &msg), -EINVAL);
        assert_non_null(msg);
        free(msg);
    }
    assert_int_equal(event_time_parse("abc", &ns, &set, &msg), -EINVAL);
    assert_string_equal(msg, "strconv.ParseInt: parsing \"abc\": invalid syntax");
    free(msg);
}

static char *render(const pouch_event *ev)
{
    json_t *attrs = ev->attributes ? json_loads(ev->attributes, 0, NULL) : NULL;
    char *s = event_render(ev, attrs);
    json_decref(attrs);
    assert_non_null(s);
    return s;
}

static void rendering(void **st)
{
    pouch_event c = ev_of("container", "start", "abc", "{\"name\":\"web\",\"image\":\"busybox\"}");
    _cleanup_free_ char *cs = render(&c);
    assert_string_equal(cs, "{\"status\":\"start\",\"id\":\"abc\",\"from\":\"busybox\",\"Type\":\"container\","
                            "\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"image\":\"busybox\","
                            "\"name\":\"web\"}},\"scope\":\"local\",\"time\":1700000000,"
                            "\"timeNano\":1700000000123456789}\n");
    pouch_event i = ev_of("image", "pull", "busybox:latest", "{\"name\":\"busybox:latest\"}");
    _cleanup_free_ char *is = render(&i);
    assert_string_equal(is, "{\"status\":\"pull\",\"id\":\"busybox:latest\",\"Type\":\"image\",\"Action\":\"pull\","
                            "\"Actor\":{\"ID\":\"busybox:latest\",\"Attributes\":{\"name\":\"busybox:latest\"}},"
                            "\"scope\":\"local\",\"time\":1700000000,\"timeNano\":1700000000123456789}\n");
    pouch_event d = ev_of("daemon", "reload", "ID1", NULL);
    d.scope = NULL;
    _cleanup_free_ char *ds = render(&d);
    assert_string_equal(ds, "{\"Type\":\"daemon\",\"Action\":\"reload\",\"Actor\":{\"ID\":\"ID1\",\"Attributes\":{}},"
                            "\"scope\":\"local\",\"time\":1700000000,\"timeNano\":1700000000123456789}\n");
    /* Go's encoder escapes HTML characters; clients compare byte for byte. */
    pouch_event p = ev_of("plugin", "enable", "a<b>&c", NULL);
    _cleanup_free_ char *ps = render(&p);
    assert_non_null(strstr(ps, "\"ID\":\"a\\u003cb\\u003e\\u0026c\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_json_forms), cmocka_unit_test(bad_filters), cmocka_unit_test(names_ids_and_events),
        cmocka_unit_test(images),          cmocka_unit_test(labels),      cmocka_unit_test(times),
        cmocka_unit_test(rendering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
