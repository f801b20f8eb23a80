/* Container operations. Locking: a container's op mutex serialises its
 * life-cycle steps; the store lock guards records and is held only briefly;
 * an exit is first recorded under the store lock alone (so stop/wait see it
 * while holding op) and cleaned up afterwards under op by the worker. */
#include "lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <pouch/log.h>
#include <pouch/runtime.h>

#include "cleanup.h"
#include "daemon.h"
#include "error.h"
#include "label-filter.h"
#include "layer-store.h"
#include "log.h"
#include "rootfs.h"
#include "spec.h"
#include "sysinfo.h"
#include "views.h"

#define DEFAULT_RUNTIME "runtime-ns"
#define INIT_BINARY "/usr/bin/tini-static"

struct exit_item {
    struct exit_item *next;
    char id[CONTAINER_ID_LEN];
    json_t *status;
};

/* The worker that turns exits into state and applies restart policies. */
static struct {
    pthread_t thread;
    bool running, stopping;
    pthread_cond_t wake;
    struct exit_item *head, *tail;
} worker = {.wake = PTHREAD_COND_INITIALIZER};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static json_t *hc_of(struct container *c)
{
    return json_object_get(c->rec, "HostConfig");
}

static json_t *cfg_of(struct container *c)
{
    return json_object_get(c->rec, "Config");
}

static void event(struct container_store *s, struct container *c, const char *action, json_t *extra)
{
    json_t *attrs = json_object();
    const char *name = json_string_value(json_object_get(c->rec, "Name"));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(cfg_of(c), "Labels"), k, v) json_object_set(attrs, k, v);
    json_object_set(attrs, "image", json_object_get(cfg_of(c), "Image"));
    json_object_set_new(attrs, "name", json_string(name ? name + (name[0] == '/') : ""));
    json_object_foreach(extra, k, v) json_object_set(attrs, k, v);
    json_decref(extra);
    _cleanup_free_ char *text = json_dumps(attrs, JSON_COMPACT);
    json_decref(attrs);
    pouch_event ev = {.size = sizeof(ev), .type = "container", .action = action, .actor_id = c->id,
                      .attributes = text, .scope = "local"};
    event_bus_publish(s->daemon->bus, &ev);
}

static struct plugin *find_plugin(struct daemon *d, uint32_t kind, const char *name)
{
    for (size_t i = 0; i < d->plugins.n; i++) {
        struct plugin *p = d->plugins.v[i];
        if (p->desc.kind == kind && (!name || strcmp(p->name, name) == 0))
            return p;
    }
    return NULL;
}

static int runtime_of(struct container_store *s, struct container *c, struct plugin **ret_p,
                      const pouch_runtime_ops **ret_ops)
{
    const char *name = json_string_value(json_object_get(hc_of(c), "Runtime"));
    struct plugin *p = find_plugin(s->daemon, POUCH_KIND_RUNTIME, name && *name ? name : DEFAULT_RUNTIME);
    const pouch_runtime_ops *ops = p ? p->desc.ops : NULL;
    if (!p || !ops || !POUCH_HAS(ops, pouch_runtime_ops, free))
        return err_set(-ENOTSUP, "unknown or incomplete runtime \"%s\": load it with pouchd --plugins=...,%s",
                       name && *name ? name : DEFAULT_RUNTIME, name && *name ? name : DEFAULT_RUNTIME);
    *ret_p = p;
    *ret_ops = ops;
    return 0;
}

static struct plugin *log_plugin(struct container_store *s, const char *driver)
{
    char name[128];
    snprintf(name, sizeof(name), "log-%s", driver);
    return find_plugin(s->daemon, POUCH_KIND_LOG, name);
}

/* --- create ------------------------------------------------------------ */

static void merge_env(json_t *image_env, json_t *user_env, json_t *out)
{
    size_t i;
    json_t *e;
    json_array_foreach(image_env, i, e) json_array_append(out, e);
    json_array_foreach(user_env, i, e)
    {
        const char *kv = json_string_value(e);
        if (!kv)
            continue;
        size_t klen = strcspn(kv, "=");
        for (size_t k = 0; k < json_array_size(out); k++) {
            const char *o = json_string_value(json_array_get(out, k));
            if (strncmp(o, kv, klen) == 0 && (o[klen] == '=' || o[klen] == '\0')) {
                json_array_remove(out, k);
                break;
            }
        }
        json_array_append(out, e);
    }
}

/* The image's defaults under what the user gave, as dockerd merges them. */
static void merge_image_config(json_t *config, json_t *image_config)
{
    json_t *env = json_array();
    merge_env(json_object_get(image_config, "Env"), json_object_get(config, "Env"), env);
    json_object_set_new(config, "Env", json_array_size(env) ? env : (json_decref(env), json_null()));
    bool user_entrypoint = json_array_size(json_object_get(config, "Entrypoint")) > 0;
    bool user_cmd = json_array_size(json_object_get(config, "Cmd")) > 0;
    if (!user_entrypoint) {
        json_object_set(config, "Entrypoint", json_object_get(image_config, "Entrypoint") ?: json_null());
        if (!user_cmd)
            json_object_set(config, "Cmd", json_object_get(image_config, "Cmd") ?: json_null());
    }
    static const char *const strings[] = {"WorkingDir", "User", "StopSignal"};
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        const char *v = json_string_value(json_object_get(config, strings[i]));
        json_t *iv = json_object_get(image_config, strings[i]);
        if ((!v || !*v) && json_is_string(iv) && *json_string_value(iv))
            json_object_set(config, strings[i], iv);
    }
    static const char *const objects[] = {"Labels", "ExposedPorts", "Volumes"};
    for (size_t i = 0; i < ARRAY_SIZE(objects); i++) {
        json_t *iv = json_object_get(image_config, objects[i]);
        if (!json_is_object(iv) || !json_object_size(iv))
            continue;
        json_t *v = json_object_get(config, objects[i]);
        json_t *merged = json_deep_copy(iv);
        if (json_is_object(v))
            json_object_update(merged, v);
        json_object_set_new(config, objects[i], merged);
    }
    if (!json_object_get(config, "Healthcheck") && json_object_get(image_config, "Healthcheck"))
        json_object_set(config, "Healthcheck", json_object_get(image_config, "Healthcheck"));
}

