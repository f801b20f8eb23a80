/* The container filesystem entries of the engine API (container-fs-api.c):
 * docker cp (path stat, archive get/put), export, diff and commit. */
#ifndef POUCH_ENGINE_CONTAINER_FS_API_H
#define POUCH_ENGINE_CONTAINER_FS_API_H

#include <pouch/engine.h>

int32_t container_fs_api_changes(const pouch_host *h, const char *id, char **ret_json);
int32_t container_fs_api_export(const pouch_host *h, const char *id, int32_t out_fd);
int32_t container_fs_api_path_stat(const pouch_host *h, const char *id, const char *path, char **ret_json);
int32_t container_fs_api_archive_get(const pouch_host *h, const char *id, const char *path, int32_t out_fd);
int32_t container_fs_api_archive_put(const pouch_host *h, const char *id, const char *path, int32_t in_fd,
                                     const char *options_json);
int32_t container_fs_api_commit(const pouch_host *h, const char *options_json, char **ret_json);

#define CONTAINER_FS_API_ENTRIES                                                                                       \
    .container_changes = container_fs_api_changes, .container_export = container_fs_api_export,                        \
    .container_path_stat = container_fs_api_path_stat, .container_archive_get = container_fs_api_archive_get,          \
    .container_archive_put = container_fs_api_archive_put, .container_commit = container_fs_api_commit

#endif
