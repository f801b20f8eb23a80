/* Layer unpacking: decompress, hash and untar one image layer into an empty
 * directory, resolving every path beneath it without following the archive's
 * own symlinks. It must never create, chmod, chown or link anything outside
 * dir_fd, and never trust a size or a name the archive claims. */
#include "layer-unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "sha256.h"

/* Big reads keep syscall and callback overhead negligible next to hashing. */
#define READ_CHUNK (1u << 20)
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

/* Two libarchive readers in a chain: "outer" sees the raw bytes of in_fd
 * (hashed into the blob digest) and undoes the compression with the raw
 * format; "tar" reads the outer's output (hashed into the diff_id) through a
 * callback. Nothing is copied: each reader hands the next one its buffer. */
struct stream {
    int in_fd;
    unsigned char *buf;
    struct sha256 blob;
    struct sha256 diff;
    bool hash_diff; /* false when uncompressed: the diff_id is the blob digest */
    bool outer_eof;
    bool outer_failed; /* the failure is the decompressor's, not the tar parser's */
    int io_errno;      /* read(2) on in_fd failed with this */
    uint64_t blob_size;
    struct archive *outer;
    struct archive *tar;
    char compression[8];
};

struct dir_time {
    char *path;
    struct timespec ts[2];
};

struct unpack {
    const struct layer_policy *policy;
    const char *label;
    int root_fd;
    char *cache_path; /* the last parent directory resolved, and its O_PATH fd */
    int cache_fd;
    struct dir_time *dirs; /* directory times, applied once all content is written */
    size_t n_dirs, cap_dirs;
    uint64_t total;
    const char *entry; /* the entry being unpacked, printable, for messages */
};

void layer_policy_init(struct layer_policy *p)
{
    *p = (struct layer_policy){
        .allow_devices = false,
        .allow_setuid = true,
        .max_file_size = LAYER_DEFAULT_MAX_FILE_SIZE,
        .max_total_size = LAYER_DEFAULT_MAX_TOTAL_SIZE,
        .label = NULL,
    };
}

