/* Turns a container's Config/HostConfig into an OCI runtime spec with
 * dockerd's defaults: its capability set, masked and read-only paths, mount
 * table and device rules. Everything the user asked for is either in the
 * spec or refused here with a message; nothing is silently dropped. */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "seccomp.h"

const char *const spec_default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

const char *const spec_all_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    NULL,
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    NULL,
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* Namespaced sysctls a container may set (what dockerd/runc allow). */
static bool sysctl_allowed(const char *key, bool host_net, bool host_ipc)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced", NULL};
    for (size_t i = 0; ipc[i]; i++)
        if (strcmp(key, ipc[i]) == 0)
            return !host_ipc;
    if (strncmp(key, "fs.mqueue.", 10) == 0)
        return !host_ipc;
    if (strncmp(key, "net.", 4) == 0)
        return !host_net;
    return false;
}

int spec_cap_normalize(const char *name, char *buf, size_t cap)
{
    char up[64];
    size_t n = 0;
    for (const char *p = name; *p && n < sizeof(up) - 1; p++)
        up[n++] = (char)toupper((unsigned char)*p);
    up[n] = '\0';
    if (strcmp(up, "ALL") == 0) {
        snprintf(buf, cap, "ALL");
        return 0;
    }
    snprintf(buf, cap, "%s%s", strncmp(up, "CAP_", 4) == 0 ? "" : "CAP_", up);
    for (size_t i = 0; spec_all_caps[i]; i++)
        if (strcmp(spec_all_caps[i], buf) == 0)
            return 0;
    return err_set(-EINVAL, "unknown capability: \"%s\"", name);
}

static bool list_has(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

/* dockerd's TweakCapabilities: defaults (or the daemon's bounding set when
 * privileged), plus --cap-add, minus --cap-drop; ALL on either side. */
static int capabilities(const struct spec_input *in, bool privileged, json_t **ret)
{
    json_auto_t *caps = json_array();
    if (privileged) {
        *ret = json_incref(in->bounding_caps ? in->bounding_caps : caps);
        if (!in->bounding_caps)
            for (size_t i = 0; spec_all_caps[i]; i++)
                json_array_append_new(caps, json_string(spec_all_caps[i]));
        return 0;
    }
    json_auto_t *add = json_array(), *drop = json_array();
    json_t *lists[2] = {json_object_get(in->host_config, "CapAdd"), json_object_get(in->host_config, "CapDrop")};
    json_t *outs[2] = {add, drop};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        json_array_foreach(lists[l], i, v)
        {
            char name[64];
            if (!json_is_string(v))
                return err_set(-EINVAL, "capabilities must be strings");
            int r = spec_cap_normalize(json_string_value(v), name, sizeof(name));
            if (r < 0)
                return r;
            json_array_append_new(outs[l], json_string(name));
        }
    }
    bool add_all = list_has(add, "ALL"), drop_all = list_has(drop, "ALL");
    const char *const *base = add_all ? spec_all_caps : spec_default_caps;
    for (size_t i = 0; base[i]; i++)
        if (!drop_all && !list_has(drop, base[i]))
            json_array_append_new(caps, json_string(base[i]));
    size_t i;
    json_t *v;
    json_array_foreach(add, i, v)
    {
        const char *c = json_string_value(v);
        if (strcmp(c, "ALL") != 0 && !list_has(caps, c) && (!drop_all || true) && !list_has(drop, c))
            json_array_append_new(caps, json_string(c));
    }
    if (in->bounding_caps) { /* never more than the daemon itself has */
        for (size_t k = json_array_size(caps); k-- > 0;)
            if (!list_has(in->bounding_caps, json_string_value(json_array_get(caps, k))))
                json_array_remove(caps, k);
    }
    *ret = json_incref(caps);
    return 0;
}

static json_t *mount_entry(const char *dest, const char *type, const char *src, const char *const *opts)
{
    json_t *o = json_array();
    for (size_t i = 0; opts[i]; i++)
        json_array_append_new(o, json_string(opts[i]));
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src, "options", o);
}

static bool mounted_by_user(json_t *mounts, const char *dest)
{
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *d = json_string_value(json_object_get(m, "destination"));
        if (d && strcmp(d, dest) == 0)
            return true;
    }
    return false;
}

