/* Parse an OCI runtime spec (config.json) into struct spec (see spec.h).
 * Unknown fields are ignored like runc does; wrong types are errors that
 * name the field. Never touches the file system except to read the file. */
#include "spec.h"

#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

int spec_cap_from_name(const char *name)
{
    if (!strncasecmp(name, "CAP_", 4))
        name += 4;
    for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
        if (!strcasecmp(name, cap_names[i]))
            return (int)i;
    return -1;
}

static const struct {
    const char *name;
    int res;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int spec_rlimit_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
        if (!strcmp(name, rlimit_names[i].name))
            return rlimit_names[i].res;
    return -1;
}

int spec_ns_from_name(const char *name)
{
    static const struct {
        const char *n;
        int f;
    } t[] = {{"pid", CLONE_NEWPID},     {"mount", CLONE_NEWNS},      {"uts", CLONE_NEWUTS},  {"ipc", CLONE_NEWIPC},
             {"network", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER}};
    for (size_t i = 0; i < ARRAY_SIZE(t); i++)
        if (!strcmp(name, t[i].n))
            return t[i].f;
    return 0;
}

/* Strings array → NULL-terminated borrowed vector. */
static int str_array(json_t *a, const char *what, const char ***ret, size_t *ret_n, rns_error *e)
{
    *ret = NULL;
    *ret_n = 0;
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return rns_err(e, -EINVAL, "config.json: %s must be an array of strings", what);
    size_t n = json_array_size(a);
    const char **v = calloc(n + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = json_string_value(json_array_get(a, i));
        if (!v[i]) {
            free(v);
            return rns_err(e, -EINVAL, "config.json: %s[%zu] must be a string", what, i);
        }
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

static int caps_mask(json_t *a, const char *what, uint64_t *ret, rns_error *e)
{
    *ret = 0;
    if (!a)
        return 0;
    if (!json_is_array(a))
        return rns_err(e, -EINVAL, "config.json: process.capabilities.%s must be an array", what);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *name = json_string_value(v);
        int c = name ? spec_cap_from_name(name) : -1;
        if (c < 0)
            return rns_err(e, -EINVAL, "config.json: unknown capability %s in process.capabilities.%s",
                           name ? name : "(not a string)", what);
        *ret |= 1ULL << c;
    }
    return 0;
}

static int get_int(json_t *o, const char *key, int64_t *ret)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return 0;
    *ret = json_integer_value(v);
    return 1;
}

static int parse_process(spec *s, json_t *p, rns_error *e)
{
    if (!json_is_object(p))
        return rns_err(e, -EINVAL, "config.json: process is missing");
    s->terminal = json_is_true(json_object_get(p, "terminal"));
    json_t *user = json_object_get(p, "user");
    int64_t v;
    if (get_int(user, "uid", &v))
        s->uid = (uid_t)v;
    if (get_int(user, "gid", &v))
        s->gid = (gid_t)v;
    json_t *ag = json_object_get(user, "additionalGids");
    if (json_is_array(ag) && json_array_size(ag) > 0) {
        s->n_additional_gids = json_array_size(ag);
        s->additional_gids = calloc(s->n_additional_gids, sizeof(gid_t));
        if (!s->additional_gids)
            return -ENOMEM;
        for (size_t i = 0; i < s->n_additional_gids; i++)
            s->additional_gids[i] = (gid_t)json_integer_value(json_array_get(ag, i));
    }
    int r = str_array(json_object_get(p, "args"), "process.args", &s->args, &s->n_args, e);
    if (r < 0)
        return r;
    if (s->n_args == 0)
        return rns_err(e, -EINVAL, "config.json: process.args must name a command");
    r = str_array(json_object_get(p, "env"), "process.env", &s->env, &s->n_env, e);
    if (r < 0)
        return r;
    if (!s->env) {
        s->env = calloc(1, sizeof(char *));
        if (!s->env)
            return -ENOMEM;
    }
    s->cwd = json_string_value(json_object_get(p, "cwd"));
    if (!s->cwd)
        s->cwd = "/";
    json_t *caps = json_object_get(p, "capabilities");
    if ((r = caps_mask(json_object_get(caps, "bounding"), "bounding", &s->cap_bounding, e)) < 0 ||
        (r = caps_mask(json_object_get(caps, "effective"), "effective", &s->cap_effective, e)) < 0 ||
        (r = caps_mask(json_object_get(caps, "permitted"), "permitted", &s->cap_permitted, e)) < 0 ||
        (r = caps_mask(json_object_get(caps, "inheritable"), "inheritable", &s->cap_inheritable, e)) < 0 ||
        (r = caps_mask(json_object_get(caps, "ambient"), "ambient", &s->cap_ambient, e)) < 0)
        return r;
    json_t *rl = json_object_get(p, "rlimits");
    if (json_is_array(rl) && json_array_size(rl) > 0) {
        s->rlimits = calloc(json_array_size(rl), sizeof(*s->rlimits));
        if (!s->rlimits)
            return -ENOMEM;
        size_t i;
        json_t *o;
        json_array_foreach(rl, i, o)
        {
            spec_rlimit *x = &s->rlimits[s->n_rlimits];
            x->name = json_string_value(json_object_get(o, "type"));
            x->resource = x->name ? spec_rlimit_from_name(x->name) : -1;
            if (x->resource < 0)
                return rns_err(e, -EINVAL, "config.json: unknown rlimit type %s", x->name ? x->name : "(missing)");
            int64_t soft = 0, hard = 0;
            get_int(o, "soft", &soft);
            get_int(o, "hard", &hard);
            x->soft = (uint64_t)soft;
            x->hard = (uint64_t)hard;
            s->n_rlimits++;
        }
    }
    s->no_new_privileges = json_is_true(json_object_get(p, "noNewPrivileges"));
    if (get_int(p, "oomScoreAdj", &v)) {
        s->has_oom_score_adj = 1;
        s->oom_score_adj = (int)v;
    }
    return 0;
}

