/* The image index and its persistence: records/<id>.json per image and one
 * repositories.json for every tag, so a tag moving between images is one
 * atomic write. Callers hold s->lock (write for changes). */
#include "image-store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "events.h"
#include "log.h"
#include "reference.h"
#include "state-store.h"

#define REPOSITORIES "repositories.json"
#define CONFIG_MAX (8u << 20)

static const char *hex_of(const char *digest)
{
    return digest + 7;
}

void image_short_id(const char *id, char *buf)
{
    snprintf(buf, 13, "%s", hex_of(id));
}

void image_free(struct image *img)
{
    if (!img)
        return;
    json_decref(img->config);
    json_decref(img->refs);
    json_decref(img->digests);
    free(img->layers);
    free(img);
}

int image_normalize_ref(const char *name, char *ret_full, size_t cap)
{
    struct reference r;
    int rc = reference_parse(name, &r);
    if (rc < 0)
        return rc;
    reference_default_tag(&r);
    char full[REF_NAME_MAX * 2];
    reference_full_name(&r, full, sizeof(full));
    if (r.digest[0])
        snprintf(ret_full, cap, "%s@%s", full, r.digest);
    else
        snprintf(ret_full, cap, "%s:%s", full, r.tag);
    return 0;
}

void image_familiar_ref(const char *full, char *buf, size_t cap)
{
    struct reference r;
    if (reference_parse(full, &r) < 0) {
        snprintf(buf, cap, "%s", full);
        return;
    }
    reference_familiar_string(&r, buf, cap);
}

/* Unix ns from the config's RFC 3339 "created" (fraction kept: two images
 * made in the same second still order by before/since). */
static int64_t parse_created(json_t *config)
{
    const char *c = json_string_value(json_object_get(config, "created"));
    struct tm tm = {0};
    const char *rest = c ? strptime(c, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return 0;
    int64_t ns = (int64_t)timegm(&tm) * 1000000000LL;
    if (*rest == '.') {
        int64_t scale = 100000000;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
            ns += (*rest - '0') * scale;
    }
    return ns;
}

/* Persist the image's record (not its tags; those live in repositories.json). */
static int save_record(struct image_store *s, const struct image *img)
{
    json_auto_t *layers = json_array();
    for (size_t i = 0; i < img->n_layers; i++)
        json_array_append_new(layers, json_string(img->layers[i]->chain_id));
    json_auto_t *rec = json_pack("{s:s, s:s, s:O, s:I}", "id", img->id, "parent", img->parent, "layers", layers,
                                 "last_tag_time", (json_int_t)img->last_tag_time);
    _cleanup_free_ char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    if (!text)
        return err_set(-ENOMEM, "image %s: out of memory", img->id);
    char name[80];
    snprintf(name, sizeof(name), "%s.json", hex_of(img->id));
    return state_write(s->records_fd, name, text, strlen(text));
}

int image_save_repositories(struct image_store *s)
{
    json_auto_t *refs = json_object();
    json_auto_t *digests = json_object();
    for (size_t i = 0; i < s->n; i++) {
        size_t k;
        json_t *r;
        json_array_foreach(s->v[i]->refs, k, r)
            json_object_set_new(refs, json_string_value(r), json_string(s->v[i]->id));
        json_array_foreach(s->v[i]->digests, k, r)
            json_object_set_new(digests, json_string_value(r), json_string(s->v[i]->id));
    }
    json_auto_t *root = json_pack("{s:O, s:O}", "refs", refs, "digests", digests);
    _cleanup_free_ char *text = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!text)
        return err_set(-ENOMEM, "image store: out of memory saving tags");
    return state_write(s->root_fd, REPOSITORIES, text, strlen(text));
}

static struct image *find_id(struct image_store *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i]->id, id) == 0)
            return s->v[i];
    return NULL;
}

static int load_config(struct image_store *s, const char *id, json_t **ret)
{
    _cleanup_free_ char *text = NULL;
    int r = content_read(&s->content, id, CONFIG_MAX, &text, NULL);
    if (r < 0)
        return r;
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return err_set(-EBADMSG, "image %s: config is not a JSON object", id);
    }
    *ret = j;
    return 0;
}

static int append_image(struct image_store *s, struct image *img)
{
    struct image **v = realloc(s->v, (s->n + 1) * sizeof(*v));
    if (!v)
        return err_set(-ENOMEM, "image store: out of memory");
    s->v = v;
    s->v[s->n++] = img;
    for (size_t i = 0; i < img->n_layers; i++)
        img->layers[i]->refs++;
    return 0;
}

