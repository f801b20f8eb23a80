/* Renders containers the way dockerd 20.10 does: inspect's full document and
 * the list entries with their human "Up 5 seconds" status, plus the list
 * filters. Read-only; callers hold the store lock. */
#include "views.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "daemon.h"
#include "error.h"
#include "exec.h"
#include "host-config-template.h"
#include "image-views.h"
#include "label-filter.h"
#include "reference.h"

void view_complete_config(json_t *config)
{
    json_t *full = image_full_container_config(config);
    if (!json_is_object(json_object_get(full, "Labels")))
        json_object_set_new(full, "Labels", json_object());
    json_object_clear(config);
    json_object_update(config, full);
    json_decref(full);
}

void view_complete_host_config(json_t *hc)
{
    json_auto_t *tmpl = json_loads(host_config_template, 0, NULL);
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(tmpl, k, v)
    {
        json_t *mine = json_object_get(hc, k);
        json_object_set(
            out, k,
            mine && !(json_is_string(mine) && !*json_string_value(mine) && json_is_string(v) && *json_string_value(v))
                ? mine
                : v);
    }
    json_object_foreach(hc, k, v) if (!json_object_get(out, k)) json_object_set(out, k, v);
    json_t *rp = json_object_get(out, "RestartPolicy");
    if (!json_is_string(json_object_get(rp, "Name")) || !*json_string_value(json_object_get(rp, "Name")))
        json_object_set_new(rp, "Name", json_string("no"));
    json_t *lc = json_object_get(out, "LogConfig");
    if (!json_is_string(json_object_get(lc, "Type")) || !*json_string_value(json_object_get(lc, "Type")))
        json_object_set_new(lc, "Type", json_string("json-file"));
    if (!json_is_object(json_object_get(lc, "Config")))
        json_object_set_new(lc, "Config", json_object());
    if (json_is_true(json_object_get(out, "Privileged"))) {
        json_object_set_new(out, "MaskedPaths", json_null());
        json_object_set_new(out, "ReadonlyPaths", json_null());
    }
    if (json_integer_value(json_object_get(out, "ShmSize")) <= 0)
        json_object_set_new(out, "ShmSize", json_integer(67108864));
    json_object_clear(hc);
    json_object_update(hc, out);
    json_decref(out);
}

static const char *net_name(json_t *hc)
{
    const char *m = json_string_value(json_object_get(hc, "NetworkMode"));
    return m && !strcmp(m, "host") ? "host" : "none";
}

static json_t *networks(json_t *hc)
{
    return json_pack("{s:{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}}", net_name(hc),
                     "IPAMConfig", "Links", "Aliases", "NetworkID", "", "EndpointID", "", "Gateway", "", "IPAddress",
                     "", "IPPrefixLen", 0, "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
                     "MacAddress", "", "DriverOpts");
}

static json_t *mounts(json_t *hc)
{
    json_t *out = json_array();
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(hc, "Binds"), i, b)
    {
        _cleanup_free_ char *spec = strdup(json_string_value(b) ?: "");
        char *parts[3] = {0};
        int n = 0;
        char *save = NULL;
        for (char *p = strtok_r(spec, ":", &save); p && n < 3; p = strtok_r(NULL, ":", &save))
            parts[n++] = p;
        if (n < 2)
            continue;
        bool ro = n == 3 && strstr(parts[2], "ro");
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind", "Source", parts[0],
                                             "Destination", parts[1], "Mode", n == 3 ? parts[2] : "", "RW", !ro,
                                             "Propagation", "rprivate"));
    }
    json_array_foreach(json_object_get(hc, "Mounts"), i, b)
    {
        const char *type = json_string_value(json_object_get(b, "Type")) ?: "bind";
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", type, "Source",
                                             json_string_value(json_object_get(b, "Source")) ?: "", "Destination",
                                             json_string_value(json_object_get(b, "Target")) ?: "", "Mode", "", "RW",
                                             !json_is_true(json_object_get(b, "ReadOnly")), "Propagation",
                                             strcmp(type, "bind") ? "" : "rprivate"));
    }
    return out;
}

