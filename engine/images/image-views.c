/* Renders images as dockerd 20.10 renders them. Only reads the store; the
 * caller holds its read lock for the duration of one call. */
#include "image-views.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "label-filter.h"
#include "reference.h"

static json_t *familiar_list(json_t *full_refs)
{
    json_t *out = json_array();
    size_t k;
    json_t *r;
    json_array_foreach(full_refs, k, r)
    {
        char fam[1200];
        image_familiar_ref(json_string_value(r), fam, sizeof(fam));
        json_array_append_new(out, json_string(fam));
    }
    return out;
}

static json_t *labels_of(const struct image *img)
{
    json_t *l = json_object_get(json_object_get(img->config, "config"), "Labels");
    return json_is_object(l) ? json_incref(l) : json_null();
}

static bool has_children(struct image_store *s, const struct image *img)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i]->parent, img->id) == 0)
            return true;
    return false;
}

/* dockerd lists an empty set as null, and an image with neither tags nor
 * digests as "<none>:<none>" / "<none>@<none>". */
static bool tag_matches(const char *full, json_t *patterns);

static json_t *list_entry(struct image_store *s, const struct image *img, json_t *ref_patterns)
{
    json_t *tags = familiar_list(img->refs);
    if (ref_patterns) { /* dockerd lists only the tags the reference filter matched */
        for (size_t k = json_array_size(img->refs); k-- > 0;)
            if (!tag_matches(json_string_value(json_array_get(img->refs, k)), ref_patterns))
                json_array_remove(tags, k);
    }
    json_t *digests = familiar_list(img->digests);
    if (json_array_size(tags) == 0 && json_array_size(digests) == 0) {
        json_array_append_new(tags, json_string("<none>:<none>"));
        json_array_append_new(digests, json_string("<none>@<none>"));
    }
    if (json_array_size(tags) == 0) {
        json_decref(tags);
        tags = json_null();
    }
    if (json_array_size(digests) == 0) {
        json_decref(digests);
        digests = json_null();
    }
    return json_pack("{s:i, s:I, s:s, s:o, s:s, s:o, s:o, s:I, s:I, s:I}", "Containers", -1, "Created",
                     (json_int_t)(img->created / 1000000000LL), "Id", img->id, "Labels", labels_of(img), "ParentId",
                     img->parent, "RepoDigests", digests, "RepoTags", tags, "SharedSize", (json_int_t)-1, "Size",
                     (json_int_t)img->size, "VirtualSize", (json_int_t)img->size);
}

/* A filter value set, as keys of an object ({"busybox": true}). */
static json_t *filter(json_t *filters, const char *key)
{
    json_t *f = json_object_get(filters, key);
    return json_is_object(f) && json_object_size(f) ? f : NULL;
}

static bool tag_matches(const char *full, json_t *patterns)
{
    struct reference ref;
    if (reference_parse(full, &ref) < 0)
        return false;
    char name[1200], str[1200];
    reference_familiar_name(&ref, name, sizeof(name));
    reference_familiar_string(&ref, str, sizeof(str));
    const char *pat;
    json_t *unused;
    json_object_foreach(patterns, pat, unused)
    {
        if (fnmatch(pat, name, FNM_PATHNAME) == 0 || fnmatch(pat, str, FNM_PATHNAME) == 0)
            return true;
    }
    return false;
}

static bool ref_matches(const struct image *img, json_t *patterns)
{
    size_t k;
    json_t *r;
    json_array_foreach(img->refs, k, r) if (tag_matches(json_string_value(r), patterns)) return true;
    return false;
}

static const char *valid_filters[] = {"dangling", "label", "before", "since", "reference"};

/* The Created time of the image named by each value of a before/since filter. */
static int filter_time(struct image_store *s, json_t *values, bool before, int64_t *ret)
{
    const char *name;
    json_t *unused;
    json_object_foreach(values, name, unused)
    {
        struct image *img;
        int r = image_lookup(s, name, &img);
        if (r < 0)
            return r;
        if (*ret == 0 || (before ? img->created < *ret : img->created > *ret))
            *ret = img->created;
    }
    return 0;
}

