/* Loader against fixture plugins: a good one, a wrong ABI major, a newer
 * minor, a file without the entry symbol, a failing init and two plugins
 * sharing a name. Each failure must name the plugin and its file. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "error.h"
#include "log.h"

static json_t *search_path(void)
{
    json_t *path = json_pack("[s]", FIXTURE_DIR);
    return path;
}

static struct plugin *find(struct plugin_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] && strcmp(s->v[i]->name, name) == 0)
            return s->v[i];
    return NULL;
}

static struct plugin *find_file(struct plugin_set *s, const char *base)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] && strstr(s->v[i]->file, base))
            return s->v[i];
    return NULL;
}

static void scan_reports_each_fixture(void **state)
{
    json_t *path = search_path();
    struct plugin_set found = {0};
    assert_int_equal(loader_scan(path, &found), 0);

    struct plugin *good = find(&found, "fx-good");
    assert_non_null(good);
    assert_null(good->error);
    assert_string_equal(good->desc.version, "1.2.3");
    assert_int_equal(good->desc.kind, POUCH_KIND_MONITOR);

    struct plugin *major = find_file(&found, "fx-wrong-major.so");
    assert_non_null(major);
    assert_non_null(major->error);
    assert_non_null(strstr(major->error, "fx-wrong-major"));
    assert_non_null(strstr(major->error, "fx-wrong-major.so"));
    assert_non_null(strstr(major->error, "ABI 2.0"));
    char core_abi[32];
    snprintf(core_abi, sizeof(core_abi), "ABI %d.%d", POUCH_ABI_MAJOR, POUCH_ABI_MINOR);
    assert_non_null(strstr(major->error, core_abi));

    struct plugin *minor = find(&found, "fx-newer-minor");
    assert_non_null(minor);
    assert_null(minor->error);
    assert_int_equal(minor->desc.abi_minor, POUCH_ABI_MINOR + 1);
    /* the copy never holds more than this core knows */
    assert_int_equal(minor->desc.size, sizeof(pouch_plugin_descriptor));

    struct plugin *nosym = find_file(&found, "fx-missing-symbol.so");
    assert_non_null(nosym);
    assert_non_null(nosym->error);
    assert_non_null(strstr(nosym->error, "fx-missing-symbol.so"));
    assert_non_null(strstr(nosym->error, POUCH_PLUGIN_QUERY_SYMBOL));

    plugin_set_done(&found, true);
    json_decref(path);
}

/* Choose names from a fresh scan; returns the loader's result. */
static int choose(const char *names_json, struct plugin_set *ret_chosen)
{
    json_t *path = search_path();
    struct plugin_set found = {0};
    assert_int_equal(loader_scan(path, &found), 0);
    json_t *names = json_loads(names_json, 0, NULL);
    err_clear();
    int r = loader_choose(&found, names, ret_chosen);
    plugin_set_done(&found, true);
    json_decref(names);
    json_decref(path);
    return r;
}

static void choose_good_and_newer_minor(void **state)
{
    struct plugin_set chosen = {0};
    assert_int_equal(choose("[\"fx-newer-minor\", \"fx-good\"]", &chosen), 0);
    assert_int_equal(chosen.n, 2);
    assert_string_equal(chosen.v[0]->name, "fx-newer-minor");
    assert_string_equal(chosen.v[1]->name, "fx-good");
    plugin_set_done(&chosen, true);
}

static void choose_unknown_lists_known(void **state)
{
    struct plugin_set chosen = {0};
    assert_int_equal(choose("[\"fx-good\", \"nosuch\"]", &chosen), -ENOENT);
    assert_non_null(strstr(err_get(), "unknown plugin \"nosuch\""));
    assert_non_null(strstr(err_get(), "fx-good"));
    assert_non_null(strstr(err_get(), "fx-newer-minor"));
    assert_int_equal(chosen.n, 0);
}

static void choose_wrong_major_fails(void **state)
{
    struct plugin_set chosen = {0};
    assert_int_equal(choose("[\"fx-wrong-major\"]", &chosen), -EINVAL);
    assert_non_null(strstr(err_get(), "fx-wrong-major.so"));
    assert_non_null(strstr(err_get(), "ABI 2.0"));
}

static void choose_missing_symbol_fails(void **state)
{
    struct plugin_set chosen = {0};
    assert_int_equal(choose("[\"fx-missing-symbol\"]", &chosen), -EINVAL);
    assert_non_null(strstr(err_get(), "not a pouch plugin"));
}

static void choose_duplicate_name_fails(void **state)
{
    struct plugin_set chosen = {0};
    assert_int_equal(choose("[\"fx-dup\"]", &chosen), -EEXIST);
    assert_non_null(strstr(err_get(), "fx-dup-a.so"));
    assert_non_null(strstr(err_get(), "fx-dup-b.so"));
}

/* The same plugin in two search directories (a build tree's --plugin-dir
 * over the installed plugins): the earlier directory wins, no error. */
