/* Moby -> OCI translation against golden files: each golden/<case>.in.json
 * ({"Config":…, "HostConfig":…}) must turn into exactly <case>.out.json.
 * POUCH_UPDATE_GOLDEN=1 rewrites the outputs (review the diff!). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "spec.h"

static json_t *build(json_t *in, int *ret_rc)
{
    json_t *gids = json_pack("[i]", 10);
    json_t *bounding = json_pack("[s, s, s]", "CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN");
    struct spec_input si = {.id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                            .config = json_object_get(in, "Config"),
                            .host_config = json_object_get(in, "HostConfig"),
                            .rootfs = "/run/pouch/containers/x/rootfs",
                            .hosts_path = "/var/lib/pouch/containers/x/hosts",
                            .hostname_path = "/var/lib/pouch/containers/x/hostname",
                            .resolv_path = "/var/lib/pouch/containers/x/resolv.conf",
                            .init_path = "/usr/bin/tini-static",
                            .uid = 1000,
                            .gid = 1000,
                            .additional_gids = gids,
                            .cgroup_v2 = json_is_true(json_object_get(in, "_cgroup_v2")),
                            .bounding_caps =
                                json_is_true(json_object_get(in, "_privileged_bounding")) ? bounding : NULL};
    json_t *spec = NULL;
    *ret_rc = spec_build(&si, &spec);
    json_decref(gids);
    json_decref(bounding);
    return spec;
}

static void golden_cases(void **state)
{
    DIR *d = opendir(GOLDEN_DIR);
    assert_non_null(d);
    struct dirent *de;
    int cases = 0;
    bool update = getenv("POUCH_UPDATE_GOLDEN") != NULL;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 9 || strcmp(de->d_name + n - 8, ".in.json") != 0)
            continue;
        char in_path[512], out_path[512];
        snprintf(in_path, sizeof(in_path), "%s/%s", GOLDEN_DIR, de->d_name);
        snprintf(out_path, sizeof(out_path), "%s/%.*s.out.json", GOLDEN_DIR, (int)(n - 8), de->d_name);
        json_error_t jerr;
        json_t *in = json_load_file(in_path, 0, &jerr);
        if (!in)
            fail_msg("%s: %s", in_path, jerr.text);
        int rc;
        json_t *spec = build(in, &rc);
        json_t *got = rc < 0 ? json_pack("{s:i, s:s}", "error", rc, "message", err_get()) : spec;
        if (update) {
            json_dump_file(got, out_path, JSON_INDENT(2) | JSON_SORT_KEYS);
        } else {
            json_t *want = json_load_file(out_path, 0, &jerr);
            if (!want)
                fail_msg("%s: missing golden output (run with POUCH_UPDATE_GOLDEN=1)", out_path);
            if (!json_equal(want, got)) {
                char *text = json_dumps(got, JSON_INDENT(2) | JSON_SORT_KEYS);
                fail_msg("%s: the spec differs from %s; got:\n%s", in_path, out_path, text);
            }
            json_decref(want);
        }
        json_decref(got);
        json_decref(in);
        cases++;
    }
    closedir(d);
    assert_true(cases >= 5);
}

static void capability_names(void **state)
{
    char buf[64];
    assert_int_equal(spec_cap_normalize("net_admin", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "CAP_NET_ADMIN");
    assert_int_equal(spec_cap_normalize("CAP_SYS_TIME", buf, sizeof(buf)), 0);
    assert_int_equal(spec_cap_normalize("all", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "ALL");
    assert_int_equal(spec_cap_normalize("NOPE", buf, sizeof(buf)), -EINVAL);
    assert_non_null(strstr(err_get(), "unknown capability"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_cases),
        cmocka_unit_test(capability_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
