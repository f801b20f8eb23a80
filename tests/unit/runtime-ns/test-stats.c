/* cgroup stats, pids and freezer against fake v1 and v2 cgroup trees in a
 * temp dir: dockerd's stats shapes come out of the kernel's file formats.
 * Never touches /sys/fs/cgroup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

static char root[256];

static void put(const char *dir, const char *file, const char *content)
{
    char p[1024];
    assert_int_equal(rns_mkdir_p(dir, 0755), 0);
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static int setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/rns-stats-XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    rns_rm_rf(root);
    return 0;
}

static cgroup *fake_v1(void)
{
    const char *ctrls[] = {"memory", "cpu", "cpuacct", "pids", "blkio", "freezer"};
    for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
        char d[1024];
        snprintf(d, sizeof(d), "%s/%s/pouch/c1", root, ctrls[i]);
        put(d, "cgroup.procs", "");
    }
    cgroup *cg = NULL;
    rns_error e = {0};
    assert_int_equal(cgroup_create(root, 1, "/pouch/c1", &cg, &e), 0);
    return cg;
}

static json_t *get(json_t *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        o = json_object_get(o, k);
    return o;
}

static long long num(json_t *o, const char *path)
{
    json_t *v = get(o, path);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    return (long long)json_integer_value(v);
}

static void test_v1(void **state)
{
    cgroup *cg = fake_v1();
    char d[1024];
    snprintf(d, sizeof(d), "%s/cpuacct/pouch/c1", root);
    put(d, "cpuacct.usage", "282451699\n");
    put(d, "cpuacct.usage_percpu", "181657698 100794001 \n");
    put(d, "cpuacct.stat", "user 18\nsystem 9\n");
    snprintf(d, sizeof(d), "%s/cpu/pouch/c1", root);
    put(d, "cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 12345\n");
    snprintf(d, sizeof(d), "%s/memory/pouch/c1", root);
    put(d, "memory.usage_in_bytes", "331776\n");
    put(d, "memory.max_usage_in_bytes", "4046848\n");
    put(d, "memory.limit_in_bytes", "67108864\n");
    put(d, "memory.failcnt", "0\n");
    put(d, "memory.stat", "cache 4096\nrss 49152\nshmem 0\ntotal_rss 49152\ntotal_shmem 0\n"
                          "hierarchical_memory_limit 67108864\n");
    snprintf(d, sizeof(d), "%s/pids/pouch/c1", root);
    put(d, "pids.current", "3\n");
    put(d, "pids.max", "max\n");
    put(d, "cgroup.procs", "101\n202\n303\n");
    snprintf(d, sizeof(d), "%s/blkio/pouch/c1", root);
    put(d, "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n");
    put(d, "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");

    char *s = NULL;
    assert_int_equal(cgroup_stats(cg, &s), 0);
    json_t *o = json_loads(s, 0, NULL);
    assert_non_null(o);
    assert_int_equal(num(o, "cpu_stats.cpu_usage.total_usage"), 282451699);
    long hz = sysconf(_SC_CLK_TCK);
    assert_int_equal(num(o, "cpu_stats.cpu_usage.usage_in_usermode"), 18 * (1000000000LL / hz));
    assert_int_equal(num(o, "cpu_stats.cpu_usage.usage_in_kernelmode"), 9 * (1000000000LL / hz));
    json_t *pc = get(o, "cpu_stats.cpu_usage.percpu_usage");
    assert_int_equal(json_array_size(pc), 2);
    assert_int_equal(json_integer_value(json_array_get(pc, 1)), 100794001);
    assert_int_equal(num(o, "cpu_stats.throttling_data.periods"), 10);
    assert_int_equal(num(o, "cpu_stats.throttling_data.throttled_periods"), 3);
    assert_int_equal(num(o, "cpu_stats.throttling_data.throttled_time"), 12345);
    assert_int_equal(num(o, "memory_stats.usage"), 331776);
    assert_int_equal(num(o, "memory_stats.max_usage"), 4046848);
    assert_int_equal(num(o, "memory_stats.limit"), 67108864);
    assert_null(get(o, "memory_stats.failcnt")); /* 0: left out, as dockerd */
    assert_int_equal(num(o, "memory_stats.stats.rss"), 49152);
    assert_int_equal(num(o, "memory_stats.stats.total_rss"), 49152);
    assert_int_equal(num(o, "memory_stats.stats.hierarchical_memory_limit"), 67108864);
    assert_null(get(o, "memory_stats.stats.shmem")); /* not in dockerd's set */
    assert_null(get(o, "memory_stats.stats.total_shmem"));
    assert_int_equal(num(o, "pids_stats.current"), 3);
    assert_null(get(o, "pids_stats.limit")); /* max: no limit */
    json_t *b = get(o, "blkio_stats.io_service_bytes_recursive");
    assert_int_equal(json_array_size(b), 2); /* the Total line is not a device */
    json_t *w = json_array_get(b, 1);
    assert_int_equal(json_integer_value(json_object_get(w, "major")), 8);
    assert_string_equal(json_string_value(json_object_get(w, "op")), "Write");
    assert_int_equal(json_integer_value(json_object_get(w, "value")), 8192);
    assert_int_equal(json_array_size(get(o, "blkio_stats.io_serviced_recursive")), 2);
    assert_true(json_is_array(get(o, "blkio_stats.sectors_recursive")));
    json_decref(o);
    free(s);

    assert_int_equal(cgroup_pids(cg, &s), 0);
    assert_string_equal(s, "[101,202,303]");
    free(s);

    /* A freezer that freezes at once. */
    snprintf(d, sizeof(d), "%s/freezer/pouch/c1", root);
    put(d, "freezer.state", "THAWED\n");
    rns_error e = {0};
    assert_int_equal(cgroup_freeze(cg, 1, &e), 0);
    assert_int_equal(cgroup_frozen(cg), 1);
    assert_int_equal(cgroup_freeze(cg, 0, &e), 0);
    assert_int_equal(cgroup_frozen(cg), 0);
    cgroup_free(cg);
}

