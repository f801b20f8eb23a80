/* The exec entries of the engine API: JSON text in and out, engine/containers/
 * exec.c in between. Nothing here keeps state. */
#include <errno.h>
#include <stdlib.h>

#include "api-common.h"
#include "daemon.h"
#include "error.h"
#include "exec-api.h"
#include "exec.h"

int32_t exec_api_create(const pouch_host *h, const char *id, const char *config_json, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_error_t jerr;
    json_auto_t *body = json_loads(config_json ? config_json : "", 0, &jerr);
    if (!json_is_object(body))
        return err_set(-EINVAL, "invalid exec request: %s", body ? "not an object" : jerr.text);
    json_t *out = NULL;
    int r = ctr_exec_create(s, id, body, &out);
    return api_dump(r, out, ret_json);
}

int32_t exec_api_prepare(const pouch_host *h, const char *exec_id, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_t *out = NULL;
    int r = ctr_exec_prepare(s, exec_id, &out);
    return api_dump(r, out, ret_json);
}

int32_t exec_api_start(const pouch_host *h, const char *exec_id)
{
    STORE_OR_FAIL(h);
    return ctr_exec_start(s, exec_id);
}

int32_t exec_api_inspect(const pouch_host *h, const char *exec_id, char **ret_json)
{
    STORE_OR_FAIL(h);
    json_t *out = NULL;
    int r = ctr_exec_inspect(s, exec_id, &out);
    return api_dump(r, out, ret_json);
}

int32_t exec_api_resize(const pouch_host *h, const char *exec_id, int32_t rows, int32_t cols)
{
    STORE_OR_FAIL(h);
    return ctr_exec_resize(s, exec_id, rows, cols);
}
