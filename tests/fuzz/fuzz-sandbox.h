/* The scratch tree of the extraction fuzz targets (layer unpack, docker cp):
 * base/{root, sentinel/keep}, made once per process and removed at exit.
 * After every input the target checks that base still holds exactly root
 * and sentinel, and sentinel only keep: nothing may land beside the root.
 * Test code only; each target includes it once. */
#ifndef POUCH_FUZZ_SANDBOX_H
#define POUCH_FUZZ_SANDBOX_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

static char base[64];

static int fuzz_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) < 0 ? -1 : 0;
}

static void remove_tree(const char *path)
{
    if (nftw(path, fuzz_remove_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT) {
        fprintf(stderr, "fuzz: cannot remove %s: %m\n", path);
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

/* base = /tmp/pouch-fuzz-<tag>-XXXXXX with sentinel/keep (empty). */
static void setup_base(const char *tag)
{
    char path[128];
    if (base[0])
        return;
    snprintf(base, sizeof(base), "/tmp/pouch-fuzz-%s-XXXXXX", tag);
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

#endif
