/* docker load: read a `docker save` archive (legacy, or Docker 25+ with its
 * OCI layout) or a plain OCI image layout from a stream into the store.
 * The archive is hostile input; the store changes only for images that
 * were read completely and verified. */
#ifndef POUCH_IMAGES_ARCHIVE_LOAD_H
#define POUCH_IMAGES_ARCHIVE_LOAD_H

#include <jansson.h>
#include <stdbool.h>

#include "image-store.h"

/* Progress messages, one JSON object each (the caller owns nothing):
 *  {"kind":"layer","id":"<12 hex>","current":N,"total":N}
 *  {"kind":"loaded","ref":"busybox:latest","id":"sha256:…"}
 *  {"kind":"loaded-id","id":"sha256:…"}                   (an image without tags) */
typedef void (*load_progress_fn)(void *user, json_t *msg);

int archive_load(struct image_store *s, int in_fd, load_progress_fn progress, void *user, json_t **ret_loaded);

/* open(2) path relative to dirfd, never leaving dirfd's tree (symlinks
 * resolve inside it, no magic links, no mount crossing). */
int open_beneath(int dirfd, const char *path, int flags);

#endif
