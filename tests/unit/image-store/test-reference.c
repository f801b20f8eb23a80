/* Reference parsing against docker's grammar: normalisation, familiar
 * names, and the inputs docker refuses. Table-driven. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "reference.h"

static const struct {
    const char *in, *domain, *path, *tag, *familiar;
} good[] = {
    {"busybox", "docker.io", "library/busybox", "", "busybox"},
    {"busybox:1.36", "docker.io", "library/busybox", "1.36", "busybox:1.36"},
    {"docker.io/busybox", "docker.io", "library/busybox", "", "busybox"},
    {"index.docker.io/library/busybox:x", "docker.io", "library/busybox", "x", "busybox:x"},
    {"user/app:v1", "docker.io", "user/app", "v1", "user/app:v1"},
    {"127.0.0.1:5000/a/b:tag", "127.0.0.1:5000", "a/b", "tag", "127.0.0.1:5000/a/b:tag"},
    {"localhost/x", "localhost", "x", "", "localhost/x"},
    {"localhost:5000/x_y/z-w", "localhost:5000", "x_y/z-w", "", "localhost:5000/x_y/z-w"},
    {"example.com/busybox", "example.com", "busybox", "", "example.com/busybox"},
    {"a__b.c--d", "docker.io", "library/a__b.c--d", "", "a__b.c--d"},
    {"my-registry.example.com:443/team/app:1.0_rc-2", "my-registry.example.com:443", "team/app", "1.0_rc-2",
     "my-registry.example.com:443/team/app:1.0_rc-2"},
};

static const struct {
    const char *in, *detail;
} bad[] = {
    {"", NULL},
    {"Busybox", "must be lowercase"},
    {"busybox:", NULL},
    {"a//b", NULL},
    {"-a", NULL},
    {"a___b", NULL},
    {"a.-b", NULL},
    {"a/", NULL},
    {":tag", NULL},
    {"busybox@sha256:abc", NULL},
    {"busybox@md5:0123456789abcdef0123456789abcdef", NULL},
    {"exa_mple.com:5000/x", NULL},
    {"host:/x", NULL},
    {"busybox:-tag", NULL},
    {"busy box", NULL},
};

static void good_references(void **state)
{
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct reference r;
        int rc = reference_parse(good[i].in, &r);
        if (rc < 0)
            fail_msg("%s: %s", good[i].in, err_get());
        assert_string_equal(r.domain, good[i].domain);
        assert_string_equal(r.path, good[i].path);
        assert_string_equal(r.tag, good[i].tag);
        char fam[1200];
        reference_familiar_string(&r, fam, sizeof(fam));
        assert_string_equal(fam, good[i].familiar);
    }
}

static void bad_references(void **state)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct reference r;
        if (reference_parse(bad[i].in, &r) != -EINVAL)
            fail_msg("\"%s\" was accepted", bad[i].in);
        assert_non_null(strstr(err_get(), "invalid reference format"));
        if (bad[i].detail)
            assert_non_null(strstr(err_get(), bad[i].detail));
    }
}

static void digests_and_defaults(void **state)
{
    const char *dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char in[200];
    snprintf(in, sizeof(in), "localhost:5000/x:1@%s", dg);
    struct reference r;
    assert_int_equal(reference_parse(in, &r), 0);
    assert_string_equal(r.digest, dg);
    assert_string_equal(r.tag, "1");

    assert_int_equal(reference_parse("busybox", &r), 0);
    reference_default_tag(&r);
    assert_string_equal(r.tag, "latest");
    char full[1200];
    reference_full_name(&r, full, sizeof(full));
    assert_string_equal(full, "docker.io/library/busybox");

    char tag129[140];
    memset(tag129, 'a', 129);
    tag129[129] = '\0';
    char long_ref[200];
    snprintf(long_ref, sizeof(long_ref), "busybox:%s", tag129);
    assert_int_equal(reference_parse(long_ref, &r), -EINVAL);
}

static void ids(void **state)
{
    assert_true(reference_is_full_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    assert_true(reference_is_full_id("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    assert_false(reference_is_full_id("0123"));
    assert_true(reference_is_id_prefix("0123"));
    assert_true(reference_is_id_prefix("sha256:ab"));
    assert_false(reference_is_id_prefix("busybox"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_references),
        cmocka_unit_test(bad_references),
        cmocka_unit_test(digests_and_defaults),
        cmocka_unit_test(ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
