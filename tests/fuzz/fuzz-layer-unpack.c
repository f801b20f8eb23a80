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

#include "fuzz-sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct layer_policy p;
    struct layer_result unpacked, digested;
    char root[128], sentinel[128];

    setup_base("layer");
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
