/* ABI pins: the offset of every field of every public struct as ABI 1.0
 * defined it, and where 1.0 ends. A later minor may append (the 1.0 end then
 * stays where it is); moving anything is a major change. LP64 only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pouch/engine.h>
#include <pouch/frontend.h>
#include <pouch/hook.h>
#include <pouch/host.h>
#include <pouch/log.h>
#include <pouch/monitor.h>
#include <pouch/network.h>
#include <pouch/plugin.h>
#include <pouch/runtime.h>
#include <pouch/volume.h>

#define PIN(T, m, off) assert_int_equal(offsetof(T, m), off)
/* End of the 1.0 part of T: the end of its last 1.0 member. */
/* End of the part of T that minor 1 added (the same check). */
#define END_1_1(T, last, end) END_1_0(T, last, end)
#define END_1_0(T, last, end)                                                                                          \
    do {                                                                                                               \
        assert_int_equal(offsetof(T, last) + sizeof(((T *)0)->last), end);                                             \
        assert_true(sizeof(T) >= (end));                                                                               \
    } while (0)

static void descriptor(void **state)
{
    PIN(pouch_plugin_descriptor, size, 0);
    PIN(pouch_plugin_descriptor, abi_major, 4);
    PIN(pouch_plugin_descriptor, abi_minor, 6);
    PIN(pouch_plugin_descriptor, name, 8);
    PIN(pouch_plugin_descriptor, version, 16);
    PIN(pouch_plugin_descriptor, license, 24);
    PIN(pouch_plugin_descriptor, summary, 32);
    PIN(pouch_plugin_descriptor, kind, 40);
    PIN(pouch_plugin_descriptor, flags, 44);
    PIN(pouch_plugin_descriptor, init, 48);
    PIN(pouch_plugin_descriptor, fini, 56);
    PIN(pouch_plugin_descriptor, ops, 64);
    END_1_0(pouch_plugin_descriptor, ops, 72);
}

static void event(void **state)
{
    PIN(pouch_event, size, 0);
    PIN(pouch_event, reserved, 4);
    PIN(pouch_event, type, 8);
    PIN(pouch_event, action, 16);
    PIN(pouch_event, actor_id, 24);
    PIN(pouch_event, attributes, 32);
    PIN(pouch_event, scope, 40);
    PIN(pouch_event, time_nano, 48);
    END_1_0(pouch_event, time_nano, 56);
}

static void host(void **state)
{
    PIN(pouch_host, size, 0);
    PIN(pouch_host, abi_major, 4);
    PIN(pouch_host, abi_minor, 6);
    PIN(pouch_host, ctx, 8);
    PIN(pouch_host, plugin_name, 16);
    PIN(pouch_host, log, 24);
    PIN(pouch_host, error, 32);
    PIN(pouch_host, last_error, 40);
    PIN(pouch_host, config, 48);
    PIN(pouch_host, state_dir, 56);
    PIN(pouch_host, run_dir, 64);
    PIN(pouch_host, event_publish, 72);
    PIN(pouch_host, event_subscribe, 80);
    PIN(pouch_host, event_unsubscribe, 88);
    PIN(pouch_host, metric_set, 96);
    PIN(pouch_host, metric_add, 104);
    PIN(pouch_host, free, 112);
    PIN(pouch_host, engine, 120);
    PIN(pouch_host, container_exited, 128);
    END_1_0(pouch_host, container_exited, 136);
}

static void engine(void **state)
{
    PIN(pouch_engine_api, size, 0);
    PIN(pouch_engine_api, reserved, 4);
    PIN(pouch_engine_api, version, 8);
    PIN(pouch_engine_api, info, 16);
    PIN(pouch_engine_api, daemon_config, 24);
    PIN(pouch_engine_api, image_load, 32);
    PIN(pouch_engine_api, image_save, 40);
    PIN(pouch_engine_api, image_import, 48);
    PIN(pouch_engine_api, image_list, 56);
    PIN(pouch_engine_api, image_inspect, 64);
    PIN(pouch_engine_api, image_history, 72);
    PIN(pouch_engine_api, image_tag, 80);
    PIN(pouch_engine_api, image_remove, 88);
    PIN(pouch_engine_api, image_prune, 96);
    PIN(pouch_engine_api, disk_usage, 104);
    PIN(pouch_engine_api, container_create, 112);
    PIN(pouch_engine_api, container_start, 120);
    PIN(pouch_engine_api, container_stop, 128);
    PIN(pouch_engine_api, container_kill, 136);
    PIN(pouch_engine_api, container_restart, 144);
    PIN(pouch_engine_api, container_wait, 152);
    PIN(pouch_engine_api, container_remove, 160);
    PIN(pouch_engine_api, container_rename, 168);
    PIN(pouch_engine_api, container_prune, 176);
    PIN(pouch_engine_api, container_list, 184);
    PIN(pouch_engine_api, container_inspect, 192);
    PIN(pouch_engine_api, container_logs, 200);
    PIN(pouch_engine_api, container_attach, 208);
    PIN(pouch_engine_api, container_resize, 216);
    END_1_0(pouch_engine_api, container_resize, 224);
    PIN(pouch_engine_api, container_pause, 224);
    PIN(pouch_engine_api, container_unpause, 232);
    PIN(pouch_engine_api, container_update, 240);
    PIN(pouch_engine_api, container_stats, 248);
    PIN(pouch_engine_api, container_top, 256);
    PIN(pouch_engine_api, container_changes, 264);
    PIN(pouch_engine_api, container_export, 272);
    PIN(pouch_engine_api, container_path_stat, 280);
    PIN(pouch_engine_api, container_archive_get, 288);
    PIN(pouch_engine_api, container_archive_put, 296);
    PIN(pouch_engine_api, container_commit, 304);
    PIN(pouch_engine_api, exec_create, 312);
    PIN(pouch_engine_api, exec_prepare, 320);
    PIN(pouch_engine_api, exec_start, 328);
    PIN(pouch_engine_api, exec_inspect, 336);
    PIN(pouch_engine_api, exec_resize, 344);
    END_1_1(pouch_engine_api, exec_resize, 352);
}

