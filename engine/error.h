/* The per-thread error slot: whoever fails records what went wrong once,
 * callers propagate the errno without re-reporting (the libvirt rule). */
#ifndef POUCH_ENGINE_ERROR_H
#define POUCH_ENGINE_ERROR_H

#include <stdarg.h>

/* Record a message and return err (a negative errno), so one line can both
 * report and return: `return err_set(-EINVAL, "bad %s", x);`. */
int err_set(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_setv(int err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The last recorded message on this thread ("" when none). */
const char *err_get(void);
void err_clear(void);

#endif
