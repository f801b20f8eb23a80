/* linux.seccomp -> BPF (seccomp-filter.c): profiles compile, bad ones are
 * refused naming the entry, and a loaded filter does what the profile says,
 * checked in a forked child (with no_new_privs, so no privilege needed). */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "seccomp-filter.h"
#include "spec.h"

static spec *parse_with(const char *seccomp_json)
{
    char *text = NULL;
    int n = asprintf(&text, "{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"/\"},\"linux\":{\"seccomp\":%s}}",
                     seccomp_json);
    assert_true(n > 0);
    spec *s = NULL;
    rns_error e = {0};
    if (spec_parse(text, NULL, &s, &e) < 0)
        fail_msg("spec_parse: %s", e.msg);
    free(text);
    return s;
}

/* What a raw system call gives: 0 or the errno. */
static int errno_of(long r)
{
    return r < 0 ? errno : 0;
}

/* Run check() in a child that loaded s's filter; the child's exit code is
 * the number of the first failed expectation (0: all held). */
static void in_filtered_child(const spec *s, int (*check)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rns_error e = {0};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_filter_load(s, &e) < 0)
            _exit(100);
        _exit(check()); /* _exit: no sanitizer exit work under the filter */
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static int small_profile_holds(void)
{
    if (errno_of(syscall(SYS_mkdir, "/nonexistent-pouch-dir/x", 0755)) != EPERM)
        return 1;
    if (errno_of(syscall(SYS_getppid)) != EACCES)
        return 2;
    if (errno_of(syscall(SYS_getpid)) != 0)
        return 3;
    if (errno_of(syscall(SYS_personality, 8UL)) != 0 || errno_of(syscall(SYS_personality, 0xffffffffUL)) != EPERM)
        return 4;
    /* two conditions on one argument: either matches */
    if (errno_of(syscall(SYS_umask, 011)) != EPERM || errno_of(syscall(SYS_umask, 022)) != EPERM)
        return 5;
    if (errno_of(syscall(SYS_umask, 077)) != 0)
        return 6;
    return 0;
}

static void small_profile(void **state)
{
    (void)state;
    spec *s = parse_with("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                         "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":["
                         "{\"names\":[\"mkdir\",\"no_such_syscall\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                         "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"
                         "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                         "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\","
                         "\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_NE\"}]},"
                         "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
                         "{\"index\":0,\"value\":9,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":18,\"op\":"
                         "\"SCMP_CMP_EQ\"}]}]}");
    rns_error e = {0};
    assert_int_equal(seccomp_filter_prepare(s, NULL, &e), 0);
    assert_non_null(s->seccomp_filter);
    assert_true(s->seccomp_filter_len > 4);
    const void *first = s->seccomp_filter;
    assert_int_equal(seccomp_filter_prepare(s, NULL, &e), 0); /* once only */
    assert_ptr_equal(s->seccomp_filter, first);
    in_filtered_child(s, small_profile_holds);
    spec_free(s);
}

static void bad_entries_named(void **state)
{
    (void)state;
    static const struct {
        const char *profile, *want;
    } cases[] = {
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\"},"
         "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_BOGUS\"}]}",
         "syscalls[1]: unknown action \"SCMP_ACT_BOGUS\""},
        {"{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "defaultAction: unknown action \"SCMP_ACT_NOPE\""},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
         "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_WHAT\"}]}]}",
         "syscalls[0].args[0]: unknown operator SCMP_CMP_WHAT"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}",
         "architectures[0]: unknown architecture SCMP_ARCH_Z80"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        spec *s = parse_with(cases[i].profile);
        rns_error e = {0};
        assert_int_equal(seccomp_filter_prepare(s, NULL, &e), -EINVAL);
        if (!strstr(e.msg, cases[i].want))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, e.msg, cases[i].want);
        assert_null(s->seccomp_filter);
        spec_free(s);
    }
}

static void no_seccomp_no_filter(void **state)
{
    (void)state;
    spec *s = NULL;
    rns_error e = {0};
    assert_int_equal(spec_parse("{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"/\"}}", NULL, &s, &e), 0);
    assert_int_equal(seccomp_filter_prepare(s, NULL, &e), 0);
    assert_null(s->seccomp_filter);
    assert_int_equal(seccomp_filter_load(s, &e), 0);
    spec_free(s);
    assert_int_equal(spec_parse("{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"/\"},\"linux\":{\"seccomp\":1}}",
                                NULL, &s, &e),
                     -EINVAL);
}

