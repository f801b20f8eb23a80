/* cgroup v2: one unified directory; limits written as memory.max, cpu.max,
 * cpu.weight, io.weight, pids.max. Controllers are enabled in each ancestor's
 * cgroup.subtree_control; never writes outside the container's path. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const v2_controllers[] = {"cpu", "cpuset", "io", "memory", "pids", "hugetlb"};

/* Enable what the parent offers; a controller it lacks is reported when a
 * limit needs it (the limit file is missing then). */
static void enable_controllers(const char *dir)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
    _cleanup_free_ char *avail = NULL;
    if (rns_read_file(path, &avail, NULL) < 0)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(v2_controllers); i++) {
        char word[32];
        snprintf(word, sizeof(word), "%s", v2_controllers[i]);
        size_t wl = strlen(word);
        for (const char *p = avail; (p = strstr(p, word)); p += wl) {
            if ((p == avail || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\n' || p[wl] == '\0')) {
                char plus[40];
                snprintf(plus, sizeof(plus), "+%s", word);
                rns_write_file_at(dir, "cgroup.subtree_control", plus, NULL);
                break;
            }
        }
    }
}

int cgroup_v2_create(cgroup *cg, rns_error *e)
{
    char path[2048];
    size_t base = (size_t)snprintf(path, sizeof(path), "%s", cg->root);
    snprintf(path + base, sizeof(path) - base, "%s", cg->path);
    for (char *p = path + base;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (p > path + base && mkdir(path, 0755) < 0 && errno != EEXIST)
            return rns_err(e, -errno, "create cgroup %s: %s", path, strerror(errno));
        if (c == '/')
            enable_controllers(path);
        *p = c;
        if (c == '\0')
            break;
    }
    return cgroup_add_dir(cg, path, "");
}

static int wr(cgroup *cg, const char *file, const char *val, rns_error *e)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", cg->dirs[0], file);
    if (access(path, F_OK) < 0) {
        char ctrl[32];
        snprintf(ctrl, sizeof(ctrl), "%.*s", (int)strcspn(file, "."), file);
        return rns_err(e, -ENOTSUP,
                       "cgroup v2: cannot set %s: the %s controller is not enabled for %s "
                       "(check cgroup.subtree_control of its parents)",
                       file, ctrl, cg->dirs[0]);
    }
    return rns_write_file_at(cg->dirs[0], file, val, e);
}

static int wr_i(cgroup *cg, const char *file, long long v, rns_error *e)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    return wr(cg, file, buf, e);
}

static int apply_memory(cgroup *cg, const spec_resources *res, rns_error *e)
{
    int r = 0;
    if (res->has_mem_limit && res->mem_limit != 0)
        r = res->mem_limit < 0 ? wr(cg, "memory.max", "max", e) : wr_i(cg, "memory.max", res->mem_limit, e);
    /* OCI swap is memory+swap (v1 memsw); v2 swap.max is swap alone. */
    if (r >= 0 && res->has_mem_swap && res->mem_swap != 0) {
        if (res->mem_swap < 0)
            r = wr(cg, "memory.swap.max", "max", e);
        else if (res->has_mem_limit && res->mem_limit > 0 && res->mem_swap >= res->mem_limit)
            r = wr_i(cg, "memory.swap.max", res->mem_swap - res->mem_limit, e);
        else
            r = rns_err(e, -EINVAL, "memory+swap limit %lld is below the memory limit %lld", (long long)res->mem_swap,
                        (long long)res->mem_limit);
    }
    if (r >= 0 && res->has_mem_reservation && res->mem_reservation != 0)
        r = wr_i(cg, "memory.low", res->mem_reservation, e);
    return r;
}

static int apply_cpu(cgroup *cg, const spec_resources *res, rns_error *e)
{
    int r = 0;
    if (res->has_cpu_shares && res->cpu_shares != 0)
        r = wr_i(cg, "cpu.weight", (long long)cgroup_shares_to_weight(res->cpu_shares), e);
    if (r >= 0 && ((res->has_cpu_quota && res->cpu_quota != 0) || (res->has_cpu_period && res->cpu_period != 0))) {
        char buf[64];
        unsigned long long period = res->has_cpu_period && res->cpu_period ? res->cpu_period : 100000;
        if (res->has_cpu_quota && res->cpu_quota > 0)
            snprintf(buf, sizeof(buf), "%lld %llu", (long long)res->cpu_quota, period);
        else
            snprintf(buf, sizeof(buf), "max %llu", period);
        r = wr(cg, "cpu.max", buf, e);
    }
    if (r >= 0 && res->cpus && *res->cpus)
        r = wr(cg, "cpuset.cpus", res->cpus, e);
    if (r >= 0 && res->mems && *res->mems)
        r = wr(cg, "cpuset.mems", res->mems, e);
    return r;
}

int cgroup_v2_apply(cgroup *cg, const spec_resources *res, rns_error *e)
{
    int r = apply_memory(cg, res, e);
    if (r < 0 || (r = apply_cpu(cg, res, e)) < 0)
        return r;
    if (res->has_pids_limit) {
        r = res->pids_limit > 0 ? wr_i(cg, "pids.max", res->pids_limit, e) : wr(cg, "pids.max", "max", e);
        if (r < 0)
            return r;
    }
    if (res->has_blkio_weight && res->blkio_weight != 0) {
        char buf[48];
        snprintf(buf, sizeof(buf), "default %lu", cgroup_blkio_to_io_weight(res->blkio_weight));
        if ((r = wr(cg, "io.weight", buf, e)) < 0)
            return r;
    }
    /* Device rules need an eBPF program on v2; disableOOMKiller has no v2
     * equivalent. Both are left to the caller to warn about. */
    return 0;
}

int cgroup_v2_oom_killed(cgroup *cg)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/memory.events", cg->dirs[0]);
    _cleanup_free_ char *text = NULL;
    if (rns_read_file(path, &text, NULL) < 0)
        return 0;
    const char *p = strstr(text, "oom_kill ");
    return p && strtol(p + 9, NULL, 10) > 0;
}

/* cgroup.freeze is asynchronous: cgroup.events says "frozen 1" once every
 * task has stopped, and a change there wakes poll() with POLLPRI. */
int cgroup_v2_freeze(cgroup *cg, int freeze, rns_error *e)
{
    int r = wr(cg, "cgroup.freeze", freeze ? "1" : "0", e);
    if (r < 0)
        return r;
    char path[2048];
    snprintf(path, sizeof(path), "%s/cgroup.events", cg->dirs[0]);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rns_err(e, -errno, "open %s: %s", path, strerror(errno));
    const char *want = freeze ? "frozen 1" : "frozen 0";
    for (int64_t deadline = rns_now_ns() + 10000000000LL;;) {
        char buf[512];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
            return rns_err(e, -errno, "read %s: %s", path, strerror(errno));
        buf[n] = '\0';
        if (strstr(buf, want))
            return 0;
        int64_t left_ms = (deadline - rns_now_ns()) / 1000000;
        if (left_ms <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLPRI};
        poll(&p, 1, (int)(left_ms > 100 ? 100 : left_ms));
    }
    if (freeze)
        wr(cg, "cgroup.freeze", "0", NULL);
    return rns_err(e, -ETIMEDOUT, "cgroup %s: the processes did not %s within 10 s", cg->dirs[0],
                   freeze ? "freeze (left running)" : "thaw");
}
