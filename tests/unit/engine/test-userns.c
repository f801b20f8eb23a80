/* --userns-remap's pure parts: /etc/subuid parsing (by name or uid, sorted,
 * malformed lines skipped), dockerd's choice of a free range, ranges to id
 * maps, host ids of container ids, and the texts written for the kernel
 * and the runtime spec. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "userns.h"

static void subid_by_name_and_uid_sorted(void **state)
{
    (void)state;
    const char *text = "alice:100000:65536\n"
                       "dockremap:300000:1000\n"
                       "# comment:1:2\n"
                       "999:200000:65536\n"
                       "dockremap:165536:65536\n"
                       "bob:x:65536\n"
                       "dockremap:5:0\n"
                       "dockremap:400000:7"; /* no final newline */
    struct userns_range r[8];
    int n = userns_subid_parse(text, "dockremap", "999", r, 8);
    assert_int_equal(n, 4);
    assert_int_equal(r[0].start, 165536);
    assert_int_equal(r[0].count, 65536);
    assert_int_equal(r[1].start, 200000); /* matched by uid */
    assert_int_equal(r[2].start, 300000);
    assert_int_equal(r[3].start, 400000);
    assert_int_equal(r[3].count, 7);
    assert_int_equal(userns_subid_parse(text, "carol", NULL, r, 8), 0);
    assert_int_equal(userns_subid_parse(text, "ALL", NULL, r, 8), 5);
    assert_int_equal(userns_subid_parse(text, "dockremap", "999", r, 2), -E2BIG);
    assert_int_equal(userns_subid_parse("", "dockremap", NULL, r, 8), 0);
    assert_int_equal(userns_subid_parse("dockremap:4294967296:1\ndockremap:-1:5\n", "dockremap", NULL, r, 8), 0);
}

static void next_start_avoids_overlaps(void **state)
{
    (void)state;
    assert_int_equal(userns_next_start(NULL, 0), 100000);
    struct userns_range a[] = {{100000, 65536}};
    assert_int_equal(userns_next_start(a, 1), 165536);
    struct userns_range b[] = {{1000, 10}, {300000, 65536}}; /* below and far above: no overlap */
    assert_int_equal(userns_next_start(b, 2), 100000);
    struct userns_range c[] = {{100000, 65536}, {165536, 65536}, {231072, 100}};
    assert_int_equal(userns_next_start(c, 3), 231172);
    struct userns_range d[] = {{120000, 10}}; /* a small range inside the candidate */
    assert_int_equal(userns_next_start(d, 1), 120010);
    struct userns_range e[] = {{UINT32_MAX - 70000, 70000}, {0, UINT32_MAX - 70000}};
    struct userns_range sorted[] = {e[1], e[0]};
    assert_int_equal(userns_next_start(sorted, 2), 0); /* nothing free */
}

static void maps_count_container_ids_from_zero(void **state)
{
    (void)state;
    struct userns_range r[] = {{100000, 65536}, {300000, 1000}};
    struct userns_map m[4];
    size_t n = userns_map_from_ranges(r, 2, m);
    assert_int_equal(n, 2);
    assert_int_equal(m[0].inside, 0);
    assert_int_equal(m[0].outside, 100000);
    assert_int_equal(m[0].count, 65536);
    assert_int_equal(m[1].inside, 65536);
    assert_int_equal(m[1].outside, 300000);
    assert_int_equal(m[1].count, 1000);
    assert_int_equal(userns_map_host(m, n, 0), 100000);
    assert_int_equal(userns_map_host(m, n, 65535), 165535);
    assert_int_equal(userns_map_host(m, n, 65536), 300000);
    assert_int_equal(userns_map_host(m, n, 66535), 300999);
    assert_int_equal(userns_map_host(m, n, 66536), -1);

    char text[256];
    userns_map_text(m, n, text, sizeof(text));
    assert_string_equal(text, "0 100000 65536\n65536 300000 1000\n");
    json_t *j = userns_map_json(m, n);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_string_equal(s, "[{\"containerID\":0,\"hostID\":100000,\"size\":65536},"
                           "{\"containerID\":65536,\"hostID\":300000,\"size\":1000}]");
    free(s);
    json_decref(j);
}

static void remap_off_when_empty(void **state)
{
    (void)state;
    struct userns_remap *rm = (struct userns_remap *)1;
    assert_int_equal(userns_remap_setup("", "/nonexistent", "/nonexistent", &rm), 0);
    assert_null(rm);
    rm = (struct userns_remap *)1;
    assert_int_equal(userns_remap_setup(NULL, "/nonexistent", "/nonexistent", &rm), 0);
    assert_null(rm);
    assert_int_equal(userns_remap_setup("a:b:c", "/nonexistent", "/nonexistent", &rm), -EINVAL);
    assert_null(rm);
    userns_remap_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subid_by_name_and_uid_sorted),
        cmocka_unit_test(next_start_avoids_overlaps),
        cmocka_unit_test(maps_count_container_ids_from_zero),
        cmocka_unit_test(remap_off_when_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
