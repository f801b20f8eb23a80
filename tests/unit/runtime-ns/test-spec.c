/* config.json parsing: the fields pouch-shim applies, and errors that name
 * the field. Pure parsing: never touches the system. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "spec.h"

static const char *full =
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":true,\"user\":{\"uid\":1000,\"gid\":100,"
    "\"additionalGids\":[10,20]},\"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"PATH=/bin\",\"A=b\"],"
    "\"cwd\":\"/work\",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
    "\"permitted\":[\"CAP_KILL\"],\"inheritable\":[],\"ambient\":[]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":512}],\"noNewPrivileges\":true,"
    "\"oomScoreAdj\":-500},\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"h1\","
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\",\"options\":[\"nosuid\"]},"
    "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\"]}],"
    "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/run/netns/x\"},"
    "{\"type\":\"cgroup\"}],\"cgroupsPath\":\"/pouch/abc\",\"resources\":{\"memory\":{\"limit\":1048576,"
    "\"swap\":2097152,\"disableOOMKiller\":true},\"cpu\":{\"shares\":512,\"quota\":20000,\"period\":100000,"
    "\"cpus\":\"0\"},\"pids\":{\"limit\":10},\"blockIO\":{\"weight\":300},\"devices\":[{\"allow\":false,"
    "\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}]},"
    "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
    "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
    "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"rootfsPropagation\":\"rprivate\"}}";

static void test_full(void **state)
{
    spec *s = NULL;
    rns_error e = {0};
    assert_int_equal(spec_parse(full, "/b", &s, &e), 0);
    assert_true(s->terminal);
    assert_int_equal(s->uid, 1000);
    assert_int_equal(s->gid, 100);
    assert_int_equal(s->n_additional_gids, 2);
    assert_int_equal(s->additional_gids[1], 20);
    assert_int_equal(s->n_args, 3);
    assert_string_equal(s->args[0], "sh");
    assert_null(s->args[3]);
    assert_string_equal(s->env[1], "A=b");
    assert_string_equal(s->cwd, "/work");
    assert_int_equal(s->cap_bounding, (1ULL << 0) | (1ULL << 5));
    assert_int_equal(s->cap_effective, 1ULL << 5);
    assert_int_equal(s->n_rlimits, 1);
    assert_int_equal(s->rlimits[0].resource, RLIMIT_NOFILE);
    assert_int_equal(s->rlimits[0].soft, 512);
    assert_true(s->no_new_privileges);
    assert_true(s->has_oom_score_adj);
    assert_int_equal(s->oom_score_adj, -500);
    assert_string_equal(s->root_path, "/b/rootfs");
    assert_true(s->root_readonly);
    assert_string_equal(s->hostname, "h1");
    assert_int_equal(s->n_mounts, 2);
    assert_string_equal(s->mounts[1].options[0], "rbind");
    assert_int_equal(s->n_namespaces, 3);
    assert_int_equal(s->namespaces[1].type, CLONE_NEWNET);
    assert_string_equal(s->namespaces[1].path, "/run/netns/x");
    assert_string_equal(s->cgroups_path, "/pouch/abc");
    assert_int_equal(s->resources.mem_limit, 1048576);
    assert_int_equal(s->resources.mem_swap, 2097152);
    assert_true(s->resources.disable_oom);
    assert_int_equal(s->resources.cpu_shares, 512);
    assert_int_equal(s->resources.cpu_quota, 20000);
    assert_string_equal(s->resources.cpus, "0");
    assert_int_equal(s->resources.pids_limit, 10);
    assert_int_equal(s->resources.blkio_weight, 300);
    assert_int_equal(s->resources.n_devices, 2);
    assert_int_equal(s->resources.devices[0].type, 'a');
    assert_int_equal(s->resources.devices[1].minor, 3);
    assert_int_equal(s->n_devices, 1);
    assert_int_equal(s->devices[0].mode, 0666);
    assert_string_equal(s->masked_paths[0], "/proc/kcore");
    assert_string_equal(s->readonly_paths[0], "/proc/sys");
    assert_int_equal(s->n_sysctl, 1);
    assert_string_equal(s->sysctl[0].value, "1");
    assert_string_equal(s->rootfs_propagation, "rprivate");
    spec_free(s);
}

static void expect_error(const char *json, const char *needle)
{
    spec *s = NULL;
    rns_error e = {0};
    assert_true(spec_parse(json, "/b", &s, &e) < 0);
    assert_null(s);
    if (!strstr(e.msg, needle))
        fail_msg("error '%s' does not mention '%s'", e.msg, needle);
}

static void test_errors(void **state)
{
    expect_error("{", "config.json");
    expect_error("{\"root\":{\"path\":\"/r\"}}", "process is missing");
    expect_error("{\"process\":{\"args\":[]},\"root\":{\"path\":\"/r\"}}", "process.args");
    expect_error("{\"process\":{\"args\":[\"x\"]}}", "root.path");
    expect_error("{\"process\":{\"args\":[\"x\"],\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}},"
                 "\"root\":{\"path\":\"/r\"}}",
                 "CAP_NOPE");
    expect_error("{\"process\":{\"args\":[\"x\"],\"rlimits\":[{\"type\":\"RLIMIT_X\"}]},\"root\":{\"path\":\"/r\"}}",
                 "RLIMIT_X");
    expect_error("{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"/r\"},\"mounts\":[{\"destination\":\"rel\"}]}",
                 "absolute");
    expect_error("{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"/r\"},\"linux\":{\"namespaces\":"
                 "[{\"type\":\"time\"}]}}",
                 "namespace type time");
}

static void test_defaults(void **state)
{
    spec *s = NULL;
    rns_error e = {0};
    assert_int_equal(spec_parse("{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"/abs\"}}", "/b", &s, &e), 0);
    assert_string_equal(s->cwd, "/");
    assert_non_null(s->env);
    assert_null(s->env[0]);
    assert_string_equal(s->root_path, "/abs");
    assert_false(s->has_oom_score_adj);
    assert_false(s->resources.has_mem_limit);
    spec_free(s);
}

static void test_names(void **state)
{
    assert_int_equal(spec_cap_from_name("CAP_SYS_ADMIN"), 21);
    assert_int_equal(spec_cap_from_name("net_raw"), 13);
    assert_int_equal(spec_cap_from_name("CAP_BOGUS"), -1);
    assert_int_equal(spec_ns_from_name("uts"), CLONE_NEWUTS);
    assert_int_equal(spec_ns_from_name("bogus"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
