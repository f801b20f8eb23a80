/* Writes `docker save` archives with libarchive. Under the store's read lock
 * it only resolves names and opens blob fds (an open fd keeps a blob alive
 * even if the image is removed meanwhile); all output happens unlocked. */
#include "archive-save.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "reference.h"
#include "sha256.h"

#define BUF_SIZE (1024 * 1024)

struct save_layer {
    char diff_id[DIGEST_LEN];
    int fd;       /* the stored blob, compressed or not */
    int64_t size; /* uncompressed size, known once written */
};

struct save_image {
    char id[DIGEST_LEN];
    char *config;
    size_t config_len;
    json_t *diff_ids; /* array */
    json_t *tags;     /* familiar refs to write */
};

struct save_plan {
    struct save_image *images;
    size_t n_images;
    struct save_layer *layers; /* unique by diff_id */
    size_t n_layers;
};

static void plan_done(struct save_plan *p)
{
    for (size_t i = 0; i < p->n_images; i++) {
        free(p->images[i].config);
        json_decref(p->images[i].diff_ids);
        json_decref(p->images[i].tags);
    }
    for (size_t i = 0; i < p->n_layers; i++)
        if (p->layers[i].fd >= 0)
            close(p->layers[i].fd);
    free(p->images);
    free(p->layers);
}

static struct save_image *plan_image(struct save_plan *p, const char *id)
{
    for (size_t i = 0; i < p->n_images; i++)
        if (strcmp(p->images[i].id, id) == 0)
            return &p->images[i];
    return NULL;
}

static int plan_add_layers(struct image_store *s, struct save_plan *p, const struct image *img)
{
    for (size_t i = 0; i < img->n_layers; i++) {
        const struct layer *l = img->layers[i];
        bool seen = false;
        for (size_t k = 0; k < p->n_layers && !seen; k++)
            seen = strcmp(p->layers[k].diff_id, l->diff_id) == 0;
        if (seen)
            continue;
        if (!l->blob[0])
            return err_set(-ENOENT, "image %s: layer %s has no stored blob to export", img->id, l->diff_id);
        int fd = content_open(&s->content, l->blob);
        if (fd < 0)
            return fd;
        struct save_layer *v = realloc(p->layers, (p->n_layers + 1) * sizeof(*v));
        if (!v) {
            close(fd);
            return err_set(-ENOMEM, "docker save: out of memory");
        }
        p->layers = v;
        p->layers[p->n_layers] = (struct save_layer){.fd = fd};
        snprintf(p->layers[p->n_layers++].diff_id, DIGEST_LEN, "%s", l->diff_id);
    }
    return 0;
}

/* The familiar tags `docker save name` writes: the named tag; every tag of
 * the repository when only a repository was named; none for an ID. */
static void tags_for(const struct image_store *s, const char *name, const struct image *img, json_t *tags)
{
    struct reference ref;
    if (reference_is_full_id(name) || reference_parse(name, &ref) < 0)
        return;
    char repo[1200];
    reference_full_name(&ref, repo, sizeof(repo));
    size_t k;
    json_t *r;
    bool hit = false;
    json_array_foreach(img->refs, k, r)
    {
        const char *full = json_string_value(r);
        size_t n = strlen(repo);
        bool same_repo = strncmp(full, repo, n) == 0 && full[n] == ':';
        bool match = ref.tag[0] ? same_repo && strcmp(full + n + 1, ref.tag) == 0 : same_repo;
        if (!match)
            continue;
        char fam[1200];
        image_familiar_ref(full, fam, sizeof(fam));
        bool dup = false;
        size_t j;
        json_t *t;
        json_array_foreach(tags, j, t) dup |= strcmp(json_string_value(t), fam) == 0;
        if (!dup)
            json_array_append_new(tags, json_string(fam));
        hit = true;
    }
    (void)hit;
}

static int make_plan(struct image_store *s, json_t *names, struct save_plan *p)
{
    size_t i;
    json_t *nm;
    json_array_foreach(names, i, nm)
    {
        const char *name = json_string_value(nm);
        struct image *img;
        int r = name ? image_lookup(s, name, &img) : err_set(-EINVAL, "docker save: names must be strings");
        if (r < 0)
            return r;
        struct save_image *si = plan_image(p, img->id);
        if (!si) {
            struct save_image *v = realloc(p->images, (p->n_images + 1) * sizeof(*v));
            if (!v)
                return err_set(-ENOMEM, "docker save: out of memory");
            p->images = v;
            si = &p->images[p->n_images++];
            *si = (struct save_image){.tags = json_array(), .diff_ids = json_array()};
            snprintf(si->id, sizeof(si->id), "%s", img->id);
            r = content_read(&s->content, img->id, 8u << 20, &si->config, &si->config_len);
            if (r < 0)
                return r;
            for (size_t k = 0; k < img->n_layers; k++)
                json_array_append_new(si->diff_ids, json_string(img->layers[k]->diff_id));
            r = plan_add_layers(s, p, img);
            if (r < 0)
                return r;
        }
        tags_for(s, name, img, si->tags);
    }
    return 0;
}

