/* The exec and running-container entries of the engine API (exec-api.c,
 * container-ops-api.c), added to engine_api by engine-api.c. */
#ifndef POUCH_ENGINE_EXEC_API_H
#define POUCH_ENGINE_EXEC_API_H

#include <pouch/engine.h>

int32_t exec_api_create(const pouch_host *h, const char *id, const char *config_json, char **ret_json);
int32_t exec_api_prepare(const pouch_host *h, const char *exec_id, char **ret_json);
int32_t exec_api_start(const pouch_host *h, const char *exec_id);
int32_t exec_api_inspect(const pouch_host *h, const char *exec_id, char **ret_json);
int32_t exec_api_resize(const pouch_host *h, const char *exec_id, int32_t rows, int32_t cols);

int32_t container_ops_api_pause(const pouch_host *h, const char *id);
int32_t container_ops_api_unpause(const pouch_host *h, const char *id);
int32_t container_ops_api_update(const pouch_host *h, const char *id, const char *config_json, char **ret_json);
int32_t container_ops_api_stats(const pouch_host *h, const char *id, char **ret_json);
int32_t container_ops_api_top(const pouch_host *h, const char *id, const char *ps_args, char **ret_json);

#define EXEC_API_ENTRIES                                                                                               \
    .exec_create = exec_api_create, .exec_prepare = exec_api_prepare, .exec_start = exec_api_start,                    \
    .exec_inspect = exec_api_inspect, .exec_resize = exec_api_resize

#define CONTAINER_OPS_API_ENTRIES                                                                                      \
    .container_pause = container_ops_api_pause, .container_unpause = container_ops_api_unpause,                        \
    .container_update = container_ops_api_update, .container_stats = container_ops_api_stats,                          \
    .container_top = container_ops_api_top

#endif
