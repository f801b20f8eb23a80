/* Shared by the engine API's container, exec, ops and filesystem entries
 * (container-api.c, exec-api.c, container-ops-api.c, container-fs-api.c):
 * the store behind a host, and one JSON result handed back as text. */
#ifndef POUCH_ENGINE_API_COMMON_H
#define POUCH_ENGINE_API_COMMON_H

#include <errno.h>
#include <jansson.h>

#include "daemon.h"
#include "error.h"
#include "loader.h"

static inline struct container_store *api_store_of(const pouch_host *h)
{
    struct plugin *p = h ? (struct plugin *)h->ctx : NULL;
    return p ? p->daemon->containers : NULL;
}

/* r < 0: drop obj and return r; else *ret_json = obj as compact text
 * (takes obj). */
static inline int32_t api_dump(int r, json_t *obj, char **ret_json)
{
    if (r < 0) {
        json_decref(obj);
        return r;
    }
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY) : NULL; /* null too (no changes) */
    json_decref(obj);
    if (!s)
        return err_set(-ENOMEM, "engine API: out of memory");
    *ret_json = s;
    return 0;
}

/* Declares s, the container store, or returns -EINVAL. */
#define STORE_OR_FAIL(h)                                                                                               \
    struct container_store *s = api_store_of(h);                                                                       \
    if (!s)                                                                                                            \
    return err_set(-EINVAL, "engine API: no container store")

#endif
