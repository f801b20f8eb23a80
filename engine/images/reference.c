/* Docker reference grammar (distribution/reference): domain, path
 * components, tag and digest, with docker.io normalisation. Hand-written
 * scanners, not regexes, so hostile input costs linear time. */
#include "reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define DEFAULT_DOMAIN "docker.io"
#define OFFICIAL_PREFIX "library/"

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool reference_is_full_id(const char *s)
{
    if (strncmp(s, "sha256:", 7) == 0)
        s += 7;
    return strlen(s) == 64 && is_hex(s, 64);
}

bool reference_is_id_prefix(const char *s)
{
    if (strncmp(s, "sha256:", 7) == 0)
        s += 7;
    size_t n = strlen(s);
    return n >= 1 && n <= 64 && is_hex(s, n);
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+ */
static bool valid_path_component(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(s[0]))
        return false;
    while (i < n) {
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return true;
        size_t sep = i;
        if (s[i] == '.' || (s[i] == '_' && (i + 1 >= n || s[i + 1] != '_')))
            i++;
        else if (s[i] == '_' && s[i + 1] == '_')
            i += 2;
        else if (s[i] == '-')
            while (i < n && s[i] == '-')
                i++;
        else
            return false;
        if (i == sep || i == n || !is_lower_alnum(s[i]))
            return false;
    }
    return true;
}

/* domain := component ('.' component)* (':' port)?, component := [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])? */
static bool valid_domain(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t host_len = colon ? (size_t)(colon - s) : n;
    if (colon) {
        size_t port_len = n - host_len - 1;
        if (port_len == 0)
            return false;
        for (size_t i = 0; i < port_len; i++)
            if (!isdigit((unsigned char)colon[1 + i]))
                return false;
    }
    if (host_len == 0)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= host_len; i++) {
        if (i < host_len && s[i] != '.')
            continue;
        size_t len = i - start;
        if (len == 0 || !isalnum((unsigned char)s[start]) || !isalnum((unsigned char)s[i - 1]))
            return false;
        for (size_t j = start; j < i; j++)
            if (!isalnum((unsigned char)s[j]) && s[j] != '-')
                return false;
        start = i + 1;
    }
    return true;
}

static bool valid_tag(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    if (!(isalnum((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

static int invalid(const char *detail)
{
    if (detail)
        return err_set(-EINVAL, "invalid reference format: %s", detail);
    return err_set(-EINVAL, "invalid reference format");
}

int reference_parse(const char *s, struct reference *ret)
{
    struct reference r = {0};
    char buf[512];
    if (!s || !*s)
        return invalid(NULL);
    if (strlen(s) >= sizeof(buf))
        return invalid("repository name must not be more than 255 characters");
    snprintf(buf, sizeof(buf), "%s", s);

    char *at = strchr(buf, '@');
    if (at) {
        *at = '\0';
        const char *dg = at + 1;
        if (strncmp(dg, "sha256:", 7) != 0 || strlen(dg) != 71 || !is_hex(dg + 7, 64))
            return invalid(NULL);
        snprintf(r.digest, sizeof(r.digest), "%s", dg);
    }
    /* A tag is after the last ':' that follows the last '/'. */
    char *slash = strrchr(buf, '/');
    char *colon = strrchr(slash ? slash : buf, ':');
    if (colon) {
        *colon = '\0';
        if (!valid_tag(colon + 1))
            return invalid(NULL);
        snprintf(r.tag, sizeof(r.tag), "%s", colon + 1);
    }
    if (!*buf)
        return invalid(NULL);
    if (strlen(buf) > 255)
        return invalid("repository name must not be more than 255 characters");

    /* Split off a domain: the first component, when it has '.' or ':' or is localhost. */
    char *first_slash = strchr(buf, '/');
    const char *rest = buf;
    if (first_slash) {
        size_t n = (size_t)(first_slash - buf);
        bool looks_like_domain =
            memchr(buf, '.', n) || memchr(buf, ':', n) || (n == 9 && !strncmp(buf, "localhost", 9));
        if (looks_like_domain) {
            if (!valid_domain(buf, n))
                return invalid(NULL);
            snprintf(r.domain, sizeof(r.domain), "%.*s", (int)n, buf);
            rest = first_slash + 1;
        }
    }
    if (!r.domain[0])
        snprintf(r.domain, sizeof(r.domain), DEFAULT_DOMAIN);
    if (strcmp(r.domain, "index.docker.io") == 0)
        snprintf(r.domain, sizeof(r.domain), DEFAULT_DOMAIN);

    for (const char *p = rest; *p; p++)
        if (isupper((unsigned char)*p))
            return invalid("repository name must be lowercase");
    const char *comp = rest;
    for (;;) {
        const char *end = strchr(comp, '/');
        size_t n = end ? (size_t)(end - comp) : strlen(comp);
        if (!valid_path_component(comp, n))
            return invalid(NULL);
        if (!end)
            break;
        comp = end + 1;
    }
    if (strcmp(r.domain, DEFAULT_DOMAIN) == 0 && !strchr(rest, '/'))
        snprintf(r.path, sizeof(r.path), OFFICIAL_PREFIX "%s", rest);
    else
        snprintf(r.path, sizeof(r.path), "%s", rest);
    if (strlen(r.domain) + 1 + strlen(r.path) > 255)
        return invalid("repository name must not be more than 255 characters");
    *ret = r;
    return 0;
}

void reference_default_tag(struct reference *r)
{
    if (!r->tag[0] && !r->digest[0])
        snprintf(r->tag, sizeof(r->tag), "latest");
}

void reference_full_name(const struct reference *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", r->domain, r->path);
}

void reference_familiar_name(const struct reference *r, char *buf, size_t cap)
{
    if (strcmp(r->domain, DEFAULT_DOMAIN) != 0) {
        snprintf(buf, cap, "%s/%s", r->domain, r->path);
        return;
    }
    const char *p = r->path;
    if (strncmp(p, OFFICIAL_PREFIX, strlen(OFFICIAL_PREFIX)) == 0 && !strchr(p + strlen(OFFICIAL_PREFIX), '/'))
        p += strlen(OFFICIAL_PREFIX);
    snprintf(buf, cap, "%s", p);
}

void reference_familiar_string(const struct reference *r, char *buf, size_t cap)
{
    char name[REF_NAME_MAX * 2];
    reference_familiar_name(r, name, sizeof(name));
    snprintf(buf, cap, "%s%s%s%s%s", name, r->tag[0] ? ":" : "", r->tag, r->digest[0] ? "@" : "", r->digest);
}