static int parse_mounts(spec *s, json_t *a, rns_error *e)
{
    if (!json_is_array(a) || json_array_size(a) == 0)
        return 0;
    s->mounts = calloc(json_array_size(a), sizeof(*s->mounts));
    if (!s->mounts)
        return -ENOMEM;
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        spec_mount *m = &s->mounts[s->n_mounts++];
        m->destination = json_string_value(json_object_get(o, "destination"));
        if (!m->destination || m->destination[0] != '/')
            return rns_err(e, -EINVAL, "config.json: mounts[%zu].destination must be an absolute path", i);
        m->type = json_string_value(json_object_get(o, "type"));
        m->source = json_string_value(json_object_get(o, "source"));
        int r = str_array(json_object_get(o, "options"), "mounts[].options", &m->options, &m->n_options, e);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_resources(spec_resources *res, json_t *o, rns_error *e)
{
    if (!json_is_object(o))
        return 0;
    json_t *mem = json_object_get(o, "memory");
    res->has_mem_limit = get_int(mem, "limit", &res->mem_limit);
    res->has_mem_reservation = get_int(mem, "reservation", &res->mem_reservation);
    res->has_mem_swap = get_int(mem, "swap", &res->mem_swap);
    json_t *d = json_object_get(mem, "disableOOMKiller");
    res->has_disable_oom = json_is_boolean(d);
    res->disable_oom = json_is_true(d);
    json_t *cpu = json_object_get(o, "cpu");
    int64_t v;
    if ((res->has_cpu_shares = get_int(cpu, "shares", &v)))
        res->cpu_shares = (uint64_t)v;
    res->has_cpu_quota = get_int(cpu, "quota", &res->cpu_quota);
    if ((res->has_cpu_period = get_int(cpu, "period", &v)))
        res->cpu_period = (uint64_t)v;
    res->cpus = json_string_value(json_object_get(cpu, "cpus"));
    res->mems = json_string_value(json_object_get(cpu, "mems"));
    res->has_pids_limit = get_int(json_object_get(o, "pids"), "limit", &res->pids_limit);
    if ((res->has_blkio_weight = get_int(json_object_get(o, "blockIO"), "weight", &v)))
        res->blkio_weight = (uint16_t)v;
    json_t *devs = json_object_get(o, "devices");
    if (json_is_array(devs) && json_array_size(devs) > 0) {
        res->devices = calloc(json_array_size(devs), sizeof(*res->devices));
        if (!res->devices)
            return -ENOMEM;
        size_t i;
        json_t *r;
        json_array_foreach(devs, i, r)
        {
            spec_devrule *x = &res->devices[res->n_devices++];
            x->allow = json_is_true(json_object_get(r, "allow"));
            const char *t = json_string_value(json_object_get(r, "type"));
            x->type = t && *t ? t[0] : 'a';
            if (x->type != 'a' && x->type != 'b' && x->type != 'c')
                return rns_err(e, -EINVAL, "config.json: linux.resources.devices[%zu].type '%s' is not a, b or c", i,
                               t);
            x->major = x->minor = -1;
            get_int(r, "major", &x->major);
            get_int(r, "minor", &x->minor);
            x->access = json_string_value(json_object_get(r, "access"));
            if (!x->access)
                x->access = "rwm";
        }
    }
    return 0;
}

static int parse_devices(spec *s, json_t *a, rns_error *e)
{
    if (!json_is_array(a) || json_array_size(a) == 0)
        return 0;
    s->devices = calloc(json_array_size(a), sizeof(*s->devices));
    if (!s->devices)
        return -ENOMEM;
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        spec_device *d = &s->devices[s->n_devices++];
        d->path = json_string_value(json_object_get(o, "path"));
        const char *t = json_string_value(json_object_get(o, "type"));
        if (!d->path || !t || !strchr("cbup", t[0]))
            return rns_err(e, -EINVAL, "config.json: linux.devices[%zu] needs a path and a type c, b, u or p", i);
        d->type = t[0];
        get_int(o, "major", &d->major);
        get_int(o, "minor", &d->minor);
        int64_t v;
        if ((d->has_mode = get_int(o, "fileMode", &v)))
            d->mode = (uint32_t)v;
        if ((d->has_uid = get_int(o, "uid", &v)))
            d->uid = (uid_t)v;
        if ((d->has_gid = get_int(o, "gid", &v)))
            d->gid = (gid_t)v;
    }
    return 0;
}

