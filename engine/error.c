/* Thread-local storage for the last error message. Never allocates, so it
 * works even when the failure being reported is ENOMEM. */
#include "error.h"

#include <stdio.h>

static __thread char err_buf[2048];

int err_setv(int err, const char *fmt, va_list ap)
{
    vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
    return err;
}

int err_set(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(err, fmt, ap);
    va_end(ap);
    return err;
}

const char *err_get(void)
{
    return err_buf;
}

void err_clear(void)
{
    err_buf[0] = '\0';
}
