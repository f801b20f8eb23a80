/* Operations on a running container: pause/unpause, update of its limits
 * (and of the stored HostConfig), one stats sample, and top (the host's ps
 * filtered to the container's pids). Checks and messages are dockerd 20.10's;
 * the runtime's 1.1 methods do the work and are called only when present. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pouch/runtime.h>

#include "cleanup.h"
#include "update-body.h"
#include "daemon.h"
#include "error.h"
#include "lifecycle-internal.h"
#include "log.h"

extern char **environ;

/* The runtime of c, with method m present; else -ENOTSUP naming what. */
#define RUNTIME_WITH(s, c, m, what, rt, ops)                                                                           \
    ({                                                                                                                 \
        int _r = ctr_runtime_of(s, c, &(rt), &(ops));                                                                  \
        if (_r >= 0 && (!POUCH_HAS(ops, pouch_runtime_ops, m) || !(ops)->m))                                           \
            _r = err_set(-ENOTSUP, "the container's runtime \"%s\" cannot %s; use a runtime with ABI 1.1",            \
                         (rt)->name, what);                                                                            \
        _r;                                                                                                            \
    })

/* --- pause, unpause ---------------------------------------------------- */

static int set_paused(struct container_store *s, const char *ref, bool pause)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    pthread_mutex_lock(&s->lock);
    if (pause && c->status == STATUS_RESTARTING)
        r = err_set(-EBUSY, "Container %s is restarting, wait until the container is running", c->id);
    else if (pause && !container_running(c))
        r = err_set(-EBUSY, "Container %s is not running", c->id);
    else if (pause && c->status == STATUS_PAUSED)
        r = err_set(-EBUSY, "Container %s is already paused", c->id);
    else if (!pause && c->status != STATUS_PAUSED) /* dockerd answers this one with a 500 */
        r = err_set(-EIO, "Container %s is not paused", c->id);
    pthread_mutex_unlock(&s->lock);
    struct plugin *rt = NULL;
    const pouch_runtime_ops *ops = NULL;
    if (r >= 0)
        r = pause ? RUNTIME_WITH(s, c, pause, "pause containers", rt, ops)
                  : RUNTIME_WITH(s, c, resume, "unpause containers", rt, ops);
    if (r >= 0) {
        err_clear();
        r = pause ? ops->pause(rt->state, c->id) : ops->resume(rt->state, c->id);
        if (r < 0) {
            _cleanup_free_ char *why = strdup(err_get());
            r = err_set(-EIO, "Cannot %s container %s: %s", pause ? "pause" : "unpause", c->id, why ? why : "");
        }
    }
    if (r >= 0) {
        pthread_mutex_lock(&s->lock);
        if (container_running(c)) /* it may have exited meanwhile */
            c->status = pause ? STATUS_PAUSED : STATUS_RUNNING;
        container_sync_state(c);
        container_save(s, c);
        pthread_cond_broadcast(&s->changed);
        ctr_event(s, c, pause ? "pause" : "unpause", NULL);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_pause(struct container_store *s, const char *ref)
{
    return set_paused(s, ref, true);
}

int ctr_unpause(struct container_store *s, const char *ref)
{
    return set_paused(s, ref, false);
}

/* --- update ---------------------------------------------------------------- */

static int64_t int_of(json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

/* Container.UpdateContainer: conflicts with what is set (409), then the
 * merge into hc (a copy of the stored HostConfig). */
static int update_merge(struct container *c, json_t *b, json_t *hc)
{
    static const char *const plain[] = {"BlkioWeight", "CpuShares", "NanoCpus", "CpuPeriod", "CpuQuota",
                                        "MemorySwap",  "MemoryReservation", "KernelMemory", "CpuRealtimePeriod",
                                        "CpuRealtimeRuntime"};
    if ((int_of(b, "NanoCpus") > 0 && int_of(hc, "CpuPeriod") > 0) ||
        (int_of(b, "CpuPeriod") > 0 && int_of(hc, "NanoCpus") > 0))
        return err_set(-EBUSY, "Cannot update container %s: Conflicting options: CPU Period cannot be updated as "
                               "NanoCPUs has already been set",
                       c->id);
    if ((int_of(b, "NanoCpus") > 0 && int_of(hc, "CpuQuota") > 0) ||
        (int_of(b, "CpuQuota") > 0 && int_of(hc, "NanoCpus") > 0))
        return err_set(-EBUSY, "Cannot update container %s: Conflicting options: CPU Quota cannot be updated as "
                               "NanoCPUs has already been set",
                       c->id);
    int64_t mem = int_of(b, "Memory");
    if (mem != 0 && mem > int_of(hc, "MemorySwap") && int_of(b, "MemorySwap") == 0)
        return err_set(-EBUSY, "Cannot update container %s: Memory limit should be smaller than already set "
                               "memoryswap limit, update the memoryswap at the same time",
                       c->id);
    json_t *rp = json_object_get(b, "RestartPolicy");
    const char *name = json_string_value(json_object_get(rp, "Name"));
    if (name && *name && strcmp(name, "no") && json_is_true(json_object_get(hc, "AutoRemove")))
        return err_set(-EBUSY, "Cannot update container %s: Restart policy cannot be updated because AutoRemove is "
                               "enabled for the container",
                       c->id);
    if (mem != 0)
        json_object_set_new(hc, "Memory", json_integer(mem));
    for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
        if (int_of(b, plain[i]) != 0)
            json_object_set_new(hc, plain[i], json_integer(int_of(b, plain[i])));
    const char *cpus = json_string_value(json_object_get(b, "CpusetCpus"));
    const char *mems = json_string_value(json_object_get(b, "CpusetMems"));
    if (cpus && *cpus)
        json_object_set_new(hc, "CpusetCpus", json_string(cpus));
    if (mems && *mems)
        json_object_set_new(hc, "CpusetMems", json_string(mems));
    if (json_is_integer(json_object_get(b, "PidsLimit")))
        json_object_set(hc, "PidsLimit", json_object_get(b, "PidsLimit"));
    if (name && *name)
        json_object_set_new(hc, "RestartPolicy",
                            json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount",
                                      (json_int_t)int_of(rp, "MaximumRetryCount")));
    return 0;
}

int ctr_update(struct container_store *s, const char *ref, json_t *body, json_t **ret)
{
    json_auto_t *b = json_deep_copy(body);
    json_auto_t *warnings = json_array();
    int r = update_verify(b, warnings);
    if (r < 0)
        return r;
    struct container *c;
    r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    pthread_mutex_lock(&s->lock);
    json_auto_t *hc = json_deep_copy(hc_of(c));
    bool live = container_running(c);
    if (c->removed || c->status == STATUS_REMOVING || c->status == STATUS_DEAD)
        r = err_set(-EIO, "Cannot update container %s: container is marked for removal and cannot be \"update\"",
                    c->id);
    else
        r = update_merge(c, b, hc);
    pthread_mutex_unlock(&s->lock);
    json_auto_t *res = update_resources(b);
    struct plugin *rt = NULL;
    const pouch_runtime_ops *ops = NULL;
    if (r >= 0 && live && json_object_size(res)) {
        r = RUNTIME_WITH(s, c, update, "update resources", rt, ops);
        _cleanup_free_ char *text = r >= 0 ? json_dumps(res, JSON_COMPACT) : NULL;
        if (r >= 0) {
            err_clear();
            r = ops->update(rt->state, c->id, text);
            if (r < 0) {
                _cleanup_free_ char *why = strdup(err_get());
                r = err_set(-EIO, "Cannot update container %s: %s", c->id, why ? why : "");
            }
        }
    }
    if (r >= 0) {
        pthread_mutex_lock(&s->lock);
        json_object_set(c->rec, "HostConfig", hc);
        r = container_save(s, c);
        ctr_event(s, c, "update", NULL);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    if (r >= 0)
        *ret = json_pack("{s:O}", "Warnings", warnings);
    return r;
}

/* --- stats ------------------------------------------------------------------ */

/* The host's CPU time in ns, from /proc/stat's first line, as dockerd sums it. */
static int64_t system_cpu_ns(void)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
    unsigned long long v[7] = {0};
    if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
        return 0;
    unsigned long long ticks = 0;
    for (int i = 0; i < 7; i++)
        ticks += v[i];
    long hz = sysconf(_SC_CLK_TCK);
    return (int64_t)(ticks * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100)));
}