static int parse_idmaps(json_t *a, const char *what, spec_idmap **ret, size_t *ret_n, rns_error *e)
{
    if (!json_is_array(a) || json_array_size(a) == 0)
        return rns_err(e, -EINVAL, "config.json: a user namespace needs linux.%s", what);
    *ret = calloc(json_array_size(a), sizeof(**ret));
    if (!*ret)
        return -ENOMEM;
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        json_int_t v[3];
        const char *keys[3] = {"containerID", "hostID", "size"};
        for (int k = 0; k < 3; k++) {
            json_t *x = json_object_get(o, keys[k]);
            v[k] = json_integer_value(x);
            if (!json_is_integer(x) || v[k] < 0 || v[k] > UINT32_MAX || (k == 2 && v[k] == 0))
                return rns_err(e, -EINVAL, "config.json: linux.%s[%zu].%s must be an id", what, i, keys[k]);
        }
        (*ret)[i] = (spec_idmap){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
    }
    *ret_n = json_array_size(a);
    return 0;
}

static int parse_linux(spec *s, json_t *l, rns_error *e)
{
    if (!json_is_object(l))
        return 0;
    json_t *ns = json_object_get(l, "namespaces");
    if (json_is_array(ns) && json_array_size(ns) > 0) {
        s->namespaces = calloc(json_array_size(ns), sizeof(*s->namespaces));
        if (!s->namespaces)
            return -ENOMEM;
        size_t i;
        json_t *o;
        json_array_foreach(ns, i, o)
        {
            const char *t = json_string_value(json_object_get(o, "type"));
            int f = t ? spec_ns_from_name(t) : 0;
            if (!f)
                return rns_err(e, -EINVAL, "config.json: unknown namespace type %s", t ? t : "(missing)");
            if (f == CLONE_NEWUSER && json_string_value(json_object_get(o, "path")))
                return rns_err(e, -ENOTSUP,
                               "config.json: joining an existing user namespace is not supported by "
                               "runtime-ns yet; give the container its own (uidMappings/gidMappings)");
            spec_ns *x = &s->namespaces[s->n_namespaces++];
            x->type = f;
            x->path = json_string_value(json_object_get(o, "path"));
        }
    }
    for (size_t k = 0; k < s->n_namespaces; k++) {
        int r;
        if (s->namespaces[k].type == CLONE_NEWUSER &&
            ((r = parse_idmaps(json_object_get(l, "uidMappings"), "uidMappings", &s->uid_mappings, &s->n_uid_mappings,
                               e)) < 0 ||
             (r = parse_idmaps(json_object_get(l, "gidMappings"), "gidMappings", &s->gid_mappings, &s->n_gid_mappings,
                               e)) < 0))
            return r;
    }
    s->cgroups_path = json_string_value(json_object_get(l, "cgroupsPath"));
    int r = parse_resources(&s->resources, json_object_get(l, "resources"), e);
    if (r < 0 || (r = parse_devices(s, json_object_get(l, "devices"), e)) < 0)
        return r;
    if ((r = str_array(json_object_get(l, "maskedPaths"), "linux.maskedPaths", &s->masked_paths, &s->n_masked_paths,
                       e)) < 0 ||
        (r = str_array(json_object_get(l, "readonlyPaths"), "linux.readonlyPaths", &s->readonly_paths,
                       &s->n_readonly_paths, e)) < 0)
        return r;
    json_t *sc = json_object_get(l, "sysctl");
    if (json_is_object(sc) && json_object_size(sc) > 0) {
        s->sysctl = calloc(json_object_size(sc), sizeof(*s->sysctl));
        if (!s->sysctl)
            return -ENOMEM;
        const char *k;
        json_t *v;
        json_object_foreach(sc, k, v)
        {
            if (!json_is_string(v))
                return rns_err(e, -EINVAL, "config.json: linux.sysctl.%s must be a string", k);
            s->sysctl[s->n_sysctl].key = k;
            s->sysctl[s->n_sysctl++].value = json_string_value(v);
        }
    }
    s->rootfs_propagation = json_string_value(json_object_get(l, "rootfsPropagation"));
    json_t *seccomp = json_object_get(l, "seccomp");
    if (seccomp && !json_is_null(seccomp) && !json_is_object(seccomp))
        return rns_err(e, -EINVAL, "config.json: linux.seccomp must be an object");
    s->seccomp = json_is_object(seccomp) ? seccomp : NULL;
    return 0;
}

