/* Structured log lines for pouchd: time, level, message, and key=value fields,
 * in the logrus text format dockerd users already grep. Never allocates on the
 * write path beyond one stack buffer, so it is safe from any thread. */
#ifndef POUCH_ENGINE_LOG_H
#define POUCH_ENGINE_LOG_H

#include <stdarg.h>

#include <pouch/host.h>

#define LOG_FATAL_LEVEL 2 /* "fatal": always printed */

void log_set_level(int level);
int log_get_level(void);
/* Parse "debug", "info", "warn"/"warning", "error", "fatal" into *ret_level. */
int log_level_parse(const char *name, int *ret_level);
const char *log_level_name(int level);

/* origin names the plugin the line is about, or NULL for the core. */
void log_write(int level, const char *origin, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_writev(int level, const char *origin, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#define log_error(...) log_write(POUCH_LOG_ERROR, NULL, __VA_ARGS__)
#define log_warn(...) log_write(POUCH_LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...) log_write(POUCH_LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_write(POUCH_LOG_DEBUG, NULL, __VA_ARGS__)

#endif
