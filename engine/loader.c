/* Plugin discovery and ABI checks (libltdl). Reads only the fixed head of a
 * descriptor (size, ABI version, name) until the major version is known to
 * match, and copies at most the fields both sides know. */
#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"

/* The fields every major version keeps first: size, abi_major, abi_minor, name. */
#define DESCRIPTOR_HEAD_SIZE (offsetof(pouch_plugin_descriptor, name) + sizeof(const char *))
/* The smallest descriptor an ABI 1.x plugin may have: the 1.0 layout. */
#define DESCRIPTOR_1_0_SIZE (offsetof(pouch_plugin_descriptor, ops) + sizeof(const void *))

static const char *const kind_names[] = {
    [POUCH_KIND_RUNTIME] = "runtime",   [POUCH_KIND_NETWORK] = "network", [POUCH_KIND_VOLUME] = "volume",
    [POUCH_KIND_LOG] = "log",           [POUCH_KIND_HOOK] = "hook",       [POUCH_KIND_MONITOR] = "monitor",
    [POUCH_KIND_FRONTEND] = "frontend",
};

const char *plugin_kind_name(uint32_t kind)
{
    if (kind < ARRAY_SIZE(kind_names) && kind_names[kind])
        return kind_names[kind];
    return "unknown";
}

static bool valid_plugin_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return true;
}

int loader_search_path(json_t *dirs, json_t **ret_path)
{
    json_t *path = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(dirs, i, d) json_array_append(path, d);
    const char *env = getenv("POUCH_PLUGIN_PATH");
    if (env && *env) {
        _cleanup_free_ char *copy = strdup(env);
        char *save = NULL;
        for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
            json_array_append_new(path, json_string(p));
    }
    json_array_append_new(path, json_string(POUCH_PLUGIN_DEFAULT_DIR));
    *ret_path = path;
    return 0;
}

static void plugin_free(struct plugin *p, bool unload)
{
    if (!p)
        return;
    if (unload && p->handle)
        lt_dlclose(p->handle);
    free(p->file);
    free(p->error);
    free(p->config_json);
    free(p->state_dir);
    free(p->run_dir);
    free(p);
}

static char *base_name_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    char *base = strdup(slash ? slash + 1 : file);
    char *dot = base ? strstr(base, ".so") : NULL;
    if (dot)
        *dot = '\0';
    return base;
}

static int fail(struct plugin *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct plugin *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&p->error, fmt, ap) < 0)
        p->error = NULL;
    va_end(ap);
    return -EINVAL;
}

/* Check the descriptor the query function returned and copy it into p. */
static int check_descriptor(struct plugin *p, const pouch_plugin_descriptor *d)
{
    static char fallback_name[] = "?";
    if (!d)
        return fail(p, "plugin file %s: %s() returned no descriptor", p->file, POUCH_PLUGIN_QUERY_SYMBOL);
    if (d->size < DESCRIPTOR_HEAD_SIZE)
        return fail(p, "plugin file %s: descriptor is %u bytes, too small to be a pouch plugin", p->file, d->size);
    if (!valid_plugin_name(d->name)) {
        p->name = fallback_name;
        return fail(p, "plugin file %s: invalid plugin name (want 1-64 of [a-z0-9_-])", p->file);
    }
    p->name = d->name;
    if (d->abi_major != POUCH_ABI_MAJOR)
        return fail(p,
                    "plugin %s (%s) was built for plugin ABI %u.%u but this pouchd implements ABI %d.%d; "
                    "rebuild the plugin against this pouchd's SDK",
                    d->name, p->file, d->abi_major, d->abi_minor, POUCH_ABI_MAJOR, POUCH_ABI_MINOR);
    if (d->size < DESCRIPTOR_1_0_SIZE)
        return fail(p, "plugin %s (%s): descriptor is %u bytes, smaller than ABI 1.0's %zu", d->name, p->file, d->size,
                    (size_t)DESCRIPTOR_1_0_SIZE);
    memset(&p->desc, 0, sizeof(p->desc));
    memcpy(&p->desc, d, d->size < sizeof(p->desc) ? d->size : sizeof(p->desc));
    p->desc.size = sizeof(p->desc);
    p->name = p->desc.name;
    if (p->desc.kind < POUCH_KIND_RUNTIME || p->desc.kind > POUCH_KIND_FRONTEND)
        return fail(p, "plugin %s (%s): unknown kind %u", d->name, p->file, p->desc.kind);
    if (p->desc.ops && *(const uint32_t *)p->desc.ops < sizeof(uint64_t))
        return fail(p, "plugin %s (%s): its ops table has no valid size", d->name, p->file);
    if (d->abi_minor > POUCH_ABI_MINOR)
        log_info("plugin %s (%s) was built for ABI %u.%u, newer than this pouchd's %d.%d: using the shared 1.%d subset",
                 d->name, p->file, d->abi_major, d->abi_minor, POUCH_ABI_MAJOR, POUCH_ABI_MINOR, POUCH_ABI_MINOR);
    return 0;
}

