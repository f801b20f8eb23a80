/* One small interface over cgroup v1 (a hierarchy per controller) and
 * cgroup v2 (one unified tree): create a container's cgroup, apply the
 * spec's limits before the container execs, join, signal, detect OOM kills,
 * remove. Version-specific code lives in cgroup-v1.c and cgroup-v2.c. */
#ifndef RUNTIME_NS_CGROUP_H
#define RUNTIME_NS_CGROUP_H

#include <sys/types.h>

#include "spec.h"
#include "util.h"

#define CGROUP_MAX_DIRS 16

typedef struct cgroup {
    int version;                  /* 1 or 2 */
    char root[1024];              /* mount root, e.g. /sys/fs/cgroup */
    char path[1024];              /* the container's path below it, e.g. /pouch/<id> */
    char *dirs[CGROUP_MAX_DIRS];  /* absolute dirs of this cgroup (v1: one per hierarchy) */
    char *names[CGROUP_MAX_DIRS]; /* v1: controller of each dir ("memory"); v2: "" */
    size_t n_dirs;
} cgroup;

/* 2 when root (default /sys/fs/cgroup) is a cgroup2 mount, else 1.
 * POUCH_CGROUP_VERSION in the environment forces a version (tests). */
int cgroup_detect(const char *root);
/* The cgroup root to use: override, else $POUCH_CGROUP_ROOT, else /sys/fs/cgroup. */
const char *cgroup_default_root(const char *override);

/* Create (mkdir) the container's cgroup; rel_path is the spec's cgroupsPath. */
int cgroup_create(const char *root, int version, const char *rel_path, cgroup **ret, rns_error *e);
int cgroup_apply(cgroup *cg, const spec_resources *res, rns_error *e);
/* Move pid (0: the caller) into every directory of the cgroup. */
int cgroup_enter(cgroup *cg, pid_t pid, rns_error *e);
/* Signal every process in the cgroup; returns how many were signalled. */
int cgroup_kill_all(cgroup *cg, int sig);
/* 1 when the kernel OOM-killed a process in this cgroup, else 0. */
int cgroup_oom_killed(cgroup *cg);
/* rmdir the container's dirs (retrying while the kernel drains them). */
int cgroup_destroy(cgroup *cg);
/* Save the dirs, one per line, so another process can remove them. */
int cgroup_save(const cgroup *cg, const char *file);
/* rmdir every dir listed in file (written by cgroup_save). */
int cgroup_remove_listed(const char *file);
void cgroup_free(cgroup *cg);
DEFINE_POINTER_CLEANUP(cgroup, cgroup_free)

/* Freeze (1) or thaw (0) every process in the cgroup and wait until the
 * kernel says it is done (v1 freezer.state, v2 cgroup.events). */
int cgroup_freeze(cgroup *cg, int freeze, rns_error *e);
/* 1 when the cgroup is frozen now. */
int cgroup_frozen(cgroup *cg);

/* cgroup-stats.c: the Docker API's stats object of the cgroup now, the same
 * shape all zeros (a stopped container), and its processes as [pid,...]. */
int cgroup_stats(const cgroup *cg, char **ret_json);
int cgroup_stats_zero(char **ret_json);
int cgroup_pids(const cgroup *cg, char **ret_json);
/* Parsers behind cgroup_stats (json_t *), for unit tests. */
struct json_t;
struct json_t *cgroup_parse_flat_keyed(const char *text);
struct json_t *cgroup_parse_blkio_v1(const char *text);
void cgroup_parse_io_stat(const char *text, struct json_t *bytes, struct json_t *ios);

/* Internal to cgroup*.c */
int cgroup_add_dir(cgroup *cg, const char *dir, const char *name);
int cgroup_v1_create(cgroup *cg, rns_error *e);
int cgroup_v1_apply(cgroup *cg, const spec_resources *res, rns_error *e);
int cgroup_v1_oom_killed(cgroup *cg);
int cgroup_v2_create(cgroup *cg, rns_error *e);
int cgroup_v2_apply(cgroup *cg, const spec_resources *res, rns_error *e);
int cgroup_v2_oom_killed(cgroup *cg);
int cgroup_v1_freeze(cgroup *cg, int freeze, rns_error *e);
int cgroup_v2_freeze(cgroup *cg, int freeze, rns_error *e);
/* runc's conversions from v1 values to v2 ones. */
unsigned long cgroup_shares_to_weight(unsigned long shares);
unsigned long cgroup_blkio_to_io_weight(unsigned long weight);

#endif
