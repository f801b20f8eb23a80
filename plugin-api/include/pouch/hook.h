/* Hook plugins run at container lifecycle points (lxcfs, GPU, quota, audit). A hook may add to a container's spec; it
 * never removes what the user asked for. Methods arrive in later minor versions; the table only grows at its end. */
#ifndef POUCH_HOOK_H
#define POUCH_HOOK_H

#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pouch_hook_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_hook_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
} pouch_hook_ops;

#ifdef __cplusplus
}
#endif

#endif