static const struct builtin_plugin *builtins;

void loader_set_builtins(const struct builtin_plugin *table)
{
    builtins = table;
}

static int open_builtin(const struct builtin_plugin *b, struct plugin **ret)
{
    struct plugin *p = calloc(1, sizeof(*p));
    if (!p || asprintf(&p->file, "built-in:%s", b->name) < 0) {
        free(p);
        return -ENOMEM;
    }
    p->name = p->file;
    *ret = p;
    return check_descriptor(p, b->query());
}

static int open_plugin(const char *file, struct plugin **ret)
{
    struct plugin *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->file = strdup(file);
    p->name = p->file;
    *ret = p;

    lt_dladvise advise;
    lt_dladvise_init(&advise);
    lt_dladvise_local(&advise);
    p->handle = lt_dlopenadvise(file, advise);
    lt_dladvise_destroy(&advise);
    if (!p->handle) {
        const char *why = lt_dlerror();
        return fail(p, "plugin file %s: cannot load: %s", file, why ? why : "unknown error");
    }
    pouch_plugin_query_fn query = (pouch_plugin_query_fn)(uintptr_t)lt_dlsym(p->handle, POUCH_PLUGIN_QUERY_SYMBOL);
    if (!query)
        return fail(p, "plugin file %s: no %s symbol, so it is not a pouch plugin (build it against pouch-plugin.pc)",
                    file, POUCH_PLUGIN_QUERY_SYMBOL);
    return check_descriptor(p, query());
}

static int append(struct plugin_set *set, struct plugin *p)
{
    struct plugin **v = realloc(set->v, (set->n + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    set->v = v;
    set->v[set->n++] = p;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(const char *dir, unsigned rank, json_t *seen, struct plugin_set *found)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return 0; /* a missing search directory is normal */
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
            continue;
        char **grown = realloc(names, (n + 1) * sizeof(*names));
        if (!grown)
            break;
        names = grown;
        names[n++] = strdup(de->d_name);
    }
    qsort(names, n, sizeof(*names), cmp_str);
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX], real[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (r >= 0 && realpath(path, real) && !json_object_get(seen, real)) {
            json_object_set_new(seen, real, json_true());
            struct plugin *p = NULL;
            int q = open_plugin(real, &p);
            if (p)
                p->rank = rank;
            if (q == -ENOMEM || append(found, p) < 0) {
                plugin_free(p, true);
                r = err_set(-ENOMEM, "scanning plugins: out of memory");
            }
        }
        free(names[i]);
    }
    free(names);
    return r;
}

