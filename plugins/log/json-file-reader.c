/* json-file reader: runs in pouchd and turns a log (and its rotated files)
 * back into docker's stream frames, with tail/since/until/timestamps and
 * follow. It only ever opens log files read-only and must never stall the
 * writer; a corrupt line is skipped, a vanished client ends the read. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <pouch/log.h>

#include "cleanup.h"
#include "json-file.h"
#include "json-line.h"
#include "log-time.h"

#define READ_CHUNK (64 * 1024)
/* A line longer than this is not one our writer (or dockerd's, 16 KiB * 6)
 * produced: drop it rather than grow without bound. */
#define MAX_LINE (16 * 1024 * 1024)
/* stop has no wake-up of its own, so follow polls it this often. */
#define FOLLOW_TICK_MS 100
#define MAX_ROTATED 100000

struct read_opts {
    bool out, err, timestamps, follow, raw;
    int64_t since, until, tail;
};

struct reader {
    const pouch_host *host;
    const char *path;
    int out_fd;
    const volatile int32_t *stop;
    struct read_opts o;
    char *line; /* bytes of an unfinished line */
    size_t line_len, line_cap;
    bool overlong; /* dropping an over-long line up to its '\n' */
    char *dec;     /* decoded message */
    size_t dec_cap;
    char *frame;
    size_t frame_cap;
};

/* Result of feeding output: keep going, or the client went away / until passed. */
enum { GO_ON = 0, FINISHED = 1 };

static int parse_read_opts(const pouch_host *host, const char *json, struct read_opts *ret)
{
    struct read_opts o = {.out = true, .err = true, .tail = -1};
    json_error_t jerr;

    if (!json || !*json) {
        *ret = o;
        return 0;
    }
    json_t *root = json_loads(json, 0, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return jf_report(host, -EINVAL, "log read options are not a JSON object");
    }
    static const char *const bools[] = {"stdout", "stderr", "timestamps", "follow", "raw"};
    bool *bool_fields[] = {&o.out, &o.err, &o.timestamps, &o.follow, &o.raw};
    static const char *const ints[] = {"since", "until", "tail"};
    int64_t *int_fields[] = {&o.since, &o.until, &o.tail};
    int r = 0;

    for (size_t i = 0; i < ARRAY_SIZE(bools) && r == 0; i++) {
        json_t *v = json_object_get(root, bools[i]);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_boolean(v))
            r = jf_report(host, -EINVAL, "log read option \"%s\" must be a boolean", bools[i]);
        else
            *bool_fields[i] = json_is_true(v);
    }
    for (size_t i = 0; i < ARRAY_SIZE(ints) && r == 0; i++) {
        json_t *v = json_object_get(root, ints[i]);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_integer(v))
            r = jf_report(host, -EINVAL, "log read option \"%s\" must be an integer", ints[i]);
        else
            *int_fields[i] = json_integer_value(v);
    }
    json_decref(root);
    if (r < 0)
        return r;
    if (o.tail < -1)
        o.tail = -1;
    *ret = o;
    return 0;
}

static int64_t now_nano(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool stopped(const struct reader *r)
{
    return r->stop && *r->stop != 0;
}

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    char *p = realloc(*buf, n);
    if (!p)
        return -ENOMEM;
    *buf = p;
    *cap = n;
    return 0;
}

/* Write everything, waiting out a non-blocking fd; a client that went away
 * (EPIPE/ECONNRESET) or a stop request ends the read cleanly. */
static int send_all(struct reader *r, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(r->out_fd, p, n);
        if (k >= 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EPIPE || errno == ECONNRESET)
            return FINISHED;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return jf_report(r->host, -errno, "log %s: cannot write to the client: %m", r->path);
        struct pollfd pfd = {.fd = r->out_fd, .events = POLLOUT};
        if (poll(&pfd, 1, FOLLOW_TICK_MS) < 0 && errno != EINTR)
            return -errno;
        if (stopped(r))
            return FINISHED;
    }
    return GO_ON;
}

