/* Path resolution inside a container's filesystem view for docker cp: one
 * component at a time, each opened O_PATH|O_NOFOLLOW beneath a directory fd
 * we already trust, symlinks re-read and re-walked in the container's scope
 * and ".." taken lexically. The kernel never follows a container's symlink. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctr-fs.h"
#include "cleanup.h"
#include "container.h"
#include "error.h"
#include "userns.h"

#define MAX_SYMLINKS 40

/* "/a//b/./c/" -> "/a/b/c"; ".." pops, never above "/". */
static char *clean_abs(const char *in)
{
    size_t len = strlen(in);
    char *out = malloc(len + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    while (*in) {
        const char *end = strchrnul(in, '/');
        size_t n = (size_t)(end - in);
        if (n == 0 || (n == 1 && in[0] == '.')) {
        } else if (n == 2 && in[0] == '.' && in[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            out[o++] = '/';
            memcpy(out + o, in, n);
            o += n;
        }
        in = *end ? end + 1 : end;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

int fs_view_add_mount(struct fs_view *v, const char *dest, const char *source, bool ro)
{
    _cleanup_free_ char *d = clean_abs(dest);
    if (!d)
        return -ENOMEM;
    _cleanup_close_ int fd = open(source, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return err_set(-errno, "bind source %s of %s: %s; recreate the container with an existing path", source,
                       dest, strerror(errno));
    struct fs_mount *m = reallocarray(v->m, v->n + 1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    v->m = m;
    m[v->n++] = (struct fs_mount){.dest = TAKE_PTR(d), .fd = TAKE_FD(fd), .ro = ro};
    return 0;
}

void fs_view_free(struct fs_view *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->m[i].dest);
        close(v->m[i].fd);
    }
    free(v->m);
    v->m = NULL;
    v->n = 0;
}

const struct fs_mount *fs_view_mount_of(const struct fs_view *v, const char *cpath)
{
    const struct fs_mount *best = NULL;
    for (size_t i = 0; i < v->n; i++) {
        size_t n = strlen(v->m[i].dest);
        if (strncmp(cpath, v->m[i].dest, n) == 0 && (cpath[n] == '\0' || cpath[n] == '/' || n == 1) &&
            (!best || n > strlen(best->dest)))
            best = &v->m[i];
    }
    return best;
}

static const struct fs_mount *mount_at(const struct fs_view *v, const char *cpath)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->m[i].dest, cpath) == 0)
            return &v->m[i];
    return NULL;
}

static atomic_bool no_openat2;

/* One name beneath dir_fd, never followed, never crossing into another mount
 * of the host (the view's own mounts are switched in by the caller). */
static int open_child(int dir_fd, const char *name)
{
    if (!atomic_load(&no_openat2)) {
        struct open_how how = {
            .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        for (int tries = 0; tries < 8; tries++) {
            long fd = syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
            if (fd >= 0)
                return (int)fd;
            if (errno == EAGAIN)
                continue;
            if (errno != ENOSYS)
                return -errno;
            atomic_store(&no_openat2, true);
            break;
        }
        if (!atomic_load(&no_openat2))
            return -EAGAIN;
    }
    int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* The child name of directory cpath (fd dir_fd), switching to a mount's
 * source where the view binds one. */
static int step(const struct fs_view *v, int dir_fd, const char *child_cpath, const char *name)
{
    const struct fs_mount *m = mount_at(v, child_cpath);
    if (m) {
        int fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
        return fd < 0 ? -errno : fd;
    }
    return open_child(dir_fd, name);
}

static int root_dup(const struct fs_view *v)
{
    const struct fs_mount *m = mount_at(v, "/");
    int fd = fcntl(m ? m->fd : v->root_fd, F_DUPFD_CLOEXEC, 3);
    return fd < 0 ? -errno : fd;
}

/* Re-open a canonical path (no symlinks in it a moment ago) from the root;
 * a component swapped for a symlink meanwhile fails rather than being followed. */
static int reopen(const struct fs_view *v, const char *cpath)
{
    _cleanup_close_ int cur = root_dup(v);
    if (cur < 0)
        return cur;
    _cleanup_free_ char *copy = strdup(cpath), *sofar = calloc(1, strlen(cpath) + 2);
    if (!copy || !sofar)
        return -ENOMEM;
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        strcat(strcat(sofar, "/"), c);
        int fd = step(v, cur, sofar, c);
        if (fd < 0)
            return fd;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
            close(fd);
            return -ENOTDIR;
        }
        close(cur);
        cur = fd;
    }
    return TAKE_FD(cur);
}

static int read_link(int fd, char **ret)
{
    size_t cap = 256;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf)
            return -ENOMEM;
        ssize_t n = readlinkat(fd, "", buf, cap);
        if (n < 0) {
            free(buf);
            return -errno;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            *ret = buf;
            return 0;
        }
        free(buf);
        if (cap > 65536)
            return -ENAMETOOLONG;
        cap *= 4;
    }
}

