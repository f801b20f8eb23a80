/* The log-none plugin: containers' output is discarded, as dockerd's "none"
 * driver. Any options are accepted (dockerd skips validation for "none");
 * reading is refused with dockerd's message. */
#include <errno.h>
#include <stddef.h>

#include <pouch/host.h>
#include <pouch/log.h>
#include <pouch/plugin.h>

/* Writers need some non-NULL handle; there is no per-writer state. */
static char none_writer_handle;

static int32_t none_writer_open(const char *path, const char *opts_json, void **ret_writer)
{
    if (ret_writer)
        *ret_writer = &none_writer_handle;
    return 0;
}

static int32_t none_writer_write(void *writer, int32_t stream, int64_t time_nano, const char *data, uint32_t len,
                                 int32_t partial)
{
    return 0;
}

static void none_writer_close(void *writer)
{
}

static int32_t none_init(const pouch_host *host, void **ret_state)
{
    *ret_state = (void *)host;
    return 0;
}

static int32_t none_read(void *state, const char *path, const char *options_json, int32_t out_fd,
                         const volatile int32_t *stop)
{
    const pouch_host *host = state;

    if (host && host->error)
        return host->error(host, -ENOTSUP, "configured logging driver does not support reading");
    return -ENOTSUP;
}

static const pouch_log_ops none_ops = {
    .size = sizeof(pouch_log_ops),
    .writer_open = none_writer_open,
    .writer_write = none_writer_write,
    .writer_close = none_writer_close,
    .read = none_read,
};

static const pouch_plugin_descriptor none_descriptor = {
    .size = sizeof(pouch_plugin_descriptor),
    .abi_major = POUCH_ABI_MAJOR,
    .abi_minor = POUCH_ABI_MINOR,
    .name = "log-none",
    .version = POUCH_LOG_PLUGIN_VERSION,
    .license = "Apache-2.0",
    .summary = "none log driver: container output is discarded",
    .kind = POUCH_KIND_LOG,
    .init = none_init,
    .fini = NULL,
    .ops = &none_ops,
};

POUCH_PLUGIN_DEFINE(none_descriptor)