static int validate_host_config(json_t *hc, json_t *warnings)
{
    json_t *rp = json_object_get(hc, "RestartPolicy");
    const char *policy = json_string_value(json_object_get(rp, "Name"));
    json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
    if (policy && *policy && strcmp(policy, "no") && strcmp(policy, "always") && strcmp(policy, "unless-stopped") &&
        strcmp(policy, "on-failure"))
        return err_set(-EINVAL, "invalid restart policy '%s'", policy);
    if (max != 0 && (!policy || strcmp(policy, "on-failure") != 0))
        return err_set(-EINVAL, "maximum retry count cannot be used with restart policy '%s'", policy ? policy : "");
    if (max < 0)
        return err_set(-EINVAL, "maximum retry count cannot be negative");
    if (json_is_true(json_object_get(hc, "AutoRemove")) && policy && *policy && strcmp(policy, "no") != 0)
        return err_set(-EINVAL, "can't create 'AutoRemove' container with restart policy");
    json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
    json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
    if (mem > 0 && mem < 6 * 1024 * 1024)
        return err_set(-EINVAL, "Minimum memory limit allowed is 6MB");
    if (swap > 0 && mem > 0 && swap < mem)
        return err_set(-EINVAL, "Minimum memoryswap limit should be larger than memory limit, see usage");
    if (swap > 0 && mem == 0)
        return err_set(-EINVAL, "You should always set the Memory limit when using Memoryswap limit, see usage");
    if (json_integer_value(json_object_get(hc, "NanoCpus")) > 0 &&
        (json_integer_value(json_object_get(hc, "CpuQuota")) > 0 || json_integer_value(json_object_get(hc, "CpuPeriod")) > 0))
        return err_set(-EINVAL, "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    json_int_t oom = json_integer_value(json_object_get(hc, "OomScoreAdj"));
    if (oom < -1000 || oom > 1000)
        return err_set(-EINVAL, "Invalid value %lld, range for oom score adj is [-1000, 1000]", (long long)oom);
    struct rlimit own;
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(hc, "Ulimits"), i, u)
    {
        const char *name = json_string_value(json_object_get(u, "Name"));
        json_int_t hard = json_integer_value(json_object_get(u, "Hard"));
        json_int_t soft = json_integer_value(json_object_get(u, "Soft"));
        if (soft > hard)
            return err_set(-EINVAL, "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
                           (long long)soft, (long long)hard);
        if (name && strcmp(name, "nofile") == 0 && getrlimit(RLIMIT_NOFILE, &own) == 0 && hard > 0 &&
            (rlim_t)hard > own.rlim_max)
            return err_set(-EINVAL,
                           "ulimit nofile: hard limit %lld is above this daemon's own hard limit %llu, which a "
                           "container cannot exceed; ask for at most %llu",
                           (long long)hard, (unsigned long long)own.rlim_max, (unsigned long long)own.rlim_max);
    }
    if (oom < 0)
        json_array_append_new(warnings, json_string("negative oom_score_adj needs CAP_SYS_RESOURCE, which this "
                                                    "daemon lacks: the container keeps the daemon's own score"));
    const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
    if (!net || !*net || !strcmp(net, "default") || !strcmp(net, "bridge")) {
        /* Not a create warning: the docker CLI would print it on every run. */
        static int said;
        if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
            log_info("pouch has no bridge networking yet: containers on the default network get their own network "
                     "namespace with loopback only (as --network none)");
    } else if (strcmp(net, "none") && strcmp(net, "host"))
        return err_set(-EINVAL, "network mode \"%s\" is not supported yet: use none, host or the default", net);
    return 0;
}

static void random_id(char *out)
{
    unsigned char b[32];
    if (getrandom(b, sizeof(b), 0) != sizeof(b))
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(rand() & 0xff);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

int ctr_create(struct container_store *s, const char *name, json_t *body, json_t **ret)
{
    struct daemon *d = s->daemon;
    if (!json_is_object(body))
        return err_set(-EINVAL, "config cannot be empty in order to create a container");
    const char *image_name = json_string_value(json_object_get(body, "Image"));
    if (!image_name || !*image_name)
        return err_set(-EINVAL, "No command specified");
    json_auto_t *config = json_deep_copy(body);
    json_object_del(config, "HostConfig");
    json_object_del(config, "NetworkingConfig");
    json_auto_t *hc = json_deep_copy(json_object_get(body, "HostConfig"));
    if (!json_is_object(hc)) {
        json_decref(hc);
        hc = json_object();
    }
    json_auto_t *warnings = json_array();
    int r = validate_host_config(hc, warnings);
    if (r < 0)
        return r;

    char image_id[DIGEST_LEN];
    json_t *image_config = NULL;
    pthread_rwlock_rdlock(&d->images->lock);
    struct image *img = NULL;
    r = image_lookup(d->images, image_name, &img);
    if (r >= 0) {
        memcpy(image_id, img->id, DIGEST_LEN);
        image_config = json_incref(json_object_get(img->config, "config"));
    }
    pthread_rwlock_unlock(&d->images->lock);
    if (r < 0)
        return r;
    merge_image_config(config, image_config);
    json_decref(image_config);
    if (json_array_size(json_object_get(config, "Entrypoint")) + json_array_size(json_object_get(config, "Cmd")) == 0)
        return err_set(-EINVAL, "No command specified");

    struct container *c = calloc(1, sizeof(*c));
    if (!c)
        return err_set(-ENOMEM, "out of memory");
    pthread_mutex_init(&c->op, NULL);
    random_id(c->id);
    const char *hn = json_string_value(json_object_get(config, "Hostname"));
    bool host_uts = strcmp(json_string_value(json_object_get(hc, "UTSMode")) ?: "", "host") == 0;
    if (host_uts && hn && *hn) {
        pthread_mutex_destroy(&c->op);
        free(c);
        return err_set(-EINVAL, "conflicting options: hostname and the UTS mode");
    }
    if (!hn || !*hn) {
        char host[256] = "";
        if (host_uts || strcmp(json_string_value(json_object_get(hc, "NetworkMode")) ?: "", "host") == 0)
            gethostname(host, sizeof(host) - 1);
        else
            snprintf(host, sizeof(host), "%.12s", c->id);
        json_object_set_new(config, "Hostname", json_string(host));
    }
    view_complete_config(config);
    view_complete_host_config(hc);

    pthread_mutex_lock(&s->lock);
    char gen[128];
    if (name && *name) {
        r = container_name_check(s, name, NULL);
    } else {
        container_generate_name(s, gen, sizeof(gen));
        name = gen;
    }
    if (r >= 0) {
        /* A dry run of the spec catches bad caps, sysctls, mounts now, not at start. */
        struct spec_input in = {.id = c->id, .config = config, .host_config = hc, .rootfs = "/", .uid = 0, .gid = 0,
                                .cgroup_v2 = strcmp(sysinfo_cgroup_version(), "2") == 0};
        json_t *spec = NULL;
        r = spec_build(&in, &spec);
        json_decref(spec);
    }
    char dir[4096], log_path[4200], created[64];
    if (r >= 0) {
        container_data_path(s, c, NULL, dir, sizeof(dir));
        r = mkdir_p(dir, 0710) < 0 ? err_set(-errno, "container %.12s: cannot create %s: %s", c->id, dir,
                                              strerror(errno))
                                   : 0;
    }
    if (r < 0) {
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_destroy(&c->op);
        free(c);
        return r;
    }
    snprintf(log_path, sizeof(log_path), "%s/%s-json.log", dir, c->id);
    c->created_ns = now_ns();
    format_time(c->created_ns, created, sizeof(created));
    json_t *args = json_array();
    json_t *path = NULL;
    json_t *lists[2] = {json_object_get(config, "Entrypoint"), json_object_get(config, "Cmd")};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *a;
        json_array_foreach(lists[l], i, a)
        {
            if (!path)
                path = json_incref(a);
            else
                json_array_append(args, a);
        }
    }
    char bare[256];
    snprintf(bare, sizeof(bare), "/%s", name[0] == '/' ? name + 1 : name);
    const char *log_type = json_string_value(json_object_get(json_object_get(hc, "LogConfig"), "Type"));
    c->rec = json_pack("{s:s, s:s, s:o, s:o, s:{}, s:s, s:s, s:i, s:s, s:s, s:O, s:O}", "Id", c->id, "Created",
                       created, "Path", path ? path : json_string(""), "Args", args, "State", "Image", image_id, "Name",
                       bare, "RestartCount", 0, "Driver", "overlay2", "LogPath",
                       log_type && strcmp(log_type, "none") == 0 ? "" : log_path, "HostConfig", hc, "Config", config);
    c->status = STATUS_CREATED;
    container_sync_state(c);
    json_t *st = json_object_get(c->rec, "State");
    json_object_set_new(st, "OOMKilled", json_false());
    json_object_set_new(st, "ExitCode", json_integer(0));
    json_object_set_new(st, "Error", json_string(""));
    json_object_set_new(st, "StartedAt", json_string("0001-01-01T00:00:00Z"));
    json_object_set_new(st, "FinishedAt", json_string("0001-01-01T00:00:00Z"));
    r = container_save(s, c);
    if (r >= 0)
        r = container_add(s, c);
    if (r < 0) {
        pthread_mutex_unlock(&s->lock);
        remove_tree_at(AT_FDCWD, dir);
        json_decref(c->rec);
        pthread_mutex_destroy(&c->op);
        free(c);
        return r;
    }
    event(s, c, "create", NULL);
    *ret = json_pack("{s:s, s:O}", "Id", c->id, "Warnings", warnings);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int remove_locked(struct container_store *s, struct container *c);

/* --- runtime side -------------------------------------------------------- */

static int write_text(const char *path, const char *text)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len)
        return -errno ? -errno : -EIO;
    return 0;
}