static void ops_tables(void **state)
{
    PIN(pouch_frontend_ops, size, 0);
    PIN(pouch_frontend_ops, reserved, 4);
    PIN(pouch_frontend_ops, start, 8);
    PIN(pouch_frontend_ops, stop, 16);
    PIN(pouch_monitor_ops, size, 0);
    PIN(pouch_monitor_ops, reserved, 4);
    PIN(pouch_monitor_ops, on_event, 8);
    END_1_0(pouch_frontend_ops, stop, 24);
    END_1_0(pouch_monitor_ops, on_event, 16);
    PIN(pouch_runtime_ops, create, 8);
    PIN(pouch_runtime_ops, start, 16);
    PIN(pouch_runtime_ops, kill, 24);
    PIN(pouch_runtime_ops, destroy, 32);
    PIN(pouch_runtime_ops, state, 40);
    PIN(pouch_runtime_ops, attach_path, 48);
    PIN(pouch_runtime_ops, resize, 56);
    PIN(pouch_runtime_ops, list, 64);
    PIN(pouch_runtime_ops, free, 72);
    END_1_0(pouch_runtime_ops, free, 80);
    PIN(pouch_runtime_ops, pause, 80);
    PIN(pouch_runtime_ops, resume, 88);
    PIN(pouch_runtime_ops, exec_create, 96);
    PIN(pouch_runtime_ops, exec_start, 104);
    PIN(pouch_runtime_ops, exec_state, 112);
    PIN(pouch_runtime_ops, exec_resize, 120);
    PIN(pouch_runtime_ops, update, 128);
    PIN(pouch_runtime_ops, stats, 136);
    PIN(pouch_runtime_ops, pids, 144);
    END_1_1(pouch_runtime_ops, pids, 152);
    END_1_0(pouch_network_ops, reserved, 8);
    END_1_0(pouch_volume_ops, reserved, 8);
    PIN(pouch_log_ops, writer_open, 8);
    PIN(pouch_log_ops, writer_write, 16);
    PIN(pouch_log_ops, writer_close, 24);
    PIN(pouch_log_ops, read, 32);
    END_1_0(pouch_log_ops, read, 40);
    END_1_0(pouch_hook_ops, reserved, 8);
}

static void constants(void **state)
{
    assert_int_equal(POUCH_ABI_MAJOR, 1);
    assert_true(POUCH_ABI_MINOR >= 0);
    assert_int_equal(POUCH_KIND_RUNTIME, 1);
    assert_int_equal(POUCH_KIND_NETWORK, 2);
    assert_int_equal(POUCH_KIND_VOLUME, 3);
    assert_int_equal(POUCH_KIND_LOG, 4);
    assert_int_equal(POUCH_KIND_HOOK, 5);
    assert_int_equal(POUCH_KIND_MONITOR, 6);
    assert_int_equal(POUCH_KIND_FRONTEND, 7);
    assert_int_equal(POUCH_LOG_ERROR, 3);
    assert_int_equal(POUCH_LOG_WARN, 4);
    assert_int_equal(POUCH_LOG_INFO, 6);
    assert_int_equal(POUCH_LOG_DEBUG, 7);
    assert_int_equal(POUCH_LOG_STDOUT, 1);
    assert_int_equal(POUCH_LOG_STDERR, 2);
}

int main(void)
{
    if (sizeof(void *) != 8) {
        print_message("SKIP: the pins are for LP64 targets\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(descriptor), cmocka_unit_test(event),      cmocka_unit_test(host),
        cmocka_unit_test(engine),     cmocka_unit_test(ops_tables), cmocka_unit_test(constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
