/* Config parsing: defaults, a good file, syntax errors with their position,
 * unknown keys and wrong types refused, flags overriding the file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "log.h"

static char path[64];

static const char *write_file(const char *text)
{
    if (path[0])
        unlink(path);
    snprintf(path, sizeof(path), "/tmp/pouch-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int teardown(void **state)
{
    if (path[0])
        unlink(path);
    path[0] = '\0';
    return 0;
}

static void defaults_are_dockerd_like(void **state)
{
    struct config c = {0};
    assert_int_equal(config_build(NULL, NULL, &c), 0);
    assert_string_equal(c.data_root, "/var/lib/pouch");
    assert_string_equal(c.exec_root, "/run/pouch");
    assert_string_equal(json_string_value(json_array_get(c.hosts, 0)), "unix:///run/pouchd.sock");
    assert_false(c.debug);
    assert_int_equal(c.log_level, POUCH_LOG_INFO);
    assert_true(json_array_size(c.plugins) >= 1);
    assert_string_equal(c.config_file, CONFIG_DEFAULT_FILE);
    config_done(&c);
}

static void good_file_is_applied(void **state)
{
    const char *f = write_file("{\"debug\": true, \"hosts\": [\"unix:///tmp/a.sock\", \"tcp://127.0.0.1:2375\"],\n"
                               " \"plugins\": [\"moby-api\"], \"plugin-config\": {\"moby-api\": {\"x\": 1}}}");
    json_t *file = NULL;
    assert_int_equal(config_load_file(f, true, &file), 0);
    struct config c = {0};
    assert_int_equal(config_build(file, NULL, &c), 0);
    assert_true(c.debug);
    assert_int_equal(c.log_level, POUCH_LOG_DEBUG);
    assert_int_equal(json_array_size(c.hosts), 2);
    char *section = config_plugin_section(&c, "moby-api");
    assert_string_equal(section, "{\"x\":1}");
    free(section);
    section = config_plugin_section(&c, "other");
    assert_string_equal(section, "{}");
    free(section);
    config_done(&c);
    json_decref(file);
}

static void syntax_error_names_position(void **state)
{
    const char *f = write_file("{\n  \"debug\": true,\n  \"hosts\": [\"unix:///x\",]\n}\n");
    json_t *file = NULL;
    assert_int_equal(config_load_file(f, true, &file), -EINVAL);
    char want[128];
    snprintf(want, sizeof(want), "%s:3:", f);
    assert_non_null(strstr(err_get(), want));
    assert_null(file);
}

static void unknown_key_is_refused(void **state)
{
    const char *f = write_file("{\"debugg\": true}");
    json_t *file = NULL;
    assert_int_equal(config_load_file(f, true, &file), -EINVAL);
    assert_non_null(strstr(err_get(), "unknown option \"debugg\""));
    assert_non_null(strstr(err_get(), "data-root"));
}

static void wrong_type_is_refused(void **state)
{
    const char *f = write_file("{\"debug\": \"yes\"}");
    json_t *file = NULL;
    assert_int_equal(config_load_file(f, true, &file), -EINVAL);
    assert_non_null(strstr(err_get(), "\"debug\" must be true or false"));

    f = write_file("{\"hosts\": [1]}");
    assert_int_equal(config_load_file(f, true, &file), -EINVAL);
    assert_non_null(strstr(err_get(), "\"hosts\" must be a list of strings"));

    f = write_file("{\"log-level\": \"loud\"}");
    assert_int_equal(config_load_file(f, true, &file), -EINVAL);
    assert_non_null(strstr(err_get(), "loud"));
}

static void missing_file_only_fails_when_explicit(void **state)
{
    json_t *file = NULL;
    assert_int_equal(config_load_file("/nonexistent/pouchd.json", false, &file), 0);
    assert_int_equal(json_object_size(file), 0);
    json_decref(file);
    file = NULL;
    assert_int_equal(config_load_file("/nonexistent/pouchd.json", true, &file), -ENOENT);
    assert_non_null(strstr(err_get(), "/nonexistent/pouchd.json"));
}

static void flags_override_file(void **state)
{
    const char *f = write_file("{\"log-level\": \"warn\", \"data-root\": \"/from/file\", \"exec-root\": \"/x\"}");
    char cfarg[96];
    snprintf(cfarg, sizeof(cfarg), "--config-file=%s", f);
    char *argv[] = {"pouchd", cfarg,       "--log-level",   "error", "--data-root=/from/flag", "-H", "unix:///a",
                    "-H",     "unix:///b", "--plugins=a,b", NULL};
    struct cmdline cmd = {0};
    assert_int_equal(cmdline_parse(10, argv, &cmd), 0);
    json_t *file = NULL;
    assert_int_equal(config_load_file(f, true, &file), 0);
    struct config c = {0};
    assert_int_equal(config_build(file, cmd.flags, &c), 0);
    assert_int_equal(c.log_level, POUCH_LOG_ERROR);
    assert_string_equal(c.data_root, "/from/flag");
    assert_string_equal(c.exec_root, "/x");
    assert_int_equal(json_array_size(c.hosts), 2);
    assert_string_equal(json_string_value(json_array_get(c.plugins, 1)), "b");
    assert_string_equal(c.config_file, f);
    assert_true(c.config_file_explicit);
    config_done(&c);
    json_decref(file);
    cmdline_done(&cmd);
}

static void bad_flags_are_refused(void **state)
{
    struct cmdline cmd = {0};
    char *a1[] = {"pouchd", "--no-such-flag", NULL};
    assert_int_equal(cmdline_parse(2, a1, &cmd), -EINVAL);
    assert_non_null(strstr(err_get(), "--no-such-flag"));
    char *a2[] = {"pouchd", "--log-level", "loud", NULL};
    assert_int_equal(cmdline_parse(3, a2, &cmd), -EINVAL);
    char *a3[] = {"pouchd", "--tlsverify=maybe", NULL};
    assert_int_equal(cmdline_parse(2, a3, &cmd), -EINVAL);
    char *a4[] = {"pouchd", "frobnicate", NULL};
    assert_int_equal(cmdline_parse(2, a4, &cmd), -EINVAL);
    char *a5[] = {"pouchd", "--data-root", NULL};
    assert_int_equal(cmdline_parse(2, a5, &cmd), -EINVAL);
    assert_non_null(strstr(err_get(), "needs a value"));
}

static void plugins_command_is_recognised(void **state)
{
    struct cmdline cmd = {0};
    char *argv[] = {"pouchd", "plugins", "--plugin-dir", "/d", NULL};
    assert_int_equal(cmdline_parse(4, argv, &cmd), 0);
    assert_string_equal(cmd.command, "plugins");
    assert_string_equal(json_string_value(json_array_get(json_object_get(cmd.flags, "plugin-dir"), 0)), "/d");
    cmdline_done(&cmd);
}

static void reload_applies_live_options_only(void **state)
{
    const char *f = write_file("{\"debug\": false, \"data-root\": \"/a\"}");
    char cfarg[96];
    snprintf(cfarg, sizeof(cfarg), "--config-file=%s", f);
    char *argv[] = {"pouchd", cfarg, NULL};
    struct cmdline cmd = {0};
    assert_int_equal(cmdline_parse(2, argv, &cmd), 0);
    json_t *file = NULL;
    assert_int_equal(config_load_file(f, true, &file), 0);
    struct config c = {0};
    assert_int_equal(config_build(file, cmd.flags, &c), 0);
    json_decref(file);
    assert_false(c.debug);

    FILE *out = fopen(f, "w");
    fputs("{\"debug\": true, \"data-root\": \"/b\"}", out);
    fclose(out);
    log_set_level(POUCH_LOG_ERROR); /* the expected warning is noise here */
    assert_int_equal(config_reload(&c, cmd.flags), 0);
    assert_true(c.debug);
    assert_string_equal(c.data_root, "/a");

    out = fopen(f, "w");
    fputs("{\"debug\": ", out);
    fclose(out);
    assert_int_equal(config_reload(&c, cmd.flags), -EINVAL);
    assert_true(c.debug); /* a broken file keeps the running config */
    config_done(&c);
    cmdline_done(&cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(defaults_are_dockerd_like, teardown),
        cmocka_unit_test_teardown(good_file_is_applied, teardown),
        cmocka_unit_test_teardown(syntax_error_names_position, teardown),
        cmocka_unit_test_teardown(unknown_key_is_refused, teardown),
        cmocka_unit_test_teardown(wrong_type_is_refused, teardown),
        cmocka_unit_test_teardown(missing_file_only_fails_when_explicit, teardown),
        cmocka_unit_test_teardown(flags_override_file, teardown),
        cmocka_unit_test_teardown(bad_flags_are_refused, teardown),
        cmocka_unit_test_teardown(plugins_command_is_recognised, teardown),
        cmocka_unit_test_teardown(reload_applies_live_options_only, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
