/* Container filesystem access for docker cp, export, diff and commit. A view
 * is a container's root plus the host files and directories bound into it;
 * every path resolves one component at a time from trusted directory fds, so
 * a symlink the container swaps in can never lead pouchd outside the view. */
#ifndef POUCH_CONTAINERS_CTR_FS_H
#define POUCH_CONTAINERS_CTR_FS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct container_store;

/* Something bound into the container at dest (absolute, cleaned): writes
 * beneath it go to the host source. */
struct fs_mount {
    char *dest;
    int fd; /* O_PATH of the host source (a directory or a file) */
    bool ro;
};

struct userns_remap;

struct fs_view {
    int root_fd; /* O_PATH directory fd of the container's root (borrowed by the view's owner) */
    struct fs_mount *m;
    size_t n;
    const struct userns_remap *remap; /* --userns-remap: files hold host ids, archives container ids */
};

/* Container id -> host id (-ERANGE when outside the map), and back (65534,
 * the overflow id, when a host id has no container id). No remap: identity. */
int64_t fs_id_to_host(const struct userns_remap *rm, uint32_t id, bool gid);
uint32_t fs_id_to_container(const struct userns_remap *rm, uint32_t id, bool gid);

/* Bind source (host path, trusted: the user or the engine chose it) at dest. */
int fs_view_add_mount(struct fs_view *v, const char *dest, const char *source, bool ro);
void fs_view_free(struct fs_view *v);
/* The mount holding cpath (longest dest prefix), or NULL for the root fs. */
const struct fs_mount *fs_view_mount_of(const struct fs_view *v, const char *cpath);

#define FS_FOLLOW_LAST (1u << 0)  /* a symlink as the last component is followed too */
#define FS_CREATE_DIRS (1u << 1)  /* missing directories are created (0755, root) */
#define FS_LEXICAL_REST (1u << 2) /* a missing component ends the walk: the rest is joined
                                     lexically into ret_path and *ret_fd is -1 (dockerd's
                                     FollowSymlinkInScope, for linkTarget) */

/* Resolve path (taken as absolute inside the container) in v, symlinks
 * followed in the container's scope. *ret_fd: an O_PATH fd of the object
 * (never followed when it is a symlink unless FS_FOLLOW_LAST), *ret_path its
 * canonical container path ("/" for the root), malloc'd; either may be NULL. */
int fs_resolve(const struct fs_view *v, const char *path, unsigned flags, int *ret_fd, char **ret_path);

/* Go's os.FileMode bits for st_mode (what X-Docker-Container-Path-Stat says). */
uint32_t fs_go_mode(mode_t mode);

/* GET /containers/{id}/archive: path's stat as dockerd reports it, and the
 * tar of it (names rebased on the basename of the path as asked). */
int fs_path_stat(const struct fs_view *v, const char *path, json_t **ret);

/* Tar writer over out_fd (borrowed). */
struct fs_tar;
int fs_tar_open(int out_fd, struct fs_tar **ret);
/* Owners in the archive are container ids of rm (export and commit of a remapped container). */
void fs_tar_set_remap(struct fs_tar *t, const struct userns_remap *rm);
/* Close: with ok, end the archive properly; the writer is freed either way. */
int fs_tar_close(struct fs_tar *t, bool ok);
/* Add the object at path (resolved in v as GET archive does) and, for a
 * directory, everything beneath it, sorted by name. Mounts in v are crossed. */
int fs_tar_path(struct fs_tar *t, const struct fs_view *v, const char *path);
/* The whole tree at dir_fd (borrowed, a directory), names relative to it, with
 * no mount crossing (export). */
int fs_tar_tree(struct fs_tar *t, int dir_fd);

/* One entry written by hand (commit layers: whiteouts). */
int fs_tar_add_fd(struct fs_tar *t, int dir_fd, const char *name, const char *entry_name);
int fs_tar_add_empty(struct fs_tar *t, const char *entry_name, const struct stat *like);

/* PUT /containers/{id}/archive: extract the tar (maybe compressed) read from
 * in_fd into directory path of v. chown_uid/gid >= 0 override the archive's
 * owners (docker cp -a with Config.User set). Errors carry dockerd's texts
 * (-ENOENT: not found; -ENOTDIR: not a directory; -EROFS: read-only; other:
 * "Error processing tar file..."). */
struct fs_extract_opts {
    bool no_overwrite_dir_non_dir;
    bool rootfs_readonly;
    int64_t chown_uid, chown_gid; /* -1: keep the archive's */
    const char *container_name;   /* for "Could not find the file" */
};
int fs_extract(const struct fs_view *v, const char *path, int in_fd, const struct fs_extract_opts *o);

/* The container side (archive.c): a view of container id's filesystem,
 * its rootfs mounted for the time of the operation when it is not running. */
struct ctr_fs {
    struct container_store *s;
    struct container *c;
    struct fs_view view;
    int root_fd;
    bool op_held;
    bool mounted_here;
};
/* with_mounts: add the bind mounts and the engine's /etc files (cp); export
 * and diff see only the root. */
int ctr_fs_open(struct container_store *s, const char *id, bool with_mounts, struct ctr_fs *ret);
void ctr_fs_close(struct ctr_fs *f);

int ctr_path_stat(struct container_store *s, const char *id, const char *path, json_t **ret);
int ctr_archive_get(struct container_store *s, const char *id, const char *path, int out_fd);
int ctr_archive_put(struct container_store *s, const char *id, const char *path, int in_fd, json_t *opts);
int ctr_export(struct container_store *s, const char *id, int out_fd);

/* changes.c */
int ctr_changes(struct container_store *s, const char *id, json_t **ret);
/* Walk an overlay upper dir (borrowed) against its lower dirs (the image's
 * snapshot paths, top first) into [{"Path","Kind"}] (empty array: none). */
int fs_changes(int upper_fd, char *const *lower, size_t n_lower, json_t **ret);
/* Write upper_fd as a layer tar: whiteouts as .wh. files, opaque dirs with
 * .wh..wh..opq; the engine's mount targets left out. *ret_entries counts what
 * was written. */
int fs_tar_upper(struct fs_tar *t, int upper_fd, uint64_t *ret_entries);

/* The container's upper dir (opened; -ENODATA when it has none yet), its
 * image's layer dirs (top first, malloc'd) and its image ID. */
int ctr_layer_dirs(struct container_store *s, const char *id, int *ret_upper, char ***ret_lower, size_t *ret_n,
                   char *ret_image_id, size_t cap);

/* commit.c */
int ctr_commit(struct container_store *s, json_t *opts, json_t **ret);

#endif