/* -v host:ctr[:opts], --mount type=bind|tmpfs, --tmpfs dst[:opts]. */
static int user_mounts(json_t *hc, json_t *out)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(hc, "Binds"), i, b)
    {
        _cleanup_free_ char *spec = strdup(json_string_value(b) ? json_string_value(b) : "");
        char *parts[3] = {0};
        int n = 0;
        char *save = NULL;
        for (char *p = strtok_r(spec, ":", &save); p && n < 3; p = strtok_r(NULL, ":", &save))
            parts[n++] = p;
        if (n < 2 || parts[0][0] != '/' || parts[1][0] != '/')
            return err_set(-EINVAL,
                           "invalid volume specification: '%s': give /host/path:/container/path[:ro] (named volumes "
                           "are not supported yet)",
                           json_string_value(b));
        bool ro = n == 3 && strstr(parts[2], "ro") && !strstr(parts[2], "rw");
        const char *opts[] = {"rbind", ro ? "ro" : "rw", "rprivate", NULL};
        json_array_append_new(out, mount_entry(parts[1], "bind", parts[0], opts));
    }
    json_array_foreach(json_object_get(hc, "Mounts"), i, b)
    {
        const char *type = json_string_value(json_object_get(b, "Type"));
        const char *src = json_string_value(json_object_get(b, "Source"));
        const char *dst = json_string_value(json_object_get(b, "Target"));
        bool ro = json_is_true(json_object_get(b, "ReadOnly"));
        if (!dst || dst[0] != '/')
            return err_set(-EINVAL, "invalid mount config: mount target must be an absolute path");
        if (type && strcmp(type, "bind") == 0) {
            if (!src || src[0] != '/')
                return err_set(
                    -EINVAL,
                    "invalid mount config for type \"bind\": invalid mount path: '%s' mount path must be absolute",
                    src ? src : "");
            const char *opts[] = {"rbind", ro ? "ro" : "rw", "rprivate", NULL};
            json_array_append_new(out, mount_entry(dst, "bind", src, opts));
        } else if (type && strcmp(type, "tmpfs") == 0) {
            json_t *to = json_object_get(b, "TmpfsOptions");
            char size[64] = "", mode[32] = "";
            if (json_integer_value(json_object_get(to, "SizeBytes")) > 0)
                snprintf(size, sizeof(size), "size=%lld",
                         (long long)json_integer_value(json_object_get(to, "SizeBytes")));
            if (json_integer_value(json_object_get(to, "Mode")) > 0)
                snprintf(mode, sizeof(mode), "mode=%llo", (long long)json_integer_value(json_object_get(to, "Mode")));
            const char *opts[6] = {"nosuid", "nodev", "noexec", NULL, NULL, NULL};
            int k = 3;
            if (size[0])
                opts[k++] = size;
            if (mode[0])
                opts[k++] = mode;
            json_array_append_new(out, mount_entry(dst, "tmpfs", "tmpfs", opts));
            if (ro)
                json_array_append_new(json_object_get(json_array_get(out, json_array_size(out) - 1), "options"),
                                      json_string("ro"));
        } else {
            return err_set(-EINVAL, "mount type \"%s\" is not supported yet (bind and tmpfs are)", type ? type : "");
        }
    }
    const char *dst;
    json_t *opt;
    json_object_foreach(json_object_get(hc, "Tmpfs"), dst, opt)
    {
        json_t *o = json_pack("[s, s, s]", "noexec", "nosuid", "nodev");
        _cleanup_free_ char *copy = strdup(json_string_value(opt) ? json_string_value(opt) : "");
        char *save = NULL;
        for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            /* later options win over the defaults, e.g. exec */
            const char *neg = strcmp(p, "exec") == 0   ? "noexec"
                              : strcmp(p, "suid") == 0 ? "nosuid"
                              : strcmp(p, "dev") == 0  ? "nodev"
                                                       : NULL;
            for (size_t k = 0; neg && k < json_array_size(o); k++)
                if (strcmp(json_string_value(json_array_get(o, k)), neg) == 0)
                    json_array_remove(o, k);
            json_array_append_new(o, json_string(p));
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", "tmpfs", "source",
                                             "tmpfs", "options", o));
    }
    return 0;
}

