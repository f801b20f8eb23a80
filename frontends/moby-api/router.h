/* Route table matching and API-version prefix handling for the Moby API.
 * Pure string code with no I/O and no MHD: it must stay unit-testable and
 * must never allocate on the request path beyond the caller's buffers. */
#ifndef MOBY_API_ROUTER_H
#define MOBY_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#define MOBY_API_VERSION_MAX "1.41"
#define MOBY_API_VERSION_MIN "1.24"

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_LEN 512

struct request;
/* A handler queues exactly one response; returns 0, or a negative errno when
 * it could not, which closes the connection. */
typedef int (*route_handler)(struct request *req);

enum route_flags {
    ROUTE_BODY = 1u << 0,   /* the handler reads a (size-limited) request body */
    ROUTE_STREAM = 1u << 1, /* the handler runs before the body (phase 0), which is then
                               copied to req->body_fd, and again after it (phase 1) */
};

struct route {
    const char *method;  /* exact, e.g. "GET"; HEAD is routed only where listed */
    const char *pattern; /* "/containers/{id}/json": {name} matches one segment */
    route_handler fn;
    unsigned flags;
};

struct route_params {
    size_t n;
    struct {
        const char *name; /* points into the route pattern */
        size_t name_len;
        char value[ROUTE_PARAM_LEN]; /* URL-decoded */
    } v[ROUTE_MAX_PARAMS];
};

enum route_status {
    ROUTE_OK = 0,
    ROUTE_NOT_FOUND, /* unknown path, or the method is not served there */
    ROUTE_TOO_NEW,   /* versioned path above MOBY_API_VERSION_MAX */
    ROUTE_TOO_OLD,   /* versioned path below MOBY_API_VERSION_MIN */
};

struct route_result {
    enum route_status status;
    const struct route *route; /* set unless NOT_FOUND */
    char version[32];          /* "" when the path had no /vX prefix */
    struct route_params params;
};

/* Compare dotted versions component by component, as numbers (a missing or
 * non-numeric component counts as 0, as dockerd does). <0, 0 or >0. */
int version_compare(const char *a, const char *b);

/* Split "/v1.41/rest" into version "1.41" and path "/rest". Returns true when
 * a prefix was present; version must hold cap bytes. A path without a valid
 * prefix is returned whole with version "". */
bool router_split_version(const char *url, char *version, size_t cap, const char **ret_path);

/* Percent-decode src[0..len) into dst (cap bytes incl. NUL). -EINVAL on a bad
 * escape or an embedded NUL, -ENAMETOOLONG when it does not fit. */
int url_decode(const char *src, size_t len, char *dst, size_t cap);

/* Resolve method + raw (still percent-encoded) path against table. */
void router_resolve(const struct route *table, size_t n, const char *method, const char *url, struct route_result *ret);

/* Value of path parameter name, or NULL. */
const char *route_param(const struct route_params *p, const char *name);

#endif
