/* GET|HEAD /_ping, GET /version and GET /info: the engine's facts reshaped
 * into dockerd 20.10's bodies, key for key and in its order. Must never
 * invent a capability: what pouch cannot tell is false or empty. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "moby-api.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

int handle_ping(struct request *req)
{
    static char ok[] = "OK";
    bool head = strcmp(req->method, "HEAD") == 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(head ? 0 : 2, ok, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return -ENOMEM;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
    MHD_add_response_header(resp, "Pragma", "no-cache");
    /* dockerd 20.10 sends no Swarm header; newer CLIs read it to hide swarm
     * commands, and pouch never runs swarm. */
    MHD_add_response_header(resp, "Swarm", "inactive");
    return http_queue(req, MHD_HTTP_OK, resp);
}

/* Call an engine method returning JSON text and parse it. */
static int engine_json(struct request *req, int32_t (*fn)(const pouch_host *, char **), json_t **ret)
{
    const pouch_host *h = req->srv->host;
    char *text = NULL;
    int r = fn(h, &text);
    if (r < 0)
        return r;
    json_error_t jerr;
    json_t *v = json_loads(text ? text : "", 0, &jerr);
    h->free(text);
    if (!json_is_object(v)) {
        json_decref(v);
        return h->error(h, -EIO, "the engine answered with malformed JSON (%s); this is a pouch bug", jerr.text);
    }
    *ret = v;
    return 0;
}

static const char *str(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

/* Go's GOARCH for a uname machine, which is what dockerd's /version says. */
static const char *goarch(const char *machine)
{
    static const struct {
        const char *uname, *go;
    } map[] = {{"x86_64", "amd64"},    {"aarch64", "arm64"}, {"i386", "386"},
               {"i686", "386"},        {"armv7l", "arm"},    {"armv6l", "arm"},
               {"ppc64le", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"}};
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (strcmp(map[i].uname, machine) == 0)
            return map[i].go;
    return machine;
}

/* Component details are map[string]string in the Go client: any other
 * type would make `docker version` fail to decode the answer. */
static json_t *string_details(const json_t *details)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)details, k, v)
    {
        if (json_is_string(v)) {
            json_object_set(out, k, v);
        } else {
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            json_object_set_new(out, k, json_string(t ? t : ""));
            free(t);
        }
    }
    return out;
}

int handle_version(struct request *req)
{
    _cleanup_json_ json_t *e = NULL;
    int r = engine_json(req, req->srv->host->engine->version, &e);
    if (r < 0)
        return http_send_errno(req, r);
    const char *version = str(e, "Version", ""), *commit = str(e, "GitCommit", "");
    const char *build = str(e, "BuildTime", ""), *kernel = str(e, "KernelVersion", "");
    const char *os = str(e, "Os", "linux"), *arch = goarch(str(e, "Arch", ""));
    /* There is no Go toolchain; the CLI prints this as "Go version", and the
     * compiler that built pouch is the honest equivalent. */
    const char *compiler = str(e, "Compiler", str(e, "GoVersion", "n/a"));

    _cleanup_json_ json_t *components = json_array();
    json_array_append_new(components, json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "Name",
                                                "Engine", "Version", version, "Details", "ApiVersion",
                                                MOBY_API_VERSION_MAX, "Arch", arch, "BuildTime", build, "Experimental",
                                                "false", "GitCommit", commit, "GoVersion", compiler, "KernelVersion",
                                                kernel, "MinAPIVersion", MOBY_API_VERSION_MIN, "Os", os));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(e, "Components"), i, c)
    {
        json_array_append_new(components,
                              json_pack("{s:s, s:s, s:o}", "Name", str(c, "Name", ""), "Version", str(c, "Version", ""),
                                        "Details", string_details(json_object_get(c, "Details"))));
    }
    _cleanup_json_ json_t *out =
        json_pack("{s:{s:s}, s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Platform", "Name", "pouch",
                  "Components", components, "Version", version, "ApiVersion", MOBY_API_VERSION_MAX, "MinAPIVersion",
                  MOBY_API_VERSION_MIN, "GitCommit", commit, "GoVersion", compiler, "Os", os, "Arch", arch,
                  "KernelVersion", kernel, "BuildTime", build);
    if (!out)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "version: the engine's facts are not valid UTF-8");
    return http_send_json(req, MHD_HTTP_OK, out);
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static bool sysctl_is_one(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    int v = 0;
    return f && fscanf(f, "%d", &v) == 1 && v == 1;
}

