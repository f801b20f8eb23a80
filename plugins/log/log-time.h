/* Timestamps as dockerd writes and prints them: RFC 3339 in UTC with Go's
 * RFC3339Nano (fraction trimmed) and RFC3339NanoFixed (9 digits) layouts.
 * Pure functions: no allocation, no locale, no time zone database. */
#ifndef POUCH_LOG_TIME_H
#define POUCH_LOG_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Longest formatted time plus NUL: "-292277-..." cannot occur for int64 ns,
 * whose years stay within 1677..2262, so 40 is ample. */
#define LOG_TIME_MAX 40

/* Format time_nano (ns since the Unix epoch) into buf (LOG_TIME_MAX bytes);
 * fixed = 1 keeps all 9 fraction digits (docker logs -t), fixed = 0 trims
 * trailing zeros and drops an all-zero fraction (what json-file stores).
 * Returns the length written, excluding the NUL. */
size_t log_time_format(char *buf, int64_t time_nano, int fixed);

/* Parse an RFC 3339 time ("2026-11-28T19:40:00.123456789Z" or with a
 * "+hh:mm" offset) of exactly len bytes. Returns 0 or -EINVAL. */
int log_time_parse(const char *s, size_t len, int64_t *ret_nano);

#endif
