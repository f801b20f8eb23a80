/* --userns-remap: who the containers' root is on the host (subordinate id
 * ranges from /etc/subuid and /etc/subgid, dockerd's "default" dockremap
 * user), and the user namespace and idmapped mounts that apply it.
 * One data root serves remapped and --userns=host containers alike (dockerd
 * switches to <root>/<uid>.<gid>): image layers are idmapped at mount time,
 * never chowned, so there is nothing per-remap to keep apart. */
#ifndef POUCH_ENGINE_USERNS_H
#define POUCH_ENGINE_USERNS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USERNS_MAX_RANGES 64 /* the kernel takes at most 340 map lines; nobody needs more than a few */
#define USERNS_DEFAULT_USER "dockremap"
#define USERNS_RANGE_START 100000u /* where dockerd starts looking for a free range */
#define USERNS_RANGE_LEN 65536u

/* One line of a subuid/subgid file, or one line of an id map. */
struct userns_range {
    uint32_t start, count;
};
struct userns_map {
    uint32_t inside, outside, count; /* containerID, hostID, size */
};

struct userns_remap {
    char user[256], group[256];
    struct userns_map uids[USERNS_MAX_RANGES], gids[USERNS_MAX_RANGES];
    size_t n_uids, n_gids;
    uint32_t root_uid, root_gid; /* the host ids of the containers' root */
    int userns_fd;               /* a user namespace with these maps, for idmapped mounts */
    bool idmap_layers;           /* overlay over idmapped layer mounts works here */
};

/* The ranges of the subuid/subgid text `text` that belong to name (or to its
 * numeric id, as dockerd matches both), sorted by start. "ALL" takes every
 * line. Malformed lines are skipped. Returns the count, or -E2BIG. */
int userns_subid_parse(const char *text, const char *name, const char *id, struct userns_range *ret, size_t cap);
/* dockerd's choice of a free USERNS_RANGE_LEN range: from USERNS_RANGE_START
 * upwards, past every existing range it would overlap. */
uint32_t userns_next_start(const struct userns_range *all, size_t n);
/* Sorted ranges to a map: container ids counted up from 0 across ranges. */
size_t userns_map_from_ranges(const struct userns_range *r, size_t n, struct userns_map *ret);
/* Host id of container id `id`, or -1 when the map does not cover it. */
int64_t userns_map_host(const struct userns_map *m, size_t n, uint32_t id);
/* The text for /proc/PID/uid_map. */
void userns_map_text(const struct userns_map *m, size_t n, char *buf, size_t cap);
/* [{containerID, hostID, size}] for linux.uidMappings/gidMappings. */
json_t *userns_map_json(const struct userns_map *m, size_t n);

/* Resolve --userns-remap (user, user:group, uid, uid:gid, "default"), read
 * its ranges, create the namespace used for idmapped mounts, probe them on
 * data_root and open data_root/exec_root up for the remapped root. "" or
 * NULL: *ret = NULL (no remapping). Messages as dockerd's where it has one. */
int userns_remap_setup(const char *spec, const char *data_root, const char *exec_root, struct userns_remap **ret);
void userns_remap_free(struct userns_remap *r);

/* Mount an idmapped view of directory src on dst (which must exist). */
int userns_idmap_mount(int userns_fd, const char *src, const char *dst);
/* dir, owned by root and group root_gid, mode 0710: the remapped root may
 * walk through it but not list it (as dockerd's remapped data root). */
int userns_open_dir(const struct userns_remap *r, const char *dir);

#endif
