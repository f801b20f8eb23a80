/* Moby create request -> OCI runtime spec (config.json). Pure JSON
 * translation, golden-tested: no I/O except reading host facts passed in. */
#ifndef POUCH_CONTAINERS_SPEC_H
#define POUCH_CONTAINERS_SPEC_H

#include <jansson.h>
#include <stdbool.h>

struct spec_input {
    const char *id;
    json_t *config;                                       /* the container's Config (already merged with the image's) */
    json_t *host_config;                                  /* HostConfig */
    const char *rootfs;                                   /* path of the mounted root filesystem */
    const char *hosts_path, *hostname_path, *resolv_path; /* files to bind, or NULL */
    const char *init_path;                                /* docker-init binary for --init, or NULL */
    int uid, gid;                                         /* resolved user */
    const char *home;                                     /* the user's home from passwd, or NULL */
    json_t *additional_gids;                              /* array of ints */
    bool cgroup_v2;
    json_t *host_devices;  /* for --privileged: [{path,type,major,minor,fileMode,uid,gid}] */
    json_t *bounding_caps; /* the daemon's own bounding set, for --privileged: ["CAP_…"] */
    json_t *uid_mappings, *gid_mappings; /* --userns-remap: [{containerID, hostID, size}]; NULL: no user ns */
};

/* Build the spec; -EINVAL with a dockerd-like message on bad input
 * (unknown capability, non-namespaced sysctl, bad ulimit …). */
int spec_build(const struct spec_input *in, json_t **ret);

/* Every capability this code knows, in kernel number order (CAP_CHOWN = 0),
 * NULL-terminated. */
extern const char *const spec_all_caps[];
/* docker's default capability set, as CAP_ names. */
extern const char *const spec_default_caps[];
/* Parse a capability name ("NET_ADMIN", "CAP_NET_ADMIN", "ALL", any case). */
int spec_cap_normalize(const char *name, char *buf, size_t cap);

#endif
