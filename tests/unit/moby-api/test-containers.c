/* The pure parts of the /containers endpoints: Go-compatible integer and
 * JSON errors (the messages dockerd 20.10 sends), signal names, detach keys
 * and their escape matcher, and the logs tail parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "moby-api.h"

static void atoi_like_go(void **st)
{
    long long v = 0;
    char msg[128];
    assert_int_equal(go_atoi("42", &v, msg, sizeof(msg)), 0);
    assert_int_equal(v, 42);
    assert_int_equal(go_atoi("-7", &v, msg, sizeof(msg)), 0);
    assert_int_equal(v, -7);
    assert_int_equal(go_atoi("+3", &v, msg, sizeof(msg)), 0);
    assert_int_equal(v, 3);
    assert_int_equal(go_atoi("abc", &v, msg, sizeof(msg)), -EINVAL);
    assert_string_equal(msg, "strconv.Atoi: parsing \"abc\": invalid syntax");
    assert_int_equal(go_atoi("", &v, msg, sizeof(msg)), -EINVAL);
    assert_string_equal(msg, "strconv.Atoi: parsing \"\": invalid syntax");
    assert_int_equal(go_atoi(NULL, &v, msg, sizeof(msg)), -EINVAL);
    assert_int_equal(go_atoi("1 ", &v, msg, sizeof(msg)), -EINVAL);
    assert_int_equal(go_atoi("99999999999999999999", &v, msg, sizeof(msg)), -ERANGE);
    assert_string_equal(msg, "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
    assert_int_equal(go_atoi("-9223372036854775808", &v, msg, sizeof(msg)), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(go_atoi("9223372036854775808", &v, msg, sizeof(msg)), -ERANGE);
}

/* Each message below is what dockerd 20.10 answered for the same body. */
static void json_errors_like_go(void **st)
{
    static const struct {
        const char *body, *msg;
    } cases[] = {
        {"{bad", "invalid character 'b' looking for beginning of object key string"},
        {"", "EOF"},
        {" \n", "EOF"},
        {"{\"Image\":\"busybox\"", "unexpected EOF"},
        {"\"abc", "unexpected EOF"},
        {"{\"a\":tru}", "invalid character '}' in literal true (expecting 'e')"},
        {"{\"a\":1.}", "invalid character '}' after decimal point in numeric literal"},
        {"{\"a\" 1}", "invalid character '1' after object key"},
        {"{\"a\":1 \"b\"}", "invalid character '\"' after object key:value pair"},
        {"[1 2]", "invalid character '2' after array element"},
        {"[1,]", "invalid character ']' looking for beginning of value"},
        {"{\"a\":-x}", "invalid character 'x' in numeric literal"},
        {"{\"a\":1e}", "invalid character '}' in exponent of numeric literal"},
        {"{\"a\":\"\\q\"}", "invalid character 'q' in string escape code"},
        {"{\"a\":\"\\u12g4\"}", "invalid character 'g' in \\u hexadecimal character escape"},
        {"{\"a\":\"x\ny\"}", "invalid character '\\n' in string literal"},
        {"{\"a\":nul}", "invalid character '}' in literal null (expecting 'l')"},
        {"'", "invalid character '\\'' looking for beginning of value"},
        {"\x01", "invalid character '\\x01' looking for beginning of value"},
        {"\xc3", "invalid character '\xc3\x83' looking for beginning of value"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char msg[256] = "";
        size_t s, e;
        int r = go_json_first_value(cases[i].body, strlen(cases[i].body), &s, &e, msg, sizeof(msg));
        assert_true(r < 0);
        assert_string_equal(msg, cases[i].msg);
    }
}

static void json_first_value_only(void **st)
{
    /* dockerd's decoder reads one value and ignores what follows */
    const char *body = "  {\"Image\":\"busybox\",\"Cmd\":[\"a\",1.5e3,true,null,{}]} xx";
    size_t s, e;
    char msg[64];
    assert_int_equal(go_json_first_value(body, strlen(body), &s, &e, msg, sizeof(msg)), 0);
    assert_int_equal(s, 2);
    assert_memory_equal(body + e - 2, "]}", 2);
    assert_int_equal(body[e], ' ');
    const char *num = "-0.5E+2";
    assert_int_equal(go_json_first_value(num, strlen(num), &s, &e, msg, sizeof(msg)), 0);
    assert_int_equal(e, strlen(num));
    /* a length shorter than the string is honoured */
    assert_int_equal(go_json_first_value("{\"a\":1}", 5, &s, &e, msg, sizeof(msg)), -EINVAL);
    assert_string_equal(msg, "unexpected EOF");
}

static void signals(void **st)
{
    int s = 0;
    assert_int_equal(container_signal_parse("KILL", &s), 0);
    assert_int_equal(s, 9);
    assert_int_equal(container_signal_parse("sigterm", &s), 0);
    assert_int_equal(s, 15);
    assert_int_equal(container_signal_parse("SIGHUP", &s), 0);
    assert_int_equal(s, 1);
    assert_int_equal(container_signal_parse("10", &s), 0);
    assert_int_equal(s, 10);
    assert_int_equal(container_signal_parse("RTMIN", &s), 0);
    assert_int_equal(s, 34);
    assert_int_equal(container_signal_parse("SIGRTMIN+3", &s), 0);
    assert_int_equal(s, 37);
    assert_int_equal(container_signal_parse("RTMAX-1", &s), 0);
    assert_int_equal(s, 63);
    assert_int_equal(container_signal_parse("RTMAX", &s), 0);
    assert_int_equal(s, 64);
    assert_int_equal(container_signal_parse("FOO", &s), -EINVAL);
    assert_int_equal(container_signal_parse("0", &s), -EINVAL);
    assert_int_equal(container_signal_parse("", &s), -EINVAL);
    assert_int_equal(container_signal_parse("RTMIN+16", &s), -EINVAL);
    assert_int_equal(container_signal_parse("RTMAX+1", &s), -EINVAL);
    assert_int_equal(container_signal_parse("SIG", &s), -EINVAL);
}

static void detach_keys(void **st)
{
    unsigned char k[DETACH_KEYS_MAX];
    size_t n;
    assert_int_equal(detach_keys_parse(DETACH_KEYS_DEFAULT, k, sizeof(k), &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(k[0], 16);
    assert_int_equal(k[1], 17);
    assert_int_equal(detach_keys_parse("ctrl-@,a,DEL,ctrl-[,ctrl-_", k, sizeof(k), &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(k, "\0a\x7f\x1b\x1f", 5);
    assert_int_equal(detach_keys_parse("ctrl-P", k, sizeof(k), &n), -EINVAL);
    assert_int_equal(detach_keys_parse("ab", k, sizeof(k), &n), -EINVAL);
    assert_int_equal(detach_keys_parse("a,", k, sizeof(k), &n), -EINVAL);
}

static void escape_matcher(void **st)
{
    struct escape_matcher m = {.keys = {16, 17}, .n_keys = 2};
    unsigned char out[64 + DETACH_KEYS_MAX];
    bool det;
    /* plain bytes pass */
    size_t n = escape_feed(&m, (const unsigned char *)"hi\n", 3, out, &det);
    assert_int_equal(n, 3);
    assert_false(det);
    assert_memory_equal(out, "hi\n", 3);
    /* a held prefix is released when the sequence breaks, across reads */
    n = escape_feed(&m, (const unsigned char *)"a\x10", 2, out, &det);
    assert_int_equal(n, 1);
    assert_false(det);
    n = escape_feed(&m, (const unsigned char *)"b", 1, out, &det);
    assert_int_equal(n, 2);
    assert_memory_equal(out,
                        "\x10"
                        "b",
                        2);
    /* ctrl-p ctrl-p ctrl-q: the first is released, then detach */
    n = escape_feed(&m, (const unsigned char *)"\x10\x10\x11zz", 5, out, &det);
    assert_true(det);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0x10);
    /* the sequence split over two reads */
    n = escape_feed(&m, (const unsigned char *)"x\x10", 2, out, &det);
    assert_false(det);
    n = escape_feed(&m, (const unsigned char *)"\x11", 1, out, &det);
    assert_true(det);
    assert_int_equal(n, 0);
    /* no keys: never detaches */
    struct escape_matcher none = {.n_keys = 0};
    n = escape_feed(&none, (const unsigned char *)"\x10\x11", 2, out, &det);
    assert_int_equal(n, 2);
    assert_false(det);
}

static void tail(void **st)
{
    assert_int_equal(logs_tail_parse(NULL), -1);
    assert_int_equal(logs_tail_parse("all"), -1);
    assert_int_equal(logs_tail_parse("x"), -1);
    assert_int_equal(logs_tail_parse("-3"), -1);
    assert_int_equal(logs_tail_parse("0"), 0);
    assert_int_equal(logs_tail_parse("25"), 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(atoi_like_go), cmocka_unit_test(json_errors_like_go), cmocka_unit_test(json_first_value_only),
        cmocka_unit_test(signals),      cmocka_unit_test(detach_keys),         cmocka_unit_test(escape_matcher),
        cmocka_unit_test(tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