int image_view_list(struct image_store *s, json_t *options, json_t **ret)
{
    json_t *filters = json_object_get(options, "filters");
    bool all = json_is_true(json_object_get(options, "all"));
    const char *key;
    json_t *v;
    json_object_foreach(filters, key, v)
    {
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(valid_filters); i++)
            ok |= strcmp(key, valid_filters[i]) == 0;
        if (!ok)
            return err_set(-EINVAL, "Invalid filter '%s'", key);
    }
    int dangling = -1;
    json_t *d = filter(filters, "dangling");
    if (d) {
        if (json_object_get(d, "true") || json_object_get(d, "1"))
            dangling = 1;
        else if (json_object_get(d, "false") || json_object_get(d, "0"))
            dangling = 0;
        else
            return err_set(-EINVAL, "Invalid filter 'dangling=[%s]'", json_object_iter_key(json_object_iter(d)));
    }
    int64_t before = 0, since = 0;
    json_t *b = filter(filters, "before"), *sn = filter(filters, "since");
    int r = b ? filter_time(s, b, true, &before) : 0;
    if (r >= 0 && sn)
        r = filter_time(s, sn, false, &since);
    if (r < 0)
        return r;
    json_t *ref = filter(filters, "reference");

    json_t *out = json_array();
    for (size_t i = 0; i < s->n; i++) {
        const struct image *img = s->v[i];
        bool untagged = json_array_size(img->refs) == 0 && json_array_size(img->digests) == 0;
        if (!all && untagged && has_children(s, img))
            continue; /* an intermediate image: only -a shows it */
        if (dangling == 1 && !untagged)
            continue;
        if (dangling == 0 && untagged)
            continue;
        if (b && img->created >= before)
            continue;
        if (sn && img->created <= since)
            continue;
        if (ref && !ref_matches(img, ref))
            continue;
        if (!labels_match(json_object_get(json_object_get(img->config, "config"), "Labels"), filters))
            continue;
        json_array_append_new(out, list_entry(s, img, ref));
    }
    *ret = out;
    return 0;
}

static json_t *graph_driver(struct image_store *s, const struct image *img)
{
    json_t *data = json_object();
    if (img->n_layers > 0) {
        char *top = NULL;
        layer_diff_path(&s->layers, img->layers[img->n_layers - 1], &top);
        _cleanup_free_ char *lower = image_lowerdir(s, img, 1);
        if (lower)
            json_object_set_new(data, "LowerDir", json_string(lower));
        if (top) {
            char *base = strdup(top);
            char *slash = base ? strrchr(base, '/') : NULL;
            if (slash)
                *slash = '\0';
            char merged[4200], work[4200];
            snprintf(merged, sizeof(merged), "%s/merged", base ? base : "");
            snprintf(work, sizeof(work), "%s/work", base ? base : "");
            json_object_set_new(data, "MergedDir", json_string(merged));
            json_object_set_new(data, "UpperDir", json_string(top));
            json_object_set_new(data, "WorkDir", json_string(work));
            free(base);
        }
        free(top);
    }
    return json_pack("{s:o, s:s}", "Data", data, "Name", "overlay2");
}

/* A container config in dockerd's full shape and key order, whatever subset
 * the image's JSON had. */
json_t *image_full_container_config(json_t *c)
{
    static const struct {
        const char *key;
        char kind; /* s string, b bool, n null default, o omitted when absent */
    } keys[] = {{"Hostname", 's'},
                {"Domainname", 's'},
                {"User", 's'},
                {"AttachStdin", 'b'},
                {"AttachStdout", 'b'},
                {"AttachStderr", 'b'},
                {"ExposedPorts", 'o'},
                {"Tty", 'b'},
                {"OpenStdin", 'b'},
                {"StdinOnce", 'b'},
                {"Env", 'n'},
                {"Cmd", 'n'},
                {"Healthcheck", 'o'},
                {"ArgsEscaped", 'o'},
                {"Image", 's'},
                {"Volumes", 'n'},
                {"WorkingDir", 's'},
                {"Entrypoint", 'n'},
                {"NetworkDisabled", 'o'},
                {"MacAddress", 'o'},
                {"OnBuild", 'n'},
                {"Labels", 'n'},
                {"StopSignal", 'o'},
                {"StopTimeout", 'o'},
                {"Shell", 'o'}};
    json_t *out = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        json_t *v = json_object_get(c, keys[i].key);
        if (v && !(keys[i].kind == 'o' && json_is_null(v)))
            json_object_set(out, keys[i].key, v);
        else if (keys[i].kind == 's')
            json_object_set_new(out, keys[i].key, json_string(""));
        else if (keys[i].kind == 'b')
            json_object_set_new(out, keys[i].key, json_false());
        else if (keys[i].kind == 'n')
            json_object_set_new(out, keys[i].key, json_null());
    }
    return out;
}

static json_t *str_or_empty(json_t *config, const char *key)
{
    json_t *v = json_object_get(config, key);
    return json_is_string(v) ? json_incref(v) : json_string("");
}