/* One complete line (without '\n'): parse, filter, frame, send. */
static int emit_line(struct reader *r, const char *line, size_t len)
{
    struct json_line e;

    if (len == 0)
        return GO_ON;
    if (grow(&r->dec, &r->dec_cap, len) < 0)
        return -ENOMEM;
    if (json_line_parse(line, len, r->dec, &e) < 0)
        return GO_ON; /* corrupt: skipped, as the rest of the log is still worth reading */
    if ((e.stream == POUCH_LOG_STDOUT && !r->o.out) || (e.stream == POUCH_LOG_STDERR && !r->o.err) || e.stream == 0)
        return GO_ON;
    /* Both bounds inclusive, as dockerd's Before/After tests. */
    if (r->o.since > 0 && e.time_nano < r->o.since)
        return GO_ON;
    if (r->o.until > 0 && e.time_nano > r->o.until)
        return GO_ON;
    if (e.log_len == 0)
        return GO_ON;

    size_t need = 8 + LOG_TIME_MAX + 1 + e.log_len;
    if (grow(&r->frame, &r->frame_cap, need) < 0)
        return -ENOMEM;
    size_t n = r->o.raw ? 0 : 8;
    if (r->o.timestamps) {
        /* docker logs -t prints RFC3339NanoFixed: always 9 digits. */
        n += log_time_format(r->frame + n, e.time_nano, 1);
        r->frame[n++] = ' ';
    }
    memcpy(r->frame + n, e.log, e.log_len);
    n += e.log_len;
    if (!r->o.raw) {
        uint32_t plen = (uint32_t)(n - 8);
        r->frame[0] = (char)e.stream;
        r->frame[1] = r->frame[2] = r->frame[3] = 0;
        r->frame[4] = (char)(plen >> 24);
        r->frame[5] = (char)(plen >> 16);
        r->frame[6] = (char)(plen >> 8);
        r->frame[7] = (char)plen;
    }
    return send_all(r, r->frame, n);
}

/* Split data into lines, keeping an unfinished last line for later. */
static int feed(struct reader *r, const char *data, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        int rc = GO_ON;

        if (r->overlong) {
            if (nl)
                r->overlong = false;
        } else if (r->line_len + take > MAX_LINE) {
            r->line_len = 0;
            r->overlong = !nl;
        } else if (nl && r->line_len == 0) {
            rc = emit_line(r, data, take);
        } else {
            if (grow(&r->line, &r->line_cap, r->line_len + take) < 0)
                return -ENOMEM;
            memcpy(r->line + r->line_len, data, take);
            r->line_len += take;
            if (nl) {
                rc = emit_line(r, r->line, r->line_len);
                r->line_len = 0;
            }
        }
        if (rc != GO_ON)
            return rc;
        if (!nl)
            break;
        data = nl + 1;
        n -= take + 1;
    }
    return GO_ON;
}

/* End of a file that will not grow: a last line without '\n' is all there
 * will ever be of it, so try it. */
static int flush_line(struct reader *r)
{
    int rc = GO_ON;
    if (r->line_len > 0 && !r->overlong)
        rc = emit_line(r, r->line, r->line_len);
    r->line_len = 0;
    r->overlong = false;
    return rc;
}

/* Read fd from *off to its current end. */
static int drain(struct reader *r, int fd, off_t *off)
{
    _cleanup_free_ char *buf = malloc(READ_CHUNK);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t k = pread(fd, buf, READ_CHUNK, *off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return jf_report(r->host, -errno, "log %s: read failed: %m", r->path);
        }
        if (k == 0)
            return GO_ON;
        *off += k;
        int rc = feed(r, buf, (size_t)k);
        if (rc != GO_ON)
            return rc;
        if (stopped(r))
            return FINISHED;
    }
}

struct segment {
    int fd;
    dev_t dev;
    ino_t ino;
    off_t size;
};

static char *numbered(const char *path, int k)
{
    char *p;
    if (k == 0)
        return strdup(path);
    return asprintf(&p, "%s.%d", path, k) < 0 ? NULL : p;
}

struct segments {
    struct segment *v;
    size_t n;
};

static void segments_free(struct segments *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].fd >= 0)
            close(s->v[i].fd);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* Open path.k (k = 0 is the current file) and append it unless a rotation
 * racing us made it a file we already hold. Returns 0, 1 when it does not
 * exist, or a negative errno. */