/* Archive names may hold control characters; keep them out of logs. */
static const char *printable(const char *in, char *out, size_t size)
{
    size_t o = 0;

    if (!in)
        in = "(unnamed)";
    for (; *in && o + 4 < size; in++) {
        unsigned char c = (unsigned char)*in;
        out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (*in) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static int refuse(struct unpack *u, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct unpack *u, int err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(err, "%s: entry %s: %s", u->label, u->entry, msg);
}

/* ---- the stream: raw bytes -> blob digest -> decompressor -> diff_id -> tar ---- */

/* Only to name the compression in errors that libarchive raises before it
 * reports its filter; the filter libarchive picks decides the result. */
static void sniff_compression(struct stream *s, size_t n)
{
    static const struct {
        const char *name;
        size_t len;
        const char *magic;
    } magics[] = {
        {"gzip", 2, "\x1f\x8b"},
        {"zstd", 4, "\x28\xb5\x2f\xfd"},
        {"xz", 6,
         "\xfd"
         "7zXZ\0"},
    };

    strcpy(s->compression, "none");
    for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
        if (n >= magics[i].len && memcmp(s->buf, magics[i].magic, magics[i].len) == 0)
            strcpy(s->compression, magics[i].name);
}

static la_ssize_t outer_read(struct archive *a, void *data, const void **out)
{
    struct stream *s = data;
    ssize_t n;

    do
        n = read(s->in_fd, s->buf, READ_CHUNK);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        s->io_errno = errno;
        archive_set_error(a, errno, "read error on the layer file");
        return -1;
    }
    if (n > 0 && sha256_update(&s->blob, s->buf, (size_t)n) < 0) {
        archive_set_error(a, EIO, "hashing failed");
        return -1;
    }
    if (s->blob_size == 0)
        sniff_compression(s, (size_t)n);
    s->blob_size += (uint64_t)n;
    *out = s->buf;
    return n;
}

/* The next decompressed block: 1 with block and len set, 0 at the end, <0 on error. */
static int outer_next(struct stream *s, const void **block, size_t *len)
{
    la_int64_t off;

    while (!s->outer_eof) {
        int r = archive_read_data_block(s->outer, block, len, &off);
        if (r == ARCHIVE_EOF) {
            s->outer_eof = true;
            break;
        }
        if (r < ARCHIVE_WARN) {
            s->outer_failed = true;
            return -EIO;
        }
        if (*len == 0)
            continue;
        if (s->hash_diff && sha256_update(&s->diff, *block, *len) < 0)
            return -EIO;
        return 1;
    }
    return 0;
}

static la_ssize_t tar_read(struct archive *a, void *data, const void **out)
{
    struct stream *s = data;
    size_t len = 0;
    int r = outer_next(s, out, &len);

    if (r < 0) {
        archive_set_error(a, EIO, "decompression failed");
        return -1;
    }
    return r == 0 ? 0 : (la_ssize_t)len;
}

static void stream_free(struct stream *s)
{
    if (s->tar)
        archive_read_free(s->tar);
    if (s->outer)
        archive_read_free(s->outer);
    sha256_done(&s->blob);
    sha256_done(&s->diff);
    free(s->buf);
}

/* Report a failure of either reader once, preferring the one that caused it. */
static int stream_error(struct stream *s, const char *label, const char *entry)
{
    const char *where = entry ? entry : "(before the first entry)";

    if (s->io_errno)
        return err_set(-s->io_errno, "%s: reading the layer failed near entry %s: %s", label, where,
                       strerrordesc_np(s->io_errno));
    if (s->outer_failed) {
        const char *why = archive_error_string(s->outer);
        return err_set(-EBADMSG,
                       "%s: %s stream is corrupt or truncated near entry %s: %s; fetch or export the layer again",
                       label, s->compression, where, why ? why : "decompression failed");
    }
    const char *why = archive_error_string(s->tar);
    return err_set(-EBADMSG,
                   "%s: the tar stream is corrupt or truncated at entry %s: %s; fetch or export the layer again", label,
                   where, why ? why : "unknown tar error");
}

/* 0 when the tar reader is ready, 1 for a zero-byte (empty) layer. */
static int stream_open(struct stream *s, int in_fd, const char *label)
{
    struct archive_entry *raw_entry;
    int r;

    s->in_fd = in_fd;
    strcpy(s->compression, "none");
    s->buf = malloc(READ_CHUNK);
    s->outer = archive_read_new();
    s->tar = archive_read_new();
    if (!s->buf || !s->outer || !s->tar)
        return err_set(-ENOMEM, "%s: out of memory setting up the layer reader", label);
    r = sha256_init(&s->blob);
    if (r < 0)
        return r;
    r = sha256_init(&s->diff);
    if (r < 0)
        return r;

    /* Only built-in decompressors: an external program would fork from a
     * threaded daemon. Only the raw format: the tar is parsed by the next reader. */
    if (archive_read_support_filter_gzip(s->outer) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(s->outer) != ARCHIVE_OK ||
        archive_read_support_filter_xz(s->outer) != ARCHIVE_OK ||
        archive_read_support_format_raw(s->outer) != ARCHIVE_OK ||
        archive_read_support_format_tar(s->tar) != ARCHIVE_OK)
        return err_set(-ENOTSUP,
                       "%s: libarchive lacks built-in gzip/zstd/xz or tar support: %s; install a complete libarchive",
                       label, archive_error_string(s->outer) ?: "unknown");

    /* Opening and the first header already decompress (format bidding reads
     * ahead), so a corrupt stream may fail here; name the compression then. */
    r = archive_read_open(s->outer, s, NULL, outer_read, NULL);
    if (r == ARCHIVE_OK)
        r = archive_read_next_header(s->outer, &raw_entry);
    /* A zero-byte blob is an empty layer to docker (Go's tar reader sees a
     * clean EOF); libarchive calls it an unknown format. */
    if ((r < ARCHIVE_WARN || r == ARCHIVE_EOF) && s->blob_size == 0 && !s->io_errno) {
        s->outer_eof = true;
        return 1;
    }
    if (r < ARCHIVE_WARN) {
        if (s->io_errno)
            return stream_error(s, label, NULL);
        if (strcmp(s->compression, "none") == 0)
            return err_set(-EBADMSG, "%s: cannot read the layer: %s; fetch or export it again", label,
                           archive_error_string(s->outer) ?: "unknown error");
        s->outer_failed = true;
        return stream_error(s, label, NULL);
    }
    bool empty = r == ARCHIVE_EOF;

    /* One decompressor at most, as docker does: a gzip inside a gzip would
     * give a different diff_id here than there. */
    if (archive_filter_count(s->outer) > 2)
        return err_set(-EBADMSG, "%s: the layer is compressed more than once (%s over %s); compress the tar once",
                       label, archive_filter_name(s->outer, 0), archive_filter_name(s->outer, 1));
    switch (archive_filter_code(s->outer, 0)) {
    case ARCHIVE_FILTER_NONE:
        strcpy(s->compression, "none");
        break;
    case ARCHIVE_FILTER_GZIP:
        strcpy(s->compression, "gzip");
        break;
    case ARCHIVE_FILTER_ZSTD:
        strcpy(s->compression, "zstd");
        break;
    case ARCHIVE_FILTER_XZ:
        strcpy(s->compression, "xz");
        break;
    default:
        return err_set(-ENOTSUP, "%s: unsupported compression %s; use gzip, zstd or xz", label,
                       archive_filter_name(s->outer, 0));
    }
    s->hash_diff = strcmp(s->compression, "none") != 0;
    if (empty) {
        s->outer_eof = true;
        return 1;
    }

    if (archive_read_open(s->tar, s, NULL, tar_read, NULL) != ARCHIVE_OK)
        return stream_error(s, label, NULL);
    return 0;
}

/* The diff_id covers the whole decompressed stream and the blob digest the
 * whole file, so both are read to their ends past the tar's end marker. */
static int stream_finish(struct stream *s, const char *label, struct layer_result *res)
{
    const void *block;
    size_t len;
    int r;

    while ((r = outer_next(s, &block, &len)) > 0)
        ;
    if (r < 0)
        return stream_error(s, label, "(after the end of the tar archive)");
    for (;;) {
        ssize_t n = read(s->in_fd, s->buf, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s->io_errno = errno;
            return stream_error(s, label, "(after the end of the tar archive)");
        }
        if (n == 0)
            break;
        r = sha256_update(&s->blob, s->buf, (size_t)n);
        if (r < 0)
            return r;
        s->blob_size += (uint64_t)n;
    }
    r = sha256_final(&s->blob, res->blob_digest);
    if (r < 0)
        return r;
    if (s->hash_diff) {
        r = sha256_final(&s->diff, res->diff_id);
        if (r < 0)
            return r;
    } else {
        memcpy(res->diff_id, res->blob_digest, sizeof(res->diff_id));
    }
    res->blob_size = s->blob_size;
    memcpy(res->compression, s->compression, sizeof(res->compression));
    return 0;
}

/* ---- paths ---- */

/* Make an archive name root-relative: leading "/" and "." components go (as
 * docker does), ".." pops a component, and one that would climb above the
 * root is refused. out has room for strlen(in)+1; "" is the root itself. */
static int clean_path(const char *in, char *out)
{
    size_t o = 0;

    while (*in) {
        const char *end = strchrnul(in, '/');
        size_t n = (size_t)(end - in);

        if (n == 0 || (n == 1 && in[0] == '.')) {
            /* nothing */
        } else if (n == 2 && in[0] == '.' && in[1] == '.') {
            if (o == 0)
                return -EXDEV;
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            if (o > 0)
                out[o++] = '/';
            memcpy(out + o, in, n);
            o += n;
        }
        in = *end ? end + 1 : end;
    }
    out[o] = '\0';
    return 0;
}

int layer_clean_path(const char *in, char *out)
{
    return clean_path(in, out);
}

/* Open a directory beneath root one component at a time, never following a
 * symlink, optionally creating missing directories (0755, as docker does).
 * Used where openat2 is missing and to create parents the archive omitted. */
static int walk_beneath(int root, const char *path, bool create)
{
    _cleanup_free_ char *copy = strdup(path);
    _cleanup_close_ int cur = -1;
    char *save = NULL;

    if (!copy)
        return -ENOMEM;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        int at = cur >= 0 ? cur : root;
        int fd = openat(at, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(at, c, 0755) < 0)
                return -errno;
            /* The umask must not decide an image's permissions. */
            if (fchmodat(at, c, 0755, 0) < 0)
                return -errno;
            fd = openat(at, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0)
            return errno == ENOTDIR ? -ELOOP : -errno;
        if (cur >= 0)
            close(cur);
        cur = fd;
    }
    if (cur < 0)
        return -EINVAL;
    return TAKE_FD(cur);
}

