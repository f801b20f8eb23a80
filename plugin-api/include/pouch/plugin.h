/* pouch plugin ABI: the descriptor every plugin exports, and its versioning.
 * This header is the contract with out-of-tree plugins: plain C99, tables only
 * grow at their end, and nothing here may change layout within a major version. */
#ifndef POUCH_PLUGIN_H
#define POUCH_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version this header describes. A major bump breaks every plugin; a minor
 * bump only appends fields to tables (1.0: first release). */
#define POUCH_ABI_MAJOR 1
#define POUCH_ABI_MINOR 1

/* Plugin kinds (values of pouch_plugin_descriptor.kind). Since 1.0. */
#define POUCH_KIND_RUNTIME 1  /* isolates containers: see runtime.h */
#define POUCH_KIND_NETWORK 2  /* attaches containers to networks: network.h */
#define POUCH_KIND_VOLUME 3   /* provides volumes: volume.h */
#define POUCH_KIND_LOG 4      /* stores container output: log.h */
#define POUCH_KIND_HOOK 5     /* container lifecycle hooks: hook.h */
#define POUCH_KIND_MONITOR 6  /* consumes events and metrics: monitor.h */
#define POUCH_KIND_FRONTEND 7 /* serves an API to clients: frontend.h */

/* Name of the single symbol a loadable plugin exports. */
#define POUCH_PLUGIN_QUERY_SYMBOL "pouch_plugin_query"

struct pouch_host;

/* What a plugin is and how to start it. Returned by the query function; must
 * stay valid (normally static const) for as long as the plugin is loaded. */
typedef struct pouch_plugin_descriptor {
    uint32_t size;       /* 1.0: sizeof(struct pouch_plugin_descriptor) as built */
    uint16_t abi_major;  /* 1.0: POUCH_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;  /* 1.0: POUCH_ABI_MINOR the plugin was built against */
    const char *name;    /* 1.0: unique name, [a-z0-9-]+, used by --plugins */
    const char *version; /* 1.0: the plugin's own version string */
    const char *license; /* 1.0: SPDX license identifier */
    const char *summary; /* 1.0: one line saying what it does */
    uint32_t kind;       /* 1.0: one of POUCH_KIND_* */
    uint32_t flags;      /* 1.0: reserved, must be 0 */
    /* 1.0: start the plugin. host stays valid until fini returns; the plugin
     * keeps whatever it needs in *ret_state. Returns >= 0 on success or a
     * negative errno, after reporting detail with host->error. May be NULL. */
    int32_t (*init)(const struct pouch_host *host, void **ret_state);
    /* 1.0: stop the plugin and free its state. May be NULL. */
    void (*fini)(void *state);
    /* 1.0: the kind's ops table (struct pouch_<kind>_ops), starting with its
     * size. May be NULL when the kind needs none. */
    const void *ops;
} pouch_plugin_descriptor;

/* The exported query function: returns the plugin's descriptor. */
typedef const pouch_plugin_descriptor *(*pouch_plugin_query_fn)(void);

#if defined(__GNUC__)
#define POUCH_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define POUCH_PLUGIN_EXPORT
#endif

/* Define the entry point for descriptor `desc`. Built as a loadable module it
 * exports pouch_plugin_query; built into pouchd (POUCH_PLUGIN_BUILTIN_ID
 * defined to a C identifier) it defines pouch_builtin_<id>_query instead, so
 * one source serves both. */
#define POUCH_PLUGIN_CAT_(a, b, c) a##b##c
#define POUCH_PLUGIN_CAT(a, b, c) POUCH_PLUGIN_CAT_(a, b, c)
#ifdef POUCH_PLUGIN_BUILTIN_ID
#define POUCH_PLUGIN_DEFINE(desc)                                                                                      \
    const pouch_plugin_descriptor *POUCH_PLUGIN_CAT(pouch_builtin_, POUCH_PLUGIN_BUILTIN_ID, _query)(void);            \
    const pouch_plugin_descriptor *POUCH_PLUGIN_CAT(pouch_builtin_, POUCH_PLUGIN_BUILTIN_ID, _query)(void)             \
    {                                                                                                                  \
        return &(desc);                                                                                                \
    }
#else
#define POUCH_PLUGIN_DEFINE(desc)                                                                                      \
    POUCH_PLUGIN_EXPORT const pouch_plugin_descriptor *pouch_plugin_query(void);                                       \
    POUCH_PLUGIN_EXPORT const pouch_plugin_descriptor *pouch_plugin_query(void)                                        \
    {                                                                                                                  \
        return &(desc);                                                                                                \
    }
#endif

#ifdef __cplusplus
}
#endif

#endif
