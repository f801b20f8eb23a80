/* RFC 3339 formatting and parsing for the log drivers, done by hand so the
 * output matches Go's layouts byte for byte. Never consults TZ or the locale:
 * log files are always UTC. */
#include <errno.h>
#include <stdio.h>

#include "log-time.h"

#define NSEC_PER_SEC 1000000000LL

/* Howard Hinnant's civil-from-days: exact for the whole proleptic Gregorian
 * calendar, unlike gmtime_r which depends on time_t range and can fail. */
static void civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;

    *ret_y = y + (m <= 2);
    *ret_m = m;
    *ret_d = d;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

size_t log_time_format(char *buf, int64_t time_nano, int fixed)
{
    int64_t secs = time_nano / NSEC_PER_SEC;
    int64_t nsec = time_nano % NSEC_PER_SEC;
    if (nsec < 0) {
        nsec += NSEC_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);

    int n = snprintf(buf, LOG_TIME_MAX, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, mo, d, (int)(sod / 3600),
                     (int)(sod / 60 % 60), (int)(sod % 60));
    if (n < 0 || n >= LOG_TIME_MAX - 12)
        return 0;
    if (fixed || nsec != 0) {
        char frac[10];
        snprintf(frac, sizeof(frac), "%09lld", (long long)nsec);
        int digits = 9;
        while (!fixed && digits > 0 && frac[digits - 1] == '0')
            digits--;
        buf[n++] = '.';
        for (int i = 0; i < digits; i++)
            buf[n++] = frac[i];
    }
    buf[n++] = 'Z';
    buf[n] = '\0';
    return (size_t)n;
}

static int digits(const char *s, size_t n, unsigned *ret)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *ret = v;
    return 0;
}

int log_time_parse(const char *s, size_t len, int64_t *ret_nano)
{
    unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
    int64_t nsec = 0;
    int sign = 0;

    if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return -EINVAL;
    if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 ||
        digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &sec) < 0)
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return -EINVAL;

    size_t i = 19;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        int64_t scale = NSEC_PER_SEC;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            /* Go truncates digits past nanoseconds; so do we. */
            if (scale > 1) {
                scale /= 10;
                nsec += (s[i] - '0') * scale;
            }
            i++;
        }
        if (i == start)
            return -EINVAL;
    }
    if (i + 1 == len && s[i] == 'Z') {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        sign = s[i] == '+' ? 1 : -1;
        if (digits(s + i + 1, 2, &oh) < 0 || digits(s + i + 4, 2, &om) < 0 || oh > 23 || om > 59)
            return -EINVAL;
        i += 6;
    } else {
        return -EINVAL;
    }

    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    secs -= sign * (int64_t)(oh * 3600 + om * 60);
    /* int64 nanoseconds cover 1677..2262: refuse what would overflow. */
    int64_t t;
    if (secs < 0 && nsec > 0) { /* the earliest second is only partly representable */
        secs++;
        nsec -= NSEC_PER_SEC;
    }
    if (__builtin_mul_overflow(secs, NSEC_PER_SEC, &t) || __builtin_add_overflow(t, nsec, &t))
        return -ERANGE;
    *ret_nano = t;
    return 0;
}
