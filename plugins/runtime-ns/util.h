/* Small helpers shared by pouch-shim and the runtime-ns plugin: one error
 * object reported once, file writes that say what failed, JSON-line I/O.
 * Nothing here may allocate threads or keep global state. */
#ifndef RUNTIME_NS_UTIL_H
#define RUNTIME_NS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"

/* Filled where a failure happens; callers propagate the negative errno. */
typedef struct rns_error {
    int code;       /* negative errno, 0 = none */
    char msg[1024]; /* what failed, on what, and what to do */
} rns_error;

/* Record the failure (first one wins) and return err. */
int rns_err(rns_error *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int64_t rns_now_ns(void);

/* Write value (plus nothing else) to dir/file, which must already exist. */
int rns_write_file_at(const char *dir, const char *file, const char *value, rns_error *e);
/* Create or replace path atomically (temp file, fsync, rename). */
int rns_write_atomic(const char *path, const char *data, size_t len, mode_t mode);
/* Read a whole small file; *ret is NUL-terminated, caller frees. */
int rns_read_file(const char *path, char **ret, size_t *ret_len);
int rns_mkdir_p(const char *path, mode_t mode);
/* Remove dir and everything in it (no symlink following, one file system). */
int rns_rm_rf(const char *path);

/* Connect to the unix socket at path (blocking, O_CLOEXEC). */
int rns_unix_connect(const char *path);
/* Listen on a fresh unix socket at path (old file replaced). */
int rns_unix_listen(const char *path, int backlog);
/* Write all of buf (blocking fd), retrying on EINTR. */
int rns_write_all(int fd, const void *buf, size_t len);
/* One datagram into buf, and the fd it carries (SCM_RIGHTS, O_CLOEXEC) in
 * *ret_fd if any (left untouched otherwise). recvmsg's result. */
ssize_t rns_recv_fd(int sock, void *buf, size_t len, int *ret_fd);
/* Read one '\n'-terminated line within timeout_ms (-1 = forever) from a
 * blocking or non-blocking fd; *ret is the line without '\n'. */
int rns_read_line(int fd, int timeout_ms, char **ret);

#endif
