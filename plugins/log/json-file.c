/* The log-json-file plugin: descriptor, init/fini and error reporting. The
 * writer methods run in the shim without init, so nothing here may be a
 * precondition of writing. */
#include <stdarg.h>
#include <stdio.h>

#include <pouch/log.h>
#include <pouch/plugin.h>

#include "json-file.h"

/* Set by init in pouchd only; read-only afterwards, so readers on several
 * threads may use it without locking. */
static const pouch_host *jf_init_host;

const pouch_host *jf_host(void)
{
    return jf_init_host;
}

int jf_report(const pouch_host *host, int err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!host)
        host = jf_init_host;
    if (host && host->error)
        return host->error(host, err, "%s", msg);
    fprintf(stderr, "log-json-file: %s\n", msg);
    return err;
}

static int32_t jf_init(const pouch_host *host, void **ret_state)
{
    jf_init_host = host;
    *ret_state = (void *)host;
    return 0;
}

static void jf_fini(void *state)
{
    jf_init_host = NULL;
}

static const pouch_log_ops jf_ops = {
    .size = sizeof(pouch_log_ops),
    .writer_open = jf_writer_open,
    .writer_write = jf_writer_write,
    .writer_close = jf_writer_close,
    .read = jf_read,
};

static const pouch_plugin_descriptor jf_descriptor = {
    .size = sizeof(pouch_plugin_descriptor),
    .abi_major = POUCH_ABI_MAJOR,
    .abi_minor = POUCH_ABI_MINOR,
    .name = "log-json-file",
    .version = POUCH_LOG_PLUGIN_VERSION,
    .license = "Apache-2.0",
    .summary = "json-file log driver, byte-compatible with dockerd's, with rotation",
    .kind = POUCH_KIND_LOG,
    .init = jf_init,
    .fini = jf_fini,
    .ops = &jf_ops,
};

POUCH_PLUGIN_DEFINE(jf_descriptor)
