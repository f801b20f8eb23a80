/* Volume plugins provide named volumes (local, CSI ...). A volume plugin owns its data; the engine only asks it to
 * create, mount, unmount and remove. Methods arrive in later minor versions; the table only grows at its end. */
#ifndef POUCH_VOLUME_H
#define POUCH_VOLUME_H

#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pouch_volume_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_volume_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
} pouch_volume_ops;

#ifdef __cplusplus
}
#endif

#endif
