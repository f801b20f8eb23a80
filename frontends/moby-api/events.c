/* GET /events: one subscription per client, fed by the engine's event bus
 * and drained by the client's own MHD thread. The bus callback only copies
 * and signals; it must never block, and a slow client must never hold up the
 * bus or any other request. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "events-filter.h"
#include "moby-api.h"

/* A client this far behind is dropped rather than let it eat memory. */
#define STREAM_QUEUE_MAX 4096

struct line {
    struct line *next;
    size_t len;
    char text[];
};

struct event_stream {
    struct event_stream *prev, *next; /* in srv->streams, under srv->lock */
    struct server *srv;
    int conn_fd; /* borrowed from MHD: watched for the client hanging up */
    int wake_fd; /* eventfd: a line was queued, or we are stopping */
    uint64_t sub_id;
    bool subscribed;

    pthread_mutex_t lock; /* guards everything below */
    struct event_filter filter;
    int64_t since, until; /* ns; 0/INT64_MAX when unset */
    bool only_past;       /* until in the past: replay, then end */
    bool overflow, closing;
    struct line *head, *tail;
    size_t queued;
    size_t sent; /* bytes of head already handed to MHD */
};

static void wake(struct event_stream *s)
{
    uint64_t one = 1;
    /* An eventfd write fails only when the counter would overflow, which
     * still leaves it readable: nothing to handle. */
    ssize_t r = write(s->wake_fd, &one, sizeof(one));
    (void)r;
}

/* Bus callback: filter, render, enqueue. Runs on the publisher's thread with
 * the bus locked, so it takes only our own short lock. */
