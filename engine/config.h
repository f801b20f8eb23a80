/* pouchd configuration: built-in defaults, then the JSON config file, then
 * command-line flags, each layer using dockerd's option names. Parsing never
 * exits the process; every failure comes back as -errno with a message. */
#ifndef POUCH_ENGINE_CONFIG_H
#define POUCH_ENGINE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#define CONFIG_DEFAULT_FILE "/etc/pouch/pouchd.json"

struct config {
    json_t *root; /* the effective options, owned; the fields below borrow from it */
    const char *data_root;
    const char *exec_root;
    const char *pidfile;
    const char *config_file;
    bool config_file_explicit;
    int log_level;
    bool debug;
    json_t *hosts;         /* array of strings */
    json_t *plugins;       /* array of plugin names to load */
    json_t *plugin_dirs;   /* array of directories searched first */
    json_t *plugin_config; /* object: plugin name -> its section */
};

/* What the command line asked for, before the file is read. */
struct cmdline {
    json_t *flags;       /* options given as flags, same keys as the file */
    const char *command; /* "plugins", or NULL to run the daemon */
    bool help;
    bool version;
};

int cmdline_parse(int argc, char **argv, struct cmdline *ret);
void cmdline_done(struct cmdline *c);
void cmdline_usage(FILE *out);

/* Load and check a config file. A missing file is fine (empty object) unless
 * must_exist. Syntax errors name file:line:column. */
int config_load_file(const char *path, bool must_exist, json_t **ret);
/* Check keys and value types of an options object; origin names it in errors. */
int config_validate(json_t *options, const char *origin);
/* defaults < file < flags. Takes no ownership of file or flags. */
int config_build(json_t *file, json_t *flags, struct config *ret);
/* Re-read the config file and rebuild; on failure *c is unchanged. */
int config_reload(struct config *c, json_t *flags);
void config_done(struct config *c);
/* The JSON text of plugin name's section, "{}" when absent. Caller frees. */
char *config_plugin_section(const struct config *c, const char *name);

#endif