static json_t *zero_cpu(void)
{
    return json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage", 0, "usage_in_kernelmode",
                     0, "usage_in_usermode", 0, "throttling_data", "periods", 0, "throttled_periods", 0,
                     "throttled_time", 0);
}

static json_t *blkio_of(json_t *from)
{
    static const char *const keys[] = {"io_service_bytes_recursive", "io_serviced_recursive",
                                       "io_queue_recursive",         "io_service_time_recursive",
                                       "io_wait_time_recursive",     "io_merged_recursive",
                                       "io_time_recursive",          "sectors_recursive"};
    json_t *out = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        json_t *v = json_object_get(from, keys[i]);
        json_object_set_new(out, keys[i], v ? json_incref(v) : from ? json_array() : json_null());
    }
    return out;
}

/* The interfaces of pid's network namespace but lo, as dockerd lists a
 * container's endpoints: {"eth0":{"rx_bytes",…}}; {} when it has none yet. */
static json_t *net_stats(int pid)
{
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%d/net/dev", pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    json_t *nets = json_object();
    while (f && fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue; /* the two header lines */
        *colon = '\0';
        char *name = line + strspn(line, " ");
        unsigned long long v[16] = {0};
        if (!strcmp(name, "lo") ||
            sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]) != 12)
            continue;
        json_object_set_new(nets, name,
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_bytes", (json_int_t)v[0],
                                      "rx_packets", (json_int_t)v[1], "rx_errors", (json_int_t)v[2], "rx_dropped",
                                      (json_int_t)v[3], "tx_bytes", (json_int_t)v[8], "tx_packets", (json_int_t)v[9],
                                      "tx_errors", (json_int_t)v[10], "tx_dropped", (json_int_t)v[11]));
    }
    return nets;
}

