/* The shim's control protocol and attach handshake parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto.h"

static void test_ops(void **state)
{
    ctl_request r;
    rns_error e = {0};
    assert_int_equal(ctl_parse("{\"op\":\"start\"}", &r, &e), 0);
    assert_int_equal(r.op, CTL_START);
    assert_int_equal(ctl_parse("{\"op\":\"kill\",\"signal\":9,\"all\":true}", &r, &e), 0);
    assert_int_equal(r.op, CTL_KILL);
    assert_int_equal(r.signal, 9);
    assert_true(r.all);
    assert_int_equal(ctl_parse("{\"op\":\"kill\"}", &r, &e), 0);
    assert_int_equal(r.signal, 15);
    assert_false(r.all);
    assert_int_equal(ctl_parse("{\"op\":\"resize\",\"rows\":24,\"cols\":80}", &r, &e), 0);
    assert_int_equal(r.rows, 24);
    assert_int_equal(r.cols, 80);
    assert_int_equal(ctl_parse("{\"op\":\"watch\"}", &r, &e), 0);
    assert_int_equal(r.op, CTL_WATCH);
    assert_int_equal(ctl_parse("{\"op\":\"delete\",\"force\":true}", &r, &e), 0);
    assert_int_equal(r.op, CTL_DELETE);
    assert_true(r.force);
    assert_int_equal(ctl_parse("{\"op\":\"state\"}", &r, &e), 0);
    assert_int_equal(r.op, CTL_STATE);
}

static void test_exec_ops(void **state)
{
    ctl_request r = {0};
    rns_error e = {0};
    assert_int_equal(ctl_parse("{\"op\":\"exec_create\",\"exec_id\":\"abc123\",\"stdin\":true,\"tty\":false,"
                               "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}",
                               &r, &e),
                     0);
    assert_int_equal(r.op, CTL_EXEC_CREATE);
    assert_string_equal(r.exec_id, "abc123");
    assert_true(r.in);
    assert_false(r.tty);
    assert_non_null(strstr(r.process, "\"args\":[\"sh\"]"));
    ctl_request_free(&r);
    assert_null(r.process);
    assert_int_equal(ctl_parse("{\"op\":\"exec_resize\",\"exec_id\":\"x\",\"rows\":5,\"cols\":6}", &r, &e), 0);
    assert_int_equal(r.op, CTL_EXEC_RESIZE);
    assert_int_equal(r.rows, 5);
    assert_int_equal(ctl_parse("{\"op\":\"update\",\"resources\":{\"pids\":{\"limit\":5}}}", &r, &e), 0);
    assert_int_equal(r.op, CTL_UPDATE);
    assert_string_equal(r.resources, "{\"pids\":{\"limit\":5}}");
    ctl_request_free(&r);
    const char *plain[] = {"pause", "resume", "stats", "pids"};
    const int ops[] = {CTL_PAUSE, CTL_RESUME, CTL_STATS, CTL_PIDS};
    for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
        char line[64];
        snprintf(line, sizeof(line), "{\"op\":\"%s\"}", plain[i]);
        assert_int_equal(ctl_parse(line, &r, &e), 0);
        assert_int_equal(r.op, ops[i]);
    }
}

static void bad(const char *line, int err, const char *needle)
{
    ctl_request r;
    rns_error e = {0};
    assert_int_equal(ctl_parse(line, &r, &e), err);
    if (!strstr(e.msg, needle))
        fail_msg("'%s' lacks '%s'", e.msg, needle);
}

static void test_errors(void **state)
{
    bad("nope", -EINVAL, "not a JSON object");
    bad("[1]", -EINVAL, "not a JSON object");
    bad("{}", -EINVAL, "no \"op\"");
    bad("{\"op\":\"frobnicate\"}", -EOPNOTSUPP, "frobnicate");
    bad("{\"op\":\"kill\",\"signal\":99}", -EINVAL, "signal");
    bad("{\"op\":\"kill\",\"signal\":\"KILL\"}", -EINVAL, "signal");
    bad("{\"op\":\"resize\",\"rows\":24}", -EINVAL, "cols");
    bad("{\"op\":\"resize\",\"rows\":-1,\"cols\":2}", -EINVAL, "rows");
    bad("{\"op\":\"start\",\"op\":\"kill\"}", -EINVAL, "not a JSON object");
    bad("{\"op\":\"exec_start\"}", -EINVAL, "exec_id");
    bad("{\"op\":\"exec_start\",\"exec_id\":\"../x\"}", -EINVAL, "exec_id");
    bad("{\"op\":\"exec_create\",\"exec_id\":\"a\",\"process\":[]}", -EINVAL, "process");
    bad("{\"op\":\"update\",\"resources\":5}", -EINVAL, "resources");
    bad("{\"op\":\"exec_resize\",\"exec_id\":\"a\",\"rows\":1}", -EINVAL, "cols");
}

static void test_error_reply(void **state)
{
    char *s = ctl_error_reply(-ENOENT, "exec: \"x\": executable file not found in $PATH");
    assert_string_equal(s,
                        "{\"ok\":false,\"errno\":2,\"error\":\"exec: \\\"x\\\": executable file not found in $PATH\"}");
    free(s);
}

static void test_attach(void **state)
{
    attach_request a;
    rns_error e = {0};
    assert_int_equal(attach_parse("{\"stdin\":true,\"stdout\":true,\"stderr\":false}", &a, &e), 0);
    assert_true(a.in);
    assert_true(a.out);
    assert_false(a.err);
    assert_true(a.stream);
    assert_int_equal(attach_parse("{\"stream\":false}", &a, &e), 0);
    assert_false(a.stream);
    assert_int_equal(attach_parse("x", &a, &e), -EINVAL);
    assert_string_equal(a.exec_id, "");
    assert_int_equal(attach_parse("{\"exec\":\"e1\",\"stdin\":true,\"stdout\":true}", &a, &e), 0);
    assert_string_equal(a.exec_id, "e1");
    assert_true(a.in);
    assert_int_equal(attach_parse("{\"exec\":null,\"stdout\":true}", &a, &e), 0);
    assert_string_equal(a.exec_id, "");
    rns_error e2 = {0};
    assert_int_equal(attach_parse("{\"exec\":\"a/b\"}", &a, &e2), -EINVAL);
    assert_non_null(strstr(e2.msg, "exec"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_exec_ops),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_reply),
        cmocka_unit_test(test_attach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
