/* In-core metric registry that plugins write through the host table and
 * exporters read. Values are int64 (the ABI carries no floats). */
#ifndef POUCH_ENGINE_METRICS_H
#define POUCH_ENGINE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct metrics;

int metrics_new(struct metrics **ret);
void metrics_free(struct metrics *m);
int metrics_update(struct metrics *m, const char *name, const char *labels, int64_t value, bool add);
/* Current value, or -ENOENT. */
int metrics_get(struct metrics *m, const char *name, const char *labels, int64_t *ret_value);

#endif