/* --device host[:ctr[:perms]] and --device-cgroup-rule, resolved now. */
static int devices_of(json_t *hc, json_t *devices, json_t *rules)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(hc, "Devices"), i, d)
    {
        const char *host = json_string_value(json_object_get(d, "PathOnHost"));
        const char *ctr = json_string_value(json_object_get(d, "PathInContainer"));
        const char *perms = json_string_value(json_object_get(d, "CgroupPermissions"));
        struct stat st;
        if (!host || stat(host, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            return err_set(-EINVAL, "error gathering device information while adding custom device \"%s\": no such "
                                    "file or directory or not a device",
                           host ? host : "");
        const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
        json_array_append_new(devices, json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path",
                                                 ctr && *ctr ? ctr : host, "type", type, "major",
                                                 (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev),
                                                 "fileMode", (int)(st.st_mode & 07777), "uid", 0, "gid", 0));
        json_array_append_new(rules, json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type, "major",
                                               (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev),
                                               "access", perms && *perms ? perms : "rwm"));
    }
    json_array_foreach(json_object_get(hc, "DeviceCgroupRules"), i, d)
    {
        char type[4], maj[16], min[16], access[8];
        const char *rule = json_string_value(d);
        if (!rule || sscanf(rule, "%3s %15[^:]:%15s %7s", type, maj, min, access) != 4 || !strchr("abc", type[0]))
            return err_set(-EINVAL, "invalid device cgroup rule format: '%s'", rule ? rule : "");
        json_t *r = json_pack("{s:b, s:s, s:s}", "allow", 1, "type", type, "access", access);
        if (strcmp(maj, "*"))
            json_object_set_new(r, "major", json_integer(atoll(maj)));
        if (strcmp(min, "*"))
            json_object_set_new(r, "minor", json_integer(atoll(min)));
        json_array_append_new(rules, r);
    }
    return 0;
}

/* The host's device nodes, which a --privileged container sees (as runc
 * gives it); the terminal devices stay the container's own. */
static json_t *host_devices(void)
{
    json_t *out = json_array();
    _cleanup_closedir_ DIR *d = opendir("/dev");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        static const char *const skip[] = {"console", "tty", "ptmx", "null", "zero", "full", "random", "urandom"};
        bool skipped = false;
        for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
            skipped |= !strcmp(de->d_name, skip[i]);
        char path[300];
        snprintf(path, sizeof(path), "/dev/%s", de->d_name);
        struct stat st;
        if (skipped || lstat(path, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            continue;
        json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", path, "type",
                                             S_ISCHR(st.st_mode) ? "c" : "b", "major", (json_int_t)major(st.st_rdev),
                                             "minor", (json_int_t)minor(st.st_rdev), "fileMode",
                                             (int)(st.st_mode & 07777), "uid", (int)st.st_uid, "gid", (int)st.st_gid));
    }
    return out;
}

/* The daemon's own bounding set, which --privileged gets here (no more). */
static json_t *own_bounding_caps(void)
{
    static const char *const names[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};
    unsigned long long bnd = 0;
    _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "CapBnd: %llx", &bnd) == 1)
            break;
    json_t *caps = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (bnd & (1ULL << i))
            json_array_append_new(caps, json_string(names[i]));
    return caps;
}

/* Resolve --ipc container:X to a namespace path. Store lock held. */
static int ipc_path(struct container_store *s, json_t *hc)
{
    const char *ipc = json_string_value(json_object_get(hc, "IpcMode"));
    if (!ipc || strncmp(ipc, "container:", 10) != 0)
        return 0;
    struct container *other;
    int r = container_lookup(s, ipc + 10, &other);
    if (r < 0 || other->status != STATUS_RUNNING)
        return err_set(-EINVAL, "cannot join IPC of a non running container: %s", ipc + 10);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/ipc", other->pid);
    json_object_set_new(hc, "_IpcPath", json_string(path));
    return 0;
}

