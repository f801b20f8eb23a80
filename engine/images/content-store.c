/* The content store: blobs named by the sha256 of their bytes. Writes go to
 * a temp file that is renamed into place only once the digest matches, so a
 * crash or a lying source never leaves a blob whose name is not its hash. */
#include "content-store.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"

#define COPY_BUF (1024 * 1024)

static int mkdirat_p(int dirfd, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdirat(dirfd, buf, 0700) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdirat(dirfd, buf, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int content_store_open(int root_fd, struct content_store *ret)
{
    int r = mkdirat_p(root_fd, "blobs/sha256");
    if (r >= 0)
        r = mkdirat_p(root_fd, "tmp/blobs");
    if (r < 0)
        return err_set(r, "image store: cannot create blob directories: %s", strerror(-r));
    _cleanup_close_ int blobs = openat(root_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int tmp = openat(root_fd, "tmp/blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (blobs < 0 || tmp < 0)
        return err_set(-errno, "image store: cannot open blob directories: %s", strerror(errno));
    ret->blobs_fd = TAKE_FD(blobs);
    ret->tmp_fd = TAKE_FD(tmp);
    return 0;
}

void content_store_close(struct content_store *cs)
{
    if (cs->blobs_fd >= 0)
        close(cs->blobs_fd);
    if (cs->tmp_fd >= 0)
        close(cs->tmp_fd);
    cs->blobs_fd = cs->tmp_fd = -1;
}

bool digest_valid(const char *digest)
{
    if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71)
        return false;
    for (const char *p = digest + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static const char *hex_of(const char *digest)
{
    return digest + 7;
}

bool content_has(struct content_store *cs, const char *digest)
{
    return digest_valid(digest) && faccessat(cs->blobs_fd, hex_of(digest), F_OK, 0) == 0;
}

int content_open(struct content_store *cs, const char *digest)
{
    if (!digest_valid(digest))
        return err_set(-EINVAL, "blob %s: not a sha256 digest", digest ? digest : "(null)");
    int fd = openat(cs->blobs_fd, hex_of(digest), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(-errno, "blob %s: %s", digest, strerror(errno));
    return fd;
}

int content_size(struct content_store *cs, const char *digest, uint64_t *ret_size)
{
    struct stat st;
    if (!digest_valid(digest) || fstatat(cs->blobs_fd, hex_of(digest), &st, 0) < 0)
        return err_set(-ENOENT, "blob %s: not in the content store", digest ? digest : "(null)");
    *ret_size = (uint64_t)st.st_size;
    return 0;
}

static void format_digest(const unsigned char md[32], char *out)
{
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++)
        sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static int open_temp(struct content_store *cs, char *name, size_t cap)
{
    for (int i = 0; i < 16; i++) {
        unsigned long long rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), 0) < 0)
            rnd = (unsigned long long)getpid() * 7919ULL + (unsigned long long)i;
        snprintf(name, cap, "ingest-%016llx", rnd);
        int fd = openat(cs->tmp_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}

/* Move a verified temp file to its content address. */
static int commit_temp(struct content_store *cs, int fd, const char *tmp, const char *digest)
{
    if (fsync(fd) < 0) {
        int e = -errno;
        unlinkat(cs->tmp_fd, tmp, 0);
        return err_set(e, "blob %s: %s", digest, strerror(-e));
    }
    if (renameat(cs->tmp_fd, tmp, cs->blobs_fd, hex_of(digest)) < 0) {
        int e = -errno;
        unlinkat(cs->tmp_fd, tmp, 0);
        return err_set(e, "blob %s: %s", digest, strerror(-e));
    }
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int content_put(struct content_store *cs, const void *data, size_t len, char *ret_digest)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char digest[72];
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
        return err_set(-EIO, "blob: sha256 failed");
    format_digest(md, digest);
    if (!content_has(cs, digest)) {
        char tmp[64];
        _cleanup_close_ int fd = open_temp(cs, tmp, sizeof(tmp));
        if (fd < 0)
            return err_set(fd, "blob %s: cannot create temp file: %s", digest, strerror(-fd));
        int r = write_all(fd, data, len);
        if (r < 0) {
            unlinkat(cs->tmp_fd, tmp, 0);
            return err_set(r, "blob %s: %s; check free space under the data root", digest, strerror(-r));
        }
        r = commit_temp(cs, fd, tmp, digest);
        if (r < 0)
            return r;
    }
    memcpy(ret_digest, digest, 72);
    return 0;
}

/* Copy fd into the temp file fd_out, hashing; fills digest and size. */
static int copy_hashing(int fd, int fd_out, char *ret_digest, uint64_t *ret_size)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    _cleanup_free_ char *buf = malloc(COPY_BUF);
    if (!ctx || !buf) {
        EVP_MD_CTX_free(ctx);
        return -ENOMEM;
    }
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    uint64_t total = 0;
    int r = 0;
    for (;;) {
        ssize_t n = read(fd, buf, COPY_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        r = write_all(fd_out, buf, (size_t)n);
        if (r < 0)
            break;
        total += (uint64_t)n;
    }
    unsigned char md[32];
    EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    if (r < 0)
        return r;
    format_digest(md, ret_digest);
    *ret_size = total;
    return 0;
}

int content_put_fd(struct content_store *cs, int fd, const char *want, char *ret_digest, uint64_t *ret_size)
{
    if (want && !digest_valid(want))
        return err_set(-EINVAL, "blob %s: not a sha256 digest", want);
    char tmp[64];
    _cleanup_close_ int out = open_temp(cs, tmp, sizeof(tmp));
    if (out < 0)
        return err_set(out, "blob: cannot create temp file: %s", strerror(-out));
    char digest[72];
    uint64_t size = 0;
    int r = copy_hashing(fd, out, digest, &size);
    if (r < 0) {
        unlinkat(cs->tmp_fd, tmp, 0);
        return err_set(r, "blob: copying into the store: %s", strerror(-r));
    }
    if (want && strcmp(want, digest) != 0) {
        unlinkat(cs->tmp_fd, tmp, 0);
        return err_set(-EBADMSG, "blob: digest mismatch (want %s, got %s); the data is corrupt", want, digest);
    }
    if (content_has(cs, digest))
        unlinkat(cs->tmp_fd, tmp, 0);
    else if ((r = commit_temp(cs, out, tmp, digest)) < 0)
        return r;
    if (ret_digest)
        memcpy(ret_digest, digest, 72);
    if (ret_size)
        *ret_size = size;
    return 0;
}

int content_adopt(struct content_store *cs, int fd, const char *digest)
{
    if (!digest_valid(digest))
        return err_set(-EINVAL, "blob %s: not a sha256 digest", digest ? digest : "(null)");
    if (content_has(cs, digest))
        return 0;
    fchmod(fd, 0600);
    if (linkat(fd, "", cs->blobs_fd, hex_of(digest), AT_EMPTY_PATH) == 0 || errno == EEXIST)
        return 0;
    if (lseek(fd, 0, SEEK_SET) < 0)
        return err_set(-errno, "blob %s: %s", digest, strerror(errno));
    return content_put_fd(cs, fd, digest, NULL, NULL);
}

int content_read(struct content_store *cs, const char *digest, size_t max, char **ret_data, size_t *ret_len)
{
    _cleanup_close_ int fd = content_open(cs, digest);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return err_set(-errno, "blob %s: %s", digest, strerror(errno));
    if ((uint64_t)st.st_size > max)
        return err_set(-EFBIG, "blob %s: %lld bytes, more than the %zu allowed here", digest, (long long)st.st_size,
                       max);
    _cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return err_set(-ENOMEM, "blob %s: out of memory", digest);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return err_set(n < 0 ? -errno : -EIO, "blob %s: short read", digest);
        got += (size_t)n;
    }
    buf[got] = '\0';
    *ret_data = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = got;
    return 0;
}

int content_delete(struct content_store *cs, const char *digest)
{
    if (!digest_valid(digest))
        return err_set(-EINVAL, "blob %s: not a sha256 digest", digest ? digest : "(null)");
    if (unlinkat(cs->blobs_fd, hex_of(digest), 0) < 0 && errno != ENOENT)
        return err_set(-errno, "blob %s: %s", digest, strerror(errno));
    return 0;
}
