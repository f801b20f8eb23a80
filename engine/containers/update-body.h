/* Checks and translation of a container update body (update-body.c). */
#ifndef POUCH_CONTAINERS_UPDATE_BODY_H
#define POUCH_CONTAINERS_UPDATE_BODY_H

#include <jansson.h>

/* dockerd's verifyPlatformContainerResources for an update: -EINVAL with
 * its message, or 0; appends its warnings to warnings and drops an
 * unsupported BlkioWeight from b. */
int update_verify(json_t *b, json_t *warnings);
/* The OCI linux.resources object of what b changes (a new reference). */
json_t *update_resources(json_t *b);

#endif
