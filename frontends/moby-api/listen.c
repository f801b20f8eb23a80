/* Listener addresses (unix://PATH, tcp://HOST:PORT) and their sockets.
 * Must never remove a file that is not a socket, nor a socket another live
 * daemon is serving on. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "moby-api.h"

#define DEFAULT_UNIX_SOCKET "/run/pouchd.sock"

static int bad(char **ret_msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(char **ret_msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(ret_msg, fmt, ap) < 0)
        *ret_msg = NULL;
    va_end(ap);
    return -EINVAL;
}

static int parse_tcp(const char *uri, const char *rest, bool tls, struct listen_spec *s, char **ret_msg)
{
    const char *port;
    size_t hlen;
    if (rest[0] == '[') {
        const char *close = strchr(rest, ']');
        if (!close)
            return bad(ret_msg, "host %s: unclosed '[' in the IPv6 address; write it like tcp://[::1]:2376", uri);
        hlen = (size_t)(close - rest - 1);
        rest++;
        if (close[1] != '\0' && close[1] != ':')
            return bad(ret_msg, "host %s: expected ':PORT' after the IPv6 address", uri);
        port = close[1] == ':' ? close + 2 : "";
        struct in6_addr a6;
        char tmp[INET6_ADDRSTRLEN + 1];
        if (hlen >= sizeof(tmp) || (memcpy(tmp, rest, hlen), tmp[hlen] = '\0', inet_pton(AF_INET6, tmp, &a6) != 1))
            return bad(ret_msg, "host %s: '%.*s' is not an IPv6 address", uri, (int)hlen, rest);
    } else {
        const char *colon = strrchr(rest, ':');
        if (colon && strchr(rest, ':') != colon)
            return bad(ret_msg, "host %s: put an IPv6 address in brackets, like tcp://[::1]:2376", uri);
        hlen = colon ? (size_t)(colon - rest) : strlen(rest);
        port = colon ? colon + 1 : "";
    }
    if (hlen >= sizeof(s->host))
        return bad(ret_msg, "host %s: the host name is too long", uri);
    if (strpbrk(port, "/?#") || (hlen && strpbrk(rest, "/?#") && strpbrk(rest, "/?#") < rest + hlen))
        return bad(ret_msg, "host %s: a tcp address takes no path; use tcp://HOST:PORT", uri);
    memcpy(s->host, rest, hlen);
    s->host[hlen] = '\0';
    /* dockerd's defaults when the port is left out. */
    if (!*port)
        port = tls ? "2376" : "2375";
    char *end;
    long p = strtol(port, &end, 10);
    if (*end || p < 1 || p > 65535 || !(port[0] >= '0' && port[0] <= '9'))
        return bad(ret_msg, "host %s: port '%s' is not a number from 1 to 65535", uri, port);
    snprintf(s->port, sizeof(s->port), "%ld", p);
    s->kind = LISTEN_TCP;
    return 0;
}