static int default_profile_holds(void)
{
    if (errno_of(syscall(SYS_unshare, CLONE_NEWUTS)) != EPERM)
        return 1;
    if (errno_of(syscall(SYS_clone3, NULL, 0UL)) != ENOSYS)
        return 2;
    if (errno_of(syscall(SYS_keyctl, 0, -3, 0)) != EPERM)
        return 3;
    if (errno_of(syscall(SYS_getpid)) != 0 || errno_of(syscall(SYS_personality, 0xffffffffUL)) != 0)
        return 4;
    if (errno_of(syscall(SYS_personality, 6UL /* PER_BSD */)) != EPERM)
        return 5;
    struct stat st;
    if (stat("/", &st) < 0)
        return 6;
    /* above the profile's highest syscall: ENOSYS, so libcs fall back */
    if (errno_of(syscall(1000, 0L, 0L)) != ENOSYS)
        return 7;
#if defined(__x86_64__)
    if (errno_of(syscall(452 /* fchmodat2 */, 0L, 0L, 0L, 0L)) != ENOSYS)
        return 8;
    if (errno_of(syscall(SYS_kexec_load, 0L, 0L, 0L, 0L)) != EPERM) /* below it: the default action */
        return 9;
#endif
    return 0;
}

/* The engine's default profile (its golden translation) compiles and keeps
 * a process away from namespaces and keyrings. */
static void default_profile(void **state)
{
    (void)state;
    json_error_t je;
    json_t *golden = json_load_file(GOLDEN_DIR "/default.out.json", 0, &je);
    if (!golden)
        fail_msg("%s/default.out.json: %s", GOLDEN_DIR, je.text);
    char *seccomp = json_dumps(json_object_get(json_object_get(golden, "linux"), "seccomp"), JSON_COMPACT);
    assert_non_null(seccomp);
    spec *s = parse_with(seccomp);
    rns_error e = {0};
    if (seccomp_filter_prepare(s, NULL, &e) < 0)
        fail_msg("default profile: %s", e.msg);
    in_filtered_child(s, default_profile_holds);
    spec_free(s);
    free(seccomp);
    json_decref(golden);
}

/* A second container with the same profile takes the compiled program from
 * the cache next to the state dirs; a damaged entry is compiled again. */
static void cache_shared(void **state)
{
    (void)state;
    char root[] = "/tmp/pouch-test-seccomp-XXXXXX", a[64], b[64], dir[96];
    assert_non_null(mkdtemp(root));
    snprintf(a, sizeof(a), "%s/ctr-a", root);
    snprintf(b, sizeof(b), "%s/ctr-b", root);
    snprintf(dir, sizeof(dir), "%s/.seccomp-cache", root);
    const char *profile = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                          "\"action\":\"SCMP_ACT_ERRNO\"}]}";
    spec *s1 = parse_with(profile), *s2 = parse_with(profile), *s3 = parse_with(profile);
    rns_error e = {0};
    assert_int_equal(seccomp_filter_prepare(s1, a, &e), 0);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    char entry[300] = "";
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            snprintf(entry, sizeof(entry), "%s/%s", dir, de->d_name);
    closedir(d);
    assert_non_null(strstr(entry, ".bpf"));
    assert_int_equal(seccomp_filter_prepare(s2, b, &e), 0);
    assert_int_equal(s2->seccomp_filter_len, s1->seccomp_filter_len);
    assert_memory_equal(s2->seccomp_filter, s1->seccomp_filter, s1->seccomp_filter_len * 8);
    /* damage the last instruction: the checksum refuses it */
    FILE *f = fopen(entry, "r+");
    assert_non_null(f);
    fseek(f, -3, SEEK_END);
    fputc(0x5a, f);
    fclose(f);
    assert_int_equal(seccomp_filter_prepare(s3, b, &e), 0);
    assert_memory_equal(s3->seccomp_filter, s1->seccomp_filter, s1->seccomp_filter_len * 8);
    spec_free(s1);
    spec_free(s2);
    spec_free(s3);
    unlink(entry);
    rmdir(dir);
    rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_profile),   cmocka_unit_test(bad_entries_named), cmocka_unit_test(no_seccomp_no_filter),
        cmocka_unit_test(default_profile), cmocka_unit_test(cache_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
