/* libFuzzer target: POST /containers/{id}/update bodies as any API client
 * may send them, through dockerd's checks and the translation into OCI
 * resources. A body the checks accept must translate into limits a runtime
 * can take: positive memory and cpu figures, a quota that fits the period
 * arithmetic, cpusets as given. Linked with corpus-main.c it replays a
 * corpus: fuzz-update-body-corpus DIR-or-FILE... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "update-body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect(int ok, const char *what, json_t *body)
{
    if (ok)
        return;
    char *text = json_dumps(body, JSON_COMPACT);
    fprintf(stderr, "fuzz-update-body: %s for an accepted body: %s\n", what, text ? text : "?");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (64u << 10))
        return 0;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    json_t *warnings = json_array();
    if (update_verify(body, warnings) >= 0) {
        json_t *res = update_resources(body);
        expect(json_is_object(res), "no resources object", body);
        json_t *mem = json_object_get(res, "memory"), *cpu = json_object_get(res, "cpu");
        json_int_t limit = json_integer_value(json_object_get(mem, "limit"));
        expect(!json_object_get(mem, "limit") || limit < 0 || limit >= 6 * 1024 * 1024, "memory limit under 6MB",
               body);
        json_int_t period = json_integer_value(json_object_get(cpu, "period"));
        json_int_t quota = json_integer_value(json_object_get(cpu, "quota"));
        expect(!json_object_get(cpu, "period") || (period >= 1000 && period <= 1000000), "cpu period out of range",
               body);
        expect(!json_object_get(cpu, "quota") || quota != 0, "zero cpu quota", body);
        json_decref(res);
    } else {
        expect(err_get()[0] != '\0', "a refusal without a message", body);
    }
    json_decref(warnings);
    json_decref(body);
    return 0;
}
