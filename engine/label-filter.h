/* dockerd's label filters, shared by every list and prune: "label" values
 * ("key" or "key=value") must all match, "label!" values must all not. */
#ifndef POUCH_ENGINE_LABEL_FILTER_H
#define POUCH_ENGINE_LABEL_FILTER_H

#include <jansson.h>
#include <stdbool.h>

/* labels: an object of strings (or NULL); filters: the map form of filters. */
bool labels_match(json_t *labels, json_t *filters);

#endif
