/* A container's root filesystem and generated /etc files: an overlay of its
 * image's snapshots plus its own upper dir, mounted by pouchd (never inside
 * the container's namespaces) and unmounted when it stops. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-load.h"
#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "rootfs.h"
#include "userns.h"

const struct userns_remap *rootfs_remap_of(struct container_store *s, const struct container *c)
{
    const char *mode = json_string_value(json_object_get(json_object_get(c->rec, "HostConfig"), "UsernsMode"));
    return mode && strcmp(mode, "host") == 0 ? NULL : s->daemon->remap;
}

void rootfs_userns_maps(struct container_store *s, const struct container *c, json_t **ret_uids, json_t **ret_gids)
{
    const struct userns_remap *rm = rootfs_remap_of(s, c);
    *ret_uids = rm ? userns_map_json(rm->uids, rm->n_uids) : NULL;
    *ret_gids = rm ? userns_map_json(rm->gids, rm->n_gids) : NULL;
}

/* Remapped: every image layer is seen through an idmapped mount of its own
 * under <run>/lower/N, so the snapshots on disk (shared with containers that
 * are not remapped) are never chowned. The upper dir is NOT idmapped: what
 * the container writes lands on the host as the mapped ids (100000…), as
 * with dockerd; only its top dir is chowned, to the container's root. */
static int idmap_lowers(struct container_store *s, struct container *c, const struct userns_remap *rm,
                        const char *lower, char **ret_lower)
{
    if (!rm->idmap_layers)
        return err_set(-ENOTSUP,
                       "container %.12s: this kernel or file system cannot idmap the image layers, which user "
                       "namespaces need here; run it with --userns=host, or start pouchd without --userns-remap",
                       c->id);
    char dir[4096];
    container_run_path(s, c, "lower", dir, sizeof(dir));
    mkdir_p(dir, 0700);
    _cleanup_free_ char *copy = strdup(lower), *out = NULL;
    char *save = NULL;
    int n = 0;
    for (char *layer = strtok_r(copy, ":", &save); layer; layer = strtok_r(NULL, ":", &save), n++) {
        char mnt[4200], *joined = NULL;
        snprintf(mnt, sizeof(mnt), "%s/%d", dir, n);
        mkdir(mnt, 0700);
        umount2(mnt, MNT_DETACH); /* a leftover of a crash */
        int r = userns_idmap_mount(rm->userns_fd, layer, mnt);
        if (r < 0)
            return err_set(r, "container %.12s: idmapped mount of layer %s: %s", c->id, layer, strerror(-r));
        if (asprintf(&joined, "%s%s%s", out ? out : "", out ? ":" : "", mnt) < 0)
            return err_set(-ENOMEM, "container %.12s: out of memory", c->id);
        free(out);
        out = joined;
    }
    *ret_lower = TAKE_PTR(out);
    return 0;
}

static void unmount_lowers(struct container_store *s, struct container *c)
{
    char dir[4096], mnt[4200];
    container_run_path(s, c, "lower", dir, sizeof(dir));
    for (int n = 0;; n++) {
        snprintf(mnt, sizeof(mnt), "%s/%d", dir, n);
        umount2(mnt, MNT_DETACH);
        if (rmdir(mnt) < 0 && errno == ENOENT)
            break;
    }
    rmdir(dir);
}

static bool dir_empty(const char *path)
{
    _cleanup_closedir_ DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            return false;
    return true;
}

/* The overlay module's default for a feature (/sys/module/overlay/
 * parameters/NAME reads Y or N; absent: off). */
static bool overlay_default_on(const char *name)
{
    char path[128], v[8] = "";
    snprintf(path, sizeof(path), "/sys/module/overlay/parameters/%s", name);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool on = fgets(v, sizeof(v), f) && (v[0] == 'Y' || v[0] == 'y' || !strncmp(v, "on", 2));
    fclose(f);
    return on;
}