int ctr_stats(struct container_store *s, const char *ref, json_t **ret)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    bool live = container_running(c);
    char name[300];
    snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(c->rec, "Name")) ?: "");
    /* dockerd lists networks for a container with endpoints of its own:
     * not for none, host or another container's namespace */
    const char *mode = json_string_value(json_object_get(hc_of(c), "NetworkMode")) ?: "default";
    bool own_net = strcmp(mode, "none") && strcmp(mode, "host") && strncmp(mode, "container:", 10);
    int pid = c->pid;
    pthread_mutex_unlock(&s->lock);
    json_auto_t *sample = NULL;
    struct plugin *rt = NULL;
    const pouch_runtime_ops *ops = NULL;
    if (live && (r = RUNTIME_WITH(s, c, stats, "report resource usage", rt, ops)) >= 0) {
        char *text = NULL;
        err_clear();
        r = ops->stats(rt->state, c->id, &text);
        if (r >= 0) {
            sample = json_loads(text, 0, NULL);
            ops->free(rt->state, text);
        }
        if (r < 0) {
            /* it may have stopped meanwhile: then it is a stopped container's sample */
            pthread_mutex_lock(&s->lock);
            live = container_running(c);
            pthread_mutex_unlock(&s->lock);
            if (!live)
                r = 0;
        }
    }
    if (r < 0) {
        container_unref(s, c);
        return r;
    }
    char now[64], zero[64];
    format_time(live ? now_ns() : 0, now, sizeof(now));
    format_time(0, zero, sizeof(zero));
    json_t *cpu = live && sample ? json_deep_copy(json_object_get(sample, "cpu_stats")) : NULL;
    if (!json_is_object(cpu)) {
        json_decref(cpu);
        cpu = zero_cpu();
    }
    if (live) {
        json_object_set_new(cpu, "system_cpu_usage", json_integer(system_cpu_ns()));
        json_object_set_new(cpu, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    }
    json_t *pids = live ? json_object_get(sample, "pids_stats") : NULL;
    json_t *mem = live ? json_object_get(sample, "memory_stats") : NULL;
    *ret = json_pack("{s:s, s:s, s:o, s:o, s:i, s:{}, s:o, s:o, s:o, s:s, s:s}", "read", now, "preread", zero,
                     "pids_stats", pids ? json_incref(pids) : json_object(), "blkio_stats",
                     blkio_of(live ? json_object_get(sample, "blkio_stats") ?: json_object() : NULL), "num_procs", 0,
                     "storage_stats", "cpu_stats", cpu, "precpu_stats", zero_cpu(), "memory_stats",
                     mem ? json_incref(mem) : json_object(), "name", name, "id", c->id);
    if (*ret && live && own_net && pid > 0)
        json_object_set_new(*ret, "networks", net_stats(pid));
    container_unref(s, c);
    return *ret ? 0 : err_set(-ENOMEM, "stats: out of memory");
}