/* Prepend head to the unresolved rest ("head/rest"). */
static int push_front(char **rest, const char *head)
{
    char *n;
    if (asprintf(&n, "%s/%s", head, *rest ? *rest : "") < 0)
        return -ENOMEM;
    free(*rest);
    *rest = n;
    return 0;
}

/* Pop the next component of *rest into buf; false when none is left. */
static bool next_component(char *rest, char *buf, size_t cap, bool *ret_last)
{
    size_t i = 0;
    while (rest[i] == '/')
        i++;
    if (!rest[i])
        return false;
    size_t start = i;
    while (rest[i] && rest[i] != '/')
        i++;
    size_t n = i - start < cap - 1 ? i - start : cap - 1;
    memcpy(buf, rest + start, n);
    buf[n] = '\0';
    while (rest[i] == '/')
        i++;
    *ret_last = rest[i] == '\0';
    memmove(rest, rest + i, strlen(rest + i) + 1);
    return true;
}

int fs_resolve(const struct fs_view *v, const char *path, unsigned flags, int *ret_fd, char **ret_path)
{
    _cleanup_free_ char *rest = strdup(path ? path : "");
    _cleanup_free_ char *cur = calloc(1, 4096);
    _cleanup_close_ int cur_fd = root_dup(v);
    if (!rest || !cur)
        return -ENOMEM;
    if (cur_fd < 0)
        return cur_fd;
    int links = 0;
    char name[256];
    bool last;
    while (next_component(rest, name, sizeof(name), &last)) {
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = '\0';
            int fd = reopen(v, cur);
            if (fd < 0)
                return fd;
            close(cur_fd);
            cur_fd = fd;
            continue;
        }
        size_t cl = strlen(cur);
        if (cl + strlen(name) + 2 > 4096)
            return -ENAMETOOLONG;
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", cur, name);
        int fd = step(v, cur_fd, child, name);
        if (fd == -ENOENT && (flags & FS_CREATE_DIRS) && !last) {
            if (mkdirat(cur_fd, name, 0755) < 0 && errno != EEXIST)
                return -errno;
            fd = step(v, cur_fd, child, name);
        }
        if (fd == -ENOENT && (flags & FS_LEXICAL_REST)) {
            if (ret_path) {
                _cleanup_free_ char *joined = NULL;
                if (asprintf(&joined, "%s/%s", child, rest) < 0)
                    return -ENOMEM;
                char *clean = clean_abs(joined);
                if (!clean)
                    return -ENOMEM;
                *ret_path = clean;
            }
            if (ret_fd)
                *ret_fd = -1;
            return 0;
        }
        if (fd < 0)
            return fd == -ELOOP ? -ENOTDIR : fd;
        struct stat st;
        if (fstat(fd, &st) < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        if (S_ISLNK(st.st_mode) && (!last || (flags & FS_FOLLOW_LAST))) {
            _cleanup_free_ char *target = NULL;
            int r = read_link(fd, &target);
            close(fd);
            if (r < 0)
                return r;
            if (++links > MAX_SYMLINKS)
                return -ELOOP;
            if ((r = push_front(&rest, target)) < 0)
                return r;
            if (target[0] == '/') {
                cur[0] = '\0';
                int rfd = root_dup(v);
                if (rfd < 0)
                    return rfd;
                close(cur_fd);
                cur_fd = rfd;
            }
            continue;
        }
        if (!last && !S_ISDIR(st.st_mode)) {
            close(fd);
            return -ENOTDIR;
        }
        close(cur_fd);
        cur_fd = fd;
        memcpy(cur, child, strlen(child) + 1);
    }
    /* "file/" names a directory that is not there (lstat's ENOTDIR). */
    size_t plen = path ? strlen(path) : 0;
    if (plen > 0 && path[plen - 1] == '/' && cur[0]) {
        struct stat st;
        if (fstat(cur_fd, &st) < 0)
            return -errno;
        if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
            return -ENOTDIR;
    }
    if (ret_path) {
        char *p = strdup(cur[0] ? cur : "/");
        if (!p)
            return -ENOMEM;
        *ret_path = p;
    }
    if (ret_fd)
        *ret_fd = TAKE_FD(cur_fd);
    return 0;
}

