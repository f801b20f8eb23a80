/* libFuzzer target for the json-file line codec: any bytes given to the
 * parser are accepted or refused without crashing or reading out of bounds,
 * and encoding any bytes yields a line the parser reads back to the same
 * message (invalid UTF-8 aside). Built without libFuzzer
 * (linked with corpus-main.c) it replays a corpus: fuzz-log-json-file-corpus DIR... */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/log.h>

#include "cleanup.h"
#include "json-line.h"
#include "log-time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_utf8(const uint8_t *s, size_t n)
{
    /* Only what the encoder would leave untouched counts as a round trip. */
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t need = c < 0x80                 ? 1
                      : c >= 0xc2 && c <= 0xdf ? 2
                      : c >= 0xe0 && c <= 0xef ? 3
                      : c >= 0xf0 && c <= 0xf4 ? 4
                                               : 0;
        if (!need || n - i < need)
            return 0;
        if (need >= 2) {
            uint8_t lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
            uint8_t hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
            if (s[i + 1] < lo || s[i + 1] > hi)
                return 0;
            for (size_t k = 2; k < need; k++)
                if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                    return 0;
        }
        i += need;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Parse: the exact input as one line, in a buffer of exactly its size
     * so ASan sees any overread. */
    char *line = malloc(size ? size : 1), *dec = malloc(size ? size : 1);
    struct json_line e;
    if (!line || !dec)
        abort();
    memcpy(line, data, size);
    if (json_line_parse(line, size, dec, &e) == 0) {
        if (e.log_len > size || (e.stream != 0 && e.stream != POUCH_LOG_STDOUT && e.stream != POUCH_LOG_STDERR))
            abort();
        char ts[LOG_TIME_MAX];
        log_time_format(ts, e.time_nano, 1);
    }
    free(line);
    free(dec);

    /* Encode then parse back. */
    int64_t t = 0;
    if (size >= 8)
        memcpy(&t, data, 8);
    size_t bound = JSON_LINE_BOUND(size);
    char *enc = malloc(bound);
    if (!enc)
        abort();
    size_t n = json_line_encode(enc, (const char *)data, size, size % 2, "stderr", t);
    if (n > bound || n == 0 || enc[n - 1] != '\n' || memchr(enc, '\n', n - 1))
        abort();
    dec = malloc(n);
    if (!dec)
        abort();
    if (json_line_parse(enc, n - 1, dec, &e) != 0 || e.time_nano != t || e.stream != POUCH_LOG_STDERR)
        abort();
    if (valid_utf8(data, size)) {
        size_t want = size + size % 2;
        if (e.log_len != want || memcmp(e.log, data, size) != 0 || (size % 2 && e.log[size] != '\n'))
            abort();
    }
    free(enc);
    free(dec);
    return 0;
}