static int64_t du_total;
static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_F || flag == FTW_SL)
        du_total += st->st_size;
    return 0;
}

static int64_t dir_size(const char *dir)
{
    /* nftw is not reentrant; the store lock serialises callers */
    du_total = 0;
    nftw(dir, du_one, 64, FTW_PHYS | FTW_MOUNT);
    return du_total;
}

static int64_t image_size(struct container_store *s, struct container *c)
{
    struct daemon *d = s->daemon;
    struct image *img = NULL;
    int64_t size = 0;
    pthread_rwlock_rdlock(&d->images->lock);
    if (image_lookup(d->images, json_string_value(json_object_get(c->rec, "Image")), &img) >= 0)
        size = (int64_t)img->size;
    pthread_rwlock_unlock(&d->images->lock);
    return size;
}

static json_t *graph_driver(struct container_store *s, struct container *c)
{
    char upper[4096], work[4096], merged[4096];
    container_data_path(s, c, "upper", upper, sizeof(upper));
    container_data_path(s, c, "work", work, sizeof(work));
    container_run_path(s, c, "rootfs", merged, sizeof(merged));
    json_t *data = json_pack("{s:s, s:s, s:s}", "MergedDir", merged, "UpperDir", upper, "WorkDir", work);
    struct image *img = NULL;
    struct daemon *d = s->daemon;
    pthread_rwlock_rdlock(&d->images->lock);
    if (image_lookup(d->images, json_string_value(json_object_get(c->rec, "Image")), &img) >= 0) {
        _cleanup_free_ char *lower = image_lowerdir(d->images, img, 0);
        if (lower)
            json_object_set_new(data, "LowerDir", json_string(lower));
    }
    pthread_rwlock_unlock(&d->images->lock);
    return json_pack("{s:o, s:s}", "Data", data, "Name", "overlay2");
}

static json_t *clean_host_config(json_t *hc)
{
    json_t *out = json_deep_copy(hc);
    const char *k;
    void *tmp;
    json_t *v;
    json_object_foreach_safe(out, tmp, k, v) if (k[0] == '_') json_object_del(out, k);
    return out;
}

json_t *view_inspect(struct container_store *s, struct container *c, bool size)
{
    json_t *r = c->rec, *hc = json_object_get(r, "HostConfig");
    bool started = parse_time(json_string_value(json_object_get(json_object_get(r, "State"), "StartedAt"))) > 0;
    char resolv[4200] = "", hostname[4200] = "", hosts[4200] = "";
    if (started || c->prepared) {
        container_data_path(s, c, "resolv.conf", resolv, sizeof(resolv));
        container_data_path(s, c, "hostname", hostname, sizeof(hostname));
        container_data_path(s, c, "hosts", hosts, sizeof(hosts));
    }
    container_sync_state(c);
    json_t *st = json_object_get(r, "State");
    json_t *state = json_pack(
        "{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "Status", json_object_get(st, "Status"), "Running",
        json_object_get(st, "Running"), "Paused", json_object_get(st, "Paused"), "Restarting",
        json_object_get(st, "Restarting"), "OOMKilled", json_object_get(st, "OOMKilled") ?: json_false(), "Dead",
        json_object_get(st, "Dead"), "Pid", json_object_get(st, "Pid"), "ExitCode",
        json_object_get(st, "ExitCode") ?: json_integer(0), "Error", json_object_get(st, "Error") ?: json_string(""),
        "StartedAt", json_object_get(st, "StartedAt"), "FinishedAt", json_object_get(st, "FinishedAt"));
    json_t *out = json_pack("{s:O, s:O, s:O, s:O, s:o, s:O, s:s, s:s, s:s, s:O, s:O, s:O, s:s, s:s, s:s, s:s, s:s, "
                            "s:o, s:o, s:o}",
                            "Id", json_object_get(r, "Id"), "Created", json_object_get(r, "Created"), "Path",
                            json_object_get(r, "Path"), "Args", json_object_get(r, "Args"), "State", state, "Image",
                            json_object_get(r, "Image"), "ResolvConfPath", resolv, "HostnamePath", hostname,
                            "HostsPath", hosts, "LogPath", json_object_get(r, "LogPath"), "Name",
                            json_object_get(r, "Name"), "RestartCount", json_object_get(r, "RestartCount"), "Driver",
                            "overlay2", "Platform", "linux", "MountLabel", "", "ProcessLabel", "", "AppArmorProfile",
                            "", "ExecIDs", ctr_exec_ids(c->id), "HostConfig", clean_host_config(hc), "GraphDriver",
                            graph_driver(s, c));
    if (!out)
        return NULL;
    if (size) {
        char upper[4096];
        container_data_path(s, c, "upper", upper, sizeof(upper));
        int64_t rw = dir_size(upper);
        json_object_set_new(out, "SizeRw", json_integer(rw));
        json_object_set_new(out, "SizeRootFs", json_integer(rw + image_size(s, c)));
    }
    json_object_set_new(out, "Mounts", mounts(hc));
    json_object_set(out, "Config", json_object_get(r, "Config"));
    json_t *ns =
        json_pack("{s:s, s:s, s:b, s:s, s:i, s:{}, s:s, s:n, s:n, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, "
                  "s:o}",
                  "Bridge", "", "SandboxID", "", "HairpinMode", 0, "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen",
                  0, "Ports", "SandboxKey", "", "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "",
                  "Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPAddress", "", "IPPrefixLen", 0,
                  "IPv6Gateway", "", "MacAddress", "", "Networks", networks(hc));
    json_object_set_new(out, "NetworkSettings", ns);
    return out;
}

