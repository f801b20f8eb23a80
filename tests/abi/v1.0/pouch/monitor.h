/* Monitor plugins consume the engine's events and metrics (loggers, audit,
 * exporters). They observe; they never change what the engine does. */
#ifndef POUCH_MONITOR_H
#define POUCH_MONITOR_H

#include <stdint.h>

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pouch_monitor_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_monitor_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
    /* 1.0: called for every event published after the plugin started, with
     * the same rules as pouch_event_fn (no blocking, no event calls). May be
     * NULL. */
    void (*on_event)(void *state, const pouch_event *event);
} pouch_monitor_ops;

#ifdef __cplusplus
}
#endif

#endif