/* Mount, write the bundle and have the runtime create the container. Op held. */
static int prepare(struct container_store *s, struct container *c)
{
    if (c->prepared)
        return 0;
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    int r = runtime_of(s, c, &rt, &ops);
    if (r < 0)
        return r;
    char bundle[4096], rootfs[4200], path[4200];
    container_run_path(s, c, NULL, bundle, sizeof(bundle));
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
    r = mkdir_p(bundle, 0700);
    if (r < 0)
        return err_set(r, "container %.12s: cannot create %s: %s", c->id, bundle, strerror(-r));
    pthread_mutex_lock(&s->lock);
    json_auto_t *hc = json_deep_copy(hc_of(c));
    json_auto_t *config = json_deep_copy(cfg_of(c));
    r = ipc_path(s, hc);
    pthread_mutex_unlock(&s->lock);
    if (r < 0)
        return r;
    r = rootfs_mount(s, c);
    if (r >= 0)
        r = rootfs_write_etc(s, c);
    int uid = 0, gid = 0;
    json_auto_t *gids = NULL;
    _cleanup_free_ char *home = NULL;
    if (r >= 0)
        r = rootfs_resolve_user(s, c, &uid, &gid, &gids, &home);
    json_auto_t *devices = json_array(), *rules = json_array();
    if (r >= 0)
        r = devices_of(hc, devices, rules);
    json_object_set(hc, "_Devices", devices);
    json_object_set(hc, "_DeviceRules", rules);
    char hosts[4200], hostname[4200], resolv[4200];
    container_data_path(s, c, "hosts", hosts, sizeof(hosts));
    container_data_path(s, c, "hostname", hostname, sizeof(hostname));
    container_data_path(s, c, "resolv.conf", resolv, sizeof(resolv));
    json_auto_t *bounding = own_bounding_caps();
    json_auto_t *hostdevs = json_is_true(json_object_get(hc, "Privileged")) ? host_devices() : NULL;
    struct spec_input in = {.id = c->id, .config = config, .host_config = hc, .rootfs = rootfs,
                            .hosts_path = hosts, .hostname_path = hostname, .resolv_path = resolv,
                            .init_path = access(INIT_BINARY, X_OK) == 0 ? INIT_BINARY : NULL, .uid = uid, .gid = gid, .home = home,
                            .additional_gids = gids, .cgroup_v2 = strcmp(sysinfo_cgroup_version(), "2") == 0,
                            .bounding_caps = bounding, .host_devices = hostdevs};
    if (r >= 0 && json_is_true(json_object_get(hc, "Init")) && !in.init_path)
        r = err_set(-ENOENT, "--init needs %s (Debian package tini)", INIT_BINARY);
    json_auto_t *spec = NULL;
    if (r >= 0)
        r = spec_build(&in, &spec);
    _cleanup_free_ char *spec_text = spec ? json_dumps(spec, JSON_INDENT(1)) : NULL;
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    if (r >= 0 && (!spec_text || write_text(path, spec_text) < 0))
        r = err_set(-EIO, "container %.12s: writing %s failed", c->id, path);

    json_t *lc = json_object_get(hc, "LogConfig");
    const char *driver = json_string_value(json_object_get(lc, "Type"));
    struct plugin *lp = driver && strcmp(driver, "none") ? log_plugin(s, driver) : NULL;
    if (r >= 0 && driver && strcmp(driver, "none") && !lp)
        r = err_set(-EINVAL, "logging driver \"%s\" is not loaded: start pouchd with --plugins=...,log-%s", driver,
                    driver);
    json_auto_t *opts = json_pack("{s:{s:s, s:s, s:s, s:O}, s:b, s:b}", "log", "driver", driver ? driver : "none",
                                  "plugin", lp ? lp->file : "", "path",
                                  json_string_value(json_object_get(c->rec, "LogPath")) ?: "", "opts",
                                  json_object_get(lc, "Config") ?: json_object(), "stdin",
                                  json_is_true(json_object_get(config, "OpenStdin")), "tty",
                                  json_is_true(json_object_get(config, "Tty")));
    _cleanup_free_ char *opts_text = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
    if (r >= 0) {
        err_clear();
        r = ops->create(rt->state, c->id, bundle, opts_text);
    }
    if (r < 0) {
        _cleanup_free_ char *why = strdup(err_get());
        rootfs_unmount(s, c);
        return err_set(r, "%s", why ? why : "runtime create failed");
    }
    c->prepared = true;
    return 0;
}

/* Undo prepare once the process is gone. Op held. */
static void unprepare(struct container_store *s, struct container *c)
{
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    if (c->prepared && runtime_of(s, c, &rt, &ops) >= 0 && ops->destroy(rt->state, c->id, 1) < 0)
        log_warn("container %.12s: runtime delete: %s", c->id, err_get());
    c->prepared = false;
    if (rootfs_unmount(s, c) < 0)
        log_warn("%s", err_get());
}

/* The exit code docker's CLI derives from a start failure's message. */
static int start_failure_code(const char *msg)
{
    if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory"))
        return 127;
    if (strstr(msg, "permission denied"))
        return 126;
    return 128;
}

/* Start with op held. */
static int start_locked(struct container_store *s, struct container *c)
{
    if (c->status == STATUS_RUNNING || c->status == STATUS_PAUSED)
        return err_set(-EALREADY, "container %.12s is already running", c->id);
    if (c->status == STATUS_EXITED && c->prepared)
        unprepare(s, c);
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    int r = prepare(s, c);
    if (r >= 0)
        r = runtime_of(s, c, &rt, &ops);
    if (r >= 0) {
        /* A process that exits at once may be reported before we mark it
         * running: the worker holds such an exit until we are done. */
        pthread_mutex_lock(&s->lock);
        c->starting = true;
        pthread_mutex_unlock(&s->lock);
        err_clear();
        r = ops->start(rt->state, c->id);
        if (r < 0) {
            pthread_mutex_lock(&s->lock);
            c->starting = false;
            pthread_mutex_unlock(&s->lock);
        }
    }
    if (r < 0) {
        _cleanup_free_ char *why = strdup(err_get());
        unprepare(s, c);
        pthread_mutex_lock(&s->lock);
        json_t *st = json_object_get(c->rec, "State");
        json_object_set_new(st, "ExitCode", json_integer(start_failure_code(why ? why : "")));
        json_object_set_new(st, "Error", json_string(why ? why : ""));
        if (c->status == STATUS_RESTARTING)
            c->status = STATUS_EXITED;
        container_sync_state(c);
        container_save(s, c);
        pthread_mutex_unlock(&s->lock);
        return err_set(r == -ENOENT || r == -EACCES ? -EINVAL : r, "%s", why ? why : "start failed");
    }
    char *state_text = NULL;
    int pid = 0;
    if (ops->state(rt->state, c->id, &state_text) >= 0) {
        json_auto_t *stj = json_loads(state_text, 0, NULL);
        pid = (int)json_integer_value(json_object_get(stj, "pid"));
        ops->free(rt->state, state_text);
    }
    char started[64];
    format_time(now_ns(), started, sizeof(started));
    pthread_mutex_lock(&s->lock);
    c->status = STATUS_RUNNING;
    c->starting = false;
    pthread_cond_signal(&worker.wake);
    c->pid = pid;
    c->starts++;
    c->restart_at = 0;
    c->manually_stopped = false;
    json_t *st = json_object_get(c->rec, "State");
    json_object_set_new(st, "StartedAt", json_string(started));
    json_object_set_new(st, "ExitCode", json_integer(0));
    json_object_set_new(st, "Error", json_string(""));
    json_object_set_new(st, "OOMKilled", json_false());
    container_sync_state(c);
    r = container_save(s, c);
    pthread_cond_broadcast(&s->changed);
    event(s, c, "start", NULL);
    pthread_mutex_unlock(&s->lock);
    return r;
}

