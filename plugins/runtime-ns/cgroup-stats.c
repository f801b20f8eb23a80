/* Resource usage of a container's cgroup in the Docker Engine API's stats
 * shapes (cpu_stats, memory_stats, pids_stats, blkio_stats), read from the
 * v1 controllers or the v2 unified files; also the list of its processes.
 * Reads small files only: never spawns anything, never writes. */
#include "cgroup.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *ctrl_dir(const cgroup *cg, const char *name)
{
    if (cg->version == 2)
        return cg->n_dirs ? cg->dirs[0] : NULL;
    for (size_t i = 0; i < cg->n_dirs; i++)
        if (!strcmp(cg->names[i], name))
            return cg->dirs[i];
    return NULL;
}

/* The text of ctrl's file, or NULL when the controller or file is absent. */
static char *read_ctrl(const cgroup *cg, const char *ctrl, const char *file)
{
    const char *dir = ctrl_dir(cg, ctrl);
    if (!dir)
        return NULL;
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    char *text = NULL;
    return rns_read_file(path, &text, NULL) < 0 ? NULL : text;
}

/* A file holding one number; "max" reads as max_value. 1 when read. */
static int read_u64(const cgroup *cg, const char *ctrl, const char *file, uint64_t max_value, uint64_t *ret)
{
    _cleanup_free_ char *t = read_ctrl(cg, ctrl, file);
    if (!t)
        return 0;
    if (!strncmp(t, "max", 3)) {
        *ret = max_value;
        return 1;
    }
    char *end;
    unsigned long long v = strtoull(t, &end, 10);
    if (end == t)
        return 0;
    *ret = v;
    return 1;
}

static json_t *jint(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* "key value" lines (memory.stat, cpu.stat, cpuacct.stat) as an object. */
json_t *cgroup_parse_flat_keyed(const char *text)
{
    json_t *o = json_object();
    for (const char *p = text; o && p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char key[128];
        unsigned long long v;
        char line[256];
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
        if (sscanf(line, "%127s %llu", key, &v) == 2)
            json_object_set_new(o, key, jint(v));
        p = eol ? eol + 1 : NULL;
    }
    return o;
}

static uint64_t key_u64(json_t *o, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(o, key));
}

/* blkio.throttle.* (v1): "MAJ:MIN Op Value" lines; the "Total" line has no
 * device and is left out, as dockerd does. */
json_t *cgroup_parse_blkio_v1(const char *text)
{
    json_t *a = json_array();
    for (const char *p = text; a && p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[256], op[32];
        unsigned maj, min;
        unsigned long long v;
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
        if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
            json_array_append_new(a, json_pack("{s:I,s:I,s:s,s:o}", "major", (json_int_t)maj, "minor",
                                               (json_int_t)min, "op", op, "value", jint(v)));
        p = eol ? eol + 1 : NULL;
    }
    return a;
}

/* io.stat (v2): "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." lines into
 * dockerd's io_service_bytes_recursive and io_serviced_recursive. */
void cgroup_parse_io_stat(const char *text, json_t *bytes, json_t *ios)
{
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
        unsigned maj, min;
        int off = 0;
        if (sscanf(line, "%u:%u%n", &maj, &min, &off) == 2) {
            static const struct {
                const char *key, *op;
                int ios;
            } map[] = {{"rbytes=", "read", 0}, {"wbytes=", "write", 0}, {"rios=", "read", 1}, {"wios=", "write", 1}};
            for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
                const char *k = strstr(line + off, map[i].key);
                if (!k)
                    continue;
                uint64_t v = strtoull(k + strlen(map[i].key), NULL, 10);
                json_array_append_new(map[i].ios ? ios : bytes,
                                      json_pack("{s:I,s:I,s:s,s:o}", "major", (json_int_t)maj, "minor",
                                                (json_int_t)min, "op", map[i].op, "value", jint(v)));
            }
        }
        p = eol ? eol + 1 : NULL;
    }
}

static uint64_t host_memory(void)
{
    _cleanup_free_ char *t = NULL;
    if (rns_read_file("/proc/meminfo", &t, NULL) < 0)
        return UINT64_MAX;
    const char *p = strstr(t, "MemTotal:");
    return p ? strtoull(p + 9, NULL, 10) * 1024 : UINT64_MAX;
}

static const char *const blkio_keys[] = {
    "io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
    "io_wait_time_recursive",     "io_merged_recursive",   "io_time_recursive",  "sectors_recursive",
};

