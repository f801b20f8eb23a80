/* libFuzzer target for layer_unpack: any input must either unpack or be
 * refused, never crash, never leave anything beside the unpack directory, and
 * agree with layer_digest. Linked with corpus-main.c instead of libFuzzer, it
 * replays a corpus: fuzz-layer-unpack-corpus DIR-or-FILE... */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "layer-unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path) < 0 ? -1 : 0;
}

static void remove_tree(const char *path)
{
    if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT) {
        fprintf(stderr, "fuzz-layer-unpack: cannot remove %s: %m\n", path);
        abort();
    }
}

static void remove_base(void)
{
    if (base[0])
        remove_tree(base);
}

static int count_entries(const char *path)
{
    _cleanup_closedir_ DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;

    if (!d)
        abort();
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    return n;
}

/* base/{root,sentinel/keep}: after each input base must hold just those. */
static void setup_base(void)
{
    char path[128];

    if (base[0])
        return;
    snprintf(base, sizeof(base), "/tmp/pouch-fuzz-layer-XXXXXX");
    if (!mkdtemp(base))
        abort();
    atexit(remove_base);
    snprintf(path, sizeof(path), "%s/sentinel", base);
    if (mkdir(path, 0755) < 0)
        abort();
    snprintf(path, sizeof(path), "%s/sentinel/keep", base);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        abort();
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct layer_policy p;
    struct layer_result unpacked, digested;
    char root[128], sentinel[128];

    setup_base();
    snprintf(root, sizeof(root), "%s/root", base);
    snprintf(sentinel, sizeof(sentinel), "%s/sentinel", base);
    if (mkdir(root, 0755) < 0)
        abort();
    _cleanup_close_ int dir_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int in_fd = memfd_create("fuzz-layer", MFD_CLOEXEC);
    if (dir_fd < 0 || in_fd < 0 || write(in_fd, data, size) != (ssize_t)size || lseek(in_fd, 0, SEEK_SET) != 0)
        abort();

    /* Small limits: a fuzzer must not fill the disk with legitimately huge files. */
    layer_policy_init(&p);
    p.max_file_size = 64 << 20;
    p.max_total_size = 256 << 20;
    int r = layer_unpack(in_fd, dir_fd, &p, &unpacked);

    if (count_entries(base) != 2 || count_entries(sentinel) != 1) {
        fprintf(stderr, "fuzz-layer-unpack: something was written beside the unpack directory (%s)\n", base);
        abort();
    }
    remove_tree(root);

    if (lseek(in_fd, 0, SEEK_SET) != 0)
        abort();
    int d = layer_digest(in_fd, &digested);
    if (r >= 0 && (d < 0 || memcmp(&unpacked, &digested, sizeof(unpacked)) != 0)) {
        fprintf(stderr, "fuzz-layer-unpack: layer_digest disagrees with layer_unpack (%d: %s)\n", d, err_get());
        abort();
    }
    return 0;
}
