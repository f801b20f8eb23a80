/* Builds pouchd's effective options from defaults, /etc/pouch/pouchd.json and
 * flags. Unknown keys and wrong types are refused (as dockerd refuses them in
 * daemon.json), so a typo never silently falls back to a default. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "build-config.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"

enum opt_type { OPT_STRING, OPT_BOOL, OPT_STRV, OPT_OBJECT };

static const struct {
    const char *key;
    enum opt_type type;
} known_options[] = {
    {"data-root", OPT_STRING}, {"exec-root", OPT_STRING}, {"hosts", OPT_STRV},
    {"pidfile", OPT_STRING},   {"log-level", OPT_STRING}, {"debug", OPT_BOOL},
    {"tls", OPT_BOOL},         {"tlsverify", OPT_BOOL},   {"tlscacert", OPT_STRING},
    {"tlscert", OPT_STRING},   {"tlskey", OPT_STRING},    {"labels", OPT_STRV},
    {"plugins", OPT_STRV},     {"plugin-dir", OPT_STRV},  {"plugin-config", OPT_OBJECT},
    {"userns-remap", OPT_STRING},
};

static const char *type_name(enum opt_type t)
{
    switch (t) {
    case OPT_STRING:
        return "a string";
    case OPT_BOOL:
        return "true or false";
    case OPT_STRV:
        return "a list of strings";
    default:
        return "an object";
    }
}

static int lookup_type(const char *key, enum opt_type *ret)
{
    for (size_t i = 0; i < ARRAY_SIZE(known_options); i++)
        if (strcmp(known_options[i].key, key) == 0) {
            *ret = known_options[i].type;
            return 0;
        }
    return -ENOENT;
}

static bool type_ok(json_t *v, enum opt_type t)
{
    switch (t) {
    case OPT_STRING:
        return json_is_string(v);
    case OPT_BOOL:
        return json_is_boolean(v);
    case OPT_OBJECT:
        return json_is_object(v);
    case OPT_STRV: {
        if (!json_is_array(v))
            return false;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
        return true;
    }
    }
    return false;
}

int config_validate(json_t *options, const char *origin)
{
    if (!json_is_object(options))
        return err_set(-EINVAL, "%s: the top level must be a JSON object of options", origin);
    const char *key;
    json_t *v;
    json_object_foreach(options, key, v)
    {
        enum opt_type t;
        if (lookup_type(key, &t) < 0) {
            char known[512] = "";
            for (size_t i = 0; i < ARRAY_SIZE(known_options); i++) {
                strncat(known, i ? ", " : "", sizeof(known) - strlen(known) - 1);
                strncat(known, known_options[i].key, sizeof(known) - strlen(known) - 1);
            }
            return err_set(-EINVAL, "%s: unknown option \"%s\"; known options: %s", origin, key, known);
        }
        if (!type_ok(v, t))
            return err_set(-EINVAL, "%s: option \"%s\" must be %s", origin, key, type_name(t));
        if (strcmp(key, "log-level") == 0) {
            int level;
            if (log_level_parse(json_string_value(v), &level) < 0)
                return err_set(-EINVAL, "%s: log-level \"%s\" is not one of debug, info, warn, error, fatal", origin,
                               json_string_value(v));
        }
    }
    return 0;
}

int config_load_file(const char *path, bool must_exist, json_t **ret)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT && !must_exist) {
            *ret = json_object();
            return 0;
        }
        return err_set(-errno, "config file %s: %s", path, strerror(errno));
    }
    json_error_t jerr;
    json_auto_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return err_set(-EINVAL, "config file %s:%d:%d: %s; fix the JSON or point --config-file elsewhere", path,
                       jerr.line, jerr.column, jerr.text);
    char origin[4096];
    snprintf(origin, sizeof(origin), "config file %s", path);
    int r = config_validate(root, origin);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(root);
    return 0;
}

static json_t *defaults(void)
{
    return json_pack("{s:s, s:s, s:[s], s:s, s:s, s:b, s:b, s:b, s:[], s:[], s:{}}", "data-root", "/var/lib/pouch",
                     "exec-root", "/run/pouch", "hosts", "unix:///run/pouchd.sock", "pidfile", "/run/pouchd.pid",
                     "log-level", "info", "debug", 0, "tls", 0, "tlsverify", 0, "labels", "plugin-dir",
                     "plugin-config");
}

static json_t *default_plugins(void)
{
    json_t *list = json_array();
    _cleanup_free_ char *names = strdup(POUCH_DEFAULT_PLUGINS);
    char *save = NULL;
    for (char *n = strtok_r(names, ",; ", &save); n; n = strtok_r(NULL, ",; ", &save))
        json_array_append_new(list, json_string(n));
    return list;
}

static void fill_views(struct config *c)
{
    json_t *r = c->root;
    c->data_root = json_string_value(json_object_get(r, "data-root"));
    c->exec_root = json_string_value(json_object_get(r, "exec-root"));
    c->pidfile = json_string_value(json_object_get(r, "pidfile"));
    c->config_file = json_string_value(json_object_get(r, "config-file"));
    c->debug = json_is_true(json_object_get(r, "debug"));
    c->hosts = json_object_get(r, "hosts");
    c->plugins = json_object_get(r, "plugins");
    c->plugin_dirs = json_object_get(r, "plugin-dir");
    c->plugin_config = json_object_get(r, "plugin-config");
    if (log_level_parse(json_string_value(json_object_get(r, "log-level")), &c->log_level) < 0)
        c->log_level = POUCH_LOG_INFO;
    if (c->debug)
        c->log_level = POUCH_LOG_DEBUG;
}

int config_build(json_t *file, json_t *flags, struct config *ret)
{
    json_auto_t *root = defaults();
    if (!root)
        return err_set(-ENOMEM, "building the default configuration: out of memory");
    if (file && json_object_update(root, file) < 0)
        return err_set(-ENOMEM, "merging the config file: out of memory");
    if (flags && json_object_update(root, flags) < 0)
        return err_set(-ENOMEM, "merging the flags: out of memory");
    if (!json_object_get(root, "plugins"))
        json_object_set_new(root, "plugins", default_plugins());
    if (json_array_size(json_object_get(root, "hosts")) == 0)
        return err_set(-EINVAL, "no listen address: give at least one -H/--host or \"hosts\" entry");

    const char *cf = json_string_value(json_object_get(flags, "config-file"));
    ret->config_file_explicit = cf != NULL;
    json_object_set_new(root, "config-file", json_string(cf ? cf : CONFIG_DEFAULT_FILE));
    ret->root = TAKE_PTR(root);
    fill_views(ret);
    return 0;
}

/* Options a running daemon cannot change: they name where its state,
 * sockets and code live. A reload keeps the running values (as dockerd does). */
