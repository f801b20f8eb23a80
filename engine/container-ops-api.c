/* The running-container entries of the engine API (pause, unpause, update,
 * stats, top): JSON text in and out, engine/containers/ops.c in between. */
#include <errno.h>
#include <stdlib.h>

#include "api-common.h"
#include "daemon.h"
#include "error.h"
#include "exec-api.h"
#include "exec.h"

int32_t container_ops_api_pause(const pouch_host *h, const char *id)
{
    STORE_OR_FAIL(h);
    return ctr_pause(s, id);
}

int32_t container_ops_api_unpause(const pouch_host *h, const char *id)
{
    STORE_OR_FAIL(h);
    return ctr_unpause(s, id);
}

int32_t container_ops_api_update(const pouch_host *h, const char *id, const char *config_json, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_error_t jerr;
    json_auto_t *body = json_loads(config_json && *config_json ? config_json : "{}", 0, &jerr);
    if (!json_is_object(body))
        return err_set(-EINVAL, "invalid update request: %s", body ? "not an object" : jerr.text);
    json_t *out = NULL;
    int r = ctr_update(s, id, body, &out);
    return api_dump(r, out, ret_json);
}

int32_t container_ops_api_stats(const pouch_host *h, const char *id, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_t *out = NULL;
    int r = ctr_stats(s, id, &out);
    return api_dump(r, out, ret_json);
}

int32_t container_ops_api_top(const pouch_host *h, const char *id, const char *ps_args, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_t *out = NULL;
    int r = ctr_top(s, id, ps_args, &out);
    return api_dump(r, out, ret_json);
}