static json_t *blkio_empty(int as_arrays)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < ARRAY_SIZE(blkio_keys); i++)
        json_object_set_new(o, blkio_keys[i], as_arrays ? json_array() : json_null());
    return o;
}

static json_t *pids_stats(const cgroup *cg)
{
    json_t *o = json_object();
    uint64_t v;
    if (read_u64(cg, "pids", "pids.current", 0, &v))
        json_object_set_new(o, "current", jint(v));
    if (read_u64(cg, "pids", "pids.max", 0, &v) && v > 0)
        json_object_set_new(o, "limit", jint(v));
    return o;
}

static json_t *cpu_json(uint64_t total, uint64_t kernel, uint64_t user, json_t *percpu, uint64_t periods,
                        uint64_t throttled, uint64_t throttled_ns)
{
    json_t *usage = json_pack("{s:o,s:o,s:o}", "total_usage", jint(total), "usage_in_kernelmode", jint(kernel),
                              "usage_in_usermode", jint(user));
    if (usage && percpu)
        json_object_set_new(usage, "percpu_usage", percpu);
    else
        json_decref(percpu);
    return json_pack("{s:o,s:{s:o,s:o,s:o}}", "cpu_usage", usage, "throttling_data", "periods", jint(periods),
                     "throttled_periods", jint(throttled), "throttled_time", jint(throttled_ns));
}

/* dockerd 20.10 reports a fixed set of v1 memory.stat keys (those its
 * cgroup library knows), whatever else the kernel prints: keep to it. */
static void memory_stat_v1_filter(json_t *st)
{
    static const char *const keep[] = {"cache",         "rss",          "rss_huge",      "mapped_file", "dirty",
                                       "writeback",     "pgpgin",       "pgpgout",       "pgfault",     "pgmajfault",
                                       "inactive_anon", "active_anon",  "inactive_file", "active_file", "unevictable"};
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(st, tmp, key, v)
    {
        const char *base = strncmp(key, "total_", 6) ? key : key + 6;
        int ok = !strcmp(key, "hierarchical_memory_limit") || !strcmp(key, "hierarchical_memsw_limit");
        for (size_t i = 0; !ok && i < ARRAY_SIZE(keep); i++)
            ok = !strcmp(base, keep[i]);
        if (!ok)
            json_object_del(st, key);
    }
}

static json_t *stats_v1(const cgroup *cg)
{
    uint64_t total = 0, v;
    read_u64(cg, "cpuacct", "cpuacct.usage", 0, &total);
    json_t *percpu = json_array();
    _cleanup_free_ char *pc = read_ctrl(cg, "cpuacct", "cpuacct.usage_percpu");
    for (char *p = pc, *end; p && percpu; p = end) {
        unsigned long long n = strtoull(p, &end, 10);
        if (end == p)
            break;
        json_array_append_new(percpu, jint(n));
    }
    /* cpuacct.stat counts USER_HZ ticks; the API wants ns. */
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t tick_ns = hz > 0 ? 1000000000ULL / (uint64_t)hz : 10000000ULL;
    _cleanup_free_ char *st = read_ctrl(cg, "cpuacct", "cpuacct.stat");
    _cleanup_(json_decrefp) json_t *ticks = cgroup_parse_flat_keyed(st ? st : "");
    _cleanup_free_ char *cs = read_ctrl(cg, "cpu", "cpu.stat");
    _cleanup_(json_decrefp) json_t *thr = cgroup_parse_flat_keyed(cs ? cs : "");
    json_t *cpu = cpu_json(total, key_u64(ticks, "system") * tick_ns, key_u64(ticks, "user") * tick_ns, percpu,
                           key_u64(thr, "nr_periods"), key_u64(thr, "nr_throttled"), key_u64(thr, "throttled_time"));

    json_t *mem = json_object();
    if (read_u64(cg, "memory", "memory.usage_in_bytes", 0, &v))
        json_object_set_new(mem, "usage", jint(v));
    if (read_u64(cg, "memory", "memory.max_usage_in_bytes", 0, &v))
        json_object_set_new(mem, "max_usage", jint(v));
    if (read_u64(cg, "memory", "memory.failcnt", 0, &v) && v > 0)
        json_object_set_new(mem, "failcnt", jint(v));
    _cleanup_free_ char *ms = read_ctrl(cg, "memory", "memory.stat");
    if (ms) {
        json_t *keys = cgroup_parse_flat_keyed(ms);
        memory_stat_v1_filter(keys);
        json_object_set_new(mem, "stats", keys);
    }
    if (read_u64(cg, "memory", "memory.limit_in_bytes", 0, &v)) {
        uint64_t host = host_memory();
        json_object_set_new(mem, "limit", jint(v < host ? v : host));
    }

    json_t *blkio = blkio_empty(1);
    _cleanup_free_ char *b = read_ctrl(cg, "blkio", "blkio.throttle.io_service_bytes_recursive");
    _cleanup_free_ char *s = read_ctrl(cg, "blkio", "blkio.throttle.io_serviced_recursive");
    if (blkio && b)
        json_object_set_new(blkio, "io_service_bytes_recursive", cgroup_parse_blkio_v1(b));
    if (blkio && s)
        json_object_set_new(blkio, "io_serviced_recursive", cgroup_parse_blkio_v1(s));
    return json_pack("{s:o,s:o,s:o,s:o}", "cpu_stats", cpu, "memory_stats", mem, "pids_stats", pids_stats(cg),
                     "blkio_stats", blkio);
}