static int ulimit_resource(const char *name, char *buf, size_t cap)
{
    static const char *const known[] = {"core",     "cpu",        "data",   "fsize", "locks", "memlock",
                                        "msgqueue", "nice",       "nofile", "nproc", "rss",   "rtprio",
                                        "rttime",   "sigpending", "stack",  "as",    NULL};
    for (size_t i = 0; known[i]; i++)
        if (strcmp(known[i], name) == 0) {
            char up[32];
            size_t n = 0;
            for (const char *p = name; *p; p++)
                up[n++] = (char)toupper((unsigned char)*p);
            up[n] = '\0';
            snprintf(buf, cap, "RLIMIT_%s", up);
            return 0;
        }
    return err_set(-EINVAL, "invalid ulimit type: %s", name);
}

static json_t *device_rule(bool allow, const char *type, int64_t major, int64_t minor, const char *access)
{
    json_t *r = json_pack("{s:b, s:s, s:s}", "allow", allow, "type", type, "access", access);
    if (major >= 0)
        json_object_set_new(r, "major", json_integer(major));
    if (minor >= 0)
        json_object_set_new(r, "minor", json_integer(minor));
    return r;
}

static json_t *default_device_rules(void)
{
    json_t *d = json_array();
    json_array_append_new(d, json_pack("{s:b, s:s}", "allow", 0, "access", "rwm"));
    json_array_append_new(d, device_rule(true, "c", -1, -1, "m"));
    json_array_append_new(d, device_rule(true, "b", -1, -1, "m"));
    static const int64_t rwm[][2] = {{1, 3}, {1, 8}, {1, 7}, {5, 0}, {1, 5}, {1, 9}, {136, -1}, {5, 2}, {10, 200}};
    for (size_t i = 0; i < ARRAY_SIZE(rwm); i++)
        json_array_append_new(d, device_rule(true, "c", rwm[i][0], rwm[i][1], "rwm"));
    return d;
}

