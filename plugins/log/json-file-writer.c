/* json-file writer: runs inside each container's shim, appending one JSON
 * line per message and rotating by size as dockerd does. It must never block
 * on a reader (readers only ever open the files read-only) and never lose a
 * message to a failed rotation. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <pouch/log.h>

#include "cleanup.h"
#include "json-file.h"
#include "json-line.h"

struct jf_writer {
    int fd;
    char *path;
    int64_t max_size; /* -1: never rotate */
    int max_file;
    int64_t size;     /* bytes in the current file, as dockerd counts */
    int64_t retry_at; /* after a failed rotation, next size to try again at */
    char *buf;
    size_t buf_cap;
};

struct jf_opts {
    int64_t max_size;
    int max_file;
};

/* go-units FromHumanSize: decimal multiples (k = 1000), optional "b", "ib"
 * and a space before the suffix; dockerd then requires a positive result.
 * "-1" is accepted as "unlimited" because pouch's own config may pass it. */
static int parse_size(const char *s, int64_t *ret)
{
    if (strcmp(s, "-1") == 0) {
        *ret = -1;
        return 0;
    }
    const char *sep = NULL;
    for (const char *p = s; *p; p++)
        if ((*p >= '0' && *p <= '9') || *p == '.' || *p == ' ')
            sep = p;
    if (!sep)
        return jf_report(NULL, -EINVAL, "invalid size: '%s'", s);

    char num[64];
    size_t nlen = (size_t)(sep - s) + (*sep == ' ' ? 0 : 1);
    const char *sfx = sep + 1;
    if (nlen == 0 || nlen >= sizeof(num))
        return jf_report(NULL, -EINVAL, "invalid size: '%s'", s);
    memcpy(num, s, nlen);
    num[nlen] = '\0';
    char *end;
    errno = 0;
    double v = strtod(num, &end);
    if (*end || errno || !isfinite(v) || num[0] == '+' || num[0] == ' ')
        return jf_report(NULL, -EINVAL, "strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
    if (v < 0)
        return jf_report(NULL, -EINVAL, "invalid size: '%s'", s);

    size_t sl = strlen(sfx);
    double mul = 1;
    if (sl > 3)
        return jf_report(NULL, -EINVAL, "invalid suffix: '%s'", sfx);
    if (sl > 0) {
        char c = (char)(sfx[0] | 0x20);
        if (c == 'b') {
            if (sl > 1)
                return jf_report(NULL, -EINVAL, "invalid suffix: '%s'", sfx);
        } else {
            const char *units = "kmgtp";
            const char *u = strchr(units, c);
            if (!u || !*u)
                return jf_report(NULL, -EINVAL, "invalid suffix: '%s'", sfx);
            for (const char *q = units; q <= u; q++)
                mul *= 1000;
            if ((sl == 2 && (sfx[1] | 0x20) != 'b') || (sl == 3 && ((sfx[1] | 0x20) != 'i' || (sfx[2] | 0x20) != 'b')))
                return jf_report(NULL, -EINVAL, "invalid suffix: '%s'", sfx);
        }
    }
    v *= mul;
    if (v >= 9.2e18)
        return jf_report(NULL, -ERANGE, "invalid size: '%s'", s);
    *ret = (int64_t)v;
    return 0;
}

/* Values arrive as strings (docker's --log-opt map); numbers and booleans
 * are taken too so a hand-written config need not quote them. */
static int opt_string(const char *key, json_t *v, char *buf, size_t size)
{
    if (json_is_string(v))
        snprintf(buf, size, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
    else
        return jf_report(NULL, -EINVAL, "log opt '%s' for json-file log driver must be a string", key);
    return 0;
}

static int parse_opts(const char *opts_json, struct jf_opts *ret)
{
    struct jf_opts o = {.max_size = -1, .max_file = 1};
    bool compress = false;

    if (!opts_json || !*opts_json) {
        *ret = o;
        return 0;
    }
    json_error_t jerr;
    json_t *root = json_loads(opts_json, 0, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return jf_report(NULL, -EINVAL, "json-file log driver options are not a JSON object: %s",
                         root ? "wrong type" : jerr.text);
    }

    const char *key;
    json_t *v;
    int r = 0;
    json_object_foreach(root, key, v)
    {
        char val[256];
        if (strcmp(key, "labels") == 0 || strcmp(key, "labels-regex") == 0 || strcmp(key, "env") == 0 ||
            strcmp(key, "env-regex") == 0 || strcmp(key, "tag") == 0)
            continue; /* accepted as dockerd does; pouch writes no "attrs" */
        if (strcmp(key, "max-size") != 0 && strcmp(key, "max-file") != 0 && strcmp(key, "compress") != 0) {
            r = jf_report(NULL, -EINVAL, "unknown log opt '%s' for json-file log driver", key);
            break;
        }
        if ((r = opt_string(key, v, val, sizeof(val))) < 0)
            break;
        if (strcmp(key, "max-size") == 0) {
            if ((r = parse_size(val, &o.max_size)) < 0)
                break;
            if (o.max_size == 0) {
                r = jf_report(NULL, -EINVAL, "max-size must be a positive number");
                break;
            }
        } else if (strcmp(key, "max-file") == 0) {
            char *end;
            errno = 0;
            long n = strtol(val, &end, 10);
            if (!*val || *end || errno || n > INT_MAX || n < INT_MIN) {
                r = jf_report(NULL, -EINVAL, "strconv.Atoi: parsing \"%s\": invalid syntax", val);
                break;
            }
            if (n < 1) {
                r = jf_report(NULL, -EINVAL, "max-file cannot be less than 1");
                break;
            }
            o.max_file = (int)n;
        } else {
            /* strconv.ParseBool's spellings. */
            static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
            static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
            bool known = false;
            for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcmp(val, yes[i]) == 0)
                    compress = known = true;
                if (strcmp(val, no[i]) == 0)
                    known = true, compress = false;
            }
            if (!known) {
                r = jf_report(NULL, -EINVAL, "strconv.ParseBool: parsing \"%s\": invalid syntax", val);
                break;
            }
        }
    }
    json_decref(root);
    if (r < 0)
        return r;
    if (compress)
        return jf_report(NULL, -ENOTSUP,
                         "compress=true is not supported by pouch's json-file log driver; "
                         "drop the compress option or set it to false");
    *ret = o;
    return 0;
}