static bool v2_controller(const char *name)
{
    _cleanup_fclose_ FILE *f = fopen("/sys/fs/cgroup/cgroup.controllers", "re");
    char word[64];
    while (f && fscanf(f, "%63s", word) == 1)
        if (strcmp(word, name) == 0)
            return true;
    return false;
}

/* The host's cgroup features, checked the way dockerd's sysinfo does: by
 * the control files a container would need. */
static void add_cgroup_caps(json_t *o, bool v2)
{
    struct {
        const char *key, *v1_file, *v2_ctrl;
    } caps[] = {
        {"MemoryLimit", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "memory"},
        {"SwapLimit", "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", "memory"},
        {"KernelMemory", "/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes", NULL},
        {"KernelMemoryTCP", "/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes", NULL},
        {"CpuCfsPeriod", "/sys/fs/cgroup/cpu/cpu.cfs_period_us", "cpu"},
        {"CpuCfsQuota", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "cpu"},
        {"CPUShares", "/sys/fs/cgroup/cpu/cpu.shares", "cpu"},
        {"CPUSet", "/sys/fs/cgroup/cpuset/cpuset.cpus", "cpuset"},
        {"PidsLimit", "/sys/fs/cgroup/pids/cgroup.procs", "pids"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
        bool on = v2 ? caps[i].v2_ctrl && v2_controller(caps[i].v2_ctrl) : file_exists(caps[i].v1_file);
        json_object_set_new(o, caps[i].key, json_boolean(on));
    }
    if (v2) /* swap accounting on v2 shows as memory.swap.max below the root */
        json_object_set_new(
            o, "SwapLimit",
            json_boolean(v2_controller("memory") && file_exists("/sys/fs/cgroup/init.scope/memory.swap.max")));
}

static const char *backing_fs(const char *path)
{
    static const struct {
        long magic;
        const char *name;
    } fs[] = {{0xEF53, "extfs"},     {0x58465342, "xfs"},       {0x9123683E, "btrfs"},
              {0x01021994, "tmpfs"}, {0x794c7630, "overlayfs"}, {0x2fc12fc1, "zfs"}};
    struct statfs s;
    if (!path || statfs(path, &s) < 0)
        return "<unknown>";
    for (size_t i = 0; i < ARRAY_SIZE(fs); i++)
        if ((long)s.f_type == fs[i].magic)
            return fs[i].name;
    return "<unknown>";
}

/* Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped. */
static void rfc3339nano_now(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char frac[16];
    snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
    size_t n = strlen(frac);
    while (n > 1 && frac[n - 1] == '0')
        frac[--n] = '\0';
    if (n == 1)
        frac[0] = '\0';
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s%sZ", date, frac);
}

static json_t *plugin_names(const json_t *plugins, const char *kind)
{
    json_t *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach((json_t *)plugins, i, p)
    {
        if (strcmp(str(p, "Kind", ""), kind) != 0)
            continue;
        /* docker info lists log drivers by driver name: log-json-file is "json-file" */
        const char *name = str(p, "Name", "");
        if (strcmp(kind, "log") == 0 && strncmp(name, "log-", 4) == 0)
            name += 4;
        json_array_append_new(out, json_string(name));
    }
    return out;
}

static json_t *registry_config(void)
{
    return json_pack("{s:[], s:[], s:[s], s:{s:{s:s, s:[], s:b, s:b}}, s:[]}", "AllowNondistributableArtifactsCIDRs",
                     "AllowNondistributableArtifactsHostnames", "InsecureRegistryCIDRs", "127.0.0.0/8", "IndexConfigs",
                     "docker.io", "Name", "docker.io", "Mirrors", "Secure", 1, "Official", 1, "Mirrors");
}

static const char *env2(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (!v)
        v = getenv(b);
    return v ? v : "";
}

static json_t *warnings(struct server *srv, const json_t *engine_warnings)
{
    json_t *w = json_array();
    size_t i;
    json_t *v;
    json_array_foreach((json_t *)engine_warnings, i, v) json_array_append(w, v);
    for (size_t k = 0; k < srv->n_listeners; k++) {
        const struct listener *l = &srv->listeners[k];
        if (l->spec.kind != LISTEN_TCP || l->tls)
            continue;
        char *msg = NULL;
        if (asprintf(&msg,
                     "WARNING: API is accessible on http://%s:%s without encryption.\n"
                     "         Access to the remote API is equivalent to root access on the host. Refer\n"
                     "         to the 'Docker daemon attack surface' section in the documentation for\n"
                     "         more information: https://docs.docker.com/go/attack-surface/",
                     l->spec.host[0] ? l->spec.host : "0.0.0.0", l->spec.port) >= 0)
            json_array_append_new(w, json_string(msg));
        free(msg);
    }
    if (json_array_size(w) == 0) {
        json_decref(w);
        return json_null(); /* dockerd's nil slice */
    }
    return w;
}

static json_t *build_info(struct server *srv, const json_t *e)
{
    const json_t *plugins = json_object_get(e, "Plugins");
    const json_t *ctr = json_object_get(e, "Containers");
    bool v2 = strcmp(str(e, "CgroupVersion", "1"), "2") == 0;
    _cleanup_json_ json_t *runtimes = json_object();
    _cleanup_json_ json_t *runtime_list = plugin_names(plugins, "runtime");
    size_t i;
    json_t *rt;
    json_array_foreach(runtime_list, i, rt)
    {
        json_object_set_new(runtimes, json_string_value(rt), json_pack("{s:s}", "path", "pouch-shim"));
    }
    const char *default_runtime =
        json_array_size(runtime_list) ? json_string_value(json_array_get(runtime_list, 0)) : "";
    char now[64];
    rfc3339nano_now(now, sizeof(now));
    const char *data_root = str(e, "DataRoot", "");

    json_t *o = json_object();
    json_object_set_new(o, "ID", json_string(str(e, "ID", "")));
    json_object_set_new(o, "Containers", json_integer(json_integer_value(json_object_get(ctr, "Total"))));
    json_object_set_new(o, "ContainersRunning", json_integer(json_integer_value(json_object_get(ctr, "Running"))));
    json_object_set_new(o, "ContainersPaused", json_integer(json_integer_value(json_object_get(ctr, "Paused"))));
    json_object_set_new(o, "ContainersStopped", json_integer(json_integer_value(json_object_get(ctr, "Stopped"))));
    json_object_set_new(o, "Images", json_integer(json_integer_value(json_object_get(e, "Images"))));
    json_object_set_new(o, "Driver", json_string("overlay2"));
    json_object_set_new(o, "DriverStatus", json_pack("[[s,s]]", "Backing Filesystem", backing_fs(data_root)));
    json_object_set_new(o, "Plugins",
                        json_pack("{s:o, s:o, s:n, s:o}", "Volume", plugin_names(plugins, "volume"), "Network",
                                  plugin_names(plugins, "network"), "Authorization", "Log",
                                  plugin_names(plugins, "log")));
    add_cgroup_caps(o, v2);
    json_object_set_new(o, "IPv4Forwarding", json_boolean(sysctl_is_one("/proc/sys/net/ipv4/ip_forward")));
    json_object_set_new(o, "BridgeNfIptables",
                        json_boolean(sysctl_is_one("/proc/sys/net/bridge/bridge-nf-call-iptables")));
    json_object_set_new(o, "BridgeNfIp6tables",
                        json_boolean(sysctl_is_one("/proc/sys/net/bridge/bridge-nf-call-ip6tables")));
    json_object_set_new(o, "Debug", json_boolean(json_is_true(json_object_get(e, "Debug"))));
    json_object_set_new(o, "NFd", json_integer(json_integer_value(json_object_get(e, "NFd"))));
    json_object_set_new(o, "OomKillDisable",
                        json_boolean(!v2 && file_exists("/sys/fs/cgroup/memory/memory.oom_control")));
    json_object_set_new(o, "NGoroutines", json_integer(json_integer_value(json_object_get(e, "NThreads"))));
    json_object_set_new(o, "SystemTime", json_string(str(e, "SystemTime", now)));
    json_object_set_new(o, "LoggingDriver", json_string("json-file"));
    json_object_set_new(o, "CgroupDriver", json_string(str(e, "CgroupDriver", "cgroupfs")));
    json_object_set_new(o, "CgroupVersion", json_string(v2 ? "2" : "1"));
    json_object_set_new(o, "NEventsListener", json_integer(json_integer_value(json_object_get(e, "NEventsListener"))));
    json_object_set_new(o, "KernelVersion", json_string(str(e, "KernelVersion", "")));
    json_object_set_new(o, "OperatingSystem", json_string(str(e, "OperatingSystem", "")));
    json_object_set_new(o, "OSVersion", json_string(str(e, "OSVersion", "")));
    json_object_set_new(o, "OSType", json_string("linux"));
    json_object_set_new(o, "Architecture", json_string(str(e, "Architecture", "")));
    json_object_set_new(o, "IndexServerAddress", json_string("https://index.docker.io/v1/"));
    json_object_set_new(o, "RegistryConfig", registry_config());
    json_object_set_new(o, "NCPU", json_integer(json_integer_value(json_object_get(e, "NCPU"))));
    json_object_set_new(o, "MemTotal", json_integer(json_integer_value(json_object_get(e, "MemTotal"))));
    json_object_set_new(o, "GenericResources", json_null());
    json_object_set_new(o, "DockerRootDir", json_string(data_root));
    json_object_set_new(o, "HttpProxy", json_string(env2("HTTP_PROXY", "http_proxy")));
    json_object_set_new(o, "HttpsProxy", json_string(env2("HTTPS_PROXY", "https_proxy")));
    json_object_set_new(o, "NoProxy", json_string(env2("NO_PROXY", "no_proxy")));
    json_object_set_new(o, "Name", json_string(str(e, "Name", "")));
    json_t *labels = json_object_get(e, "Labels");
    json_object_set_new(o, "Labels", json_is_array(labels) ? json_incref(labels) : json_array());
    json_object_set_new(o, "ExperimentalBuild", json_false());
    json_object_set_new(o, "ServerVersion", json_string(str(e, "ServerVersion", MOBY_API_PLUGIN_VERSION)));
    json_object_set_new(o, "Runtimes", json_incref(runtimes));
    json_object_set_new(o, "DefaultRuntime", json_string(default_runtime));
    json_object_set_new(o, "Swarm",
                        json_pack("{s:s, s:s, s:s, s:b, s:s, s:n}", "NodeID", "", "NodeAddr", "", "LocalNodeState",
                                  "inactive", "ControlAvailable", 0, "Error", "", "RemoteManagers"));
    /* Containers outlive pouchd by design (DESIGN.md: live restore). */
    json_object_set_new(o, "LiveRestoreEnabled", json_true());
    json_object_set_new(o, "Isolation", json_string(""));
    json_object_set_new(o, "InitBinary", json_string(""));
    json_object_set_new(o, "ContainerdCommit", json_pack("{s:s, s:s}", "ID", "", "Expected", ""));
    json_object_set_new(o, "RuncCommit", json_pack("{s:s, s:s}", "ID", "", "Expected", ""));
    json_object_set_new(o, "InitCommit", json_pack("{s:s, s:s}", "ID", "", "Expected", ""));
    json_t *secopts = json_array();
    if (json_array_size(runtime_list))
        json_array_append_new(secopts, json_string("name=seccomp,profile=default"));
    if (json_is_true(json_object_get(e, "UsernsRemap")))
        json_array_append_new(secopts, json_string("name=userns"));
    if (v2)
        json_array_append_new(secopts, json_string("name=cgroupns"));
    json_object_set_new(o, "SecurityOptions", secopts);
    json_object_set_new(o, "Warnings", warnings(srv, json_object_get(e, "Warnings")));
    return o;
}

int handle_info(struct request *req)
{
    _cleanup_json_ json_t *e = NULL;
    int r = engine_json(req, req->srv->host->engine->info, &e);
    if (r < 0)
        return http_send_errno(req, r);
    _cleanup_json_ json_t *out = build_info(req->srv, e);
    if (!out)
        return -ENOMEM;
    return http_send_json(req, MHD_HTTP_OK, out);
}