static int add_segment(struct segments *s, const char *path, int k)
{
    _cleanup_free_ char *p = numbered(path, k);
    struct stat st;

    if (!p)
        return -ENOMEM;
    _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT ? 1 : -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].dev == st.st_dev && s->v[i].ino == st.st_ino)
            return 0;
    struct segment *nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    s->v = nv;
    s->v[s->n++] = (struct segment){TAKE_FD(fd), st.st_dev, st.st_ino, st.st_size};
    return 0;
}

/* Open the current file, then path.1, path.2 ... (newest first, so a
 * rotation racing us shows up as a repeated inode, which is dropped), and
 * leave them oldest first. A missing current file is no error: the
 * container may never have written, or a rotation is half done. */
static int open_segments(const char *path, struct segments *s)
{
    for (int k = 0; k < MAX_ROTATED; k++) {
        int r = add_segment(s, path, k);
        if (r < 0) {
            segments_free(s);
            return r;
        }
        if (r == 1 && k > 0)
            break;
    }
    for (size_t i = 0; i < s->n / 2; i++) {
        struct segment t = s->v[i];
        s->v[i] = s->v[s->n - 1 - i];
        s->v[s->n - 1 - i] = t;
    }
    return 0;
}

/* Offset just past the last '\n' of fd below size: what is after it is a
 * line still being written. */
static int complete_end(int fd, off_t size, off_t *ret_end)
{
    char buf[4096];
    off_t pos = size;

    while (pos > 0) {
        size_t want = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
        ssize_t k = pread(fd, buf, want, pos - (off_t)want);
        if (k < 0)
            return -errno;
        if ((size_t)k != want)
            return -EIO;
        for (size_t i = want; i > 0; i--)
            if (buf[i - 1] == '\n') {
                *ret_end = pos - (off_t)want + (off_t)i;
                return 0;
            }
        pos -= (off_t)want;
    }
    *ret_end = 0;
    return 0;
}

/* Count back *need lines from end in fd. Found: *ret_start is the offset of
 * the first of them and returns 1. Otherwise *need drops by the lines the
 * file holds and returns 0. */
static int tail_back(int fd, off_t end, int64_t *need, off_t *ret_start)
{
    _cleanup_free_ char *buf = malloc(READ_CHUNK);
    off_t pos = end;
    int64_t seen = 0;

    if (!buf)
        return -ENOMEM;
    while (pos > 0) {
        size_t want = pos > READ_CHUNK ? READ_CHUNK : (size_t)pos;
        ssize_t k = pread(fd, buf, want, pos - (off_t)want);
        if (k < 0)
            return -errno;
        if ((size_t)k != want)
            return -EIO;
        for (size_t i = want; i > 0; i--) {
            if (buf[i - 1] != '\n')
                continue;
            off_t at = pos - (off_t)want + (off_t)i - 1;
            if (at == end - 1)
                continue; /* the last line's own terminator */
            if (++seen == *need) {
                *ret_start = at + 1;
                return 1;
            }
        }
        pos -= (off_t)want;
    }
    /* Lines in the file = newlines before end-1, plus the last line. */
    *need -= end > 0 ? seen + 1 : 0;
    return 0;
}

