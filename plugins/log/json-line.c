/* Encoder and parser for json-file log lines. The encoder mirrors dockerd's
 * jsonlog.MarshalJSONBuf byte for byte so tools reading docker logs read
 * ours; the parser accepts any JSON object and must never crash or read out
 * of bounds on a corrupt line (it is fuzzed). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <pouch/log.h>

#include "json-line.h"
#include "log-time.h"

static const char hex[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at p, or 0 when Go's utf8.DecodeRune
 * would return (RuneError, 1): overlongs, surrogates, > U+10FFFF and
 * truncated sequences are invalid. *ret_cp gets the code point. */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned *ret_cp)
{
    unsigned c = p[0], lo = 0x80, hi = 0xbf, cp;
    size_t need;

    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        cp = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        cp = c & 0x07;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < need || p[1] < lo || p[1] > hi)
        return 0;
    cp = (cp << 6) | (p[1] & 0x3f);
    for (size_t i = 2; i < need; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    *ret_cp = cp;
    return need;
}

static char *put(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

/* ffjsonWriteJSONBytesAsString from dockerd: note tab, \b and \f become
 * \u0009, \u0008, \u000c (unlike encoding/json), which byte-compatibility
 * with files dockerd wrote requires. */
static char *put_string(char *o, const unsigned char *s, size_t len, bool newline)
{
    *o++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned char b = s[i];
        if (b < 0x80) {
            if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
                *o++ = (char)b;
            } else if (b == '\\' || b == '"') {
                *o++ = '\\';
                *o++ = (char)b;
            } else if (b == '\n') {
                o = put(o, "\\n");
            } else if (b == '\r') {
                o = put(o, "\\r");
            } else {
                o = put(o, "\\u00");
                *o++ = hex[b >> 4];
                *o++ = hex[b & 0xf];
            }
            i++;
            continue;
        }
        unsigned cp;
        size_t n = utf8_seq(s + i, len - i, &cp);
        if (n == 0) {
            o = put(o, "\\ufffd");
            i++;
        } else if (cp == 0x2028 || cp == 0x2029) {
            o = put(o, "\\u202");
            *o++ = hex[cp & 0xf];
            i += n;
        } else {
            memcpy(o, s + i, n);
            o += n;
            i += n;
        }
    }
    if (newline)
        o = put(o, "\\n");
    *o++ = '"';
    return o;
}

size_t json_line_encode(char *out, const char *data, size_t len, int newline, const char *stream, int64_t time_nano)
{
    char ts[LOG_TIME_MAX];
    char *o = out;

    /* dockerd omits "log" (omitempty) when the message is empty, which only
     * an empty partial line can be. */
    *o++ = '{';
    if (len > 0 || newline) {
        o = put(o, "\"log\":");
        o = put_string(o, (const unsigned char *)data, len, newline);
        *o++ = ',';
    }
    o = put(o, "\"stream\":");
    o = put_string(o, (const unsigned char *)stream, strlen(stream), false);
    o = put(o, ",\"time\":\"");
    size_t n = log_time_format(ts, time_nano, 0);
    memcpy(o, ts, n);
    o += n;
    o = put(o, "\"}\n");
    return (size_t)(o - out);
}

/* ---- parsing ---- */

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hex4(const char *p, unsigned *ret)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (unsigned)(ch - 'A' + 10);
        else
            return -EINVAL;
    }
    *ret = v;
    return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* Decode the string at c->p (on its opening quote) into out when out is not
 * NULL. Output never exceeds input: an escape of 6 bytes yields at most 3,
 * a pair of 12 yields 4, a lone surrogate (6) yields U+FFFD (3) as Go does. */
static int parse_string(struct cursor *c, char *out, size_t *ret_len)
{
    size_t o = 0; /* an index, not a pointer: out may be NULL */

    if (c->p >= c->end || *c->p != '"')
        return -EINVAL;
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            if (ret_len)
                *ret_len = o;
            return 0;
        }
        if (ch < 0x20)
            return -EINVAL;
        if (ch != '\\') {
            if (out)
                out[o] = (char)ch;
            o++;
            c->p++;
            continue;
        }
        if (c->end - c->p < 2)
            return -EINVAL;
        char e = c->p[1];
        c->p += 2;
        unsigned cp;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            cp = (unsigned char)e;
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (c->end - c->p < 4 || hex4(c->p, &cp) < 0)
                return -EINVAL;
            c->p += 4;
            if (cp >= 0xd800 && cp < 0xdc00) {
                unsigned lo;
                if (c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u' && hex4(c->p + 2, &lo) == 0 &&
                    lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    c->p += 6;
                } else {
                    cp = 0xfffd;
                }
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                cp = 0xfffd;
            }
            break;
        default:
            return -EINVAL;
        }
        char tmp[4];
        size_t n = (size_t)(put_utf8(tmp, cp) - tmp);
        if (out)
            memcpy(out + o, tmp, n);
        o += n;
    }
    return -EINVAL;
}

