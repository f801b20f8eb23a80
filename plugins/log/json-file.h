/* Internals shared by the json-file plugin's files: the writer (runs in the
 * shim), the reader (runs in pouchd) and the descriptor. Never included by
 * anything outside plugins/log. */
#ifndef POUCH_LOG_JSON_FILE_H
#define POUCH_LOG_JSON_FILE_H

#include <stdint.h>

#include <pouch/host.h>

/* Report a failure once and return err: through the host when init ran in
 * this process (pouchd), else on stderr (the shim has no host). */
int jf_report(const pouch_host *host, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The host init received, or NULL in the shim. */
const pouch_host *jf_host(void);

int32_t jf_writer_open(const char *path, const char *opts_json, void **ret_writer);
int32_t jf_writer_write(void *writer, int32_t stream, int64_t time_nano, const char *data, uint32_t len,
                        int32_t partial);
void jf_writer_close(void *writer);

int32_t jf_read(void *state, const char *path, const char *options_json, int32_t out_fd, const volatile int32_t *stop);

#endif