static atomic_bool no_openat2;

/* An O_PATH fd for the directory path beneath root. Any symlink on the way is
 * refused (ELOOP): a layer never needs to write through a link it made itself,
 * and one that tries is hostile. RESOLVE_IN_ROOT is kept as a second fence. */
static int open_beneath(int root, const char *path)
{
    if (!atomic_load(&no_openat2)) {
        struct open_how how = {
            .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        for (int tries = 0; tries < 8; tries++) {
            long fd = syscall(SYS_openat2, root, path, &how, sizeof(how));
            if (fd >= 0)
                return (int)fd;
            if (errno == EAGAIN)
                continue;
            if (errno != ENOSYS)
                return errno == ENOTDIR ? -ELOOP : -errno;
            atomic_store(&no_openat2, true);
            break;
        }
        if (!atomic_load(&no_openat2))
            return -EAGAIN;
    }
    return walk_beneath(root, path, false);
}

/* The parent directory of an entry, borrowed (cached across entries: archives
 * list siblings together). "" is the root. */
static int get_parent(struct unpack *u, const char *parent, bool create, int *ret_fd)
{
    if (parent[0] == '\0') {
        *ret_fd = u->root_fd;
        return 0;
    }
    if (u->cache_path && strcmp(u->cache_path, parent) == 0) {
        *ret_fd = u->cache_fd;
        return 0;
    }
    _cleanup_close_ int fd = open_beneath(u->root_fd, parent);
    if (fd == -ENOENT && create)
        fd = walk_beneath(u->root_fd, parent, true);
    if (fd < 0) {
        char shown[256];
        int r = fd;
        fd = -1;
        if (r == -ELOOP)
            return refuse(u, r,
                          "its directory %s is a symlink or not a directory; a layer may not write through its own "
                          "symlinks, the archive is hostile or broken",
                          printable(parent, shown, sizeof(shown)));
        if (r == -ENOENT)
            return refuse(u, r, "its directory %s does not exist", printable(parent, shown, sizeof(shown)));
        return refuse(u, r, "cannot open its directory %s: %s", printable(parent, shown, sizeof(shown)),
                      strerrordesc_np(-r));
    }
    char *copy = strdup(parent);
    if (!copy)
        return err_set(-ENOMEM, "%s: out of memory", u->label);
    free(u->cache_path);
    if (u->cache_fd >= 0)
        close(u->cache_fd);
    u->cache_path = copy;
    u->cache_fd = TAKE_FD(fd);
    *ret_fd = u->cache_fd;
    return 0;
}

/* ---- metadata ---- */

/* user.*, trusted.* (not trusted.overlay.*), security.capability (file caps,
 * e.g. ping) and POSIX ACLs are kept; other security.* labels belong to the
 * host's policy, not to an image, and are dropped like docker's own exports do. */
static bool xattr_kept(const char *name)
{
    return strncmp(name, "user.", 5) == 0 || strncmp(name, "trusted.", 8) == 0 ||
           strcmp(name, "security.capability") == 0 || strcmp(name, "system.posix_acl_access") == 0 ||
           strcmp(name, "system.posix_acl_default") == 0;
}

/* trusted.overlay.* steers overlayfs (opaque dirs, redirects to other layers,
 * metacopy): only the engine's own whiteout conversion may set it. */
static int check_xattrs(struct unpack *u, struct archive_entry *e)
{
    const char *name;
    const void *value;
    size_t size;

    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
        if (strncmp(name, "trusted.overlay.", 16) == 0)
            return refuse(u, -EPERM,
                          "sets the reserved overlayfs attribute %s; mark opaque directories and deletions "
                          "with .wh. whiteout entries instead",
                          name);
    return 0;
}

static int apply_xattrs(struct unpack *u, struct archive_entry *e, int fd)
{
    const char *name;
    const void *value;
    size_t size;

    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (!xattr_kept(name))
            continue;
        if (fsetxattr(fd, name, value, size, 0) < 0)
            return refuse(u, -errno,
                          "cannot set extended attribute %s: %s; the image store's filesystem must support "
                          "user and trusted xattrs",
                          name, strerrordesc_np(errno));
    }
    return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1] = archive_entry_mtime_is_set(e)
                ? (struct timespec){.tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e)}
                : (struct timespec){.tv_nsec = UTIME_OMIT};
    ts[0] = archive_entry_atime_is_set(e)
                ? (struct timespec){.tv_sec = archive_entry_atime(e), .tv_nsec = archive_entry_atime_nsec(e)}
                : ts[1];
}