/* Go's units.HumanDuration, which `docker ps` prints. */
static void human_duration(int64_t secs, char *buf, size_t cap)
{
    if (secs < 1)
        snprintf(buf, cap, "Less than a second");
    else if (secs == 1)
        snprintf(buf, cap, "1 second");
    else if (secs < 60)
        snprintf(buf, cap, "%lld seconds", (long long)secs);
    else if (secs / 60 == 1)
        snprintf(buf, cap, "About a minute");
    else if (secs < 3600)
        snprintf(buf, cap, "%lld minutes", (long long)(secs / 60));
    else if (secs / 3600 == 1)
        snprintf(buf, cap, "About an hour");
    else if (secs < 48 * 3600)
        snprintf(buf, cap, "%lld hours", (long long)(secs / 3600));
    else if (secs < 7 * 24 * 3600 * 2)
        snprintf(buf, cap, "%lld days", (long long)(secs / 86400));
    else if (secs < 30 * 24 * 3600 * 3)
        snprintf(buf, cap, "%lld weeks", (long long)(secs / (7 * 86400)));
    else if (secs < 365 * 24 * 3600 * 2)
        snprintf(buf, cap, "%lld months", (long long)(secs / (30 * 86400)));
    else
        snprintf(buf, cap, "%lld years", (long long)(secs / (365 * 86400)));
}

static void status_text(struct container *c, char *buf, size_t cap)
{
    json_t *st = json_object_get(c->rec, "State");
    int64_t now = (int64_t)time(NULL);
    char d[64];
    switch (c->status) {
    case STATUS_RUNNING:
    case STATUS_PAUSED:
        human_duration(now - parse_time(json_string_value(json_object_get(st, "StartedAt"))) / 1000000000LL, d,
                       sizeof(d));
        snprintf(buf, cap, "Up %s%s", d, c->status == STATUS_PAUSED ? " (Paused)" : "");
        break;
    case STATUS_RESTARTING:
        human_duration(now - parse_time(json_string_value(json_object_get(st, "FinishedAt"))) / 1000000000LL, d,
                       sizeof(d));
        snprintf(buf, cap, "Restarting (%lld) %s ago", (long long)json_integer_value(json_object_get(st, "ExitCode")),
                 d);
        break;
    case STATUS_EXITED: {
        int64_t fin = parse_time(json_string_value(json_object_get(st, "FinishedAt")));
        if (fin <= 0) {
            snprintf(buf, cap, "Created");
            break;
        }
        human_duration(now - fin / 1000000000LL, d, sizeof(d));
        snprintf(buf, cap, "Exited (%lld) %s ago", (long long)json_integer_value(json_object_get(st, "ExitCode")), d);
        break;
    }
    case STATUS_REMOVING:
        snprintf(buf, cap, "Removal In Progress");
        break;
    case STATUS_DEAD:
        snprintf(buf, cap, "Dead");
        break;
    default:
        snprintf(buf, cap, "Created");
    }
}