static void test_v1_no_freezer(void **state)
{
    char d[1024];
    snprintf(d, sizeof(d), "%s/memory/pouch/c2", root);
    put(d, "cgroup.procs", "");
    cgroup *cg = NULL;
    rns_error e = {0};
    assert_int_equal(cgroup_create(root, 1, "/pouch/c2", &cg, &e), 0);
    assert_int_equal(cgroup_freeze(cg, 1, &e), -ENOTSUP);
    assert_non_null(strstr(e.msg, "freezer"));
    cgroup_free(cg);
}

static void test_v2(void **state)
{
    char d[1024];
    put(root, "cgroup.controllers", "cpu io memory pids\n");
    put(root, "cgroup.subtree_control", "");
    snprintf(d, sizeof(d), "%s/pouch", root);
    put(d, "cgroup.controllers", "cpu io memory pids\n");
    put(d, "cgroup.subtree_control", "");
    snprintf(d, sizeof(d), "%s/pouch/c1", root);
    put(d, "cpu.stat", "usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\nnr_periods 4\nnr_throttled 1\n"
                       "throttled_usec 7\n");
    put(d, "memory.current", "1048576\n");
    put(d, "memory.max", "max\n");
    put(d, "memory.stat", "anon 40960\nfile 8192\n");
    put(d, "pids.current", "2\n");
    put(d, "pids.max", "64\n");
    put(d, "io.stat", "8:0 rbytes=4096 wbytes=512 rios=2 wios=1 dbytes=0 dios=0\n");
    put(d, "cgroup.procs", "7\n");
    cgroup *cg = NULL;
    rns_error e = {0};
    assert_int_equal(cgroup_create(root, 2, "/pouch/c1", &cg, &e), 0);
    char *s = NULL;
    assert_int_equal(cgroup_stats(cg, &s), 0);
    json_t *o = json_loads(s, 0, NULL);
    assert_non_null(o);
    assert_int_equal(num(o, "cpu_stats.cpu_usage.total_usage"), 5000000);
    assert_int_equal(num(o, "cpu_stats.cpu_usage.usage_in_usermode"), 3000000);
    assert_int_equal(num(o, "cpu_stats.cpu_usage.usage_in_kernelmode"), 2000000);
    assert_null(get(o, "cpu_stats.cpu_usage.percpu_usage")); /* v1 only, as dockerd */
    assert_int_equal(num(o, "cpu_stats.throttling_data.throttled_time"), 7000);
    assert_int_equal(num(o, "memory_stats.usage"), 1048576);
    assert_true(num(o, "memory_stats.limit") > 1048576); /* max: the host's memory */
    assert_int_equal(num(o, "memory_stats.stats.anon"), 40960);
    assert_int_equal(num(o, "pids_stats.limit"), 64);
    json_t *b = get(o, "blkio_stats.io_service_bytes_recursive");
    assert_int_equal(json_array_size(b), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 0), "op")), "read");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(b, 0), "value")), 4096);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(get(o, "blkio_stats.io_serviced_recursive"), 1),
                                                        "value")),
                     1);
    assert_true(json_is_null(get(o, "blkio_stats.sectors_recursive")));
    json_decref(o);
    free(s);
    assert_int_equal(cgroup_pids(cg, &s), 0);
    assert_string_equal(s, "[7]");
    free(s);
    /* cgroup.freeze written, cgroup.events already saying frozen. */
    put(d, "cgroup.freeze", "0\n");
    put(d, "cgroup.events", "populated 1\nfrozen 1\n");
    assert_int_equal(cgroup_freeze(cg, 1, &e), 0);
    char p[1100], *t = NULL;
    snprintf(p, sizeof(p), "%s/cgroup.freeze", d);
    assert_int_equal(rns_read_file(p, &t, NULL), 0);
    assert_int_equal(t[0], '1'); /* (written in place over "0\n") */
    free(t);
    assert_int_equal(cgroup_frozen(cg), 1);
    cgroup_free(cg);
}

static void test_zero(void **state)
{
    char *s = NULL;
    assert_int_equal(cgroup_stats_zero(&s), 0);
    json_t *o = json_loads(s, 0, NULL);
    assert_int_equal(num(o, "cpu_stats.cpu_usage.total_usage"), 0);
    assert_true(json_is_object(get(o, "memory_stats")));
    assert_int_equal(json_object_size(get(o, "memory_stats")), 0);
    assert_true(json_is_object(get(o, "blkio_stats")));
    json_decref(o);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_no_freezer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2, setup, teardown),
        cmocka_unit_test(test_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