static bool stat_is(const char *path, int k, const struct stat *want)
{
    _cleanup_free_ char *p = numbered(path, k);
    struct stat st;
    return p && stat(p, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino;
}

/* Index of the rotated file holding prev (-1 if none does), and of the
 * oldest rotated file (0 if none). One missing index is stepped over: a
 * rotation in progress leaves a moving gap. */
static void scan_rotated(const char *path, const struct stat *prev, int *ret_at, int *ret_oldest)
{
    int misses = 0;

    *ret_at = -1;
    *ret_oldest = 0;
    for (int k = 1; k < MAX_ROTATED && misses < 2; k++) {
        _cleanup_free_ char *p = numbered(path, k);
        struct stat st;
        if (!p || stat(p, &st) < 0) {
            misses++;
            continue;
        }
        misses = 0;
        *ret_oldest = k;
        if (prev && st.st_dev == prev->st_dev && st.st_ino == prev->st_ino) {
            *ret_at = k;
            return;
        }
    }
}

/* Open the file written after prev (the oldest file when prev is NULL),
 * which a rotation may have renamed any number of times while we slept.
 * Returns an fd, or -EAGAIN when it does not exist yet. Names move while we
 * look, so a pick is confirmed after opening it: the writer renames older
 * files first, so if prev is still at path.k once path.(k-1) is open, what
 * we opened was prev's successor. */
static int open_successor(const char *path, const struct stat *prev)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        int at, oldest;
        scan_rotated(path, prev, &at, &oldest);
        if (prev && at < 0) {
            /* Mid-rotation, or prev was deleted (max-file reached while we
             * were slow): look again shortly, then settle for the oldest. */
            usleep(1000);
            continue;
        }
        int want = prev ? at - 1 : oldest;
        _cleanup_free_ char *p = numbered(path, want);
        if (!p)
            return -ENOMEM;
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            if (errno != ENOENT)
                return -errno;
            if (want == 0)
                return -EAGAIN; /* renamed away, its successor not created yet */
            continue;
        }
        if (!prev || stat_is(path, at, prev))
            return fd;
        close(fd);
    }
    return prev ? open_successor(path, NULL) : -EAGAIN;
}

static bool closed_marker(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s.closed", path);
    return access(p, F_OK) == 0;
}

static int watch_dir(const char *path)
{
    _cleanup_free_ char *dir = strdup(path);
    if (!dir)
        return -ENOMEM;
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");

    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0)
        return -errno;
    /* A directory watch reports writes to the files in it as well as the
     * renames and creations of rotation and the .closed marker. */
    if (inotify_add_watch(fd, dir,
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
                              IN_ATTRIB) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

static void wait_for_change(int ino_fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = ino_fd, .events = POLLIN};
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

    if (ino_fd < 0) {
        poll(NULL, 0, timeout_ms);
        return;
    }
    if (poll(&pfd, 1, timeout_ms) > 0)
        while (read(ino_fd, buf, sizeof(buf)) > 0)
            ;
}

/* Follow the current file (fd, or -1 when there is none yet) until stop,
 * until, or the writer's .closed marker. */
