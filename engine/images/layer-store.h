/* Unpacked layers (snapshots) keyed by chain ID, shared between images and
 * reference-counted. A layer directory appears under its chain ID only when
 * complete; start-up removes anything half-made. */
#ifndef POUCH_IMAGES_LAYER_STORE_H
#define POUCH_IMAGES_LAYER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL, rounded */

struct layer {
    char chain_id[DIGEST_LEN];
    char diff_id[DIGEST_LEN];
    char parent[DIGEST_LEN]; /* chain ID of the layer below, "" for a base layer */
    char blob[DIGEST_LEN];   /* the blob it was unpacked from, "" when unknown */
    uint64_t size;           /* bytes of regular files unpacked */
    unsigned refs;           /* images using this layer (not persisted; recomputed) */
};

struct layer_store {
    int root_fd; /* <images>/layers */
    int tmp_fd;  /* <images>/tmp */
    char *root;  /* its path, for overlay lowerdir strings */
    struct layer **v;
    size_t n;
};

int layer_store_open(int images_fd, const char *images_path, struct layer_store *ret);
void layer_store_close(struct layer_store *ls);

/* chain(i) = diff(0) for i = 0, else sha256(chain(i-1) + " " + diff(i)). */
int chain_id_next(const char *parent_chain, const char *diff_id, char *ret_chain);

struct layer *layer_find(struct layer_store *ls, const char *chain_id);
/* Make a fresh empty directory under tmp to unpack into; *ret_name is its
 * name relative to the tmp dir (caller frees), *ret_fd an O_DIRECTORY fd. */
int layer_stage_dir(struct layer_store *ls, char **ret_name, int *ret_fd);
/* Remove a staged dir (after a failure or when another load won the race). */
void layer_stage_discard(struct layer_store *ls, const char *name);
/* Move staged dir `name` into place as chain_id, recording its metadata. If
 * the chain exists already the staged dir is discarded. *ret_layer borrows. */
int layer_commit(struct layer_store *ls, const char *name, const struct layer *meta, struct layer **ret_layer);
/* Delete a layer with no references: its directory and record. */
int layer_remove(struct layer_store *ls, struct layer *l);
/* Absolute path of the layer's unpacked tree (…/layers/<hex>/diff). */
int layer_diff_path(struct layer_store *ls, const struct layer *l, char **ret_path);

/* rm -rf of name inside dirfd, never crossing mounts or following symlinks. */
int remove_tree_at(int dirfd, const char *name);

#endif
