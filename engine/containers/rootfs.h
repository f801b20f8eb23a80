/* Root filesystem, /etc files and user resolution for a container. */
#ifndef POUCH_CONTAINERS_ROOTFS_H
#define POUCH_CONTAINERS_ROOTFS_H

#include "container.h"

struct userns_remap;

int rootfs_mount(struct container_store *s, struct container *c);
int rootfs_unmount(struct container_store *s, struct container *c);
/* hostname, hosts and resolv.conf in the container's data dir. */
int rootfs_write_etc(struct container_store *s, struct container *c);
/* Config.User ("uid[:gid]", "name[:group]") against the mounted root's
 * /etc/passwd and /etc/group, plus HostConfig.GroupAdd. */
int rootfs_resolve_user(struct container_store *s, struct container *c, int *ret_uid, int *ret_gid, json_t **ret_gids,
                        char **ret_home);
/* The daemon's --userns-remap when c runs remapped (not --userns=host), else NULL. */
const struct userns_remap *rootfs_remap_of(struct container_store *s, const struct container *c);
/* Its linux.uidMappings/gidMappings, or NULLs when not remapped. Caller owns. */
void rootfs_userns_maps(struct container_store *s, const struct container *c, json_t **ret_uids, json_t **ret_gids);

#endif
