/* The container's root filesystem, in its new mount namespace: propagation,
 * the spec's mounts in order, /dev, pivot_root, masked and read-only paths.
 * Destinations are resolved inside the rootfs (symlinks cannot escape it);
 * never mounts anything outside the container's mount namespace. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

typedef struct mount_opts {
    unsigned long flags, clear, propagation;
    char data[1024];
} mount_opts;

static void parse_options(const spec_mount *m, mount_opts *o)
{
    static const struct {
        const char *name;
        unsigned long set, clear, prop;
    } t[] = {
        {"ro", MS_RDONLY, 0, 0},
        {"rw", 0, MS_RDONLY, 0},
        {"nosuid", MS_NOSUID, 0, 0},
        {"suid", 0, MS_NOSUID, 0},
        {"nodev", MS_NODEV, 0, 0},
        {"dev", 0, MS_NODEV, 0},
        {"noexec", MS_NOEXEC, 0, 0},
        {"exec", 0, MS_NOEXEC, 0},
        {"sync", MS_SYNCHRONOUS, 0, 0},
        {"async", 0, MS_SYNCHRONOUS, 0},
        {"dirsync", MS_DIRSYNC, 0, 0},
        {"remount", MS_REMOUNT, 0, 0},
        {"mand", MS_MANDLOCK, 0, 0},
        {"nomand", 0, MS_MANDLOCK, 0},
        {"atime", 0, MS_NOATIME, 0},
        {"noatime", MS_NOATIME, 0, 0},
        {"diratime", 0, MS_NODIRATIME, 0},
        {"nodiratime", MS_NODIRATIME, 0, 0},
        {"relatime", MS_RELATIME, 0, 0},
        {"norelatime", 0, MS_RELATIME, 0},
        {"strictatime", MS_STRICTATIME, 0, 0},
        {"nostrictatime", 0, MS_STRICTATIME, 0},
        {"bind", MS_BIND, 0, 0},
        {"rbind", MS_BIND | MS_REC, 0, 0},
        {"private", 0, 0, MS_PRIVATE},
        {"rprivate", 0, 0, MS_PRIVATE | MS_REC},
        {"shared", 0, 0, MS_SHARED},
        {"rshared", 0, 0, MS_SHARED | MS_REC},
        {"slave", 0, 0, MS_SLAVE},
        {"rslave", 0, 0, MS_SLAVE | MS_REC},
        {"unbindable", 0, 0, MS_UNBINDABLE},
        {"runbindable", 0, 0, MS_UNBINDABLE | MS_REC},
    };
    memset(o, 0, sizeof(*o));
    size_t dl = 0;
    for (size_t i = 0; i < m->n_options; i++) {
        const char *opt = m->options[i];
        size_t j;
        for (j = 0; j < ARRAY_SIZE(t); j++)
            if (!strcmp(opt, t[j].name))
                break;
        if (j < ARRAY_SIZE(t)) {
            o->flags = (o->flags | t[j].set) & ~t[j].clear;
            o->clear |= t[j].clear;
            o->propagation |= t[j].prop;
        } else if (dl + strlen(opt) + 2 < sizeof(o->data)) {
            dl += (size_t)snprintf(o->data + dl, sizeof(o->data) - dl, "%s%s", dl ? "," : "", opt);
        }
    }
    if (m->type && !strcmp(m->type, "bind"))
        o->flags |= MS_BIND;
}

/* Resolve path (absolute, as seen in the container) inside root, following
 * symlinks as if root were "/". ret gets root + the resolved path. */
static int resolve_in_root(const char *root, const char *path, char *ret, size_t len)
{
    char rest[PATH_MAX], cur[PATH_MAX] = "";
    snprintf(rest, sizeof(rest), "%s", path);
    for (int hops = 0; rest[0];) {
        char *p = rest;
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        char comp[NAME_MAX + 1];
        snprintf(comp, sizeof(comp), "%.*s", (int)n, p);
        memmove(rest, p + n, strlen(p + n) + 1);
        if (!comp[0] || !strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = '\0';
            continue;
        }
        char full[PATH_MAX * 2];
        snprintf(full, sizeof(full), "%s%s/%s", root, cur, comp);
        char target[PATH_MAX];
        ssize_t tl = readlink(full, target, sizeof(target) - 1);
        if (tl < 0) {
            size_t cl = strlen(cur);
            snprintf(cur + cl, sizeof(cur) - cl, "/%s", comp);
            continue;
        }
        if (++hops > 40)
            return -ELOOP;
        target[tl] = '\0';
        char joined[PATH_MAX * 2];
        snprintf(joined, sizeof(joined), "%s/%s", target, rest);
        snprintf(rest, sizeof(rest), "%s", joined);
        if (target[0] == '/')
            cur[0] = '\0';
    }
    snprintf(ret, len, "%s%s", root, cur[0] ? cur : "/");
    return 0;
}

