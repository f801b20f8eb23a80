/* Engine API entries for a container's files: JSON text in and out around
 * engine/containers/archive.c, changes.c and commit.c. Archive streams are
 * the caller's fds, read or written to the end on the calling thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctr-fs.h"
#include "container-fs-api.h"
#include "api-common.h"
#include "daemon.h"
#include "error.h"

int32_t container_fs_api_changes(const pouch_host *h, const char *id, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_t *out = NULL;
    int r = ctr_changes(s, id, &out);
    return r < 0 ? r : api_dump(0, out, ret_json);
}

int32_t container_fs_api_export(const pouch_host *h, const char *id, int32_t out_fd)
{
    STORE_OR_FAIL(h);
    return ctr_export(s, id, out_fd);
}

int32_t container_fs_api_path_stat(const pouch_host *h, const char *id, const char *path, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_t *out = NULL;
    int r = ctr_path_stat(s, id, path, &out);
    return r < 0 ? r : api_dump(0, out, ret_json);
}

int32_t container_fs_api_archive_get(const pouch_host *h, const char *id, const char *path, int32_t out_fd)
{
    STORE_OR_FAIL(h);
    return ctr_archive_get(s, id, path, out_fd);
}

int32_t container_fs_api_archive_put(const pouch_host *h, const char *id, const char *path, int32_t in_fd,
                                     const char *options_json)
{
    STORE_OR_FAIL(h);
    json_auto_t *opts = options_json && *options_json ? json_loads(options_json, 0, NULL) : json_object();
    if (!json_is_object(opts))
        return err_set(-EINVAL, "archive: options must be a JSON object");
    return ctr_archive_put(s, id, path, in_fd, opts);
}

int32_t container_fs_api_commit(const pouch_host *h, const char *options_json, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_auto_t *opts = options_json && *options_json ? json_loads(options_json, 0, NULL) : NULL;
    if (!json_is_object(opts))
        return err_set(-EINVAL, "commit: options must be a JSON object");
    json_t *out = NULL;
    int r = ctr_commit(s, opts, &out);
    return r < 0 ? r : api_dump(0, out, ret_json);
}
