/* Loads image archives. The outer archive is unpacked with the same hostile-
 * input rules as a layer into a private staging directory; every path it
 * names is then opened beneath that directory only. Layers are unpacked and
 * verified against the config's diff_ids before the store sees them. */
#include "archive-load.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "layer-unpack.h"
#include "log.h"
#include "reference.h"
#include "sha256.h"

#define MANIFEST_MAX (16u << 20)

int open_beneath(int dirfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    if (fd >= 0 || errno != ENOSYS)
        return fd < 0 ? -errno : fd;
    /* Old kernels: refuse anything but plain relative paths without "..". */
    if (path[0] == '/' || strstr(path, ".."))
        return -EPERM;
    fd = openat(dirfd, path, flags | O_CLOEXEC | O_NOFOLLOW);
    return fd < 0 ? -errno : fd;
}

static int read_json_beneath(int dirfd, const char *path, json_t **ret)
{
    _cleanup_close_ int fd = open_beneath(dirfd, path, O_RDONLY);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)MANIFEST_MAX)
        return -EINVAL;
    json_error_t jerr;
    json_t *j = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return -EBADMSG;
    *ret = j;
    return 0;
}

static int read_bytes_beneath(int dirfd, const char *path, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = open_beneath(dirfd, path, O_RDONLY);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)MANIFEST_MAX)
        return -EINVAL;
    _cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
    if (n != st.st_size)
        return -EIO;
    buf[n] = '\0';
    *ret = TAKE_PTR(buf);
    *ret_len = (size_t)n;
    return 0;
}

/* One image to load: where its config and layers are inside the archive. */
struct pending {
    char *config; /* config bytes */
    size_t config_len;
    json_t *layer_paths;  /* array of paths in the staging dir */
    json_t *expect_blobs; /* array of expected blob digests (OCI) or null entries */
    json_t *refs;         /* full refs to tag */
    char label[256];      /* for messages */
};

static void pending_done(struct pending *p)
{
    free(p->config);
    json_decref(p->layer_paths);
    json_decref(p->expect_blobs);
    json_decref(p->refs);
}

static int add_ref(json_t *refs, const char *name, const char *label)
{
    char full[1200];
    if (image_normalize_ref(name, full, sizeof(full)) < 0)
        return err_set(-EINVAL, "%s: tag \"%s\" is not a valid reference: %s", label, name, err_get());
    json_array_append_new(refs, json_string(full));
    return 0;
}

