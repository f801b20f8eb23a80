/* libFuzzer target: since/until timestamps, percent-decoding and routing of
 * a request path, the parts of a query a client controls byte for byte.
 * It must never crash or read past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events-filter.h"
#include "router.h"

static int h(struct request *r)
{
    return 0;
}

static const struct route table[] = {
    {"GET", "/_ping", h, 0},
    {"GET", "/containers/{id}/json", h, 0},
    {"GET", "/images/{name*}/json", h, 0},
    {"POST", "/containers/{id}/exec/{name}", h, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    int64_t ns = 0;
    bool set;
    char *msg = NULL;
    if (event_time_parse(text, &ns, &set, &msg) < 0) {
        if (!msg)
            abort();
        free(msg);
    }

    char out[64];
    url_decode((const char *)data, size, out, sizeof(out));

    struct route_result rr;
    router_resolve(table, sizeof(table) / sizeof(table[0]), "GET", text, &rr);
    if (rr.status != ROUTE_NOT_FOUND && !rr.route)
        abort();
    router_resolve(table, sizeof(table) / sizeof(table[0]), "POST", text, &rr);
    for (size_t i = 0; i < rr.params.n; i++)
        if (strlen(rr.params.v[i].value) >= ROUTE_PARAM_LEN)
            abort();
    free(text);
    return 0;
}
