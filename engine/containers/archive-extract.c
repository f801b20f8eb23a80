/* docker cp into a container: extract a tar (maybe compressed) into a
 * directory of the container's view, with dockerd's overwrite rules and
 * messages. Each entry's directory resolves in the container's scope
 * (fs_resolve), the entry itself is made with *at calls that never follow
 * its name, and names, symlinks and hardlinks that leave the target are refused. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctr-fs.h"
#include "cleanup.h"
#include "error.h"
#include "layer-unpack.h"

#define READ_CHUNK (256 * 1024)

struct dir_time {
    char *cpath;
    struct timespec ts[2];
};

struct extract {
    const struct fs_view *v;
    const struct fs_extract_opts *o;
    const char *dest; /* canonical container path of the target directory */
    struct dir_time *dirs;
    size_t n_dirs;
};

/* dockerd reports untar failures as one 500 with this prefix. */
static int tar_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tar_error(int err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(err == -ENOMEM ? err : -EIO, "Error processing tar file(exit status 1): %s", msg);
}

static char *join(const char *a, const char *b)
{
    char *out;
    if (!*b)
        return strdup(a);
    return asprintf(&out, "%s%s%s", a, strcmp(a, "/") ? "/" : "", b) < 0 ? NULL : out;
}

/* Remove name beneath dir_fd, a whole tree if it is a directory, without
 * ever following a symlink. */
static int remove_all(int dir_fd, const char *name, int depth)
{
    if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -errno;
    if (depth > 512)
        return -ELOOP;
    int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    struct dirent *de;
    int r = 0;
    while (r >= 0 && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            r = remove_all(dirfd(d), de->d_name, depth + 1);
    closedir(d);
    if (r < 0)
        return r;
    return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1] = (struct timespec){.tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e)};
    ts[0] = archive_entry_atime_is_set(e)
                ? (struct timespec){.tv_sec = archive_entry_atime(e), .tv_nsec = archive_entry_atime_nsec(e)}
                : ts[1];
}

/* The owner to give, as a host id: a remapped container's ids shift. */
static int owner_of(struct extract *x, struct archive_entry *e, uid_t *uid, gid_t *gid)
{
    uint32_t cu = x->o->chown_uid >= 0 ? (uint32_t)x->o->chown_uid : (uint32_t)archive_entry_uid(e);
    uint32_t cg = x->o->chown_gid >= 0 ? (uint32_t)x->o->chown_gid : (uint32_t)archive_entry_gid(e);
    int64_t hu = fs_id_to_host(x->v->remap, cu, false), hg = fs_id_to_host(x->v->remap, cg, true);
    if (hu < 0)
        return tar_error(-ERANGE, "Container ID %u cannot be mapped to a host ID", cu);
    if (hg < 0)
        return tar_error(-ERANGE, "Container ID %u cannot be mapped to a host ID", cg);
    *uid = (uid_t)hu;
    *gid = (gid_t)hg;
    return 0;
}

/* xattrs the archive carries, as dockerd's untar sets them; overlayfs's own
 * (trusted.overlay.*) are never taken from a client. */
static void apply_xattrs(struct archive_entry *e, int fd)
{
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
        if (strncmp(name, "trusted.overlay.", 16) != 0)
            (void)fsetxattr(fd, name, value, size, 0);
}

static int write_data(struct archive *a, int fd, const char *shown)
{
    for (;;) {
        const void *block;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(a, &block, &len, &off);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN)
            return tar_error(-EIO, "%s: %s", shown, archive_error_string(a));
        for (size_t done = 0; done < len;) {
            ssize_t n = pwrite(fd, (const char *)block + done, len - done, off + (off_t)done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return tar_error(-errno, "write %s: %s", shown, strerror(errno));
            done += (size_t)n;
        }
    }
}

