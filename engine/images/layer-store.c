/* The snapshot store: one directory per chain ID holding the unpacked diff
 * and a small record. Layers are staged under tmp/ and renamed into place,
 * so a chain-ID directory with a record is always complete. */
#include "layer-store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "content-store.h"
#include "error.h"
#include "log.h"
#include "state-store.h"

#define LAYER_RECORD "layer.json"

static const char *hex_of(const char *digest)
{
    return digest + 7;
}

int chain_id_next(const char *parent_chain, const char *diff_id, char *ret_chain)
{
    if (!parent_chain || !*parent_chain) {
        snprintf(ret_chain, DIGEST_LEN, "%s", diff_id);
        return 0;
    }
    char buf[2 * DIGEST_LEN + 2];
    int n = snprintf(buf, sizeof(buf), "%s %s", parent_chain, diff_id);
    unsigned char md[32];
    if (!EVP_Digest(buf, (size_t)n, md, NULL, EVP_sha256(), NULL))
        return err_set(-EIO, "chain id: sha256 failed");
    memcpy(ret_chain, "sha256:", 7);
    for (int i = 0; i < 32; i++)
        sprintf(ret_chain + 7 + 2 * i, "%02x", md[i]);
    return 0;
}

static int remove_tree_fd(int fd);

static int remove_entry(int dirfd, const char *name, dev_t dev)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (S_ISDIR(st.st_mode)) {
        if (st.st_dev != dev)
            return -EXDEV; /* a mount point: never descend */
        int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return -errno;
        int r = remove_tree_fd(sub); /* takes sub */
        if (r < 0)
            return r;
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            return -errno;
        return 0;
    }
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

/* Empty the directory fd (taken). */
static int remove_tree_fd(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -errno;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        int q = remove_entry(dirfd(d), de->d_name, st.st_dev);
        if (q < 0 && r == 0)
            r = q;
    }
    closedir(d);
    return r;
}

int remove_tree_at(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    return remove_entry(dirfd, name, st.st_dev);
}

static int load_record(struct layer_store *ls, const char *hex)
{
    _cleanup_close_ int dfd = openat(ls->root_fd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    state_repair(dfd);
    _cleanup_free_ char *text = NULL;
    if (state_read(dfd, LAYER_RECORD, &text, NULL) < 0)
        return -ENOENT;
    json_auto_t *j = json_loads(text, 0, NULL);
    struct layer l = {0};
    const char *chain = NULL, *diff = NULL, *parent = "", *blob = "";
    json_int_t size = 0;
    if (!j ||
        json_unpack(j, "{s:s, s:s, s?s, s?s, s?I}", "chain_id", &chain, "diff_id", &diff, "parent", &parent, "blob",
                    &blob, "size", &size) < 0 ||
        !digest_valid(chain) || !digest_valid(diff) || strcmp(hex_of(chain), hex) != 0)
        return -EBADMSG;
    snprintf(l.chain_id, sizeof(l.chain_id), "%s", chain);
    snprintf(l.diff_id, sizeof(l.diff_id), "%s", diff);
    snprintf(l.parent, sizeof(l.parent), "%s", parent);
    snprintf(l.blob, sizeof(l.blob), "%s", blob);
    l.size = (uint64_t)size;
    struct layer *heap = malloc(sizeof(*heap));
    struct layer **v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
    if (!heap || !v) {
        free(heap);
        if (v)
            ls->v = v;
        return -ENOMEM;
    }
    *heap = l;
    ls->v = v;
    ls->v[ls->n++] = heap;
    return 0;
}

int layer_store_open(int images_fd, const char *images_path, struct layer_store *ret)
{
    struct layer_store ls = {.root_fd = -1, .tmp_fd = -1};
    if ((mkdirat(images_fd, "layers", 0700) < 0 && errno != EEXIST) ||
        (mkdirat(images_fd, "tmp", 0700) < 0 && errno != EEXIST))
        return err_set(-errno, "image store %s: cannot create layer directories: %s", images_path, strerror(errno));
    ls.root_fd = openat(images_fd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ls.tmp_fd = openat(images_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ls.root_fd < 0 || ls.tmp_fd < 0 || asprintf(&ls.root, "%s/layers", images_path) < 0) {
        int e = errno;
        layer_store_close(&ls);
        return err_set(-e, "image store %s: cannot open layer directories: %s", images_path, strerror(e));
    }
    /* Staged layers from before a crash were never committed. */
    _cleanup_closedir_ DIR *tmp = fdopendir(openat(ls.tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct dirent *de;
    while (tmp && (de = readdir(tmp)))
        if (strncmp(de->d_name, "layer-", 6) == 0)
            remove_tree_at(ls.tmp_fd, de->d_name);

    _cleanup_closedir_ DIR *d = fdopendir(openat(ls.root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        int r = load_record(&ls, de->d_name);
        if (r == -ENOMEM) {
            layer_store_close(&ls);
            return err_set(r, "image store: out of memory loading layers");
        }
        if (r < 0) {
            log_warn("image store: layer %s is incomplete or damaged; removing it", de->d_name);
            remove_tree_at(ls.root_fd, de->d_name);
        }
    }
    *ret = ls;
    return 0;
}

void layer_store_close(struct layer_store *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->v[i]);
    free(ls->v);
    free(ls->root);
    if (ls->root_fd >= 0)
        close(ls->root_fd);
    if (ls->tmp_fd >= 0)
        close(ls->tmp_fd);
    *ls = (struct layer_store){.root_fd = -1, .tmp_fd = -1};
}

struct layer *layer_find(struct layer_store *ls, const char *chain_id)
{
    for (size_t i = 0; i < ls->n; i++)
        if (strcmp(ls->v[i]->chain_id, chain_id) == 0)
            return ls->v[i];
    return NULL;
}

int layer_stage_dir(struct layer_store *ls, char **ret_name, int *ret_fd)
{
    for (int i = 0; i < 16; i++) {
        unsigned long long rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), 0) < 0)
            rnd = (unsigned long long)getpid() * 104729ULL + (unsigned long long)i;
        char name[64];
        snprintf(name, sizeof(name), "layer-%016llx", rnd);
        if (mkdirat(ls->tmp_fd, name, 0700) < 0) {
            if (errno == EEXIST)
                continue;
            return err_set(-errno, "image store: cannot create a staging directory: %s", strerror(errno));
        }
        /* The snapshot root lives in diff/, next to where the record goes. */
        char diff[80];
        snprintf(diff, sizeof(diff), "%s/diff", name);
        if (mkdirat(ls->tmp_fd, diff, 0755) < 0) {
            remove_tree_at(ls->tmp_fd, name);
            return err_set(-errno, "image store: cannot create a staging directory: %s", strerror(errno));
        }
        int fd = openat(ls->tmp_fd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(*ret_name = strdup(name))) {
            int e = fd < 0 ? errno : ENOMEM;
            if (fd >= 0)
                close(fd);
            remove_tree_at(ls->tmp_fd, name);
            return err_set(-e, "image store: staging directory: %s", strerror(e));
        }
        *ret_fd = fd;
        return 0;
    }
    return err_set(-EEXIST, "image store: cannot find a free staging directory name");
}

void layer_stage_discard(struct layer_store *ls, const char *name)
{
    int r = remove_tree_at(ls->tmp_fd, name);
    if (r < 0)
        log_warn("image store: cannot remove staging directory %s: %s", name, strerror(-r));
}

static int write_record(int dirfd, const struct layer *l)
{
    json_auto_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "chain_id", l->chain_id, "diff_id", l->diff_id, "parent",
                               l->parent, "blob", l->blob, "size", (json_int_t)l->size);
    _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (!text)
        return err_set(-ENOMEM, "layer %s: out of memory", l->chain_id);
    return state_write(dirfd, LAYER_RECORD, text, strlen(text));
}

