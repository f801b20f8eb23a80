/* docker cp and docker export on a container: build its filesystem view (the
 * overlay root, mounted for the time of the call when the container is not
 * running, plus its bind mounts and the engine's /etc files) and hand it to
 * the fd-relative walkers. Nothing from the container is ever executed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctr-fs.h"
#include "cleanup.h"
#include "container.h"
#include "error.h"
#include "lifecycle-internal.h"
#include "rootfs.h"

/* Binds "src:dst[:opts]" and Mounts of type bind, as spec.c reads them. */
static int add_user_mounts(struct fs_view *v, json_t *hc)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(hc, "Binds"), i, b)
    {
        _cleanup_free_ char *spec = strdup(json_string_value(b) ?: "");
        if (!spec)
            return -ENOMEM;
        char *parts[3] = {0}, *save = NULL;
        int n = 0;
        for (char *p = strtok_r(spec, ":", &save); p && n < 3; p = strtok_r(NULL, ":", &save))
            parts[n++] = p;
        if (n < 2 || parts[0][0] != '/')
            continue;
        bool ro = n == 3 && strstr(parts[2], "ro") && !strstr(parts[2], "rw");
        int r = fs_view_add_mount(v, parts[1], parts[0], ro);
        if (r < 0)
            return r;
    }
    json_array_foreach(json_object_get(hc, "Mounts"), i, b)
    {
        const char *type = json_string_value(json_object_get(b, "Type"));
        const char *src = json_string_value(json_object_get(b, "Source"));
        const char *dst = json_string_value(json_object_get(b, "Target"));
        if (!type || strcmp(type, "bind") || !src || !dst)
            continue;
        int r = fs_view_add_mount(v, dst, src, json_is_true(json_object_get(b, "ReadOnly")));
        if (r < 0)
            return r;
    }
    return 0;
}

int ctr_fs_open(struct container_store *s, const char *id, bool with_mounts, struct ctr_fs *ret)
{
    struct container *c;
    int r = container_get(s, id, &c);
    if (r < 0)
        return r;
    struct ctr_fs f = {.s = s, .c = c, .root_fd = -1, .view = {.root_fd = -1}};
    pthread_mutex_lock(&c->op);
    f.op_held = true;
    if (c->removed) {
        ctr_fs_close(&f);
        return err_set(-ENOENT, "No such container: %s", id);
    }
    if (!c->rootfs_mounted) {
        /* Keep op until done: a start meanwhile would share our mount. */
        r = rootfs_mount(s, c);
        if (r < 0) {
            ctr_fs_close(&f);
            return r;
        }
        f.mounted_here = true;
    }
    char root[4096];
    container_run_path(s, c, "rootfs", root, sizeof(root));
    f.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (f.root_fd < 0) {
        r = err_set(-errno, "container %.12s: opening its root filesystem %s: %s", c->id, root, strerror(errno));
        ctr_fs_close(&f);
        return r;
    }
    f.view.root_fd = f.root_fd;
    f.view.remap = rootfs_remap_of(s, c);
    if (with_mounts) {
        /* The files the engine binds over /etc, when it has written them. */
        static const char *const etc[] = {"hostname", "hosts", "resolv.conf"};
        for (size_t i = 0; i < 3; i++) {
            char src[4096], dst[64];
            container_data_path(s, c, etc[i], src, sizeof(src));
            snprintf(dst, sizeof(dst), "/etc/%s", etc[i]);
            if (access(src, F_OK) == 0 && (r = fs_view_add_mount(&f.view, dst, src, false)) < 0)
                break;
        }
        pthread_mutex_lock(&s->lock);
        json_auto_t *hc = json_deep_copy(hc_of(c));
        pthread_mutex_unlock(&s->lock);
        if (r >= 0)
            r = add_user_mounts(&f.view, hc);
        if (r < 0) {
            ctr_fs_close(&f);
            return r;
        }
    }
    /* A running container's root stays reachable through our fd even if it
     * stops meanwhile (the unmount is lazy), so op need not block its stop. */
    if (!f.mounted_here) {
        pthread_mutex_unlock(&c->op);
        f.op_held = false;
    }
    *ret = f;
    return 0;
}

