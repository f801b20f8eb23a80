/* The container entries of the engine API (container-api.c). */
#ifndef POUCH_ENGINE_CONTAINER_API_H
#define POUCH_ENGINE_CONTAINER_API_H

#include <pouch/engine.h>

int32_t container_api_create(const pouch_host *h, const char *name, const char *config_json, char **ret_json);
int32_t container_api_start(const pouch_host *h, const char *id);
int32_t container_api_stop(const pouch_host *h, const char *id, int32_t timeout);
int32_t container_api_kill(const pouch_host *h, const char *id, const char *signal);
int32_t container_api_restart(const pouch_host *h, const char *id, int32_t timeout);
int32_t container_api_wait(const pouch_host *h, const char *id, const char *condition, char **ret_json);
int32_t container_api_remove(const pouch_host *h, const char *id, int32_t force, int32_t volumes);
int32_t container_api_rename(const pouch_host *h, const char *id, const char *new_name);
int32_t container_api_prune(const pouch_host *h, const char *filters_json, char **ret_json);
int32_t container_api_list(const pouch_host *h, const char *options_json, char **ret_json);
int32_t container_api_inspect(const pouch_host *h, const char *id, int32_t size, char **ret_json);
int32_t container_api_logs(const pouch_host *h, const char *id, const char *options_json, int32_t out_fd,
                           const volatile int32_t *stop);
int32_t container_api_attach(const pouch_host *h, const char *id, char **ret_json);
int32_t container_api_resize(const pouch_host *h, const char *id, int32_t rows, int32_t cols);

#define CONTAINER_API_ENTRIES                                                                                          \
    .container_create = container_api_create, .container_start = container_api_start,                                  \
    .container_stop = container_api_stop, .container_kill = container_api_kill,                                        \
    .container_restart = container_api_restart, .container_wait = container_api_wait,                                  \
    .container_remove = container_api_remove, .container_rename = container_api_rename,                                \
    .container_prune = container_api_prune, .container_list = container_api_list,                                      \
    .container_inspect = container_api_inspect, .container_logs = container_api_logs,                                  \
    .container_attach = container_api_attach, .container_resize = container_api_resize

#endif