int layer_commit(struct layer_store *ls, const char *name, const struct layer *meta, struct layer **ret_layer)
{
    struct layer *existing = layer_find(ls, meta->chain_id);
    if (existing) {
        layer_stage_discard(ls, name);
        *ret_layer = existing;
        return 0;
    }
    struct layer *heap = malloc(sizeof(*heap));
    struct layer **v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
    if (v)
        ls->v = v;
    if (!heap || !v) {
        free(heap);
        return err_set(-ENOMEM, "layer %s: out of memory", meta->chain_id);
    }
    *heap = *meta;
    heap->refs = 0;
    {
        _cleanup_close_ int dfd = openat(ls->tmp_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = dfd < 0 ? err_set(-errno, "layer %s: staging dir vanished", meta->chain_id) : write_record(dfd, heap);
        if (r >= 0 && syncfs(dfd) < 0)
            r = err_set(-errno, "layer %s: syncing: %s", meta->chain_id, strerror(errno));
        if (r >= 0 && renameat(ls->tmp_fd, name, ls->root_fd, hex_of(meta->chain_id)) < 0)
            r = err_set(-errno, "layer %s: moving into place: %s", meta->chain_id, strerror(errno));
        if (r < 0) {
            free(heap);
            layer_stage_discard(ls, name);
            return r;
        }
        fsync(ls->root_fd);
    }
    ls->v[ls->n++] = heap;
    *ret_layer = heap;
    return 0;
}

int layer_remove(struct layer_store *ls, struct layer *l)
{
    if (l->refs > 0)
        return err_set(-EBUSY, "layer %s: still used by %u image(s)", l->chain_id, l->refs);
    /* Rename first so a crash mid-removal leaves no record-less half tree
     * under a valid name (start-up removes tmp/layer-*). */
    char name[96];
    snprintf(name, sizeof(name), "layer-rm-%.16s", hex_of(l->chain_id));
    int r = 0;
    if (renameat(ls->root_fd, hex_of(l->chain_id), ls->tmp_fd, name) < 0)
        r = err_set(-errno, "layer %s: %s", l->chain_id, strerror(errno));
    else
        layer_stage_discard(ls, name);
    for (size_t i = 0; i < ls->n; i++)
        if (ls->v[i] == l) {
            ls->v[i] = ls->v[--ls->n];
            break;
        }
    free(l);
    return r;
}

int layer_diff_path(struct layer_store *ls, const struct layer *l, char **ret_path)
{
    if (asprintf(ret_path, "%s/%s/diff", ls->root, hex_of(l->chain_id)) < 0)
        return err_set(-ENOMEM, "out of memory");
    return 0;
}
