/* Streaming SHA-256 over OpenSSL EVP, reporting failures through the error
 * slot. Must never print or abort: a digest failure is just another error. */
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "error.h"

int sha256_init(struct sha256 *s)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    s->md = NULL;
    if (!md)
        return err_set(-ENOMEM, "sha256: out of memory allocating a digest context");
    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return err_set(-EIO, "sha256: libcrypto refused to start a SHA-256 digest; check the OpenSSL installation");
    }
    s->md = md;
    return 0;
}

int sha256_update(struct sha256 *s, const void *data, size_t len)
{
    if (!s->md)
        return err_set(-EINVAL, "sha256: update on a digest that was not started");
    if (len > 0 && EVP_DigestUpdate(s->md, data, len) != 1)
        return err_set(-EIO, "sha256: libcrypto failed to hash %zu bytes", len);
    return 0;
}

int sha256_final(struct sha256 *s, char out[SHA256_DIGEST_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char buf[SHA256_DIGEST_STRLEN];

    if (!s->md)
        return err_set(-EINVAL, "sha256: finish on a digest that was not started");
    if (EVP_DigestFinal_ex(s->md, raw, &n) != 1 || n != 32) {
        sha256_done(s);
        return err_set(-EIO, "sha256: libcrypto failed to finish the digest");
    }
    sha256_done(s);
    memcpy(buf, "sha256:", 7);
    for (unsigned int i = 0; i < n; i++) {
        buf[7 + 2 * i] = hex[raw[i] >> 4];
        buf[7 + 2 * i + 1] = hex[raw[i] & 0xf];
    }
    buf[7 + 64] = '\0';
    memcpy(out, buf, sizeof(buf));
    return 0;
}

void sha256_done(struct sha256 *s)
{
    if (s->md) {
        EVP_MD_CTX_free(s->md);
        s->md = NULL;
    }
}

int sha256_buffer(const void *data, size_t len, char out[SHA256_DIGEST_STRLEN])
{
    _cleanup_sha256_ struct sha256 s = {0};
    int r = sha256_init(&s);

    if (r < 0)
        return r;
    r = sha256_update(&s, data, len);
    if (r < 0)
        return r;
    return sha256_final(&s, out);
}