/* --- top ----------------------------------------------------------------------- */

static char *read_all_fd(int fd)
{
    off_t len = lseek(fd, 0, SEEK_END);
    if (len < 0 || lseek(fd, 0, SEEK_SET) < 0)
        return NULL;
    char *buf = malloc((size_t)len + 1);
    ssize_t n = buf ? pread(fd, buf, (size_t)len, 0) : -1;
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

/* Run ps with argv; stdout and the first line of stderr. 0 when it exited 0. */
static int run_ps(char **argv, char **ret_out, char **ret_err)
{
    _cleanup_close_ int out = memfd_create("ps-out", MFD_CLOEXEC);
    _cleanup_close_ int err = memfd_create("ps-err", MFD_CLOEXEC);
    if (out < 0 || err < 0)
        return -errno;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    pid_t pid;
    int r = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return -r;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *ret_out = read_all_fd(out);
    *ret_err = read_all_fd(err);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static bool has_pid(json_t *pids, long p)
{
    size_t i;
    json_t *v;
    json_array_foreach(pids, i, v) if (json_integer_value(v) == p) return true;
    return false;
}

/* Split on runs of blanks; NUL-terminates in place. */
static size_t fields_of(char *line, char **f, size_t cap)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(line, " \t", &save); t && n < cap; t = strtok_r(NULL, " \t", &save))
        f[n++] = t;
    return n;
}

/* dockerd's parsePSOutput: titles from the first line, rows whose PID is the
 * container's (and the thread rows after them); the last column keeps its spaces. */