int spec_parse(const char *text, const char *bundle_dir, spec **ret, rns_error *e)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root)
        return rns_err(e, -EINVAL, "config.json: line %d: %s", je.line, je.text);
    _cleanup_(spec_freep) spec *s = calloc(1, sizeof(*s));
    if (!s) {
        json_decref(root);
        return -ENOMEM;
    }
    s->json = root;
    int r = parse_process(s, json_object_get(root, "process"), e);
    if (r < 0)
        return r;
    json_t *rt = json_object_get(root, "root");
    const char *rp = json_string_value(json_object_get(rt, "path"));
    if (!rp)
        return rns_err(e, -EINVAL, "config.json: root.path is missing");
    if (rp[0] == '/' || !bundle_dir)
        s->root_path = strdup(rp);
    else if (asprintf(&s->root_path, "%s/%s", bundle_dir, rp) < 0)
        s->root_path = NULL;
    if (!s->root_path)
        return -ENOMEM;
    s->root_readonly = json_is_true(json_object_get(rt, "readonly"));
    s->hostname = json_string_value(json_object_get(root, "hostname"));
    if ((r = parse_mounts(s, json_object_get(root, "mounts"), e)) < 0 ||
        (r = parse_linux(s, json_object_get(root, "linux"), e)) < 0)
        return r;
    *ret = TAKE_PTR(s);
    return 0;
}

/* One JSON object (an exec's "process", or an update's "linux.resources")
 * parsed into an otherwise empty spec that owns it. */
static int spec_parse_part(const char *text, const char *what, int process, spec **ret, rns_error *e)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return rns_err(e, -EINVAL, "%s is not a JSON object: %s", what, je.text);
    }
    _cleanup_(spec_freep) spec *s = calloc(1, sizeof(*s));
    if (!s) {
        json_decref(root);
        return -ENOMEM;
    }
    s->json = root;
    int r = process ? parse_process(s, root, e) : parse_resources(&s->resources, root, e);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(s);
    return 0;
}

int spec_parse_process(const char *text, spec **ret, rns_error *e)
{
    return spec_parse_part(text, "exec process", 1, ret, e);
}

int spec_parse_resources(const char *text, spec **ret, rns_error *e)
{
    return spec_parse_part(text, "linux.resources", 0, ret, e);
}

int spec_load(const char *bundle_dir, spec **ret, rns_error *e)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/config.json", bundle_dir);
    _cleanup_free_ char *text = NULL;
    int r = rns_read_file(path, &text, NULL);
    if (r < 0)
        return rns_err(e, r, "read %s: %s", path, strerror(-r));
    return spec_parse(text, bundle_dir, ret, e);
}

void spec_free(spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_mounts; i++)
        free(s->mounts[i].options);
    free(s->mounts);
    free(s->additional_gids);
    free(s->args);
    free(s->env);
    free(s->rlimits);
    free(s->root_path);
    free(s->namespaces);
    free(s->resources.devices);
    free(s->devices);
    free(s->masked_paths);
    free(s->readonly_paths);
    free(s->sysctl);
    free(s->uid_mappings);
    free(s->gid_mappings);
    free(s->seccomp_filter);
    json_decref(s->json);
    free(s);
}
