/* docker create: validate the request as dockerd does, merge the image's
 * defaults under the user's config, and write the first record. Nothing
 * here touches a runtime. */
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
#include "lifecycle-internal.h"
#include "log.h"
#include "rootfs.h"
#include "spec.h"
#include "sysinfo.h"
#include "views.h"

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
        (json_integer_value(json_object_get(hc, "CpuQuota")) > 0 ||
         json_integer_value(json_object_get(hc, "CpuPeriod")) > 0))
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

/* What a user namespace cannot give: dockerd refuses it unless the
 * container opts out with --userns=host. */
static int check_userns(const struct userns_remap *rm, json_t *hc)
{
    const char *mode = json_string_value(json_object_get(hc, "UsernsMode")) ?: "";
    if (*mode && strcmp(mode, "host") != 0 && strcmp(mode, "private") != 0)
        return err_set(-EINVAL, "invalid user namespace mode \"%s\": use host, or leave it empty", mode);
    if (!rm || strcmp(mode, "host") == 0)
        return 0;
    if (json_is_true(json_object_get(hc, "Privileged")))
        return err_set(-EINVAL, "privileged mode is incompatible with user namespaces.  You must run the container in "
                                "the host namespace when running privileged mode");
    if (strcmp(json_string_value(json_object_get(hc, "NetworkMode")) ?: "", "host") == 0)
        return err_set(-EINVAL, "cannot share the host's network namespace when user namespaces are enabled");
    if (strcmp(json_string_value(json_object_get(hc, "PidMode")) ?: "", "host") == 0)
        return err_set(-EINVAL, "cannot share the host PID namespace when user namespaces are enabled");
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
    if (r >= 0)
        r = check_userns(d->remap, hc);
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
        struct spec_input in = {.id = c->id,
                                .config = config,
                                .host_config = hc,
                                .rootfs = "/",
                                .uid = 0,
                                .gid = 0,
                                .cgroup_v2 = strcmp(sysinfo_cgroup_version(), "2") == 0};
        json_t *spec = NULL;
        r = spec_build(&in, &spec);
        json_decref(spec);
    }
    char dir[4096], log_path[4200], created[64];
    if (r >= 0) {
        container_data_path(s, c, NULL, dir, sizeof(dir));
        r = mkdir_p(dir, 0710) < 0
                ? err_set(-errno, "container %.12s: cannot create %s: %s", c->id, dir, strerror(errno))
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
    c->rec = json_pack("{s:s, s:s, s:o, s:o, s:{}, s:s, s:s, s:i, s:s, s:s, s:O, s:O}", "Id", c->id, "Created", created,
                       "Path", path ? path : json_string(""), "Args", args, "State", "Image", image_id, "Name", bare,
                       "RestartCount", 0, "Driver", "overlay2", "LogPath",
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
    ctr_event(s, c, "create", NULL);
    *ret = json_pack("{s:s, s:O}", "Id", c->id, "Warnings", warnings);
    pthread_mutex_unlock(&s->lock);
    return 0;
}