static int write_entry_header(struct archive *a, const char *path, mode_t type, int64_t size)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
    archive_entry_set_mtime(e, 0, 0);
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : -EIO;
}

static int write_bytes(struct archive *a, const char *path, const void *data, size_t len)
{
    if (write_entry_header(a, path, AE_IFREG, (int64_t)len) < 0)
        return -EIO;
    return archive_write_data(a, data, len) == (la_ssize_t)len ? 0 : -EIO;
}

/* A decompressed copy of a compressed blob, as an unlinked temp file. */
static int decompress_to_temp(int tmp_dir_fd, int blob_fd, int *ret_fd)
{
    _cleanup_close_ int out = openat(tmp_dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (out < 0)
        return -errno;
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_raw(a);
    struct archive_entry *e;
    int r = 0;
    if (lseek(blob_fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, blob_fd, BUF_SIZE) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK)
        r = -EIO;
    _cleanup_free_ char *buf = r == 0 ? malloc(BUF_SIZE) : NULL;
    if (r == 0 && !buf)
        r = -ENOMEM;
    while (r == 0) {
        la_ssize_t n = archive_read_data(a, buf, BUF_SIZE);
        if (n < 0)
            r = -EIO;
        if (n <= 0)
            break;
        if (write(out, buf, (size_t)n) != n)
            r = -errno ? -errno : -EIO;
    }
    archive_read_free(a);
    if (r < 0)
        return r;
    if (lseek(out, 0, SEEK_SET) < 0)
        return -errno;
    *ret_fd = TAKE_FD(out);
    return 0;
}

static bool is_compressed(int fd)
{
    unsigned char m[6] = {0};
    if (pread(fd, m, sizeof(m), 0) < 4)
        return false;
    return (m[0] == 0x1f && m[1] == 0x8b) || (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) ||
           (m[0] == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X');
}

static int write_layer(struct archive *a, int tmp_dir_fd, struct save_layer *l, char *buf)
{
    int src = l->fd;
    _cleanup_close_ int plain = -1;
    if (is_compressed(l->fd)) {
        int r = decompress_to_temp(tmp_dir_fd, l->fd, &plain);
        if (r < 0)
            return err_set(r, "docker save: cannot decompress layer %s: %s", l->diff_id, strerror(-r));
        src = plain;
    }
    struct stat st;
    if (fstat(src, &st) < 0)
        return err_set(-errno, "docker save: layer %s: %s", l->diff_id, strerror(errno));
    char path[128];
    snprintf(path, sizeof(path), "blobs/sha256/%s", l->diff_id + 7);
    l->size = st.st_size;
    if (write_entry_header(a, path, AE_IFREG, st.st_size) < 0)
        return err_set(-EIO, "docker save: writing the archive: %s", archive_error_string(a));
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = pread(src, buf, BUF_SIZE, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return err_set(n < 0 ? -errno : -EIO, "docker save: reading layer %s failed", l->diff_id);
        if (archive_write_data(a, buf, (size_t)n) != n)
            return err_set(-EIO, "docker save: writing the archive: %s", archive_error_string(a));
        off += n;
    }
    return 0;
}

static json_t *oci_manifest(const struct save_image *si, const struct save_plan *p)
{
    json_t *layers = json_array();
    size_t k;
    json_t *d;
    json_array_foreach(si->diff_ids, k, d)
    {
        json_int_t size = 0;
        for (size_t i = 0; i < p->n_layers; i++)
            if (strcmp(p->layers[i].diff_id, json_string_value(d)) == 0)
                size = p->layers[i].size;
        json_array_append_new(layers, json_pack("{s:s, s:O, s:I}", "mediaType",
                                                "application/vnd.oci.image.layer.v1.tar", "digest", d, "size", size));
    }
    return json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                     "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                     "application/vnd.oci.image.config.v1+json", "digest", si->id, "size", (json_int_t)si->config_len,
                     "layers", layers);
}

static int write_json(struct archive *a, const char *path, json_t *j)
{
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    if (!text)
        return -ENOMEM;
    return write_bytes(a, path, text, strlen(text));
}

/* Everything after the layers: configs, manifests, index.json, manifest.json. */
static int write_metadata(struct archive *a, const struct save_plan *p)
{
    json_auto_t *index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                                   "application/vnd.oci.image.index.v1+json", "manifests");
    json_auto_t *docker = json_array();
    int r = 0;
    for (size_t i = 0; i < p->n_images && r >= 0; i++) {
        const struct save_image *si = &p->images[i];
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", si->id + 7);
        r = write_bytes(a, path, si->config, si->config_len);
        json_auto_t *m = oci_manifest(si, p);
        _cleanup_free_ char *mtext = json_dumps(m, JSON_COMPACT);
        char mdigest[SHA256_DIGEST_STRLEN];
        if (r >= 0 && (!mtext || sha256_buffer(mtext, strlen(mtext), mdigest) < 0))
            r = -ENOMEM;
        if (r >= 0) {
            snprintf(path, sizeof(path), "blobs/sha256/%s", mdigest + 7);
            r = write_bytes(a, path, mtext, strlen(mtext));
        }
        json_t *layer_paths = json_array();
        size_t k;
        json_t *d;
        json_array_foreach(si->diff_ids, k, d)
        {
            snprintf(path, sizeof(path), "blobs/sha256/%s", json_string_value(d) + 7);
            json_array_append_new(layer_paths, json_string(path));
        }
        snprintf(path, sizeof(path), "blobs/sha256/%s", si->id + 7);
        json_array_append_new(docker,
                              json_pack("{s:s, s:O, s:o}", "Config", path, "RepoTags",
                                        json_array_size(si->tags) ? si->tags : json_null(), "Layers", layer_paths));
        json_t *manifests = json_object_get(index, "manifests");
        json_t *tag;
        if (json_array_size(si->tags) == 0)
            json_array_append_new(manifests, json_pack("{s:s, s:s, s:I}", "mediaType",
                                                       "application/vnd.oci.image.manifest.v1+json", "digest", mdigest,
                                                       "size", (json_int_t)strlen(mtext ? mtext : "")));
        json_array_foreach(si->tags, k, tag)
        {
            char full[1200];
            struct reference ref;
            if (image_normalize_ref(json_string_value(tag), full, sizeof(full)) < 0 ||
                reference_parse(json_string_value(tag), &ref) < 0)
                continue;
            json_array_append_new(manifests,
                                  json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType",
                                            "application/vnd.oci.image.manifest.v1+json", "digest", mdigest, "size",
                                            (json_int_t)strlen(mtext), "annotations", "io.containerd.image.name", full,
                                            "org.opencontainers.image.ref.name", ref.tag[0] ? ref.tag : "latest"));
        }
    }
    if (r >= 0)
        r = write_json(a, "index.json", index);
    if (r >= 0)
        r = write_json(a, "manifest.json", docker);
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    if (r >= 0)
        r = write_bytes(a, "oci-layout", layout, strlen(layout));
    return r < 0 ? err_set(r, "docker save: writing the archive: %s", archive_error_string(a)) : 0;
}

