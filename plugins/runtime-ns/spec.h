/* The subset of an OCI runtime spec (config.json, 1.0.2) that pouch-shim
 * applies, parsed once into plain C. Strings borrow from the parsed JSON,
 * which lives as long as the spec; parsing never touches the system. */
#ifndef RUNTIME_NS_SPEC_H
#define RUNTIME_NS_SPEC_H

#include <stdint.h>
#include <sys/types.h>

#include "util.h"

typedef struct spec_mount {
    const char *destination, *type, *source;
    const char **options; /* NULL-terminated */
    size_t n_options;
} spec_mount;

typedef struct spec_ns {
    int type;         /* CLONE_NEW* */
    const char *path; /* join it instead of creating one, or NULL */
} spec_ns;

typedef struct spec_rlimit {
    int resource;
    uint64_t soft, hard;
    const char *name;
} spec_rlimit;

typedef struct spec_device {
    const char *path;
    char type; /* c, b, u, p */
    int64_t major, minor;
    uint32_t mode;
    uid_t uid;
    gid_t gid;
    int has_mode, has_uid, has_gid;
} spec_device;

typedef struct spec_devrule {
    int allow;
    char type;            /* a, c, b */
    int64_t major, minor; /* -1 = any */
    const char *access;
} spec_devrule;

typedef struct spec_kv {
    const char *key, *value;
} spec_kv;

/* One line of linux.uidMappings/gidMappings. */
typedef struct spec_idmap {
    uint32_t container_id, host_id, size;
} spec_idmap;

/* A value is set when its has_ flag is 1 (OCI distinguishes absent from 0). */
typedef struct spec_resources {
    int has_mem_limit, has_mem_reservation, has_mem_swap, has_disable_oom;
    int64_t mem_limit, mem_reservation, mem_swap;
    int disable_oom;
    int has_cpu_shares, has_cpu_quota, has_cpu_period;
    uint64_t cpu_shares, cpu_period;
    int64_t cpu_quota;
    const char *cpus, *mems;
    int has_pids_limit;
    int64_t pids_limit;
    int has_blkio_weight;
    uint16_t blkio_weight;
    spec_devrule *devices;
    size_t n_devices;
} spec_resources;

typedef struct spec {
    void *json; /* json_t *, owns every string below */
    int terminal;
    uid_t uid;
    gid_t gid;
    gid_t *additional_gids;
    size_t n_additional_gids;
    const char **args, **env; /* NULL-terminated */
    size_t n_args, n_env;
    const char *cwd;
    uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
    spec_rlimit *rlimits;
    size_t n_rlimits;
    int no_new_privileges;
    int has_oom_score_adj;
    int oom_score_adj;
    char *root_path; /* absolute (bundle-relative paths resolved) */
    int root_readonly;
    const char *hostname;
    spec_mount *mounts;
    size_t n_mounts;
    spec_ns *namespaces;
    size_t n_namespaces;
    const char *cgroups_path;
    spec_resources resources;
    spec_device *devices;
    size_t n_devices;
    const char **masked_paths, **readonly_paths;
    size_t n_masked_paths, n_readonly_paths;
    spec_kv *sysctl;
    size_t n_sysctl;
    const char *rootfs_propagation;
    spec_idmap *uid_mappings, *gid_mappings; /* for a new user namespace */
    size_t n_uid_mappings, n_gid_mappings;
    void *seccomp;             /* json_t * of linux.seccomp (borrowed), or NULL: no filter */
    void *seccomp_filter;      /* struct sock_filter[] from seccomp_filter_prepare(), or NULL */
    size_t seccomp_filter_len; /* its instructions */
} spec;

/* Parse config.json text; bundle_dir resolves a relative root.path. */
int spec_parse(const char *text, const char *bundle_dir, spec **ret, rns_error *e);
int spec_load(const char *bundle_dir, spec **ret, rns_error *e);
/* An OCI "process" object alone (exec): fills the process fields only. */
int spec_parse_process(const char *text, spec **ret, rns_error *e);
/* An OCI "linux.resources" object alone (update): fills resources only. */
int spec_parse_resources(const char *text, spec **ret, rns_error *e);
void spec_free(spec *s);
DEFINE_POINTER_CLEANUP(spec, spec_free)

/* Capability name ("CAP_SYS_ADMIN") to number, or -1. */
int spec_cap_from_name(const char *name);
/* RLIMIT_* name ("RLIMIT_NOFILE") to resource, or -1. */
int spec_rlimit_from_name(const char *name);
/* Namespace type name ("pid") to CLONE_NEW*, or 0. */
int spec_ns_from_name(const char *name);

#endif
