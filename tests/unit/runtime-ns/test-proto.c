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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_reply),
        cmocka_unit_test(test_attach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
