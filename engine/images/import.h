/* docker import: a root filesystem tarball becomes a one-layer image, with
 * --change applying Dockerfile-style settings to its config. */
#ifndef POUCH_IMAGES_IMPORT_H
#define POUCH_IMAGES_IMPORT_H

#include <jansson.h>

#include "image-store.h"

/* Apply one --change line ("CMD [\"sh\"]", "ENV A=b", ...) to config (the
 * "config" object of an image config). -EINVAL with dockerd's message. */
int import_apply_change(json_t *config, const char *change);

/* options: {"repo": "name[:tag]" or "", "tag": "", "message": "", "changes": [..],
 * "source": "-" or a URL-ish label for the comment}. */
int image_import(struct image_store *s, int in_fd, json_t *options, char *ret_id);

#endif
