/* Content-addressed blobs (sha256) under <data-root>/images/blobs/sha256.
 * A blob becomes visible only after its digest was verified while writing. */
#ifndef POUCH_IMAGES_CONTENT_STORE_H
#define POUCH_IMAGES_CONTENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct content_store {
    int blobs_fd; /* blobs/sha256 */
    int tmp_fd;   /* staging for blobs being written */
};

int content_store_open(int root_fd, struct content_store *ret);
void content_store_close(struct content_store *cs);

/* digest is "sha256:<hex>"; false for malformed digests. */
bool digest_valid(const char *digest);
bool content_has(struct content_store *cs, const char *digest);
/* Open a blob for reading (O_RDONLY|O_CLOEXEC fd, caller closes). */
int content_open(struct content_store *cs, const char *digest);
int content_size(struct content_store *cs, const char *digest, uint64_t *ret_size);
/* Store data whose digest is computed here; *ret_digest ("sha256:<hex>") is
 * filled (73 bytes). Storing existing content is a no-op. */
int content_put(struct content_store *cs, const void *data, size_t len, char *ret_digest);
/* Copy from fd (to EOF) into the store; if want is non-NULL the content must
 * hash to it or nothing is stored. */
int content_put_fd(struct content_store *cs, int fd, const char *want, char *ret_digest, uint64_t *ret_size);
/* Make the file open on fd (whose content hashes to digest, already checked
 * by the caller) a blob, by hard link when possible, else by copy. */
int content_adopt(struct content_store *cs, int fd, const char *digest);
/* Read a whole (small) blob into memory, NUL-terminated. */
int content_read(struct content_store *cs, const char *digest, size_t max, char **ret_data, size_t *ret_len);
int content_delete(struct content_store *cs, const char *digest);

#endif
