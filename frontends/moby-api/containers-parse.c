/* Pure parsers behind the /containers endpoints: Go-compatible integer and
 * JSON syntax errors, signal names, detach keys and the escape matcher.
 * No I/O and no MHD here: everything is unit-tested, and must never read
 * past the length it is given (the input comes straight off the network). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "moby-api.h"

int go_atoi(const char *text, long long *ret, char *msg, size_t cap)
{
    const char *p = text ? text : "";
    const char *digits = p + (*p == '+' || *p == '-');
    bool neg = *p == '-';
    unsigned long long v = 0;
    bool range = false;
    if (!*digits)
        goto syntax;
    for (const char *d = digits; *d; d++) {
        if (*d < '0' || *d > '9')
            goto syntax;
        if (v > (ULLONG_MAX - 9) / 10)
            range = true;
        else
            v = v * 10 + (unsigned)(*d - '0');
    }
    if (range || v > (unsigned long long)LLONG_MAX + neg) {
        snprintf(msg, cap, "strconv.Atoi: parsing \"%s\": value out of range", p);
        return -ERANGE;
    }
    *ret = neg ? (long long)(0 - v) : (long long)v;
    return 0;
syntax:
    snprintf(msg, cap, "strconv.Atoi: parsing \"%s\": invalid syntax", p);
    return -EINVAL;
}

/* ---- Go encoding/json syntax errors, for json.Decoder.Decode ---- */

struct scan {
    const unsigned char *p, *end;
    char *msg;
    size_t cap;
};

/* Go's quoteChar: the offending byte as a Go rune literal. */
static void quote_char(unsigned char c, char *buf, size_t cap)
{
    static const char esc[] = {
        ['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v'};
    if (c == '\'')
        snprintf(buf, cap, "'\\''");
    else if (c == '\\')
        snprintf(buf, cap, "'\\\\'");
    else if (c < sizeof(esc) && esc[c])
        snprintf(buf, cap, "'\\%c'", esc[c]);
    else if (c < 0x20 || c == 0x7f)
        snprintf(buf, cap, "'\\x%02x'", c);
    else if (c < 0x80)
        snprintf(buf, cap, "'%c'", c);
    else if (c < 0xa1 || c == 0xad)
        snprintf(buf, cap, "'\\u%04x'", c); /* not printable in Go's tables */
    else
        snprintf(buf, cap, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
}

static int scan_fail(struct scan *s, const char *context)
{
    if (s->p >= s->end) {
        snprintf(s->msg, s->cap, "unexpected EOF");
    } else {
        char q[16];
        quote_char(*s->p, q, sizeof(q));
        snprintf(s->msg, s->cap, "invalid character %s %s", q, context);
    }
    return -EINVAL;
}

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
        s->p++;
}

static bool is_digit(const struct scan *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static int scan_string(struct scan *s)
{
    s->p++; /* the opening quote */
    for (;;) {
        if (s->p >= s->end)
            return scan_fail(s, "");
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c < 0x20)
            return scan_fail(s, "in string literal");
        s->p++;
        if (c != '\\')
            continue;
        if (s->p >= s->end)
            return scan_fail(s, "");
        c = *s->p;
        if (c == 'u') {
            s->p++;
            for (int i = 0; i < 4; i++, s->p++) {
                if (s->p >= s->end)
                    return scan_fail(s, "");
                if (!strchr("0123456789abcdefABCDEF", *s->p) || !*s->p)
                    return scan_fail(s, "in \\u hexadecimal character escape");
            }
            continue;
        }
        if (!c || !strchr("\"\\/bfnrt", c))
            return scan_fail(s, "in string escape code");
        s->p++;
    }
}

static int scan_number(struct scan *s)
{
    if (*s->p == '-') {
        s->p++;
        if (!is_digit(s))
            return scan_fail(s, "in numeric literal");
    }
    if (*s->p == '0')
        s->p++;
    else
        while (is_digit(s))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!is_digit(s))
            return scan_fail(s, "after decimal point in numeric literal");
        while (is_digit(s))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!is_digit(s))
            return scan_fail(s, "in exponent of numeric literal");
        while (is_digit(s))
            s->p++;
    }
    return 0;
}

static int scan_literal(struct scan *s, const char *word)
{
    char ctx[48];
    s->p++;
    for (const char *w = word + 1; *w; w++, s->p++) {
        if (s->p >= s->end || *s->p != (unsigned char)*w) {
            snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')", word, *w);
            return scan_fail(s, ctx);
        }
    }
    return 0;
}

static int scan_value(struct scan *s, int depth);

static int scan_object(struct scan *s, int depth)
{
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            return scan_fail(s, "looking for beginning of object key string");
        int r = scan_string(s);
        if (r < 0)
            return r;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return scan_fail(s, "after object key");
        s->p++;
        r = scan_value(s, depth + 1);
        if (r < 0)
            return r;
        skip_ws(s);
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        if (s->p >= s->end || *s->p != ',')
            return scan_fail(s, "after object key:value pair");
        s->p++;
        skip_ws(s);
    }
}

static int scan_array(struct scan *s, int depth)
{
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        int r = scan_value(s, depth + 1);
        if (r < 0)
            return r;
        skip_ws(s);
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        if (s->p >= s->end || *s->p != ',')
            return scan_fail(s, "after array element");
        s->p++;
    }
}

static int scan_value(struct scan *s, int depth)
{
    skip_ws(s);
    if (depth > 10000) { /* Go's maxNestingDepth */
        snprintf(s->msg, s->cap, "exceeded max depth");
        return -EINVAL;
    }
    if (s->p >= s->end)
        return scan_fail(s, "");
    switch (*s->p) {
    case '{':
        return scan_object(s, depth);
    case '[':
        return scan_array(s, depth);
    case '"':
        return scan_string(s);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return scan_number(s);
        return scan_fail(s, "looking for beginning of value");
    }
}

