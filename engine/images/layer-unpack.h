/* Unpacking one image layer (a tar stream, optionally gzip/zstd/xz) into an
 * empty directory, computing its blob digest and diff_id on the way. Layers
 * come from strangers: this must never write outside the target directory. */
#ifndef POUCH_IMAGES_LAYER_UNPACK_H
#define POUCH_IMAGES_LAYER_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#define LAYER_DEFAULT_MAX_FILE_SIZE (UINT64_C(4) << 30)   /* 4 GiB */
#define LAYER_DEFAULT_MAX_TOTAL_SIZE (UINT64_C(64) << 30) /* 64 GiB */

struct layer_policy {
    bool allow_devices;      /* char/block device nodes from the archive (default false); the
                                0/0 char devices made from .wh. whiteouts are always allowed */
    bool allow_setuid;       /* keep setuid bits and setgid on non-directories (default true);
                                when false such entries are refused. setgid on a directory only
                                steers group inheritance and is always kept */
    uint64_t max_file_size;  /* largest size one entry may claim (sparse: its logical size) */
    uint64_t max_total_size; /* largest sum of regular file sizes */
    const char *label;       /* names the layer in error messages ("layer 2 of 3 of busybox");
                                NULL means "layer" */
};

struct layer_result {
    char diff_id[72];       /* "sha256:<hex>" of the whole uncompressed stream, to EOF */
    char blob_digest[72];   /* "sha256:<hex>" of the bytes read from in_fd, to EOF */
    uint64_t blob_size;     /* bytes read from in_fd */
    uint64_t unpacked_size; /* sum of regular file sizes (logical, hardlinks counted once) */
    char compression[8];    /* "none", "gzip", "zstd" or "xz" */
};

/* The defaults above; a NULL policy means the same. */
void layer_policy_init(struct layer_policy *p);

/* Read a layer from in_fd (borrowed, read to EOF) and unpack it into dir_fd
 * (borrowed, an empty directory). Compression is detected by magic. On
 * failure the directory's contents are unspecified (unpack into a temporary
 * directory and remove it), *ret is untouched and the error slot says which
 * entry was refused and why; nothing is ever created outside dir_fd. The
 * caller syncs the result once (syncfs); nothing here fsyncs. */
int layer_unpack(int in_fd, int dir_fd, const struct layer_policy *policy, struct layer_result *ret);

/* The same reading and checking of the tar stream without writing anything:
 * digests, sizes and compression only (to verify a blob or compute a diff_id). */
int layer_digest(int in_fd, struct layer_result *ret);

/* An archive entry name made relative to the extraction root: leading "/"
 * and "." components dropped, ".." popping one; out (strlen(in)+1 bytes)
 * gets "" for the root itself. -EXDEV when it would climb above the root.
 * Shared with docker cp's extraction, which has the same rule. */
int layer_clean_path(const char *in, char *out);

#endif
