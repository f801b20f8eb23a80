/* Containers as the Docker Engine API 1.41 shows them: inspect, list (with
 * dockerd's filters) and the full Config/HostConfig shapes. */
#ifndef POUCH_CONTAINERS_VIEWS_H
#define POUCH_CONTAINERS_VIEWS_H

#include <jansson.h>

#include "container.h"

/* Fill every key dockerd shows, in dockerd's order, keeping the user's values. */
void view_complete_config(json_t *config);
void view_complete_host_config(json_t *hc);
/* Store lock held. */
json_t *view_inspect(struct container_store *s, struct container *c, bool size);
int view_list(struct container_store *s, json_t *options, json_t **ret);

#endif