int go_json_first_value(const char *buf, size_t len, size_t *ret_start, size_t *ret_end, char *msg, size_t cap)
{
    struct scan s = {.p = (const unsigned char *)buf, .end = (const unsigned char *)buf + len, .msg = msg, .cap = cap};
    skip_ws(&s);
    if (s.p >= s.end) {
        snprintf(msg, cap, "EOF");
        return -ENODATA;
    }
    size_t start = (size_t)((const char *)s.p - buf);
    int r = scan_value(&s, 0);
    if (r < 0)
        return r;
    *ret_start = start;
    *ret_end = (size_t)((const char *)s.p - buf);
    return 0;
}

/* ---- signals, as dockerd's pkg/signal.ParseSignal reads them ---- */

static const struct {
    const char *name;
    int sig;
} signal_names[] = {
    {"ABRT", 6},  {"ALRM", 14}, {"BUS", 7},     {"CHLD", 17},  {"CLD", 17},  {"CONT", 18},   {"FPE", 8},
    {"HUP", 1},   {"ILL", 4},   {"INT", 2},     {"IO", 29},    {"IOT", 6},   {"KILL", 9},    {"PIPE", 13},
    {"POLL", 29}, {"PROF", 27}, {"PWR", 30},    {"QUIT", 3},   {"SEGV", 11}, {"STKFLT", 16}, {"STOP", 19},
    {"SYS", 31},  {"TERM", 15}, {"TRAP", 5},    {"TSTP", 20},  {"TTIN", 21}, {"TTOU", 22},   {"URG", 23},
    {"USR1", 10}, {"USR2", 12}, {"VTALRM", 26}, {"WINCH", 28}, {"XCPU", 24}, {"XFSZ", 25},
};

int container_signal_parse(const char *text, int *ret_sig)
{
    long long n;
    char msg[8];
    if (!text || !*text)
        return -EINVAL;
    if (go_atoi(text, &n, msg, sizeof(msg)) == 0) {
        /* dockerd passes any other number through; a non-positive one can
         * only be a mistake, so it is refused here. */
        if (n <= 0 || n > INT_MAX)
            return -EINVAL;
        *ret_sig = (int)n;
        return 0;
    }
    const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
        if (strcasecmp(name, signal_names[i].name) == 0) {
            *ret_sig = signal_names[i].sig;
            return 0;
        }
    /* RTMIN, RTMIN+1..15, RTMAX-14..1, RTMAX */
    const int rtmin = 34, rtmax = 64;
    if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
        bool min = strncasecmp(name, "RTMIN", 5) == 0;
        const char *rest = name + 5;
        if (!*rest) {
            *ret_sig = min ? rtmin : rtmax;
            return 0;
        }
        if (*rest != (min ? '+' : '-') || rest[1] < '1' || rest[1] > '9')
            return -EINVAL;
        char *endp;
        long off = strtol(rest + 1, &endp, 10);
        if (*endp || off < 1 || off > (min ? 15 : 14) || (rest[1] == '0'))
            return -EINVAL;
        *ret_sig = min ? rtmin + (int)off : rtmax - (int)off;
        return 0;
    }
    return -EINVAL;
}

/* ---- detach keys, as github.com/moby/term.ToBytes reads them ---- */

int detach_keys_parse(const char *text, unsigned char *buf, size_t cap, size_t *ret_len)
{
    size_t n = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int code = -1;
        if (len == 1)
            code = (unsigned char)*p;
        else if (len == 3 && strncmp(p, "DEL", 3) == 0)
            code = 127;
        else if (len == 6 && strncmp(p, "ctrl-", 5) == 0) {
            char c = p[5];
            if (c >= 'a' && c <= 'z')
                code = c - 'a' + 1;
            else if (c == '@')
                code = 0;
            else if (c >= '[' && c <= '_')
                code = 27 + (c - '[');
        }
        if (code < 0 || n >= cap)
            return -EINVAL;
        buf[n++] = (unsigned char)code;
        if (!comma)
            break;
        p = comma + 1;
    }
    *ret_len = n;
    return 0;
}

/* Like moby/term's escapeProxy: bytes that could start the sequence are
 * held back until it either completes (detach) or breaks (they go through). */
size_t escape_feed(struct escape_matcher *m, const unsigned char *in, size_t len, unsigned char *out,
                   bool *ret_detached)
{
    size_t o = 0;
    *ret_detached = false;
    if (m->n_keys == 0) {
        memcpy(out, in, len);
        return len;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = in[i];
        if (c == m->keys[m->matched]) {
            m->matched++;
            if (m->matched == m->n_keys) {
                m->matched = 0;
                *ret_detached = true;
                return o;
            }
            continue;
        }
        /* The sequence broke: release what was held, then this byte (which
         * may itself start a new sequence). */
        memcpy(out + o, m->keys, m->matched);
        o += m->matched;
        m->matched = 0;
        if (c == m->keys[0]) {
            m->matched = 1;
            if (m->n_keys == 1) {
                m->matched = 0;
                *ret_detached = true;
                return o;
            }
            continue;
        }
        out[o++] = c;
    }
    return o;
}

int64_t logs_tail_parse(const char *text)
{
    long long n;
    char msg[8];
    if (!text || !*text || strcmp(text, "all") == 0 || go_atoi(text, &n, msg, sizeof(msg)) < 0 || n < 0)
        return -1;
    return n;
}
