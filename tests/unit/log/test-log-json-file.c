/* log-json-file and log-none, loaded with dlopen as pouch-shim loads them:
 * dockerd-identical bytes on disk, rotation, the reader's filters and
 * framing, follow across rotation up to the .closed marker, option checks. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <pouch/host.h>
#include <pouch/log.h>
#include <pouch/plugin.h>

#define T0 1795894800000000000LL /* 2026-11-28T19:40:00Z */
#define SEC 1000000000LL

static const pouch_plugin_descriptor *jf_desc, *none_desc;
static const pouch_log_ops *jf, *none;
static void *jf_state, *none_state;
static char last_err[1024];

static int32_t fake_error(const pouch_host *h, int32_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_err, sizeof(last_err), fmt, ap);
    va_end(ap);
    return err;
}

static const pouch_host host = {
    .size = sizeof(pouch_host),
    .abi_major = POUCH_ABI_MAJOR,
    .abi_minor = POUCH_ABI_MINOR,
    .plugin_name = "test",
    .error = fake_error,
};

struct fixture {
    char dir[64];
    char path[128];
};

static const pouch_plugin_descriptor *load(const char *so)
{
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail_msg("dlopen %s: %s", so, dlerror());
    pouch_plugin_query_fn q = (pouch_plugin_query_fn)dlsym(h, POUCH_PLUGIN_QUERY_SYMBOL);
    assert_non_null(q);
    const pouch_plugin_descriptor *d = q();
    assert_int_equal(d->kind, POUCH_KIND_LOG);
    assert_int_equal(d->abi_major, POUCH_ABI_MAJOR);
    return d;
}

static int group_setup(void **state)
{
    umask(022);
    jf_desc = load(LOG_JSON_FILE_SO);
    none_desc = load(LOG_NONE_SO);
    assert_string_equal(jf_desc->name, "log-json-file");
    assert_string_equal(none_desc->name, "log-none");
    jf = jf_desc->ops;
    none = none_desc->ops;
    assert_true(jf->size >= sizeof(pouch_log_ops));
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/pouch-test-log-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/c-json.log", f->dir);
    last_err[0] = '\0';
    *state = f;
    return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    fstat(fd, &st);
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
    close(fd);
    assert_true(n == st.st_size);
    buf[n] = '\0';
    if (ret_len)
        *ret_len = (size_t)n;
    return buf;
}

static void put(void *w, int stream, int64_t t, const char *s, int partial)
{
    assert_int_equal(jf->writer_write(w, stream, t, s, (uint32_t)strlen(s), partial), 0);
}

