/* Streaming SHA-256 producing the "sha256:<hex>" digests that image manifests,
 * configs and layer diff_ids use. A thin wrapper over libcrypto's EVP so the
 * rest of the image code never touches OpenSSL types; it never allocates per update. */
#ifndef POUCH_IMAGES_SHA256_H
#define POUCH_IMAGES_SHA256_H

#include <stddef.h>

/* "sha256:" + 64 hex digits + NUL. */
#define SHA256_DIGEST_STRLEN 72

struct sha256 {
    void *md; /* EVP_MD_CTX *, NULL when not started or already freed */
};

/* Start a digest; on failure *s is left empty (md NULL). */
int sha256_init(struct sha256 *s);
/* Feed bytes; len 0 is allowed. */
int sha256_update(struct sha256 *s, const void *data, size_t len);
/* Finish into out as "sha256:<hex>" and free the context. */
int sha256_final(struct sha256 *s, char out[SHA256_DIGEST_STRLEN]);
/* Free without finishing; safe on an empty or finished context. */
void sha256_done(struct sha256 *s);
/* One-shot convenience. */
int sha256_buffer(const void *data, size_t len, char out[SHA256_DIGEST_STRLEN]);

#define _cleanup_sha256_ __attribute__((cleanup(sha256_done)))

#endif
