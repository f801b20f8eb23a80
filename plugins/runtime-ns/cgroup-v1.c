/* cgroup v1: one directory per controller hierarchy (memory, cpu, pids ...),
 * limits written as memory.limit_in_bytes, cpu.cfs_quota_us and friends.
 * Never writes to a hierarchy other than the container's own directory. */
#include "cgroup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const v1_controllers[] = {
    "memory",  "cpu",     "cpuacct",  "cpuset",     "pids",    "blkio",   "devices",
    "freezer", "net_cls", "net_prio", "perf_event", "hugetlb", "systemd",
};

static const char *dir_of(cgroup *cg, const char *name)
{
    for (size_t i = 0; i < cg->n_dirs; i++)
        if (!strcmp(cg->names[i], name))
            return cg->dirs[i];
    return NULL;
}

/* A fresh cpuset cgroup has empty cpus/mems and refuses tasks: inherit. */
static void cpuset_inherit(const char *dir, const char *file)
{
    char path[2048], parent[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    _cleanup_free_ char *cur = NULL;
    if (rns_read_file(path, &cur, NULL) < 0 || (cur[0] != '\n' && cur[0] != '\0'))
        return;
    snprintf(parent, sizeof(parent), "%s/../%s", dir, file);
    _cleanup_free_ char *val = NULL;
    if (rns_read_file(parent, &val, NULL) < 0)
        return;
    rns_write_file_at(dir, file, val, NULL);
}

static int mkdir_levels(const char *hier, const char *rel, int cpuset, rns_error *e)
{
    char path[2048];
    size_t base = (size_t)snprintf(path, sizeof(path), "%s", hier);
    snprintf(path + base, sizeof(path) - base, "%s", rel);
    for (char *p = path + base + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return rns_err(e, -errno, "create cgroup %s: %s", path, strerror(errno));
        if (cpuset) {
            cpuset_inherit(path, "cpuset.cpus");
            cpuset_inherit(path, "cpuset.mems");
        }
        *p = c;
        if (c == '\0')
            break;
    }
    return 0;
}

int cgroup_v1_create(cgroup *cg, rns_error *e)
{
    /* Hierarchies seen so far, by the identity of their root directory:
     * small on the stack, where path strings would cost 64 KiB per shim. */
    dev_t seen_dev[CGROUP_MAX_DIRS];
    ino_t seen_ino[CGROUP_MAX_DIRS];
    size_t n_seen = 0;
    for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++) {
        char hier[2048];
        snprintf(hier, sizeof(hier), "%s/%s", cg->root, v1_controllers[i]);
        struct stat st;
        if (stat(hier, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        /* cpu -> cpu,cpuacct: one hierarchy, one directory. */
        int dup = 0;
        for (size_t j = 0; j < n_seen; j++)
            dup |= seen_dev[j] == st.st_dev && seen_ino[j] == st.st_ino;
        if (!dup && n_seen < CGROUP_MAX_DIRS) {
            seen_dev[n_seen] = st.st_dev;
            seen_ino[n_seen++] = st.st_ino;
        }
        int r = dup ? 0 : mkdir_levels(hier, cg->path, !strcmp(v1_controllers[i], "cpuset"), e);
        if (r < 0)
            return r;
        char dir[3072];
        snprintf(dir, sizeof(dir), "%s%s", hier, cg->path);
        if ((r = cgroup_add_dir(cg, dir, v1_controllers[i])) < 0)
            return r;
    }
    if (cg->n_dirs == 0)
        return rns_err(e, -ENOENT, "no cgroup v1 hierarchy under %s (is cgroupfs mounted?)", cg->root);
    return 0;
}

static int wr(cgroup *cg, const char *ctrl, const char *file, const char *val, rns_error *e)
{
    const char *dir = dir_of(cg, ctrl);
    if (!dir)
        return rns_err(e, -ENOTSUP, "cgroup v1: the %s controller is not mounted under %s, cannot set %s", ctrl,
                       cg->root, file);
    return rns_write_file_at(dir, file, val, e);
}

static int wr_i(cgroup *cg, const char *ctrl, const char *file, long long v, rns_error *e)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    return wr(cg, ctrl, file, buf, e);
}

static int has_file(cgroup *cg, const char *ctrl, const char *file)
{
    const char *dir = dir_of(cg, ctrl);
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/nonexistent", file);
    return access(path, F_OK) == 0;
}

static long long rd_i(cgroup *cg, const char *ctrl, const char *file)
{
    const char *dir = dir_of(cg, ctrl);
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/nonexistent", file);
    _cleanup_free_ char *t = NULL;
    return rns_read_file(path, &t, NULL) < 0 ? -1 : strtoll(t, NULL, 10);
}

static int apply_memory(cgroup *cg, const spec_resources *res, rns_error *e)
{
    int r = 0;
    /* Without swap accounting the file is absent; dockerd drops the limit then too. */
    int swap = res->has_mem_swap && res->mem_swap != 0 && has_file(cg, "memory", "memory.memsw.limit_in_bytes");
    /* The kernel keeps limit <= memsw.limit at every step: on a live update
     * that raises both, memsw goes first (runc does the same). */
    long long cur_swap = swap ? rd_i(cg, "memory", "memory.memsw.limit_in_bytes") : -1;
    int swap_first = swap && (res->mem_swap == -1 || (cur_swap >= 0 && res->mem_swap > cur_swap));
    if (swap_first && (r = wr_i(cg, "memory", "memory.memsw.limit_in_bytes", res->mem_swap, e)) < 0)
        return r;
    if (res->has_mem_limit && res->mem_limit != 0)
        r = wr_i(cg, "memory", "memory.limit_in_bytes", res->mem_limit, e);
    if (r >= 0 && swap && !swap_first)
        r = wr_i(cg, "memory", "memory.memsw.limit_in_bytes", res->mem_swap, e);
    if (r >= 0 && res->has_mem_reservation && res->mem_reservation != 0)
        r = wr_i(cg, "memory", "memory.soft_limit_in_bytes", res->mem_reservation, e);
    if (r >= 0 && res->has_disable_oom && res->disable_oom)
        r = wr(cg, "memory", "memory.oom_control", "1", e);
    return r;
}

static int apply_cpu(cgroup *cg, const spec_resources *res, rns_error *e)
{
    int r = 0;
    if (res->has_cpu_shares && res->cpu_shares != 0)
        r = wr_i(cg, "cpu", "cpu.shares", (long long)res->cpu_shares, e);
    /* Period first: the kernel checks quota against the current period. */
    if (r >= 0 && res->has_cpu_period && res->cpu_period != 0)
        r = wr_i(cg, "cpu", "cpu.cfs_period_us", (long long)res->cpu_period, e);
    if (r >= 0 && res->has_cpu_quota && res->cpu_quota != 0)
        r = wr_i(cg, "cpu", "cpu.cfs_quota_us", res->cpu_quota, e);
    if (r >= 0 && res->cpus && *res->cpus)
        r = wr(cg, "cpuset", "cpuset.cpus", res->cpus, e);
    if (r >= 0 && res->mems && *res->mems)
        r = wr(cg, "cpuset", "cpuset.mems", res->mems, e);
    return r;
}

static void devrule_str(const spec_devrule *d, char *buf, size_t len)
{
    char maj[24] = "*", min[24] = "*";
    if (d->type == 'a') {
        snprintf(buf, len, "a");
        return;
    }
    if (d->major >= 0)
        snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
    if (d->minor >= 0)
        snprintf(min, sizeof(min), "%lld", (long long)d->minor);
    snprintf(buf, len, "%c %s:%s %s", d->type, maj, min, d->access);
}

static int apply_devices(cgroup *cg, const spec_resources *res, rns_error *e)
{
    for (size_t i = 0; i < res->n_devices; i++) {
        char rule[96];
        devrule_str(&res->devices[i], rule, sizeof(rule));
        int r = wr(cg, "devices", res->devices[i].allow ? "devices.allow" : "devices.deny", rule, e);
        if (r < 0)
            return r;
    }
    return 0;
}

int cgroup_v1_apply(cgroup *cg, const spec_resources *res, rns_error *e)
{
    int r = apply_memory(cg, res, e);
    if (r < 0 || (r = apply_cpu(cg, res, e)) < 0)
        return r;
    if (res->has_pids_limit) {
        if (res->pids_limit > 0)
            r = wr_i(cg, "pids", "pids.max", res->pids_limit, e);
        else
            r = wr(cg, "pids", "pids.max", "max", e);
        if (r < 0)
            return r;
    }
    if (res->has_blkio_weight && res->blkio_weight != 0 &&
        (r = wr_i(cg, "blkio", "blkio.weight", res->blkio_weight, e)) < 0)
        return r;
    return apply_devices(cg, res, e);
}

int cgroup_v1_oom_killed(cgroup *cg)
{
    const char *dir = dir_of(cg, "memory");
    if (!dir)
        return 0;
    char path[2048];
    snprintf(path, sizeof(path), "%s/memory.oom_control", dir);
    _cleanup_free_ char *text = NULL;
    if (rns_read_file(path, &text, NULL) < 0)
        return 0;
    const char *p = strstr(text, "oom_kill ");
    return p && strtol(p + 9, NULL, 10) > 0;
}

/* Freezing is asynchronous: FREEZING until every task has stopped. Written
 * again on each check as runc does, since a task forking meanwhile can leave
 * the state at FREEZING. */
int cgroup_v1_freeze(cgroup *cg, int freeze, rns_error *e)
{
    const char *dir = dir_of(cg, "freezer");
    if (!dir)
        return rns_err(e, -ENOTSUP,
                       "cgroup v1: the freezer controller is not mounted under %s: cannot pause or unpause; "
                       "mount it (cgroup -o freezer) to use pause",
                       cg->root);
    const char *want = freeze ? "FROZEN" : "THAWED";
    char path[2048];
    snprintf(path, sizeof(path), "%s/freezer.state", dir);
    long delay_us = 100;
    for (int64_t deadline = rns_now_ns() + 10000000000LL;;) {
        int r = rns_write_file_at(dir, "freezer.state", want, e);
        if (r < 0)
            return r;
        _cleanup_free_ char *t = NULL;
        if (rns_read_file(path, &t, NULL) == 0 && !strncmp(t, want, strlen(want)))
            return 0;
        if (rns_now_ns() > deadline)
            break;
        struct timespec ts = {0, delay_us * 1000};
        nanosleep(&ts, NULL);
        if (delay_us < 10000)
            delay_us *= 2;
    }
    if (freeze)
        rns_write_file_at(dir, "freezer.state", "THAWED", NULL);
    return rns_err(e, -ETIMEDOUT, "cgroup %s: the processes did not %s within 10 s", dir,
                   freeze ? "freeze (left running)" : "thaw");
}