void ctr_fs_close(struct ctr_fs *f)
{
    fs_view_free(&f->view);
    if (f->root_fd >= 0)
        close(f->root_fd);
    f->root_fd = -1;
    if (f->mounted_here && rootfs_unmount(f->s, f->c) < 0)
        err_clear();
    if (f->op_held)
        pthread_mutex_unlock(&f->c->op);
    if (f->c)
        container_unref(f->s, f->c);
    f->c = NULL;
}

static int not_found(int r, const char *path, const char *id)
{
    if (r == -ENOENT)
        return err_set(-ENOENT, "Could not find the file %s in container %s", path, id);
    if (r == -ENOTDIR)
        return err_set(-EIO, "lstat %s: not a directory", path);
    if (r == -ELOOP)
        return err_set(-EIO, "lstat %s: too many levels of symbolic links", path);
    return err_set(r, "%s: %s", path, strerror(-r));
}

static int check_path(const char *path)
{
    if (!path || !*path)
        return err_set(-EINVAL, "bad parameter: pathcannot be empty");
    return 0;
}

int ctr_path_stat(struct container_store *s, const char *id, const char *path, json_t **ret)
{
    int r = check_path(path);
    if (r < 0)
        return r;
    struct ctr_fs f;
    if ((r = ctr_fs_open(s, id, true, &f)) < 0)
        return r;
    r = fs_path_stat(&f.view, path, ret);
    ctr_fs_close(&f);
    return r < 0 ? not_found(r, path, id) : 0;
}

int ctr_archive_get(struct container_store *s, const char *id, const char *path, int out_fd)
{
    int r = check_path(path);
    if (r < 0)
        return r;
    struct ctr_fs f;
    if ((r = ctr_fs_open(s, id, true, &f)) < 0)
        return r;
    struct fs_tar *t = NULL;
    r = fs_tar_open(out_fd, &t);
    if (r >= 0) {
        err_clear();
        r = fs_tar_path(t, &f.view, path);
        if (r < 0 && !*err_get())
            r = not_found(r, path, id);
        int q = fs_tar_close(t, r >= 0);
        if (r >= 0)
            r = q;
    }
    if (r >= 0)
        ctr_event_locking(s, f.c, "archive-path", NULL);
    ctr_fs_close(&f);
    return r;
}

int ctr_archive_put(struct container_store *s, const char *id, const char *path, int in_fd, json_t *opts)
{
    int r = check_path(path);
    if (r < 0)
        return r;
    struct ctr_fs f;
    if ((r = ctr_fs_open(s, id, true, &f)) < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    bool ro = json_is_true(json_object_get(hc_of(f.c), "ReadonlyRootfs"));
    const char *user = json_string_value(json_object_get(cfg_of(f.c), "User"));
    bool has_user = user && *user;
    pthread_mutex_unlock(&s->lock);
    struct fs_extract_opts o = {
        .no_overwrite_dir_non_dir = json_is_true(json_object_get(opts, "noOverwriteDirNonDir")),
        .rootfs_readonly = ro,
        .chown_uid = -1,
        .chown_gid = -1,
        .container_name = id,
    };
    /* cp -a: the container's user owns what arrives (dockerd's
     * tarCopyOptions); without a Config.User the archive's owners stay. */
    if (json_is_true(json_object_get(opts, "copyUIDGID")) && has_user) {
        int uid, gid;
        json_auto_t *gids = NULL;
        _cleanup_free_ char *home = NULL;
        r = rootfs_resolve_user(s, f.c, &uid, &gid, &gids, &home);
        o.chown_uid = uid;
        o.chown_gid = gid;
    }
    if (r >= 0)
        r = fs_extract(&f.view, path, in_fd, &o);
    if (r >= 0)
        ctr_event_locking(s, f.c, "extract-to-dir", NULL);
    ctr_fs_close(&f);
    return r;
}

int ctr_export(struct container_store *s, const char *id, int out_fd)
{
    struct ctr_fs f;
    int r = ctr_fs_open(s, id, false, &f);
    if (r < 0)
        return r;
    struct fs_tar *t = NULL;
    r = fs_tar_open(out_fd, &t);
    if (r >= 0) {
        fs_tar_set_remap(t, f.view.remap);
        r = fs_tar_tree(t, f.root_fd);
        int q = fs_tar_close(t, r >= 0);
        if (r >= 0)
            r = q;
    }
    if (r >= 0)
        ctr_event_locking(s, f.c, "export", NULL);
    ctr_fs_close(&f);
    return r;
}
