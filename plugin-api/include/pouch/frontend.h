/* Frontend plugins serve an API (Moby REST, CRI gRPC, ...) to clients.
 * The core starts them after every other plugin is up and stops them first,
 * so a client never reaches a half-started or half-stopped engine. */
#ifndef POUCH_FRONTEND_H
#define POUCH_FRONTEND_H

#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pouch_frontend_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_frontend_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
    /* 1.0: begin serving (open listeners). Returns >= 0 or a negative errno
     * after reporting detail with host->error. */
    int32_t (*start)(void *state);
    /* 1.0: stop accepting, end long-lived streams, and return once no request
     * is running any more. */
    void (*stop)(void *state);
} pouch_frontend_ops;

#ifdef __cplusplus
}
#endif

#endif
