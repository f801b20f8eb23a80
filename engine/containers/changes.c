/* docker diff and the layer of docker commit: both read a container's overlay
 * upper dir (its writes) against the image's layers. Whiteouts (0/0 char
 * devices) are deletions, opaque dirs replace the lower ones; the files the
 * engine bind-mounts over /etc are its own, never the container's changes. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctr-fs.h"
#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "error.h"
#include "image-store.h"

#define KIND_MODIFIED 0
#define KIND_ADDED 1
#define KIND_DELETED 2

/* Mount targets the runtime makes for the engine's /etc files. */
static bool engine_file(const char *cpath)
{
    return !strcmp(cpath, "/etc/hostname") || !strcmp(cpath, "/etc/hosts") || !strcmp(cpath, "/etc/resolv.conf");
}

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dir_fd, const char *name)
{
    _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char v[4];
    return fd >= 0 && fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of directory name beneath dir_fd; *ret_fd its fd. */
static int list(int dir_fd, const char *name, int *ret_fd, char ***ret, size_t *ret_n)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        close(fd);
        return -ENOMEM;
    }
    char **v = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char **g = reallocarray(v, n + 1, sizeof(*v));
        if (!g)
            break;
        v = g;
        v[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof(*v), name_cmp);
    *ret_fd = fd;
    *ret = v;
    *ret_n = n;
    return 0;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* lstat of cpath in the topmost lower layer holding it, never following a
 * symlink of the layer (overlayfs does not either). */
static bool lower_stat(const int *lower_fds, size_t n, const char *cpath, struct stat *st)
{
    struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    for (size_t i = 0; i < n; i++) {
        long fd = syscall(SYS_openat2, lower_fds[i], cpath + 1, &how, sizeof(how));
        if (fd < 0)
            continue;
        int r = fstat((int)fd, st);
        close((int)fd);
        if (r == 0)
            return !is_whiteout(st);
    }
    return false;
}

struct walk {
    const int *lower_fds;
    size_t n_lower;
    json_t *out;
};

static void push(json_t *out, const char *cpath, int kind)
{
    json_array_append_new(out, json_pack("{s:s, s:i}", "Path", cpath, "Kind", kind));
}

/* An opaque upper dir hides its lower one: what the image had there and the
 * container did not recreate was deleted (dockerd reports each top-level
 * name, not their contents). */
static void hidden_by_opaque(struct walk *w, int upper_dir_fd, const char *cpath)
{
    struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    json_auto_t *seen = json_object();
    for (size_t i = 0; i < w->n_lower; i++) {
        long lfd = syscall(SYS_openat2, w->lower_fds[i], cpath[1] ? cpath + 1 : ".", &how, sizeof(how));
        if (lfd < 0)
            continue;
        int dfd;
        char **names;
        size_t n;
        if (list((int)lfd, ".", &dfd, &names, &n) < 0) {
            close((int)lfd);
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            struct stat st, ust;
            if (json_object_get(seen, names[k]))
                continue;
            json_object_set_new(seen, names[k], json_true());
            if (fstatat(dfd, names[k], &st, AT_SYMLINK_NOFOLLOW) < 0 || is_whiteout(&st) ||
                fstatat(upper_dir_fd, names[k], &ust, AT_SYMLINK_NOFOLLOW) == 0)
                continue;
            _cleanup_free_ char *child = NULL;
            if (asprintf(&child, "%s/%s", strcmp(cpath, "/") ? cpath : "", names[k]) >= 0 && !engine_file(child))
                push(w->out, child, KIND_DELETED);
        }
        bool opaque = is_opaque((int)lfd, ".");
        close(dfd);
        close((int)lfd);
        free_names(names, n);
        if (opaque)
            break;
    }
}

