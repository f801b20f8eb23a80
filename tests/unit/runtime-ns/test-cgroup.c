/* cgroup v1 and v2 writers against a fake cgroup tree in a temp dir: the
 * right files get the right values. Never touches /sys/fs/cgroup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

static char root[256];

static void touch(const char *dir, const char *file, const char *content)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static char *slurp(const char *dir, const char *file)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    char *s = NULL;
    if (rns_read_file(p, &s, NULL) < 0)
        return strdup("(missing)");
    return s;
}

#define ASSERT_FILE(dir, file, want)                                                                                   \
    do {                                                                                                               \
        char *_got = slurp(dir, file);                                                                                 \
        assert_string_equal(_got, want);                                                                               \
        free(_got);                                                                                                    \
    } while (0)

static int setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/rns-cg-XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    rns_rm_rf(root);
    return 0;
}

static const char *const v1_files[][2] = {
    {"memory", "memory.limit_in_bytes"},
    {"memory", "memory.memsw.limit_in_bytes"},
    {"memory", "memory.soft_limit_in_bytes"},
    {"memory", "memory.oom_control"},
    {"cpu", "cpu.shares"},
    {"cpu", "cpu.cfs_quota_us"},
    {"cpu", "cpu.cfs_period_us"},
    {"cpuset", "cpuset.cpus"},
    {"cpuset", "cpuset.mems"},
    {"pids", "pids.max"},
    {"blkio", "blkio.weight"},
    {"devices", "devices.allow"},
    {"devices", "devices.deny"},
};

static void fake_v1(const char *rel)
{
    const char *ctrls[] = {"memory", "cpu", "cpuset", "pids", "blkio", "devices"};
    for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
        char d[1024];
        snprintf(d, sizeof(d), "%s/%s%s", root, ctrls[i], rel);
        assert_int_equal(rns_mkdir_p(d, 0755), 0);
        touch(d, "cgroup.procs", "");
    }
    char top[1024];
    snprintf(top, sizeof(top), "%s/cpuset", root);
    touch(top, "cpuset.cpus", "0-3\n");
    touch(top, "cpuset.mems", "0\n");
    for (size_t i = 0; i < ARRAY_SIZE(v1_files); i++) {
        char d[1024];
        snprintf(d, sizeof(d), "%s/%s%s", root, v1_files[i][0], rel);
        touch(d, v1_files[i][1], "");
    }
}

static spec_resources sample(void)
{
    static spec_devrule rules[] = {{.allow = 0, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
                                   {.allow = 1, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},
                                   {.allow = 1, .type = 'c', .major = 136, .minor = -1, .access = "rwm"}};
    spec_resources r = {
        .has_mem_limit = 1,
        .mem_limit = 67108864,
        .has_mem_swap = 1,
        .mem_swap = 134217728,
        .has_mem_reservation = 1,
        .mem_reservation = 33554432,
        .has_cpu_shares = 1,
        .cpu_shares = 512,
        .has_cpu_quota = 1,
        .cpu_quota = 50000,
        .has_cpu_period = 1,
        .cpu_period = 100000,
        .cpus = "0-1",
        .mems = "0",
        .has_pids_limit = 1,
        .pids_limit = 64,
        .has_blkio_weight = 1,
        .blkio_weight = 500,
        .devices = rules,
        .n_devices = 3,
    };
    return r;
}

static void test_v1_apply(void **state)
{
    fake_v1("");
    rns_error e = {0};
    cgroup *cg = NULL;
    assert_int_equal(cgroup_create(root, 1, "/pouch/c1", &cg, &e), 0);
    /* cpuset: the new levels inherited cpus/mems from their parent. */
    char d[1024];
    snprintf(d, sizeof(d), "%s/cpuset/pouch/c1", root);
    for (size_t i = 0; i < ARRAY_SIZE(v1_files); i++) {
        char dd[1024];
        snprintf(dd, sizeof(dd), "%s/%s/pouch/c1", root, v1_files[i][0]);
        touch(dd, v1_files[i][1], "");
        touch(dd, "cgroup.procs", "");
    }
    spec_resources r = sample();
    assert_int_equal(cgroup_apply(cg, &r, &e), 0);
    snprintf(d, sizeof(d), "%s/memory/pouch/c1", root);
    ASSERT_FILE(d, "memory.limit_in_bytes", "67108864");
    ASSERT_FILE(d, "memory.memsw.limit_in_bytes", "134217728");
    ASSERT_FILE(d, "memory.soft_limit_in_bytes", "33554432");
    snprintf(d, sizeof(d), "%s/cpu/pouch/c1", root);
    ASSERT_FILE(d, "cpu.shares", "512");
    ASSERT_FILE(d, "cpu.cfs_quota_us", "50000");
    ASSERT_FILE(d, "cpu.cfs_period_us", "100000");
    snprintf(d, sizeof(d), "%s/cpuset/pouch/c1", root);
    ASSERT_FILE(d, "cpuset.cpus", "0-1");
    ASSERT_FILE(d, "cpuset.mems", "0");
    snprintf(d, sizeof(d), "%s/pids/pouch/c1", root);
    ASSERT_FILE(d, "pids.max", "64");
    snprintf(d, sizeof(d), "%s/blkio/pouch/c1", root);
    ASSERT_FILE(d, "blkio.weight", "500");
    snprintf(d, sizeof(d), "%s/devices/pouch/c1", root);
    ASSERT_FILE(d, "devices.allow", "c 136:* rwm"); /* a plain file keeps the last write */
    ASSERT_FILE(d, "devices.deny", "a");
    assert_int_equal(cgroup_enter(cg, 4242, &e), 0);
    snprintf(d, sizeof(d), "%s/pids/pouch/c1", root);
    ASSERT_FILE(d, "cgroup.procs", "4242");
    /* OOM detection reads oom_kill from memory.oom_control. */
    snprintf(d, sizeof(d), "%s/memory/pouch/c1", root);
    touch(d, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    assert_int_equal(cgroup_oom_killed(cg), 0);
    touch(d, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
    assert_int_equal(cgroup_oom_killed(cg), 1);
    cgroup_free(cg);
}

static void test_v1_missing_controller(void **state)
{
    char d[1024];
    snprintf(d, sizeof(d), "%s/memory", root);
    assert_int_equal(rns_mkdir_p(d, 0755), 0);
    rns_error e = {0};
    cgroup *cg = NULL;
    assert_int_equal(cgroup_create(root, 1, "/pouch/c2", &cg, &e), 0);
    spec_resources r = {.has_pids_limit = 1, .pids_limit = 10};
    assert_int_equal(cgroup_apply(cg, &r, &e), -ENOTSUP);
    assert_non_null(strstr(e.msg, "pids controller"));
    cgroup_free(cg);
}

static void fake_v2(void)
{
    touch(root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
    touch(root, "cgroup.subtree_control", "");
    char d[1024];
    snprintf(d, sizeof(d), "%s/pouch", root);
    assert_int_equal(rns_mkdir_p(d, 0755), 0);
    touch(d, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
    touch(d, "cgroup.subtree_control", "");
    snprintf(d, sizeof(d), "%s/pouch/c1", root);
    assert_int_equal(rns_mkdir_p(d, 0755), 0);
    const char *files[] = {"memory.max",  "memory.swap.max", "memory.low", "cpu.weight", "cpu.max",
                           "cpuset.cpus", "cpuset.mems",     "pids.max",   "io.weight",  "cgroup.procs"};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        touch(d, files[i], "");
}

static void test_v2_apply(void **state)
{
    fake_v2();
    rns_error e = {0};
    cgroup *cg = NULL;
    assert_int_equal(cgroup_create(root, 2, "/pouch/c1", &cg, &e), 0);
    spec_resources r = sample();
    assert_int_equal(cgroup_apply(cg, &r, &e), 0);
    char d[1024];
    snprintf(d, sizeof(d), "%s/pouch/c1", root);
    ASSERT_FILE(d, "memory.max", "67108864");
    ASSERT_FILE(d, "memory.swap.max", "67108864"); /* memory+swap minus memory */
    ASSERT_FILE(d, "memory.low", "33554432");
    ASSERT_FILE(d, "cpu.weight", "20"); /* 1 + (510 * 9999) / 262142 */
    ASSERT_FILE(d, "cpu.max", "50000 100000");
    ASSERT_FILE(d, "cpuset.cpus", "0-1");
    ASSERT_FILE(d, "pids.max", "64");
    ASSERT_FILE(d, "io.weight", "default 4950"); /* 1 + (490 * 9999) / 990 */
    /* Controllers were enabled for the children of each ancestor. */
    char *sc = slurp(root, "cgroup.subtree_control");
    assert_int_equal(sc[0], '+');
    free(sc);
    touch(d, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    assert_int_equal(cgroup_oom_killed(cg), 1);
    assert_int_equal(cgroup_enter(cg, 77, &e), 0);
    ASSERT_FILE(d, "cgroup.procs", "77");
    cgroup_free(cg);
}

static void test_v2_unlimited(void **state)
{
    fake_v2();
    rns_error e = {0};
    cgroup *cg = NULL;
    assert_int_equal(cgroup_create(root, 2, "pouch/c1", &cg, &e), 0);
    spec_resources r = {.has_cpu_quota = 1,
                        .cpu_quota = -1,
                        .has_cpu_period = 1,
                        .cpu_period = 50000,
                        .has_pids_limit = 1,
                        .pids_limit = 0,
                        .has_mem_swap = 1,
                        .mem_swap = -1};
    assert_int_equal(cgroup_apply(cg, &r, &e), 0);
    char d[1024];
    snprintf(d, sizeof(d), "%s/pouch/c1", root);
    ASSERT_FILE(d, "cpu.max", "max 50000");
    ASSERT_FILE(d, "pids.max", "max");
    ASSERT_FILE(d, "memory.swap.max", "max");
    cgroup_free(cg);
}

static void test_v2_missing_controller(void **state)
{
    touch(root, "cgroup.controllers", "hugetlb\n");
    touch(root, "cgroup.subtree_control", "");
    rns_error e = {0};
    cgroup *cg = NULL;
    assert_int_equal(cgroup_create(root, 2, "/c9", &cg, &e), 0);
    spec_resources r = {.has_mem_limit = 1, .mem_limit = 1 << 20};
    assert_int_equal(cgroup_apply(cg, &r, &e), -ENOTSUP);
    assert_non_null(strstr(e.msg, "memory controller is not enabled"));
    cgroup_free(cg);
}

static void test_conversions(void **state)
{
    assert_int_equal(cgroup_shares_to_weight(2), 1);
    assert_int_equal(cgroup_shares_to_weight(1024), 39);
    assert_int_equal(cgroup_shares_to_weight(262144), 10000);
    assert_int_equal(cgroup_blkio_to_io_weight(10), 1);
    assert_int_equal(cgroup_blkio_to_io_weight(1000), 10000);
}

static void test_save_and_remove(void **state)
{
    fake_v2();
    char d[1024], list[1024];
    snprintf(d, sizeof(d), "%s/pouch/empty", root);
    assert_int_equal(rns_mkdir_p(d, 0755), 0);
    rns_error e = {0};
    cgroup *cg = NULL;
    assert_int_equal(cgroup_create(root, 2, "/pouch/empty", &cg, &e), 0);
    snprintf(list, sizeof(list), "%s/list", root);
    assert_int_equal(cgroup_save(cg, list), 0);
    assert_int_equal(cgroup_remove_listed(list), 0);
    assert_int_equal(access(d, F_OK), -1);
    assert_int_equal(cgroup_remove_listed("/nonexistent/list"), 0);
    cgroup_free(cg);
}

int main(void)
{
    unsetenv("POUCH_CGROUP_VERSION");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v1_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_missing_controller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_unlimited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_missing_controller, setup, teardown),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test_setup_teardown(test_save_and_remove, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