int archive_save(struct image_store *s, json_t *names, int out_fd, json_t **ret_ids)
{
    struct save_plan plan = {0};
    pthread_rwlock_rdlock(&s->lock);
    int r = make_plan(s, names, &plan);
    pthread_rwlock_unlock(&s->lock);
    if (r < 0) {
        plan_done(&plan);
        return r;
    }
    struct archive *a = archive_write_new();
    _cleanup_free_ char *buf = malloc(BUF_SIZE);
    if (!a || !buf || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK || archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
        r = err_set(-EIO, "docker save: cannot start the archive: %s", a ? archive_error_string(a) : "out of memory");
    if (r >= 0)
        r = write_entry_header(a, "blobs", AE_IFDIR, 0) < 0 || write_entry_header(a, "blobs/sha256", AE_IFDIR, 0) < 0
                ? err_set(-EIO, "docker save: writing the archive: %s", archive_error_string(a))
                : 0;
    for (size_t i = 0; i < plan.n_layers && r >= 0; i++)
        r = write_layer(a, s->layers.tmp_fd, &plan.layers[i], buf);
    if (r >= 0)
        r = write_metadata(a, &plan);
    if (a) {
        if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
            r = err_set(-EIO, "docker save: finishing the archive: %s", archive_error_string(a));
        archive_write_free(a);
    }
    if (r >= 0 && ret_ids) {
        json_t *ids = json_array();
        for (size_t i = 0; i < plan.n_images; i++)
            json_array_append_new(ids, json_string(plan.images[i].id));
        *ret_ids = ids;
    }
    plan_done(&plan);
    return r;
}
