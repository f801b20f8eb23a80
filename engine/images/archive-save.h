/* docker save: write images as a Docker 25-style archive (an OCI image
 * layout plus docker's manifest.json), which Docker 20.10 and later load
 * and pouch loads back with the same image IDs. Never holds the store lock
 * while writing to the (possibly slow) output. */
#ifndef POUCH_IMAGES_ARCHIVE_SAVE_H
#define POUCH_IMAGES_ARCHIVE_SAVE_H

#include <jansson.h>

#include "image-store.h"

/* names: array of strings as `docker save` takes them. *ret_ids gets the
 * image IDs saved (for events). Errors before the first byte is written
 * return -errno; later ones too, with the output cut short. */
int archive_save(struct image_store *s, json_t *names, int out_fd, json_t **ret_ids);

#endif