/* Owner before mode before xattrs: chown clears setuid bits and file caps. */
static int apply_fd_meta(struct unpack *u, struct archive_entry *e, int fd)
{
    if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
        return refuse(u, -errno, "cannot set owner %jd:%jd: %s", (intmax_t)archive_entry_uid(e),
                      (intmax_t)archive_entry_gid(e), strerrordesc_np(errno));
    if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
        return refuse(u, -errno, "cannot set mode %o: %s", archive_entry_perm(e) & 07777, strerrordesc_np(errno));
    return apply_xattrs(u, e, fd);
}

/* For nodes that cannot be opened for writing (symlinks, fifos, devices);
 * xattrs are not applied to them (user.* is not even allowed there). */
static int apply_path_meta(struct unpack *u, struct archive_entry *e, int pfd, const char *base, bool chmod)
{
    struct timespec ts[2];

    if (fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
        return refuse(u, -errno, "cannot set owner: %s", strerrordesc_np(errno));
    /* Not a symlink (we just made it and nobody else writes here), so following is moot. */
    if (chmod && fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
        return refuse(u, -errno, "cannot set mode: %s", strerrordesc_np(errno));
    entry_times(e, ts);
    if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return refuse(u, -errno, "cannot set times: %s", strerrordesc_np(errno));
    return 0;
}

static int duplicate(struct unpack *u)
{
    return refuse(u, -EEXIST,
                  "the path appears twice in the layer (or a whiteout names it too); a layer may list a "
                  "file once, rebuild the layer");
}

/* ---- entry types ---- */

static int write_data(struct unpack *u, struct stream *s, int fd, uint64_t size)
{
    uint64_t end = 0;

    for (;;) {
        const void *block;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(s->tar, &block, &len, &off);

        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return stream_error(s, u->label, u->entry);
        if (off < 0 || (uint64_t)off > size || len > size - (uint64_t)off)
            return refuse(u, -EBADMSG,
                          "data lies beyond the entry's size %ju (corrupt sparse map); the archive is "
                          "hostile or broken",
                          (uintmax_t)size);
        for (size_t done = 0; done < len;) {
            ssize_t n = pwrite(fd, (const char *)block + done, len - done, off + (off_t)done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return refuse(u, -errno, "writing the file failed: %s", strerrordesc_np(errno));
            done += (size_t)n;
        }
        if ((uint64_t)off + len > end)
            end = (uint64_t)off + len;
    }
    /* A sparse file may end in a hole, which no block covers. */
    if (end < size && ftruncate(fd, (off_t)size) < 0)
        return refuse(u, -errno, "cannot extend the file to %ju bytes: %s", (uintmax_t)size, strerrordesc_np(errno));
    return 0;
}

static int make_file(struct unpack *u, struct stream *s, struct archive_entry *e, int pfd, const char *base,
                     uint64_t size)
{
    struct timespec ts[2];
    _cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return errno == EEXIST ? duplicate(u) : refuse(u, -errno, "cannot create the file: %s", strerrordesc_np(errno));
    int r = write_data(u, s, fd, size);
    if (r < 0)
        return r;
    r = apply_fd_meta(u, e, fd);
    if (r < 0)
        return r;
    entry_times(e, ts);
    if (futimens(fd, ts) < 0)
        return refuse(u, -errno, "cannot set times: %s", strerrordesc_np(errno));
    return 0;
}

/* A directory listed twice, or after its children made it, is merged: the
 * later entry's metadata wins. Its times wait for the end, since writing its
 * children would change them. */
static int make_dir(struct unpack *u, struct archive_entry *e, int pfd, const char *base, const char *path)
{
    struct stat st;

    if (mkdirat(pfd, base, 0700) < 0) {
        if (errno != EEXIST)
            return refuse(u, -errno, "cannot create the directory: %s", strerrordesc_np(errno));
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return refuse(u, -errno, "cannot inspect the existing path: %s", strerrordesc_np(errno));
        if (!S_ISDIR(st.st_mode))
            return duplicate(u);
    }
    _cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return refuse(u, -errno, "cannot open the directory: %s", strerrordesc_np(errno));
    int r = apply_fd_meta(u, e, fd);
    if (r < 0)
        return r;

    if (u->n_dirs == u->cap_dirs) {
        size_t cap = u->cap_dirs ? u->cap_dirs * 2 : 64;
        struct dir_time *d = reallocarray(u->dirs, cap, sizeof(*d));
        if (!d)
            return err_set(-ENOMEM, "%s: out of memory", u->label);
        u->dirs = d;
        u->cap_dirs = cap;
    }
    char *copy = strdup(path);
    if (!copy)
        return err_set(-ENOMEM, "%s: out of memory", u->label);
    u->dirs[u->n_dirs].path = copy;
    entry_times(e, u->dirs[u->n_dirs].ts);
    u->n_dirs++;
    return 0;
}

static int make_symlink(struct unpack *u, struct archive_entry *e, int pfd, const char *base)
{
    const char *target = archive_entry_symlink(e);

    /* Any target is fine: it is only ever resolved inside the container's root. */
    if (!target || !*target)
        return refuse(u, -EBADMSG, "symlink without a target; the archive is broken");
    if (symlinkat(target, pfd, base) < 0)
        return errno == EEXIST ? duplicate(u)
                               : refuse(u, -errno, "cannot create the symlink: %s", strerrordesc_np(errno));
    return apply_path_meta(u, e, pfd, base, false);
}

static int make_node(struct unpack *u, struct archive_entry *e, int pfd, const char *base, mode_t type)
{
    dev_t dev = type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));

    if (mknodat(pfd, base, type | 0600, dev) < 0)
        return errno == EEXIST ? duplicate(u) : refuse(u, -errno, "cannot create the node: %s", strerrordesc_np(errno));
    return apply_path_meta(u, e, pfd, base, true);
}

/* The target must already be in this layer: the directory starts empty, so
 * anything found beneath it was extracted from this archive. */
static int make_hardlink(struct unpack *u, struct archive_entry *e, int pfd, const char *base)
{
    const char *raw = archive_entry_hardlink(e);
    _cleanup_free_ char *target = malloc(strlen(raw) + 1);
    char shown[256];

    if (!target)
        return err_set(-ENOMEM, "%s: out of memory", u->label);
    printable(raw, shown, sizeof(shown));
    if (clean_path(raw, target) < 0)
        return refuse(u, -EXDEV, "hardlink target %s lies outside the layer; the archive is hostile, do not load it",
                      shown);
    if (!*target)
        return refuse(u, -EBADMSG, "hardlink to the layer root; the archive is broken");

    char *slash = strrchr(target, '/');
    const char *tbase = slash ? slash + 1 : target;
    _cleanup_close_ int tfd = -1;
    if (slash) {
        *slash = '\0';
        tfd = open_beneath(u->root_fd, target);
        if (tfd < 0) {
            int r = tfd;
            tfd = -1;
            return refuse(u, r,
                          "hardlink target %s is not an earlier entry of this layer (%s); a layer may only link "
                          "to files it contains, listed before the link",
                          shown, strerrordesc_np(-r));
        }
    }
    if (linkat(tfd >= 0 ? tfd : u->root_fd, tbase, pfd, base, 0) < 0) {
        if (errno == EEXIST)
            return duplicate(u);
        return refuse(u, -errno,
                      "hardlink target %s is not an earlier file of this layer (%s); a layer may only link "
                      "to files it contains, listed before the link",
                      shown, strerrordesc_np(errno));
    }
    return 0;
}

/* ---- whiteouts ---- */

static int make_opaque(struct unpack *u, const char *parent)
{
    int pfd;
    int r = get_parent(u, parent, true, &pfd);

    if (r < 0)
        return r;
    _cleanup_close_ int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
        return refuse(u, -errno,
                      "cannot mark the directory opaque: %s; unpack as root on a filesystem with trusted "
                      "xattrs",
                      strerrordesc_np(errno));
    return 0;
}

/* ".wh.name" deletes name from lower layers: overlayfs spells that as a 0/0
 * character device. Other ".wh..wh." names are aufs bookkeeping and skipped. */
static int whiteout(struct unpack *u, const char *parent, const char *base)
{
    const char *name = base + strlen(WHITEOUT_PREFIX);
    int pfd, r;

    if (strcmp(base, WHITEOUT_OPAQUE) == 0)
        return make_opaque(u, parent);
    if (strncmp(base, WHITEOUT_META_PREFIX, strlen(WHITEOUT_META_PREFIX)) == 0)
        return 0;
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return refuse(u, -EBADMSG, "whiteout without a valid name; the archive is broken");
    r = get_parent(u, parent, true, &pfd);
    if (r < 0)
        return r;
    if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
        return errno == EEXIST ? duplicate(u)
                               : refuse(u, -errno, "cannot create the whiteout: %s", strerrordesc_np(errno));
    return 0;
}

/* ---- one entry ---- */

static int check_entry(struct unpack *u, struct archive_entry *e, unsigned type, uint64_t *ret_size)
{
    const struct layer_policy *p = u->policy;
    mode_t perm = archive_entry_perm(e);
    la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;

    if (archive_entry_uid(e) < 0 || archive_entry_uid(e) >= UINT32_MAX || archive_entry_gid(e) < 0 ||
        archive_entry_gid(e) >= UINT32_MAX)
        return refuse(u, -ERANGE, "owner %jd:%jd is out of range; the archive is broken",
                      (intmax_t)archive_entry_uid(e), (intmax_t)archive_entry_gid(e));
    if (!p->allow_setuid && ((perm & S_ISUID) || ((perm & S_ISGID) && type != AE_IFDIR)))
        return refuse(u, -EPERM,
                      "has the setuid/setgid bit (mode %o) and this policy refuses them; allow setuid "
                      "files or rebuild the image without them",
                      perm & 07777);
    if ((type == AE_IFCHR || type == AE_IFBLK) && !p->allow_devices)
        return refuse(u, -EPERM,
                      "is a device node (%u:%u) and this policy refuses them; allow devices or rebuild the "
                      "image without it",
                      (unsigned)archive_entry_rdevmajor(e), (unsigned)archive_entry_rdevminor(e));
    *ret_size = 0;
    if (type != AE_IFREG || archive_entry_hardlink(e))
        return 0;
    if (size < 0)
        return refuse(u, -EBADMSG, "negative size; the archive is broken");
    if ((uint64_t)size > p->max_file_size)
        return refuse(u, -EFBIG,
                      "claims %ju bytes, over the %ju-byte limit for one file; the archive is hostile, or "
                      "raise the limit",
                      (uintmax_t)size, (uintmax_t)p->max_file_size);
    if ((uint64_t)size > p->max_total_size - u->total)
        return refuse(u, -EFBIG, "takes the layer over its %ju-byte limit; the archive is hostile, or raise the limit",
                      (uintmax_t)p->max_total_size);
    u->total += (uint64_t)size;
    *ret_size = (uint64_t)size;
    return 0;
}

static int unpack_entry(struct unpack *u, struct stream *s, struct archive_entry *e)
{
    const char *raw = archive_entry_pathname(e);
    unsigned type = archive_entry_filetype(e);
    uint64_t size = 0;
    int pfd, r;

    if (!raw)
        return refuse(u, -EBADMSG, "has no usable name; the archive is broken");
    _cleanup_free_ char *path = malloc(strlen(raw) + 1);
    _cleanup_free_ char *parent = malloc(strlen(raw) + 1);
    if (!path || !parent)
        return err_set(-ENOMEM, "%s: out of memory", u->label);
    if (clean_path(raw, path) < 0)
        return refuse(u, -EXDEV, "its name climbs out of the layer with '..'; the archive is hostile, do not load it");
    r = check_xattrs(u, e);
    if (r < 0)
        return r;
    r = check_entry(u, e, type, &size);
    if (r < 0)
        return r;

    if (!*path) {
        if (type != AE_IFDIR || archive_entry_hardlink(e))
            return refuse(u, -EBADMSG, "names the layer root but is not a directory; the archive is broken");
        return make_dir(u, e, u->root_fd, ".", path);
    }
    char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash) {
        memcpy(parent, path, (size_t)(slash - path));
        parent[slash - path] = '\0';
    } else {
        parent[0] = '\0';
    }

    /* aufs metadata (.wh..wh.plnk, .wh..wh.aufs) lives at the top with its
     * contents; docker skips all of it. Hardlinks into it are not supported. */
    if (strncmp(path, WHITEOUT_META_PREFIX, strlen(WHITEOUT_META_PREFIX)) == 0 && strcmp(path, WHITEOUT_OPAQUE) != 0)
        return 0;
    if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
        return whiteout(u, parent, base);

    r = get_parent(u, parent, true, &pfd);
    if (r < 0)
        return r;
    if (archive_entry_hardlink(e))
        return make_hardlink(u, e, pfd, base);
    switch (type) {
    case AE_IFREG:
        return make_file(u, s, e, pfd, base, size);
    case AE_IFDIR:
        return make_dir(u, e, pfd, base, path);
    case AE_IFLNK:
        return make_symlink(u, e, pfd, base);
    case AE_IFCHR:
        return make_node(u, e, pfd, base, S_IFCHR);
    case AE_IFBLK:
        return make_node(u, e, pfd, base, S_IFBLK);
    case AE_IFIFO:
        return make_node(u, e, pfd, base, S_IFIFO);
    default:
        return refuse(u, -ENOTSUP,
                      "has unsupported type %#o (sockets and the like cannot be unpacked); rebuild the "
                      "layer without it",
                      type);
    }
}