int loader_scan(json_t *path, struct plugin_set *ret_found)
{
    if (lt_dlinit() != 0)
        return err_set(-EIO, "plugin loader: libltdl failed to initialise: %s", lt_dlerror());
    json_t *seen = json_object();
    struct plugin_set found = {0};
    size_t i;
    json_t *dir;
    int r = 0;
    for (const struct builtin_plugin *b = builtins; b && b->name && r >= 0; b++) {
        struct plugin *p = NULL;
        int q = open_builtin(b, &p);
        if (q == -ENOMEM || append(&found, p) < 0) {
            plugin_free(p, true);
            r = err_set(-ENOMEM, "scanning plugins: out of memory");
        }
    }
    json_array_foreach(path, i, dir)
    {
        if (r < 0)
            break;
        r = scan_dir(json_string_value(dir), (unsigned)i + 1, seen, &found);
    }
    json_decref(seen);
    if (r < 0) {
        plugin_set_done(&found, true);
        return r;
    }
    *ret_found = found;
    return 0;
}

static void known_names(const struct plugin_set *sets[2], char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sets[s]->n; i++) {
            const struct plugin *p = sets[s]->v[i];
            if (!p || p->error)
                continue;
            if (buf[0])
                strncat(buf, ", ", cap - strlen(buf) - 1);
            strncat(buf, p->name, cap - strlen(buf) - 1);
        }
    if (!buf[0])
        snprintf(buf, cap, "none");
}

/* Pick the one plugin called name out of found, or say why there is none. */
static int pick(struct plugin_set *found, const struct plugin_set *chosen, const char *name, size_t *ret_index)
{
    ssize_t hit = -1, broken = -1;
    for (size_t i = 0; i < found->n; i++) {
        struct plugin *p = found->v[i];
        if (!p)
            continue; /* already chosen */
        _cleanup_free_ char *base = base_name_of(p->file);
        if (!p->error && strcmp(p->name, name) == 0) {
            /* An earlier search directory shadows a later one, as PATH does
             * (a build tree's --plugin-dir over the installed plugins);
             * two in one directory, or a file beside a built-in, is an
             * ambiguity the user must settle. */
            if (hit >= 0 && found->v[hit]->rank > 0 && p->rank > found->v[hit]->rank) {
                log_debug("plugin %s: %s shadows %s", name, found->v[hit]->file, p->file);
                continue;
            }
            if (hit >= 0)
                return err_set(-EEXIST,
                               "plugin %s: two plugins have this name, %s and %s; remove one or narrow "
                               "--plugin-dir/POUCH_PLUGIN_PATH",
                               name, found->v[hit]->file, p->file);
            hit = (ssize_t)i;
        } else if (p->error && broken < 0 && (strcmp(p->name, name) == 0 || (base && strcmp(base, name) == 0))) {
            broken = (ssize_t)i;
        }
    }
    if (hit >= 0) {
        *ret_index = (size_t)hit;
        return 0;
    }
    if (broken >= 0)
        return err_set(-EINVAL, "%s", found->v[broken]->error);
    char known[2048];
    const struct plugin_set *sets[2] = {chosen, found};
    known_names(sets, known, sizeof(known));
    return err_set(-ENOENT, "unknown plugin \"%s\" (known plugins: %s); check --plugins and --plugin-dir", name, known);
}

int loader_choose(struct plugin_set *found, json_t *names, struct plugin_set *ret_chosen)
{
    struct plugin_set chosen = {0};
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        const char *name = json_string_value(n);
        for (size_t j = 0; j < chosen.n; j++)
            if (strcmp(chosen.v[j]->name, name) == 0) {
                plugin_set_done(&chosen, true);
                return err_set(-EINVAL, "plugin %s is listed twice in the plugins to load", name);
            }
        size_t idx;
        int r = pick(found, &chosen, name, &idx);
        if (r >= 0 && append(&chosen, found->v[idx]) < 0)
            r = err_set(-ENOMEM, "choosing plugins: out of memory");
        if (r < 0) {
            plugin_set_done(&chosen, true);
            return r;
        }
        found->v[idx] = NULL;
    }
    *ret_chosen = chosen;
    return 0;
}

void plugin_set_done(struct plugin_set *set, bool unload)
{
    for (size_t i = 0; i < set->n; i++)
        plugin_free(set->v[i], unload);
    free(set->v);
    *set = (struct plugin_set){0};
}
