/* Network plugins attach containers and pod sandboxes to networks (CNI ...). A network plugin owns the interfaces it
 * creates and removes them on detach. Methods arrive in later minor versions; the table only grows at its end. */
#ifndef POUCH_NETWORK_H
#define POUCH_NETWORK_H

#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pouch_network_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_network_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
} pouch_network_ops;

#ifdef __cplusplus
}
#endif

#endif
