/* libFuzzer target: the /events filters parameter, then matching and
 * rendering against a few events, as a hostile client would drive them.
 * It must never crash, leak or accept a filter it then mis-handles. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events-filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct event_filter f;
    char *msg = NULL;
    int r = event_filter_parse(text, &f, &msg);
    if (r < 0) {
        if (!msg || !*msg)
            abort(); /* a rejected filter must tell the client why */
        free(msg);
        free(text);
        return 0;
    }
    static const char *const attrs[] = {"{\"image\":\"busybox:latest\",\"name\":\"web\",\"env\":\"prod\"}", "{}", NULL};
    static const char *const types[] = {"container", "image", "daemon", "plugin", "network"};
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        for (size_t a = 0; a < 3; a++) {
            pouch_event ev = {.size = sizeof(ev),
                              .type = types[t],
                              .action = "start",
                              .actor_id = "abc123",
                              .attributes = attrs[a],
                              .time_nano = 1};
            json_t *j = attrs[a] ? json_loads(attrs[a], 0, NULL) : NULL;
            if (event_filter_match(&f, &ev, j)) {
                char *line = event_render(&ev, j);
                if (!line || line[strlen(line) - 1] != '\n')
                    abort();
                free(line);
            }
            json_decref(j);
        }
    }
    event_filter_done(&f);
    free(text);
    return 0;
}
