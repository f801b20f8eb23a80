/* Scope-cleanup helpers shared by the core and the in-tree plugins.
 * Header-only and internal: never installed, never part of the plugin ABI. */
#ifndef POUCH_COMMON_CLEANUP_H
#define POUCH_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
    free(*(void **)p);
}

static inline void cleanup_closep(const int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void cleanup_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)
#define _cleanup_closedir_ _cleanup_(cleanup_closedirp)

/* Hand a cleanup-owned pointer to someone else: returns it and clears the owner. */
#define TAKE_PTR(p)                                                                                                    \
    ({                                                                                                                 \
        __typeof__(p) _taken = (p);                                                                                    \
        (p) = NULL;                                                                                                    \
        _taken;                                                                                                        \
    })
#define TAKE_FD(fd)                                                                                                    \
    ({                                                                                                                 \
        int _taken = (fd);                                                                                             \
        (fd) = -1;                                                                                                     \
        _taken;                                                                                                        \
    })

/* Declare a cleanup function for type T, calling fn(T *) when non-NULL. */
#define DEFINE_POINTER_CLEANUP(T, fn)                                                                                  \
    static inline void fn##p(T **p)                                                                                    \
    {                                                                                                                  \
        if (*p)                                                                                                        \
            fn(*p);                                                                                                    \
    }

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
