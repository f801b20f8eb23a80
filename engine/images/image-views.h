/* Read-only JSON views of the image store in the Docker Engine API's
 * shapes (list, inspect, history, disk usage), with dockerd's list filters.
 * Callers hold the store's read lock. */
#ifndef POUCH_IMAGES_IMAGE_VIEWS_H
#define POUCH_IMAGES_IMAGE_VIEWS_H

#include <jansson.h>

#include "image-store.h"

/* options: {"all": bool, "digests": bool, "filters": {"dangling": {"true": true}, "reference": {...},
 * "label": {...}, "before": {...}, "since": {...}}} (filters in the map form). */
int image_view_list(struct image_store *s, json_t *options, json_t **ret);
int image_view_inspect(struct image_store *s, const char *name, json_t **ret);
int image_view_history(struct image_store *s, const char *name, json_t **ret);
/* {"LayersSize": N, "Images": [list entries with SharedSize and Containers]} */
int image_view_disk_usage(struct image_store *s, json_t **ret);

/* A container Config in dockerd's full shape and key order. New reference. */
json_t *image_full_container_config(json_t *c);

#endif