static int64_t int_of(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static json_t *resources(json_t *hc, bool privileged)
{
    json_t *r = json_object();
    json_object_set_new(r, "devices",
                        privileged ? json_pack("[{s:b, s:s}]", "allow", 1, "access", "rwm") : default_device_rules());
    json_t *mem = json_object();
    if (int_of(hc, "Memory") > 0)
        json_object_set_new(mem, "limit", json_integer(int_of(hc, "Memory")));
    if (int_of(hc, "MemoryReservation") > 0)
        json_object_set_new(mem, "reservation", json_integer(int_of(hc, "MemoryReservation")));
    if (int_of(hc, "MemorySwap") != 0)
        json_object_set_new(mem, "swap", json_integer(int_of(hc, "MemorySwap")));
    if (json_is_true(json_object_get(hc, "OomKillDisable")))
        json_object_set_new(mem, "disableOOMKiller", json_true());
    if (json_object_size(mem))
        json_object_set_new(r, "memory", mem);
    else
        json_decref(mem);
    json_t *cpu = json_object();
    int64_t nano = int_of(hc, "NanoCpus");
    if (int_of(hc, "CpuShares") > 0)
        json_object_set_new(cpu, "shares", json_integer(int_of(hc, "CpuShares")));
    if (nano > 0) {
        json_object_set_new(cpu, "period", json_integer(100000));
        json_object_set_new(cpu, "quota", json_integer(nano * 100000 / 1000000000));
    }
    if (int_of(hc, "CpuQuota") != 0)
        json_object_set_new(cpu, "quota", json_integer(int_of(hc, "CpuQuota")));
    if (int_of(hc, "CpuPeriod") > 0)
        json_object_set_new(cpu, "period", json_integer(int_of(hc, "CpuPeriod")));
    const char *cpus = json_string_value(json_object_get(hc, "CpusetCpus"));
    const char *mems = json_string_value(json_object_get(hc, "CpusetMems"));
    if (cpus && *cpus)
        json_object_set_new(cpu, "cpus", json_string(cpus));
    if (mems && *mems)
        json_object_set_new(cpu, "mems", json_string(mems));
    if (json_object_size(cpu))
        json_object_set_new(r, "cpu", cpu);
    else
        json_decref(cpu);
    json_t *pids = json_object_get(hc, "PidsLimit");
    if (json_is_integer(pids) && json_integer_value(pids) != 0)
        json_object_set_new(
            r, "pids",
            json_pack("{s:I}", "limit", json_integer_value(pids) < 0 ? (json_int_t)-1 : json_integer_value(pids)));
    if (int_of(hc, "BlkioWeight") > 0)
        json_object_set_new(r, "blockIO", json_pack("{s:I}", "weight", (json_int_t)int_of(hc, "BlkioWeight")));
    return r;
}

static const char *mode_of(json_t *hc, const char *key)
{
    const char *m = json_string_value(json_object_get(hc, key));
    return m ? m : "";
}

static json_t *namespaces(const struct spec_input *in, json_t *hc)
{
    json_t *ns = json_array();
    if (strcmp(mode_of(hc, "PidMode"), "host") != 0)
        json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
    const char *ipc = mode_of(hc, "IpcMode");
    if (strncmp(ipc, "container:", 10) == 0 && json_is_string(json_object_get(hc, "_IpcPath")))
        json_array_append_new(ns, json_pack("{s:s, s:O}", "type", "ipc", "path", json_object_get(hc, "_IpcPath")));
    else if (strcmp(ipc, "host") != 0)
        json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
    if (strcmp(mode_of(hc, "UTSMode"), "host") != 0)
        json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
    json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
    if (strcmp(mode_of(hc, "NetworkMode"), "host") != 0)
        json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
    const char *cg = mode_of(hc, "CgroupnsMode");
    if (strcmp(cg, "private") == 0 || (!*cg && in->cgroup_v2))
        json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
    if (in->uid_mappings)
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
    return ns;
}

static json_t *env_of(const struct spec_input *in)
{
    json_t *env = json_array();
    bool has_path = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(in->config, "Env"), i, e)
    {
        if (!json_is_string(e))
            continue;
        has_path |= strncmp(json_string_value(e), "PATH=", 5) == 0;
        json_array_append(env, e);
    }
    if (!has_path)
        json_array_insert_new(env, 0, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    bool has_home = false;
    json_array_foreach(env, i, e) has_home |= strncmp(json_string_value(e), "HOME=", 5) == 0;
    if (!has_home) { /* dockerd sets HOME from the user's passwd entry, "/" without one */
        char home[600];
        snprintf(home, sizeof(home), "HOME=%s", in->home && *in->home ? in->home : "/");
        json_array_append_new(env, json_string(home));
    }
    char host[300];
    const char *hn = json_string_value(json_object_get(in->config, "Hostname"));
    snprintf(host, sizeof(host), "HOSTNAME=%s", hn && *hn ? hn : "");
    json_array_insert_new(env, 1, json_string(host));
    if (json_is_true(json_object_get(in->config, "Tty"))) {
        bool has_term = false;
        json_array_foreach(env, i, e) has_term |= strncmp(json_string_value(e), "TERM=", 5) == 0;
        if (!has_term)
            json_array_append_new(env, json_string("TERM=xterm"));
    }
    return env;
}

static json_t *args_of(const struct spec_input *in)
{
    json_t *args = json_array();
    if (in->init_path && json_is_true(json_object_get(in->host_config, "Init"))) {
        json_array_append_new(args, json_string("/sbin/docker-init"));
        json_array_append_new(args, json_string("--"));
    }
    json_t *lists[2] = {json_object_get(in->config, "Entrypoint"), json_object_get(in->config, "Cmd")};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *a;
        json_array_foreach(lists[l], i, a) if (json_is_string(a)) json_array_append(args, a);
    }
    return args;
}