static int apply_dir_times(struct unpack *u)
{
    for (size_t i = 0; i < u->n_dirs; i++) {
        char *path = u->dirs[i].path;
        char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : (*path ? path : ".");
        int pfd, r;

        if (slash)
            *slash = '\0';
        u->entry = "(directory times)";
        r = get_parent(u, slash ? path : "", false, &pfd);
        if (slash)
            *slash = '/';
        if (r < 0)
            return r;
        if (utimensat(pfd, base, u->dirs[i].ts, AT_SYMLINK_NOFOLLOW) < 0)
            return err_set(-errno, "%s: cannot set the times of directory %s: %s", u->label, path,
                           strerrordesc_np(errno));
    }
    return 0;
}

static void unpack_free(struct unpack *u)
{
    for (size_t i = 0; i < u->n_dirs; i++)
        free(u->dirs[i].path);
    free(u->dirs);
    free(u->cache_path);
    if (u->cache_fd >= 0)
        close(u->cache_fd);
}

/* Walk the tar; u NULL means only read it (digests and sizes). */
static int run(int in_fd, struct unpack *u, const char *label, struct layer_result *ret)
{
    _cleanup_(stream_free) struct stream s = {0};
    struct layer_result res = {0};
    char shown[256] = "(before the first entry)";
    int r = stream_open(&s, in_fd, label);

    if (r < 0)
        return r;
    for (bool empty = r == 1; !empty;) {
        struct archive_entry *e;

        r = archive_read_next_header(s.tar, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return stream_error(&s, label, shown);
        printable(archive_entry_pathname(e), shown, sizeof(shown));
        if (u) {
            u->entry = shown;
            r = unpack_entry(u, &s, e);
            if (r < 0)
                return r;
        }
        /* dockerd's layer size: bytes of files and symlink targets, each
         * inode once (what a walk of the diff directory adds up). */
        if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) && archive_entry_size(e) > 0)
            res.unpacked_size += (uint64_t)archive_entry_size(e);
        else if (archive_entry_filetype(e) == AE_IFLNK && archive_entry_symlink(e))
            res.unpacked_size += strlen(archive_entry_symlink(e));
    }
    if (u) {
        r = apply_dir_times(u);
        if (r < 0)
            return r;
    }
    r = stream_finish(&s, label, &res);
    if (r < 0)
        return r;
    *ret = res;
    return 0;
}

int layer_unpack(int in_fd, int dir_fd, const struct layer_policy *policy, struct layer_result *ret)
{
    struct layer_policy defaults;

    if (!policy) {
        layer_policy_init(&defaults);
        policy = &defaults;
    }
    _cleanup_(unpack_free) struct unpack u = {
        .policy = policy,
        .label = policy->label ? policy->label : "layer",
        .root_fd = dir_fd,
        .cache_fd = -1,
        .entry = "(none)",
    };
    return run(in_fd, &u, u.label, ret);
}

int layer_digest(int in_fd, struct layer_result *ret)
{
    return run(in_fd, NULL, "layer", ret);
}