static json_t *list_entry(struct container_store *s, struct container *c, bool size)
{
    json_t *r = c->rec, *hc = json_object_get(r, "HostConfig");
    char status[128];
    status_text(c, status, sizeof(status));
    _cleanup_free_ char *command = strdup(json_string_value(json_object_get(r, "Path")) ?: "");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r, "Args"), i, a)
    {
        /* dockerd quotes an argument with blanks the way a shell would */
        const char *arg = json_string_value(a) ?: "";
        bool quote = !*arg || strpbrk(arg, " \t\n'\"") != NULL;
        char *joined = NULL;
        if (asprintf(&joined, quote ? "%s '%s'" : "%s %s", command, arg) >= 0) {
            free(command);
            command = joined;
        }
    }
    json_t *labels = json_object_get(json_object_get(r, "Config"), "Labels");
    json_t *e = json_pack("{s:O, s:[O], s:O, s:O, s:s, s:I, s:[]}", "Id", json_object_get(r, "Id"), "Names",
                          json_object_get(r, "Name"), "Image", json_object_get(json_object_get(r, "Config"), "Image"),
                          "ImageID", json_object_get(r, "Image"), "Command", command ? command : "", "Created",
                          (json_int_t)(c->created_ns / 1000000000LL), "Ports");
    if (size) {
        char upper[4096];
        container_data_path(s, c, "upper", upper, sizeof(upper));
        int64_t rw = dir_size(upper);
        json_object_set_new(e, "SizeRw", json_integer(rw));
        json_object_set_new(e, "SizeRootFs", json_integer(rw + image_size(s, c)));
    }
    json_object_set_new(e, "Labels", json_is_object(labels) ? json_incref(labels) : json_object());
    json_object_set_new(e, "State", json_string(container_status_name(c->status)));
    json_object_set_new(e, "Status", json_string(status));
    json_object_set_new(e, "HostConfig", json_pack("{s:O}", "NetworkMode", json_object_get(hc, "NetworkMode")));
    json_object_set_new(e, "NetworkSettings", json_pack("{s:o}", "Networks", networks(hc)));
    json_object_set_new(e, "Mounts", mounts(hc));
    return e;
}

static int cmp_created_desc(const void *a, const void *b)
{
    struct container *x = *(struct container *const *)a, *y = *(struct container *const *)b;
    return x->created_ns < y->created_ns ? 1 : x->created_ns > y->created_ns ? -1 : 0;
}

static bool any_key(json_t *values, bool (*match)(struct container *, const char *), struct container *c)
{
    const char *v;
    json_t *unused;
    json_object_foreach(values, v, unused) if (match(c, v)) return true;
    return false;
}

static bool m_id(struct container *c, const char *v)
{
    return strncmp(c->id, v, strlen(v)) == 0;
}

static bool m_name(struct container *c, const char *v)
{
    const char *n = json_string_value(json_object_get(c->rec, "Name")) ?: "";
    return strstr(n, v[0] == '/' ? v + 1 : v) != NULL; /* dockerd matches names as a regexp; substring here */
}

static bool m_status(struct container *c, const char *v)
{
    return strcmp(container_status_name(c->status), v) == 0;
}

static bool m_exited(struct container *c, const char *v)
{
    return c->status == STATUS_EXITED &&
           json_integer_value(json_object_get(json_object_get(c->rec, "State"), "ExitCode")) == atoll(v);
}

