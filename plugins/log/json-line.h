/* One line of a json-file log, as dockerd's json-file driver writes it:
 * {"log":"...","stream":"stdout","time":"<RFC3339Nano>"}\n. Encoding and
 * parsing only: no I/O, no allocation, safe on hostile input. */
#ifndef POUCH_LOG_JSON_LINE_H
#define POUCH_LOG_JSON_LINE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes json_line_encode may need for a message of len bytes: every input
 * byte expands to at most 6 ("\u00XX", "\ufffd"), plus the fixed parts. */
#define JSON_LINE_BOUND(len) ((size_t)(len)*6 + 128)

/* Write the line for message data[0..len) from stream ("stdout"/"stderr")
 * at time_nano into out (JSON_LINE_BOUND(len) bytes), ending in '\n'. With
 * newline = 1 the message gets its "\n" (a complete line); 0 leaves it off
 * (a partial line). Escaping is dockerd's: <, >, & as \u003c.., control
 * bytes as \u00XX except \n and \r, U+2028/2029 escaped, each invalid UTF-8
 * byte as \ufffd. Returns the number of bytes written. */
size_t json_line_encode(char *out, const char *data, size_t len, int newline, const char *stream, int64_t time_nano);

/* A parsed line. log points into the caller's buffer. */
struct json_line {
    const char *log;
    size_t log_len;
    int stream; /* POUCH_LOG_STDOUT, POUCH_LOG_STDERR, or 0 if unknown */
    int64_t time_nano;
};

/* Parse line[0..len) (without its '\n'); the decoded message goes to logbuf,
 * which must hold len bytes (decoding never grows a JSON string). Unknown
 * keys and "attrs" are skipped. Returns 0, or -EINVAL for anything that is
 * not one JSON object with a string "time" in RFC 3339. */
int json_line_parse(const char *line, size_t len, char *logbuf, struct json_line *ret);

#endif