static const char *const restart_only[] = {"data-root",  "exec-root",   "pidfile",      "hosts",     "plugins",
                                           "plugin-dir", "tls",         "tlsverify",    "tlscacert", "tlscert",
                                           "tlskey",     "config-file", "plugin-config", "userns-remap"};

int config_reload(struct config *c, json_t *flags)
{
    json_auto_t *file = NULL;
    int r = config_load_file(c->config_file, c->config_file_explicit, &file);
    if (r < 0)
        return r;
    struct config fresh = {0};
    r = config_build(file, flags, &fresh);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ARRAY_SIZE(restart_only); i++) {
        json_t *old = json_object_get(c->root, restart_only[i]);
        json_t *now = json_object_get(fresh.root, restart_only[i]);
        if ((old || now) && !json_equal(old, now))
            log_warn("reload: option \"%s\" changed in %s but only takes effect when pouchd restarts", restart_only[i],
                     c->config_file);
        if (old)
            json_object_set(fresh.root, restart_only[i], old);
    }
    fresh.config_file_explicit = c->config_file_explicit;
    fill_views(&fresh);
    config_done(c);
    *c = fresh;
    return 0;
}

void config_done(struct config *c)
{
    json_decref(c->root);
    *c = (struct config){0};
}

char *config_plugin_section(const struct config *c, const char *name)
{
    json_t *section = json_object_get(c->plugin_config, name);
    if (!section)
        return strdup("{}");
    return json_dumps(section, JSON_COMPACT | JSON_ENCODE_ANY);
}