uint32_t fs_go_mode(mode_t mode)
{
    uint32_t m = mode & 0777;
    if (mode & S_ISUID)
        m |= 1u << 23;
    if (mode & S_ISGID)
        m |= 1u << 22;
    if (mode & S_ISVTX)
        m |= 1u << 20;
    switch (mode & S_IFMT) {
    case S_IFDIR:
        m |= 1u << 31;
        break;
    case S_IFLNK:
        m |= 1u << 27;
        break;
    case S_IFIFO:
        m |= 1u << 25;
        break;
    case S_IFSOCK:
        m |= 1u << 24;
        break;
    case S_IFCHR:
        m |= (1u << 26) | (1u << 21);
        break;
    case S_IFBLK:
        m |= 1u << 26;
        break;
    default:
        break;
    }
    return m;
}

/* filepath.Base of the path as asked: "/" for the root, trailing "/" ignored. */
static void go_base(const char *path, char *buf, size_t cap)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 1 && path[0] == '/') {
        snprintf(buf, cap, "/");
        return;
    }
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    snprintf(buf, cap, "%.*s", (int)(n - start), path + start);
    if (!buf[0])
        snprintf(buf, cap, ".");
}

/* A trailing "/" or "/." means "what the link points to" (dockerd's
 * PreserveTrailingDotOrSeparator + Split). */
static bool wants_follow(const char *path)
{
    size_t n = strlen(path);
    return (n > 0 && path[n - 1] == '/') || (n >= 2 && strcmp(path + n - 2, "/.") == 0) || strcmp(path, ".") == 0;
}

int fs_path_stat(const struct fs_view *v, const char *path, json_t **ret)
{
    _cleanup_close_ int fd = -1;
    int r = fs_resolve(v, path, wants_follow(path) ? FS_FOLLOW_LAST : 0, &fd, NULL);
    if (r < 0)
        return r;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    _cleanup_free_ char *link = NULL;
    if (S_ISLNK(st.st_mode)) {
        r = fs_resolve(v, path, FS_FOLLOW_LAST | FS_LEXICAL_REST, NULL, &link);
        if (r < 0)
            return r;
    }
    char name[256], mtime[64];
    go_base(path, name, sizeof(name));
    format_time((int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, mtime, sizeof(mtime));
    *ret = json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name, "size", (json_int_t)st.st_size, "mode",
                     (json_int_t)fs_go_mode(st.st_mode), "mtime", mtime, "linkTarget", link ? link : "");
    return *ret ? 0 : -ENOMEM;
}

int64_t fs_id_to_host(const struct userns_remap *rm, uint32_t id, bool gid)
{
    if (!rm)
        return id;
    const struct userns_map *m = gid ? rm->gids : rm->uids;
    size_t n = gid ? rm->n_gids : rm->n_uids;
    for (size_t i = 0; i < n; i++)
        if (id >= m[i].inside && id - m[i].inside < m[i].count)
            return (int64_t)m[i].outside + (id - m[i].inside);
    return -ERANGE;
}

uint32_t fs_id_to_container(const struct userns_remap *rm, uint32_t id, bool gid)
{
    if (!rm)
        return id;
    const struct userns_map *m = gid ? rm->gids : rm->uids;
    size_t n = gid ? rm->n_gids : rm->n_uids;
    for (size_t i = 0; i < n; i++)
        if (id >= m[i].outside && id - m[i].outside < m[i].count)
            return m[i].inside + (id - m[i].outside);
    return 65534;
}
