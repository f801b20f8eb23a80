/* Runtime plugins isolate containers (namespaces, micro-VMs ...). The engine hands a runtime an OCI runtime spec; the runtime creates, starts, signals and deletes the container it describes.
 * Methods arrive in later minor versions; the table only grows at its end. */
#ifndef POUCH_RUNTIME_H
#define POUCH_RUNTIME_H

#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pouch_runtime_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_runtime_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
} pouch_runtime_ops;

#ifdef __cplusplus
}
#endif

#endif
