/* libFuzzer target for docker cp's extraction (fs_extract, PUT
 * /containers/{id}/archive): any input must extract or be refused, never
 * crash, and never touch anything outside the container root, even though the
 * root holds symlinks pointing out of it (absolute and ../..). Linked with
 * corpus-main.c instead of libFuzzer it replays a corpus. */
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
#include "ctr-fs.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef POUCH_FUZZ_STANDALONE
/* containers.c is not linked into the libFuzzer build. */
void format_time(int64_t ns, char *buf, size_t cap);
void format_time(int64_t ns, char *buf, size_t cap)
{
    snprintf(buf, cap, "%lld", (long long)ns);
}
#endif

#include "fuzz-sandbox.h"

/* A container root with traps: d/, escape -> /, up -> ../.., d/out -> ../../sentinel. */
static void make_root(const char *root)
{
    char p[256];
    if (mkdir(root, 0755) < 0)
        abort();
    snprintf(p, sizeof(p), "%s/d", root);
    if (mkdir(p, 0755) < 0)
        abort();
    snprintf(p, sizeof(p), "%s/escape", root);
    if (symlink("/", p) < 0)
        abort();
    snprintf(p, sizeof(p), "%s/up", root);
    if (symlink("../..", p) < 0)
        abort();
    snprintf(p, sizeof(p), "%s/d/out", root);
    if (symlink("../../sentinel", p) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char root[128], sentinel[128], keep[160];
    setup_base("cp");
    snprintf(root, sizeof(root), "%s/root", base);
    snprintf(sentinel, sizeof(sentinel), "%s/sentinel", base);
    snprintf(keep, sizeof(keep), "%s/sentinel/keep", base);
    make_root(root);
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int in_fd = memfd_create("fuzz-cp", MFD_CLOEXEC);
    if (root_fd < 0 || in_fd < 0 || write(in_fd, data, size) != (ssize_t)size || lseek(in_fd, 0, SEEK_SET) != 0)
        abort();
    struct fs_view v = {.root_fd = root_fd};
    struct fs_extract_opts o = {.chown_uid = -1, .chown_gid = -1, .container_name = "fuzz"};
    /* The first byte picks the target and the overwrite rule, so both vary. */
    const char *target = size && (data[0] & 1) ? "/d" : "/";
    o.no_overwrite_dir_non_dir = size && (data[0] & 2);
    (void)fs_extract(&v, target, in_fd, &o);
    struct stat st;
    if (count_entries(base) != 2 || count_entries(sentinel) != 1 || stat(keep, &st) < 0 || st.st_size != 0) {
        fprintf(stderr, "fuzz-container-archive: something outside the root was written (%s)\n", base);
        abort();
    }
    remove_tree(root);
    return 0;
}
