/* libFuzzer target: a whole `docker load` of hostile bytes (outer archive,
 * manifest.json / index.json, configs, layers) into a private image store.
 * Besides not crashing, every input must leave no staging directory behind,
 * and the store must reopen to the same images. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "archive-load.h"
#include "cleanup.h"
#include "log.h"

static char root[64];
static struct image_store *store;

static int count_staging(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/images/tmp", root);
    _cleanup_closedir_ DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d)))
        if (strncmp(de->d_name, "layer-", 6) == 0)
            n++;
    return n;
}

static void cleanup(void)
{
    image_store_free(store);
    store = NULL;
    remove_tree_at(AT_FDCWD, root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store) {
        log_set_level(LOG_FATAL_LEVEL);
        snprintf(root, sizeof(root), "/tmp/pouch-fuzz-load-XXXXXX");
        if (!mkdtemp(root) || image_store_open(root, &store) < 0)
            abort();
        atexit(cleanup);
    }
    int fd = memfd_create("archive", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
        abort();
    json_t *loaded = NULL;
    int r = archive_load(store, fd, NULL, NULL, &loaded);
    close(fd);
    json_decref(loaded);
    if (count_staging() != 0) {
        fprintf(stderr, "fuzz-image-load: a staging directory was left behind (load returned %d)\n", r);
        abort();
    }
    if (r >= 0) {
        size_t before = store->n;
        image_store_free(store);
        if (image_store_open(root, &store) < 0 || store->n != before) {
            fprintf(stderr, "fuzz-image-load: the store did not reopen to the same %zu images\n", before);
            abort();
        }
        json_t *report = NULL;
        pthread_rwlock_wrlock(&store->lock);
        image_prune(store, true, NULL, 0, &report);
        pthread_rwlock_unlock(&store->lock);
        json_decref(report);
    }
    return 0;
}
