/* config.json with a user namespace: linux.uidMappings/gidMappings parsed
 * for pouch-shim (which writes them to /proc/PID/uid_map), and the refusals
 * (no maps, bad ids, joining another user namespace by path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"

static char doc[4096];

/* A minimal spec whose linux object is `linux_json`. */
static const char *with_linux(const char *linux_json)
{
    snprintf(doc, sizeof(doc),
             "{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"true\"],"
             "\"cwd\":\"/\"},\"root\":{\"path\":\"/r\"},\"linux\":%s}",
             linux_json);
    return doc;
}

static void maps_parsed(void **state)
{
    (void)state;
    spec *s = NULL;
    rns_error e = {0};
    const char *text = with_linux("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"user\"}],"
                                  "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536},"
                                  "{\"containerID\":65536,\"hostID\":300000,\"size\":10}],"
                                  "\"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":65536}]}");
    assert_int_equal(spec_parse(text, "/b", &s, &e), 0);
    assert_int_equal(s->n_namespaces, 2);
    assert_int_equal(s->namespaces[1].type, CLONE_NEWUSER);
    assert_null(s->namespaces[1].path);
    assert_int_equal(s->n_uid_mappings, 2);
    assert_int_equal(s->uid_mappings[1].container_id, 65536);
    assert_int_equal(s->uid_mappings[1].host_id, 300000);
    assert_int_equal(s->uid_mappings[1].size, 10);
    assert_int_equal(s->n_gid_mappings, 1);
    assert_int_equal(s->gid_mappings[0].host_id, 200000);
    spec_free(s);

    /* No user namespace: maps are ignored, none kept. */
    s = NULL;
    assert_int_equal(spec_parse(with_linux("{\"namespaces\":[{\"type\":\"pid\"}],\"uidMappings\":[{\"containerID\":0,"
                                           "\"hostID\":1,\"size\":1}]}"),
                                "/b", &s, &e),
                     0);
    assert_int_equal(s->n_uid_mappings, 0);
    spec_free(s);
}

static void refusals(void **state)
{
    (void)state;
    static const struct {
        const char *linux_json;
        int err;
        const char *words;
    } cases[] = {
        {"{\"namespaces\":[{\"type\":\"user\"}]}", -EINVAL, "uidMappings"},
        {"{\"namespaces\":[{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}",
         -EINVAL, "gidMappings"},
        {"{\"namespaces\":[{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":-1,\"size\":1}],"
         "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}",
         -EINVAL, "uidMappings[0].hostID"},
        {"{\"namespaces\":[{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":0}],"
         "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}",
         -EINVAL, "uidMappings[0].size"},
        {"{\"namespaces\":[{\"type\":\"user\",\"path\":\"/proc/1/ns/user\"}]}", -ENOTSUP, "joining an existing"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        spec *s = NULL;
        rns_error e = {0};
        assert_int_equal(spec_parse(with_linux(cases[i].linux_json), "/b", &s, &e), cases[i].err);
        if (!strstr(e.msg, cases[i].words))
            fail_msg("case %zu: \"%s\" does not mention %s", i, e.msg, cases[i].words);
        assert_null(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maps_parsed),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