/* Load one records/<hex>.json into the index. */
static int load_image(struct image_store *s, const char *file)
{
    _cleanup_free_ char *text = NULL;
    int r = state_read(s->records_fd, file, &text, NULL);
    if (r < 0)
        return r;
    json_auto_t *rec = json_loads(text, 0, NULL);
    const char *id = NULL, *parent = "";
    json_t *layers = NULL;
    json_int_t ltt = 0;
    if (!rec ||
        json_unpack(rec, "{s:s, s?s, s:o, s?I}", "id", &id, "parent", &parent, "layers", &layers, "last_tag_time",
                    &ltt) < 0 ||
        !digest_valid(id) || !json_is_array(layers))
        return err_set(-EBADMSG, "image record %s is damaged", file);
    struct image *img = calloc(1, sizeof(*img));
    if (!img)
        return err_set(-ENOMEM, "out of memory");
    snprintf(img->id, sizeof(img->id), "%s", id);
    snprintf(img->parent, sizeof(img->parent), "%s", parent);
    img->last_tag_time = ltt;
    img->refs = json_array();
    img->digests = json_array();
    img->n_layers = json_array_size(layers);
    img->layers = calloc(img->n_layers ? img->n_layers : 1, sizeof(*img->layers));
    r = img->layers ? load_config(s, id, &img->config) : err_set(-ENOMEM, "out of memory");
    for (size_t i = 0; r >= 0 && i < img->n_layers; i++) {
        const char *chain = json_string_value(json_array_get(layers, i));
        img->layers[i] = chain ? layer_find(&s->layers, chain) : NULL;
        if (!img->layers[i])
            r = err_set(-ENOENT, "image %s: layer %s is missing", id, chain ? chain : "?");
        else
            img->size += img->layers[i]->size;
    }
    if (r >= 0) {
        img->created = parse_created(img->config);
        r = append_image(s, img);
    }
    if (r < 0)
        image_free(img);
    return r;
}

static void load_repositories(struct image_store *s)
{
    _cleanup_free_ char *text = NULL;
    if (state_read(s->root_fd, REPOSITORIES, &text, NULL) < 0)
        return;
    json_auto_t *root = json_loads(text, 0, NULL);
    const char *keys[2] = {"refs", "digests"};
    for (int k = 0; k < 2; k++) {
        const char *ref;
        json_t *id;
        json_object_foreach(json_object_get(root, keys[k]), ref, id)
        {
            struct image *img = json_is_string(id) ? find_id(s, json_string_value(id)) : NULL;
            if (img)
                json_array_append_new(k == 0 ? img->refs : img->digests, json_string(ref));
        }
    }
}

/* Remove layers no image uses; report each as {"Deleted": chain}. */
void image_gc_layers(struct image_store *s, json_t *report, uint64_t *reclaimed)
{
    bool again = true;
    while (again) {
        again = false;
        for (size_t i = 0; i < s->layers.n; i++) {
            struct layer *l = s->layers.v[i];
            if (l->refs > 0)
                continue;
            char blob[DIGEST_LEN], chain[DIGEST_LEN];
            snprintf(blob, sizeof(blob), "%s", l->blob);
            snprintf(chain, sizeof(chain), "%s", l->chain_id);
            uint64_t size = l->size;
            if (layer_remove(&s->layers, l) < 0)
                log_warn("%s", err_get());
            bool blob_used = false;
            for (size_t j = 0; j < s->layers.n; j++)
                blob_used |= strcmp(s->layers.v[j]->blob, blob) == 0;
            if (blob[0] && !blob_used)
                content_delete(&s->content, blob);
            if (report)
                json_array_append_new(report, json_pack("{s:s}", "Deleted", chain));
            if (reclaimed)
                *reclaimed += size;
            again = true;
            break;
        }
    }
}

