/* Finds plugin files, checks their descriptors against this core's ABI and
 * resolves the requested names. Loading never calls a plugin's init: the
 * daemon does that only once every requested plugin has been found valid. */
#ifndef POUCH_ENGINE_LOADER_H
#define POUCH_ENGINE_LOADER_H

#include <jansson.h>
#include <ltdl.h>
#include <stdbool.h>
#include <stddef.h>

#include <pouch/host.h>
#include <pouch/plugin.h>

struct daemon;

/* One plugin file found on the search path. */
struct plugin {
    char *file;  /* absolute path */
    char *error; /* why it cannot load, or NULL when the descriptor is valid */
    lt_dlhandle handle;
    pouch_plugin_descriptor desc; /* copy, zero-filled past what the plugin has */
    const char *name;             /* desc.name, or the file's base name when invalid */
    unsigned rank;                /* 0: built in; N: found in the Nth search directory */

    /* Set once the plugin is chosen to run. */
    struct daemon *daemon;
    pouch_host host;
    char *config_json;
    char *state_dir;
    char *run_dir;
    void *state;
    bool initialized;
    bool started;
    uint64_t monitor_subscription;
};

struct plugin_set {
    struct plugin **v;
    size_t n;
};

/* A plugin compiled into pouchd (cmake -DPOUCH_BUILTIN_PLUGINS=...): the same
 * descriptor a loadable build exports, reached through a static table. */
struct builtin_plugin {
    const char *name;
    pouch_plugin_query_fn query;
};

/* Register the built-in table (terminated by a NULL name) before scanning;
 * built-ins are found first, as if in a directory ahead of every other. */
void loader_set_builtins(const struct builtin_plugin *table);

/* The directories searched, in order: dirs (from --plugin-dir), then each
 * entry of $POUCH_PLUGIN_PATH, then the install directory. */
int loader_search_path(json_t *dirs, json_t **ret_path);
/* Open every *.so file on the path (duplicates by realpath skipped) and check
 * its descriptor; invalid files are kept with their error. */
int loader_scan(json_t *path, struct plugin_set *ret_found);
/* Move the plugins named in names (in that order) from found into ret_chosen,
 * failing with one message on an unknown, duplicate or invalid name. */
int loader_choose(struct plugin_set *found, json_t *names, struct plugin_set *ret_chosen);
/* Close and free every plugin of set that never started (the chosen ones stay
 * mapped: plugins are never unloaded in a running daemon). */
void plugin_set_done(struct plugin_set *set, bool unload);

const char *plugin_kind_name(uint32_t kind);

#endif