int listen_spec_parse(const char *uri, bool tls, struct listen_spec *ret, char **ret_msg)
{
    struct listen_spec s = {0};
    *ret_msg = NULL;
    if (!uri || !*uri)
        return bad(ret_msg, "an empty host was given; use unix:///run/pouchd.sock or tcp://127.0.0.1:2376");
    if (strlen(uri) >= sizeof(s.uri))
        return bad(ret_msg, "host %.40s...: too long", uri);
    snprintf(s.uri, sizeof(s.uri), "%s", uri);
    if (strncmp(uri, "unix://", 7) == 0) {
        const char *path = uri[7] ? uri + 7 : DEFAULT_UNIX_SOCKET;
        if (path[0] != '/')
            return bad(ret_msg, "host %s: the socket path must be absolute, like unix:///run/pouchd.sock", uri);
        if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return bad(ret_msg, "host %s: the socket path is longer than the %zu bytes a unix socket allows", uri,
                       sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        snprintf(s.path, sizeof(s.path), "%s", path);
        s.kind = LISTEN_UNIX;
    } else if (strncmp(uri, "tcp://", 6) == 0) {
        int r = parse_tcp(uri, uri + 6, tls, &s, ret_msg);
        if (r < 0)
            return r;
    } else {
        return bad(ret_msg, "host %s: unsupported address; use unix://PATH or tcp://HOST:PORT", uri);
    }
    *ret = s;
    return 0;
}

/* Another daemon answering on path means it is not stale. */
static bool socket_in_use(const char *path)
{
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static int open_unix(struct server *srv, struct listener *l)
{
    const pouch_host *h = srv->host;
    const char *path = l->spec.path;
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return h->error(h, -EEXIST, "listen %s: %s exists and is not a socket; move it away or pick another path",
                            l->spec.uri, path);
        if (socket_in_use(path))
            return h->error(h, -EADDRINUSE, "listen %s: another daemon is serving on %s; stop it first", l->spec.uri,
                            path);
        if (unlink(path) < 0 && errno != ENOENT)
            return h->error(h, -errno, "listen %s: removing the stale socket: %s", l->spec.uri, strerror(errno));
    }
    _cleanup_free_ char *dir = strdup(path);
    if (!dir)
        return -ENOMEM;
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return h->error(h, -errno, "listen %s: creating %s: %s", l->spec.uri, dir, strerror(errno));
    }
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return h->error(h, -errno, "listen %s: socket: %s", l->spec.uri, strerror(errno));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return h->error(h, -errno, "listen %s: bind: %s", l->spec.uri, strerror(errno));
    l->created = true;
    if (stat(path, &st) == 0) {
        l->dev = st.st_dev;
        l->ino = st.st_ino;
    }
    /* Permissions before listen(): nobody can connect in between. */
    if (chmod(path, 0660) < 0)
        return h->error(h, -errno, "listen %s: chmod 0660: %s", l->spec.uri, strerror(errno));
    const char *group = srv->socket_group ? srv->socket_group : "pouch";
    struct group gr, *res = NULL;
    char buf[4096];
    if (*group && getgrnam_r(group, &gr, buf, sizeof(buf), &res) == 0 && res) {
        if (chown(path, (uid_t)-1, res->gr_gid) < 0)
            h->log(h, POUCH_LOG_WARN, "listen %s: chown to group %s: %s", l->spec.uri, group, strerror(errno));
    } else if (srv->socket_group && *group) {
        h->log(h, POUCH_LOG_WARN, "listen %s: group %s does not exist; the socket stays owned by group %u", l->spec.uri,
               group, (unsigned)getgid());
    }
    if (listen(fd, 1024) < 0)
        return h->error(h, -errno, "listen %s: listen: %s", l->spec.uri, strerror(errno));
    l->fd = TAKE_FD(fd);
    return 0;
}

static int open_tcp(struct server *srv, struct listener *l)
{
    const pouch_host *h = srv->host;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    /* An empty host means every address: "::" with IPv6-only off covers
     * IPv4 too, like Go's ":PORT"; hosts without IPv6 fall back below. */
    const char *node = l->spec.host[0] ? l->spec.host : "::";
    int gr = getaddrinfo(node, l->spec.port, &hints, &ai);
    if (gr != 0 && !l->spec.host[0])
        gr = getaddrinfo("0.0.0.0", l->spec.port, &hints, &ai);
    if (gr != 0)
        return h->error(h, -EINVAL, "listen %s: resolving '%s': %s", l->spec.uri, l->spec.host, gai_strerror(gr));
    int err = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        _cleanup_close_ int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int on = 1, off = 0;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (a->ai_family == AF_INET6 && !l->spec.host[0])
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
            err = errno;
            continue;
        }
        l->fd = TAKE_FD(fd);
        break;
    }
    freeaddrinfo(ai);
    if (l->fd < 0)
        return h->error(h, -(err ? err : EADDRNOTAVAIL), "listen %s: bind: %s", l->spec.uri,
                        strerror(err ? err : EADDRNOTAVAIL));
    return 0;
}

int listener_open(struct server *srv, struct listener *l)
{
    return l->spec.kind == LISTEN_UNIX ? open_unix(srv, l) : open_tcp(srv, l);
}

void listener_remove_socket(struct listener *l)
{
    if (l->spec.kind != LISTEN_UNIX || !l->created)
        return;
    struct stat st;
    /* Only our own socket: a newer pouchd may already have replaced it. */
    if (lstat(l->spec.path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == l->dev && st.st_ino == l->ino)
        unlink(l->spec.path);
    l->created = false;
}
