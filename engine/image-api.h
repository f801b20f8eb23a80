/* The image entries of the engine API (image-api.c). */
#ifndef POUCH_ENGINE_IMAGE_API_H
#define POUCH_ENGINE_IMAGE_API_H

#include <pouch/engine.h>

int32_t image_api_image_load(const pouch_host *h, int32_t in_fd, pouch_progress_fn progress, void *user,
                             char **ret_json);
int32_t image_api_image_save(const pouch_host *h, const char *names_json, int32_t out_fd);
int32_t image_api_image_import(const pouch_host *h, int32_t in_fd, const char *options_json, char **ret_json);
int32_t image_api_image_list(const pouch_host *h, const char *options_json, char **ret_json);
int32_t image_api_image_inspect(const pouch_host *h, const char *name, char **ret_json);
int32_t image_api_image_history(const pouch_host *h, const char *name, char **ret_json);
int32_t image_api_image_tag(const pouch_host *h, const char *source, const char *target);
int32_t image_api_image_remove(const pouch_host *h, const char *name, int32_t force, int32_t noprune, char **ret_json);
int32_t image_api_image_prune(const pouch_host *h, const char *options_json, char **ret_json);
int32_t image_api_disk_usage(const pouch_host *h, char **ret_json);

#define IMAGE_API_ENTRIES                                                                                              \
    .image_load = image_api_image_load, .image_save = image_api_image_save, .image_import = image_api_image_import,    \
    .image_list = image_api_image_list, .image_inspect = image_api_image_inspect,                                      \
    .image_history = image_api_image_history, .image_tag = image_api_image_tag,                                        \
    .image_remove = image_api_image_remove, .image_prune = image_api_image_prune, .disk_usage = image_api_disk_usage

#endif