/* docker save's manifest.json (both legacy and Docker 25+). */
static int plan_docker(int stage_fd, json_t *manifest, struct pending **ret, size_t *ret_n)
{
    if (!json_is_array(manifest) || json_array_size(manifest) == 0)
        return err_set(-EINVAL,
                       "archive: manifest.json is not a non-empty list; the archive is not a docker save archive");
    size_t n = json_array_size(manifest);
    struct pending *v = calloc(n, sizeof(*v));
    if (!v)
        return err_set(-ENOMEM, "archive: out of memory");
    int r = 0;
    for (size_t i = 0; i < n && r >= 0; i++) {
        json_t *e = json_array_get(manifest, i);
        const char *config = json_string_value(json_object_get(e, "Config"));
        json_t *layers = json_object_get(e, "Layers");
        snprintf(v[i].label, sizeof(v[i].label), "archive image %zu of %zu", i + 1, n);
        if (!config || !json_is_array(layers)) {
            r = err_set(-EINVAL, "%s: manifest.json entry lacks Config or Layers", v[i].label);
            break;
        }
        int q = read_bytes_beneath(stage_fd, config, &v[i].config, &v[i].config_len);
        if (q < 0) {
            r = err_set(q, "%s: config %s is missing from the archive or unreadable (%s); re-export it", v[i].label,
                        config, strerror(-q));
            break;
        }
        v[i].layer_paths = json_incref(layers);
        v[i].expect_blobs = json_array();
        v[i].refs = json_array();
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(e, "RepoTags"), k, t)
        {
            if (!json_is_string(t) || (r = add_ref(v[i].refs, json_string_value(t), v[i].label)) < 0) {
                if (r >= 0)
                    r = err_set(-EINVAL, "%s: RepoTags holds a non-string", v[i].label);
                break;
            }
        }
        json_array_foreach(layers, k, t)
        {
            if (!json_is_string(t))
                r = err_set(-EINVAL, "%s: Layers holds a non-string", v[i].label);
            json_array_append_new(v[i].expect_blobs, json_null());
        }
    }
    if (r < 0) {
        for (size_t i = 0; i < n; i++)
            pending_done(&v[i]);
        free(v);
        return r;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

static int blob_path(const char *digest, char *buf, size_t cap)
{
    if (!digest_valid(digest))
        return -EINVAL;
    snprintf(buf, cap, "blobs/sha256/%s", digest + 7);
    return 0;
}

/* A plain OCI image layout: index.json -> manifests -> config + layers. */
static int plan_oci(int stage_fd, json_t *index, struct pending **ret, size_t *ret_n)
{
    json_t *manifests = json_object_get(index, "manifests");
    if (!json_is_array(manifests) || json_array_size(manifests) == 0)
        return err_set(-EINVAL, "archive: index.json lists no manifests");
    size_t n = json_array_size(manifests);
    struct pending *v = calloc(n, sizeof(*v));
    if (!v)
        return err_set(-ENOMEM, "archive: out of memory");
    int r = 0;
    for (size_t i = 0; i < n && r >= 0; i++) {
        json_t *d = json_array_get(manifests, i);
        snprintf(v[i].label, sizeof(v[i].label), "OCI image %zu of %zu", i + 1, n);
        char path[128];
        _cleanup_(json_decrefp) json_t *m = NULL;
        if (blob_path(json_string_value(json_object_get(d, "digest")), path, sizeof(path)) < 0 ||
            read_json_beneath(stage_fd, path, &m) < 0) {
            r = err_set(-EINVAL, "%s: manifest blob is missing or not JSON; the layout is incomplete", v[i].label);
            break;
        }
        const char *cfg = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
        json_t *layers = json_object_get(m, "layers");
        if (blob_path(cfg, path, sizeof(path)) < 0 || !json_is_array(layers) ||
            read_bytes_beneath(stage_fd, path, &v[i].config, &v[i].config_len) < 0) {
            r = err_set(-EINVAL, "%s: manifest names no readable config or no layers", v[i].label);
            break;
        }
        char got[SHA256_DIGEST_STRLEN];
        sha256_buffer(v[i].config, v[i].config_len, got);
        if (strcmp(got, cfg) != 0) {
            r = err_set(-EBADMSG, "%s: config digest mismatch (want %s, got %s); the layout is corrupt", v[i].label,
                        cfg, got);
            break;
        }
        v[i].layer_paths = json_array();
        v[i].expect_blobs = json_array();
        v[i].refs = json_array();
        size_t k;
        json_t *l;
        json_array_foreach(layers, k, l)
        {
            const char *dg = json_string_value(json_object_get(l, "digest"));
            if (blob_path(dg, path, sizeof(path)) < 0) {
                r = err_set(-EINVAL, "%s: layer %zu has no valid digest", v[i].label, k + 1);
                break;
            }
            json_array_append_new(v[i].layer_paths, json_string(path));
            json_array_append_new(v[i].expect_blobs, json_string(dg));
        }
        json_t *ann = json_object_get(d, "annotations");
        const char *name = json_string_value(json_object_get(ann, "io.containerd.image.name"));
        const char *tag = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
        if (r >= 0 && name)
            r = add_ref(v[i].refs, name, v[i].label);
        else if (r >= 0 && tag && strchr(tag, '/'))
            r = add_ref(v[i].refs, tag, v[i].label);
    }
    if (r < 0) {
        for (size_t i = 0; i < n; i++)
            pending_done(&v[i]);
        free(v);
        return r;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

static void emit(load_progress_fn progress, void *user, json_t *msg)
{
    if (progress && msg)
        progress(user, msg);
    json_decref(msg);
}

/* Unpack layer i of p unless the store has its chain already. */
static int stage_layer(struct image_store *s, int stage_fd, struct pending *p, size_t i, size_t n, const char *diff_id,
                       const char *chain, struct image_layer_in *out, load_progress_fn progress, void *user)
{
    snprintf(out->diff_id, sizeof(out->diff_id), "%s", diff_id);
    pthread_rwlock_rdlock(&s->lock);
    bool have = layer_find(&s->layers, chain) != NULL;
    pthread_rwlock_unlock(&s->lock);
    if (have)
        return 0;

    const char *path = json_string_value(json_array_get(p->layer_paths, i));
    _cleanup_close_ int fd = open_beneath(stage_fd, path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return err_set(fd < 0 ? fd : -EINVAL, "%s: layer %zu of %zu (%s) is missing from the archive; re-export it",
                       p->label, i + 1, n, path);
    char sid[13];
    snprintf(sid, sizeof(sid), "%s", diff_id + 7);
    emit(progress, user,
         json_pack("{s:s, s:s, s:I, s:I}", "kind", "layer", "id", sid, "current", (json_int_t)0, "total",
                   (json_int_t)st.st_size));

    char label[320];
    snprintf(label, sizeof(label), "%s: layer %zu of %zu", p->label, i + 1, n);
    struct layer_policy policy = s->policy;
    policy.label = label;
    _cleanup_close_ int dir_fd = -1;
    int r = layer_stage_dir(&s->layers, &out->stage, &dir_fd);
    if (r < 0)
        return r;
    struct layer_result res;
    r = layer_unpack(fd, dir_fd, &policy, &res);
    if (r < 0)
        return r;
    const char *want_blob = json_string_value(json_array_get(p->expect_blobs, i));
    if (want_blob && strcmp(want_blob, res.blob_digest) != 0)
        return err_set(-EBADMSG, "%s: blob digest mismatch (want %s, got %s); the archive is corrupt, re-export it",
                       label, want_blob, res.blob_digest);
    if (strcmp(res.diff_id, diff_id) != 0)
        return err_set(-EBADMSG, "%s: digest mismatch (want %s, got %s); the archive is corrupt, re-export it", label,
                       diff_id, res.diff_id);
    r = content_adopt(&s->content, fd, res.blob_digest);
    if (r < 0)
        return r;
    snprintf(out->blob, sizeof(out->blob), "%s", res.blob_digest);
    out->size = res.unpacked_size;
    emit(progress, user,
         json_pack("{s:s, s:s, s:I, s:I}", "kind", "layer", "id", sid, "current", (json_int_t)st.st_size, "total",
                   (json_int_t)st.st_size));
    return 0;
}

static void discard_staged(struct image_store *s, struct image_layer_in *layers, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (layers[i].stage) {
            layer_stage_discard(&s->layers, layers[i].stage);
            free(layers[i].stage);
            layers[i].stage = NULL;
        }
}

static int load_one(struct image_store *s, int stage_fd, struct pending *p, load_progress_fn progress, void *user,
                    json_t *loaded)
{
    json_error_t jerr;
    _cleanup_(json_decrefp) json_t *cfg = json_loadb(p->config, p->config_len, 0, &jerr);
    json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
    if (!json_is_object(cfg) || !json_is_array(diff_ids))
        return err_set(-EINVAL, "%s: config is not an image config (no rootfs.diff_ids)", p->label);
    size_t n = json_array_size(diff_ids);
    if (n != json_array_size(p->layer_paths))
        return err_set(-EINVAL, "%s: config lists %zu layers but the archive has %zu; re-export it", p->label, n,
                       json_array_size(p->layer_paths));
    struct image_layer_in *layers = calloc(n ? n : 1, sizeof(*layers));
    if (!layers)
        return err_set(-ENOMEM, "%s: out of memory", p->label);
    char chain[DIGEST_LEN] = "";
    int r = 0;
    for (size_t i = 0; i < n && r >= 0; i++) {
        const char *diff_id = json_string_value(json_array_get(diff_ids, i));
        char next[DIGEST_LEN];
        if (!digest_valid(diff_id))
            r = err_set(-EINVAL, "%s: diff_id %zu is not a sha256 digest", p->label, i + 1);
        if (r >= 0)
            r = chain_id_next(chain, diff_id, next);
        if (r >= 0)
            r = stage_layer(s, stage_fd, p, i, n, diff_id, next, &layers[i], progress, user);
        if (r >= 0)
            snprintf(chain, sizeof(chain), "%s", next);
    }
    char id[DIGEST_LEN];
    if (r >= 0) {
        image_store_wrlock(s);
        r = image_store_add(s, p->config, p->config_len, layers, n, p->refs, NULL, id);
        pthread_rwlock_unlock(&s->lock);
    }
    discard_staged(s, layers, n);
    free(layers);
    if (r < 0)
        return r;
    json_t *fams = json_array();
    size_t k;
    json_t *ref;
    json_array_foreach(p->refs, k, ref)
    {
        char fam[1200];
        image_familiar_ref(json_string_value(ref), fam, sizeof(fam));
        json_array_append_new(fams, json_string(fam));
        emit(progress, user, json_pack("{s:s, s:s, s:s}", "kind", "loaded", "ref", fam, "id", id));
    }
    if (json_array_size(p->refs) == 0)
        emit(progress, user, json_pack("{s:s, s:s}", "kind", "loaded-id", "id", id));
    json_array_append_new(loaded, json_pack("{s:s, s:o}", "id", id, "refs", fams));
    return 0;
}

static int make_stage(struct image_store *s, char *name, size_t cap)
{
    for (int i = 0; i < 16; i++) {
        unsigned long long rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), 0) < 0)
            rnd = (unsigned long long)getpid() * 31337ULL + (unsigned long long)i;
        snprintf(name, cap, "layer-load-%016llx", rnd);
        if (mkdirat(s->layers.tmp_fd, name, 0700) == 0)
            return 0;
        if (errno != EEXIST)
            return err_set(-errno, "image load: cannot create a staging directory: %s", strerror(errno));
    }
    return err_set(-EEXIST, "image load: no free staging directory name");
}

int archive_load(struct image_store *s, int in_fd, load_progress_fn progress, void *user, json_t **ret_loaded)
{
    char stage[64];
    int r = make_stage(s, stage, sizeof(stage));
    if (r < 0)
        return r;
    _cleanup_close_ int stage_fd = openat(s->layers.tmp_fd, stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (stage_fd < 0) {
        r = err_set(-errno, "image load: staging directory: %s", strerror(errno));
        layer_stage_discard(&s->layers, stage);
        return r;
    }
    struct layer_policy outer;
    layer_policy_init(&outer);
    outer.allow_setuid = false;
    outer.max_file_size = s->policy.max_total_size;
    outer.max_total_size = s->policy.max_total_size;
    outer.label = "image archive";
    struct layer_result res;
    r = layer_unpack(in_fd, stage_fd, &outer, &res);

    struct pending *plan = NULL;
    size_t n = 0;
    if (r >= 0) {
        _cleanup_(json_decrefp) json_t *manifest = NULL;
        _cleanup_(json_decrefp) json_t *index = NULL;
        int q = read_json_beneath(stage_fd, "manifest.json", &manifest);
        if (q >= 0)
            r = plan_docker(stage_fd, manifest, &plan, &n);
        else if (q != -ENOENT)
            r = err_set(q, "image archive: manifest.json is unreadable or not JSON; re-export the archive");
        else if (read_json_beneath(stage_fd, "index.json", &index) >= 0)
            r = plan_oci(stage_fd, index, &plan, &n);
        else
            r = err_set(-EINVAL, "image archive: it has neither manifest.json nor index.json, so it is not a docker "
                                 "save archive or OCI layout (use docker import for a root filesystem tarball)");
    }
    json_t *loaded = json_array();
    for (size_t i = 0; i < n && r >= 0; i++)
        r = load_one(s, stage_fd, &plan[i], progress, user, loaded);
    for (size_t i = 0; i < n; i++)
        pending_done(&plan[i]);
    free(plan);
    layer_stage_discard(&s->layers, stage);
    if (r < 0) {
        json_decref(loaded);
        return r;
    }
    *ret_loaded = loaded;
    return 0;
}