int image_view_inspect(struct image_store *s, const char *name, json_t **ret)
{
    struct image *img;
    int r = image_lookup(s, name, &img);
    if (r < 0)
        return r;
    json_t *c = img->config;
    json_t *diff_ids = json_array();
    for (size_t i = 0; i < img->n_layers; i++)
        json_array_append_new(diff_ids, json_string(img->layers[i]->diff_id));
    char ltt[64] = "0001-01-01T00:00:00Z";
    if (img->last_tag_time > 0) {
        time_t secs = (time_t)(img->last_tag_time / 1000000000LL);
        struct tm tm;
        gmtime_r(&secs, &tm);
        size_t n = strftime(ltt, sizeof(ltt), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(ltt + n, sizeof(ltt) - n, ".%09lldZ", (long long)(img->last_tag_time % 1000000000LL));
    }
    json_t *config = json_object_get(c, "config");
    json_t *cconfig = json_object_get(c, "container_config");
    json_t *out =
        json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "Id", img->id, "RepoTags",
                  familiar_list(img->refs), "RepoDigests", familiar_list(img->digests), "Parent", img->parent,
                  "Comment", str_or_empty(c, "comment"), "Created", str_or_empty(c, "created"), "Container",
                  str_or_empty(c, "container"), "ContainerConfig", image_full_container_config(cconfig),
                  "DockerVersion", str_or_empty(c, "docker_version"), "Author", str_or_empty(c, "author"), "Config",
                  image_full_container_config(config), "Architecture", str_or_empty(c, "architecture"));
    if (!out)
        return err_set(-ENOMEM, "image %s: out of memory", img->id);
    if (json_is_string(json_object_get(c, "variant")))
        json_object_set(out, "Variant", json_object_get(c, "variant"));
    json_object_set_new(out, "Os", str_or_empty(c, "os"));
    if (json_is_string(json_object_get(c, "os.version")))
        json_object_set(out, "OsVersion", json_object_get(c, "os.version"));
    json_object_set_new(out, "Size", json_integer((json_int_t)img->size));
    json_object_set_new(out, "VirtualSize", json_integer((json_int_t)img->size));
    json_object_set_new(out, "GraphDriver", graph_driver(s, img));
    json_object_set_new(out, "RootFS", json_pack("{s:s, s:o}", "Type", "layers", "Layers", diff_ids));
    json_object_set_new(out, "Metadata", json_pack("{s:s}", "LastTagTime", ltt));
    *ret = out;
    return 0;
}

static int64_t rfc3339_seconds(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

int image_view_history(struct image_store *s, const char *name, json_t **ret)
{
    struct image *img;
    int r = image_lookup(s, name, &img);
    if (r < 0)
        return r;
    json_t *hist = json_object_get(img->config, "history");
    json_t *out = json_array();
    size_t layer = 0, n = json_array_size(hist);
    /* Walk oldest first to pair non-empty entries with layers, then reverse. */
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *h = json_array_get(hist, i);
        bool empty = json_is_true(json_object_get(h, "empty_layer"));
        json_int_t size = 0;
        if (!empty && layer < img->n_layers)
            size = (json_int_t)img->layers[layer++]->size;
        json_array_append_new(rows,
                              json_pack("{s:s, s:I, s:o, s:n, s:I, s:o}", "Id", "<missing>", "Created",
                                        (json_int_t)rfc3339_seconds(json_string_value(json_object_get(h, "created"))),
                                        "CreatedBy", str_or_empty(h, "created_by"), "Tags", "Size", size, "Comment",
                                        str_or_empty(h, "comment")));
    }
    if (n == 0) /* images without history still show their layers */
        for (size_t i = 0; i < img->n_layers; i++)
            json_array_append_new(rows, json_pack("{s:s, s:I, s:s, s:n, s:I, s:s}", "Id", "<missing>", "Created",
                                                  (json_int_t)(img->created / 1000000000LL), "CreatedBy", "", "Tags",
                                                  "Size", (json_int_t)img->layers[i]->size, "Comment", ""));
    for (size_t i = json_array_size(rows); i-- > 0;)
        json_array_append(out, json_array_get(rows, i));
    json_decref(rows);
    json_t *top = json_array_get(out, 0);
    if (top) {
        json_object_set_new(top, "Id", json_string(img->id));
        json_t *tags = familiar_list(img->refs);
        json_object_set_new(top, "Tags", json_array_size(tags) ? tags : json_null());
        if (!json_array_size(tags))
            json_decref(tags);
    }
    *ret = out;
    return 0;
}

int image_view_disk_usage(struct image_store *s, json_t **ret)
{
    uint64_t total = 0;
    for (size_t i = 0; i < s->layers.n; i++)
        total += s->layers.v[i]->size;
    json_t *images = json_array();
    for (size_t i = 0; i < s->n; i++) {
        const struct image *img = s->v[i];
        uint64_t shared = 0;
        for (size_t k = 0; k < img->n_layers; k++)
            if (img->layers[k]->refs > 1)
                shared += img->layers[k]->size;
        json_t *e = list_entry(s, img, NULL);
        json_object_set_new(e, "SharedSize", json_integer((json_int_t)shared));
        json_object_set_new(e, "Containers", json_integer(0));
        json_array_append_new(images, e);
    }
    *ret = json_pack("{s:I, s:o}", "LayersSize", (json_int_t)total, "Images", images);
    return 0;
}