int spec_build(const struct spec_input *in, json_t **ret)
{
    json_t *hc = in->host_config;
    bool privileged = json_is_true(json_object_get(hc, "Privileged"));
    bool host_net = strcmp(mode_of(hc, "NetworkMode"), "host") == 0;
    bool host_ipc = strcmp(mode_of(hc, "IpcMode"), "host") == 0;

    json_t *caps = NULL;
    int r = capabilities(in, privileged, &caps);
    if (r < 0)
        return r;
    json_auto_t *args = args_of(in);
    if (json_array_size(args) == 0) {
        json_decref(caps);
        return err_set(-EINVAL, "no command specified");
    }
    struct security_opts sec;
    json_t *seccomp = NULL;
    r = security_opts_parse(json_object_get(hc, "SecurityOpt"), &sec);
    if (r >= 0) /* judged against the final capabilities, as dockerd does */
        r = seccomp_for_container(sec.seccomp, privileged, caps, &seccomp);
    if (r < 0) {
        json_decref(caps);
        return r;
    }
    bool nnp = sec.no_new_privileges;
    size_t i;
    json_t *v;
    json_t *rlimits = json_array();
    json_array_foreach(json_object_get(hc, "Ulimits"), i, v)
    {
        char res[32];
        const char *name = json_string_value(json_object_get(v, "Name"));
        r = ulimit_resource(name ? name : "?", res, sizeof(res));
        if (r < 0) {
            json_decref(caps);
            json_decref(rlimits);
            json_decref(seccomp);
            return r;
        }
        json_array_append_new(rlimits, json_pack("{s:s, s:I, s:I}", "type", res, "hard", (json_int_t)int_of(v, "Hard"),
                                                 "soft", (json_int_t)int_of(v, "Soft")));
    }
    const char *wd = json_string_value(json_object_get(in->config, "WorkingDir"));
    /* No inheritable capabilities, as dockerd since 20.10.14 (CVE-2022-24769). */
    json_auto_t *empty_caps = json_array();
    json_t *process =
        json_pack("{s:b, s:{s:i, s:i}, s:O, s:o, s:s, s:{s:O, s:O, s:O, s:O}, s:o, s:b}", "terminal",
                  json_is_true(json_object_get(in->config, "Tty")), "user", "uid", in->uid, "gid", in->gid, "args",
                  args, "env", env_of(in), "cwd", wd && *wd ? wd : "/", "capabilities", "bounding", caps, "effective",
                  caps, "inheritable", empty_caps, "permitted", caps, "rlimits", rlimits, "noNewPrivileges", nnp);
    json_decref(caps);
    if (in->additional_gids && json_array_size(in->additional_gids))
        json_object_set(json_object_get(process, "user"), "additionalGids", in->additional_gids);
    if (json_is_integer(json_object_get(hc, "OomScoreAdj")) && int_of(hc, "OomScoreAdj") != 0)
        json_object_set_new(process, "oomScoreAdj", json_integer(int_of(hc, "OomScoreAdj")));

    /* mounts: dockerd's defaults, then etc files, then the user's (which win) */
    json_auto_t *user = json_array();
    r = user_mounts(hc, user);
    if (r < 0) {
        json_decref(process);
        json_decref(seccomp);
        return r;
    }
    json_t *mounts = json_array();
    char shm_size[64];
    snprintf(shm_size, sizeof(shm_size), "size=%lld",
             int_of(hc, "ShmSize") > 0 ? (long long)int_of(hc, "ShmSize") : 67108864LL);
    const char *proc[] = {"nosuid", "noexec", "nodev", NULL};
    const char *dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
    const char *pts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL};
    const char *sys[] = {"nosuid", "noexec", "nodev", privileged ? "rw" : "ro", NULL};
    /* dockerd leaves cgroups writable in a user namespace (a remount there
     * cannot be undone; the host's ownership still keeps them read-only) and,
     * as /sys, in a privileged container. */
    const char *cg[] = {in->uid_mappings || privileged ? "rw" : "ro", "nosuid", "noexec", "nodev", NULL};
    const char *mq[] = {"nosuid", "noexec", "nodev", NULL};
    const char *shm[] = {"nosuid", "noexec", "nodev", "mode=1777", shm_size, NULL};
    json_array_append_new(mounts, mount_entry("/proc", "proc", "proc", proc));
    json_array_append_new(mounts, mount_entry("/dev", "tmpfs", "tmpfs", dev));
    json_array_append_new(mounts, mount_entry("/dev/pts", "devpts", "devpts", pts));
    json_array_append_new(mounts, mount_entry("/sys", "sysfs", "sysfs", sys));
    json_array_append_new(mounts, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup", cg));
    json_array_append_new(mounts, mount_entry("/dev/mqueue", "mqueue", "mqueue", mq));
    if (!host_ipc && !mounted_by_user(user, "/dev/shm"))
        json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm", shm));
    const char *bind[] = {"rbind", "rprivate", NULL};
    const char *etc_dst[] = {"/etc/resolv.conf", "/etc/hostname", "/etc/hosts"};
    const char *etc_src[] = {in->resolv_path, in->hostname_path, in->hosts_path};
    for (int k = 0; k < 3; k++)
        if (etc_src[k] && !mounted_by_user(user, etc_dst[k]))
            json_array_append_new(mounts, mount_entry(etc_dst[k], "bind", etc_src[k], bind));
    if (in->init_path && json_is_true(json_object_get(hc, "Init"))) {
        const char *ro_bind[] = {"bind", "ro", NULL};
        json_array_append_new(mounts, mount_entry("/sbin/docker-init", "bind", in->init_path, ro_bind));
    }
    json_array_extend(mounts, user);

    json_t *lnx = json_object();
    json_object_set_new(lnx, "resources", resources(hc, privileged));
    const char *parent = json_string_value(json_object_get(hc, "CgroupParent"));
    char cgpath[600];
    snprintf(cgpath, sizeof(cgpath), "%s/%s", parent && *parent ? parent : "/pouch", in->id);
    if (cgpath[0] != '/') {
        memmove(cgpath + 1, cgpath, strlen(cgpath) + 1);
        cgpath[0] = '/';
    }
    json_object_set_new(lnx, "cgroupsPath", json_string(cgpath));
    json_object_set_new(lnx, "namespaces", namespaces(in, hc));
    if (in->uid_mappings) {
        json_object_set(lnx, "uidMappings", in->uid_mappings);
        json_object_set(lnx, "gidMappings", in->gid_mappings ? in->gid_mappings : in->uid_mappings);
    }
    if (seccomp)
        json_object_set_new(lnx, "seccomp", seccomp);

    json_t *sysctl = json_object();
    const char *key;
    json_object_foreach(json_object_get(hc, "Sysctls"), key, v)
    {
        if (!sysctl_allowed(key, host_net, host_ipc)) {
            json_decref(sysctl);
            json_decref(lnx);
            json_decref(process);
            json_decref(mounts);
            return err_set(-EINVAL,
                           "sysctl \"%s\" is not allowed: only namespaced sysctls (kernel.msg*, kernel.sem, "
                           "kernel.shm*, fs.mqueue.*, and net.* without --network host) can be set",
                           key);
        }
        json_object_set(sysctl, key, v);
    }
    json_object_set_new(lnx, "sysctl", sysctl);

    json_t *devices = json_array();
    json_array_foreach(json_object_get(hc, "_Devices"), i, v) json_array_append(devices, v);
    if (privileged && in->host_devices)
        json_array_extend(devices, in->host_devices);
    json_object_set_new(lnx, "devices", devices);
    json_array_foreach(json_object_get(hc, "_DeviceRules"), i, v)
        json_array_append(json_object_get(json_object_get(lnx, "resources"), "devices"), v);

    if (!privileged) {
        json_t *masked = json_array(), *ro = json_array();
        for (size_t k = 0; masked_paths[k]; k++)
            json_array_append_new(masked, json_string(masked_paths[k]));
        for (size_t k = 0; readonly_paths[k]; k++)
            json_array_append_new(ro, json_string(readonly_paths[k]));
        json_object_set_new(lnx, "maskedPaths", masked);
        json_object_set_new(lnx, "readonlyPaths", ro);
    }

    /* The host's UTS namespace keeps the host's name: no hostname then. */
    const char *hostname = json_string_value(json_object_get(in->config, "Hostname"));
    if (strcmp(mode_of(hc, "UTSMode"), "host") == 0)
        hostname = "";
    json_t *spec =
        json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2", "process", process, "root", "path",
                  in->rootfs, "readonly", json_is_true(json_object_get(hc, "ReadonlyRootfs")), "hostname",
                  hostname ? hostname : "", "mounts", mounts, "linux", lnx);
    if (!spec)
        return err_set(-ENOMEM, "building the runtime spec: out of memory");
    *ret = spec;
    return 0;
}