static int remember_dir(struct extract *x, const char *cpath, struct archive_entry *e)
{
    struct dir_time *d = reallocarray(x->dirs, x->n_dirs + 1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    x->dirs = d;
    d[x->n_dirs].cpath = strdup(cpath);
    if (!d[x->n_dirs].cpath)
        return -ENOMEM;
    entry_times(e, d[x->n_dirs].ts);
    x->n_dirs++;
    return 0;
}

/* Make the entry base in pfd (no object by that name exists now). */
static int create(struct extract *x, struct archive *a, struct archive_entry *e, int pfd, const char *base,
                  const char *cpath, const char *rel)
{
    uid_t uid = 0;
    gid_t gid = 0;
    int q = owner_of(x, e, &uid, &gid);
    if (q < 0)
        return q;
    mode_t perm = archive_entry_perm(e) & 07777;
    struct timespec ts[2];
    entry_times(e, ts);
    const char *hl = archive_entry_hardlink(e);
    if (hl) {
        _cleanup_free_ char *clean = malloc(strlen(hl) + 1), *tpath = NULL;
        if (!clean)
            return -ENOMEM;
        _cleanup_free_ char *shown = join(x->dest, hl);
        if (layer_clean_path(hl, clean) < 0 || !*clean)
            return tar_error(-EXDEV, "invalid hardlink \"%s\" -> \"%s\"", shown ? shown : hl, hl);
        tpath = join(x->dest, clean);
        if (!tpath)
            return -ENOMEM;
        char *slash = strrchr(tpath, '/');
        *slash = '\0';
        _cleanup_close_ int tdir = -1;
        int r = fs_resolve(x->v, *tpath ? tpath : "/", FS_FOLLOW_LAST, &tdir, NULL);
        if (r < 0 || linkat(tdir, slash + 1, pfd, base, 0) < 0)
            return tar_error(r < 0 ? r : -errno, "link %s %s: %s", hl, cpath, strerror(r < 0 ? -r : errno));
        return 0;
    }
    switch (archive_entry_filetype(e)) {
    case AE_IFREG: {
        _cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return tar_error(-errno, "open %s: %s", cpath, strerror(errno));
        int r = write_data(a, fd, cpath);
        if (r < 0)
            return r;
        if (fchown(fd, uid, gid) < 0 || fchmod(fd, perm) < 0)
            return tar_error(-errno, "chown/chmod %s: %s", cpath, strerror(errno));
        apply_xattrs(e, fd);
        return futimens(fd, ts) < 0 ? tar_error(-errno, "chtimes %s: %s", cpath, strerror(errno)) : 0;
    }
    case AE_IFDIR: {
        if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
            return tar_error(-errno, "mkdir %s: %s", cpath, strerror(errno));
        _cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return tar_error(-errno, "open %s: %s", cpath, strerror(errno));
        if (fchown(fd, uid, gid) < 0 || fchmod(fd, perm) < 0)
            return tar_error(-errno, "chown/chmod %s: %s", cpath, strerror(errno));
        apply_xattrs(e, fd);
        return remember_dir(x, cpath, e);
    }
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        if (!target || !*target)
            return tar_error(-EBADMSG, "symlink %s has no target", cpath);
        /* dockerd checks the target joined to the link's directory stays
         * beneath the extraction point (an absolute one is joined too). */
        _cleanup_free_ char *parent_rel = strdup(rel), *j = NULL, *clean = NULL;
        if (!parent_rel)
            return -ENOMEM;
        char *slash = strrchr(parent_rel, '/');
        if (slash)
            *slash = '\0';
        else
            parent_rel[0] = '\0';
        if (asprintf(&j, "%s/%s", parent_rel, target) < 0 || !(clean = malloc(strlen(j) + 1)))
            return -ENOMEM;
        if (layer_clean_path(j, clean) < 0)
            return tar_error(-EXDEV, "invalid symlink \"%s\" -> \"%s\"", cpath, target);
        if (symlinkat(target, pfd, base) < 0)
            return tar_error(-errno, "symlink %s %s: %s", target, cpath, strerror(errno));
        break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
        /* dockerd's cp makes device nodes too; they exist only inside the
         * container's files, its device cgroup still decides their use. */
        mode_t type = archive_entry_filetype(e) == AE_IFCHR   ? S_IFCHR
                      : archive_entry_filetype(e) == AE_IFBLK ? S_IFBLK
                                                              : S_IFIFO;
        dev_t dev = type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (mknodat(pfd, base, type | 0600, dev) < 0)
            return tar_error(-errno, "mknod %s: %s", cpath, strerror(errno));
        /* The container may swap the node for a symlink at any moment: never
         * follow one (glibc does this through an O_PATH fd). */
        if (fchmodat(pfd, base, perm, AT_SYMLINK_NOFOLLOW) < 0)
            return tar_error(-errno, "chmod %s: %s", cpath, strerror(errno));
        break;
    }
    default:
        return tar_error(-ENOTSUP, "unhandled tar header type %o for %s", archive_entry_filetype(e), cpath);
    }
    if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return tar_error(-errno, "lchown %s: %s", cpath, strerror(errno));
    if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return tar_error(-errno, "chtimes %s: %s", cpath, strerror(errno));
    return 0;
}