static json_t *stats_v2(const cgroup *cg)
{
    _cleanup_free_ char *cs = read_ctrl(cg, "cpu", "cpu.stat");
    _cleanup_(json_decrefp) json_t *c = cgroup_parse_flat_keyed(cs ? cs : "");
    json_t *cpu = cpu_json(key_u64(c, "usage_usec") * 1000, key_u64(c, "system_usec") * 1000,
                           key_u64(c, "user_usec") * 1000, NULL, key_u64(c, "nr_periods"), key_u64(c, "nr_throttled"),
                           key_u64(c, "throttled_usec") * 1000);
    json_t *mem = json_object();
    uint64_t v;
    if (read_u64(cg, "memory", "memory.current", 0, &v))
        json_object_set_new(mem, "usage", jint(v));
    _cleanup_free_ char *ms = read_ctrl(cg, "memory", "memory.stat");
    if (ms)
        json_object_set_new(mem, "stats", cgroup_parse_flat_keyed(ms));
    if (read_u64(cg, "memory", "memory.max", UINT64_MAX, &v)) {
        uint64_t host = host_memory();
        json_object_set_new(mem, "limit", jint(v < host ? v : host));
    }
    json_t *blkio = blkio_empty(0);
    _cleanup_free_ char *io = read_ctrl(cg, "io", "io.stat");
    if (blkio && io) {
        json_t *bytes = json_array(), *ios = json_array();
        cgroup_parse_io_stat(io, bytes, ios);
        json_object_set_new(blkio, "io_service_bytes_recursive", bytes);
        json_object_set_new(blkio, "io_serviced_recursive", ios);
    }
    return json_pack("{s:o,s:o,s:o,s:o}", "cpu_stats", cpu, "memory_stats", mem, "pids_stats", pids_stats(cg),
                     "blkio_stats", blkio);
}

static int dump(json_t *o, char **ret)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}

int cgroup_stats(const cgroup *cg, char **ret_json)
{
    return dump(cg->version == 2 ? stats_v2(cg) : stats_v1(cg), ret_json);
}

int cgroup_stats_zero(char **ret_json)
{
    json_t *cpu = cpu_json(0, 0, 0, NULL, 0, 0, 0);
    return dump(json_pack("{s:o,s:{},s:{},s:o}", "cpu_stats", cpu, "memory_stats", "pids_stats", "blkio_stats",
                          blkio_empty(0)),
                ret_json);
}

int cgroup_pids(const cgroup *cg, char **ret_json)
{
    json_t *a = json_array();
    if (!a)
        return -ENOMEM;
    const char *dir = cg->version == 2 ? ctrl_dir(cg, "") : ctrl_dir(cg, "pids");
    if (!dir && cg->n_dirs)
        dir = cg->dirs[0];
    _cleanup_free_ char *text = NULL;
    char path[2048];
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir ? dir : "/nonexistent");
    if (rns_read_file(path, &text, NULL) == 0) {
        for (char *p = text, *end; *p; p = end) {
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            if (pid > 0)
                json_array_append_new(a, json_integer(pid));
            while (*end == '\n')
                end++;
        }
    }
    return dump(a, ret_json);
}