int ctr_start(struct container_store *s, const char *ref)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    if (!c->removed && c->status != STATUS_RUNNING && c->status != STATUS_PAUSED) {
        /* a start by hand begins a new restart history, as in dockerd */
        pthread_mutex_lock(&s->lock);
        json_object_set_new(c->rec, "RestartCount", json_integer(0));
        c->restart_delay_ms = 0;
        pthread_mutex_unlock(&s->lock);
    }
    r = c->removed ? err_set(-ENOENT, "No such container: %s", ref) : start_locked(s, c);
    if (r < 0 && r != -EALREADY && !c->removed && json_is_true(json_object_get(hc_of(c), "AutoRemove"))) {
        /* dockerd removes an --rm container whose start failed */
        _cleanup_free_ char *why = strdup(err_get());
        remove_locked(s, c);
        err_set(r, "%s", why ? why : "start failed");
    }
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

/* --- exits and restart policies -------------------------------------- */

void ctr_exited(struct container_store *s, const char *id, const char *status_json)
{
    struct exit_item *it = calloc(1, sizeof(*it));
    if (!it)
        return;
    snprintf(it->id, sizeof(it->id), "%s", id);
    it->status = status_json ? json_loads(status_json, 0, NULL) : NULL;
    if (!it->status)
        it->status = json_object();
    pthread_mutex_lock(&s->lock);
    if (worker.tail)
        worker.tail->next = it;
    else
        worker.head = it;
    worker.tail = it;
    pthread_cond_signal(&worker.wake);
    pthread_mutex_unlock(&s->lock);
}

static bool should_restart(struct container *c, int exit_code)
{
    json_t *rp = json_object_get(hc_of(c), "RestartPolicy");
    const char *name = json_string_value(json_object_get(rp, "Name"));
    if (!name || c->manually_stopped || worker.stopping)
        return false;
    if (!strcmp(name, "always") || !strcmp(name, "unless-stopped"))
        return true;
    if (!strcmp(name, "on-failure")) {
        json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
        json_int_t count = json_integer_value(json_object_get(c->rec, "RestartCount"));
        return exit_code != 0 && (max == 0 || count < max);
    }
    return false;
}