int rootfs_mount(struct container_store *s, struct container *c)
{
    if (c->rootfs_mounted)
        return 0;
    struct daemon *d = s->daemon;
    const char *image_id = json_string_value(json_object_get(c->rec, "Image"));
    char upper[4096], work[4096], target[4096];
    container_data_path(s, c, "upper", upper, sizeof(upper));
    container_data_path(s, c, "work", work, sizeof(work));
    container_run_path(s, c, "rootfs", target, sizeof(target));
    mkdir_p(upper, 0755);
    mkdir_p(work, 0700);
    mkdir_p(target, 0755);

    _cleanup_free_ char *lower = NULL;
    pthread_rwlock_rdlock(&d->images->lock);
    struct image *img = NULL;
    int r = image_lookup(d->images, image_id, &img);
    if (r >= 0)
        lower = image_lowerdir(d->images, img, 0);
    pthread_rwlock_unlock(&d->images->lock);
    if (r < 0)
        return err_set(r, "container %.12s: its image %s is gone: %s", c->id, image_id, err_get());
    if (!lower)
        return err_set(-EINVAL, "container %.12s: its image has no layers", c->id);
    const struct userns_remap *rm = rootfs_remap_of(s, c);
    if (rm) {
        char *mapped = NULL, bundle[4096], data[4096];
        container_run_path(s, c, NULL, bundle, sizeof(bundle));
        container_data_path(s, c, NULL, data, sizeof(data));
        struct stat st;
        if (stat(upper, &st) == 0 && st.st_uid != rm->root_uid && !dir_empty(upper))
            log_warn("container %.12s wrote files before --userns-remap was on; inside its user namespace they "
                     "belong to nobody: recreate it, or run it with --userns=host",
                     c->id);
        if (chown(upper, rm->root_uid, rm->root_gid) < 0)
            return err_set(-errno, "container %.12s: chown %s to the remapped root: %s", c->id, upper, strerror(errno));
        if ((r = userns_open_dir(rm, bundle)) < 0 || (r = userns_open_dir(rm, data)) < 0)
            return r;
        if ((r = idmap_lowers(s, c, rm, lower, &mapped)) < 0) {
            unmount_lowers(s, c);
            return r;
        }
        free(lower);
        lower = mapped;
    }
    /* docker diff and commit read the upper dir as plain files: a renamed
     * directory must be copied up whole, not recorded as a redirect, and a
     * chmod must copy data, not only metadata. Only hosts that turned these
     * on by default need them turned off here. */
    const char *extra = overlay_default_on("redirect_dir") && overlay_default_on("metacopy")
                            ? ",redirect_dir=off,metacopy=off"
                        : overlay_default_on("redirect_dir") ? ",redirect_dir=off"
                        : overlay_default_on("metacopy")     ? ",metacopy=off"
                                                             : "";
    _cleanup_free_ char *opts = NULL;
    if (asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s%s", lower, upper, work, extra) < 0)
        return err_set(-ENOMEM, "container %.12s: out of memory", c->id);
    if (strlen(opts) >= 4096) {
        unmount_lowers(s, c);
        return err_set(-E2BIG, "container %.12s: its image has too many layers for one overlay mount", c->id);
    }
    if (mount("overlay", target, "overlay", 0, opts) < 0) {
        r = -errno;
        unmount_lowers(s, c);
        return err_set(r, "container %.12s: mounting its root filesystem: %s", c->id, strerror(-r));
    }
    c->rootfs_mounted = true;
    return 0;
}

int rootfs_unmount(struct container_store *s, struct container *c)
{
    char target[4096];
    container_run_path(s, c, "rootfs", target, sizeof(target));
    if (umount2(target, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return err_set(-errno, "container %.12s: unmounting its root filesystem: %s", c->id, strerror(errno));
    unmount_lowers(s, c);
    c->rootfs_mounted = false;
    return 0;
}

static int write_file(const char *path, const char *text)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    return write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
}

static int copy_file(const char *from, const char *to, const char *fallback)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_fclose_ FILE *f = fopen(from, "re");
    size_t cap = 0;
    if (f && getdelim(&text, &cap, '\0', f) < 0) {
        free(text);
        text = NULL;
    }
    return write_file(to, text ? text : fallback);
}

int rootfs_write_etc(struct container_store *s, struct container *c)
{
    json_t *config = json_object_get(c->rec, "Config");
    json_t *hc = json_object_get(c->rec, "HostConfig");
    const char *hostname = json_string_value(json_object_get(config, "Hostname"));
    const char *domain = json_string_value(json_object_get(config, "Domainname"));
    bool host_net = strcmp(json_string_value(json_object_get(hc, "NetworkMode")) ?: "", "host") == 0;
    char path[4096], text[2048];
    int r;
    container_data_path(s, c, "hostname", path, sizeof(path));
    snprintf(text, sizeof(text), "%s\n", hostname ? hostname : "");
    if ((r = write_file(path, text)) < 0)
        return err_set(r, "container %.12s: writing %s: %s", c->id, path, strerror(-r));
    container_data_path(s, c, "hosts", path, sizeof(path));
    if (host_net) {
        r = copy_file("/etc/hosts", path, "127.0.0.1\tlocalhost\n");
    } else {
        char fqdn[600] = "";
        if (domain && *domain)
            snprintf(fqdn, sizeof(fqdn), "%s.%s ", hostname, domain);
        snprintf(text, sizeof(text),
                 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
                 "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\t%s%s\n",
                 fqdn, hostname ? hostname : "");
        r = write_file(path, text);
        size_t k;
        json_t *e;
        _cleanup_fclose_ FILE *f = r >= 0 ? fopen(path, "ae") : NULL;
        json_array_foreach(json_object_get(hc, "ExtraHosts"), k, e)
        {
            const char *h = json_string_value(e);
            const char *colon = h ? strchr(h, ':') : NULL;
            if (f && colon)
                fprintf(f, "%s\t%.*s\n", colon + 1, (int)(colon - h), h);
        }
    }
    if (r < 0)
        return err_set(r, "container %.12s: writing %s: %s", c->id, path, strerror(-r));
    container_data_path(s, c, "resolv.conf", path, sizeof(path));
    if ((r = copy_file("/etc/resolv.conf", path, "")) < 0)
        return err_set(r, "container %.12s: writing %s: %s", c->id, path, strerror(-r));
    /* The container's root may edit them, as in a container without remap. */
    const struct userns_remap *rm = rootfs_remap_of(s, c);
    static const char *const owned[] = {"hostname", "hosts", "resolv.conf"};
    for (size_t k = 0; rm && k < ARRAY_SIZE(owned); k++) {
        container_data_path(s, c, owned[k], path, sizeof(path));
        if (chown(path, rm->root_uid, rm->root_gid) < 0)
            return err_set(-errno, "container %.12s: chown %s to the remapped root: %s", c->id, path, strerror(errno));
    }
    return 0;
}

/* Find name (or a numeric id) in a passwd/group style file inside the root. */
static int lookup_db(int root_fd, const char *file, const char *name, char **ret_fields, size_t nfields)
{
    int fd = open_beneath(root_fd, file, O_RDONLY);
    if (fd < 0)
        return fd;
    _cleanup_fclose_ FILE *f = fdopen(fd, "re");
    if (!f) {
        close(fd);
        return -errno;
    }
    char line[1024];
    bool numeric = name[0] >= '0' && name[0] <= '9';
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *fields[8] = {0};
        size_t n = 0;
        char *p = line;
        while (n < 8) {
            fields[n++] = p;
            char *colon = strchr(p, ':');
            if (!colon)
                break;
            *colon = '\0';
            p = colon + 1;
        }
        if (n < nfields)
            continue;
        if (strcmp(fields[0], name) == 0 || (numeric && strcmp(fields[2], name) == 0)) {
            for (size_t i = 0; i < nfields; i++)
                ret_fields[i] = strdup(fields[i]);
            return 0;
        }
    }
    return -ENOENT;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A numeric uid/gid as libcontainer takes it: digits that fit an int64
 * (else the text is a name: -ENOENT), in 0..2^31-1 (else -ERANGE). */
static int parse_id(const char *s, int *ret)
{
    if (!all_digits(s))
        return -ENOENT;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end)
        return -ENOENT;
    if (v > INT32_MAX)
        return -ERANGE;
    *ret = (int)v;
    return 0;
}