static void earlier_directory_shadows_later(void **state)
{
    char dir[] = "/tmp/pouch-loader-XXXXXX", copy[PATH_MAX], cmd[PATH_MAX * 2 + 16];
    assert_non_null(mkdtemp(dir));
    snprintf(copy, sizeof(copy), "%s/fx-good.so", dir);
    snprintf(cmd, sizeof(cmd), "cp %s/fx-good.so %s", FIXTURE_DIR, copy);
    assert_int_equal(system(cmd), 0);
    for (int order = 0; order < 2; order++) {
        json_t *path = order ? json_pack("[s, s]", FIXTURE_DIR, dir) : json_pack("[s, s]", dir, FIXTURE_DIR);
        struct plugin_set found = {0}, chosen = {0};
        assert_int_equal(loader_scan(path, &found), 0);
        json_t *names = json_pack("[s]", "fx-good");
        err_clear();
        assert_int_equal(loader_choose(&found, names, &chosen), 0);
        assert_int_equal(chosen.n, 1);
        assert_string_equal(chosen.v[0]->file, order ? FIXTURE_DIR "/fx-good.so" : copy);
        plugin_set_done(&chosen, true);
        plugin_set_done(&found, true);
        json_decref(names);
        json_decref(path);
    }
    unlink(copy);
    rmdir(dir);
}

static void choose_listed_twice_fails(void **state)
{
    struct plugin_set chosen = {0};
    assert_int_equal(choose("[\"fx-good\", \"fx-good\"]", &chosen), -EINVAL);
    assert_non_null(strstr(err_get(), "listed twice"));
}

static int seen_init, seen_fini;
static void count_fixture_events(void *user, const pouch_event *ev)
{
    if (strcmp(ev->type, "fixture") != 0)
        return;
    if (strcmp(ev->action, "init") == 0)
        seen_init++;
    if (strcmp(ev->action, "fini") == 0)
        seen_fini++;
}

static void failing_init_unwinds(void **state)
{
    char tmpl[] = "/tmp/pouch-test-loader-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char data[256], run[256];
    snprintf(data, sizeof(data), "%s/data", tmpl);
    snprintf(run, sizeof(run), "%s/run", tmpl);

    struct daemon d = {.lock_fd = -1, .data_fd = -1};
    pthread_mutex_init(&d.cfg_lock, NULL);
    json_t *flags = json_pack("{s:s, s:s}", "data-root", data, "exec-root", run);
    assert_int_equal(config_build(NULL, flags, &d.cfg), 0);
    assert_int_equal(event_bus_new(&d.bus), 0);
    assert_int_equal(metrics_new(&d.metrics), 0);
    uint64_t sub;
    assert_int_equal(event_bus_subscribe(d.bus, -1, count_fixture_events, NULL, true, &sub), 0);

    assert_int_equal(choose("[\"fx-good\", \"fx-failing-init\"]", &d.plugins), 0);
    for (size_t i = 0; i < d.plugins.n; i++)
        assert_int_equal(plugin_prepare(&d, d.plugins.v[i]), 0);
    err_clear();
    assert_int_equal(plugins_start(&d), -EIO);
    assert_non_null(strstr(err_get(), "fx-failing-init"));
    assert_non_null(strstr(err_get(), "fx-failing-init.so"));
    assert_non_null(strstr(err_get(), "fixture cannot reach its backend at /nonexistent/socket"));
    assert_int_equal(seen_init, 1);

    plugins_stop_frontends(&d);
    plugins_fini(&d);
    assert_int_equal(seen_fini, 1); /* the good one was unwound */

    plugin_set_done(&d.plugins, true);
    event_bus_free(d.bus);
    metrics_free(d.metrics);
    config_done(&d.cfg);
    json_decref(flags);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
}

const pouch_plugin_descriptor *pouch_builtin_fx_good_query(void);

static void builtin_is_found_first(void **state)
{
    static const struct builtin_plugin table[] = {{"fx-good", pouch_builtin_fx_good_query}, {NULL, NULL}};
    loader_set_builtins(table);
    json_t *path = search_path();
    struct plugin_set found = {0};
    assert_int_equal(loader_scan(path, &found), 0);
    assert_string_equal(found.v[0]->file, "built-in:fx-good");
    assert_null(found.v[0]->error);
    assert_string_equal(found.v[0]->name, "fx-good");
    plugin_set_done(&found, true);

    /* the same name as a built-in and as a file is the duplicate case */
    struct plugin_set chosen = {0};
    assert_int_equal(choose("[\"fx-good\"]", &chosen), -EEXIST);
    assert_non_null(strstr(err_get(), "built-in:fx-good"));
    assert_non_null(strstr(err_get(), "fx-good.so"));
    loader_set_builtins(NULL);
    json_decref(path);
}

int main(void)
{
    log_set_level(POUCH_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scan_reports_each_fixture),   cmocka_unit_test(choose_good_and_newer_minor),
        cmocka_unit_test(choose_unknown_lists_known),  cmocka_unit_test(choose_wrong_major_fails),
        cmocka_unit_test(choose_missing_symbol_fails), cmocka_unit_test(choose_duplicate_name_fails),
        cmocka_unit_test(choose_listed_twice_fails),   cmocka_unit_test(failing_init_unwinds),
        cmocka_unit_test(builtin_is_found_first),      cmocka_unit_test(earlier_directory_shadows_later),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
