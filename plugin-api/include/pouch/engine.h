/* The engine API the core lends to frontend plugins (host->engine).
 * Frontends translate a wire protocol into these calls; the core owns every
 * object. Results cross as JSON text that the caller frees with host->free. */
#ifndef POUCH_ENGINE_H
#define POUCH_ENGINE_H

#include <stdint.h>

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every call returns >= 0 on success or a negative errno, with the message in
 * host->last_error(host). -ENOENT: no such object; -EINVAL: bad argument;
 * -EEXIST/-EBUSY: conflict; -ENOTSUP: not supported by this build. */
typedef struct pouch_engine_api {
    uint32_t size;     /* 1.0: sizeof(struct pouch_engine_api) as built */
    uint32_t reserved; /* 1.0: 0 */
    /* 1.0: engine version facts: {"Version","GitCommit","BuildTime","KernelVersion",
     * "Os","Arch","Components":[{"Name","Version","Details":{}}]}. */
    int32_t (*version)(const struct pouch_host *host, char **ret_json);
    /* 1.0: engine facts: {"ID","Name","DataRoot","ExecRoot","Debug","NCPU","MemTotal",
     * "KernelVersion","OperatingSystem","OSVersion","Architecture","CgroupVersion",
     * "CgroupDriver","NFd","NThreads","NEventsListener","Plugins":[{"Name","Kind",
     * "Version"}],"Containers":{"Total","Running","Paused","Stopped"},"Images",
     * "Labels":[],"Warnings":[],"SystemTime"}. */
    int32_t (*info)(const struct pouch_host *host, char **ret_json);
    /* 1.0: the daemon's effective options: {"hosts":[...],"tlsverify":bool,
     * "tlscacert","tlscert","tlskey","debug","log-level","data-root","exec-root"}. */
    int32_t (*daemon_config)(const struct pouch_host *host, char **ret_json);
} pouch_engine_api;

#define POUCH_ENGINE_HAS(api, m) POUCH_HAS(api, struct pouch_engine_api, m)

#ifdef __cplusplus
}
#endif

#endif