static int open_log(const char *path, bool truncate)
{
    /* 0640 and O_APPEND as dockerd: readers never share our file offset. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | (truncate ? O_TRUNC : 0), 0640);
    return fd < 0 ? -errno : fd;
}

int32_t jf_writer_open(const char *path, const char *opts_json, void **ret_writer)
{
    struct jf_opts o = {0};
    int r = parse_opts(opts_json, &o);
    if (r < 0)
        return r;
    /* path NULL only validates the options (pouchd at container create). */
    if (!path)
        return 0;
    if (!ret_writer)
        return -EINVAL;

    _cleanup_free_ struct jf_writer *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path)))
        return -ENOMEM;
    w->max_size = o.max_size;
    w->max_file = o.max_file;
    w->fd = open_log(path, false);
    if (w->fd < 0) {
        r = w->fd;
        free(w->path);
        return jf_report(NULL, r, "cannot open log file %s: %s", path, strerror(-r));
    }
    struct stat st;
    w->size = fstat(w->fd, &st) == 0 ? st.st_size : 0;

    /* A new run of the container: followers must not see the previous run's
     * end-of-output marker. */
    char closed[PATH_MAX];
    snprintf(closed, sizeof(closed), "%s.closed", path);
    (void)unlink(closed);

    *ret_writer = TAKE_PTR(w);
    return 0;
}

static int rename_if_exists(const char *from, const char *to)
{
    return rename(from, to) < 0 && errno != ENOENT ? -errno : 0;
}

/* path.(N-1) is dropped, path.k -> path.(k+1), path -> path.1, then a fresh
 * path, as dockerd's rotate(). With max-file 1 dockerd truncates in place;
 * we unlink and recreate instead, which leaves the same files on disk but
 * lets a follower holding the old inode read it to its end. */
static int rotate(struct jf_writer *w)
{
    size_t plen = strlen(w->path) + 16;
    _cleanup_free_ char *from = malloc(plen), *to = malloc(plen);
    int r;

    if (!from || !to)
        return -ENOMEM;
    if (w->max_file >= 2) {
        snprintf(to, plen, "%s.%d", w->path, w->max_file - 1);
        if (unlink(to) < 0 && errno != ENOENT)
            return jf_report(NULL, -errno, "log rotation: cannot remove %s: %m", to);
        for (int i = w->max_file - 1; i > 1; i--) {
            snprintf(from, plen, "%s.%d", w->path, i - 1);
            snprintf(to, plen, "%s.%d", w->path, i);
            if ((r = rename_if_exists(from, to)) < 0)
                return jf_report(NULL, r, "log rotation: cannot rename %s to %s: %s", from, to, strerror(-r));
        }
        snprintf(to, plen, "%s.1", w->path);
        if ((r = rename_if_exists(w->path, to)) < 0)
            return jf_report(NULL, r, "log rotation: cannot rename %s to %s: %s", w->path, to, strerror(-r));
    } else if (unlink(w->path) < 0 && errno != ENOENT) {
        return jf_report(NULL, -errno, "log rotation: cannot remove %s: %m", w->path);
    }

    int fd = open_log(w->path, true);
    if (fd < 0)
        return jf_report(NULL, fd, "log rotation: cannot create %s: %s", w->path, strerror(-fd));
    close(w->fd);
    w->fd = fd;
    w->size = 0;
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int32_t jf_writer_write(void *writer, int32_t stream, int64_t time_nano, const char *data, uint32_t len,
                        int32_t partial)
{
    struct jf_writer *w = writer;
    const char *name = stream == POUCH_LOG_STDOUT ? "stdout" : stream == POUCH_LOG_STDERR ? "stderr" : NULL;

    if (!w || !name || (!data && len))
        return -EINVAL;
    /* Callers may pass a complete line with or without its '\n'. */
    if (!partial && len > 0 && data[len - 1] == '\n')
        len--;
    if (time_nano == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        time_nano = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    size_t need = JSON_LINE_BOUND(len);
    if (need > w->buf_cap) {
        char *nb = realloc(w->buf, need);
        if (!nb)
            return -ENOMEM;
        w->buf = nb;
        w->buf_cap = need;
    }
    size_t n = json_line_encode(w->buf, data, len, !partial, name, time_nano);

    /* dockerd checks capacity before each write, so a file may exceed
     * max-size by one entry; keep that so sizes match. A failed rotation is
     * reported and writing goes on in the current file: output is worth
     * more than the size limit. */
    if (w->max_size > 0 && w->size >= w->max_size && w->size >= w->retry_at) {
        if (rotate(w) < 0)
            w->retry_at = w->size + w->max_size;
        else
            w->retry_at = 0;
    }
    int r = write_all(w->fd, w->buf, n);
    if (r < 0)
        return jf_report(NULL, r, "cannot write log file %s: %s", w->path, strerror(-r));
    w->size += (int64_t)n;
    return 0;
}

void jf_writer_close(void *writer)
{
    struct jf_writer *w = writer;

    if (!w)
        return;
    /* Nothing is buffered: every message went out in its own write(). */
    if (w->fd >= 0)
        close(w->fd);
    free(w->buf);
    free(w->path);
    free(w);
}
