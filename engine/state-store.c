/* Atomic record files. Every write goes to a temp file in the same directory
 * and is renamed over the record only after fsync, then the directory is
 * fsynced; start-up deletes temp files (they were never acknowledged). */
#include "state-store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"

static int valid_name(const char *name)
{
    return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
           strncmp(name, STATE_TMP_PREFIX, strlen(STATE_TMP_PREFIX)) != 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int open_temp(int dirfd, const char *name, char *ret_tmp, size_t cap)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned long long rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), 0) < 0)
            rnd = (unsigned long long)getpid() * 1000003ULL + (unsigned long long)attempt;
        snprintf(ret_tmp, cap, STATE_TMP_PREFIX "%s-%016llx", name, rnd);
        int fd = openat(dirfd, ret_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}

int state_write(int dirfd, const char *name, const void *data, size_t len)
{
    if (!valid_name(name))
        return err_set(-EINVAL, "state record \"%s\": not a valid record name", name ? name : "(null)");
    char tmp[512];
    _cleanup_close_ int fd = open_temp(dirfd, name, tmp, sizeof(tmp));
    if (fd < 0)
        return err_set(fd, "state record %s: creating temp file: %s", name, strerror(-fd));
    int r = write_all(fd, data, len);
    if (r >= 0 && fsync(fd) < 0)
        r = -errno;
    if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        r = -errno;
    if (r < 0) {
        unlinkat(dirfd, tmp, 0);
        return err_set(r, "state record %s: %s; check free space and permissions of the data root", name, strerror(-r));
    }
    if (fsync(dirfd) < 0)
        return err_set(-errno, "state record %s: syncing its directory: %s", name, strerror(errno));
    return 0;
}

int state_read(int dirfd, const char *name, char **ret_data, size_t *ret_len)
{
    if (!valid_name(name))
        return err_set(-EINVAL, "state record \"%s\": not a valid record name", name ? name : "(null)");
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(-errno, "state record %s: %s", name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return err_set(-errno, "state record %s: %s", name, strerror(errno));
    _cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return err_set(-ENOMEM, "state record %s: out of memory", name);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set(-errno, "state record %s: %s", name, strerror(errno));
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    *ret_data = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = got;
    return 0;
}

int state_remove(int dirfd, const char *name)
{
    if (!valid_name(name))
        return err_set(-EINVAL, "state record \"%s\": not a valid record name", name ? name : "(null)");
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
        return err_set(-errno, "state record %s: removing: %s", name, strerror(errno));
    if (fsync(dirfd) < 0)
        return err_set(-errno, "state record %s: syncing its directory: %s", name, strerror(errno));
    return 0;
}

int state_repair(int dirfd)
{
    /* A fresh open of "." rather than dup(): a dup would share (and move)
     * the caller's directory position. */
    int dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup_fd < 0)
        return err_set(-errno, "state repair: %s", strerror(errno));
    _cleanup_closedir_ DIR *d = fdopendir(dup_fd);
    if (!d) {
        close(dup_fd);
        return err_set(-errno, "state repair: %s", strerror(errno));
    }
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, STATE_TMP_PREFIX, strlen(STATE_TMP_PREFIX)) != 0)
            continue;
        if (unlinkat(dirfd, de->d_name, 0) == 0)
            removed++;
    }
    if (removed > 0 && fsync(dirfd) < 0)
        return err_set(-errno, "state repair: syncing directory: %s", strerror(errno));
    return removed;
}
