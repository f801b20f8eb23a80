/* Log plugins store and read back container output (json-file, journald ...).
 * The writer runs inside each container's monitor process (the shim), which
 * loads the plugin file itself and calls only the writer methods, so output
 * produced while pouchd is down is kept. A writer must never block a
 * container on a slow reader. */
#ifndef POUCH_LOG_H
#define POUCH_LOG_H

#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Streams. Since 1.0. */
#define POUCH_LOG_STDOUT 1
#define POUCH_LOG_STDERR 2

typedef struct pouch_log_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_log_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
    /* 1.0: open a writer for the log at path with driver options opts_json
     * ({"max-size":"10m","max-file":"3",…}). No plugin init is needed for
     * writers: they run in the shim. *ret_writer is opaque. */
    int32_t (*writer_open)(const char *path, const char *opts_json, void **ret_writer);
    /* 1.0: append one message (a line, or a partial line when partial = 1)
     * from stream at time_nano. */
    int32_t (*writer_write)(void *writer, int32_t stream, int64_t time_nano, const char *data, uint32_t len,
                            int32_t partial);
    /* 1.0: flush and close. */
    void (*writer_close)(void *writer);
    /* 1.0: read the log at path into out_fd (borrowed) as docker's stream
     * frames (stream byte, 3 zero bytes, big-endian length) or raw when
     * options say "raw". options_json: {"stdout":bool,"stderr":bool,
     * "since":ns,"until":ns,"tail":N (-1 = all),"timestamps":bool,"follow":bool,
     * "raw":bool}. With follow it returns once *stop becomes non-zero or the
     * log's writer is closed for good (the file "<path>.closed" exists). */
    int32_t (*read)(void *state, const char *path, const char *options_json, int32_t out_fd,
                    const volatile int32_t *stop);
} pouch_log_ops;

#ifdef __cplusplus
}
#endif

#endif
