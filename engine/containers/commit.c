/* docker commit: the container's upper dir becomes one uncompressed layer
 * (whiteouts as .wh. files) on top of its image's, and its Config, with
 * --change applied and the image's defaults merged as dockerd merges them,
 * becomes the new image's config. The layer goes through the same checked
 * unpacker as any loaded layer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "ctr-fs.h"
#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "error.h"
#include "image-store.h"
#include "import.h"
#include "lifecycle-internal.h"
#include "rootfs.h"
#include "sysinfo.h"

/* H2's pause, when this build has it (exec.c); commit then pauses as dockerd does. */
int ctr_pause(struct container_store *s, const char *ref) __attribute__((weak));
int ctr_unpause(struct container_store *s, const char *ref) __attribute__((weak));

static bool key_in(json_t *env, const char *entry)
{
    size_t klen = strcspn(entry, "=");
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        if (s && strncmp(s, entry, klen) == 0 && (s[klen] == '=' || s[klen] == '\0'))
            return true;
    }
    return false;
}

static bool empty(json_t *v)
{
    return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0) || (json_is_string(v) && !*json_string_value(v));
}

/* dockerd's daemon/commit.go merge: user fills in from the image config. */
static void merge(json_t *user, json_t *image)
{
    if (empty(json_object_get(user, "User")))
        json_object_set(user, "User", json_object_get(image, "User") ?: json_string(""));
    json_t *ports = json_object_get(user, "ExposedPorts");
    if (empty(ports))
        json_object_set(user, "ExposedPorts", json_object_get(image, "ExposedPorts") ?: json_null());
    else
        json_object_update_missing(ports, json_object_get(image, "ExposedPorts"));
    json_t *env = json_object_get(user, "Env");
    if (empty(env)) {
        json_object_set(user, "Env", json_object_get(image, "Env") ?: json_null());
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(image, "Env"), i, e) if (json_is_string(e) &&
                                                                    !key_in(env, json_string_value(e)))
            json_array_append(env, e);
    }
    json_t *labels = json_object_get(user, "Labels");
    if (!json_is_object(labels)) {
        labels = json_object();
        json_object_set_new(user, "Labels", labels);
    }
    json_object_update_missing(labels, json_object_get(image, "Labels"));
    if (empty(json_object_get(user, "Entrypoint"))) {
        if (empty(json_object_get(user, "Cmd")))
            json_object_set(user, "Cmd", json_object_get(image, "Cmd") ?: json_null());
        if (!json_object_get(user, "Entrypoint") || json_is_null(json_object_get(user, "Entrypoint")))
            json_object_set(user, "Entrypoint", json_object_get(image, "Entrypoint") ?: json_null());
    }
    if (!json_object_get(user, "Healthcheck") && json_object_get(image, "Healthcheck"))
        json_object_set(user, "Healthcheck", json_object_get(image, "Healthcheck"));
    if (empty(json_object_get(user, "WorkingDir")))
        json_object_set(user, "WorkingDir", json_object_get(image, "WorkingDir") ?: json_string(""));
    json_t *vols = json_object_get(user, "Volumes");
    if (empty(vols))
        json_object_set(user, "Volumes", json_object_get(image, "Volumes") ?: json_null());
    else
        json_object_update(vols, json_object_get(image, "Volumes"));
    /* Go marshals an empty map the container record may hold as null here. */
    if (json_is_object(json_object_get(user, "Volumes")) && json_object_size(json_object_get(user, "Volumes")) == 0)
        json_object_set_new(user, "Volumes", json_null());
    if (empty(json_object_get(user, "StopSignal")) && json_object_get(image, "StopSignal"))
        json_object_set(user, "StopSignal", json_object_get(image, "StopSignal"));
}

