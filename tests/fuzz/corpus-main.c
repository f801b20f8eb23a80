/* Replays a fuzz target's seed corpus without libFuzzer: calls the target's
 * LLVMFuzzerTestOneInput once per file of the directory given. It must fail
 * loudly on an empty or missing corpus, or the CTest check would prove nothing. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen(path, "rbe");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -errno;
    }
    size_t cap = 1 << 20;
    _cleanup_free_ uint8_t *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    size_t n = fread(buf, 1, cap, f);
    /* Hand libFuzzer-like exact-size copies so ASan catches over-reads. */
    _cleanup_free_ uint8_t *exact = malloc(n ? n : 1);
    if (!exact)
        return -ENOMEM;
    memcpy(exact, buf, n);
    LLVMFuzzerTestOneInput(exact, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
        return 2;
    }
    _cleanup_closedir_ DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (run_file(path) < 0)
            return 1;
        files++;
    }
    if (files == 0) {
        fprintf(stderr, "%s: no corpus files\n", argv[1]);
        return 1;
    }
    printf("%d corpus files replayed from %s\n", files, argv[1]);
    return 0;
}