static int walk(struct walk *w, int dir_fd, const char *name, const char *cpath, int depth)
{
    int fd;
    char **names;
    size_t n;
    if (depth > 512)
        return -ELOOP;
    int r = list(dir_fd, name, &fd, &names, &n);
    if (r < 0)
        return r;
    for (size_t i = 0; r >= 0 && i < n; i++) {
        _cleanup_free_ char *child = NULL;
        if (asprintf(&child, "%s/%s", strcmp(cpath, "/") ? cpath : "", names[i]) < 0) {
            r = -ENOMEM;
            break;
        }
        struct stat st, lst;
        if (engine_file(child) || fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (is_whiteout(&st)) {
            push(w->out, child, KIND_DELETED);
            continue;
        }
        bool in_lower = lower_stat(w->lower_fds, w->n_lower, child, &lst);
        if (!S_ISDIR(st.st_mode)) {
            push(w->out, child, in_lower ? KIND_MODIFIED : KIND_ADDED);
            continue;
        }
        size_t at = json_array_size(w->out);
        bool opaque = in_lower && is_opaque(fd, names[i]);
        push(w->out, child, in_lower ? KIND_MODIFIED : KIND_ADDED);
        r = walk(w, fd, names[i], child, depth + 1);
        if (r >= 0 && opaque) {
            _cleanup_close_ int sub = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                hidden_by_opaque(w, sub, child);
        }
        /* A directory copied up only to hold a change below is reported
         * when something below is; on its own only if its owner or mode moved. */
        bool meta = !S_ISDIR(lst.st_mode) || lst.st_mode != st.st_mode || lst.st_uid != st.st_uid ||
                    lst.st_gid != st.st_gid;
        if (r >= 0 && in_lower && json_array_size(w->out) == at + 1 && !meta)
            json_array_remove(w->out, at);
    }
    close(fd);
    free_names(names, n);
    return r;
}

int fs_changes(int upper_fd, char *const *lower, size_t n_lower, json_t **ret)
{
    int *fds = calloc(n_lower + 1, sizeof(*fds));
    if (!fds)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n_lower; i++) {
        int fd = open(lower[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
            fds[k++] = fd;
    }
    struct walk w = {.lower_fds = fds, .n_lower = k, .out = json_array()};
    int r = walk(&w, upper_fd, ".", "/", 0);
    for (size_t i = 0; i < k; i++)
        close(fds[i]);
    free(fds);
    if (r < 0) {
        json_decref(w.out);
        return err_set(r, "reading the container's changes: %s", strerror(-r));
    }
    *ret = w.out;
    return 0;
}

/* ---- the layer of a commit ---- */

static int tar_walk(struct fs_tar *t, int dir_fd, const char *name, const char *rel, uint64_t *count, int depth)
{
    int fd;
    char **names;
    size_t n;
    if (depth > 512)
        return -ELOOP;
    int r = list(dir_fd, name, &fd, &names, &n);
    if (r < 0)
        return err_set(r, "reading the container's changes: %s", strerror(-r));
    for (size_t i = 0; r >= 0 && i < n; i++) {
        _cleanup_free_ char *entry = NULL, *cpath = NULL;
        if (asprintf(&entry, "%s%s", rel, names[i]) < 0 || asprintf(&cpath, "/%s", entry) < 0) {
            r = -ENOMEM;
            break;
        }
        struct stat st;
        if (engine_file(cpath) || fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (is_whiteout(&st)) {
            _cleanup_free_ char *wh = NULL;
            if (asprintf(&wh, "%s.wh.%s", rel, names[i]) < 0) {
                r = -ENOMEM;
                break;
            }
            r = fs_tar_add_empty(t, wh, &st);
            (*count)++;
            continue;
        }
        r = fs_tar_add_fd(t, fd, names[i], entry);
        (*count)++;
        if (r < 0 || !S_ISDIR(st.st_mode))
            continue;
        _cleanup_free_ char *sub = NULL;
        if (asprintf(&sub, "%s/", entry) < 0) {
            r = -ENOMEM;
            break;
        }
        if (is_opaque(fd, names[i])) {
            _cleanup_free_ char *opq = NULL;
            if (asprintf(&opq, "%s.wh..wh..opq", sub) < 0) {
                r = -ENOMEM;
                break;
            }
            r = fs_tar_add_empty(t, opq, &st);
        }
        if (r >= 0)
            r = tar_walk(t, fd, names[i], sub, count, depth + 1);
    }
    close(fd);
    free_names(names, n);
    return r;
}

int fs_tar_upper(struct fs_tar *t, int upper_fd, uint64_t *ret_entries)
{
    uint64_t count = 0;
    int r = tar_walk(t, upper_fd, ".", "", &count, 0);
    if (r >= 0)
        *ret_entries = count;
    return r;
}

/* ---- docker diff ---- */

int ctr_layer_dirs(struct container_store *s, const char *id, int *ret_upper, char ***ret_lower, size_t *ret_n,
                   char *ret_image_id, size_t cap)
{
    struct container *c;
    int r = container_get(s, id, &c);
    if (r < 0)
        return r;
    char upper[4096];
    container_data_path(s, c, "upper", upper, sizeof(upper));
    pthread_mutex_lock(&s->lock);
    snprintf(ret_image_id, cap, "%s", json_string_value(json_object_get(c->rec, "Image")) ?: "");
    pthread_mutex_unlock(&s->lock);
    container_unref(s, c);
    struct image_store *is = s->daemon->images;
    _cleanup_free_ char *lower = NULL;
    pthread_rwlock_rdlock(&is->lock);
    struct image *img = NULL;
    r = image_lookup(is, ret_image_id, &img);
    if (r >= 0)
        lower = image_lowerdir(is, img, 0);
    pthread_rwlock_unlock(&is->lock);
    if (r < 0)
        return err_set(r, "container %s: its image %s is gone", id, ret_image_id);
    char **v = NULL;
    size_t n = 0;
    char *save = NULL;
    for (char *p = lower ? strtok_r(lower, ":", &save) : NULL; p; p = strtok_r(NULL, ":", &save)) {
        char **g = reallocarray(v, n + 1, sizeof(*v));
        if (!g)
            break;
        v = g;
        v[n++] = strdup(p);
    }
    int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        free_names(v, n);
        return errno == ENOENT ? -ENODATA : err_set(-errno, "container %s: opening %s: %s", id, upper, strerror(errno));
    }
    *ret_upper = fd;
    *ret_lower = v;
    *ret_n = n;
    return 0;
}

int ctr_changes(struct container_store *s, const char *id, json_t **ret)
{
    int upper;
    char **lower;
    size_t n;
    char image[256];
    int r = ctr_layer_dirs(s, id, &upper, &lower, &n, image, sizeof(image));
    if (r == -ENODATA) {
        *ret = json_null(); /* never mounted: nothing changed yet */
        return 0;
    }
    if (r < 0)
        return r;
    json_t *out = NULL;
    r = fs_changes(upper, lower, n, &out);
    close(upper);
    free_names(lower, n);
    if (r < 0)
        return r;
    if (json_array_size(out) == 0) {
        json_decref(out);
        out = json_null();
    }
    *ret = out;
    return 0;
}
