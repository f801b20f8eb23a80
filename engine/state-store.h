/* Crash-safe records in a directory: a record is either its old content or
 * its new content, never a mix, whenever the process dies. */
#ifndef POUCH_ENGINE_STATE_STORE_H
#define POUCH_ENGINE_STATE_STORE_H

#include <stddef.h>

/* Temp files start with this prefix; names given to the store must not. */
#define STATE_TMP_PREFIX ".tmp-"

/* Write name in dirfd atomically: temp file, fsync, rename, fsync dir. */
int state_write(int dirfd, const char *name, const void *data, size_t len);
/* Read name whole; *ret_data is NUL-terminated and the caller frees it. */
int state_read(int dirfd, const char *name, char **ret_data, size_t *ret_len);
/* Remove name and make the removal durable. Missing is not an error. */
int state_remove(int dirfd, const char *name);
/* Delete temp files a crash left behind; returns how many were removed. */
int state_repair(int dirfd);

#endif
