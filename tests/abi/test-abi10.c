/* A plugin built against the frozen ABI 1.0 headers loads, starts and gets
 * events in this pouchd, whatever minor the core has grown to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "daemon.h"
#include "error.h"
#include "log.h"

static void abi10_plugin_loads_and_runs(void **state)
{
    char tmpl[] = "/tmp/pouch-test-abi10-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char data[256], run[256];
    snprintf(data, sizeof(data), "%s/data", tmpl);
    snprintf(run, sizeof(run), "%s/run", tmpl);
    json_t *flags = json_pack("{s:s, s:s, s:[s]}", "data-root", data, "exec-root", run, "plugins", "abi10-monitor");

    struct daemon d = {.lock_fd = -1, .data_fd = -1};
    pthread_mutex_init(&d.cfg_lock, NULL);
    assert_int_equal(config_build(NULL, flags, &d.cfg), 0);
    assert_int_equal(event_bus_new(&d.bus), 0);
    assert_int_equal(metrics_new(&d.metrics), 0);

    json_t *path = json_pack("[s]", ABI10_DIR);
    struct plugin_set found = {0};
    assert_int_equal(loader_scan(path, &found), 0);
    assert_int_equal(loader_choose(&found, d.cfg.plugins, &d.plugins), 0);
    plugin_set_done(&found, true);
    assert_int_equal(d.plugins.n, 1);
    assert_int_equal(d.plugins.v[0]->desc.abi_minor, 0);
    assert_int_equal(plugin_prepare(&d, d.plugins.v[0]), 0);
    assert_int_equal(plugins_start(&d), 0);

    pouch_event ping = {.size = sizeof(ping), .type = "abi-test", .action = "ping", .actor_id = "t"};
    assert_int_equal(event_bus_publish(d.bus, &ping), 0);
    assert_int_equal(event_bus_publish(d.bus, &ping), 0);
    int64_t n = 0;
    assert_int_equal(metrics_get(d.metrics, "abi10_pings_total", NULL, &n), 0);
    assert_int_equal(n, 2);

    plugins_stop_frontends(&d);
    plugins_fini(&d);
    plugin_set_done(&d.plugins, true);
    event_bus_free(d.bus);
    metrics_free(d.metrics);
    config_done(&d.cfg);
    json_decref(flags);
    json_decref(path);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    log_set_level(POUCH_LOG_ERROR);
    const struct CMUnitTest tests[] = {cmocka_unit_test(abi10_plugin_loads_and_runs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