int image_store_open(const char *data_root, struct image_store **ret)
{
    struct image_store *s = calloc(1, sizeof(*s));
    if (!s)
        return err_set(-ENOMEM, "image store: out of memory");
    s->root_fd = s->records_fd = s->content.blobs_fd = s->content.tmp_fd = -1;
    s->layers.root_fd = s->layers.tmp_fd = -1;
    pthread_rwlock_init(&s->lock, NULL);
    s->policy = (struct layer_policy){
        .allow_devices = false, .allow_setuid = true, .max_file_size = 4ULL << 30, .max_total_size = 64ULL << 30};
    int r = 0;
    if (asprintf(&s->root, "%s/images", data_root) < 0)
        r = err_set(-ENOMEM, "image store: out of memory");
    if (r >= 0 && mkdir(s->root, 0700) < 0 && errno != EEXIST)
        r = err_set(-errno, "image store %s: %s", s->root, strerror(errno));
    if (r >= 0 && (s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        r = err_set(-errno, "image store %s: %s", s->root, strerror(errno));
    if (r >= 0 && mkdirat(s->root_fd, "records", 0700) < 0 && errno != EEXIST)
        r = err_set(-errno, "image store %s: %s", s->root, strerror(errno));
    if (r >= 0 && (s->records_fd = openat(s->root_fd, "records", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        r = err_set(-errno, "image store %s: %s", s->root, strerror(errno));
    if (r >= 0)
        r = content_store_open(s->root_fd, &s->content);
    if (r >= 0)
        r = layer_store_open(s->root_fd, s->root, &s->layers);
    if (r < 0) {
        image_store_free(s);
        return r;
    }
    state_repair(s->root_fd);
    state_repair(s->records_fd);
    _cleanup_closedir_ DIR *d = fdopendir(openat(s->records_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
            continue;
        if (load_image(s, de->d_name) < 0) {
            log_warn("image store: dropping %s: %s", de->d_name, err_get());
            unlinkat(s->records_fd, de->d_name, 0);
        }
    }
    load_repositories(s);
    image_gc_layers(s, NULL, NULL); /* layers of loads that died before their image was recorded */
    *ret = s;
    return 0;
}

void image_store_wrlock(struct image_store *s)
{
    pthread_rwlock_wrlock(&s->lock);
    __atomic_add_fetch(&s->generation, 1, __ATOMIC_RELAXED);
}

void image_store_free(struct image_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        image_free(s->v[i]);
    free(s->v);
    layer_store_close(&s->layers);
    content_store_close(&s->content);
    if (s->records_fd >= 0)
        close(s->records_fd);
    if (s->root_fd >= 0)
        close(s->root_fd);
    free(s->root);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

static struct image *find_ref(struct image_store *s, const char *full, bool digest)
{
    for (size_t i = 0; i < s->n; i++) {
        size_t k;
        json_t *r;
        json_array_foreach(digest ? s->v[i]->digests : s->v[i]->refs, k,
                           r) if (strcmp(json_string_value(r), full) == 0) return s->v[i];
    }
    return NULL;
}

int image_lookup(struct image_store *s, const char *name, struct image **ret)
{
    if (!name || !*name)
        return err_set(-EINVAL, "no image name given");
    if (reference_is_full_id(name)) {
        char id[DIGEST_LEN];
        snprintf(id, sizeof(id), "sha256:%s", strncmp(name, "sha256:", 7) == 0 ? name + 7 : name);
        struct image *img = find_id(s, id);
        if (img) {
            *ret = img;
            return 0;
        }
        return err_set(-ENOENT, "No such image: %s", name);
    }
    struct reference ref;
    if (reference_parse(name, &ref) == 0) {
        reference_default_tag(&ref);
        char full[REF_NAME_MAX * 2], path[REF_NAME_MAX * 2 + 80];
        reference_full_name(&ref, full, sizeof(full));
        struct image *img = NULL;
        if (ref.digest[0]) {
            snprintf(path, sizeof(path), "%s@%s", full, ref.digest);
            img = find_ref(s, path, true);
        } else {
            snprintf(path, sizeof(path), "%s:%s", full, ref.tag);
            img = find_ref(s, path, false);
        }
        if (img) {
            *ret = img;
            return 0;
        }
        if (!reference_is_id_prefix(name)) {
            char fam[1200];
            reference_familiar_string(&ref, fam, sizeof(fam));
            return err_set(-ENOENT, "No such image: %s", fam);
        }
    }
    if (reference_is_id_prefix(name)) {
        const char *prefix = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
        struct image *hit = NULL;
        for (size_t i = 0; i < s->n; i++)
            if (strncmp(hex_of(s->v[i]->id), prefix, strlen(prefix)) == 0) {
                if (hit && hit != s->v[i])
                    return err_set(-EINVAL,
                                   "ambiguous image ID %s: it matches more than one image; give more characters", name);
                hit = s->v[i];
            }
        if (hit) {
            *ret = hit;
            return 0;
        }
    }
    return err_set(-ENOENT, "No such image: %s", name);
}

/* Take full ref away from whichever image holds it. */
void image_drop_ref(struct image_store *s, const char *full)
{
    for (size_t i = 0; i < s->n; i++) {
        json_t *arr = strchr(full, '@') ? s->v[i]->digests : s->v[i]->refs;
        for (size_t k = 0; k < json_array_size(arr); k++)
            if (strcmp(json_string_value(json_array_get(arr, k)), full) == 0) {
                json_array_remove(arr, k);
                return;
            }
    }
}

static void set_ref(struct image_store *s, struct image *img, const char *full, bool by_tag)
{
    image_drop_ref(s, full);
    json_array_append_new(strchr(full, '@') ? img->digests : img->refs, json_string(full));
    if (by_tag) /* dockerd's LastTagTime: docker tag only, not load */
        img->last_tag_time = now_nano();
}

int image_store_add(struct image_store *s, const char *config, size_t config_len, struct image_layer_in *layers,
                    size_t n_layers, json_t *refs, const char *parent, char *ret_id)
{
    json_error_t jerr;
    json_auto_t *cfg = json_loadb(config, config_len, 0, &jerr);
    if (!cfg || !json_is_object(cfg))
        return err_set(-EINVAL, "image config is not valid JSON: %s", jerr.text);
    char id[DIGEST_LEN];
    int r = content_put(&s->content, config, config_len, id);
    if (r < 0)
        return r;

    struct image *existing = find_id(s, id);
    struct image *img = existing;
    bool fresh = !existing;
    if (fresh) {
        img = calloc(1, sizeof(*img));
        if (!img || !(img->layers = calloc(n_layers ? n_layers : 1, sizeof(*img->layers)))) {
            free(img);
            return err_set(-ENOMEM, "image %s: out of memory", id);
        }
        snprintf(img->id, sizeof(img->id), "%s", id);
        snprintf(img->parent, sizeof(img->parent), "%s", parent ? parent : "");
        img->config = json_incref(cfg);
        img->refs = json_array();
        img->digests = json_array();
        img->created = parse_created(cfg);
        char chain[DIGEST_LEN] = "";
        for (size_t i = 0; i < n_layers && r >= 0; i++) {
            char next[DIGEST_LEN];
            r = chain_id_next(chain, layers[i].diff_id, next);
            struct layer *l = r >= 0 ? layer_find(&s->layers, next) : NULL;
            if (r >= 0 && !l && layers[i].stage) {
                struct layer meta = {.size = layers[i].size};
                snprintf(meta.chain_id, sizeof(meta.chain_id), "%s", next);
                snprintf(meta.diff_id, sizeof(meta.diff_id), "%s", layers[i].diff_id);
                snprintf(meta.parent, sizeof(meta.parent), "%s", chain);
                snprintf(meta.blob, sizeof(meta.blob), "%s", layers[i].blob);
                r = layer_commit(&s->layers, layers[i].stage, &meta, &l);
                free(layers[i].stage);
                layers[i].stage = NULL;
            } else if (r >= 0 && l && layers[i].stage) {
                layer_stage_discard(&s->layers, layers[i].stage);
                free(layers[i].stage);
                layers[i].stage = NULL;
            }
            if (r >= 0 && !l)
                r = err_set(-ENOENT, "image %s: layer %zu (%s) was not provided", id, i + 1, layers[i].diff_id);
            if (r >= 0) {
                img->layers[img->n_layers++] = l;
                img->size += l->size;
                snprintf(chain, sizeof(chain), "%s", next);
            }
        }
        if (r >= 0)
            r = append_image(s, img);
        if (r < 0) {
            image_free(img);
            image_gc_layers(s, NULL, NULL);
            return r;
        }
    } else {
        for (size_t i = 0; i < n_layers; i++)
            if (layers[i].stage) {
                layer_stage_discard(&s->layers, layers[i].stage);
                free(layers[i].stage);
                layers[i].stage = NULL;
            }
    }
    size_t k;
    json_t *ref;
    json_array_foreach(refs, k, ref) set_ref(s, img, json_string_value(ref), false);
    r = save_record(s, img);
    if (r >= 0)
        r = image_save_repositories(s);
    if (r < 0)
        return r;
    memcpy(ret_id, id, DIGEST_LEN);
    return 0;
}

char *image_lowerdir(struct image_store *s, const struct image *img, size_t skip_top)
{
    char *lower = NULL;
    for (size_t i = img->n_layers > skip_top ? img->n_layers - skip_top : 0; i-- > 0;) {
        char *p = NULL, *joined = NULL;
        layer_diff_path(&s->layers, img->layers[i], &p);
        if (p && asprintf(&joined, "%s%s%s", lower ? lower : "", lower ? ":" : "", p) >= 0) {
            free(lower);
            lower = joined;
        }
        free(p);
    }
    return lower;
}

int image_tag(struct image_store *s, const char *source, const char *target)
{
    struct image *img;
    int r = image_lookup(s, source, &img);
    if (r < 0)
        return r;
    char full[REF_NAME_MAX * 2 + 80];
    r = image_normalize_ref(target, full, sizeof(full));
    if (r < 0)
        return r;
    if (strchr(full, '@'))
        return err_set(-EINVAL, "refusing to create a tag with a digest reference");
    set_ref(s, img, full, true);
    r = save_record(s, img);
    return r < 0 ? r : image_save_repositories(s);
}
