/* SecurityOpt parsing and profile translation beyond the golden specs:
 * other architectures and kernels (the goldens are this machine's), the
 * includes/excludes rules, and dockerd's spellings and messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "seccomp.h"

/* Translate the default profile for arch/kernel with bounding caps. */
static json_t *default_for(const char *arch, const char *kernel, json_t *caps)
{
    json_t *p = seccomp_default_profile(), *out = NULL;
    if (seccomp_translate(p, caps, arch, kernel, &out) < 0)
        fail_msg("default profile on %s/%s: %s", arch, kernel, err_get());
    json_decref(p);
    return out;
}

/* Does any rule of out name syscall (with action, or any if NULL)? */
static bool has_rule(json_t *out, const char *syscall, const char *action, json_t **ret_rule)
{
    size_t i, k;
    json_t *r, *n;
    json_array_foreach(json_object_get(out, "syscalls"), i, r)
    {
        if (action && strcmp(json_string_value(json_object_get(r, "action")), action) != 0)
            continue;
        json_array_foreach(json_object_get(r, "names"), k, n) if (strcmp(json_string_value(n), syscall) == 0)
        {
            if (ret_rule)
                *ret_rule = r;
            return true;
        }
    }
    return false;
}

static void architectures_and_kernels(void **state)
{
    (void)state;
    json_t *caps = json_pack("[s]", "CAP_CHOWN");
    json_t *arm = default_for("arm64", "5.10.0", caps);
    json_t *want = json_pack("[s, s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
    assert_true(json_equal(json_object_get(arm, "architectures"), want));
    json_decref(want);
    assert_true(has_rule(arm, "cacheflush", NULL, NULL));
    assert_false(has_rule(arm, "arch_prctl", NULL, NULL));
    json_decref(arm);

    json_t *s390 = default_for("s390x", "5.10", caps), *rule = NULL;
    assert_true(has_rule(s390, "clone", "SCMP_ACT_ALLOW", &rule));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(rule, "args"), 0), "index")),
                     1); /* s390 passes clone's flags second */
    assert_true(has_rule(s390, "s390_runtime_instr", NULL, NULL));
    json_decref(s390);

    json_t *old = default_for("amd64", "4.4.0-210-generic", caps), *new = default_for("amd64", "4.8", caps);
    assert_false(has_rule(old, "ptrace", NULL, NULL)); /* minKernel 4.8 */
    assert_true(has_rule(new, "ptrace", NULL, NULL));
    assert_true(has_rule(new, "modify_ldt", NULL, NULL));
    json_decref(old);
    json_decref(new);

    json_t *unknown = default_for("sparc64", "6.1", caps); /* no archMap entry: libseccomp's native */
    assert_null(json_object_get(unknown, "architectures"));
    json_decref(unknown);
    json_decref(caps);
}

static void capabilities(void **state)
{
    (void)state;
    json_t *none = json_array(), *admin = json_pack("[s]", "CAP_SYS_ADMIN"), *bpf = json_pack("[s]", "CAP_BPF");
    json_t *a = default_for("amd64", "6.1", none), *b = default_for("amd64", "6.1", admin),
           *c = default_for("amd64", "6.1", bpf);
    assert_true(has_rule(a, "clone3", "SCMP_ACT_ERRNO", NULL));
    assert_false(has_rule(a, "mount", NULL, NULL));
    assert_false(has_rule(a, "chroot", NULL, NULL)); /* CAP_SYS_CHROOT missing */
    assert_false(has_rule(b, "clone3", "SCMP_ACT_ERRNO", NULL));
    assert_true(has_rule(b, "mount", "SCMP_ACT_ALLOW", NULL));
    assert_true(has_rule(b, "bpf", "SCMP_ACT_ALLOW", NULL));
    assert_true(has_rule(c, "bpf", "SCMP_ACT_ALLOW", NULL));
    assert_false(has_rule(c, "mount", NULL, NULL));
    json_decref(a);
    json_decref(b);
    json_decref(c);

    /* includes need every capability, excludes any one */
    json_t *p = json_loads("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                           "{\"names\":[\"acct\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":"
                           "[\"CAP_SYS_ADMIN\",\"CAP_BPF\"]}},"
                           "{\"names\":[\"kcmp\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"caps\":"
                           "[\"CAP_SYS_ADMIN\",\"CAP_BPF\"]}}]}",
                           0, NULL);
    json_t *out = NULL;
    assert_int_equal(seccomp_translate(p, admin, "amd64", "6.1", &out), 0);
    assert_false(has_rule(out, "acct", NULL, NULL));
    assert_false(has_rule(out, "kcmp", NULL, NULL));
    json_decref(out);
    assert_int_equal(seccomp_translate(p, none, "amd64", "6.1", &out), 0);
    assert_true(has_rule(out, "kcmp", NULL, NULL));
    json_decref(out);
    json_decref(p);
    json_decref(none);
    json_decref(admin);
    json_decref(bpf);
}

static void expect_error(const char *profile, int want, const char *text)
{
    json_t *p = json_loads(profile, 0, NULL), *caps = json_array(), *out = NULL;
    assert_non_null(p);
    assert_int_equal(seccomp_translate(p, caps, "amd64", "6.1", &out), want);
    assert_null(out);
    if (!strstr(err_get(), text))
        fail_msg("\"%s\" does not say \"%s\"", err_get(), text);
    json_decref(p);
    json_decref(caps);
}

static void bad_profiles(void **state)
{
    (void)state;
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"a\",\"names\":[\"b\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                 -EINVAL, "syscalls[0]: use either 'name' or 'names'");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],\"archMap\":"
                 "[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
                 -EINVAL, "use either 'architectures' or 'archMap'");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],\"action\":"
                 "\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"four\"}}]}",
                 -EINVAL, "syscalls[0].includes.minKernel: invalid kernel version \"four\"");
    expect_error("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", -EINVAL, "needs a seccomp agent");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],\"action\":"
                 "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 -EINVAL, "syscalls[0].args[0]: index must be an argument number from 0 to 5");
    expect_error("[]", -EINVAL, "Decoding seccomp profile failed");
}