static int make_target(const char *dest, int is_dir)
{
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", dest);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        int r = rns_mkdir_p(parent, 0755);
        if (r < 0)
            return r;
    }
    if (is_dir)
        return rns_mkdir_p(dest, 0755);
    int fd = open(dest, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EISDIR)
        return -errno;
    if (fd >= 0)
        close(fd);
    return 0;
}

/* Keep the flags the kernel locked on a bind source when remounting it. */
static unsigned long locked_flags(const char *path)
{
    struct statvfs sv;
    if (statvfs(path, &sv) < 0)
        return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    return f;
}

static int mount_cgroup(const container_ctx *c, const char *dest, const mount_opts *o, rns_error *e)
{
    unsigned long fl = o->flags & ~MS_RDONLY;
    if (c->cgroup_version == 2) {
        if (mount("cgroup2", dest, "cgroup2", o->flags, NULL) < 0)
            return rns_err(e, -errno, "mount cgroup2 on %s: %s", dest, strerror(errno));
        return 0;
    }
    if (mount("tmpfs", dest, "tmpfs", fl, "mode=755") < 0)
        return rns_err(e, -errno, "mount tmpfs on %s: %s", dest, strerror(errno));
    _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
    char line[1024];
    while (f && fgets(line, sizeof(line), f)) {
        char *ctrl = strchr(line, ':');
        char *end = ctrl ? strchr(ctrl + 1, ':') : NULL;
        if (!end || end == ctrl + 1)
            continue; /* the v2 line of a hybrid host */
        *end = '\0';
        ctrl++;
        const char *name = strncmp(ctrl, "name=", 5) ? ctrl : ctrl + 5;
        char dir[PATH_MAX], data[300];
        snprintf(dir, sizeof(dir), "%s/%s", dest, name);
        snprintf(data, sizeof(data), "%s%s", strncmp(ctrl, "name=", 5) ? "" : "none,", ctrl);
        char *path = end + 1;
        path[strcspn(path, "\n")] = '\0';
        if (rns_mkdir_p(dir, 0755) < 0)
            return rns_err(e, -errno, "create %s: %s", dir, strerror(errno));
        int bound = 0;
        if (mount("cgroup", dir, "cgroup", o->flags & ~MS_RDONLY, data) < 0) {
            /* A user namespace may not mount a v1 hierarchy: bind the
             * container's own cgroup from the host's mount, as runc does. */
            char host[PATH_MAX * 2];
            snprintf(host, sizeof(host), "/sys/fs/cgroup/%s%s", name, path[0] == '/' && path[1] ? path : "");
            if (errno != EPERM || mount(host, dir, NULL, MS_BIND, NULL) < 0)
                return rns_err(e, -errno, "mount cgroup %s on %s: %s", data, dir, strerror(errno));
            bound = 1;
        }
        /* As runc does: the container sees its own cgroup as the hierarchy's
         * root, so memory.limit_in_bytes there is its own limit. */
        if (!bound && path[0] == '/' && path[1]) {
            char sub[PATH_MAX * 2];
            snprintf(sub, sizeof(sub), "%s%s", dir, path);
            if (mount(sub, dir, NULL, MS_BIND, NULL) < 0)
                return rns_err(e, -errno, "bind cgroup %s on %s: %s", sub, dir, strerror(errno));
        }
        if ((o->flags & MS_RDONLY) && mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
            return rns_err(e, -errno, "remount %s read-only: %s", dir, strerror(errno));
        if (strchr(name, ',')) {
            /* cpu,cpuacct: also reachable as cpu and cpuacct, as on the host. */
            char copy[256];
            snprintf(copy, sizeof(copy), "%s", name);
            char *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char link[PATH_MAX];
                snprintf(link, sizeof(link), "%s/%s", dest, t);
                if (symlink(name, link) < 0 && errno != EEXIST)
                    return rns_err(e, -errno, "symlink %s: %s", link, strerror(errno));
            }
        }
    }
    if ((o->flags & MS_RDONLY) && mount(NULL, dest, NULL, MS_REMOUNT | MS_RDONLY | fl, "mode=755") < 0)
        return rns_err(e, -errno, "remount %s read-only: %s", dest, strerror(errno));
    return 0;
}