static void on_event(void *user, const pouch_event *ev)
{
    struct event_stream *s = user;
    if (ev->time_nano < s->since || ev->time_nano > s->until)
        return;
    json_t *attrs = ev->attributes ? json_loads(ev->attributes, 0, NULL) : NULL;
    if (attrs && !json_is_object(attrs)) {
        json_decref(attrs);
        attrs = NULL;
    }
    pthread_mutex_lock(&s->lock);
    bool want = !s->closing && !s->overflow && event_filter_match(&s->filter, ev, attrs);
    pthread_mutex_unlock(&s->lock);
    _cleanup_free_ char *text = want ? event_render(ev, attrs) : NULL;
    json_decref(attrs);
    if (!text)
        return;
    size_t len = strlen(text);
    struct line *l = malloc(sizeof(*l) + len + 1);
    pthread_mutex_lock(&s->lock);
    if (!l || s->queued >= STREAM_QUEUE_MAX) {
        s->overflow = true;
    } else {
        memcpy(l->text, text, len + 1);
        l->len = len;
        l->next = NULL;
        if (s->tail)
            s->tail->next = l;
        else
            s->head = l;
        s->tail = l;
        s->queued++;
        l = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    free(l);
    wake(s);
}

static int64_t now_nano(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Copy queued text into buf; 0 when the queue is empty. */
static size_t drain(struct event_stream *s, char *buf, size_t max)
{
    size_t out = 0;
    while (s->head && out < max) {
        struct line *l = s->head;
        size_t n = l->len - s->sent;
        if (n > max - out)
            n = max - out;
        memcpy(buf + out, l->text + s->sent, n);
        out += n;
        s->sent += n;
        if (s->sent < l->len)
            break;
        s->head = l->next;
        if (!s->head)
            s->tail = NULL;
        s->queued--;
        s->sent = 0;
        free(l);
    }
    return out;
}

/* MHD content reader, on the client's connection thread: it may block, as
 * thread-per-connection gives every client its own thread. */
static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct event_stream *s = cls;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        size_t n = drain(s, buf, max);
        bool end = s->closing || s->overflow || (s->only_past && !s->head);
        pthread_mutex_unlock(&s->lock);
        if (n > 0)
            return (ssize_t)n;
        if (end)
            return MHD_CONTENT_READER_END_OF_STREAM;

        int timeout = -1;
        if (s->until != INT64_MAX) {
            int64_t left = s->until - now_nano();
            if (left <= 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
            timeout = left / 1000000 > 60000 ? 60000 : (int)(left / 1000000) + 1;
        }
        /* Watch the client too: with no event to write, MHD would never
         * notice it left, and the subscription would live forever. */
        struct pollfd p[2] = {{.fd = s->wake_fd, .events = POLLIN}, {.fd = s->conn_fd, .events = POLLRDHUP}};
        int r = poll(p, s->conn_fd >= 0 ? 2 : 1, timeout);
        if (r < 0 && errno != EINTR)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (r > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
            /* On stop MHD shuts the socket down too: that is a clean end. */
            pthread_mutex_lock(&s->lock);
            bool closing = s->closing;
            pthread_mutex_unlock(&s->lock);
            return closing ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (p[0].revents & POLLIN) {
            uint64_t v;
            ssize_t rr = read(s->wake_fd, &v, sizeof(v));
            (void)rr;
        }
    }
}

static void stream_free(void *cls)
{
    struct event_stream *s = cls;
    if (!s)
        return;
    struct server *srv = s->srv;
    const pouch_host *h = srv->host;
    /* Unsubscribe first and without our lock: the bus calls on_event with
     * its own lock held, and after this returns it never calls it again. */
    if (s->subscribed)
        h->event_unsubscribe(h, s->sub_id);
    pthread_mutex_lock(&srv->lock);
    if (s->prev || s->next || srv->streams == s) {
        if (s->prev)
            s->prev->next = s->next;
        else
            srv->streams = s->next;
        if (s->next)
            s->next->prev = s->prev;
        srv->n_streams--;
    }
    pthread_mutex_unlock(&srv->lock);
    while (s->head) {
        struct line *l = s->head;
        s->head = l->next;
        free(l);
    }
    event_filter_done(&s->filter);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

DEFINE_POINTER_CLEANUP(struct event_stream, stream_free)

/* Parse since/until/filters into s; on a client error queue the 400. */
static int parse_query(struct request *req, struct event_stream *s, bool *ret_answered)
{
    _cleanup_free_ char *since = http_query(req, "since");
    _cleanup_free_ char *until = http_query(req, "until");
    _cleanup_free_ char *filters = http_query(req, "filters");
    _cleanup_free_ char *msg = NULL;
    bool since_set, until_set;
    int64_t since_ns = 0, until_ns = INT64_MAX;
    *ret_answered = true;
    if (event_time_parse(since, &since_ns, &since_set, &msg) < 0 ||
        event_time_parse(until, &until_ns, &until_set, &msg) < 0)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "%s", msg ? msg : "invalid timestamp");
    if (until_set && since_set && until_ns < since_ns)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "`since` time (%s) cannot be after `until` time (%s)", since,
                               until);
    if (event_filter_parse(filters, &s->filter, &msg) < 0)
        return http_send_error(req, MHD_HTTP_BAD_REQUEST, "%s", msg ? msg : "invalid filters");
    s->since = since_set ? since_ns : INT64_MIN;
    s->until = until_set ? until_ns : INT64_MAX;
    s->only_past = until_set && until_ns <= now_nano();
    *ret_answered = false;
    return 0;
}

int handle_events(struct request *req)
{
    struct server *srv = req->srv;
    const pouch_host *h = srv->host;
    _cleanup_(stream_freep) struct event_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->srv = srv;
    s->wake_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    bool answered;
    int r = parse_query(req, s, &answered);
    if (answered)
        return r;
    s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->wake_fd < 0)
        return http_send_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "events: eventfd: %s", strerror(errno));
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    s->conn_fd = ci ? ci->connect_fd : -1;

    pthread_mutex_lock(&srv->lock);
    bool stopping = srv->stopping;
    if (!stopping) {
        s->next = srv->streams;
        if (s->next)
            s->next->prev = s;
        srv->streams = s;
        srv->n_streams++;
    }
    pthread_mutex_unlock(&srv->lock);
    if (stopping)
        return http_send_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "pouchd is shutting down");

    /* Replay what the bus still holds when a window was asked for: from
     * since, or everything up to until (dockerd's loadBufferedEvents). */
    int64_t replay = s->since != INT64_MIN ? (s->since < 0 ? 0 : s->since) : (s->until != INT64_MAX ? 0 : -1);
    r = h->event_subscribe(h, replay, on_event, s, &s->sub_id);
    if (r < 0)
        return http_send_errno(req, r);
    s->subscribed = true;

    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, read_events, s, stream_free);
    if (!resp)
        return -ENOMEM;
    TAKE_PTR(s); /* the response owns it now, and frees it through stream_free */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return http_queue(req, MHD_HTTP_OK, resp);
}

void events_stop_all(struct server *srv)
{
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    for (struct event_stream *s = srv->streams; s; s = s->next) {
        pthread_mutex_lock(&s->lock);
        s->closing = true;
        pthread_mutex_unlock(&s->lock);
        wake(s);
    }
    pthread_mutex_unlock(&srv->lock);
}
