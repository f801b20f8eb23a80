/* The filters query parameter of the Moby API, in both of dockerd's forms. */
#ifndef MOBY_API_FILTERS_H
#define MOBY_API_FILTERS_H

#include <stddef.h>

#include <jansson.h>

/* Parse filters text (NULL or "" means none) into the map form
 * {"key":{"value":true}}; the legacy list form {"key":["value"]} is
 * converted. keys, when not NULL, lists the accepted keys. On failure
 * returns -EINVAL with a malloc'd client message in *ret_msg. */
int filters_parse(const char *text, const char *const *keys, size_t n_keys, json_t **ret, char **ret_msg);

#endif