static void now_rfc3339(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    format_time((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec, buf, cap);
}

static char *join_cmd(json_t *cmd)
{
    size_t len = 1, i;
    json_t *a;
    json_array_foreach(cmd, i, a) len += strlen(json_string_value(a) ?: "") + 1;
    char *out = calloc(1, len);
    json_array_foreach(cmd, i, a)
    {
        if (!out)
            break;
        if (i)
            strcat(out, " ");
        strcat(out, json_string_value(a) ?: "");
    }
    return out;
}

/* Write the upper dir as a tar into a nameless file; *ret_entries 0 means
 * nothing changed (dockerd then adds no layer, an empty_layer history entry). */
static int layer_tar(struct container_store *s, const char *id, const struct userns_remap *remap, int *ret_fd,
                     uint64_t *ret_entries)
{
    int upper;
    char **lower;
    size_t n;
    char image[256];
    int r = ctr_layer_dirs(s, id, &upper, &lower, &n, image, sizeof(image));
    if (r == -ENODATA) {
        *ret_entries = 0;
        *ret_fd = -1;
        return 0;
    }
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        free(lower[i]);
    free(lower);
    _cleanup_close_ int up = upper;
    _cleanup_close_ int fd = openat(s->daemon->images->layers.tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(-errno, "commit: cannot make a temporary file in the image store: %s", strerror(errno));
    struct fs_tar *t;
    if ((r = fs_tar_open(fd, &t)) < 0)
        return r;
    fs_tar_set_remap(t, remap);
    uint64_t entries = 0;
    r = fs_tar_upper(t, up, &entries);
    int q = fs_tar_close(t, r >= 0);
    if (r >= 0)
        r = q;
    if (r < 0)
        return r;
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    *ret_entries = entries;
    *ret_fd = TAKE_FD(fd);
    return 0;
}

/* The new image's config from its parent's. */
static json_t *image_config(json_t *parent, json_t *config, json_t *container_config, const char *container_id,
                            json_t *opts, const char *diff_id)
{
    json_t *img = json_deep_copy(parent);
    if (!img)
        return NULL;
    char created[64];
    now_rfc3339(created, sizeof(created));
    const char *author = json_string_value(json_object_get(opts, "author")) ?: "";
    const char *comment = json_string_value(json_object_get(opts, "comment")) ?: "";
    json_object_set(img, "config", config);
    json_object_set(img, "container_config", container_config);
    json_object_set_new(img, "container", json_string(container_id));
    json_object_set_new(img, "created", json_string(created));
    json_object_set_new(img, "docker_version", json_string("pouch-" POUCH_VERSION));
    json_object_del(img, "author");
    json_object_del(img, "comment");
    if (*author)
        json_object_set_new(img, "author", json_string(author));
    if (*comment)
        json_object_set_new(img, "comment", json_string(comment));
    json_t *rootfs = json_object_get(img, "rootfs");
    if (!json_is_object(rootfs)) {
        rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
        json_object_set_new(img, "rootfs", rootfs);
    }
    if (diff_id)
        json_array_append_new(json_object_get(rootfs, "diff_ids"), json_string(diff_id));
    json_t *history = json_object_get(img, "history");
    if (!json_is_array(history)) {
        history = json_array();
        json_object_set_new(img, "history", history);
    }
    _cleanup_free_ char *by = join_cmd(json_object_get(container_config, "Cmd"));
    json_t *h = json_pack("{s:s, s:s}", "created", created, "created_by", by ? by : "");
    if (*author)
        json_object_set_new(h, "author", json_string(author));
    if (*comment)
        json_object_set_new(h, "comment", json_string(comment));
    if (!diff_id)
        json_object_set_new(h, "empty_layer", json_true());
    json_array_append_new(history, h);
    return img;
}

static int new_config(json_t *opts, json_t *container_config, json_t **ret)
{
    json_t *body = json_object_get(opts, "config");
    json_auto_t *config = json_is_object(body) ? json_deep_copy(body) : json_deep_copy(container_config);
    if (!config)
        return -ENOMEM;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(opts, "changes"), i, c)
    {
        int r = json_is_string(c) ? import_apply_change(config, json_string_value(c))
                                  : err_set(-EINVAL, "changes must be strings");
        if (r < 0)
            return r;
    }
    merge(config, container_config);
    *ret = TAKE_PTR(config);
    return 0;
}

/* Unpack the layer tar (stored as a blob first, as import does) into a
 * staged dir; fills in. */
static int stage_layer(struct image_store *is, int tar_fd, struct image_layer_in *in)
{
    char blob[DIGEST_LEN];
    int r = content_put_fd(&is->content, tar_fd, NULL, blob, NULL);
    if (r < 0)
        return r;
    _cleanup_close_ int blob_fd = content_open(&is->content, blob);
    if (blob_fd < 0)
        return blob_fd;
    _cleanup_close_ int dir_fd = -1;
    if ((r = layer_stage_dir(&is->layers, &in->stage, &dir_fd)) < 0)
        return r;
    struct layer_policy policy = is->policy;
    policy.label = "committed container layer";
    policy.allow_devices = true; /* the container's own nodes; whiteouts are separate */
    struct layer_result res;
    if ((r = layer_unpack(blob_fd, dir_fd, &policy, &res)) < 0)
        return r;
    snprintf(in->diff_id, sizeof(in->diff_id), "%s", res.diff_id);
    snprintf(in->blob, sizeof(in->blob), "%s", blob);
    in->size = res.unpacked_size;
    return 0;
}

static int add_image(struct container_store *s, struct container *c, json_t *opts, json_t *ccfg, const char *image_id,
                     int tar_fd, char *ret_id)
{
    struct image_store *is = s->daemon->images;
    json_auto_t *refs = json_array();
    const char *repo = json_string_value(json_object_get(opts, "repo"));
    const char *tag = json_string_value(json_object_get(opts, "tag"));
    if (repo && *repo) {
        char name[1200], full[1200];
        snprintf(name, sizeof(name), "%s%s%s", repo, tag && *tag ? ":" : "", tag && *tag ? tag : "");
        int r = image_normalize_ref(name, full, sizeof(full));
        if (r < 0)
            return r;
        json_array_append_new(refs, json_string(full));
    }
    json_auto_t *config = NULL;
    int r = new_config(opts, ccfg, &config);
    if (r < 0)
        return r;
    struct image_layer_in top = {0};
    if (tar_fd >= 0 && (r = stage_layer(is, tar_fd, &top)) < 0) {
        if (top.stage)
            layer_stage_discard(&is->layers, top.stage);
        free(top.stage);
        return r;
    }
    image_store_wrlock(is);
    struct image *parent = NULL;
    r = image_lookup(is, image_id, &parent);
    struct image_layer_in *layers = r >= 0 ? calloc(parent->n_layers + 1, sizeof(*layers)) : NULL;
    size_t n = 0;
    if (r >= 0 && !layers)
        r = -ENOMEM;
    for (size_t i = 0; r >= 0 && i < parent->n_layers; i++)
        snprintf(layers[n++].diff_id, DIGEST_LEN, "%s", parent->layers[i]->diff_id);
    if (r >= 0 && tar_fd >= 0)
        layers[n++] = top;
    json_auto_t *img = r >= 0 ? image_config(parent->config, config, ccfg, c->id, opts, tar_fd >= 0 ? top.diff_id : NULL)
                              : NULL;
    _cleanup_free_ char *text = img ? json_dumps(img, JSON_COMPACT) : NULL;
    if (r >= 0 && !text)
        r = err_set(-ENOMEM, "commit: out of memory");
    char parent_id[DIGEST_LEN] = "";
    if (r >= 0)
        snprintf(parent_id, sizeof(parent_id), "%s", parent->id);
    if (r >= 0)
        r = image_store_add(is, text, strlen(text), layers, n, refs, parent_id, ret_id);
    pthread_rwlock_unlock(&is->lock);
    if (r < 0 && layers && tar_fd >= 0 && layers[n - 1].stage)
        layer_stage_discard(&is->layers, layers[n - 1].stage);
    if (layers && tar_fd >= 0)
        free(layers[n - 1].stage);
    else if (top.stage) {
        layer_stage_discard(&is->layers, top.stage);
        free(top.stage);
    }
    free(layers);
    return r;
}

int ctr_commit(struct container_store *s, json_t *opts, json_t **ret)
{
    const char *id = json_string_value(json_object_get(opts, "container")) ?: "";
    struct container *c;
    int r = container_get(s, id, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    json_auto_t *ccfg = json_deep_copy(cfg_of(c));
    char image_id[256];
    snprintf(image_id, sizeof(image_id), "%s", json_string_value(json_object_get(c->rec, "Image")) ?: "");
    bool paused = false, running = c->status == STATUS_RUNNING;
    pthread_mutex_unlock(&s->lock);
    json_t *pause = json_object_get(opts, "pause");
    if (running && (!pause || json_is_true(pause)) && ctr_pause && ctr_unpause) {
        paused = ctr_pause(s, c->id) >= 0;
        if (!paused)
            err_clear();
    }
    int tar_fd = -1;
    uint64_t entries = 0;
    r = layer_tar(s, c->id, rootfs_remap_of(s, c), &tar_fd, &entries);
    if (paused && ctr_unpause(s, c->id) < 0)
        err_clear();
    char new_id[DIGEST_LEN] = "";
    if (r >= 0)
        r = add_image(s, c, opts, ccfg, image_id, entries ? tar_fd : -1, new_id);
    if (tar_fd >= 0)
        close(tar_fd);
    if (r >= 0) {
        const char *repo = json_string_value(json_object_get(opts, "repo")) ?: "";
        const char *tag = json_string_value(json_object_get(opts, "tag")) ?: "";
        char ref[1200] = "";
        if (*repo)
            snprintf(ref, sizeof(ref), "%s:%s", repo, *tag ? tag : "latest");
        ctr_event_locking(s, c,
                          "commit",
                          json_pack("{s:s, s:s, s:s}", "comment",
                                    json_string_value(json_object_get(opts, "comment")) ?: "", "imageID", new_id,
                                    "imageRef", ref));
        *ret = json_pack("{s:s}", "Id", new_id);
    }
    container_unref(s, c);
    return r;
}