/* A uid/gid field of the container's passwd or group file (its own text:
 * anything unparsable counts as 0's opposite, nobody). */
static int id_field(const char *s)
{
    int v;
    return s && parse_id(s, &v) >= 0 ? v : 65534;
}

/* Groups whose member list names user, as dockerd adds them. */
static void member_groups(int root_fd, const char *user, json_t *gids)
{
    int fd = root_fd >= 0 ? open_beneath(root_fd, "etc/group", O_RDONLY) : -1;
    _cleanup_fclose_ FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
    if (!f && fd >= 0)
        close(fd);
    char line[1024];
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *name = line, *pw = strchr(name, ':'), *gid = pw ? strchr(pw + 1, ':') : NULL,
             *members = gid ? strchr(gid + 1, ':') : NULL;
        if (!members)
            continue;
        *members++ = '\0';
        char *save = NULL;
        for (char *m = strtok_r(members, ",", &save); m; m = strtok_r(NULL, ",", &save))
            if (strcmp(m, user) == 0)
                json_array_append_new(gids, json_integer(id_field(gid + 1)));
    }
}

int rootfs_resolve_user(struct container_store *s, struct container *c, int *ret_uid, int *ret_gid, json_t **ret_gids,
                        char **ret_home)
{
    char root[4096];
    container_run_path(s, c, "rootfs", root, sizeof(root));
    _cleanup_close_ int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *spec = json_string_value(json_object_get(json_object_get(c->rec, "Config"), "User"));
    char user[256] = "0", group[256] = "";
    if (spec && *spec) {
        const char *colon = strchr(spec, ':');
        snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
        if (colon)
            snprintf(group, sizeof(group), "%s", colon + 1);
    }
    int uid = 0, gid = 0;
    char *pw[6] = {0};
    _cleanup_free_ char *home = NULL, *pw_name = NULL;
    int r = root_fd >= 0 ? lookup_db(root_fd, "etc/passwd", user, pw, 6) : -ENOENT;
    int q;
    if (r >= 0) {
        uid = id_field(pw[2]);
        gid = id_field(pw[3]);
        home = strdup(pw[5] ? pw[5] : "");
        pw_name = strdup(pw[0]);
    } else if ((q = parse_id(user, &uid)) == -ERANGE) {
        return err_set(-EINVAL, "uids and gids must be in range 0-2147483647");
    } else if (q < 0) {
        return err_set(-EINVAL, "unable to find user %s: no matching entries in passwd file", user);
    }
    r = 0; /* the user is resolved; what follows may still fail on the group */
    if (group[0]) {
        char *gr[3] = {0};
        q = root_fd >= 0 ? lookup_db(root_fd, "etc/group", group, gr, 3) : -ENOENT;
        if (q >= 0)
            gid = id_field(gr[2]);
        else if ((q = parse_id(group, &gid)) == -ERANGE)
            r = err_set(-EINVAL, "uids and gids must be in range 0-2147483647");
        else if (q < 0)
            r = err_set(-EINVAL, "unable to find group %s: no matching entries in group file", group);
        for (int i = 0; i < 3; i++)
            free(gr[i]);
    }
    for (int i = 0; i < 6; i++)
        free(pw[i]);
    if (r < 0)
        return r;
    /* The primary group first, then the groups listing the user, then
     * --group-add: what `id` shows in a docker container. */
    json_t *gids = json_array();
    json_array_append_new(gids, json_integer(gid));
    if (pw_name)
        member_groups(root_fd, pw_name, gids);
    size_t k;
    json_t *g;
    json_array_foreach(json_object_get(json_object_get(c->rec, "HostConfig"), "GroupAdd"), k, g)
    {
        const char *name = json_string_value(g);
        char *gr[3] = {0};
        int id;
        if (name && parse_id(name, &id) >= 0)
            json_array_append_new(gids, json_integer(id));
        else if (name && root_fd >= 0 && lookup_db(root_fd, "etc/group", name, gr, 3) >= 0)
            json_array_append_new(gids, json_integer(id_field(gr[2])));
        else {
            json_decref(gids);
            return err_set(-EINVAL, "unable to find group %s: no matching entries in group file", name ? name : "?");
        }
        for (int i = 0; i < 3; i++)
            free(gr[i]);
    }
    *ret_uid = uid;
    *ret_gid = gid;
    *ret_gids = gids;
    *ret_home = TAKE_PTR(home);
    return 0;
}