static bool is_number_char(char ch)
{
    return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E';
}

/* Skip any JSON value; depth bounds recursion on hostile nesting. */
static int skip_value(struct cursor *c, int depth)
{
    if (depth > 64)
        return -EINVAL;
    skip_ws(c);
    if (c->p >= c->end)
        return -EINVAL;
    char ch = *c->p;
    if (ch == '"')
        return parse_string(c, NULL, NULL);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return 0;
        }
        for (;;) {
            if (ch == '{') {
                skip_ws(c);
                if (parse_string(c, NULL, NULL) < 0)
                    return -EINVAL;
                skip_ws(c);
                if (c->p >= c->end || *c->p != ':')
                    return -EINVAL;
                c->p++;
            }
            if (skip_value(c, depth + 1) < 0)
                return -EINVAL;
            skip_ws(c);
            if (c->p >= c->end)
                return -EINVAL;
            if (*c->p == close) {
                c->p++;
                return 0;
            }
            if (*c->p != ',')
                return -EINVAL;
            c->p++;
        }
    }
    static const char *const literals[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(literals[i]);
        if ((size_t)(c->end - c->p) >= n && memcmp(c->p, literals[i], n) == 0) {
            c->p += n;
            return 0;
        }
    }
    /* A number: loose on purpose, a corrupt number inside ignored keys
     * should not cost the whole line. */
    const char *start = c->p;
    while (c->p < c->end && is_number_char(*c->p))
        c->p++;
    return c->p > start ? 0 : -EINVAL;
}

static bool key_is(const char *k, size_t n, const char *want)
{
    /* encoding/json matches field names case-insensitively; so do we. */
    return n == strlen(want) && strncasecmp(k, want, n) == 0;
}

static bool is_null(struct cursor *c)
{
    if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        return true;
    }
    return false;
}

int json_line_parse(const char *line, size_t len, char *logbuf, struct json_line *ret)
{
    struct cursor c = {line, line + len};
    struct json_line e = {.log = logbuf, .log_len = 0, .stream = 0};
    bool have_time = false;
    char keybuf[16];

    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{')
        return -EINVAL;
    c.p++;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            size_t klen = 0;
            skip_ws(&c);
            struct cursor k = c;
            /* Keys we care about are short; longer ones are decoded only to be skipped. */
            if (parse_string(&k, NULL, &klen) < 0)
                return -EINVAL;
            if (klen <= sizeof(keybuf)) {
                if (parse_string(&c, keybuf, &klen) < 0)
                    return -EINVAL;
            } else {
                c = k;
                klen = 0;
            }
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ':')
                return -EINVAL;
            c.p++;
            skip_ws(&c);
            if (key_is(keybuf, klen, "log")) {
                if (!is_null(&c) && parse_string(&c, logbuf, &e.log_len) < 0)
                    return -EINVAL;
            } else if (key_is(keybuf, klen, "stream")) {
                char sbuf[8];
                size_t slen = 0;
                struct cursor s = c;
                if (is_null(&c)) {
                    e.stream = 0;
                } else if (parse_string(&s, NULL, &slen) < 0) {
                    return -EINVAL;
                } else if (slen <= sizeof(sbuf)) {
                    parse_string(&c, sbuf, &slen);
                    e.stream = slen == 6 && memcmp(sbuf, "stdout", 6) == 0   ? POUCH_LOG_STDOUT
                               : slen == 6 && memcmp(sbuf, "stderr", 6) == 0 ? POUCH_LOG_STDERR
                                                                             : 0;
                } else {
                    c = s;
                    e.stream = 0;
                }
            } else if (key_is(keybuf, klen, "time")) {
                char tbuf[64];
                size_t tlen = 0;
                struct cursor t = c;
                if (parse_string(&t, NULL, &tlen) < 0 || tlen > sizeof(tbuf))
                    return -EINVAL;
                parse_string(&c, tbuf, &tlen);
                if (log_time_parse(tbuf, tlen, &e.time_nano) < 0)
                    return -EINVAL;
                have_time = true;
            } else if (skip_value(&c, 0) < 0) {
                return -EINVAL;
            }
            skip_ws(&c);
            if (c.p >= c.end)
                return -EINVAL;
            if (*c.p == '}') {
                c.p++;
                break;
            }
            if (*c.p != ',')
                return -EINVAL;
            c.p++;
        }
    }
    skip_ws(&c);
    if (c.p != c.end || !have_time)
        return -EINVAL;
    *ret = e;
    return 0;
}