static int follow(struct reader *r, int fd, off_t off)
{
    _cleanup_close_ int cur = fd;
    _cleanup_close_ int ino_fd = watch_dir(r->path);
    struct stat prev;
    bool have_prev = false;
    int rc;

    /* Without inotify (limits reached) polling every tick still works. */
    for (;;) {
        bool closed = closed_marker(r->path);

        for (int hops = 0; hops < MAX_ROTATED; hops++) {
            struct stat st, now;
            if (cur < 0) {
                cur = open_successor(r->path, have_prev ? &prev : NULL);
                if (cur == -EAGAIN)
                    break;
                if (cur < 0)
                    return jf_report(r->host, cur, "log %s: cannot open: %s", r->path, strerror(-cur));
                off = 0;
            }
            if ((rc = drain(r, cur, &off)) != GO_ON)
                return rc;
            if (fstat(cur, &st) < 0)
                return -errno;
            if (stat(r->path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino) {
                if (st.st_size >= off)
                    break;
                /* truncated in place (dockerd rotates that way with max-file 1) */
                off = 0;
                r->line_len = 0;
                continue;
            }
            /* Rotated away: the writer is done with it, so read its end
             * once more, then move to its successor. */
            if ((rc = drain(r, cur, &off)) != GO_ON || (rc = flush_line(r)) != GO_ON)
                return rc;
            prev = st;
            have_prev = true;
            close(TAKE_FD(cur));
        }
        /* Everything written before the marker appeared has been read. */
        if (closed || stopped(r))
            return FINISHED;
        int timeout = FOLLOW_TICK_MS;
        if (r->o.until > 0) {
            int64_t left = r->o.until - now_nano();
            if (left < 0)
                return FINISHED;
            if (left / 1000000 < timeout)
                timeout = (int)(left / 1000000) + 1;
        }
        wait_for_change(ino_fd, timeout);
    }
}

/* Where reading starts for tail: segment *ret_first at offset *ret_start.
 * last_end is where the newest segment's complete lines end. */
static int find_start(struct reader *r, const struct segments *s, off_t last_end, size_t *ret_first, off_t *ret_start)
{
    int64_t need = r->o.tail;

    *ret_first = 0;
    *ret_start = 0;
    if (s->n == 0 || need < 0)
        return 0;
    if (need == 0) {
        *ret_first = s->n - 1;
        *ret_start = last_end;
        return 0;
    }
    for (size_t i = s->n; i-- > 0;) {
        off_t end = i == s->n - 1 ? last_end : s->v[i].size;
        int rc = tail_back(s->v[i].fd, end, &need, ret_start);
        if (rc < 0)
            return rc;
        if (rc == 1 || need == 0) {
            *ret_first = i;
            if (rc == 0)
                *ret_start = 0; /* exactly this file's lines and the newer ones */
            return 0;
        }
    }
    *ret_start = 0; /* fewer lines than asked for: all of them */
    return 0;
}

/* Without follow, read the newest file only up to where its complete lines
 * ended when we looked: a writer appending meanwhile is what follow is for. */
static int read_until(struct reader *r, int fd, off_t off, off_t end)
{
    _cleanup_free_ char *buf = malloc(READ_CHUNK);
    int rc = GO_ON;

    if (!buf)
        return -ENOMEM;
    while (off < end && rc == GO_ON) {
        size_t want = end - off > READ_CHUNK ? READ_CHUNK : (size_t)(end - off);
        ssize_t k = pread(fd, buf, want, off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return jf_report(r->host, -errno, "log %s: read failed: %m", r->path);
        if (k == 0)
            break;
        off += k;
        rc = feed(r, buf, (size_t)k);
    }
    return rc;
}

static int read_log(struct reader *r)
{
    _cleanup_(segments_free) struct segments s = {0};
    size_t first;
    off_t start, last_end = 0;
    int rc;

    if ((rc = open_segments(r->path, &s)) < 0)
        return jf_report(r->host, rc, "log %s: cannot open: %s", r->path, strerror(-rc));
    if (s.n > 0 && (rc = complete_end(s.v[s.n - 1].fd, s.v[s.n - 1].size, &last_end)) < 0)
        return jf_report(r->host, rc, "log %s: read failed: %s", r->path, strerror(-rc));
    if ((rc = find_start(r, &s, last_end, &first, &start)) < 0)
        return jf_report(r->host, rc, "log %s: read failed: %s", r->path, strerror(-rc));

    rc = GO_ON;
    for (size_t i = first; i + 1 < s.n && rc == GO_ON; i++) {
        off_t off = i == first ? start : 0;
        rc = drain(r, s.v[i].fd, &off);
        if (rc == GO_ON)
            rc = flush_line(r);
    }
    if (rc != GO_ON)
        return rc;
    off_t off = s.n - 1 == first ? start : 0;
    if (!r->o.follow)
        return s.n ? read_until(r, s.v[s.n - 1].fd, off, last_end) : GO_ON;
    return follow(r, s.n ? TAKE_FD(s.v[s.n - 1].fd) : -1, s.n ? off : 0);
}

int32_t jf_read(void *state, const char *path, const char *options_json, int32_t out_fd, const volatile int32_t *stop)
{
    const pouch_host *host = state ? state : jf_host();
    struct reader r = {.host = host, .path = path, .out_fd = out_fd, .stop = stop};
    sigset_t pipe_set, old_mask, pending;
    int rc;

    if (!path || out_fd < 0)
        return jf_report(host, -EINVAL, "log read: no log path or output");
    if ((rc = parse_read_opts(host, options_json, &r.o)) < 0)
        return rc;

    /* A client that hangs up must cost us an EPIPE, not the daemon a
     * SIGPIPE: block it on this thread and swallow the one we caused. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);

    rc = read_log(&r);
    if (rc > 0)
        rc = 0;

    if (!was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    free(r.line);
    free(r.dec);
    free(r.frame);
    return rc;
}
