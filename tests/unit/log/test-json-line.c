/* The json-file line codec: dockerd's exact bytes for encoding (derived by
 * hand from jsonlog.MarshalJSONBuf and Go's time.RFC3339Nano), decoding of
 * what any JSON writer may produce, and refusal of corrupt lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pouch/log.h>

#include "json-line.h"
#include "log-time.h"

#define T0 1795894800000000000LL /* 2026-11-28T19:40:00Z */

static void check_time(int64_t t, int fixed, const char *want)
{
    char buf[LOG_TIME_MAX];
    size_t n = log_time_format(buf, t, fixed);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    int64_t back;
    assert_int_equal(log_time_parse(buf, n, &back), 0);
    assert_true(back == t);
}

static void test_time_format(void **state)
{
    check_time(T0 + 123456789, 0, "2026-11-28T19:40:00.123456789Z");
    check_time(T0 + 123450000, 0, "2026-11-28T19:40:00.12345Z");
    check_time(T0, 0, "2026-11-28T19:40:00Z");
    check_time(T0 + 1, 0, "2026-11-28T19:40:00.000000001Z");
    check_time(-1, 0, "1969-12-31T23:59:59.999999999Z");
    check_time(0, 0, "1970-01-01T00:00:00Z");
    check_time(951782400000000000LL, 0, "2000-02-29T00:00:00Z");
    /* docker logs -t: RFC3339NanoFixed */
    check_time(T0 + 100000000, 1, "2026-11-28T19:40:00.100000000Z");
    check_time(T0, 1, "2026-11-28T19:40:00.000000000Z");
}

