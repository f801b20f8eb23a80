/* Writing container files as a tar stream (docker cp out, export, commit
 * layers). Every file is opened beneath a directory fd with O_NOFOLLOW and
 * checked against what was listed, so a file swapped meanwhile for a
 * symlink or a fifo is skipped or refused, never followed. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctr-fs.h"
#include "cleanup.h"
#include "error.h"

struct link_seen {
    dev_t dev;
    ino_t ino;
    char *name;
};

struct fs_tar {
    struct archive *a;
    int out_fd;
    struct archive_entry *e;
    struct link_seen *links;
    size_t n_links;
    const struct fs_view *view; /* NULL: no mount crossing */
    const struct userns_remap *remap;
    int io_errno;
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
    struct fs_tar *t = data;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(t->out_fd, (const char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            t->io_errno = errno;
            archive_set_error(a, errno, "writing the archive: %s", strerror(errno));
            return -1;
        }
        done += (size_t)n;
    }
    return (la_ssize_t)len;
}

int fs_tar_open(int out_fd, struct fs_tar **ret)
{
    struct fs_tar *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->out_fd = out_fd;
    t->a = archive_write_new();
    t->e = archive_entry_new();
    if (!t->a || !t->e || archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
        archive_write_add_filter_none(t->a) != ARCHIVE_OK || archive_write_set_bytes_in_last_block(t->a, 1) ||
        archive_write_open2(t->a, t, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
        fs_tar_close(t, false);
        return err_set(-ENOMEM, "tar writer: cannot start");
    }
    *ret = t;
    return 0;
}

int fs_tar_close(struct fs_tar *t, bool ok)
{
    if (!t)
        return 0;
    int r = 0;
    if (t->a) {
        if (ok && archive_write_close(t->a) != ARCHIVE_OK)
            r = err_set(t->io_errno ? -t->io_errno : -EIO, "writing the archive: %s", archive_error_string(t->a));
        archive_write_free(t->a);
    }
    if (t->e)
        archive_entry_free(t->e);
    for (size_t i = 0; i < t->n_links; i++)
        free(t->links[i].name);
    free(t->links);
    free(t);
    return r;
}

static int tar_failed(struct fs_tar *t, const char *name)
{
    return err_set(t->io_errno ? -t->io_errno : -EIO, "archiving %s: %s", name, archive_error_string(t->a));
}

/* A hard-linked file's first name, or NULL (then it is remembered as name). */
static const char *link_of(struct fs_tar *t, const struct stat *st, const char *name)
{
    if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
        return NULL;
    for (size_t i = 0; i < t->n_links; i++)
        if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
            return t->links[i].name;
    struct link_seen *l = reallocarray(t->links, t->n_links + 1, sizeof(*l));
    if (!l)
        return NULL;
    t->links = l;
    char *copy = strdup(name);
    if (copy)
        l[t->n_links++] = (struct link_seen){st->st_dev, st->st_ino, copy};
    return NULL;
}

void fs_tar_set_remap(struct fs_tar *t, const struct userns_remap *rm)
{
    t->remap = rm;
}

static void fill_entry(const struct fs_tar *t, struct archive_entry *e, const struct stat *st, const char *name)
{
    archive_entry_clear(e);
    archive_entry_copy_pathname(e, name);
    archive_entry_set_mode(e, st->st_mode);
    archive_entry_set_uid(e, fs_id_to_container(t->remap, st->st_uid, false));
    archive_entry_set_gid(e, fs_id_to_container(t->remap, st->st_gid, true));
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
        archive_entry_set_rdev(e, st->st_rdev);
    archive_entry_set_size(e, S_ISREG(st->st_mode) ? st->st_size : 0);
}

/* Copy exactly size bytes of fd; a file that shrank meanwhile is padded. */
static int copy_data(struct fs_tar *t, int fd, int64_t size, const char *name)
{
    static __thread char buf[64 * 1024];
    int64_t left = size;
    while (left > 0) {
        ssize_t n = read(fd, buf, left < (int64_t)sizeof(buf) ? (size_t)left : sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set(-errno, "reading %s: %s", name, strerror(errno));
        if (n == 0)
            break;
        if (archive_write_data(t->a, buf, (size_t)n) < 0)
            return tar_failed(t, name);
        left -= n;
    }
    memset(buf, 0, sizeof(buf));
    while (left > 0) {
        size_t n = left < (int64_t)sizeof(buf) ? (size_t)left : sizeof(buf);
        if (archive_write_data(t->a, buf, n) < 0)
            return tar_failed(t, name);
        left -= (int64_t)n;
    }
    return 0;
}

/* Write one object: fd is an O_PATH fd (or a readable one) of it, st its
 * stat. Regular files are reopened for reading through the fd itself, so
 * what is read is the inode that was checked. */
static int add_object(struct fs_tar *t, int fd, const struct stat *st, const char *name)
{
    _cleanup_free_ char *n = NULL;
    if (S_ISDIR(st->st_mode) && name[0] && name[strlen(name) - 1] != '/') {
        if (asprintf(&n, "%s/", name) < 0)
            return -ENOMEM;
    } else {
        n = strdup(name);
        if (!n)
            return -ENOMEM;
    }
    fill_entry(t, t->e, st, n);
    const char *first = link_of(t, st, n);
    if (first) {
        archive_entry_set_size(t->e, 0);
        archive_entry_copy_hardlink(t->e, first);
        return archive_write_header(t->a, t->e) < ARCHIVE_WARN ? tar_failed(t, n) : 0;
    }
    if (S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t len = readlinkat(fd, "", target, sizeof(target) - 1);
        if (len < 0)
            return err_set(-errno, "reading the symlink %s: %s", n, strerror(errno));
        target[len] = '\0';
        archive_entry_copy_symlink(t->e, target);
    } else if (S_ISSOCK(st->st_mode)) {
        return 0; /* docker's archiver skips sockets too */
    }
    _cleanup_close_ int data = -1;
    struct stat now;
    if (S_ISREG(st->st_mode)) {
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        /* Re-opening our own O_PATH fd reaches exactly that inode; O_NONBLOCK
         * in case it is not what it was. */
        data = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (data < 0)
            return err_set(-errno, "opening %s: %s", n, strerror(errno));
        if (fstat(data, &now) < 0 || now.st_ino != st->st_ino || now.st_dev != st->st_dev || !S_ISREG(now.st_mode))
            return err_set(-EAGAIN, "%s changed while it was archived; try again", n);
    }
    if (data >= 0) {
        /* File capabilities (ping and the like), the one xattr docker's
         * archives carry; a commit keeps them through its layer. */
        char cap[256];
        ssize_t len = fgetxattr(data, "security.capability", cap, sizeof(cap));
        if (len > 0)
            archive_entry_xattr_add_entry(t->e, "security.capability", cap, (size_t)len);
    }
    if (archive_write_header(t->a, t->e) < ARCHIVE_WARN)
        return tar_failed(t, n);
    return data >= 0 ? copy_data(t, data, st->st_size, n) : 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a directory (O_PATH fd fine), NULL-terminated. */
static int list_dir(int dir_fd, char ***ret)
{
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n + 2 > cap) {
            cap = cap ? cap * 2 : 32;
            char **g = reallocarray(v, cap, sizeof(*v));
            if (!g)
                break;
            v = g;
        }
        v[n++] = strdup(de->d_name);
        v[n] = NULL;
    }
    closedir(d);
    if (!v)
        v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    qsort(v, n, sizeof(*v), name_cmp);
    *ret = v;
    return 0;
}

static void free_list(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* fd: O_PATH of the object at container path cpath (NULL: no mount lookups),
 * archived as name. */
static int add_tree(struct fs_tar *t, int fd, const char *cpath, const char *name, int depth)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    int r = add_object(t, fd, &st, name);
    if (r < 0 || !S_ISDIR(st.st_mode))
        return r;
    if (depth > 512)
        return err_set(-ELOOP, "%s: directories nested too deep", name);
    char **names = NULL;
    r = list_dir(fd, &names);
    if (r < 0)
        return err_set(r, "listing %s: %s", name, strerror(-r));
    for (size_t i = 0; r >= 0 && names[i]; i++) {
        _cleanup_free_ char *child_name = NULL, *child_cpath = NULL;
        size_t nl = strlen(name);
        if (asprintf(&child_name, "%s%s%s", name, nl && name[nl - 1] != '/' ? "/" : "", names[i]) < 0 ||
            (cpath && asprintf(&child_cpath, "%s%s%s", cpath, strcmp(cpath, "/") ? "/" : "", names[i]) < 0)) {
            r = -ENOMEM;
            break;
        }
        const struct fs_mount *m = NULL;
        for (size_t k = 0; cpath && t->view && k < t->view->n && !m; k++)
            if (strcmp(t->view->m[k].dest, child_cpath) == 0)
                m = &t->view->m[k];
        int cfd = m ? fcntl(m->fd, F_DUPFD_CLOEXEC, 3) : openat(fd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0) {
            if (errno == ENOENT)
                continue; /* removed since it was listed */
            r = err_set(-errno, "opening %s: %s", child_name, strerror(errno));
            break;
        }
        r = add_tree(t, cfd, child_cpath, child_name, depth + 1);
        close(cfd);
    }
    free_list(names);
    return r;
}

/* dockerd's rebase: entries are named after the basename of the path as
 * asked ("d/…" for "/d" or "/d/", "./…" for "/d/.", "/…" for "/"). */
static void rebase_name(const char *path, char *buf, size_t cap)
{
    size_t n = strlen(path);
    if (n >= 2 && strcmp(path + n - 2, "/.") == 0) {
        snprintf(buf, cap, ".");
        return;
    }
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
}

int fs_tar_path(struct fs_tar *t, const struct fs_view *v, const char *path)
{
    size_t n = strlen(path);
    bool follow = (n > 0 && path[n - 1] == '/') || (n >= 2 && strcmp(path + n - 2, "/.") == 0);
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *cpath = NULL;
    int r = fs_resolve(v, path, follow ? FS_FOLLOW_LAST : 0, &fd, &cpath);
    if (r < 0)
        return r;
    char name[256];
    rebase_name(path, name, sizeof(name));
    t->view = v;
    t->remap = v->remap;
    return add_tree(t, fd, cpath, name, 0);
}

int fs_tar_tree(struct fs_tar *t, int dir_fd)
{
    char **names = NULL;
    int r = list_dir(dir_fd, &names);
    if (r < 0)
        return err_set(r, "listing the root filesystem: %s", strerror(-r));
    t->view = NULL;
    for (size_t i = 0; r >= 0 && names[i]; i++) {
        int cfd = openat(dir_fd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0)
            continue;
        r = add_tree(t, cfd, NULL, names[i], 1);
        close(cfd);
    }
    free_list(names);
    return r;
}

int fs_tar_add_fd(struct fs_tar *t, int dir_fd, const char *name, const char *entry_name)
{
    _cleanup_close_ int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return err_set(-errno, "opening %s: %s", entry_name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    return add_object(t, fd, &st, entry_name);
}

int fs_tar_add_empty(struct fs_tar *t, const char *entry_name, const struct stat *like)
{
    struct stat st = *like;
    st.st_mode = S_IFREG | 0644;
    st.st_size = 0;
    fill_entry(t, t->e, &st, entry_name);
    return archive_write_header(t->a, t->e) < ARCHIVE_WARN ? tar_failed(t, entry_name) : 0;
}
