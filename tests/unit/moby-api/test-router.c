/* Route matching and API-version prefix handling of the moby-api router.
 * Asserts what a client sees: which handler runs, and which version error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "router.h"

static int h_ping(struct request *r)
{
    return 1;
}
static int h_version(struct request *r)
{
    return 2;
}
static int h_inspect(struct request *r)
{
    return 3;
}
static int h_image(struct request *r)
{
    return 4;
}
static int h_exec(struct request *r)
{
    return 5;
}

static const struct route table[] = {
    {"GET", "/_ping", h_ping, 0},
    {"HEAD", "/_ping", h_ping, 0},
    {"GET", "/version", h_version, 0},
    {"GET", "/containers/{id}/json", h_inspect, 0},
    {"POST", "/containers/{id}/exec/{name}", h_exec, ROUTE_BODY},
    {"GET", "/images/{name*}/json", h_image, 0},
};

static struct route_result resolve(const char *method, const char *url)
{
    struct route_result r;
    router_resolve(table, ARRAY_SIZE(table), method, url, &r);
    return r;
}

static void unversioned(void **st)
{
    struct route_result r = resolve("GET", "/version");
    assert_int_equal(r.status, ROUTE_OK);
    assert_ptr_equal(r.route->fn, h_version);
    assert_string_equal(r.version, "");
    r = resolve("HEAD", "/_ping");
    assert_int_equal(r.status, ROUTE_OK);
    assert_ptr_equal(r.route->fn, h_ping);
}

static void supported_versions(void **st)
{
    const char *ok[] = {"/v1.24/version", "/v1.41/version", "/v1.30/version", "/v1.41.0/version", "/v1.040/version"};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        struct route_result r = resolve("GET", ok[i]);
        assert_int_equal(r.status, ROUTE_OK);
        assert_ptr_equal(r.route->fn, h_version);
    }
    struct route_result r = resolve("GET", "/v1.41/version");
    assert_string_equal(r.version, "1.41");
}

static void too_new_and_too_old(void **st)
{
    struct route_result r = resolve("GET", "/v1.42/version");
    assert_int_equal(r.status, ROUTE_TOO_NEW);
    assert_string_equal(r.version, "1.42");
    assert_int_equal(resolve("GET", "/v2.0/_ping").status, ROUTE_TOO_NEW);
    /* Numeric, not lexical: 1.100 is newer than 1.41. */
    assert_int_equal(resolve("GET", "/v1.100/version").status, ROUTE_TOO_NEW);
    r = resolve("GET", "/v1.11/version");
    assert_int_equal(r.status, ROUTE_TOO_OLD);
    assert_string_equal(r.version, "1.11");
    assert_int_equal(resolve("GET", "/v1.23/version").status, ROUTE_TOO_OLD);
    assert_int_equal(resolve("GET", "/v1.9/version").status, ROUTE_TOO_OLD);
    /* Version errors only for paths that exist, as in dockerd. */
    assert_int_equal(resolve("GET", "/v1.42/nosuch").status, ROUTE_NOT_FOUND);
}

static void malformed_version_is_not_found(void **st)
{
    assert_int_equal(resolve("GET", "/v1.x/version").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "/v/version").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "/vv1.41/version").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "/v1.41").status, ROUTE_NOT_FOUND);
}

static void trailing_slash_and_method(void **st)
{
    assert_int_equal(resolve("GET", "/version/").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "/v1.41/version/").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("POST", "/version").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("HEAD", "/version").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "/").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "//version").status, ROUTE_NOT_FOUND);
}

static void params_are_decoded(void **st)
{
    struct route_result r = resolve("GET", "/v1.41/containers/ab%2Fc%20d/json");
    assert_int_equal(r.status, ROUTE_OK);
    assert_ptr_equal(r.route->fn, h_inspect);
    assert_string_equal(route_param(&r.params, "id"), "ab/c d");
    assert_null(route_param(&r.params, "name"));
    r = resolve("POST", "/containers/c1/exec/e2");
    assert_int_equal(r.status, ROUTE_OK);
    assert_string_equal(route_param(&r.params, "id"), "c1");
    assert_string_equal(route_param(&r.params, "name"), "e2");
    assert_true(r.route->flags & ROUTE_BODY);
    /* An empty segment is no parameter; a bad escape is no match. */
    assert_int_equal(resolve("GET", "/containers//json").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "/containers/a%zz/json").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "/containers/a%00/json").status, ROUTE_NOT_FOUND);
    assert_int_equal(resolve("GET", "/containers/a/b/json").status, ROUTE_NOT_FOUND);
}

static void greedy_param_spans_segments(void **st)
{
    struct route_result r = resolve("GET", "/images/localhost:5000/team/app:1/json");
    assert_int_equal(r.status, ROUTE_OK);
    assert_string_equal(route_param(&r.params, "name"), "localhost:5000/team/app:1");
    r = resolve("GET", "/images/busybox/json");
    assert_string_equal(route_param(&r.params, "name"), "busybox");
    assert_int_equal(resolve("GET", "/images/json").status, ROUTE_NOT_FOUND);
}

static void compare_versions(void **st)
{
    assert_int_equal(version_compare("1.41", "1.41"), 0);
    assert_true(version_compare("1.9", "1.24") < 0);
    assert_true(version_compare("1.100", "1.41") > 0);
    assert_int_equal(version_compare("1.41.0", "1.41"), 0);
    assert_true(version_compare("2", "1.41") > 0);
    assert_true(version_compare(".", "1.24") < 0);
}

static void split_version(void **st)
{
    char v[8];
    const char *path;
    assert_true(router_split_version("/v1.41/info", v, sizeof(v), &path));
    assert_string_equal(v, "1.41");
    assert_string_equal(path, "/info");
    assert_false(router_split_version("/info", v, sizeof(v), &path));
    assert_string_equal(path, "/info");
    assert_string_equal(v, "");
    /* Longer than the caller's buffer: not taken as a version. */
    assert_false(router_split_version("/v1.41.1.1.1/info", v, sizeof(v), &path));
}

static void decode(void **st)
{
    char out[8];
    assert_int_equal(url_decode("a%41+", 5, out, sizeof(out)), 0);
    assert_string_equal(out, "aA+");
    assert_int_equal(url_decode("%4", 2, out, sizeof(out)), -EINVAL);
    assert_int_equal(url_decode("%", 1, out, sizeof(out)), -EINVAL);
    assert_int_equal(url_decode("12345678", 8, out, sizeof(out)), -ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unversioned),
        cmocka_unit_test(supported_versions),
        cmocka_unit_test(too_new_and_too_old),
        cmocka_unit_test(malformed_version_is_not_found),
        cmocka_unit_test(trailing_slash_and_method),
        cmocka_unit_test(params_are_decoded),
        cmocka_unit_test(greedy_param_spans_segments),
        cmocka_unit_test(compare_versions),
        cmocka_unit_test(split_version),
        cmocka_unit_test(decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