static void go_field_names(void **state)
{
    (void)state;
    /* Go's decoder ignores case in field names; so must we */
    json_t *p = json_loads("{\"DefaultAction\":\"SCMP_ACT_ALLOW\",\"Syscalls\":[{\"Names\":[\"mkdir\"],"
                           "\"Action\":\"SCMP_ACT_ERRNO\",\"ErrnoRet\":13}]}",
                           0, NULL);
    json_t *caps = json_array(), *out = NULL, *rule = NULL;
    assert_int_equal(seccomp_translate(p, caps, "amd64", "6.1", &out), 0);
    assert_string_equal(json_string_value(json_object_get(out, "defaultAction")), "SCMP_ACT_ALLOW");
    assert_true(has_rule(out, "mkdir", "SCMP_ACT_ERRNO", &rule));
    assert_int_equal(json_integer_value(json_object_get(rule, "errnoRet")), 13);
    json_decref(out);
    json_decref(p);
    /* neither a default action nor rules: no filter at all */
    p = json_loads("{}", 0, NULL);
    assert_int_equal(seccomp_translate(p, caps, "amd64", "6.1", &out), 0);
    assert_null(out);
    json_decref(p);
    json_decref(caps);
}

/* The options stay alive until the next call: what parse returns borrows them. */
static json_t *held;

static int parse(const char *const *opts, struct security_opts *ret)
{
    json_decref(held);
    held = json_array();
    for (size_t i = 0; opts[i]; i++)
        json_array_append_new(held, json_string(opts[i]));
    return security_opts_parse(held, ret);
}

static void security_opt_spellings(void **state)
{
    (void)state;
    struct security_opts o;
    assert_int_equal(parse((const char *const[]){"no-new-privileges", "label=disable", "apparmor=unconfined", "disable",
                                                 "seccomp:unconfined", NULL},
                           &o),
                     0);
    assert_true(o.no_new_privileges);
    assert_string_equal(o.seccomp, "unconfined");
    assert_int_equal(parse((const char *const[]){"no-new-privileges=true", "no-new-privileges:F", NULL}, &o), 0);
    assert_false(o.no_new_privileges);
    /* a profile keeps its own '=' and ':' */
    assert_int_equal(parse((const char *const[]){"seccomp={\"a\":\"b=c\"}", NULL}, &o), 0);
    assert_string_equal(o.seccomp, "{\"a\":\"b=c\"}");
    assert_int_equal(parse((const char *const[]){"foo", NULL}, &o), -EIO);
    assert_string_equal(err_get(), "invalid --security-opt 1: \"foo\"");
    assert_int_equal(parse((const char *const[]){"bogus=1", NULL}, &o), -EIO);
    assert_string_equal(err_get(), "invalid --security-opt 2: \"bogus=1\"");
    assert_int_equal(parse((const char *const[]){"no-new-privileges=maybe", NULL}, &o), -EIO);
    assert_string_equal(err_get(), "invalid --security-opt 2: \"no-new-privileges=maybe\"");
    /* unconfined and --privileged: no linux.seccomp */
    json_t *caps = json_array(), *out = (json_t *)1;
    assert_int_equal(seccomp_for_container("unconfined", false, caps, &out), 0);
    assert_null(out);
    out = (json_t *)1;
    assert_int_equal(seccomp_for_container("{bad", true, caps, &out), 0);
    assert_null(out);
    assert_int_equal(seccomp_for_container("{bad", false, caps, &out), -EINVAL);
    assert_non_null(strstr(err_get(), "Decoding seccomp profile failed"));
    json_decref(caps);
    json_decref(held);
    held = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(architectures_and_kernels),
        cmocka_unit_test(capabilities),
        cmocka_unit_test(bad_profiles),
        cmocka_unit_test(go_field_names),
        cmocka_unit_test(security_opt_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
