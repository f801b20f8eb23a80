/* JSON text the way Go's encoding/json writes it, so pouch's bodies are
 * byte-compatible with dockerd's. Must never reorder keys: callers build
 * objects in the order dockerd's structs declare their fields. */
#ifndef MOBY_API_JSON_OUT_H
#define MOBY_API_JSON_OUT_H

#include <stddef.h>

#include <jansson.h>

/* Compact JSON plus "\n" with <, >, & and U+2028/9 escaped as Go does.
 * malloc'd; NULL on allocation failure. *ret_len (optional) gets the length. */
char *json_dump_go(const json_t *v, size_t *ret_len);

#endif
