/* Route table matching and API-version prefix handling for the Moby API.
 * Pure string code: no I/O, no MHD, no allocation; it must never decide
 * anything about a request beyond which handler serves it. */
#include "router.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* One dotted component as a number; like Go's strconv.Atoi in dockerd's
 * versions.compare, anything unparsable (or out of range) counts as 0. */
static long component(const char *s, size_t len)
{
    if (len == 0 || len > 9)
        return 0;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int version_compare(const char *a, const char *b)
{
    while (*a || *b) {
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        long ca = component(a, la), cb = component(b, lb);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        a += la;
        b += lb;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
    }
    return 0;
}

bool router_split_version(const char *url, char *version, size_t cap, const char **ret_path)
{
    version[0] = '\0';
    *ret_path = url;
    /* dockerd's mux pattern is /v{version:[0-9.]+}/..., so "/v1.x" is no
     * prefix at all and falls through to "page not found". */
    if (url[0] != '/' || url[1] != 'v')
        return false;
    size_t n = strspn(url + 2, "0123456789.");
    if (n == 0 || url[2 + n] != '/' || n >= cap)
        return false;
    memcpy(version, url + 2, n);
    version[n] = '\0';
    *ret_path = url + 2 + n;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int url_decode(const char *src, size_t len, char *dst, size_t cap)
{
    if (cap == 0)
        return -ENAMETOOLONG;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -EINVAL;
            int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0')
            return -EINVAL;
        if (o + 1 >= cap)
            return -ENAMETOOLONG;
        dst[o++] = c;
    }
    dst[o] = '\0';
    return 0;
}

static size_t seg_len(const char *s)
{
    return strcspn(s, "/");
}

static bool add_param(struct route_params *p, const char *name, size_t name_len, const char *val, size_t val_len)
{
    if (p->n >= ROUTE_MAX_PARAMS)
        return false;
    if (url_decode(val, val_len, p->v[p->n].value, sizeof(p->v[p->n].value)) < 0)
        return false;
    p->v[p->n].name = name;
    p->v[p->n].name_len = name_len;
    p->n++;
    return true;
}

/* Match pattern against path segment by segment. "{x}" takes one non-empty
 * segment; "{x*}" takes one or more (image names contain slashes) and
 * backtracks so the rest of the pattern can still match. */
static bool match(const char *pat, const char *path, struct route_params *p)
{
    while (*pat && *path) {
        if (*pat != '/' || *path != '/')
            return false;
        pat++;
        path++;
        size_t pl = seg_len(pat), sl = seg_len(path);
        if (pl >= 2 && pat[0] == '{' && pat[pl - 1] == '}') {
            bool greedy = pat[pl - 2] == '*';
            size_t name_len = pl - 2 - (greedy ? 1 : 0);
            if (sl == 0)
                return false;
            if (!greedy) {
                if (!add_param(p, pat + 1, name_len, path, sl))
                    return false;
            } else {
                /* Try the longest run of segments first, like dockerd's
                 * {name:.*} regexps. */
                const char *rest_pat = pat + pl;
                for (size_t take = strlen(path); take > 0; take--) {
                    if (path[take] != '\0' && path[take] != '/')
                        continue;
                    size_t saved = p->n;
                    if (add_param(p, pat + 1, name_len, path, take) && match(rest_pat, path + take, p))
                        return true;
                    p->n = saved;
                }
                return false;
            }
        } else if (pl != sl || memcmp(pat, path, pl) != 0) {
            return false;
        }
        pat += pl;
        path += sl;
    }
    return *pat == '\0' && *path == '\0';
}

void router_resolve(const struct route *table, size_t n, const char *method, const char *url, struct route_result *ret)
{
    memset(ret, 0, sizeof(*ret));
    const char *path;
    router_split_version(url, ret->version, sizeof(ret->version), &path);
    ret->status = ROUTE_NOT_FOUND;
    for (size_t i = 0; i < n; i++) {
        ret->params.n = 0;
        if (strcmp(table[i].method, method) != 0 || !match(table[i].pattern, path, &ret->params))
            continue;
        ret->route = &table[i];
        ret->status = ROUTE_OK;
        break;
    }
    if (ret->status != ROUTE_OK) {
        ret->params.n = 0;
        return;
    }
    /* Like dockerd, the version is checked only once a route matched: an
     * unknown path is "page not found" whatever its version. */
    if (ret->version[0] && version_compare(ret->version, MOBY_API_VERSION_MIN) < 0)
        ret->status = ROUTE_TOO_OLD;
    else if (ret->version[0] && version_compare(ret->version, MOBY_API_VERSION_MAX) > 0)
        ret->status = ROUTE_TOO_NEW;
}

const char *route_param(const struct route_params *p, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].name_len == len && memcmp(p->v[i].name, name, len) == 0)
            return p->v[i].value;
    return NULL;
}