static struct container_store *ancestor_store;
static bool m_ancestor(struct container *c, const char *v)
{
    const char *image = json_string_value(json_object_get(c->rec, "Image")) ?: "";
    const char *cfg_image = json_string_value(json_object_get(json_object_get(c->rec, "Config"), "Image")) ?: "";
    if (!strcmp(cfg_image, v))
        return true;
    struct image *img;
    struct daemon *d = ancestor_store->daemon;
    pthread_rwlock_rdlock(&d->images->lock);
    bool hit = image_lookup(d->images, v, &img) >= 0 && !strcmp(img->id, image);
    pthread_rwlock_unlock(&d->images->lock);
    return hit;
}

static const char *const valid_filters[] = {"id",       "name",      "label",   "status",  "exited",
                                            "ancestor", "before",    "since",   "volume",  "network",
                                            "health",   "isolation", "is-task", "publish", "expose"};

int view_list(struct container_store *s, json_t *options, json_t **ret)
{
    json_t *filters = json_object_get(options, "filters");
    bool all = json_is_true(json_object_get(options, "all"));
    bool size = json_is_true(json_object_get(options, "size"));
    json_int_t limit = json_integer_value(json_object_get(options, "limit"));
    const char *key;
    json_t *vals;
    json_object_foreach(filters, key, vals)
    {
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(valid_filters); i++)
            ok |= !strcmp(key, valid_filters[i]);
        if (!ok)
            return err_set(-EINVAL, "Invalid filter '%s'", key);
    }
    const char *v;
    json_t *unused;
    json_object_foreach(json_object_get(filters, "status"), v, unused)
    {
        static const char *const st[] = {"created", "restarting", "running", "removing", "paused", "exited", "dead"};
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(st); i++)
            ok |= !strcmp(v, st[i]);
        if (!ok)
            return err_set(-EINVAL, "Invalid filter 'status=%s'", v);
        all = true; /* a status filter looks at every container */
    }
    if (json_object_size(json_object_get(filters, "exited")))
        all = true;
    struct container **sorted = malloc((s->n ? s->n : 1) * sizeof(*sorted));
    if (!sorted)
        return err_set(-ENOMEM, "out of memory");
    if (s->n) { /* s->v is NULL in an empty store: memcpy/qsort must not see it */
        memcpy(sorted, s->v, s->n * sizeof(*sorted));
        qsort(sorted, s->n, sizeof(*sorted), cmp_created_desc);
    }
    int64_t before = INT64_MAX, since = 0;
    const char *names[2] = {"before", "since"};
    for (int b = 0; b < 2; b++)
        json_object_foreach(json_object_get(filters, names[b]), v, unused)
        {
            struct container *ref;
            if (container_lookup(s, v, &ref) < 0) {
                free(sorted);
                return -ENOENT;
            }
            int64_t t = ref->created_ns;
            if (b == 0)
                before = t;
            else
                since = t;
        }
    if (limit > 0)
        all = true;
    ancestor_store = s;
    json_t *out = json_array();
    for (size_t i = 0; i < s->n; i++) {
        struct container *c = sorted[i];
        bool running = container_running(c) || c->status == STATUS_RESTARTING;
        int64_t created = c->created_ns;
        if (!all && !running)
            continue;
        if (created >= before || created <= since)
            continue;
        json_t *f;
        if ((f = json_object_get(filters, "id")) && json_object_size(f) && !any_key(f, m_id, c))
            continue;
        if ((f = json_object_get(filters, "name")) && json_object_size(f) && !any_key(f, m_name, c))
            continue;
        if ((f = json_object_get(filters, "status")) && json_object_size(f) && !any_key(f, m_status, c))
            continue;
        if ((f = json_object_get(filters, "exited")) && json_object_size(f) && !any_key(f, m_exited, c))
            continue;
        if ((f = json_object_get(filters, "ancestor")) && json_object_size(f) && !any_key(f, m_ancestor, c))
            continue;
        if (!labels_match(json_object_get(json_object_get(c->rec, "Config"), "Labels"), filters))
            continue;
        json_array_append_new(out, list_entry(s, c, size));
        if (limit > 0 && (json_int_t)json_array_size(out) >= limit)
            break;
    }
    free(sorted);
    *ret = out;
    return 0;
}