static void append_raw(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_true(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
    close(fd);
}

/* Frames rendered as "S:payload|" so expectations read plainly; the header's
 * zero bytes and length are checked on the way. */
static char *frames(const char *buf, size_t len)
{
    char *out = calloc(1, len * 2 + 1);
    size_t o = 0, i = 0;
    while (i < len) {
        assert_true(len - i >= 8);
        const unsigned char *h = (const unsigned char *)buf + i;
        assert_true(h[0] == 1 || h[0] == 2);
        assert_true(h[1] == 0 && h[2] == 0 && h[3] == 0);
        uint32_t n = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
        assert_true(n > 0 && n <= len - i - 8);
        o += (size_t)sprintf(out + o, "%d:", h[0]);
        memcpy(out + o, buf + i + 8, n);
        o += n;
        out[o++] = '|';
        i += 8 + n;
    }
    return out;
}

/* Run read into a regular file and return what it wrote. */
static char *do_read(struct fixture *f, const char *opts, int *ret_rc, size_t *ret_len)
{
    char out[160];
    snprintf(out, sizeof(out), "%s/out", f->dir);
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    volatile int32_t stop = 0;
    *ret_rc = jf->read(jf_state, f->path, opts, fd, &stop);
    close(fd);
    char *data = slurp(out, ret_len);
    unlink(out);
    return data;
}

static char *read_frames(struct fixture *f, const char *opts)
{
    int rc;
    size_t len;
    char *raw = do_read(f, opts, &rc, &len);
    assert_int_equal(rc, 0);
    char *s = frames(raw, len);
    free(raw);
    return s;
}

static void expect_frames(struct fixture *f, const char *opts, const char *want)
{
    char *got = read_frames(f, opts);
    if (strcmp(got, want) != 0)
        fail_msg("read %s\n got: %s\nwant: %s", opts, got, want);
    free(got);
}

/* ---- writer ---- */

static void test_writer_without_init(void **state)
{
    struct fixture *f = *state;
    void *w = NULL;

    /* The shim never calls init: writers must work without it, and refuse
     * bad options (the message then goes to the shim's stderr). */
    assert_int_equal(jf->writer_open(f->path, "{\"foo\":\"bar\"}", &w), -EINVAL);
    assert_null(w);
    assert_int_equal(jf->writer_open(f->path, NULL, &w), 0);
    put(w, POUCH_LOG_STDOUT, T0, "x", 0);
    jf->writer_close(w);
    char *s = slurp(f->path, NULL);
    assert_string_equal(s, "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00Z\"}\n");
    free(s);

    assert_int_equal(jf_desc->init(&host, &jf_state), 0);
    assert_int_equal(none_desc->init(&host, &none_state), 0);
}

static void test_writer_bytes(void **state)
{
    struct fixture *f = *state;
    void *w = NULL;
    struct stat st;

    assert_int_equal(jf->writer_open(f->path, "{}", &w), 0);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    put(w, POUCH_LOG_STDOUT, T0 + 123456789, "hello", 0);
    put(w, POUCH_LOG_STDOUT, T0 + 120000000, "with newline\n", 0);
    /* A 16 KiB split: both parts carry the first part's time, as dockerd's copier. */
    put(w, POUCH_LOG_STDERR, T0 + 5 * SEC, "par", 1);
    put(w, POUCH_LOG_STDERR, T0 + 5 * SEC, "tial", 0);
    put(w, POUCH_LOG_STDOUT, T0 + 6 * SEC + 1, "<b>\"q\" & \\ \t\x01\xff \xe2\x80\xa8", 0);
    put(w, POUCH_LOG_STDOUT, T0 + 7 * SEC, "", 0);
    jf->writer_close(w);

    char *s = slurp(f->path, NULL);
    assert_string_equal(
        s, "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00.123456789Z\"}\n"
           "{\"log\":\"with newline\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:00.12Z\"}\n"
           "{\"log\":\"par\",\"stream\":\"stderr\",\"time\":\"2026-11-28T19:40:05Z\"}\n"
           "{\"log\":\"tial\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-28T19:40:05Z\"}\n"
           "{\"log\":\"\\u003cb\\u003e\\\"q\\\" \\u0026 \\\\ \\u0009\\u0001\\ufffd \\u2028\\n\",\"stream\":\"stdout\","
           "\"time\":\"2026-11-28T19:40:06.000000001Z\"}\n"
           "{\"log\":\"\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T19:40:07Z\"}\n");
    free(s);

    /* Reopening appends (a restarted container keeps its log). */
    assert_int_equal(jf->writer_open(f->path, NULL, &w), 0);
    put(w, POUCH_LOG_STDOUT, T0, "again", 0);
    jf->writer_close(w);
    expect_frames(f, "{\"tail\":2}", "1:\n|1:again\n|");
    assert_int_equal(jf->writer_write(NULL, POUCH_LOG_STDOUT, T0, "x", 1, 0), -EINVAL);
}

static void test_writer_removes_stale_closed(void **state)
{
    struct fixture *f = *state;
    char closed[160];
    void *w;

    snprintf(closed, sizeof(closed), "%s.closed", f->path);
    close(open(closed, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    assert_int_equal(jf->writer_open(f->path, NULL, &w), 0);
    assert_int_equal(access(closed, F_OK), -1);
    jf->writer_close(w);
}

static char *numbered(struct fixture *f, int k)
{
    static char p[160];
    snprintf(p, sizeof(p), "%s.%d", f->path, k);
    return p;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static void write_numbered(struct fixture *f, const char *opts, int from, int to)
{
    void *w;
    char msg[32];
    assert_int_equal(jf->writer_open(f->path, opts, &w), 0);
    for (int i = from; i <= to; i++) {
        snprintf(msg, sizeof(msg), "line-%d", i);
        put(w, POUCH_LOG_STDOUT, T0 + i * SEC, msg, 0);
    }
    jf->writer_close(w);
}

static void test_rotation(void **state)
{
    struct fixture *f = *state;

    /* Each line is 67 bytes: a file reaches 100 after two, and the third
     * write rotates first (dockerd checks before writing). */
    write_numbered(f, "{\"max-size\":\"100\",\"max-file\":\"3\"}", 1, 9);
    char *cur = slurp(f->path, NULL), *one = slurp(numbered(f, 1), NULL), *two = slurp(numbered(f, 2), NULL);
    assert_int_equal(count_lines(cur), 1);
    assert_non_null(strstr(cur, "line-9"));
    assert_int_equal(count_lines(one), 2);
    assert_non_null(strstr(one, "line-7"));
    assert_non_null(strstr(one, "line-8"));
    assert_int_equal(count_lines(two), 2);
    assert_non_null(strstr(two, "line-5"));
    assert_int_equal(access(numbered(f, 3), F_OK), -1);
    free(cur);
    free(one);
    free(two);

    /* Across files, oldest first; tail counts back across them. */
    expect_frames(f, NULL, "1:line-5\n|1:line-6\n|1:line-7\n|1:line-8\n|1:line-9\n|");
    expect_frames(f, "{\"tail\":4}", "1:line-6\n|1:line-7\n|1:line-8\n|1:line-9\n|");
    expect_frames(f, "{\"tail\":1}", "1:line-9\n|");
    expect_frames(f, "{\"tail\":100}", "1:line-5\n|1:line-6\n|1:line-7\n|1:line-8\n|1:line-9\n|");

    /* A reopened writer counts the existing size: line-10 completes the
     * current file, line-11 rotates. */
    write_numbered(f, "{\"max-size\":\"100\",\"max-file\":\"3\"}", 10, 11);
    expect_frames(f, "{\"tail\":3}", "1:line-9\n|1:line-10\n|1:line-11\n|");
    char *c2 = slurp(f->path, NULL);
    assert_int_equal(count_lines(c2), 1);
    free(c2);
}

static void test_rotation_single_file(void **state)
{
    struct fixture *f = *state;

    write_numbered(f, "{\"max-size\":\"100\"}", 1, 7);
    assert_int_equal(access(numbered(f, 1), F_OK), -1);
    expect_frames(f, NULL, "1:line-7\n|");
    /* max-size "-1" and none at all: never rotates */
    write_numbered(f, "{\"max-size\":\"-1\",\"max-file\":\"2\"}", 8, 20);
    assert_int_equal(access(numbered(f, 1), F_OK), -1);
    char *s = slurp(f->path, NULL);
    assert_int_equal(count_lines(s), 14);
    free(s);
}

static void expect_refused(const char *opts, int err, const char *msg)
{
    void *w = NULL;
    last_err[0] = '\0';
    assert_int_equal(jf->writer_open("/nonexistent/never-created", opts, &w), err);
    assert_null(w);
    if (strstr(last_err, msg) == NULL)
        fail_msg("options %s: message \"%s\" lacks \"%s\"", opts, last_err, msg);
}

static void test_options(void **state)
{
    struct fixture *f = *state;
    void *w;

    expect_refused("{\"foo\":\"bar\"}", -EINVAL, "unknown log opt 'foo' for json-file log driver");
    expect_refused("{\"max-size\":\"10m\",\"mode\":\"non-blocking\"}", -EINVAL,
                   "unknown log opt 'mode' for json-file log driver");
    expect_refused("{\"compress\":\"true\"}", -ENOTSUP, "compress");
    expect_refused("{\"compress\":\"maybe\"}", -EINVAL, "strconv.ParseBool: parsing \"maybe\": invalid syntax");
    expect_refused("{\"max-file\":\"0\"}", -EINVAL, "max-file cannot be less than 1");
    expect_refused("{\"max-file\":\"two\"}", -EINVAL, "strconv.Atoi: parsing \"two\": invalid syntax");
    expect_refused("{\"max-size\":\"0\"}", -EINVAL, "max-size must be a positive number");
    expect_refused("{\"max-size\":\"10q\"}", -EINVAL, "invalid suffix: 'q'");
    expect_refused("{\"max-size\":\"10kbb\"}", -EINVAL, "invalid suffix");
    expect_refused("{\"max-size\":\"k\"}", -EINVAL, "invalid size: 'k'");
    expect_refused("[1]", -EINVAL, "not a JSON object");

    /* Everything dockerd's json-file accepts; path NULL only validates. */
    const char *ok[] = {
        "{\"max-size\":\"10m\",\"max-file\":\"3\",\"compress\":\"false\",\"labels\":\"a,b\",\"labels-regex\":\"^a\","
        "\"env\":\"X\",\"env-regex\":\"^X\",\"tag\":\"{{.Name}}\"}",
        "{\"max-size\":\"10k\"}",
        "{\"max-size\":\"1g\"}",
        "{\"max-size\":\"1.5MB\"}",
        "{\"max-size\":\"2 KiB\"}",
        "{\"max-size\":\"100\"}",
        "{\"max-size\":\"-1\"}",
        "{}",
        "",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (jf->writer_open(NULL, ok[i], NULL) != 0)
            fail_msg("refused %s: %s", ok[i], last_err);
    assert_int_equal(jf->writer_open(f->path, ok[0], &w), 0);
    jf->writer_close(w);
}

static void test_size_units(void **state)
{
    struct fixture *f = *state;
    void *w;
    char msg[64];

    /* "1k" is 1000 bytes (go-units FromHumanSize is decimal): 15 lines of
     * 67 bytes (1005) fill a file and the 16th rotates, which a 1024-byte
     * "1k" would not. */
    assert_int_equal(jf->writer_open(f->path, "{\"max-size\":\"1k\",\"max-file\":\"2\"}", &w), 0);
    for (int i = 1; i <= 16; i++) {
        snprintf(msg, sizeof(msg), "l-%02d!!", i);
        put(w, POUCH_LOG_STDOUT, T0 + SEC, msg, 0);
    }
    jf->writer_close(w);
    char *one = slurp(numbered(f, 1), NULL), *cur = slurp(f->path, NULL);
    assert_int_equal(count_lines(one), 15);
    assert_int_equal(count_lines(cur), 1);
    free(one);
    free(cur);
}

/* ---- reader ---- */

static void write_mixed(struct fixture *f)
{
    void *w;
    assert_int_equal(jf->writer_open(f->path, NULL, &w), 0);
    put(w, POUCH_LOG_STDOUT, T0 + 1 * SEC, "a", 0);
    put(w, POUCH_LOG_STDERR, T0 + 2 * SEC, "b", 0);
    append_raw(f->path, "{\"log\":\"corrupt\n"); /* skipped, never fatal */
    append_raw(f->path, "not json at all\n");
    put(w, POUCH_LOG_STDOUT, T0 + 3 * SEC, "c", 1);
    put(w, POUCH_LOG_STDOUT, T0 + 3 * SEC, "d", 0);
    put(w, POUCH_LOG_STDERR, T0 + 4 * SEC + 5, "e", 0);
    jf->writer_close(w);
}

static void test_read_filters(void **state)
{
    struct fixture *f = *state;
    char opts[256];

    write_mixed(f);
    expect_frames(f, NULL, "1:a\n|2:b\n|1:c|1:d\n|2:e\n|");
    expect_frames(f, "{\"stdout\":true,\"stderr\":true,\"tail\":-1}", "1:a\n|2:b\n|1:c|1:d\n|2:e\n|");
    expect_frames(f, "{\"stdout\":true,\"stderr\":false}", "1:a\n|1:c|1:d\n|");
    expect_frames(f, "{\"stdout\":false,\"stderr\":true}", "2:b\n|2:e\n|");
    snprintf(opts, sizeof(opts), "{\"since\":%lld,\"until\":%lld}", T0 + 2 * SEC, T0 + 3 * SEC);
    expect_frames(f, opts, "2:b\n|1:c|1:d\n|");
    snprintf(opts, sizeof(opts), "{\"since\":%lld}", T0 + 2 * SEC + 1);
    expect_frames(f, opts, "1:c|1:d\n|2:e\n|");
    /* tail counts lines in the file (the corrupt ones too, as dockerd), then filters */
    expect_frames(f, "{\"tail\":2}", "1:d\n|2:e\n|");
    expect_frames(f, "{\"tail\":2,\"stdout\":false}", "2:e\n|");
    expect_frames(f, "{\"tail\":0}", "");
    expect_frames(f, "{\"timestamps\":true,\"tail\":3}",
                  "1:2026-11-28T19:40:03.000000000Z c|1:2026-11-28T19:40:03.000000000Z d\n|"
                  "2:2026-11-28T19:40:04.000000005Z e\n|");

    int rc;
    size_t len;
    char *raw = do_read(f, "{\"raw\":true}", &rc, &len);
    assert_int_equal(rc, 0);
    assert_string_equal(raw, "a\nb\ncd\ne\n");
    free(raw);
    raw = do_read(f, "{\"raw\":true,\"timestamps\":true,\"stderr\":false,\"tail\":1}", &rc, &len);
    assert_string_equal(raw, "");
    free(raw);

    raw = do_read(f, "{\"tail\":\"all\"}", &rc, &len);
    assert_int_equal(rc, -EINVAL);
    free(raw);
}

static void test_read_incomplete_last_line(void **state)
{
    struct fixture *f = *state;

    write_mixed(f);
    /* A writer caught mid-line: without follow the fragment is not output. */
    append_raw(f->path, "{\"log\":\"half");
    expect_frames(f, "{\"tail\":1}", "2:e\n|");
    expect_frames(f, "{\"stderr\":false}", "1:a\n|1:c|1:d\n|");
}

static void test_read_missing_log(void **state)
{
    struct fixture *f = *state;
    expect_frames(f, NULL, "");
}

static void test_read_client_gone(void **state)
{
    struct fixture *f = *state;
    int p[2];

    write_mixed(f);
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    close(p[0]);
    volatile int32_t stop = 0;
    /* EPIPE ends the read cleanly and no SIGPIPE kills the test. */
    assert_int_equal(jf->read(jf_state, f->path, "{\"follow\":true}", p[1], &stop), 0);
    close(p[1]);
}

/* ---- follow ---- */

struct writer_job {
    struct fixture *f;
    int lines;
    int closed;
};

static void *writer_thread(void *arg)
{
    struct writer_job *job = arg;
    void *w;
    char msg[32];

    if (jf->writer_open(job->f->path, "{\"max-size\":\"300\",\"max-file\":\"50\"}", &w) != 0)
        return NULL;
    for (int i = 0; i < job->lines; i++) {
        snprintf(msg, sizeof(msg), "n-%d", i);
        jf->writer_write(w, i % 2 ? POUCH_LOG_STDERR : POUCH_LOG_STDOUT, T0 + i, msg, (uint32_t)strlen(msg), 0);
        if (i % 7 == 0)
            usleep(3000);
    }
    jf->writer_close(w);
    if (job->closed) {
        char closed[160];
        snprintf(closed, sizeof(closed), "%s.closed", job->f->path);
        close(open(closed, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    }
    return NULL;
}

static void test_follow_with_writer(void **state)
{
    struct fixture *f = *state;
    struct writer_job job = {f, 200, 1};
    pthread_t t;
    int rc;
    size_t len;

    /* The reader starts before the log exists, follows it through many
     * rotations, and returns once the .closed marker appears. */
    assert_int_equal(pthread_create(&t, NULL, writer_thread, &job), 0);
    char *raw = do_read(f, "{\"follow\":true}", &rc, &len);
    pthread_join(t, NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(access(numbered(f, 3), F_OK), 0); /* it did rotate */

    char *got = frames(raw, len), want[8192];
    size_t o = 0;
    for (int i = 0; i < job.lines; i++)
        o += (size_t)sprintf(want + o, "%d:n-%d\n|", i % 2 ? 2 : 1, i);
    assert_string_equal(got, want);
    free(got);
    free(raw);
}

struct stopper {
    volatile int32_t *stop;
    int ms;
};

static void *stop_thread(void *arg)
{
    struct stopper *s = arg;
    usleep((useconds_t)s->ms * 1000);
    *s->stop = 1;
    return NULL;
}

static void test_follow_stop_and_tail0(void **state)
{
    struct fixture *f = *state;
    char out[160];
    volatile int32_t stop = 0;
    struct stopper s = {&stop, 200};
    pthread_t t;

    write_mixed(f);
    snprintf(out, sizeof(out), "%s/out", f->dir);
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_int_equal(pthread_create(&t, NULL, stop_thread, &s), 0);
    /* tail 0 with follow: only what comes later, here nothing, until stop */
    assert_int_equal(jf->read(jf_state, f->path, "{\"follow\":true,\"tail\":0}", fd, &stop), 0);
    pthread_join(t, NULL);
    close(fd);
    size_t len;
    char *data = slurp(out, &len);
    assert_int_equal(len, 0);
    free(data);

    /* With the marker already there: history, then return at once. */
    char closed[160];
    snprintf(closed, sizeof(closed), "%s.closed", f->path);
    close(open(closed, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    expect_frames(f, "{\"follow\":true,\"tail\":1}", "2:e\n|");
}

static void test_follow_until(void **state)
{
    struct fixture *f = *state;
    struct timespec a;
    char opts[128];

    write_mixed(f);
    clock_gettime(CLOCK_REALTIME, &a);
    int64_t now = (int64_t)a.tv_sec * SEC + a.tv_nsec;
    snprintf(opts, sizeof(opts), "{\"follow\":true,\"since\":%lld,\"until\":%lld}", T0 + 4 * SEC,
             (long long)(now + 300000000));
    /* returns by itself once until has passed */
    expect_frames(f, opts, "2:e\n|");
}

/* ---- log-none ---- */

static void test_none(void **state)
{
    struct fixture *f = *state;
    void *w = NULL;
    volatile int32_t stop = 0;

    assert_int_equal(none->writer_open(f->path, "{\"max-size\":\"1m\"}", &w), 0);
    assert_non_null(w);
    assert_int_equal(none->writer_write(w, POUCH_LOG_STDOUT, T0, "x", 1, 0), 0);
    none->writer_close(w);
    assert_int_equal(access(f->path, F_OK), -1);
    last_err[0] = '\0';
    assert_int_equal(none->read(none_state, f->path, "{}", 1, &stop), -ENOTSUP);
    assert_string_equal(last_err, "configured logging driver does not support reading");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* first: runs before init, as in the shim */
        cmocka_unit_test_setup_teardown(test_writer_without_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_removes_stale_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_single_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_incomplete_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_missing_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_client_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_with_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_stop_and_tail0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_until, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
