/* Writes pouchd's log lines to stderr, one write(2) per line so lines from
 * different threads never interleave. It must never block on anything but
 * the write itself. */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int current_level = POUCH_LOG_INFO;

static const struct {
    const char *name;
    int level;
} level_names[] = {
    {"debug", POUCH_LOG_DEBUG},  {"info", POUCH_LOG_INFO},   {"warn", POUCH_LOG_WARN},
    {"warning", POUCH_LOG_WARN}, {"error", POUCH_LOG_ERROR}, {"fatal", LOG_FATAL_LEVEL},
};

void log_set_level(int level)
{
    __atomic_store_n(&current_level, level, __ATOMIC_RELAXED);
}

int log_get_level(void)
{
    return __atomic_load_n(&current_level, __ATOMIC_RELAXED);
}

int log_level_parse(const char *name, int *ret_level)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (strcmp(name, level_names[i].name) == 0) {
            *ret_level = level_names[i].level;
            return 0;
        }
    return -1;
}

const char *log_level_name(int level)
{
    switch (level) {
    case POUCH_LOG_DEBUG:
        return "debug";
    case POUCH_LOG_INFO:
        return "info";
    case POUCH_LOG_WARN:
        return "warning";
    case POUCH_LOG_ERROR:
        return "error";
    default:
        return "fatal";
    }
}

/* Append s to buf as a quoted logfmt value, escaping quotes, backslashes and
 * control characters so one event is always one line. */
static size_t append_quoted(char *buf, size_t pos, size_t cap, const char *s)
{
    if (pos < cap)
        buf[pos++] = '"';
    for (; *s && pos + 5 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c == '\n') {
            buf[pos++] = '\\';
            buf[pos++] = 'n';
        } else if (c < 0x20) {
            pos += (size_t)snprintf(buf + pos, cap - pos, "\\x%02x", c);
        } else {
            buf[pos++] = (char)c;
        }
    }
    if (pos < cap)
        buf[pos++] = '"';
    return pos;
}

void log_writev(int level, const char *origin, const char *fmt, va_list ap)
{
    if (level > log_get_level() && level != LOG_FATAL_LEVEL)
        return;

    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);

    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);

    char line[4096];
    size_t cap = sizeof(line) - 1;
    size_t pos = strftime(line, cap, "time=\"%Y-%m-%dT%H:%M:%S", &tm);
    pos += (size_t)snprintf(line + pos, cap - pos, ".%09ldZ\" level=%s msg=", ts.tv_nsec, log_level_name(level));
    pos = append_quoted(line, pos, cap, msg);
    if (origin && pos < cap)
        pos += (size_t)snprintf(line + pos, cap - pos, " plugin=%s", origin);
    if (pos > cap)
        pos = cap;
    line[pos++] = '\n';
    (void)!write(STDERR_FILENO, line, pos);
}

void log_write(int level, const char *origin, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_writev(level, origin, fmt, ap);
    va_end(ap);
}