static int extract_entry(struct extract *x, struct archive *a, struct archive_entry *e)
{
    const char *raw = archive_entry_pathname(e);
    if (!raw)
        return tar_error(-EBADMSG, "an entry has no name");
    _cleanup_free_ char *rel = malloc(strlen(raw) + 1);
    if (!rel)
        return -ENOMEM;
    if (layer_clean_path(raw, rel) < 0)
        return tar_error(-EXDEV, "\"%s\" is outside of \"%s\"", raw, x->dest);
    bool is_dir = archive_entry_filetype(e) == AE_IFDIR && !archive_entry_hardlink(e);
    if (!*rel)
        return 0; /* "." or "/": the target itself, which exists */
    _cleanup_free_ char *cpath = join(x->dest, rel);
    if (!cpath)
        return -ENOMEM;
    char *slash = strrchr(cpath, '/');
    const char *base = slash + 1;
    _cleanup_free_ char *parent = strndup(cpath, (size_t)(slash - cpath));
    if (!parent)
        return -ENOMEM;
    _cleanup_close_ int pfd = -1;
    int r = fs_resolve(x->v, *parent ? parent : "/", FS_FOLLOW_LAST | FS_CREATE_DIRS, &pfd, NULL);
    if (r < 0)
        return tar_error(r, "mkdir %s: %s", parent, strerror(-r));
    struct stat pst;
    if (fstat(pfd, &pst) < 0 || !S_ISDIR(pst.st_mode))
        return tar_error(-ENOTDIR, "mkdir %s: not a directory", parent);
    for (size_t i = 0; i < x->v->n; i++)
        if (strcmp(x->v->m[i].dest, cpath) == 0)
            return is_dir ? 0 : tar_error(-EBUSY, "cannot replace %s: a mount point", cpath);
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        bool here_dir = S_ISDIR(st.st_mode);
        if (x->o->no_overwrite_dir_non_dir && here_dir && !is_dir)
            return tar_error(-EEXIST, "cannot overwrite directory \"%s\" with non-directory \"%s\"", cpath, x->dest);
        if (x->o->no_overwrite_dir_non_dir && !here_dir && is_dir)
            return tar_error(-EEXIST, "cannot overwrite non-directory \"%s\" with directory \"%s\"", cpath, x->dest);
        if (!(here_dir && is_dir) && (r = remove_all(pfd, base, 0)) < 0)
            return tar_error(r, "remove %s: %s", cpath, strerror(-r));
    } else if (errno != ENOENT) {
        return tar_error(-errno, "lstat %s: %s", cpath, strerror(errno));
    }
    return create(x, a, e, pfd, base, cpath, rel);
}

static int apply_dir_times(struct extract *x)
{
    for (size_t i = x->n_dirs; i-- > 0;) {
        _cleanup_close_ int fd = -1;
        if (fs_resolve(x->v, x->dirs[i].cpath, 0, &fd, NULL) < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
            (void)futimens(dfd, x->dirs[i].ts);
    }
    return 0;
}

static int check_target(const struct fs_view *v, const char *path, const struct fs_extract_opts *o, char **ret_dest)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *dest = NULL, *bare = strdup(path);
    if (!bare)
        return -ENOMEM;
    /* The target is followed anyway; "file/" is "not a directory" below. */
    for (size_t n = strlen(bare); n > 1 && bare[n - 1] == '/'; n--)
        bare[n - 1] = '\0';
    int r = fs_resolve(v, bare, FS_FOLLOW_LAST, &fd, &dest);
    if (r == -ENOENT)
        return err_set(-ENOENT, "Could not find the file %s in container %s", path, o->container_name);
    if (r < 0)
        return err_set(r == -ENOTDIR ? -EIO : r, "lstat %s: %s", path, strerror(-r));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return err_set(-ENOTDIR, "extraction point is not a directory");
    const struct fs_mount *m = fs_view_mount_of(v, dest);
    if (m && m->ro)
        return err_set(-EROFS, "mounted volume is marked read-only");
    if (!m && o->rootfs_readonly)
        return err_set(-EROFS, "container rootfs is marked read-only");
    *ret_dest = TAKE_PTR(dest);
    return 0;
}

int fs_extract(const struct fs_view *v, const char *path, int in_fd, const struct fs_extract_opts *o)
{
    _cleanup_free_ char *dest = NULL;
    int r = check_target(v, path, o, &dest);
    if (r < 0)
        return r;
    struct archive *a = archive_read_new();
    if (!a)
        return -ENOMEM;
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_format_empty(a);
    struct extract x = {.v = v, .o = o, .dest = dest};
    if (archive_read_open_fd(a, in_fd, READ_CHUNK) != ARCHIVE_OK) {
        r = tar_error(-EINVAL, "%s", archive_error_string(a));
    } else {
        for (;;) {
            struct archive_entry *e;
            int s = archive_read_next_header(a, &e);
            if (s == ARCHIVE_EOF)
                break;
            if (s < ARCHIVE_WARN) {
                r = tar_error(-EINVAL, "%s", archive_error_string(a));
                break;
            }
            r = extract_entry(&x, a, e);
            if (r < 0)
                break;
        }
    }
    if (r >= 0)
        apply_dir_times(&x);
    /* Drain what the client still sends, so it sees our answer, not a reset. */
    char sink[65536];
    while (r < 0 && read(in_fd, sink, sizeof(sink)) > 0) {
    }
    archive_read_free(a);
    for (size_t i = 0; i < x.n_dirs; i++)
        free(x.dirs[i].cpath);
    free(x.dirs);
    return r;
}