/* Phase 1 of an exit, store lock held: record it so waiters see it at once. */
static void record_exit(struct container_store *s, struct container *c, json_t *status)
{
    int code = (int)json_integer_value(json_object_get(status, "exit_code"));
    bool oom = json_is_true(json_object_get(status, "oom_killed"));
    int64_t fin = json_integer_value(json_object_get(status, "finished_at"));
    char finished[64];
    format_time(fin > 0 ? fin : now_ns(), finished, sizeof(finished));
    json_t *st = json_object_get(c->rec, "State");
    json_object_set_new(st, "ExitCode", json_integer(code));
    json_object_set_new(st, "OOMKilled", json_boolean(oom));
    json_object_set_new(st, "FinishedAt", json_string(finished));
    const char *err = json_string_value(json_object_get(status, "error"));
    json_object_set_new(st, "Error", json_string(err ? err : ""));
    int64_t started = parse_time(json_string_value(json_object_get(st, "StartedAt")));
    bool restart = should_restart(c, code);
    if (restart) {
        /* dockerd's back-off: 100 ms doubling to 1 min, reset after 10 s of running */
        if (started > 0 && (fin > 0 ? fin : now_ns()) - started >= 10LL * 1000000000LL)
            c->restart_delay_ms = 0;
        c->restart_delay_ms = c->restart_delay_ms ? c->restart_delay_ms * 2 : 100;
        if (c->restart_delay_ms > 60000)
            c->restart_delay_ms = 60000;
        c->restart_at = now_ns() + (int64_t)c->restart_delay_ms * 1000000LL;
        c->status = STATUS_RESTARTING;
    } else {
        c->status = STATUS_EXITED;
        c->restart_at = 0;
    }
    c->pid = 0;
    c->exits++;
    container_sync_state(c);
    container_save(s, c);
    /* The runtime reports an exit once the output is drained: tell log
     * followers that nothing more will come (log.h's "<path>.closed"). */
    const char *log_path = json_string_value(json_object_get(c->rec, "LogPath"));
    if (log_path && *log_path) {
        char marker[4200];
        snprintf(marker, sizeof(marker), "%s.closed", log_path);
        int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    pthread_cond_broadcast(&s->changed);
    char code_text[16];
    snprintf(code_text, sizeof(code_text), "%d", code);
    if (oom)
        event(s, c, "oom", NULL);
    event(s, c, "die", json_pack("{s:s}", "exitCode", code_text));
}

/* Phase 2, op held: release the runtime's resources, then --rm or restart. */
static void finish_exit(struct container_store *s, struct container *c, uint64_t starts_at_exit)
{
    pthread_mutex_lock(&c->op);
    if (!c->removed && c->starts == starts_at_exit && c->status != STATUS_RUNNING) {
        unprepare(s, c);
        if (json_is_true(json_object_get(hc_of(c), "AutoRemove")) && c->status == STATUS_EXITED)
            remove_locked(s, c);
    }
    pthread_mutex_unlock(&c->op);
}

/* Restart containers whose back-off is due. */
static void run_due_restarts(struct container_store *s)
{
    for (;;) {
        struct container *due = NULL;
        pthread_mutex_lock(&s->lock);
        int64_t now = now_ns();
        for (size_t i = 0; i < s->n && !due; i++)
            if (s->v[i]->status == STATUS_RESTARTING && s->v[i]->restart_at && s->v[i]->restart_at <= now) {
                due = s->v[i];
                due->refs++;
                due->restart_at = 0;
            }
        pthread_mutex_unlock(&s->lock);
        if (!due)
            return;
        pthread_mutex_lock(&due->op);
        if (!due->removed && due->status == STATUS_RESTARTING) {
            pthread_mutex_lock(&s->lock);
            json_object_set_new(due->rec, "RestartCount",
                                json_integer(json_integer_value(json_object_get(due->rec, "RestartCount")) + 1));
            pthread_mutex_unlock(&s->lock);
            if (start_locked(s, due) < 0)
                log_warn("container %.12s: restart failed: %s", due->id, err_get());
        }
        pthread_mutex_unlock(&due->op);
        container_unref(s, due);
    }
}

static void *worker_main(void *arg)
{
    struct container_store *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!worker.stopping) {
        struct exit_item *it = worker.head;
        struct container *starting = NULL;
        if (it && container_lookup(s, it->id, &starting) >= 0 && starting->starting) {
            /* its start has not finished yet: look again shortly */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 10 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&worker.wake, &s->lock, &ts);
            continue;
        }
        if (it) {
            worker.head = it->next;
            if (!worker.head)
                worker.tail = NULL;
            struct container *c = NULL;
            uint64_t starts = 0;
            if (container_lookup(s, it->id, &c) >= 0 && strcmp(c->id, it->id) == 0 &&
                (c->status == STATUS_RUNNING || c->status == STATUS_PAUSED)) {
                record_exit(s, c, it->status);
                c->refs++;
                starts = c->starts;
            } else {
                c = NULL;
            }
            pthread_mutex_unlock(&s->lock);
            if (c) {
                finish_exit(s, c, starts);
                container_unref(s, c);
            }
            json_decref(it->status);
            free(it);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        pthread_mutex_unlock(&s->lock);
        run_due_restarts(s);
        pthread_mutex_lock(&s->lock);
        if (worker.head || worker.stopping)
            continue;
        int64_t next = 0;
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i]->restart_at && (!next || s->v[i]->restart_at < next))
                next = s->v[i]->restart_at;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t deadline = next ? next : (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + 1000000000LL;
        ts.tv_sec = deadline / 1000000000LL;
        ts.tv_nsec = deadline % 1000000000LL;
        pthread_cond_timedwait(&worker.wake, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* --- stop, kill, wait ------------------------------------------------------ */

static int parse_signal(const char *sig)
{
    static const struct {
        const char *name;
        int num;
    } names[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
                 {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
                 {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
                 {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
                 {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
                 {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},   {"PWR", SIGPWR},   {"SYS", SIGSYS}};
    if (!sig || !*sig)
        return SIGKILL;
    if (sig[0] >= '0' && sig[0] <= '9') {
        int n = atoi(sig);
        return n > 0 && n < 65 ? n : -1;
    }
    const char *n = strncasecmp(sig, "SIG", 3) == 0 ? sig + 3 : sig;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcasecmp(names[i].name, n) == 0)
            return names[i].num;
    return -1;
}

static int send_signal(struct container_store *s, struct container *c, int sig)
{
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    int r = runtime_of(s, c, &rt, &ops);
    if (r >= 0)
        r = ops->kill(rt->state, c->id, sig, 0);
    if (r >= 0) {
        char num[16];
        snprintf(num, sizeof(num), "%d", sig);
        pthread_mutex_lock(&s->lock);
        event(s, c, "kill", json_pack("{s:s}", "signal", num));
        pthread_mutex_unlock(&s->lock);
    }
    return r;
}

/* Wait (store lock held) until c is not running or timeout_ms passes. */
static bool wait_not_running(struct container_store *s, struct container *c, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t deadline = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + (int64_t)timeout_ms * 1000000LL;
    ts.tv_sec = deadline / 1000000000LL;
    ts.tv_nsec = deadline % 1000000000LL;
    while (c->status == STATUS_RUNNING || c->status == STATUS_PAUSED)
        if (pthread_cond_timedwait(&s->changed, &s->lock, &ts) != 0)
            return c->status != STATUS_RUNNING && c->status != STATUS_PAUSED;
    return true;
}

static int stop_locked(struct container_store *s, struct container *c, int timeout)
{
    pthread_mutex_lock(&s->lock);
    if (c->status == STATUS_RESTARTING) { /* cancel a pending restart */
        c->restart_at = 0;
        c->status = STATUS_EXITED;
        c->manually_stopped = true;
        container_sync_state(c);
        container_save(s, c);
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    if (c->status != STATUS_RUNNING && c->status != STATUS_PAUSED) {
        pthread_mutex_unlock(&s->lock);
        return err_set(-EALREADY, "container %.12s is not running", c->id);
    }
    c->manually_stopped = true;
    container_save(s, c);
    json_t *cfg = cfg_of(c);
    int sig = parse_signal(json_string_value(json_object_get(cfg, "StopSignal")) ?: "TERM");
    if (timeout < 0)
        timeout = json_is_integer(json_object_get(cfg, "StopTimeout"))
                      ? (int)json_integer_value(json_object_get(cfg, "StopTimeout"))
                      : 10;
    pthread_mutex_unlock(&s->lock);
    if (sig > 0)
        send_signal(s, c, sig);
    pthread_mutex_lock(&s->lock);
    bool stopped = wait_not_running(s, c, timeout * 1000);
    pthread_mutex_unlock(&s->lock);
    if (!stopped) {
        send_signal(s, c, SIGKILL);
        pthread_mutex_lock(&s->lock);
        stopped = wait_not_running(s, c, 30000);
        pthread_mutex_unlock(&s->lock);
        if (!stopped)
            return err_set(-EIO, "container %.12s did not stop after SIGKILL", c->id);
    }
    pthread_mutex_lock(&s->lock);
    event(s, c, "stop", NULL);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int ctr_stop(struct container_store *s, const char *ref, int timeout)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    r = stop_locked(s, c, timeout);
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_kill(struct container_store *s, const char *ref, const char *signal)
{
    int sig = parse_signal(signal);
    if (sig < 0)
        return err_set(-EINVAL, "Invalid signal: %s", signal);
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    pthread_mutex_lock(&s->lock);
    bool running = c->status == STATUS_RUNNING || c->status == STATUS_PAUSED;
    if (running && (sig == SIGKILL || sig == SIGTERM))
        c->manually_stopped = true;
    pthread_mutex_unlock(&s->lock);
    r = running ? send_signal(s, c, sig) : err_set(-EBUSY, "Container %s is not running", c->id);
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_restart(struct container_store *s, const char *ref, int timeout)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    r = stop_locked(s, c, timeout);
    if (r == -EALREADY)
        r = 0;
    if (r >= 0) {
        /* the exit's clean-up must not undo the new start */
        pthread_mutex_lock(&s->lock);
        bool exited = c->status == STATUS_EXITED;
        pthread_mutex_unlock(&s->lock);
        if (exited && c->prepared)
            unprepare(s, c);
        r = start_locked(s, c);
    }
    if (r >= 0) {
        pthread_mutex_lock(&s->lock);
        event(s, c, "restart", NULL);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_wait(struct container_store *s, const char *ref, const char *condition, json_t **ret)
{
    const char *cond = condition && *condition ? condition : "not-running";
    if (strcmp(cond, "not-running") && strcmp(cond, "next-exit") && strcmp(cond, "removed"))
        return err_set(-EINVAL, "invalid condition: \"%s\"", cond);
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    uint64_t exits = c->exits;
    for (;;) {
        if (s->shutting_down) {
            pthread_mutex_unlock(&s->lock);
            container_unref(s, c);
            return err_set(-ESHUTDOWN, "the daemon is shutting down; the container keeps running");
        }
        bool running = c->status == STATUS_RUNNING || c->status == STATUS_PAUSED || c->status == STATUS_RESTARTING;
        if (!strcmp(cond, "removed") ? c->removed
                                     : !strcmp(cond, "next-exit") ? c->exits > exits || c->removed
                                                                  : !running || c->removed)
            break;
        pthread_cond_wait(&s->changed, &s->lock);
    }
    json_t *st = json_object_get(c->rec, "State");
    json_int_t code = json_integer_value(json_object_get(st, "ExitCode"));
    *ret = json_pack("{s:I, s:n}", "StatusCode", code, "Error");
    pthread_mutex_unlock(&s->lock);
    container_unref(s, c);
    return 0;
}

/* --- remove, rename ------------------------------------------------------- */

static int remove_locked(struct container_store *s, struct container *c)
{
    pthread_mutex_lock(&s->lock);
    c->status = STATUS_REMOVING;
    container_sync_state(c);
    pthread_mutex_unlock(&s->lock);
    unprepare(s, c);
    char dir[4096];
    container_run_path(s, c, NULL, dir, sizeof(dir));
    remove_tree_at(AT_FDCWD, dir);
    container_data_path(s, c, NULL, dir, sizeof(dir));
    int r = remove_tree_at(AT_FDCWD, dir);
    if (r < 0)
        log_warn("container %.12s: removing %s: %s", c->id, dir, strerror(-r));
    pthread_mutex_lock(&s->lock);
    event(s, c, "destroy", NULL);
    container_drop(s, c);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int ctr_remove(struct container_store *s, const char *ref, bool force)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    pthread_mutex_lock(&s->lock);
    bool running = c->status == STATUS_RUNNING || c->status == STATUS_PAUSED;
    bool removed = c->removed;
    if (c->status == STATUS_RESTARTING && force)
        c->restart_at = 0;
    pthread_mutex_unlock(&s->lock);
    if (removed)
        r = err_set(-ENOENT, "No such container: %s", ref);
    else if ((running || c->status == STATUS_RESTARTING) && !force)
        r = err_set(-EBUSY,
                    "You cannot remove a %s container %s. Stop the container before attempting removal or force "
                    "remove",
                    running ? "running" : "restarting", c->id);
    else if (running) {
        c->manually_stopped = true;
        r = send_signal(s, c, SIGKILL);
        pthread_mutex_lock(&s->lock);
        bool stopped = wait_not_running(s, c, 30000);
        pthread_mutex_unlock(&s->lock);
        if (!stopped)
            r = err_set(-EIO, "container %.12s: could not kill it for removal", c->id);
    }
    if (r >= 0)
        r = remove_locked(s, c);
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_rename(struct container_store *s, const char *ref, const char *name)
{
    if (!name || !*name)
        return err_set(-EINVAL, "Neither old nor new names may be empty");
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    char old[256];
    snprintf(old, sizeof(old), "%s", json_string_value(json_object_get(c->rec, "Name")) ?: "");
    r = container_name_check(s, name, c);
    if (r >= 0 && strcmp(old + 1, name[0] == '/' ? name + 1 : name) == 0)
        r = err_set(-EINVAL, "Renaming a container with the same name as its current name");
    if (r >= 0) {
        char bare[256];
        snprintf(bare, sizeof(bare), "/%s", name[0] == '/' ? name + 1 : name);
        json_object_set_new(c->rec, "Name", json_string(bare));
        r = container_save(s, c);
        if (r >= 0)
            event(s, c, "rename", json_pack("{s:s}", "oldName", old));
    }
    pthread_mutex_unlock(&s->lock);
    container_unref(s, c);
    return r;
}

/* --- stdio, logs -------------------------------------------------------- */

int ctr_attach(struct container_store *s, const char *ref, json_t **ret)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&c->op);
    if (c->status == STATUS_EXITED || c->status == STATUS_DEAD)
        r = err_set(-EBUSY, "You cannot attach to a stopped container, start it first");
    else if (c->status == STATUS_CREATED && prepare(s, c) < 0) {
        /* docker run attaches before it starts: a container that cannot be
         * set up still attaches (to nothing), and start reports the error,
         * whose text decides docker's exit code (126/127). */
        log_debug("container %.12s: attach before start: %s", c->id, err_get());
        pthread_mutex_lock(&s->lock);
        *ret = json_pack("{s:s, s:b}", "path", "", "tty", json_is_true(json_object_get(cfg_of(c), "Tty")));
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_unlock(&c->op);
        container_unref(s, c);
        return 0;
    }
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    char *path = NULL;
    if (r >= 0)
        r = runtime_of(s, c, &rt, &ops);
    if (r >= 0)
        r = ops->attach_path(rt->state, c->id, &path);
    if (r >= 0) {
        pthread_mutex_lock(&s->lock);
        *ret = json_pack("{s:s, s:b}", "path", path, "tty", json_is_true(json_object_get(cfg_of(c), "Tty")));
        event(s, c, "attach", NULL);
        pthread_mutex_unlock(&s->lock);
        ops->free(rt->state, path);
    }
    pthread_mutex_unlock(&c->op);
    container_unref(s, c);
    return r;
}

int ctr_resize(struct container_store *s, const char *ref, int rows, int cols)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    struct plugin *rt;
    const pouch_runtime_ops *ops;
    if (!c->prepared)
        r = err_set(-EBUSY, "Container %s is not running", c->id);
    else if ((r = runtime_of(s, c, &rt, &ops)) >= 0)
        r = ops->resize(rt->state, c->id, rows, cols);
    container_unref(s, c);
    return r;
}

int ctr_logs(struct container_store *s, const char *ref, json_t *options, int out_fd, const volatile int32_t *stop)
{
    struct container *c;
    int r = container_get(s, ref, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    const char *driver = json_string_value(json_object_get(json_object_get(hc_of(c), "LogConfig"), "Type"));
    char path[4200];
    snprintf(path, sizeof(path), "%s", json_string_value(json_object_get(c->rec, "LogPath")) ?: "");
    json_auto_t *opts = json_deep_copy(options);
    json_object_set_new(opts, "raw", json_boolean(json_is_true(json_object_get(cfg_of(c), "Tty"))));
    bool running = c->status == STATUS_RUNNING || c->status == STATUS_RESTARTING || c->status == STATUS_CREATED;
    if (!running) /* nothing more will come: a follower drains and ends */
        json_object_set_new(opts, "follow", json_false());
    pthread_mutex_unlock(&s->lock);
    struct plugin *lp = driver && strcmp(driver, "none") ? log_plugin(s, driver) : NULL;
    const pouch_log_ops *ops = lp ? lp->desc.ops : NULL;
    if (!ops || !POUCH_HAS(ops, pouch_log_ops, read) || !ops->read)
        r = err_set(-ENOTSUP, "configured logging driver does not support reading");
    else {
        _cleanup_free_ char *text = json_dumps(opts, JSON_COMPACT);
        r = ops->read(lp->state, path, text, out_fd, stop);
    }
    container_unref(s, c);
    return r;
}

static bool prune_match(struct container *c, json_t *filters, int64_t until)
{
    if (!labels_match(json_object_get(cfg_of(c), "Labels"), filters))
        return false;
    if (until > 0 && c->created_ns / 1000000000LL >= until)
        return false;
    return true;
}

int ctr_prune(struct container_store *s, json_t *filters, json_t **ret)
{
    int64_t until = 0;
    const char *key;
    json_t *v;
    json_object_foreach(filters, key, v)
    {
        if (!strcmp(key, "until")) {
            const char *val = json_object_iter_key(json_object_iter(v));
            char *end;
            until = val ? (int64_t)strtod(val, &end) : 0;
            if (val && *end) {
                int64_t t = parse_time(val);
                if (!t)
                    return err_set(-EINVAL, "failed to parse value %s, give a Unix time or RFC 3339 time", val);
                until = t / 1000000000LL;
            }
        } else if (strcmp(key, "label") && strcmp(key, "label!")) {
            return err_set(-EINVAL, "Invalid filter '%s'", key);
        }
    }
    json_t *deleted = json_array();
    for (;;) {
        struct container *pick = NULL;
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->n && !pick; i++) {
            struct container *c = s->v[i];
            bool seen = false;
            size_t k;
            json_t *d;
            json_array_foreach(deleted, k, d) seen |= !strcmp(json_string_value(d), c->id);
            if (!seen && (c->status == STATUS_EXITED || c->status == STATUS_CREATED || c->status == STATUS_DEAD) &&
                prune_match(c, filters, until)) {
                pick = c;
                pick->refs++;
            }
        }
        pthread_mutex_unlock(&s->lock);
        if (!pick)
            break;
        json_array_append_new(deleted, json_string(pick->id));
        pthread_mutex_lock(&pick->op);
        if (!pick->removed && pick->status != STATUS_RUNNING)
            remove_locked(s, pick);
        pthread_mutex_unlock(&pick->op);
        container_unref(s, pick);
    }
    *ret = json_pack("{s:o, s:i}", "ContainersDeleted", json_array_size(deleted) ? deleted : (json_decref(deleted),
                                                                                              json_null()),
                     "SpaceReclaimed", 0);
    return 0;
}

bool ctr_image_used(void *user, const char *id, char *ret_container, size_t cap)
{
    struct container_store *s = user;
    bool used = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n && !used; i++)
        if (!strcmp(json_string_value(json_object_get(s->v[i]->rec, "Image")) ?: "", id)) {
            used = true;
            if (ret_container)
                snprintf(ret_container, cap, "%.12s", s->v[i]->id);
        }
    pthread_mutex_unlock(&s->lock);
    return used;
}

/* --- live restore ------------------------------------------------------------ */

/* What every runtime still has: {"id": state object}. */
static json_t *runtime_inventory(struct container_store *s)
{
    json_t *all = json_object();
    struct daemon *d = s->daemon;
    for (size_t i = 0; i < d->plugins.n; i++) {
        struct plugin *p = d->plugins.v[i];
        const pouch_runtime_ops *ops = p->desc.ops;
        char *text = NULL;
        if (p->desc.kind != POUCH_KIND_RUNTIME || !POUCH_HAS(ops, pouch_runtime_ops, free) || !ops->list ||
            ops->list(p->state, &text) < 0)
            continue;
        json_auto_t *list = json_loads(text, 0, NULL);
        ops->free(p->state, text);
        size_t k;
        json_t *e;
        json_array_foreach(list, k, e)
        {
            const char *id = json_string_value(json_object_get(e, "id"));
            if (id)
                json_object_set(all, id, e);
        }
    }
    return all;
}

int ctr_restore(struct container_store *s)
{
    json_auto_t *inv = runtime_inventory(s);
    json_auto_t *to_start = json_array();
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        struct container *c = s->v[i];
        json_t *st = json_object_get(inv, c->id);
        const char *rs = json_string_value(json_object_get(st, "status"));
        bool was_running = c->status == STATUS_RUNNING || c->status == STATUS_PAUSED;
        if (st && rs && (!strcmp(rs, "running") || !strcmp(rs, "paused"))) {
            c->prepared = true;
            c->rootfs_mounted = true;
            c->status = !strcmp(rs, "paused") ? STATUS_PAUSED : STATUS_RUNNING;
            c->pid = (int)json_integer_value(json_object_get(st, "pid"));
            container_sync_state(c);
            continue;
        }
        if (st) {
            c->prepared = true;
            c->rootfs_mounted = true;
        }
        if (was_running) {
            /* It ended while pouchd was away: its real status if the runtime kept it. */
            json_t *status = st ? json_pack("{s:O, s:O, s:O}", "exit_code", json_object_get(st, "exit_code"),
                                            "oom_killed", json_object_get(st, "oom_killed") ?: json_false(),
                                            "finished_at", json_object_get(st, "finished_at") ?: json_integer(0))
                                : json_pack("{s:i, s:s}", "exit_code", 255, "error",
                                            "the container's monitor was not found after the daemon restarted");
            c->status = STATUS_RUNNING; /* so the exit is processed like any other */
            _cleanup_free_ char *text = json_dumps(status, JSON_COMPACT);
            json_decref(status);
            pthread_mutex_unlock(&s->lock);
            ctr_exited(s, c->id, text);
            pthread_mutex_lock(&s->lock);
        } else if (c->status == STATUS_EXITED) {
            const char *policy =
                json_string_value(json_object_get(json_object_get(hc_of(c), "RestartPolicy"), "Name"));
            if (policy && (!strcmp(policy, "always") || (!strcmp(policy, "unless-stopped") && !c->manually_stopped)))
                json_array_append_new(to_start, json_string(c->id));
        }
    }
    worker.stopping = false;
    int r = pthread_create(&worker.thread, NULL, worker_main, s);
    worker.running = r == 0;
    pthread_mutex_unlock(&s->lock);
    if (r != 0)
        return err_set(-r, "container store: cannot start its worker thread");
    size_t k;
    json_t *id;
    json_array_foreach(to_start, k, id) if (ctr_start(s, json_string_value(id)) < 0)
        log_warn("container %.12s: restart at boot failed: %s", json_string_value(id), err_get());
    return 0;
}

void ctr_wake_waiters(struct container_store *s)
{
    pthread_mutex_lock(&s->lock);
    s->shutting_down = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

void ctr_shutdown(struct container_store *s)
{
    pthread_mutex_lock(&s->lock);
    bool running = worker.running;
    worker.stopping = true;
    pthread_cond_broadcast(&worker.wake);
    pthread_mutex_unlock(&s->lock);
    if (running)
        pthread_join(worker.thread, NULL);
    worker.running = false;
    while (worker.head) {
        struct exit_item *it = worker.head;
        worker.head = it->next;
        json_decref(it->status);
        free(it);
    }
    worker.tail = NULL;
}
