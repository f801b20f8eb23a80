/* Log plugins store and read back container output (json-file, journald ...). The shim writes; a log plugin must never block a container on a slow reader.
 * Methods arrive in later minor versions; the table only grows at its end. */
#ifndef POUCH_LOG_H
#define POUCH_LOG_H

#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pouch_log_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_log_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
} pouch_log_ops;

#ifdef __cplusplus
}
#endif

#endif