static int mount_one(const container_ctx *c, const spec_mount *m, rns_error *e)
{
    const char *root = c->s->root_path;
    char dest[PATH_MAX * 2];
    int r = resolve_in_root(root, m->destination, dest, sizeof(dest));
    if (r < 0)
        return rns_err(e, r, "mount destination %s: %s", m->destination, strerror(-r));
    mount_opts o;
    parse_options(m, &o);
    const char *type = m->type ? m->type : "none";
    if (o.flags & MS_BIND) {
        struct stat st;
        if (!m->source || stat(m->source, &st) < 0)
            return rns_err(e, -errno, "bind mount source %s for %s: %s", m->source ? m->source : "(none)",
                           m->destination, strerror(errno));
        if ((r = make_target(dest, S_ISDIR(st.st_mode))) < 0)
            return rns_err(e, r, "create mount point %s: %s", m->destination, strerror(-r));
        if (mount(m->source, dest, NULL, MS_BIND | (o.flags & MS_REC), NULL) < 0)
            return rns_err(e, -errno, "bind %s on %s: %s", m->source, m->destination, strerror(errno));
        unsigned long extra = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (extra && mount(NULL, dest, NULL, MS_BIND | MS_REMOUNT | extra | locked_flags(dest), NULL) < 0)
            return rns_err(e, -errno, "remount bind %s with its options: %s", m->destination, strerror(errno));
    } else {
        if ((r = make_target(dest, 1)) < 0)
            return rns_err(e, r, "create mount point %s: %s", m->destination, strerror(-r));
        if (!strcmp(type, "cgroup") || !strcmp(type, "cgroup2")) {
            if ((r = mount_cgroup(c, dest, &o, e)) < 0)
                return r;
        } else if (!strcmp(type, "mqueue") && c->mqueue_fd > 0) {
            if (move_mount(c->mqueue_fd, "", AT_FDCWD, dest, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return rns_err(e, -errno, "attach the shared IPC namespace's mqueue on %s: %s", m->destination,
                               strerror(errno));
        } else if (mount(m->source ? m->source : type, dest, type, o.flags, o.data[0] ? o.data : NULL) < 0) {
            /* sysfs of a shared network namespace (mqueue of a shared IPC one)
             * cannot be mounted from a user namespace: bind the host's. */
            const char *host = !strcmp(type, "sysfs") ? "/sys" : !strcmp(type, "mqueue") ? "/dev/mqueue" : NULL;
            if (errno == EPERM && host && access(host, F_OK) < 0)
                return rns_err(e, -EPERM,
                               "mount %s on %s: the container's user namespace does not own the namespace it shares, "
                               "and the host has no %s to bind instead; mount one on the host, or run the "
                               "container with --userns=host",
                               type, m->destination, host);
            if (!(errno == EPERM && host) || mount(host, dest, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                mount(NULL, dest, NULL,
                      MS_BIND | MS_REMOUNT | (host[1] == 's' ? MS_RDONLY : o.flags & MS_RDONLY) | locked_flags(dest),
                      NULL) < 0)
                return rns_err(e, -errno, "mount %s (%s) on %s: %s", m->source ? m->source : type, type, m->destination,
                               strerror(errno));
        }
    }
    if (o.propagation && mount(NULL, dest, NULL, o.propagation, NULL) < 0)
        return rns_err(e, -errno, "set propagation of %s: %s", m->destination, strerror(errno));
    return 0;
}

static int make_device(const char *root, const char *path, char type, int64_t major, int64_t minor, mode_t mode,
                       uid_t uid, gid_t gid, rns_error *e)
{
    char dest[PATH_MAX * 2];
    int r = resolve_in_root(root, path, dest, sizeof(dest));
    if (r < 0)
        return rns_err(e, r, "device %s: %s", path, strerror(-r));
    struct stat st;
    if (lstat(dest, &st) == 0)
        return 0;
    if ((r = make_target(dest, 1)) < 0 && r != -EEXIST)
        rmdir(dest);
    rmdir(dest);
    mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
    if (mknod(dest, fmt | (mode & 07777), makedev(major, minor)) == 0) {
        if (chown(dest, uid, gid) < 0 || chmod(dest, mode & 07777) < 0)
            return rns_err(e, -errno, "set owner/mode of device %s: %s", path, strerror(errno));
        return 0;
    }
    /* No CAP_MKNOD: bind the host's node, as runc does in user namespaces. */
    if ((r = make_target(dest, 0)) < 0 || mount(path, dest, NULL, MS_BIND, NULL) < 0)
        return rns_err(e, -errno, "create device %s: %s", path, strerror(errno));
    return 0;
}

static int setup_dev(const container_ctx *c, int dev_is_tmpfs, rns_error *e)
{
    const spec *s = c->s;
    const char *root = s->root_path;
    int r;
    if (dev_is_tmpfs) {
        static const struct {
            const char *path;
            int major, minor;
        } std[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
                   {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
        for (size_t i = 0; i < s->n_devices; i++) {
            const spec_device *d = &s->devices[i];
            r = make_device(root, d->path, d->type, d->major, d->minor, d->has_mode ? d->mode : 0666,
                            d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, e);
            if (r < 0)
                return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(std); i++)
            if ((r = make_device(root, std[i].path, 'c', std[i].major, std[i].minor, 0666, 0, 0, e)) < 0)
                return r;
        static const char *const links[][2] = {{"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
                                               {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                               {"pts/ptmx", "ptmx"},          {"/proc/kcore", "core"}};
        for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
            char link[PATH_MAX];
            snprintf(link, sizeof(link), "%s/dev/%s", root, links[i][1]);
            if (!strcmp(links[i][1], "ptmx"))
                unlink(link);
            if (symlink(links[i][0], link) < 0 && errno != EEXIST)
                return rns_err(e, -errno, "symlink /dev/%s: %s", links[i][1], strerror(errno));
        }
    } else {
        for (size_t i = 0; i < s->n_devices; i++) {
            const spec_device *d = &s->devices[i];
            if ((r = make_device(root, d->path, d->type, d->major, d->minor, d->has_mode ? d->mode : 0666,
                                 d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, e)) < 0)
                return r;
        }
    }
    if (c->tty) { /* the init binds its pty here once it has one */
        char console[PATH_MAX];
        snprintf(console, sizeof(console), "%s/dev/console", root);
        if ((r = make_target(console, 0)) < 0)
            return rns_err(e, r, "create /dev/console: %s", strerror(-r));
    }
    return 0;
}

static int pivot(const char *root, rns_error *e)
{
    _cleanup_close_ int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int new = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (old < 0 || new < 0)
        return rns_err(e, -errno, "open rootfs %s: %s", root, strerror(errno));
    if (fchdir(new) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
        return rns_err(e, -errno, "pivot_root to %s: %s", root, strerror(errno));
    /* The old root is stacked under the new one: detach it without
     * propagating the unmount to the host. */
    if (fchdir(old) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0)
        return rns_err(e, -errno, "detach the old root: %s", strerror(errno));
    if (chdir("/") < 0)
        return rns_err(e, -errno, "chdir /: %s", strerror(errno));
    return 0;
}

int rootfs_setup(const container_ctx *c, rns_error *e)
{
    const spec *s = c->s;
    unsigned long prop = MS_SLAVE | MS_REC;
    if (s->rootfs_propagation) {
        if (!strcmp(s->rootfs_propagation, "private") || !strcmp(s->rootfs_propagation, "rprivate"))
            prop = MS_PRIVATE | MS_REC;
        else if (!strcmp(s->rootfs_propagation, "shared") || !strcmp(s->rootfs_propagation, "rshared"))
            prop = MS_SHARED | MS_REC;
    }
    /* rshared keeps the host link; pivot_root still needs a private parent. */
    if (mount(NULL, "/", NULL, (prop & MS_SHARED) ? MS_SLAVE | MS_REC : prop, NULL) < 0)
        return rns_err(e, -errno, "set / propagation: %s", strerror(errno));
    if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return rns_err(e, -errno, "bind rootfs %s onto itself: %s", s->root_path, strerror(errno));
    if ((prop & MS_SHARED) && mount(NULL, s->root_path, NULL, MS_SHARED | MS_REC, NULL) < 0)
        return rns_err(e, -errno, "make rootfs shared: %s", strerror(errno));
    int dev_tmpfs = 0;
    for (size_t i = 0; i < s->n_mounts; i++) {
        int r = mount_one(c, &s->mounts[i], e);
        if (r < 0)
            return r;
        if (!strcmp(s->mounts[i].destination, "/dev") && s->mounts[i].type && !strcmp(s->mounts[i].type, "tmpfs"))
            dev_tmpfs = 1;
    }
    int r = setup_dev(c, dev_tmpfs, e);
    if (r < 0)
        return r;
    return pivot(s->root_path, e);
}

static int mask_path(const char *path, rns_error *e)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return errno == ENOENT ? 0 : rns_err(e, -errno, "masked path %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k") < 0)
            return rns_err(e, -errno, "mask %s: %s", path, strerror(errno));
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
        return rns_err(e, -errno, "mask %s: %s", path, strerror(errno));
    }
    return 0;
}

static int readonly_path(const char *path, rns_error *e)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return errno == ENOENT ? 0 : rns_err(e, -errno, "bind %s read-only: %s", path, strerror(errno));
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_flags(path), NULL) < 0)
        return rns_err(e, -errno, "remount %s read-only: %s", path, strerror(errno));
    return 0;
}

int rootfs_finish(const spec *s, rns_error *e)
{
    int r;
    for (size_t i = 0; i < s->n_masked_paths; i++)
        if ((r = mask_path(s->masked_paths[i], e)) < 0)
            return r;
    for (size_t i = 0; i < s->n_readonly_paths; i++)
        if ((r = readonly_path(s->readonly_paths[i], e)) < 0)
            return r;
    if (s->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
        return rns_err(e, -errno, "remount / read-only: %s", strerror(errno));
    return 0;
}