static int parse_ps(char *text, json_t *pids, json_t **ret)
{
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    char *titles[64];
    size_t nt = line ? fields_of(line, titles, ARRAY_SIZE(titles)) : 0;
    long pid_col = -1;
    json_t *tj = json_array();
    for (size_t i = 0; i < nt; i++) {
        json_array_append_new(tj, json_string(titles[i]));
        if (pid_col < 0 && !strcmp(titles[i], "PID"))
            pid_col = (long)i;
    }
    if (pid_col < 0) {
        json_decref(tj);
        return err_set(-EIO, "Couldn't find PID field in ps output");
    }
    json_t *procs = json_array();
    bool prev_in = false;
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[512];
        size_t n = fields_of(line, f, ARRAY_SIZE(f));
        if (n <= (size_t)pid_col)
            continue;
        bool keep;
        if (!strcmp(f[pid_col], "-")) {
            keep = prev_in;
        } else {
            char *end;
            long p = strtol(f[pid_col], &end, 10);
            if (*end) {
                json_decref(tj);
                json_decref(procs);
                return err_set(-EIO, "Unexpected pid '%s': strconv.Atoi: parsing \"%s\": invalid syntax", f[pid_col],
                               f[pid_col]);
            }
            keep = prev_in = has_pid(pids, p);
        }
        if (!keep)
            continue;
        json_t *row = json_array();
        size_t last = nt - 1 < n ? nt - 1 : n;
        for (size_t i = 0; i < last; i++)
            json_array_append_new(row, json_string(f[i]));
        char joined[4096] = "";
        for (size_t i = last; i < n; i++) {
            if (i > last)
                strncat(joined, " ", sizeof(joined) - strlen(joined) - 1);
            strncat(joined, f[i], sizeof(joined) - strlen(joined) - 1);
        }
        json_array_append_new(row, json_string(joined));
        json_array_append_new(procs, row);
    }
    *ret = json_pack("{s:o, s:o}", "Processes", procs, "Titles", tj);
    return 0;
}

int ctr_top(struct container_store *s, const char *ref, const char *ps_args, json_t **ret)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    if (c->status == STATUS_RESTARTING)
        r = err_set(-EBUSY, "Container %s is restarting, wait until the container is running", c->id);
    else if (!container_running(c))
        r = err_set(-EBUSY, "Container %s is not running", c->id);
    pthread_mutex_unlock(&s->lock);
    struct plugin *rt = NULL;
    const pouch_runtime_ops *ops = NULL;
    json_auto_t *pids = NULL;
    if (r >= 0)
        r = RUNTIME_WITH(s, c, pids, "list the container's processes", rt, ops);
    if (r >= 0) {
        char *text = NULL;
        r = ops->pids(rt->state, c->id, &text);
        if (r >= 0) {
            pids = json_loads(text, 0, NULL);
            ops->free(rt->state, text);
        }
    }
    if (r < 0) {
        container_unref(s, c);
        return r;
    }
    /* dockerd splits the args on single spaces and adds -q <pids>; ps
     * options that refuse -q get a second run without it. */
    _cleanup_free_ char *args = strdup(ps_args && *ps_args ? ps_args : "-ef");
    _cleanup_free_ char *pidlist = calloc(1, json_array_size(pids) * 12 + 2);
    char *argv[260];
    size_t n = 0;
    argv[n++] = (char *)"ps";
    for (char *p = args; p && n < ARRAY_SIZE(argv) - 3;) {
        char *sp = strchr(p, ' ');
        if (sp)
            *sp = 0;
        argv[n++] = p;
        p = sp ? sp + 1 : NULL;
    }
    size_t i;
    json_t *v;
    json_array_foreach(pids, i, v) sprintf(pidlist + strlen(pidlist), "%s%lld", i ? "," : "", json_integer_value(v));
    argv[n] = (char *)"-q";
    argv[n + 1] = pidlist;
    argv[n + 2] = NULL;
    _cleanup_free_ char *out = NULL, *err = NULL;
    r = json_array_size(pids) && pidlist ? run_ps(argv, &out, &err) : 1;
    if (r != 0) {
        free(out);
        free(err);
        out = err = NULL;
        argv[n] = NULL;
        r = run_ps(argv, &out, &err);
    }
    if (r < 0)
        r = err_set(r, "ps: cannot run it: %s (install procps)", strerror(-r));
    else if (r > 0 && err && *err) {
        err[strcspn(err, "\n")] = 0; /* dockerd: the first line of ps's complaint */
        r = err_set(-EIO, "ps: %s", err);
    } else if (r > 0)
        r = err_set(-EIO, "ps: exit status 1");
    if (r >= 0)
        r = parse_ps(out ? out : (char *)"", pids, ret);
    if (r >= 0)
        ctr_event_locking(s, c, "top", NULL);
    container_unref(s, c);
    return r;
}
