/* The image index: images (by config digest), their tags and repo digests,
 * and the layers they use. One rwlock guards it; heavy work (unpacking,
 * hashing, archive I/O) happens outside the lock and only commits inside. */
#ifndef POUCH_IMAGES_IMAGE_STORE_H
#define POUCH_IMAGES_IMAGE_STORE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "content-store.h"
#include "layer-store.h"
#include "layer-unpack.h"

struct image {
    char id[DIGEST_LEN];     /* "sha256:<hex>" of the config */
    json_t *config;          /* the parsed config */
    json_t *refs;            /* array of full tagged refs "docker.io/library/busybox:latest" */
    json_t *digests;         /* array of full digested refs "…/busybox@sha256:…" */
    char parent[DIGEST_LEN]; /* local parent image, "" when none */
    struct layer **layers;   /* bottom first */
    size_t n_layers;
    uint64_t size;         /* sum of layer sizes */
    int64_t created;       /* Unix ns, from the config */
    int64_t last_tag_time; /* Unix ns of the last tag change, 0 when never */
};

struct image_store {
    pthread_rwlock_t lock;
    int root_fd;    /* <data-root>/images */
    int records_fd; /* <data-root>/images/records */
    char *root;
    struct content_store content;
    struct layer_store layers;
    struct image **v;
    size_t n;
    struct layer_policy policy;
    uint64_t generation; /* bumped by every write lock: caches of views compare it */
    /* Set by the container store: true (with its short ID in ret_container)
     * when a container uses image id. NULL until containers exist. */
    bool (*image_used)(void *user, const char *id, char *ret_container, size_t cap);
    void *used_user;
};

int image_store_open(const char *data_root, struct image_store **ret);
/* Take the store lock for writing; every writer goes through here. */
void image_store_wrlock(struct image_store *s);
void image_store_free(struct image_store *s);

/* Lookup by full or short ID (unique prefix), by reference, or by
 * name@digest. Caller holds the lock. -ENOENT: "No such image: X";
 * ambiguous prefix: -EINVAL. */
int image_lookup(struct image_store *s, const char *name, struct image **ret);

/* One layer of an image being added: its diff_id and either an existing
 * chain or a staged dir to commit. */
struct image_layer_in {
    char diff_id[DIGEST_LEN];
    char blob[DIGEST_LEN]; /* stored blob it came from, may be "" */
    char *stage;           /* staged dir name under tmp/, or NULL if the chain exists */
    uint64_t size;
};

/* Add an image from its config bytes and layers (bottom first), then point
 * each of refs (full refs, may be NULL) at it. Layers already present are
 * shared. On success *ret_id is filled and every staged dir was consumed;
 * on failure the staged dirs are the caller's to discard. */
int image_store_add(struct image_store *s, const char *config, size_t config_len, struct image_layer_in *layers,
                    size_t n_layers, json_t *refs, const char *parent, char *ret_id);

/* Tag: make full ref point at the image named by source. */
int image_tag(struct image_store *s, const char *source, const char *target);

/* dockerd's image delete: fills *ret_report with [{"Untagged":…},{"Deleted":…}]. */
int image_remove(struct image_store *s, const char *name, bool force, bool noprune, json_t **ret_report);

/* Remove dangling images (or, with all, every image not in use). */
int image_prune(struct image_store *s, bool all, json_t *label_filters, int64_t until, json_t **ret_report);

/* Parse name into a full tagged ref (adds :latest), e.g. for tag targets. */
int image_normalize_ref(const char *name, char *ret_full, size_t cap);
/* docker's familiar spelling of a full ref. */
void image_familiar_ref(const char *full, char *buf, size_t cap);

/* The overlay lowerdir of img: its layers' diff dirs, top first, leaving out
 * the skip_top topmost. NULL when none; caller frees. Lock held. */
char *image_lowerdir(struct image_store *s, const struct image *img, size_t skip_top);

/* Shared by the store's own files (image-store.c, image-remove.c). */
void image_short_id(const char *id, char *buf13);
void image_gc_layers(struct image_store *s, json_t *report, uint64_t *reclaimed);
void image_drop_ref(struct image_store *s, const char *full);
int image_save_repositories(struct image_store *s);
void image_free(struct image *img);

#endif
