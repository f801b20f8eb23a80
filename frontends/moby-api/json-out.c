/* JSON text the way Go's encoding/json writes it (json.Encoder: compact,
 * HTML-safe, newline-terminated). Must never reorder keys or change values. */
#include "json-out.h"

#include <stdlib.h>
#include <string.h>

/* The bytes Go escapes in strings beyond what jansson does. They can only
 * occur inside JSON strings, so rewriting the dumped text is safe. */
static size_t extra_len(const unsigned char *s, size_t i, size_t n)
{
    if (s[i] == '<' || s[i] == '>' || s[i] == '&')
        return 6;
    if (s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
        return 6;
    return 0;
}

char *json_dump_go(const json_t *v, size_t *ret_len)
{
    char *raw = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!raw)
        return NULL;
    const unsigned char *s = (const unsigned char *)raw;
    size_t n = strlen(raw), out_len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t e = extra_len(s, i, n);
        out_len += e ? e : 1;
        if (e && s[i] == 0xe2)
            i += 2;
    }
    char *out = malloc(out_len + 2);
    if (!out) {
        free(raw);
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (!extra_len(s, i, n)) {
            out[o++] = raw[i];
            continue;
        }
        unsigned code = s[i] == 0xe2 ? (s[i + 2] == 0xa8 ? 0x2028 : 0x2029) : s[i];
        static const char hex[] = "0123456789abcdef";
        memcpy(out + o, "\\u", 2);
        out[o + 2] = hex[(code >> 12) & 15];
        out[o + 3] = hex[(code >> 8) & 15];
        out[o + 4] = hex[(code >> 4) & 15];
        out[o + 5] = hex[code & 15];
        o += 6;
        if (s[i] == 0xe2)
            i += 2;
    }
    out[o++] = '\n';
    out[o] = '\0';
    free(raw);
    if (ret_len)
        *ret_len = o;
    return out;
}