static void test_time_parse(void **state)
{
    int64_t t;
    const char *s = "2026-11-28T21:40:00.5+02:00";
    assert_int_equal(log_time_parse(s, strlen(s), &t), 0);
    assert_true(t == T0 + 500000000);
    s = "2026-11-28T19:40:00.1234567891Z"; /* digits past ns are dropped */
    assert_int_equal(log_time_parse(s, strlen(s), &t), 0);
    assert_true(t == T0 + 123456789);
    const char *bad[] = {"",
                         "2026-11-28",
                         "2026-11-28 19:40:00Z",
                         "2026-13-28T19:40:00Z",
                         "2026-11-28T19:40:00.Z",
                         "2026-11-28T19:40:00",
                         "2026-11-28T19:40:00Zx",
                         "2026-11-28T19:40:00+0200",
                         "20x6-11-28T19:40:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(log_time_parse(bad[i], strlen(bad[i]), &t), -EINVAL);
}

static void check_encode(const char *data, size_t len, int newline, const char *stream, int64_t t, const char *want)
{
    char *out = malloc(JSON_LINE_BOUND(len));
    size_t n = json_line_encode(out, data, len, newline, stream, t);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    free(out);
}

static void test_encode_dockerd_bytes(void **state)
{
    check_encode("hello", 5, 1, "stdout", T0 + 123456789,
                 "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00.123456789Z\"}\n");
    check_encode("part", 4, 0, "stderr", T0,
                 "{\"log\":\"part\",\"stream\":\"stderr\",\"time\":\"2026-11-28T19:40:00Z\"}\n");
    /* empty partial: "log" is omitted (omitempty), empty line keeps "\n" */
    check_encode("", 0, 0, "stdout", T0, "{\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"}\n");
    check_encode("", 0, 1, "stdout", T0, "{\"log\":\"\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"}\n");

    /* HTML characters, quote, backslash; tab/\b/\f/NUL/ESC as \u00XX (dockerd's
     * ffjson escaper has no \t), \r kept short, DEL and valid UTF-8 raw. */
    static const char in1[] = "<a href=\"x\">&amp;</a>\\\t\b\f\r\x1b\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb3";
    check_encode(in1, sizeof(in1) - 1, 1, "stdout", T0,
                 "{\"log\":\"\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e\\\\\\u0009\\u0008\\u000c\\r"
                 "\\u001b\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb3\\n\",\"stream\":\"stdout\",\"time\":"
                 "\"2026-11-28T19:40:00Z\"}\n");
    static const char in2[] = "a\0b";
    check_encode(in2, 3, 0, "stdout", T0,
                 "{\"log\":\"a\\u0000b\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"}\n");
    /* U+2028/2029 escaped; every invalid byte is one \ufffd (Go's DecodeRune):
     * lone continuation, truncated 3-byte sequence (2 errors), overlong C0 80,
     * surrogate ED A0 80, F5, and a valid U+FFFD passed through raw. */
    static const char in3[] = "\xe2\x80\xa8\xe2\x80\xa9|\x80|\xe2\x82|\xc0\x80|\xed\xa0\x80|\xf5|\xef\xbf\xbd";
    check_encode(in3, sizeof(in3) - 1, 1, "stderr", T0,
                 "{\"log\":\"\\u2028\\u2029|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd|"
                 "\xef\xbf\xbd\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-28T19:40:00Z\"}\n");
    /* truncated at the very end of the message */
    check_encode("ok\xf0\x9f\x90", 5, 0, "stdout", T0,
                 "{\"log\":\"ok\\ufffd\\ufffd\\ufffd\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"}\n");
}

static void check_parse(const char *line, const char *want_log, size_t want_len, int stream, int64_t t)
{
    size_t len = strlen(line);
    char *buf = malloc(len + 1);
    struct json_line e;
    assert_int_equal(json_line_parse(line, len, buf, &e), 0);
    assert_int_equal(e.log_len, want_len);
    assert_memory_equal(e.log, want_log, want_len);
    assert_int_equal(e.stream, stream);
    assert_true(e.time_nano == t);
    free(buf);
}

static void test_parse(void **state)
{
    check_parse("{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00.123456789Z\"}", "hello\n",
                6, POUCH_LOG_STDOUT, T0 + 123456789);
    /* dockerd's attrs, other key order, whitespace, escapes, pairs, lone surrogate */
    check_parse(" { \"time\" : \"2026-11-28T19:40:00Z\", \"attrs\":{\"tag\":\"x\",\"n\":[1,2.5e3,true,null]},"
                "\"stream\":\"stderr\",\"log\":\"\\u003c\\/\\t\\ud83d\\udc33\\ud800x\\u0000\"} ",
                "</\t\xf0\x9f\x90\xb3\xef\xbf\xbdx\0", 12, POUCH_LOG_STDERR, T0);
    check_parse("{\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"}", "", 0, POUCH_LOG_STDOUT, T0);
    check_parse(
        "{\"log\":\"x\",\"stream\":\"console\",\"time\":\"2026-11-28T19:40:00Z\",\"a-very-long-unknown-key\":1}", "x",
        1, 0, T0);
}

static void test_parse_rejects_corrupt(void **state)
{
    const char *bad[] = {
        "",
        "{",
        "[]",
        "{\"log\":\"x\",\"stream\":\"stdout\"}",                                 /* no time */
        "{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"yesterday\"}",          /* bad time */
        "{\"log\":\"x,\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"}", /* broken quote */
        "{\"log\":\"x\" \"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"}",
        "{\"log\":\"\\q\",\"time\":\"2026-11-28T19:40:00Z\"}",
        "{\"log\":\"\\u12\",\"time\":\"2026-11-28T19:40:00Z\"}",
        "{\"log\":\"a\tb\",\"time\":\"2026-11-28T19:40:00Z\"}", /* raw control char */
        "{\"log\":5,\"time\":\"2026-11-28T19:40:00Z\"}",
        "{\"time\":\"2026-11-28T19:40:00Z\"} x",
        "{\"time\":\"2026-11-28T19:40:00Z\",\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
        "[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"time\":\"2026-11-28T19:40:00Z\",\"a\":}",
        "{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len = strlen(bad[i]);
        char *buf = malloc(len + 1);
        struct json_line e;
        if (json_line_parse(bad[i], len, buf, &e) != -EINVAL)
            fail_msg("accepted corrupt line %zu: %s", i, bad[i]);
        free(buf);
    }
}

static void test_roundtrip(void **state)
{
    /* Every byte value, as a line: valid UTF-8 comes back unchanged. */
    char data[300];
    size_t n = 0;
    for (int b = 0; b < 128; b++)
        data[n++] = (char)b;
    memcpy(data + n, "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x90\xb3", 9);
    n += 9;
    char *line = malloc(JSON_LINE_BOUND(n));
    size_t len = json_line_encode(line, data, n, 1, "stderr", T0 + 42);
    assert_int_equal(line[len - 1], '\n');
    char *buf = malloc(len);
    struct json_line e;
    assert_int_equal(json_line_parse(line, len - 1, buf, &e), 0);
    assert_int_equal(e.log_len, n + 1);
    assert_memory_equal(e.log, data, n);
    assert_int_equal(e.log[n], '\n');
    assert_int_equal(e.stream, POUCH_LOG_STDERR);
    assert_true(e.time_nano == T0 + 42);
    free(line);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_format),           cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_encode_dockerd_bytes),  cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_rejects_corrupt), cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
